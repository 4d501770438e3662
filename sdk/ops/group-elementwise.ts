import type { Primitive } from '../primitive';
import { Abs } from './abs';
import { Add } from './add';
import { And } from './and';
import { Cast } from './cast';
import { Clip } from './clip';
import { Cos } from './cos';
import { Div } from './div';
import { Equal } from './equal';
import { Erf } from './erf';
import { Exp } from './exp';
import { Floor } from './floor';
import { Greater } from './greater';
import { Identity } from './identity';
import { LeakyRelu } from './leaky-relu';
import { Less } from './less';
import { Log } from './log';
import { Max } from './max';
import { Min } from './min';
import { Mul } from './mul';
import { Neg } from './neg';
import { Not } from './not';
import { Pow } from './pow';
import { Relu } from './relu';
import { Sigmoid } from './sigmoid';
import { Sign } from './sign';
import { Sin } from './sin';
import { Sqrt } from './sqrt';
import { Sub } from './sub';
import { Tan } from './tan';
import { Tanh } from './tanh';
import { Where } from './where';
import type { ElementwisePrim } from './names';

/** Every elementwise primitive, keyed by name: a missing or misspelt entry is a compile error. */
export const ELEMENTWISE: { [K in ElementwisePrim]: Primitive<any> } = {
  Add,
  Sub,
  Mul,
  Div,
  Neg,
  Pow,
  Sqrt,
  Exp,
  Log,
  Abs,
  Sign,
  Sin,
  Cos,
  Tan,
  Tanh,
  Floor,
  Clip,
  Max,
  Min,
  Where,
  Equal,
  Less,
  Greater,
  Not,
  And,
  Cast,
  Relu,
  LeakyRelu,
  Sigmoid,
  Identity,
  Erf,
};
