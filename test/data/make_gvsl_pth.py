"""Writes the narrow GVSL checkpoint fixtures of test/gvsl-weights.test.ts and test/cli-export.test.ts
(run once; the outputs are committed).

    /usr/bin/python3 test/data/make_gvsl_pth.py     # from the repository root; needs python3-torch (Debian)

It imports the independent PyTorch GVSL reference (gvsl_ref.py) and the numpy safetensors writer (st.py)
from $GVSL_REFERENCE (default /work/shared/reference). Python only makes these files: the tests read them
with the TypeScript readers alone.

The model is GVSL(1, chan=8,8,8,8,16,8,8,8,16), the narrowest widths the architecture allows (GroupNorm
uses width/8 groups; the heads need c4 and c8 to be multiples of 16), seed 0, with its GroupNorm affine
parameters randomised so that weight/bias mix-ups show. Even so it has ~76k parameters, so the weights
are stored in float16 (real checkpoints are sometimes saved in half precision, and loading must convert
them): float32 copies would be ~300 kB each.

- gvsl-narrow.pth              torch.save(model.state_dict()) in float16 (OrderedDict, official key names).
- gvsl-narrow.safetensors      the same tensors (float16), metadata {"chan": ..., "source": ...}.
- gvsl-narrow-unet.pth         torch.save({"epoch": 0, "model": model.unet.state_dict()}) in float16: a
                               backbone-only checkpoint (keys without the "unet." prefix) under a wrapper key.
- gvsl-narrow-forward.safetensors  float32 A, B [2,1,8,12,10] and PyTorch's res, warp, aff, flow for
                               model(A, B) with the float16-rounded weights (the reference forward, float32).
"""
import math
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.environ.get('GVSL_REFERENCE', '/work/shared/reference'))
import st  # noqa: E402
from gvsl_ref import GVSL  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
CHAN = (8, 8, 8, 8, 16, 8, 8, 8, 16)
SHAPE = (2, 1, 8, 12, 10)


def volume(n, phase):
    """A smooth blob-like test volume in [0, 1] from sin/cos (different per sample and per phase)."""
    _, c, d, h, w = SHAPE
    z, y, x = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing='ij')
    out = np.empty(SHAPE, dtype=np.float32)
    for i in range(n):
        a = 0.7 + 0.3 * i + phase
        v = 0.5 + 0.25 * np.sin(a * z + 0.4 * y) * np.cos(0.5 * x - a) + 0.2 * np.cos(0.3 * (x + y) + 1.1 * z * a)
        out[i, 0] = v.astype(np.float32)
    return out


def main():
    torch.manual_seed(0)
    model = GVSL(1, CHAN)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.GroupNorm):
                m.weight.add_(0.2 * torch.randn_like(m.weight))
                m.bias.normal_(0, 0.2)
        # Round to float16 first, so the float32 forward below uses exactly the stored weights.
        for p in model.state_dict().values():
            p.copy_(p.half().float())
    model.eval()

    sd = OrderedDict((k, v.half()) for k, v in model.state_dict().items())
    torch.save(sd, os.path.join(OUT, 'gvsl-narrow.pth'))
    st.save(os.path.join(OUT, 'gvsl-narrow.safetensors'), {k: v.numpy() for k, v in sd.items()},
            {'chan': ','.join(map(str, CHAN)), 'source': 'make_gvsl_pth.py'})
    unet_sd = OrderedDict((k, v.half()) for k, v in model.unet.state_dict().items())
    torch.save({'epoch': 0, 'model': unet_sd}, os.path.join(OUT, 'gvsl-narrow-unet.pth'))

    A = volume(SHAPE[0], 0.0)
    B = volume(SHAPE[0], 0.35)
    with torch.no_grad():
        res, warp, aff, flow = model(torch.from_numpy(A), torch.from_numpy(B))
    st.save(os.path.join(OUT, 'gvsl-narrow-forward.safetensors'),
            {'A': A, 'B': B, 'res': res.numpy(), 'warp': warp.numpy(), 'aff': aff.numpy(), 'flow': flow.numpy()},
            {'chan': ','.join(map(str, CHAN)), 'source': 'make_gvsl_pth.py', 'torch': torch.__version__})

    # The files must read back in PyTorch exactly as saved.
    back = torch.load(os.path.join(OUT, 'gvsl-narrow.pth'))
    assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd)
    assert not any(math.isnan(float(t.abs().max())) for t in (res, warp, aff, flow))
    sizes = {f: os.path.getsize(os.path.join(OUT, f)) for f in sorted(os.listdir(OUT)) if f.startswith('gvsl-narrow')}
    print(sizes, 'total', sum(sizes.values()))


if __name__ == '__main__':
    main()
