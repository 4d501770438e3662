"""PyTorch references for the examples' parity tests (test/examples/*-parity.test.ts). Debian's python3-torch (1.13);
the tests never need torch.

    /usr/bin/python3 scripts/make-example-parity.py     # from the repository root

For each of examples/resnet-cnn.ts, seg3d-residual.ts and transformer-encoder.ts, built here in PyTorch at a tiny
width with a fixed seed, it writes into test/examples/fixtures/:
- <name>.pth      torch.save(state_dict): the weights the TypeScript model must load strictly. Zero/one-initialised
                  entries (biases, BatchNorm affine and running statistics, num_batches_tracked) are perturbed
                  first, so that a swapped or ignored entry changes the outputs.
- <name>-ref.pth  a dict of tensors: the batch (x, y); `eval.logits` (eval mode at those weights); `loss` and
                  `grad.<param>` of the training-mode loss at those weights; `sgd1.<buffer>` (the buffers after
                  that one training-mode step); and `step<k>.loss`, `step<k>.<key>` (every parameter and buffer
                  after k steps, k = 1, 2) of the example's optimizer at a fixed learning rate.
"""
import os

import torch
from torch import nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'examples', 'fixtures')


# --- the models, as the examples define them --------------------------------------------------------------------

class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = self.downsample(x) if self.downsample is not None else x
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + identity)


class TinyResNet(nn.Module):
    def __init__(self, width, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(width, width))
        self.layer2 = nn.Sequential(BasicBlock(width, 2 * width, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, classes)
        for m in self.modules():  # torchvision.models.ResNet's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        h = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(self.layer2(self.layer1(h))), 1))


class ResBlock3d(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv1 = nn.Conv3d(ch, ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(ch)
        self.conv2 = nn.Conv3d(ch, ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(ch)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + x)


class ResSegNet3d(nn.Module):
    def __init__(self, width, classes, depth):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(1, width, 3, padding=1, bias=False), nn.BatchNorm3d(width))
        self.blocks = nn.Sequential(*[ResBlock3d(width) for _ in range(depth)])
        self.head = nn.Conv3d(width, classes, 1)

    def forward(self, x):
        return self.head(self.blocks(F.relu(self.stem(x))))


class EncoderClassifier(nn.Module):
    def __init__(self, seq_len, d_model, nhead, layers, classes, vocab=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(seq_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, classes)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1])
        return self.fc(self.encoder(self.tok(tokens) + self.pos(positions)).mean(1))


def dice_loss(p, y, smooth=1.0):
    """F.diceLoss of sdk/functional (squared, smooth 1, mean over samples and classes), written independently."""
    g = F.one_hot(y, p.shape[1]).movedim(-1, 1).to(p.dtype)
    sp = tuple(range(2, p.dim()))
    inter = (p * g).sum(sp)
    return (1 - (2 * inter + smooth) / ((g * g).sum(sp) + (p * p).sum(sp) + smooth)).mean()


def seg_loss(logits, y):
    return F.cross_entropy(logits, y) + dice_loss(F.softmax(logits, 1), y)


# --- the fixture ------------------------------------------------------------------------------------------------

def perturb(model, gen):
    """Non-trivial values for the entries PyTorch initialises to constants (0, 1), so each one matters."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.add_(0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.add_(0.2 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.add_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.mul_(torch.exp(0.3 * torch.randn(m.running_var.shape, generator=gen)))
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, nn.LayerNorm):
                m.weight.add_(0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.add_(0.2 * torch.randn(m.bias.shape, generator=gen))
        for name, p in model.named_parameters():
            if name.endswith('in_proj_bias') or name.endswith('out_proj.bias'):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))


def make(name, model, x, y, loss_fn, optimizer, clip=None):
    gen = torch.Generator().manual_seed(2)
    perturb(model, gen)
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(sd, os.path.join(OUT, f'{name}.pth'))
    ref = {'x': x, 'y': y}

    model.eval()
    with torch.no_grad():
        ref['eval.logits'] = model(x)
    model.train()
    model.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    ref['loss'] = loss.detach()
    for k, p in model.named_parameters():
        ref[f'grad.{k}'] = p.grad.detach().clone()
    for k, b in model.named_buffers():
        ref[f'sgd1.{k}'] = b.detach().clone()

    model.load_state_dict(sd)
    opt = optimizer(model.parameters())
    for s in (1, 2):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        ref[f'step{s}.loss'] = loss.detach()
        for k, v in model.state_dict().items():
            ref[f'step{s}.{k}'] = v.detach().clone()
    torch.save({k: v.contiguous() for k, v in ref.items()}, os.path.join(OUT, f'{name}-ref.pth'))
    print(name, f'loss {ref["loss"].item():.6f}', f'{sum(p.numel() for p in model.parameters())} parameters')


def main():
    g = torch.Generator().manual_seed(1)

    torch.manual_seed(0)
    model = TinyResNet(4, 3)
    x = torch.randn(4, 3, 16, 16, generator=g)
    y = torch.randint(0, 3, (4,), generator=g)
    make('resnet-cnn', model, x, y, F.cross_entropy,
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4))

    torch.manual_seed(0)
    model = ResSegNet3d(4, 2, 2)
    x = torch.randn(2, 1, 8, 8, 8, generator=g)
    y = (x[:, 0] + 0.5 * torch.randn(2, 8, 8, 8, generator=g) > 0.3).long()
    make('seg3d-residual', model, x, y, seg_loss, lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=1e-4))

    torch.manual_seed(0)
    model = EncoderClassifier(6, 8, 2, 2, 3)
    x = torch.randint(1, 4, (4, 6), generator=g)
    y = torch.randint(0, 3, (4,), generator=g)
    make('transformer-encoder', model, x, y, F.cross_entropy,
         lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01), clip=1.0)


if __name__ == '__main__':
    main()
