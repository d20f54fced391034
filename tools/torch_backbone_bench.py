"""PyTorch reference speed of one NoProp-DT block step with a given image backbone, CIFAR-shaped input
(3x32x32, 10 classes, one-hot W_Embed), for `deno task bench`'s backbone rows (tools/bench.ts runs it
beside the tfjs measurement on the same machine).

The block is the PyTorch anchor's Fig. 6 block (../shared/anchors/torch_noprop_dt.py, imported, not
copied: label branch, head, hidden 256). For `resnet18` / `resnet50` its image branch is replaced by
the same CIFAR-style ResNet as src/model/backbone.ts + src/model/resnet.ts: 3x3 stem conv (stride 1,
no max-pool), stages 64/128/256/512 x width (rounded, >= 1) with strides 1,2,2,2, BasicBlock [2,2,2,2]
or Bottleneck (expansion 4, stride on the 3x3) [3,4,6,3], projection shortcut (1x1 conv + BN) where
the shape changes, convs with bias, BatchNorm2d, global average pool, then Linear(256) + BatchNorm1d.

One step = Algorithm 1 for one block t: z_{t-1} and z_T from q(.|y), loss CE(classifier(z_T), y) +
(T/2)*eta*(SNR(t) - SNR(t-1))*||u_hat - u_y||^2, backward, AdamW (lr 1e-3, weight decay 1e-3) over
the block and the classifier. Every block step costs the same, so one block is timed.

usage: /usr/bin/python3 tools/torch_backbone_bench.py [--backbone paper|resnet18|resnet50] [--width 1]
           [--widths 32,64,128] [--steps 3] [--warmup 1] [--threads 2] [--batch 128]
           [--anchors ../shared/anchors] [--count-params]
Prints one JSON line with train_block_steps_samples_per_s (timed steps x batch / seconds); with
--count-params, the number of trainable scalars of the backbone alone, and exits.
"""
import argparse, json, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

STAGES = (64, 128, 256, 512)
DEPTHS = {"resnet18": (2, 2, 2, 2), "resnet50": (3, 4, 6, 3)}


def scaled(base, width):
    return max(1, round(base * width))


def conv_bn(i, o, k, s):
    return nn.Sequential(nn.Conv2d(i, o, k, stride=s, padding=(k - 1) // 2), nn.BatchNorm2d(o))


class Unit(nn.Module):
    """A BasicBlock (bottleneck=False) or Bottleneck residual block."""

    def __init__(self, i, planes, stride, bottleneck):
        super().__init__()
        out = 4 * planes if bottleneck else planes
        if bottleneck:
            self.main = nn.ModuleList([conv_bn(i, planes, 1, 1), conv_bn(planes, planes, 3, stride),
                                       conv_bn(planes, out, 1, 1)])
        else:
            self.main = nn.ModuleList([conv_bn(i, planes, 3, stride), conv_bn(planes, planes, 3, 1)])
        self.short = conv_bn(i, out, 1, stride) if stride != 1 or i != out else None
        self.out = out

    def forward(self, x):
        m = x
        for j, c in enumerate(self.main):
            m = c(m)
            if j < len(self.main) - 1:
                m = F.relu(m)
        return F.relu(m + (self.short(x) if self.short is not None else x))


class ResNet(nn.Module):
    def __init__(self, kind, in_ch, width):
        super().__init__()
        ch = scaled(STAGES[0], width)
        self.stem = conv_bn(in_ch, ch, 3, 1)
        units = []
        for s, depth in enumerate(DEPTHS[kind]):
            for b in range(depth):
                u = Unit(ch, scaled(STAGES[s], width), (1, 2, 2, 2)[s] if b == 0 else 1, kind == "resnet50")
                units.append(u)
                ch = u.out
        self.units = nn.Sequential(*units)
        self.out = ch

    def forward(self, x):
        return self.units(F.relu(self.stem(x))).mean((2, 3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backbone", choices=["paper", "resnet18", "resnet50"], default="resnet18")
    ap.add_argument("--width", type=float, default=1.0, help="ResNet stage width multiplier")
    ap.add_argument("--widths", default="32,64,128", help="paper backbone conv widths")
    ap.add_argument("--steps", type=int, default=3); ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--T", type=int, default=10)
    ap.add_argument("--anchors", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/anchors"))
    ap.add_argument("--count-params", action="store_true")
    a = ap.parse_args()
    if a.width <= 0:
        sys.exit("--width must be > 0")
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    if a.count_params:
        if a.backbone == "paper":
            sys.exit("--count-params: only for resnet18 / resnet50")
        print(sum(p.numel() for p in ResNet(a.backbone, 3, a.width).parameters()))
        return
    sys.path.insert(0, a.anchors)
    from torch_noprop_dt import Block, cosine_alpha_bar  # the anchor's Fig. 6 block and schedule
    K = 10; T = a.T; hw = 32
    block = Block(3, hw, K, K, tuple(int(v) for v in a.widths.split(",")))
    if a.backbone != "paper":
        net = ResNet(a.backbone, 3, a.width)
        block.img = nn.Sequential(net, nn.Linear(net.out, 256), nn.BatchNorm1d(256))
    cls = nn.Linear(K, K); W = torch.eye(K)
    ab = torch.tensor(cosine_alpha_bar(T), dtype=torch.float32); snr = ab / (1 - ab)
    opt = torch.optim.AdamW(list(block.parameters()) + list(cls.parameters()), lr=1e-3, weight_decay=1e-3)
    x = torch.randn(a.batch, 3, hw, hw); y = torch.randint(0, K, (a.batch,)); t = T // 2 + 1

    def step():
        u = W[y]
        z_prev = ab[t - 1].sqrt() * u + (1 - ab[t - 1]).sqrt() * torch.randn_like(u)
        zT = ab[T].sqrt() * u + (1 - ab[T]).sqrt() * torch.randn_like(u)
        uhat = F.softmax(block(x, z_prev), 1) @ W
        loss = F.cross_entropy(cls(zT), y) + 0.5 * T * 0.1 * (snr[t] - snr[t - 1]) * ((uhat - u) ** 2).sum(1).mean()
        opt.zero_grad(); loss.backward(); opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sec = time.perf_counter() - t0
    print(json.dumps({
        "framework": f"torch {torch.__version__}", "backbone": a.backbone,
        "width": a.width if a.backbone != "paper" else None, "threads": a.threads, "batch": a.batch,
        "steps": a.steps, "seconds": round(sec, 3),
        "train_block_steps_samples_per_s": a.steps * a.batch / sec,
    }))


if __name__ == "__main__":
    main()
