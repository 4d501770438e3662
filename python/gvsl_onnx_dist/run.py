"""One rank of data-parallel GVSL pre-training (docs/distributed.md).

    torchrun --nnodes N --nproc-per-node G -m gvsl_onnx_dist.run RUN [--ep cuda] [--threads T]

Each rank: init the process group (NCCL on CUDA, gloo otherwise); open grads.onnx and apply.onnx with ONNX
Runtime on its device (IO binding; on CUDA the parameters, optimizer state and gradient buffer stay on the GPU);
read its micro-batches from a Node child (`onnx-train batches`); per step, run the gradients graph on each
micro-batch, sum into ONE flat buffer, all-reduce it, divide by (world x micro-batches) and run the update.
Rank 0 alone writes metrics.jsonl and checkpoint.safetensors (atomically). Every start resumes from the
run folder's checkpoint, so `torchrun --max-restarts` continues a crashed run from its last checkpoint.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import numpy as np

from . import safetensors_io
from .frames import StreamEnded, read_frame

CHECKPOINT = "checkpoint.safetensors"
CHECKPOINT_FORMAT = "gvsl-onnx/1"
DIST_FORMAT = "gvsl-onnx-dist/1"


class RunError(Exception):
    """A problem the user can fix: printed as one line, exit status 1."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="gvsl_onnx_dist.run", description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="run folder written by onnx-train distributed prepare")
    p.add_argument("--ep", choices=["cpu", "cuda"], default="cpu", help="ONNX Runtime device (cuda: CUDA EP, IO binding, NCCL)")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per rank (0: ONNX Runtime's default)")
    p.add_argument("--steps", type=int, default=0, help="total steps (default: the config's)")
    p.add_argument("--nodejs", default=os.environ.get("GVSL_ONNX_NODE", "node"), help="Node.js executable for the batch child")
    p.add_argument("--cli", default=os.environ.get("GVSL_ONNX_CLI", ""), help="onnx-train's bin/onnx-train.js (default: the repository's, beside python/)")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the other ranks (init, collectives)")
    p.add_argument("--tf32", action="store_true", help="--ep cuda: let convolutions and matrix products use TF32 (faster on Ampere and later; ~1e-3 relative rounding)")
    p.add_argument("--quiet", action="store_true", help="no per-step lines on stderr")
    return p.parse_args(argv)


# --- the run folder ---------------------------------------------------------------------------------------

def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_run(run: str):
    """config, manifest, and a digest of what every rank must agree on (config, manifest, both graphs)."""
    mf = os.path.join(run, "manifest.json")
    if not os.path.isfile(mf):
        raise RunError(f"{run} is not a prepared distributed run (no manifest.json): run onnx-train distributed prepare --out {run} first")
    with open(mf, "rb") as f:
        manifest_bytes = f.read()
    manifest = json.loads(manifest_bytes)
    if manifest.get("format") != DIST_FORMAT:
        raise RunError(f"{mf} has format {manifest.get('format')!r}, this runner reads {DIST_FORMAT!r}: prepare the run again with this onnx-train")
    with open(os.path.join(run, "config.json"), "rb") as f:
        config_bytes = f.read()
    config = json.loads(config_bytes)
    for g in ("grads", "apply"):
        path = os.path.join(run, manifest[g]["file"])
        if not os.path.isfile(path):
            raise RunError(f"{path} is missing: prepare the run again")
        if sha256_file(path) != manifest[g]["sha256"]:
            raise RunError(f"{path} is not the graph manifest.json names (sha256 differs): prepare the run again")
    digest = hashlib.sha256(manifest_bytes + b"\0" + config_bytes).digest()
    return config, manifest, digest


# --- state: parameters and optimizer slots, as one flat float32 vector per role ---------------------------

def state_names(manifest) -> list[str]:
    """Checkpoint keys: every parameter, then each optimizer slot of each parameter (manifest order)."""
    names = [p["name"] for p in manifest["params"]]
    return names + [s + n for n in names for s in manifest["optimizer"]["slots"]]


def load_checkpoint(run: str, manifest):
    """(step, {key: array}, metadata) from the run's checkpoint; missing optimizer slots start at zero."""
    path = os.path.join(run, CHECKPOINT)
    if not os.path.isfile(path):
        raise RunError(f"no checkpoint at {path}: prepare the run (onnx-train distributed prepare) first")
    try:
        tensors, meta = safetensors_io.read(path)
    except (safetensors_io.CheckpointError, ValueError) as e:
        raise RunError(f"cannot read {path}: {e}") from None
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{path} is not a gvsl-onnx training checkpoint (format {meta.get('format')!r})")
    state = {}
    for p in manifest["params"]:
        name, shape = p["name"], tuple(p["shape"])
        if name not in tensors:
            raise RunError(f"{path} has no parameter {name!r}: it belongs to another model")
        if tuple(tensors[name].shape) != shape:
            raise RunError(f"{path}: {name!r} has shape {list(tensors[name].shape)}, the graphs need {list(shape)}")
        state[name] = tensors[name].astype(np.float32)
        for s in manifest["optimizer"]["slots"]:
            state[s + name] = tensors.get(s + name, np.zeros(shape, np.float32)).astype(np.float32)
    return int(meta.get("step", "0")), state, meta


# --- the batch child --------------------------------------------------------------------------------------

def default_cli() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "bin", "onnx-train.js"))


