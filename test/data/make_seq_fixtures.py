#!/usr/bin/python3
"""PyTorch fixtures for the sequence modules, activations and losses (test/sdk/nn/seq-parity.test.ts).

Run with Debian's python3-torch 1.13:  /usr/bin/python3 test/data/make_seq_fixtures.py
Writes test/data/seq-fixtures.json: for every case, its float32 inputs, the module's state_dict, and PyTorch's
float64 outputs and gradients of the scalar L = sum over outputs of sum(r * y) (r: random cotangents, stored)
with respect to every differentiated input and every parameter. Deterministic (seeded); dropout is 0, or > 0
with the module in eval mode (where it is the identity). Modules run in train mode with autograd on, so 1.13's MultiheadAttention/TransformerEncoderLayer
take the slow (reference) path, not the fused inference fast path.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seq-fixtures.json')


def arr(t):
    t = t.detach()
    dtype = {torch.float32: 'float32', torch.float64: 'float32', torch.int64: 'int64', torch.bool: 'bool'}[t.dtype]
    flat = t.reshape(-1).tolist()
    if dtype == 'float32':
        data = [float(format(v, '.9g')) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {'dtype': dtype, 'shape': list(t.shape), 'data': data}


def f32(*shape, scale=1.0, offset=0.0):
    """float32-representable random values, returned as float64 (the reference runs in float64)."""
    return (torch.randn(*shape) * scale + offset).float().double()


def case(module, inputs, fn, diff=None):
    """inputs: name -> tensor (float64 / int64 / bool); fn(module, **inputs) -> tensor or tuple of tensors."""
    diff = [k for k, v in inputs.items() if v.is_floating_point()] if diff is None else diff
    if module is not None:
        module = module.double()
        with torch.no_grad():  # parameters rounded to float32 values, as the TypeScript side feeds them
            for p in module.parameters():
                p.copy_(p.float().double())
    ins = {k: (v.clone().requires_grad_(k in diff) if v.is_floating_point() else v) for k, v in inputs.items()}
    out = fn(module, **ins)
    outs = out if isinstance(out, tuple) else (out,)
    outs = {f'y{i}': y for i, y in enumerate(outs) if y is not None}
    cots = {k: torch.randn(y.shape).float().double() for k, y in outs.items() if y.is_floating_point()}
    params = dict(module.named_parameters()) if module is not None else {}
    wrt = [ins[k] for k in diff] + list(params.values())
    if wrt:
        loss = sum((cots[k] * outs[k]).sum() for k in cots)
        grads = torch.autograd.grad(loss, wrt, allow_unused=True)
    else:
        grads = []
    grads = [g if g is not None else torch.zeros_like(w) for g, w in zip(grads, wrt)]
    names = [f'input:{k}' for k in diff] + [f'param:{k}' for k in params]
    return {
        'inputs': {k: arr(v) for k, v in inputs.items()},
        'params': {k: arr(v) for k, v in module.state_dict().items()} if module is not None else {},
        'outputs': {k: arr(y) for k, y in outs.items()},
        'cotangents': {k: arr(v) for k, v in cots.items()},
        'grads': {n: arr(g) for n, g in zip(names, grads)},
    }


def mod(m):
    return lambda module, **kw: module(*kw.values())


C = {}
# --- activations (modules; each calls its functional form) ---
x = lambda: f32(2, 3, 4, scale=2)
C['ReLU'] = case(nn.ReLU(), {'x': x()}, mod(None))
C['LeakyReLU'] = case(nn.LeakyReLU(0.2), {'x': x()}, mod(None))
C['PReLU'] = case(nn.PReLU(), {'x': x()}, mod(None))
C['PReLU3'] = case(nn.PReLU(3, init=0.1), {'x': x()}, mod(None))
C['ELU'] = case(nn.ELU(alpha=0.7), {'x': x()}, mod(None))
C['GELU'] = case(nn.GELU(), {'x': x()}, mod(None))
C['GELUtanh'] = case(nn.GELU(approximate='tanh'), {'x': x()}, mod(None))
C['SiLU'] = case(nn.SiLU(), {'x': x()}, mod(None))
C['Mish'] = case(nn.Mish(), {'x': x()}, mod(None))
C['Sigmoid'] = case(nn.Sigmoid(), {'x': x()}, mod(None))
C['Tanh'] = case(nn.Tanh(), {'x': x()}, mod(None))
C['Hardswish'] = case(nn.Hardswish(), {'x': f32(2, 3, 4, scale=4)}, mod(None))
C['Softmax'] = case(nn.Softmax(dim=1), {'x': x()}, mod(None))
C['LogSoftmax'] = case(nn.LogSoftmax(dim=-1), {'x': f32(2, 3, 4, scale=40)}, mod(None))
# --- layers ---
C['Linear'] = case(nn.Linear(5, 3), {'x': f32(2, 4, 5)}, mod(None))
C['LinearNoBias'] = case(nn.Linear(5, 3, bias=False), {'x': f32(4, 5)}, mod(None))
C['LayerNorm'] = case(nn.LayerNorm(5), {'x': f32(2, 3, 5, offset=1)}, mod(None))
C['LayerNorm2d'] = case(nn.LayerNorm([3, 5], eps=1e-3), {'x': f32(2, 3, 5)}, mod(None))
C['LayerNormNoAffine'] = case(nn.LayerNorm(5, elementwise_affine=False), {'x': f32(2, 3, 5)}, mod(None))
C['Embedding'] = case(nn.Embedding(10, 4, padding_idx=2), {'idx': torch.tensor([[1, 2, 9], [2, 0, 1]])}, mod(None))

E, H = 8, 2
C['MHAself'] = case(nn.MultiheadAttention(E, H), {'x': f32(5, 3, E)},
                    lambda m, x: m(x, x, x))
C['MHAcross'] = case(nn.MultiheadAttention(E, H, batch_first=True),
                     {'q': f32(2, 4, E), 'k': f32(2, 6, E), 'v': f32(2, 6, E),
                      'kpm': torch.tensor([[False] * 4 + [True] * 2, [False] * 6]), 'am': f32(4, 6)},
                     lambda m, q, k, v, kpm, am: m(q, k, v, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False))
causal3 = torch.triu(torch.ones(4, 4, dtype=torch.bool), 1).repeat(3 * H, 1, 1)
causal3[1, 2, 0] = True  # one head of one sample differs
C['MHAmask3d'] = case(nn.MultiheadAttention(E, H, bias=False), {'x': f32(4, 3, E), 'am': causal3},
                      lambda m, x, am: m(x, x, x, attn_mask=am))
C['EncoderLayerPost'] = case(nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0), {'x': f32(5, 2, E)}, mod(None))
C['EncoderLayerPre'] = case(nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0, activation='gelu', batch_first=True,
                                                       norm_first=True, layer_norm_eps=1e-4),
                            {'x': f32(2, 5, E), 'kpm': torch.tensor([[False] * 5, [False] * 3 + [True] * 2])},
                            lambda m, x, kpm: m(x, src_key_padding_mask=kpm))
# Eval mode with dropout > 0: dropout is the identity (autograd on, so still 1.13's slow path).
C['MHAeval'] = case(nn.MultiheadAttention(E, H, dropout=0.3).eval(), {'x': f32(5, 3, E)}, lambda m, x: m(x, x, x))
C['EncoderLayerEval'] = case(nn.TransformerEncoderLayer(E, H, dim_feedforward=16, activation='gelu').eval(), {'x': f32(5, 2, E)}, mod(None))
causal = torch.triu(torch.full((5, 5), float('-inf')), 1).double()
C['Encoder'] = case(nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0), 2, norm=nn.LayerNorm(E)),
                    {'x': f32(5, 2, E), 'mask': causal}, lambda m, x, mask: m(x, mask=mask))

# --- losses (functional forms; modules call them) ---
def ce_idx(weight=None, **kw):
    return lambda m, x, t: F.cross_entropy(x, t, weight=weight, **kw)


w5 = torch.rand(5).float().double() + 0.5
C['CE'] = case(None, {'x': f32(4, 5), 't': torch.tensor([0, 3, 1, 4])}, ce_idx())
C['CEweighted'] = case(None, {'x': f32(6, 5), 't': torch.tensor([0, 3, 1, 4, 1, 2]), 'w': w5},
                       lambda m, x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=1, label_smoothing=0.1), diff=['x'])
C['CEkdim'] = case(None, {'x': f32(2, 3, 4, 5), 't': torch.randint(0, 3, (2, 4, 5))},
                   lambda m, x, t: F.cross_entropy(x, t, reduction='none', label_smoothing=0.2))
C['CEunbatched'] = case(None, {'x': f32(5), 't': torch.tensor(3)}, ce_idx())
C['CEkdimWeighted'] = case(None, {'x': f32(2, 3, 4), 't': torch.tensor([[0, 2, 1, 2], [1, 1, 0, 2]]), 'w': w5[:3]},
                           lambda m, x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=2), diff=['x'])
C['CEprobs'] = case(None, {'x': f32(4, 5), 'p': torch.softmax(f32(4, 5), 1).float().double(), 'w': w5},
                    lambda m, x, p, w: F.cross_entropy(x, p, weight=w, label_smoothing=0.2, reduction='sum'), diff=['x', 'p'])
C['NLL'] = case(None, {'x': torch.log_softmax(f32(6, 5), 1).float().double(), 't': torch.tensor([0, 3, 1, 4, 1, 2]), 'w': w5},
                lambda m, x, t, w: F.nll_loss(x, t, weight=w, ignore_index=3), diff=['x'])
C['NLLsum'] = case(None, {'x': f32(2, 3, 4), 't': torch.randint(0, 3, (2, 4))}, lambda m, x, t: F.nll_loss(x, t, reduction='sum'))
C['BCE'] = case(None, {'x': torch.sigmoid(f32(3, 4)).float().double(), 't': torch.rand(3, 4).float().double(), 'w': torch.rand(4).float().double()},
                lambda m, x, t, w: F.binary_cross_entropy(x, t, weight=w), diff=['x'])
C['BCElogits'] = case(None, {'x': f32(3, 4, scale=3), 't': torch.rand(3, 4).float().double(), 'w': torch.rand(3, 1).float().double(),
                             'pw': torch.rand(4).float().double() * 3},
                      lambda m, x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw), diff=['x', 't'])
C['BCElogitsNone'] = case(None, {'x': f32(3, 4, scale=3), 't': torch.rand(3, 4).float().double()},
                          lambda m, x, t: F.binary_cross_entropy_with_logits(x, t, reduction='none'))
C['MSE'] = case(None, {'x': f32(3, 4), 't': f32(3, 4)}, lambda m, x, t: F.mse_loss(x, t))
C['L1'] = case(None, {'x': f32(3, 4), 't': f32(3, 4)}, lambda m, x, t: F.l1_loss(x, t, reduction='sum'))
C['SmoothL1'] = case(None, {'x': f32(3, 4), 't': f32(3, 4)}, lambda m, x, t: F.smooth_l1_loss(x, t, beta=0.5))
C['Huber'] = case(None, {'x': f32(3, 4), 't': f32(3, 4)}, lambda m, x, t: F.huber_loss(x, t, delta=0.7, reduction='none'))
pz = torch.softmax(f32(3, 5), 1)
pz[0, 1] = 0.0
C['KLbatchmean'] = case(None, {'x': torch.log_softmax(f32(3, 5), 1).float().double(), 'p': pz.float().double()},
                        lambda m, x, p: F.kl_div(x, p, reduction='batchmean'), diff=['x'])  # d/dp at p = 0 is NaN in PyTorch
C['KLlogTarget'] = case(None, {'x': torch.log_softmax(f32(3, 5), 1).float().double(), 'lp': torch.log_softmax(f32(3, 5), 1).float().double()},
                        lambda m, x, lp: F.kl_div(x, lp, reduction='sum', log_target=True))
C['KLmean'] = case(None, {'x': torch.log_softmax(f32(3, 5), 1).float().double(), 'p': torch.softmax(f32(3, 5), 1).float().double()},
                   lambda m, x, p: F.kl_div(x, p))
C['Cosine'] = case(None, {'a': f32(4, 6), 'b': f32(4, 6)}, lambda m, a, b: F.cosine_similarity(a, b))
C['CosineLast'] = case(None, {'a': f32(2, 3, 5), 'b': f32(2, 3, 5)}, lambda m, a, b: F.cosine_similarity(a, b, dim=-1))


def dice(p, g, smooth=1.0):
    """The multi-class soft Dice of docs/nn-sequence.md (GVSL's official dice_loss)."""
    sp = tuple(range(2, p.dim()))
    d = (2 * (p * g).sum(sp) + smooth) / ((g * g).sum(sp) + (p * p).sum(sp) + smooth)
    return 1 - d.mean()


labels = torch.randint(0, 3, (2, 4, 5))
C['Dice'] = case(None, {'x': f32(2, 3, 4, 5), 't': labels},
                 lambda m, x, t: dice(torch.softmax(x, 1), F.one_hot(t, 3).permute(0, 3, 1, 2).double()))

C['OneHot'] = case(None, {'t': torch.tensor([[0, 3, 1], [2, 2, 4]])}, lambda m, t: F.one_hot(t, 5))

with open(OUT, 'w') as fh:
    json.dump({'torch': torch.__version__, 'cases': C}, fh, separators=(',', ':'))
print(f'wrote {OUT}: {len(C)} cases, {os.path.getsize(OUT)} bytes')
