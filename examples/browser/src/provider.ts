// Which ONNX Runtime Web provider to use: WebGPU on a real GPU; WebAssembly when there is no adapter or the
// adapter is a software fallback (SwiftShader, llvmpipe), which runs GVSL several times slower than WASM
// (measured in this project: 59 s against 11 s for the samples on 2 CPU cores).
import type { EpChoice, RunRequest } from './protocol';

export interface GPUAdapterLike {
  features: Set<string>;
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
}

/** True for a software adapter: flagged as fallback by the browser, or named like one (Chromium's SwiftShader reports vendor "google", architecture "swiftshader"). */
export function isSoftwareAdapter(a: GPUAdapterLike): boolean {
  if (a.isFallbackAdapter || a.info?.isFallbackAdapter) return true;
  const name = [a.info?.vendor, a.info?.architecture, a.info?.description, a.info?.device].filter(Boolean).join(' ');
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i.test(name);
}

/** The provider to use and a sentence saying why. */
export async function chooseProvider(
  want: EpChoice,
  precision: RunRequest['precision'],
): Promise<{ ep: 'webgpu' | 'wasm'; fp16: boolean; note: string }> {
  if (want === 'wasm') return { ep: 'wasm', fp16: false, note: 'WebAssembly (CPU), as chosen' };
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GPUAdapterLike | null> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) {
    const why = gpu ? 'WebGPU is present but no GPU adapter was found' : 'this browser has no WebGPU';
    return { ep: 'wasm', fp16: false, note: `${why}: running on the CPU with WebAssembly` };
  }
  const name =
    [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') ||
    'adapter';
  if (want === 'auto' && isSoftwareAdapter(adapter)) {
    return {
      ep: 'wasm',
      fp16: false,
      note: `WebAssembly (CPU): the WebGPU adapter (${name}) is a software renderer, slower than WebAssembly; choose WebGPU to use it anyway`,
    };
  }
  const f16 = adapter.features.has('shader-f16');
  const fp16 = f16 && precision === 'auto';
  return {
    ep: 'webgpu',
    fp16,
    note: `WebGPU (${name}), ${fp16 ? 'float16 model (the adapter has shader-f16)' : f16 ? 'float32 model (as chosen)' : 'float32 model (no shader-f16 on this adapter)'}`,
  };
}
