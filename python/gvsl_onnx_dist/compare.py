"""Compares two finished runs (checkpoints and metrics.jsonl), e.g. the CUDA run of scripts/gpu-check.sh against
the CPU run of the same prepared folder. Prints one JSON line; exit status 1 when outside the tolerance.

    python -m gvsl_onnx_dist.compare RUN_A RUN_B [--lr 1e-3]

Tolerance (python/tests/test_equivalence.py explains it): every parameter within 0.05·lr, every logged loss term
within 1e-5 relative; --loss-rtol and --param-lr-fraction loosen it (TF32 needs ~1e-3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from . import safetensors_io


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="gvsl_onnx_dist.compare")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--loss-rtol", type=float, default=1e-5)
    p.add_argument("--param-lr-fraction", type=float, default=0.05)
    a = p.parse_args(argv)
    ta, ma = safetensors_io.read(os.path.join(a.a, "checkpoint.safetensors"))
    tb, mb = safetensors_io.read(os.path.join(a.b, "checkpoint.safetensors"))
    lr = json.loads(mb["config"])["lr"]
    params = [k for k in tb if not k.startswith(("adam.", "adamw.", "sgd."))]
    worst = max(float(np.abs(ta[k].astype(np.float64) - tb[k]).max()) for k in params)
    la = [json.loads(l) for l in open(os.path.join(a.a, "metrics.jsonl")) if l.strip()]
    lb = [json.loads(l) for l in open(os.path.join(a.b, "metrics.jsonl")) if l.strip()]
    terms = [t for t in lb[0] if t.startswith("loss")]
    loss = max(abs(x[t] - y[t]) / max(abs(y[t]), 1e-12) for x, y in zip(la, lb) for t in terms)
    ok = ma["step"] == mb["step"] and len(la) == len(lb) and worst <= a.param_lr_fraction * lr and loss <= a.loss_rtol
    print(json.dumps({"ok": ok, "step": mb["step"], "max_param_diff": worst, "max_param_diff_in_lr": worst / lr, "max_loss_rel_diff": loss}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
