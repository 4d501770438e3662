export { add } from './add';
export { expandTo } from './expand';
export { reduceSum } from './reduce-sum';
export { reshape } from './reshape';
export { unbroadcast } from './unbroadcast';
