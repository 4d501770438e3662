"""PyTorch side of examples/bench-examples.ts: one training step of the ResNet CNN and the transformer encoder
examples at the same sizes, models from scripts/make-example-parity.py (the parity twins). Prints one JSON line.

    python scripts/bench_torch_examples.py --model resnet|transformer [--threads 2] [--runs 10]
"""
import argparse
import importlib.util
import json
import pathlib
import time

import torch
import torch.nn.functional as F

spec = importlib.util.spec_from_file_location('parity', pathlib.Path(__file__).with_name('make-example-parity.py'))
parity = importlib.util.module_from_spec(spec)
spec.loader.exec_module(parity)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='resnet', choices=['resnet', 'transformer'])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--runs', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model == 'resnet':
        model = parity.TinyResNet(64, 3)
        x, y = torch.randn(32, 3, 64, 64), torch.randint(0, 3, (32,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        clip = None
    else:
        model = parity.EncoderClassifier(64, 128, 4, 4, 3)
        x, y = torch.randint(1, 4, (32, 64)), torch.randint(0, 3, (32,))
        opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
        clip = 1.0
    model.train()
    times = []
    cpu = []  # process CPU seconds per step: with --threads 1 nearly independent of the machine's load
    for i in range(3 + a.runs):
        t = time.perf_counter()
        c = time.process_time()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if i >= 3:
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    times.sort()
    cpu.sort()
    print(json.dumps({'impl': f'pytorch-{torch.__version__}', 'model': a.model, 'threads': a.threads, 'runs': a.runs,
                      'median_s': times[len(times) // 2], 'min_s': times[0], 'cpu_median_s': cpu[len(cpu) // 2]}))


if __name__ == '__main__':
    main()
