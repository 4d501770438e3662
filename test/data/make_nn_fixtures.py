#!/usr/bin/python3
"""PyTorch reference values for the nn modules (test/sdk/nn/torch-parity.test.ts).

Run with Debian's python3-torch (1.13): /usr/bin/python3 test/data/make_nn_fixtures.py
Writes test/data/nn/modules.json, functional.json and train-steps.json (values) and test/data/nn/bn-net.pth (a state_dict with BatchNorm buffers,
for the strict-loading test in test/runtime). Deterministic: one seed per case.

For each case: the float32 input x, the full state_dict (parameters AND buffers; non-default buffer values so
that eval mode and the running update are really exercised), the module's mode, the output y, a random r,
and the gradients of loss = sum(y * r) w.r.t. x and every parameter, plus the buffers after the forward pass
(train mode updates them). Reference values are computed in float64 from the float32 inputs.
"""
import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))

# name, constructor, input shape, mode. The TypeScript test builds the same modules by name.
CASES = [
    ("conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), [2, 3, 9], "train"),
    ("conv2d_groups_dilation", lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), [2, 4, 7, 8], "train"),
    ("conv2d_same_even_kernel", lambda: nn.Conv2d(2, 3, 4, padding="same", bias=False), [1, 2, 6, 5], "train"),
    ("conv2d_valid", lambda: nn.Conv2d(2, 3, 3, padding="valid"), [1, 2, 5, 5], "train"),
    ("conv3d", lambda: nn.Conv3d(2, 3, 3, stride=2, padding=1), [1, 2, 5, 6, 5], "train"),
    ("conv2d_reflect", lambda: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="reflect"), [1, 2, 5, 6], "train"),
    ("conv1d_circular", lambda: nn.Conv1d(2, 2, 3, padding=2, padding_mode="circular"), [2, 2, 6], "train"),
    ("conv3d_replicate_same", lambda: nn.Conv3d(1, 2, (3, 2, 3), padding="same", padding_mode="replicate"), [1, 1, 4, 3, 4], "train"),
    ("conv_transpose1d", lambda: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1), [2, 3, 5], "train"),
    ("conv_transpose2d_groups", lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2), [1, 4, 4, 3], "train"),
    ("conv_transpose2d_dilation", lambda: nn.ConvTranspose2d(2, 3, 3, padding=2, dilation=2), [1, 2, 5, 5], "train"),
    ("conv_transpose3d", lambda: nn.ConvTranspose3d(2, 2, 2, stride=2, bias=False), [1, 2, 3, 3, 2], "train"),
    ("batchnorm1d_2d_input_train", lambda: nn.BatchNorm1d(3), [4, 3], "train"),
    ("batchnorm1d_train", lambda: nn.BatchNorm1d(3), [4, 3, 5], "train"),
    ("batchnorm2d_train", lambda: nn.BatchNorm2d(3), [2, 3, 4, 5], "train"),
    ("batchnorm2d_eval", lambda: nn.BatchNorm2d(3), [2, 3, 4, 5], "eval"),
    ("batchnorm3d_cumulative_train", lambda: nn.BatchNorm3d(2, momentum=None, eps=1e-3), [2, 2, 3, 2, 3], "train"),
    ("batchnorm2d_untracked_eval", lambda: nn.BatchNorm2d(3, affine=False, track_running_stats=False), [2, 3, 3, 3], "eval"),
    ("instancenorm1d", lambda: nn.InstanceNorm1d(3), [2, 3, 7], "train"),
    ("instancenorm2d_affine_tracked_train", lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), [2, 3, 4, 5], "train"),
    ("instancenorm3d_tracked_eval", lambda: nn.InstanceNorm3d(2, track_running_stats=True), [2, 2, 3, 3, 2], "eval"),
    ("groupnorm_1d", lambda: nn.GroupNorm(2, 4), [2, 4, 6], "train"),
    ("groupnorm_2d", lambda: nn.GroupNorm(3, 6, eps=1e-3), [2, 6, 3, 4], "train"),
    ("groupnorm_no_affine", lambda: nn.GroupNorm(1, 3, affine=False), [2, 3, 5], "train"),
    ("maxpool1d", lambda: nn.MaxPool1d(3, stride=2, padding=1), [2, 3, 9], "train"),
    ("maxpool2d_stem", lambda: nn.MaxPool2d(3, stride=2, padding=1), [2, 2, 7, 8], "train"),
    ("maxpool2d_ceil", lambda: nn.MaxPool2d(2, stride=2, ceil_mode=True), [1, 2, 5, 5], "train"),
    ("maxpool2d_dilation", lambda: nn.MaxPool2d(2, stride=1, dilation=2), [1, 2, 6, 5], "train"),
    ("maxpool3d", lambda: nn.MaxPool3d(3, stride=2, padding=1), [1, 2, 5, 5, 4], "train"),
    ("avgpool1d_pad", lambda: nn.AvgPool1d(3, stride=2, padding=1), [2, 3, 8], "train"),
    ("avgpool2d_ceil_exclude_pad", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [1, 2, 6, 6], "train"),
    ("avgpool2d_ceil_include_pad", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), [1, 2, 6, 6], "train"),
    ("avgpool3d", lambda: nn.AvgPool3d(2), [1, 2, 4, 4, 5], "train"),
    ("adaptive_avgpool1d", lambda: nn.AdaptiveAvgPool1d(3), [2, 3, 7], "train"),
    ("adaptive_avgpool2d", lambda: nn.AdaptiveAvgPool2d((3, 4)), [1, 2, 7, 6], "train"),
    ("adaptive_avgpool2d_global", lambda: nn.AdaptiveAvgPool2d(1), [2, 3, 4, 5], "train"),
    ("adaptive_avgpool3d", lambda: nn.AdaptiveAvgPool3d((2, 1, 3)), [1, 2, 5, 3, 4], "train"),
    ("adaptive_maxpool1d", lambda: nn.AdaptiveMaxPool1d(4), [2, 2, 7], "train"),
    ("adaptive_maxpool2d", lambda: nn.AdaptiveMaxPool2d((2, 3)), [1, 2, 5, 7], "train"),
    ("adaptive_maxpool3d", lambda: nn.AdaptiveMaxPool3d(2), [1, 1, 4, 4, 4], "train"),
    ("upsample_nearest2d", lambda: nn.Upsample(scale_factor=2, mode="nearest"), [1, 2, 3, 4], "train"),
    ("upsample_nearest3d_size", lambda: nn.Upsample(size=(3, 5, 4), mode="nearest"), [1, 1, 2, 3, 3], "train"),
    ("upsample_linear1d", lambda: nn.Upsample(size=9, mode="linear"), [2, 2, 5], "train"),
    ("upsample_bilinear_size", lambda: nn.Upsample(size=(7, 5), mode="bilinear"), [1, 2, 3, 4], "train"),
    ("upsample_bilinear_align", lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), [1, 2, 3, 4], "train"),
    ("upsample_trilinear_align", lambda: nn.Upsample(scale_factor=2, mode="trilinear", align_corners=True), [1, 1, 2, 3, 2], "train"),
    ("flatten", lambda: nn.Flatten(), [2, 3, 2, 2], "train"),
    ("flatten_0_2", lambda: nn.Flatten(0, 2), [2, 3, 2, 2], "train"),
    ("identity", lambda: nn.Identity(), [2, 3], "train"),
    ("dropout_eval", lambda: nn.Dropout(0.3), [2, 3, 4], "eval"),
    ("dropout2d_eval", lambda: nn.Dropout2d(0.3), [2, 3, 4, 4], "eval"),
]


