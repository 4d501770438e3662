"""Shared set-up of the runner's tests: tiny GVSL runs (16³ crops, widths 8,…,16) on three synthetic phantoms.

Every run is a separate process (Node `onnx-train`, `torchrun`, or the runner alone for a world of one). Start-up
(importing torch, ONNX Runtime sessions, the Node batch child) costs far more than the 5 tiny steps, so the
independent runs start together in two waves (`runs` below) and the tests only compare their results.
Needs the Node build: `npx tsc -p tsconfig.json` (dist/) and Node.js on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from gvsl_onnx_dist import safetensors_io

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "bin", "onnx-train.js")
NODE = shutil.which("node") or "node"
TORCHRUN = os.path.join(os.path.dirname(sys.executable), "torchrun")
TINY = ["--size", "16", "--chan", "8,8,8,8,16,8,8,8,16", "--batch", "2", "--lr", "1e-3", "--seed", "0", "--quiet"]
STEPS = 5
# One thread per process: results do not depend on the machine, and several runs share two cores.
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


def node(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([NODE, CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, **kw)


def runner(run: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """The rank runner alone: a world of one (no torchrun)."""
    cmd = [sys.executable, "-m", "gvsl_onnx_dist.run", run, "--threads", "1", "--quiet", "--nodejs", NODE, "--cli", CLI, *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(ENV, **(env or {})))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(run: str, nproc: int, *args: str, max_restarts: int = 0, env: dict | None = None) -> subprocess.Popen:
    cmd = [TORCHRUN, "--nnodes", "1", "--nproc-per-node", str(nproc), "--master-addr", "127.0.0.1", "--master-port", str(free_port()),
           "--max-restarts", str(max_restarts), "-m", "gvsl_onnx_dist.run", run, "--threads", "1", "--quiet", "--nodejs", NODE, "--cli", CLI, *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(ENV, **(env or {})))


def finish(p: subprocess.Popen, what: str, expect: int = 0, timeout: float = 400) -> str:
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == expect, f"{what}: exit {p.returncode} (expected {expect})\n{err[-3000:]}"
    return err


def wait_all(procs: dict[str, tuple[subprocess.Popen, int]]) -> dict[str, str]:
    return {k: finish(p, k, expect) for k, (p, expect) in procs.items()}


def load(run: str):
    """(tensors, metadata) of a run's checkpoint."""
    return safetensors_io.read(os.path.join(run, "checkpoint.safetensors"))


def metrics(run: str) -> list[dict]:
    with open(os.path.join(run, "metrics.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


def params_of(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v for k, v in tensors.items() if not k.startswith(("adam.", "adamw.", "sgd."))}


@pytest.fixture(scope="session")
def built():
    if not os.path.isfile(os.path.join(ROOT, "dist", "runtime", "cli", "main.js")):
        pytest.fail("the Node build is missing: run `npx tsc -p tsconfig.json` in the repository first (the batch child is onnx-train)")
    return ROOT


@pytest.fixture(scope="session")
def data(built, tmp_path_factory) -> str:
    d = str(tmp_path_factory.mktemp("phantoms"))
    script = ("const {makePhantom, writeNifti} = require(process.argv[1] + '/dist/runtime/data');"
              "for (let i = 0; i < 3; i++) writeNifti(process.argv[2] + '/p' + i + '.nii.gz', makePhantom({ dims: [24, 24, 24], seed: i }));")
    subprocess.run([NODE, "-e", script, ROOT, d], check=True)
    return d


@pytest.fixture(scope="session")
def prepared(data, tmp_path_factory):
    """Prepared run folders (copy before running): micro-batch 1 and 2, and micro-batch 1 with checkpoints every 3 steps."""
    base = tmp_path_factory.mktemp("prepared")
    specs = {"m1": ["--micro-batch", "1", "--save-every", "2"], "m2": ["--micro-batch", "2", "--save-every", "2"],
             "m1s3": ["--micro-batch", "1", "--save-every", "3"]}
    procs = {k: (node("distributed", "prepare", data, *TINY, "--steps", str(STEPS), *a, "--out", str(base / k)), 0) for k, a in specs.items()}
    wait_all(procs)
    return {k: str(base / k) for k in specs}


def copy_run(src: str, dst) -> str:
    shutil.copytree(src, str(dst))
    return str(dst)


@pytest.fixture(scope="session")
def runs(data, prepared, tmp_path_factory):
    """Every training run of the tests, in two waves of concurrent processes; returns their folders and logs."""
    t = tmp_path_factory.mktemp("runs")
    r = {
        "node3": str(t / "node3"),  # single-process Node pretrain, batch 2, steps 1..3
        "two": copy_run(prepared["m1"], t / "two"),  # 2 ranks x micro-batch 1
        "one_b2": copy_run(prepared["m2"], t / "one_b2"),  # 1 rank x micro-batch 2
        "accum": copy_run(prepared["m1"], t / "accum"),  # 1 rank x 2 micro-batches of 1
        "resume": copy_run(prepared["m1s3"], t / "resume"),  # 1 rank x 2 micro-batches; killed writing step 5's checkpoint
        "killed": copy_run(prepared["m1"], t / "killed"),  # 2 ranks; rank 1 dies at step 4; torchrun restarts both
    }
    logs = wait_all({
        "node3": (node("pretrain", data, *TINY, "--steps", "3", "--threads", "1", "--out", r["node3"]), 0),
        "two": (torchrun(r["two"], 2), 0),
        "one_b2": (runner(r["one_b2"]), 0),
        "accum": (runner(r["accum"]), 0),
        "resume": (runner(r["resume"], env={"GVSL_DIST_FAULT": "0:5:checkpoint"}), 17),
        "killed": (torchrun(r["killed"], 2, max_restarts=1, env={"GVSL_DIST_FAULT": "1:4:step"}), 0),
    })
    # Wave 2: resumptions.
    r["resume_at3"] = copy_run(r["resume"], t / "resume_at3")  # the state the killed write left behind
    r["node5"] = copy_run(r["node3"], t / "node5")  # Node pretrain resumed to step 5: the single-process reference
    r["node_to_dist"] = str(t / "node_to_dist")  # a distributed run resumed from Node's step-3 checkpoint
    r["dist_to_node"] = copy_run(r["resume"], t / "dist_to_node")  # Node pretrain resumed from the runner's step-3 checkpoint
    p = node("distributed", "prepare", "--resume", r["node3"], "--steps", str(STEPS), "--micro-batch", "1", "--quiet", "--out", r["node_to_dist"])
    finish(p, "prepare --resume node3")
    logs.update(wait_all({
        "resume2": (runner(r["resume"]), 0),
        "node5": (node("pretrain", "--resume", r["node5"], "--steps", str(STEPS), "--threads", "1", "--quiet"), 0),
        "node_to_dist": (runner(r["node_to_dist"]), 0),
        "dist_to_node": (node("pretrain", "--resume", r["dist_to_node"], "--steps", str(STEPS), "--threads", "1", "--quiet"), 0),
    }))
    r["logs"] = logs
    return r
