"""PyTorch references for the registration similarity losses of graphs/similarity (test/graphs/similarity.test.ts).
Run with Debian's python3-torch (1.13):
  /usr/bin/python3 scripts/make_similarity_fixtures.py > test/graphs/fixtures/similarity.json
Each formula is written here from its published PyTorch form, independently of the TypeScript: local NCC as
VoxelMorph's torch NCC (plus GVSL's 1 - mean), SSIM as pytorch-ssim's 3-D version (full 3-D Gaussian window, not
separable), MI as TransMorph's MutualInformation (the torch port of VoxelMorph's Parzen-window MI), global NCC
and MSE by their definitions, MIND-SSC as Heinrich's MINDSSC (Learn2Reg baselines). Everything in float64: the loss and its gradient with respect to I (the warped
moving image, the first argument) for one pair of (N, 1, D, H, W) volumes stored in the JSON."""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
SHAPE = (2, 1, 7, 8, 9)


def local_ncc(I, J, win):
    filt = torch.ones((1, 1, win, win, win), dtype=I.dtype)
    pad = win // 2
    conv = lambda x: F.conv3d(x, filt, padding=pad)
    I_sum, J_sum, I2_sum, J2_sum, IJ_sum = conv(I), conv(J), conv(I * I), conv(J * J), conv(I * J)
    n = win ** 3
    u_I, u_J = I_sum / n, J_sum / n
    cross = IJ_sum - u_J * I_sum - u_I * J_sum + u_I * u_J * n
    I_var = I2_sum - 2 * u_I * I_sum + u_I * u_I * n
    J_var = J2_sum - 2 * u_J * J_sum + u_J * u_J * n
    cc = cross * cross / (I_var * J_var + 1e-5)
    return 1 - torch.mean(cc)


def global_ncc(I, J, eps=1e-8):
    a = (I - I.mean(dim=(1, 2, 3, 4), keepdim=True)).flatten(1)
    b = (J - J.mean(dim=(1, 2, 3, 4), keepdim=True)).flatten(1)
    cc = (a * b).mean(1) / torch.sqrt((a * a).mean(1) * (b * b).mean(1) + eps)
    return 1 - cc.mean()