class BatchChild:
    """`onnx-train batches RUN --rank r --world W --start-step k`: this rank's micro-batches, framed on a pipe."""

    def __init__(self, node: str, cli: str, run: str, rank: int, world: int, first: int, last: int):
        exe = shutil.which(node) if "/" not in node else (node if os.access(node, os.X_OK) else None)
        if not exe:
            raise RunError(f"Node.js not found ({node}): the ranks read their batches from onnx-train; install Node.js >= 20 or pass --nodejs PATH")
        if not os.path.isfile(cli):
            raise RunError(f"onnx-train not found at {cli}: build it (npx tsc -p tsconfig.json) or pass --cli PATH/bin/onnx-train.js")
        cmd = [exe, cli, "batches", run, "--rank", str(rank), "--world", str(world), "--start-step", str(first), "--last-step", str(last)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=1 << 20)
        self.last_error = ""
        self.warnings = []
        threading.Thread(target=self._stderr, daemon=True).start()
        header, _ = self._next()
        if header.get("type") != "ready":
            raise RunError(f"batch child sent {header.get('type')!r} before 'ready'")

    def _stderr(self):
        for line in iter(self.proc.stderr.readline, b""):
            text = line.decode("utf8", "replace").rstrip()
            if text:
                self.last_error = text
                if text.startswith("warning:"):
                    print(text, file=sys.stderr, flush=True)

    def _next(self):
        try:
            return read_frame(self.proc.stdout)
        except StreamEnded:
            code = self.proc.wait(timeout=30)
            time.sleep(0.1)  # let the stderr thread catch the last line
            raise RunError(f"the batch child (onnx-train batches) exited with status {code}: {self.last_error or 'no message'}") from None

    def next_batch(self, step: int, micro: int) -> dict[str, np.ndarray]:
        header, tensors = self._next()
        if header.get("step") != step or header.get("micro") != micro:
            raise RunError(f"batch child sent step {header.get('step')} micro {header.get('micro')}, expected step {step} micro {micro}")
        return tensors

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# --- ONNX Runtime on the rank's device --------------------------------------------------------------------

class Device:
    """Where the rank's tensors live: ('cpu', 0) or ('cuda', local_rank)."""

    def __init__(self, ep: str, local_rank: int, tf32: bool = False):
        import onnxruntime as ort
        import torch

        self.ort, self.torch = ort, torch
        self.kind = ep
        self.tf32 = tf32
        self.index = local_rank if ep == "cuda" else 0
        if ep == "cuda":
            have = ort.get_available_providers()
            if "CUDAExecutionProvider" not in have:
                raise RunError(f"--ep cuda: this onnxruntime {ort.__version__} has no CUDA execution provider (it has {', '.join(have)}): "
                               f"pip install onnxruntime-gpu=={ort.__version__} in place of onnxruntime, or use --ep cpu")
            if not torch.cuda.is_available():
                raise RunError(f"--ep cuda: torch {torch.__version__} sees no CUDA device (a CPU build, or no driver): install a CUDA build of torch, or use --ep cpu")
            if local_rank >= torch.cuda.device_count():
                raise RunError(f"local rank {local_rank} has no GPU: this node has {torch.cuda.device_count()}; lower --nproc-per-node")
            torch.cuda.set_device(local_rank)
        self.torch_device = torch.device("cuda", self.index) if ep == "cuda" else torch.device("cpu")

    def session(self, path: str, threads: int):
        ort = self.ort
        so = ort.SessionOptions()
        if threads:
            so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        # NOTE: ONNX Runtime's CUDA EP uses TF32 by default on Ampere and later; full float32 unless --tf32.
        cuda = {"device_id": str(self.index), "use_tf32": "1" if self.tf32 else "0"}
        providers = [("CUDAExecutionProvider", cuda)] if self.kind == "cuda" else []
        s = ort.InferenceSession(path, so, providers=providers + ["CPUExecutionProvider"])
        if self.kind == "cuda" and "CUDAExecutionProvider" not in s.get_providers():
            raise RunError(f"ONNX Runtime could not start its CUDA execution provider for {path} (CUDA or cuDNN libraries missing?): use --ep cpu or fix the CUDA install")
        return s

    def value(self, a: np.ndarray):
        """An OrtValue on this device holding a copy of `a`."""
        return self.ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(a), self.kind, self.index)

    def bind_tensor(self, io, name: str, t, output: bool):
        """Binds a contiguous float32 torch tensor's memory as input or output `name` (no copy)."""
        args = (name, self.kind, self.index, np.float32, list(t.shape), t.data_ptr())
        (io.bind_output if output else io.bind_input)(*args)


