/** Weights on disk: safetensors (read/write, atomic saves), PyTorch `.pth` (read, executing nothing), strict matching. */
export * from './load';
export { loadPth, readPth, readPthContent, WRAPPER_KEYS, type PthContent } from './pth';
export {
  loadSafetensors,
  readSafetensors,
  saveSafetensors,
  writeSafetensors,
  type SafetensorsContent,
} from './safetensors';
export { loadModelWeights, type LoadedWeights } from './weights';
