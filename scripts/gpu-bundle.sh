#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has no Node.js and no network into one file,
# tmp/gpu-carry/bundle.tar.xz (tmp/ is ignored by git; carry `tmp/gpu-carry`): this machine's `node`, the
# production node_modules (onnxruntime-node's linux-x64 binaries only; no onnxruntime-web), the compiled dist/,
# and the Vulkan loader (libvulkan.so.1) for the WebGPU EP; xz, which tar and Python both unpack. About 38 MiB:
# the device tool carries 64 MiB in all, the working tree (~3 MiB) and any shared/ folder included.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tmp/gpu-carry
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

npx tsc -p . >/dev/null || true   # emits even when another file has type errors; gpu-check needs dist/ only
[ -f dist/runtime/cli/main.js ] || { echo "gpu-bundle: dist/ was not built" >&2; exit 1; }

mkdir -p "$stage/.gpu/bin" "$stage/.gpu/lib"
cp "$(command -v node)" "$stage/.gpu/bin/node"
vk=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ {f=$NF} END {print f}')
if [ -n "$vk" ]; then cp -L "$vk" "$stage/.gpu/lib/libvulkan.so.1"; else echo "gpu-bundle: no libvulkan.so.1 here; WebGPU will need the GPU machine's own" >&2; fi

mapfile -t mods < <(npm ls --omit=dev --parseable --all 2>/dev/null | sed "s#^$PWD/##" | grep '^node_modules/' | grep -v '^node_modules/onnxruntime-web$' | sort -u)
mkdir -p "$out"
tar -c \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
  --exclude='node_modules/@types' --exclude='*.map' --exclude='*.d.ts' \
  "${mods[@]}" dist -C "$stage" .gpu \
  | xz -9e -T0 >"$out/bundle.tar.xz"
# The PyTorch reference's scripts (32 KiB), in case the shared folder does not travel.
[ -d ../shared/reference ] && { rm -rf "$out/shared"; mkdir -p "$out/shared"; cp -r ../shared/reference "$out/shared/"; }
echo "$out/bundle.tar.xz: $(du -m "$out/bundle.tar.xz" | cut -f1) MiB (node $(node --version), onnxruntime-node $(node -p "require('onnxruntime-node/package.json').version"))"
