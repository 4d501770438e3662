"""PyTorch counterpart of `onnx-train bench --model seg-train|seg` (the GVSL downstream segmentation model).

usage: bench_torch_seg.py --mode seg-train|seg --size 64 [--chan 32,64,...] [--classes 2] [--batch 1]
                          [--runs 5] [--warmup 1] [--threads 2] [--device cpu|cuda]

The network is written here from its description (the project's graphs/seg.ts and graphs/unet.ts), not
imported: the GVSL U-Net backbone (DoubleConv = [Conv3d k3 p1, GroupNorm(c/8), LeakyReLU(0.2)] x 2; four
MaxPool3d(2) + DoubleConv down-blocks; four up-blocks that upsample x2 trilinearly with align_corners=True,
concatenate [skip, upsampled] and apply a DoubleConv; input padded to a multiple of 16 and the output cropped
back), then out_conv (Conv3d k3 p1, c8 -> classes) and a softmax over classes. seg-train is one fine-tuning
step as the bench's: the Dice loss 1 - mean_{n,c} (2 sum p*g + 1) / (sum g^2 + sum p^2 + 1) against one-hot
labels, backward, Adam (lr 1e-4) over every weight. Inputs as the bench's: image uniform [0, 1), labels
uniformly random class indices. Prints one JSON line of bench_torch.py's shape (median/min/max seconds per
run after the warm-up, peak RSS in MiB) plus the CPU model and the load average before and after.
Runs with any PyTorch 2.x (and 1.13). Not a dependency of the project: a measuring tool.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1), nn.GroupNorm(cout // 8, cout), nn.LeakyReLU(0.2),
        nn.Conv3d(cout, cout, 3, padding=1), nn.GroupNorm(cout // 8, cout), nn.LeakyReLU(0.2))


class UpBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = double_conv(cin, cout)

    def forward(self, low, skip):
        up = F.interpolate(low, scale_factor=2, mode='trilinear', align_corners=True)
        return self.conv(torch.cat([skip, up], dim=1))


class SegUNet(nn.Module):
    def __init__(self, chan, classes, cin=1):
        super().__init__()
        c = chan
        self.inc = double_conv(cin, c[0])
        self.downs = nn.ModuleList([double_conv(c[i], c[i + 1]) for i in range(4)])
        skips = [c[3], c[2], c[1], c[0]]
        lows = [c[4], c[5], c[6], c[7]]
        self.ups = nn.ModuleList([UpBlock(lows[i] + skips[i], c[5 + i]) for i in range(4)])
        self.out_conv = nn.Conv3d(c[8], classes, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv3d) and m is not self.out_conv:
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        size = x.shape[2:]
        extra = [(16 - s % 16) % 16 for s in size]
        pad = []
        for e in reversed(extra):
            pad += [e // 2, e - e // 2]
        x = F.pad(x, pad)
        feats = [self.inc(x)]
        for down in self.downs:
            feats.append(down(F.max_pool3d(feats[-1], 2)))
        y = feats[4]
        for i, up in enumerate(self.ups):
            y = up(y, feats[3 - i])
        y = y[:, :, extra[0] // 2:extra[0] // 2 + size[0], extra[1] // 2:extra[1] // 2 + size[1],
              extra[2] // 2:extra[2] // 2 + size[2]]
        return torch.softmax(self.out_conv(y), dim=1)


def dice_loss(probs, target, smooth=1.0):
    dims = tuple(range(2, probs.dim()))
    inter = (probs * target).sum(dims)
    den = (target * target).sum(dims) + (probs * probs).sum(dims)
    return 1 - ((2 * inter + smooth) / (den + smooth)).mean()


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--mode', default='seg-train', choices=['seg-train', 'seg'])
    p.add_argument('--size', default='64')
    p.add_argument('--chan', default='32,64,128,256,512,256,128,64,32')
    p.add_argument('--classes', type=int, default=2)
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--runs', type=int, default=5)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    load_before = os.getloadavg()[0]
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    size = [int(s) for s in a.size.split(',')] * (3 if ',' not in a.size else 1)
    chan = [int(c) for c in a.chan.split(',')]
    if len(chan) != 9:
        raise SystemExit(f'--chan needs 9 widths c0..c8, got {a.chan}')
    model = SegUNet(chan, a.classes).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    image = torch.rand(a.batch, 1, *size, device=dev)
    labels = torch.randint(0, a.classes, (a.batch, *size), device=dev)
    onehot = F.one_hot(labels, a.classes).permute(0, 4, 1, 2, 3).float()

    def step():
        if a.mode == 'seg-train':
            opt.zero_grad()
            dice_loss(model(image), onehot).backward()
            opt.step()
        else:
            with torch.no_grad():
                model(image)
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.runs):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'impl': 'pytorch-' + torch.__version__, 'mode': a.mode, 'size': size, 'chan': a.chan,
                      'classes': a.classes, 'batch': a.batch, 'device': a.device, 'threads': a.threads,
                      'warmup': a.warmup, 'runs': a.runs, 'times_s': times,
                      'median_s': statistics.median(times), 'min_s': min(times), 'max_s': max(times),
                      'peak_rss_mib': round(rss), 'cpu': cpu_model(),
                      'load_avg': [round(load_before, 2), round(os.getloadavg()[0], 2)]}))


if __name__ == '__main__':
    main()