def ssim3d(I, J, win=11, sigma=1.5):
    g = torch.tensor([math.exp(-((x - win // 2) ** 2) / (2 * sigma ** 2)) for x in range(win)], dtype=I.dtype)
    g = g / g.sum()
    w1 = g.unsqueeze(1)
    w2 = w1.mm(w1.t())
    w3 = w1.mm(w2.reshape(1, -1)).reshape(win, win, win).float().to(I.dtype)
    window = w3.expand(1, 1, win, win, win).contiguous()
    conv = lambda x: F.conv3d(x, window, padding=win // 2)
    mu1, mu2 = conv(I), conv(J)
    mu1_sq, mu2_sq, mu1_mu2 = mu1.pow(2), mu2.pow(2), mu1 * mu2
    s1 = conv(I * I) - mu1_sq
    s2 = conv(J * J) - mu2_sq
    s12 = conv(I * J) - mu1_mu2
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    m = ((2 * mu1_mu2 + C1) * (2 * s12 + C2)) / ((mu1_sq + mu2_sq + C1) * (s1 + s2 + C2))
    return 1 - m.mean()


def mutual_information(I, J, num_bin=32, sigma_ratio=1.0, minval=0.0, maxval=1.0):
    centres = torch.linspace(minval, maxval, num_bin, dtype=I.dtype)
    sigma = float((centres[1:] - centres[:-1]).mean()) * sigma_ratio
    preterm = 1 / (2 * sigma ** 2)
    y_true = torch.clamp(J, minval, maxval).reshape(J.shape[0], -1).unsqueeze(2)
    y_pred = torch.clamp(I, minval, maxval).reshape(I.shape[0], -1).unsqueeze(2)
    nb_voxels = y_pred.shape[1]
    vbc = centres.view(1, 1, -1)
    I_a = torch.exp(-preterm * torch.square(y_true - vbc))
    I_a = I_a / torch.sum(I_a, dim=-1, keepdim=True)
    I_b = torch.exp(-preterm * torch.square(y_pred - vbc))
    I_b = I_b / torch.sum(I_b, dim=-1, keepdim=True)
    pab = torch.bmm(I_a.permute(0, 2, 1), I_b) / nb_voxels
    pa = torch.mean(I_a, dim=1, keepdim=True)
    pb = torch.mean(I_b, dim=1, keepdim=True)
    papb = torch.bmm(pa.permute(0, 2, 1), pb) + 1e-6
    mi = torch.sum(torch.sum(pab * torch.log(pab / papb + 1e-6), dim=1), dim=1)
    return -mi.mean()


def pdist_squared(x):
    xx = (x ** 2).sum(dim=1).unsqueeze(2)
    yy = xx.permute(0, 2, 1)
    dist = xx + yy - 2.0 * torch.bmm(x.permute(0, 2, 1), x)
    dist[dist != dist] = 0
    return torch.clamp(dist, 0.0, float("inf"))


def mindssc(img, radius=2, dilation=2):
    """Heinrich's MINDSSC (as in the Learn2Reg baselines), on the CPU and in img's dtype."""
    kernel_size = radius * 2 + 1
    six = torch.Tensor([[0, 1, 1], [1, 1, 0], [1, 0, 1], [1, 1, 2], [2, 1, 1], [1, 2, 1]]).long()
    dist = pdist_squared(six.t().unsqueeze(0).float()).squeeze(0)
    x, y = torch.meshgrid(torch.arange(6), torch.arange(6), indexing="ij")
    mask = (x > y).view(-1) & (dist == 2).view(-1)
    idx_shift1 = six.unsqueeze(1).repeat(1, 6, 1).view(-1, 3)[mask, :]
    idx_shift2 = six.unsqueeze(0).repeat(6, 1, 1).view(-1, 3)[mask, :]
    mshift1 = torch.zeros(12, 1, 3, 3, 3, dtype=img.dtype)
    mshift1.view(-1)[torch.arange(12) * 27 + idx_shift1[:, 0] * 9 + idx_shift1[:, 1] * 3 + idx_shift1[:, 2]] = 1
    mshift2 = torch.zeros(12, 1, 3, 3, 3, dtype=img.dtype)
    mshift2.view(-1)[torch.arange(12) * 27 + idx_shift2[:, 0] * 9 + idx_shift2[:, 1] * 3 + idx_shift2[:, 2]] = 1
    rpad1 = torch.nn.ReplicationPad3d(dilation)
    rpad2 = torch.nn.ReplicationPad3d(radius)
    ssd = F.avg_pool3d(rpad2((F.conv3d(rpad1(img), mshift1, dilation=dilation) - F.conv3d(rpad1(img), mshift2, dilation=dilation)) ** 2), kernel_size, stride=1)
    mind = ssd - torch.min(ssd, 1, keepdim=True)[0]
    mind_var = torch.mean(mind, 1, keepdim=True)
    mind_var = torch.clamp(mind_var, mind_var.mean().item() * 0.001, mind_var.mean().item() * 1000)
    mind = mind / mind_var
    mind = torch.exp(-mind)
    return mind[:, torch.Tensor([6, 8, 1, 11, 2, 10, 0, 7, 9, 4, 5, 3]).long(), :, :, :]


def mind_loss(I, J):
    return torch.mean((mindssc(I) - mindssc(J)) ** 2)


def mse(I, J):
    return F.mse_loss(I, J)


# A moving image I and a fixed image J related by a nonlinear intensity map, a shift and noise, in [0, 1]
# (with a few values outside, so MI's clamp is exercised).
I0 = torch.rand(SHAPE, dtype=torch.float64)
I = F.avg_pool3d(I0, 3, stride=1, padding=1, count_include_pad=False)
I = (I - I.min()) / (I.max() - I.min()) * 1.1 - 0.05
J = torch.roll(1 - I ** 2, shifts=1, dims=3) + 0.05 * torch.rand(SHAPE, dtype=torch.float64)
# Round to float32 so that the float32 TypeScript graphs see exactly these inputs.
I = I.float().double()
J = J.float().double()

CASES = {
    "ncc_w9": (lambda a, b: local_ncc(a, b, 9), {"kind": "ncc"}),
    "ncc_w5": (lambda a, b: local_ncc(a, b, 5), {"kind": "ncc", "window": 5}),
    "ncc_global": (global_ncc, {"kind": "ncc-global"}),
    "mi_b32": (lambda a, b: mutual_information(a, b), {"kind": "mi"}),
    "mi_b16_s05": (lambda a, b: mutual_information(a, b, 16, 0.5), {"kind": "mi", "bins": 16, "sigmaRatio": 0.5}),
    "ssim_w11": (lambda a, b: ssim3d(a, b, 11, 1.5), {"kind": "ssim"}),
    "ssim_w5_s1": (lambda a, b: ssim3d(a, b, 5, 1.0), {"kind": "ssim", "window": 5, "sigma": 1.0}),
    "mse": (mse, {"kind": "mse"}),
    "mind": (mind_loss, {"kind": "mind"}),
}

out = {"torch": torch.__version__, "shape": list(SHAPE), "I": I.flatten().tolist(), "J": J.flatten().tolist(), "cases": {}}
for name, (fn, spec) in CASES.items():
    x = I.clone().requires_grad_(True)
    loss = fn(x, J)
    (g,) = torch.autograd.grad(loss, x)
    out["cases"][name] = {"spec": spec, "loss": loss.item(), "grad": [float("%.9g" % v) for v in g.flatten().tolist()]}
out["I"] = [float("%.9g" % v) for v in out["I"]]
out["J"] = [float("%.9g" % v) for v in out["J"]]
print(json.dumps(out))