import torch.nn.functional as F

# Functional forms: name, [(shape, kind)] with kind 'randn', or containing 'pos' (positive: variances) and/or
# 'const' (no gradient: running statistics), and the call. The TypeScript test calls the same F function by name.
FUNCTIONAL = [
    ("conv2d", [([1, 2, 5, 6], "randn"), ([3, 2, 3, 3], "randn"), ([3], "randn")], lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)),
    ("conv1d_same_dilation", [([2, 2, 7], "randn"), ([3, 2, 3], "randn")], lambda x, w: F.conv1d(x, w, None, padding="same", dilation=2)),
    ("conv3d_groups", [([1, 4, 3, 4, 3], "randn"), ([4, 2, 2, 2, 2], "randn")], lambda x, w: F.conv3d(x, w, groups=2)),
    ("conv_transpose1d", [([1, 2, 4], "randn"), ([2, 3, 3], "randn"), ([3], "randn")], lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2)),
    ("conv_transpose2d", [([1, 2, 3, 3], "randn"), ([2, 2, 3, 3], "randn")], lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)),
    ("conv_transpose3d_groups", [([1, 2, 2, 2, 2], "randn"), ([2, 1, 3, 3, 3], "randn")], lambda x, w: F.conv_transpose3d(x, w, stride=2, groups=2)),
    ("max_pool2d", [([1, 2, 7, 7], "randn")], lambda x: F.max_pool2d(x, 3, 2, 1)),
    ("max_pool1d_ceil_dilation", [([1, 2, 10], "randn")], lambda x: F.max_pool1d(x, 2, stride=3, dilation=2, ceil_mode=True)),
    ("max_pool3d", [([1, 1, 4, 5, 4], "randn")], lambda x: F.max_pool3d(x, 2, stride=1)),
    ("avg_pool1d", [([2, 2, 9], "randn")], lambda x: F.avg_pool1d(x, 4, stride=2, padding=2)),
    ("avg_pool2d", [([1, 2, 5, 7], "randn")], lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2))),
    ("avg_pool3d_exclude_pad", [([1, 1, 4, 5, 4], "randn")], lambda x: F.avg_pool3d(x, 3, stride=2, padding=1, count_include_pad=False)),
    ("avg_pool2d_divisor_override", [([1, 2, 5, 6], "randn")], lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, divisor_override=4)),
    ("adaptive_avg_pool2d", [([1, 2, 5, 7], "randn")], lambda x: F.adaptive_avg_pool2d(x, (2, 3))),
    ("adaptive_max_pool1d", [([2, 2, 9], "randn")], lambda x: F.adaptive_max_pool1d(x, 4)),
    ("adaptive_avg_pool3d", [([1, 2, 3, 5, 4], "randn")], lambda x: F.adaptive_avg_pool3d(x, (2, 2, 2))),
    ("interpolate_nearest1d_x3", [([1, 2, 4], "randn")], lambda x: F.interpolate(x, scale_factor=3, mode="nearest")),
    ("interpolate_bilinear_down", [([1, 2, 7, 6], "randn")], lambda x: F.interpolate(x, size=(4, 3), mode="bilinear", align_corners=False)),
    ("interpolate_trilinear_size_align", [([1, 1, 3, 2, 3], "randn")], lambda x: F.interpolate(x, size=(5, 4, 4), mode="trilinear", align_corners=True)),
    ("batch_norm_training", [([3, 2, 4], "randn"), ([2], "randn"), ([2], "randn")], lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    ("batch_norm_eval", [([3, 2, 2, 2], "randn"), ([2], "const"), ([2], "pos const"), ([2], "randn"), ([2], "randn")], lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3)),
    ("instance_norm", [([2, 3, 5], "randn"), ([3], "randn"), ([3], "randn")], lambda x, w, b: F.instance_norm(x, weight=w, bias=b)),
    ("group_norm", [([2, 4, 3, 2], "randn"), ([4], "randn"), ([4], "randn")], lambda x, w, b: F.group_norm(x, 2, w, b)),
    ("pad_constant", [([1, 2, 3, 4], "randn")], lambda x: F.pad(x, (1, 2, 0, 1), value=0.5)),
    ("pad_reflect", [([1, 2, 4, 5], "randn")], lambda x: F.pad(x, (2, 1, 3, 0), mode="reflect")),
    ("pad_replicate_3d", [([1, 1, 2, 3, 3], "randn")], lambda x: F.pad(x, (1, 0, 2, 1, 1, 1), mode="replicate")),
    ("pad_circular_1d", [([2, 2, 5], "randn")], lambda x: F.pad(x, (3, 2), mode="circular")),
    ("flatten", [([2, 3, 2, 2], "randn")], lambda x: torch.flatten(x, 1, 2)),
    ("dropout_eval", [([2, 3], "randn")], lambda x: F.dropout(x, 0.3, training=False)),
]


