"""Writes the small checkpoint fixtures of test/checkpoint.test.ts (run once; the outputs are committed).

    /usr/bin/python3 test/data/make_pth.py      # from the repository root; needs python3-torch (Debian)

Python is only used to make these files: the tests read them with the TypeScript readers alone.

- tiny.pth              torch.save(state_dict) of a tiny Conv3d + GroupNorm + Linear + BatchNorm1d tree with
                        PyTorch-style nested names (unet.inc.double_conv.0.weight, ...), plus extra entries:
                        a transposed (non-contiguous) tensor, two views sharing one storage at different
                        offsets, a strided slice, float64, float16, int64 (beyond 2**53), int32, uint8, bool,
                        a 0-d tensor (num_batches_tracked) and an empty tensor.
- tiny.safetensors      the same tensors, except the bool and the 0-d one (see below), written by the
                        numpy-only writer /work/shared/reference/st.py, with metadata {"source": "make_pth.py"}.
- tiny-wrapped.pth      {"epoch": 3, "args": argparse.Namespace(...), "state_dict": <the state_dict>}.
- tiny-deflate.pth      tiny.pth re-zipped with deflate compression (torch itself writes stored entries).
- tiny-module.pth       torch.save(model): a pickled nn.Module, which the reader must refuse.
"""
import argparse
import os
import sys
import zipfile

import torch
from torch import nn

sys.path.insert(0, '/work/shared/reference')
import st  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


class DoubleConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.double_conv = nn.Sequential(nn.Conv3d(1, 2, 3, padding=1), nn.GroupNorm(1, 2), nn.LeakyReLU())


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = DoubleConv()


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.unet = UNet()
        self.head = nn.Linear(2, 3)
        self.norm = nn.BatchNorm1d(3)


def main():
    torch.manual_seed(0)
    model = Tiny()
    model.norm.running_mean.uniform_()
    model.norm.num_batches_tracked.fill_(7)
    sd = model.state_dict()
    base = torch.arange(20, dtype=torch.float32) * 0.5
    sd['extra.transposed'] = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    sd['extra.view_a'] = base[2:8]
    sd['extra.view_b'] = base[5:17].view(3, 4)
    sd['extra.strided'] = base[1::3]
    sd['extra.f64'] = torch.tensor([[1 / 3, -2.5e-300], [1e300, 0.1]], dtype=torch.float64)
    sd['extra.f16'] = torch.tensor([0.5, -1.25, 65504.0, 6e-8], dtype=torch.float16)
    sd['extra.i64'] = torch.tensor([0, -5, 2**53 + 1, -(2**62)], dtype=torch.int64)
    sd['extra.i32'] = torch.tensor([[1, -2, 3]], dtype=torch.int32)
    sd['extra.u8'] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    sd['extra.mask'] = torch.tensor([True, False, True])
    sd['extra.empty'] = torch.zeros(0, 3)
    assert not sd['extra.transposed'].is_contiguous() and sd['extra.view_b'].storage_offset() == 5

    torch.save(sd, os.path.join(OUT, 'tiny.pth'))
    # st.py cannot write BOOL, and its np.ascontiguousarray turns 0-d arrays into shape [1]: leave both out.
    twin = {k: v.numpy() for k, v in sd.items() if v.dtype != torch.bool and v.dim() > 0}
    st.save(os.path.join(OUT, 'tiny.safetensors'), twin, {'source': 'make_pth.py'})
    torch.save({'epoch': 3, 'args': argparse.Namespace(lr=0.1), 'state_dict': sd}, os.path.join(OUT, 'tiny-wrapped.pth'))
    with zipfile.ZipFile(os.path.join(OUT, 'tiny.pth')) as src, \
            zipfile.ZipFile(os.path.join(OUT, 'tiny-deflate.pth'), 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            # A fixed timestamp keeps the file reproducible.
            dst.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)), src.read(info.filename), zipfile.ZIP_DEFLATED)
    torch.save(model, os.path.join(OUT, 'tiny-module.pth'))

    # The files must read back in PyTorch exactly as saved.
    back = torch.load(os.path.join(OUT, 'tiny.pth'))
    assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd)


if __name__ == '__main__':
    main()
