"""Each way a launch goes wrong ends in ONE line that says what was wrong and what to do (no traceback)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

from conftest import CLI, ENV, NODE, copy_run, finish, free_port, node, runner


def one_line_error(stderr: str, prefix: str) -> str:
    assert "Traceback" not in stderr, stderr[-2000:]
    lines = [l for l in stderr.splitlines() if l.startswith(prefix)]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]


def test_torchrun_not_found(prepared):
    p = node("distributed", "launch", prepared["m1"], "--nproc-per-node", "2", "--launch", "--torchrun", "/nonexistent/bin/torchrun")
    line = one_line_error(finish(p, "launch", expect=1), "onnx-train:")
    assert "torchrun not found" in line and "scripts/setup-python.sh" in line


def test_port_already_in_use(prepared):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = node("distributed", "launch", prepared["m1"], "--nproc-per-node", "2", "--port", str(port), "--launch", "--torchrun", shutil.which("true") or "/bin/true")
        line = one_line_error(finish(p, "launch", expect=1), "onnx-train:")
    assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line


def test_port_already_in_use_when_rank_0_hosts_the_store(prepared):
    """Started without torchrun's agent (MASTER_PORT set by hand), rank 0 binds the port itself."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
        p = runner(prepared["m1"], "--timeout", "20", env=env)
        line = one_line_error(finish(p, "runner", expect=1), "gvsl_onnx_dist:")
    assert f"port {port} on 127.0.0.1 is already in use" in line


def test_ranks_that_disagree_on_the_run_folder(prepared, tmp_path):
    other = copy_run(prepared["m1"], tmp_path / "other")
    cfg = os.path.join(other, "config.json")
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace('"seed": 0', '"seed": 1'))
    port = str(free_port())
    procs = []
    for rank, run in enumerate([prepared["m1"], other]):
        env = {"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
        procs.append(runner(run, "--timeout", "60", env=env))
    lines = [one_line_error(finish(p, f"rank {i}", expect=1), "gvsl_onnx_dist:") for i, p in enumerate(procs)]
    for line in lines:
        assert "rank(s) 1 run a different prepared run" in line and "same run folder" in line


def test_a_missing_cuda_ep_when_cuda_is_asked_for(prepared):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        import pytest

        pytest.skip("this onnxruntime has the CUDA EP")
    p = runner(prepared["m1"], "--ep", "cuda")
    line = one_line_error(finish(p, "runner", expect=1), "gvsl_onnx_dist:")
    assert "no CUDA execution provider" in line and "onnxruntime-gpu" in line


def test_not_a_prepared_run(tmp_path):
    p = runner(str(tmp_path))
    line = one_line_error(finish(p, "runner", expect=1), "gvsl_onnx_dist:")
    assert "not a prepared distributed run" in line and "distributed prepare" in line


def test_launch_prints_the_torchrun_line(prepared):
    p = node("distributed", "launch", prepared["m1"], "--nnodes", "2", "--nproc-per-node", "1", "--host", "10.0.0.1", "--ep", "cuda", "--torchrun", "torchrun")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert out.strip() == (f"torchrun --nnodes 2 --nproc-per-node 1 --rdzv-backend c10d --rdzv-endpoint 10.0.0.1:29500 --rdzv-id m1 --max-restarts 0 "
                           f"-m gvsl_onnx_dist.run {prepared['m1']} --ep cuda --nodejs {NODE} --cli {CLI}")
    # A world size the global batch (2) cannot be split over.
    p = node("distributed", "launch", prepared["m1"], "--nproc-per-node", "3")
    line = one_line_error(finish(p, "launch", expect=1), "onnx-train:")
    assert "does not split into 3 rank(s)" in line
