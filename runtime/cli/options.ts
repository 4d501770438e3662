/** yargs options shared by every command that runs ONNX Runtime. */
export const epOption = { choices: ['cpu', 'webgpu', 'cuda'] as const, default: 'cpu' as const, describe: 'ONNX Runtime execution provider' };
export const threadsOption = { type: 'number', describe: 'intra-op threads (default: all cores)' } as const;
