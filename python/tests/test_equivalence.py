"""Data parallelism changes nothing but rounding: 2 ranks x batch 1 == 1 rank x batch 2 == 1 rank accumulating
2 micro-batches == single-process Node `onnx-train pretrain` at batch 2, and resumption (single-process <->
distributed, after a crash of a rank or of a checkpoint write) continues the very same run.

On the tolerance. The runs see exactly the same samples (asserted through the losses of step 1, computed before
any update, and through every later step), but they sum gradients in different orders: the batch-2 graph
reduces over the batch inside its ops; the ranks all-reduce two batch-1 buffers and divide. That is float32
rounding of the gradients, ~1e-7 relative. Adam turns it into parameter differences that do NOT scale with the
gradient: its first steps move each parameter by about lr * m/sqrt(v), which is ±lr whatever the gradient's
size, so for parameters whose gradient is ~0 (e.g. biases feeding a GroupNorm, which has no gradient at all
up to rounding) rounding alone can flip the step's sign, a difference of up to 2·lr per step. Measured here
(5 steps, lr 1e-3): largest parameter difference 7.1e-7 = 0.0007·lr, losses within 1.8e-7 relative (1.5e-6 and
3e-7 on the bundled brain samples). So the bound is
0.05·lr on every parameter (30-70x the measured values, 40x below one Adam step of 1 lr, which any difference in
data or in the update would produce on most parameters) and 1e-5 relative on the losses. Runs that only differ
by where they stopped and resumed (same graphs, same world size, one thread) must agree exactly.
"""

from __future__ import annotations

import numpy as np
from conftest import STEPS, load, metrics, params_of

LR = 1e-3
PARAM_TOL = 0.05 * LR
LOSS_RTOL = 1e-5
TERMS = ["loss", "loss_ncc", "loss_mse", "loss_smooth"]


def assert_same_run(a: str, b: str, exact: bool = False):
    ma, mb = metrics(a), metrics(b)
    assert [l["step"] for l in ma] == list(range(1, STEPS + 1)), f"{a}: metrics steps {[l['step'] for l in ma]}"
    assert [l["step"] for l in mb] == list(range(1, STEPS + 1)), f"{b}: metrics steps {[l['step'] for l in mb]}"
    for la, lb in zip(ma, mb):
        for t in TERMS:
            if exact:
                assert la[t] == lb[t], (la["step"], t, la[t], lb[t])
            else:
                assert abs(la[t] - lb[t]) <= LOSS_RTOL * abs(lb[t]) + 1e-9, (la["step"], t, la[t], lb[t])
    (ta, meta_a), (tb, meta_b) = load(a), load(b)
    assert meta_a["step"] == meta_b["step"] == str(STEPS)
    assert sorted(ta) == sorted(tb), "the checkpoints hold different keys"
    worst = 0.0
    for k in params_of(tb):
        d = float(np.abs(ta[k].astype(np.float64) - tb[k]).max())
        worst = max(worst, d)
        if exact:
            assert np.array_equal(ta[k], tb[k]), (k, d)
    assert worst <= PARAM_TOL, f"largest parameter difference {worst:.3g} > {PARAM_TOL:.3g} (0.05 lr)"
    return worst


def test_two_ranks_equal_single_process_node_pretrain(runs):
    assert_same_run(runs["two"], runs["node5"])


def test_one_rank_batch_2_equals_node_and_two_ranks(runs):
    assert_same_run(runs["one_b2"], runs["node5"])
    assert_same_run(runs["one_b2"], runs["two"])


def test_accumulating_two_micro_batches_equals_two_ranks(runs):
    assert_same_run(runs["accum"], runs["two"])


def test_checkpoint_metadata_is_pretrains_plus_world_size_and_data_position(runs):
    import json

    (tn, mn), (td, md) = load(runs["node5"]), load(runs["two"])
    assert set(td) == set(tn)
    for k in tn:
        assert td[k].shape == tn[k].shape and td[k].dtype == tn[k].dtype, k
    assert set(md) == set(mn) | {"world_size", "data_position"}
    assert md["format"] == mn["format"] and md["step"] == mn["step"] == "5"
    # The same run configuration (the distributed runs checkpoint every 2 steps for the restart tests).
    assert dict(json.loads(md["config"]), saveEvery=0) == dict(json.loads(mn["config"]), saveEvery=0)
    assert md["world_size"] == "2"
    assert json.loads(md["data_position"]) == {"next_step": 6, "global_batch": 2, "micro_batch": 1, "accumulation": 1}


def test_resume_at_step_3_equals_a_straight_run(runs):
    # "resume" stopped at step 3 (its step-5 checkpoint write was killed) and was started again.
    assert "fault injected: rank 0 dies at step 5 (checkpoint)" in runs["logs"]["resume"]
    assert_same_run(runs["resume"], runs["accum"], exact=True)


def test_a_checkpoint_killed_mid_write_leaves_the_previous_one_loadable(runs):
    import glob
    import os

    tensors, meta = load(runs["resume_at3"])
    assert meta["step"] == "3"
    assert len(tensors) == len(load(runs["accum"])[0])
    # The interrupted write is a temporary file beside it, never the checkpoint itself.
    assert glob.glob(os.path.join(runs["resume_at3"], ".checkpoint.safetensors.*.tmp"))


def test_a_killed_rank_restarts_from_the_checkpoint_and_finishes_the_same_run(runs):
    log = runs["logs"]["killed"]
    assert "fault injected: rank 1 dies at step 4 (step)" in log
    assert_same_run(runs["killed"], runs["two"], exact=True)


def test_distributed_resumes_a_single_process_checkpoint(runs):
    assert_same_run(runs["node_to_dist"], runs["node5"])


def test_single_process_resumes_a_distributed_checkpoint(runs):
    assert_same_run(runs["dist_to_node"], runs["node5"])