def make_functional(index, name, specs, fn):
    torch.manual_seed(5000 + index)
    xs32 = [torch.rand(s) + 0.5 if "pos" in kind else torch.randn(s) for s, kind in specs]
    xs = [x.double().requires_grad_("const" not in kind) for x, (_, kind) in zip(xs32, specs)]
    y = fn(*xs)
    r32 = torch.randn(y.shape)
    (y * r32.double()).sum().backward()
    return {"name": name, "inputs": [arr(x) for x in xs32], "const": ["const" in kind for _, kind in specs],
            "r": arr(r32), "y": arr(y), "grads": [arr(x.grad) if x.grad is not None else None for x in xs]}


def arr(t):
    t = t.detach()
    if t.dtype == torch.int64:
        return {"dtype": "int64", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": "float32", "shape": list(t.shape), "data": [float(v) for v in t.double().reshape(-1).tolist()]}


def make(index, name, ctor, shape, mode):
    torch.manual_seed(1000 + index)
    m = ctor()
    # Non-default parameter and buffer values (affine weights ones / zeros would hide mistakes).
    with torch.no_grad():
        for k, v in m.state_dict().items():
            if k.endswith("num_batches_tracked"):
                v.fill_(5)
            elif k.endswith("running_var"):
                v.copy_(torch.rand(v.shape) + 0.5)
            elif k.endswith("running_mean") or k.endswith(".weight") or k.endswith(".bias") or k in ("weight", "bias"):
                v.copy_(torch.randn(v.shape) * 0.5 + (1.0 if k.endswith("weight") and v.dim() == 1 else 0.0))
    state = {k: arr(v) for k, v in m.state_dict().items()}
    x32 = torch.randn(shape)
    r32 = None
    m = m.double()
    m.train(mode == "train")
    x = x32.double().requires_grad_(True)
    y = m(x)
    r32 = torch.randn(y.shape)
    loss = (y * r32.double()).sum()
    loss.backward()
    grads = {"x": arr(x.grad)}
    for k, p in m.named_parameters():
        grads[k] = arr(p.grad)
    after = {k: arr(v.float() if v.dtype == torch.float64 else v) for k, v in m.named_buffers()}
    return {"name": name, "mode": mode, "x": arr(x32), "r": arr(r32), "state": state, "y": arr(y), "grads": grads, "buffers_after": after}


class StemNet(nn.Module):
    """A ResNet-style stem and head: Conv-BN-ReLU, the 3/2/1 max-pool, global average pool, Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.gap(self.pool(torch.relu(self.bn(self.conv(x))))), 1))


def make_train_steps():
    """Two SGD (momentum 0.9, lr 0.1) steps of StemNet on an MSE loss, in float64 from float32 values."""
    torch.manual_seed(9000)
    net = StemNet()
    state = {k: arr(v) for k, v in net.state_dict().items()}
    batches = [(torch.randn(4, 2, 9, 9), torch.randn(4, 3)) for _ in range(2)]
    net = net.double().train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for x, t in batches:
        opt.zero_grad()
        loss = ((net(x.double()) - t.double()) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"state": state, "batches": [{"x": arr(x), "t": arr(t)} for x, t in batches], "losses": losses,
            "after": {k: arr(v.float() if v.dtype == torch.float64 else v) for k, v in net.state_dict().items()}}


def main():
    cases = [make(i, *c) for i, c in enumerate(CASES)]
    os.makedirs(os.path.join(HERE, "nn"), exist_ok=True)
    with open(os.path.join(HERE, "nn", "modules.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
    with open(os.path.join(HERE, "nn", "functional.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": [make_functional(i, *c) for i, c in enumerate(FUNCTIONAL)]}, f, separators=(",", ":"))

    with open(os.path.join(HERE, "nn", "train-steps.json"), "w") as f:
        json.dump({"torch": torch.__version__, **make_train_steps()}, f, separators=(",", ":"))

    # A small BatchNorm network's state_dict (parameters + buffers incl. num_batches_tracked) for strict loading.
    torch.manual_seed(7)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1))
    net.train()
    for _ in range(3):
        net(torch.randn(2, 3, 5, 5))
    torch.save(net.state_dict(), os.path.join(HERE, "nn", "bn-net.pth"))


if __name__ == "__main__":
    main()