# --- the process group ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_group(backend: str, timeout: float):
    """The process group, on a store of its own per torchrun attempt.

    NOTE: after `--max-restarts` restarts the workers, torchrun's agent keeps the same store; keys the failed
    attempt wrote (each rank's gloo address) would still be there and a restarted rank could read a dead peer's
    address ("Connection refused"). Prefixing the store with the restart count keeps attempts apart.
    """
    import torch.distributed as dist

    if "WORLD_SIZE" not in os.environ:  # started without torchrun: a world of one
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    addr, port = os.environ.get("MASTER_ADDR", "?"), os.environ.get("MASTER_PORT", "?")
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    # Under torchrun's agent the agent hosts the store; started by hand, rank 0 does.
    agent_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() == "true"
    wait = datetime.timedelta(seconds=timeout)
    try:
        store = dist.TCPStore(addr, int(port), world, is_master=rank == 0 and not agent_store, timeout=wait)
        dist.init_process_group(backend, store=dist.PrefixStore(f"gvsl_onnx_dist/attempt{attempt}", store), rank=rank, world_size=world, timeout=wait)
    except Exception as e:  # noqa: BLE001 - torch raises RuntimeError/DistStoreError/DistNetworkError
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "address already in use" in str(e).lower() or "EADDRINUSE" in str(e):
            raise RunError(f"port {port} on {addr} is already in use (another run?): choose another --port / MASTER_PORT") from None
        raise RunError(f"could not join the process group at {addr}:{port} ({backend}): {msg}") from None
    return dist


def collective(what: str, fn, *args):
    """A collective; a peer that failed or stopped becomes one line (torchrun then stops or restarts the ranks)."""
    try:
        return fn(*args)
    except RuntimeError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise RunError(f"{what} failed: another rank stopped or cannot be reached ({first[:200]})") from None


def check_agreement(dist, digest: bytes, device, run: str, rank: int, world: int, steps: int):
    """Every rank must run the same prepared run (config, manifest, graphs) to the same step count."""
    import torch

    mine = torch.tensor(list(digest) + list(steps.to_bytes(8, "little")), dtype=torch.uint8, device=device)
    every = [torch.zeros_like(mine) for _ in range(world)]
    collective("the agreement check", dist.all_gather, every, mine)
    bad = [r for r in range(world) if not torch.equal(every[r], every[0])]
    if bad:
        raise RunError(f"rank(s) {', '.join(map(str, bad))} run a different prepared run or --steps than rank 0 (this rank {rank}: {run}): "
                       "every rank must see the same run folder (same config.json, manifest.json, graphs)")


# --- training ---------------------------------------------------------------------------------------------

def fault(where: str, step: int, rank: int):
    """Fault injection for the tests: GVSL_DIST_FAULT=rank:step:where kills this rank there (first attempt only)."""
    spec = os.environ.get("GVSL_DIST_FAULT")
    if not spec or os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") != "0":
        return
    r, s, w = spec.split(":")
    if int(r) == rank and int(s) == step and w == where:
        print(f"fault injected: rank {rank} dies at step {step} ({where})", file=sys.stderr, flush=True)
        os._exit(17)


