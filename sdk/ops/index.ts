// The DSL's op functions. Tensors positional, attributes in a trailing options object.
export { add } from './add';
export { cast } from './cast';
export { concat } from './concat';
export { div } from './div';
export { equal } from './equal';
export { expandTo } from './expand';
export { matmul, mT } from './matmul';
export { mul } from './mul';
export { neg } from './neg';
export { pad } from './pad';
export { reduceSum } from './reduce-sum';
export { reshape } from './reshape';
export { slice } from './slice';
export { sub } from './sub';
export { transpose } from './transpose';
export { unbroadcast } from './unbroadcast';
export { where } from './where';