def train(args) -> int:
    import torch

    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    run = os.path.abspath(args.run)
    config, manifest, digest = read_run(run)
    device = Device(args.ep, local_rank, args.tf32)
    dist = init_group("nccl" if args.ep == "cuda" else "gloo", args.timeout)
    try:
        world = dist.get_world_size()
        rank = dist.get_rank()
        steps = args.steps or config["steps"]
        check_agreement(dist, digest, device.torch_device, run, rank, world, steps)
        return train_rank(args, dist, device, run, config, manifest, rank, world, steps)
    finally:
        dist.destroy_process_group()


def train_rank(args, dist, device, run, config, manifest, rank, world, steps) -> int:
    import torch

    B, m = manifest["global_batch"], manifest["micro_batch"]
    if B % (world * m):
        raise RunError(f"the global batch {B} does not split into {world} rank(s) x micro-batches of {m}: use a world size that divides {B // m}")
    accum = B // (world * m)
    names = state_names(manifest)
    n = manifest["grads"]["elements"]
    terms = manifest["terms"]

    # The state: rank 0 reads the checkpoint and broadcasts it, so only rank 0's node needs the latest one.
    sizes = [int(np.prod(p["shape"])) for p in manifest["params"]]
    shapes = {p["name"]: tuple(p["shape"]) for p in manifest["params"]}
    for p in manifest["params"]:
        for s in manifest["optimizer"]["slots"]:
            shapes[s + p["name"]] = tuple(p["shape"])
    total = sum(int(np.prod(shapes[k])) for k in names)
    head = torch.zeros(1, dtype=torch.int64, device=device.torch_device)
    flat_state = torch.zeros(total, dtype=torch.float32, device=device.torch_device)
    meta = {}
    if rank == 0:
        start, state, meta = load_checkpoint(run, manifest)
        head[0] = start
        flat_state.copy_(torch.from_numpy(np.concatenate([state[k].ravel() for k in names])))
    collective("broadcasting the checkpoint", dist.broadcast, head, 0)
    collective("broadcasting the checkpoint", dist.broadcast, flat_state, 0)
    start = int(head.item())
    if start >= steps:
        raise RunError(f"the checkpoint is at step {start} and --steps is {steps}: nothing to do (raise --steps)")
    values, at = {}, 0
    host_state = flat_state.cpu().numpy()
    for k in names:
        size = int(np.prod(shapes[k]))
        values[k] = device.value(host_state[at : at + size].reshape(shapes[k]))
        at += size
    del flat_state, host_state

    grads_sess = device.session(os.path.join(run, manifest["grads"]["file"]), args.threads)
    apply_sess = device.session(os.path.join(run, manifest["apply"]["file"]), args.threads)
    apply_outputs = [o.name for o in apply_sess.get_outputs()]
    acc = torch.zeros(n, dtype=torch.float32, device=device.torch_device)  # the one all-reduced buffer
    micro_buf = torch.zeros(n, dtype=torch.float32, device=device.torch_device) if accum > 1 else acc
    term_buf = torch.zeros(len(terms), dtype=torch.float64, device=device.torch_device)
    lr = float(config["lr"])

    child = BatchChild(args.nodejs, args.cli or default_cli(), run, rank, world, start + 1, steps)
    metrics_path = os.path.join(run, "metrics.jsonl")
    if rank == 0:
        keep_metrics(metrics_path, start)
        log(args, f"rank 0 of {world} ({dist.get_backend()}, ep {args.ep}): steps {start + 1}..{steps}, global batch {B} = {world} x {accum} x {m}, "
            f"{n * 4 / 2**20:.2f} MiB of gradients all-reduced per step")
    t0 = time.perf_counter()
    totals = {"step": 0.0, "comm": 0.0, "data": 0.0, "n": 0}
    try:
        for step in range(start + 1, steps + 1):
            fault("step", step, rank)
            ts = time.perf_counter()
            term_sum = np.zeros(len(terms))
            data_s = 0.0
            for j in range(accum):
                td = time.perf_counter()
                batch = child.next_batch(step, j)
                data_s += time.perf_counter() - td
                io = grads_sess.io_binding()
                for name, a in batch.items():
                    io.bind_cpu_input(name, a)
                for p in manifest["params"]:
                    io.bind_ortvalue_input(p["name"], values[p["name"]])
                device.bind_tensor(io, "grads", micro_buf, output=True)
                for t in terms:
                    io.bind_output(t, "cpu")
                grads_sess.run_with_iobinding(io)
                io.synchronize_outputs()
                out = io.get_outputs()  # grads (bound above), then the terms, on the CPU
                term_sum += [float(out[1 + i].numpy()) for i in range(len(terms))]
                if accum > 1:
                    acc.add_(micro_buf) if j else acc.copy_(micro_buf)
            tc = time.perf_counter()
            term_buf.copy_(torch.from_numpy(term_sum))
            collective(f"step {step}: the gradient all-reduce", dist.all_reduce, acc)
            collective(f"step {step}: the gradient all-reduce", dist.all_reduce, term_buf)
            if device.kind == "cuda":
                torch.cuda.synchronize(device.torch_device)
            comm = time.perf_counter() - tc
            acc.div_(world * accum)
            mean_terms = (term_buf / (world * accum)).cpu().numpy()

            io = apply_sess.io_binding()
            io.bind_cpu_input("lr", np.array(lr, np.float32))
            io.bind_cpu_input("step", np.array(step, np.float32))
            for k in names:
                io.bind_ortvalue_input(k, values[k])
            device.bind_tensor(io, "grads", acc, output=False)
            for o in apply_outputs:
                io.bind_output(o, device.kind, device.index)
            apply_sess.run_with_iobinding(io)
            io.synchronize_outputs()
            for o, v in zip(apply_outputs, io.get_outputs()):
                if o.startswith("new."):
                    values[o[4:]] = v
            step_s = time.perf_counter() - ts

            line = {"step": step, "time": time.perf_counter() - t0, "lr": lr, **{t: float(mean_terms[i]) for i, t in enumerate(terms)}}
            bad = [t for t in terms if not np.isfinite(line[t])]
            if bad:
                raise RunError(f"step {step}: {bad[0]} is {line[bad[0]]}; training stopped (the last good checkpoint is {os.path.join(run, CHECKPOINT)}). Try a lower --lr or check the data.")
            totals["step"] += step_s
            totals["comm"] += comm
            totals["data"] += data_s
            totals["n"] += 1
            if rank == 0:
                line.update(step_s=step_s, comm_s=comm, data_s=data_s)
                with open(metrics_path, "a") as f:
                    f.write(json.dumps(line) + "\n")
                log(args, f"step {step}/{steps} " + " ".join(f"{t.replace('loss_', '')} {line[t]:.4g}" for t in terms) + f" | {step_s:.3f} s (all-reduce {comm:.3f} s)")
                if step % manifest["save_every"] == 0 or step == steps:
                    save_checkpoint(run, config, manifest, names, values, step, steps, world, accum, rank)
    finally:
        child.close()
    if rank == 0 and totals["n"]:
        k = totals["n"]
        summary = {"world": world, "accumulation": accum, "steps": k, "steps_per_s": k / totals["step"], "comm_share": totals["comm"] / totals["step"],
                   "data_wait_share": totals["data"] / totals["step"], "allreduce_bytes": n * 4}
        print("summary " + json.dumps(summary), file=sys.stderr, flush=True)
    return 0


def keep_metrics(path: str, start: int):
    """metrics.jsonl keeps the lines up to the starting step (as pretrain --resume does)."""
    kept = []
    if start > 0 and os.path.isfile(path):
        with open(path) as f:
            kept = [l for l in f if l.strip() and json.loads(l)["step"] <= start]
    tmp = path + f".{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.writelines(kept)
    os.replace(tmp, path)


def save_checkpoint(run, config, manifest, names, values, step, steps, world, accum, rank):
    """pretrain's checkpoint (same keys, same metadata) plus world size and data position, written atomically."""
    tensors = {k: values[k].numpy() for k in names}
    cfg = dict(config, steps=steps)
    meta = {
        "format": CHECKPOINT_FORMAT,
        "config": json.dumps(cfg, separators=(",", ":"), ensure_ascii=False),
        "step": str(step),
        "extra": "{}",
        "world_size": str(world),
        "data_position": json.dumps({"next_step": step + 1, "global_batch": manifest["global_batch"], "micro_batch": manifest["micro_batch"], "accumulation": accum}),
    }
    safetensors_io.write_atomic(os.path.join(run, CHECKPOINT), tensors, meta, _fault=lambda: fault("checkpoint", step, rank))


def log(args, msg: str):
    if not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    rank = os.environ.get("RANK", "0")
    try:
        return train(args)
    except RunError as e:
        print(f"gvsl_onnx_dist: rank {rank}: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
