"""PyTorch reference of noprop's backprop baseline (paper eq. 17-19), built on the PyTorch anchor's
block (../shared/anchors/torch_noprop_dt.py, imported, not copied), to tell a bug in the tfjs
baseline from a property of the formulation (README, "NoProp vs backprop").

    z_0 ~ N(0, I);  z_t = (1 - a_t) z_{t-1} + a_t softmax(block_t(x, z_{t-1})) W_Embed,  a_t = tanh(w_t)
    loss = CE(classifier(z_T), y), AdamW lr 1e-3, weight decay 1e-3, batch 128, one-hot W_Embed.

usage: /usr/bin/python3 tools/torch_backprop.py [--steps 500] [--cls-init default|embedding]
           [--widths 8,16,16] [--T 10] [--anchors ../shared/anchors] [--data ../shared/data/mnist]
Prints one JSON line per --eval-every steps: mean loss of the last 50 steps, accuracy on the first
2000 test images and per class, the a_t, and seconds. `--cls-init embedding` starts the classifier
at the nearest-embedding read-out (one-hot: 2I, bias -1), as noprop's default.
"""
import argparse, json, math, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=500); ap.add_argument("--T", type=int, default=10)
ap.add_argument("--widths", default="8,16,16"); ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--alpha0", type=float, default=0.5)
ap.add_argument("--eval-every", type=int, default=100); ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--cls-init", choices=["default", "embedding"], default="default")
ap.add_argument("--anchors", default="../shared/anchors"); ap.add_argument("--data", default="../shared/data/mnist")
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args(); torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
sys.path.insert(0, a.anchors)
from torch_noprop_dt import Block, load_idx  # the anchor's Fig. 6 block and IDX reader
data = a.data
X = torch.tensor(load_idx(os.path.join(data, "train-images-idx3-ubyte.gz")), dtype=torch.float32) / 255
Y = torch.tensor(load_idx(os.path.join(data, "train-labels-idx1-ubyte.gz")).astype("int64"))
Xt = torch.tensor(load_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")), dtype=torch.float32)[:2000] / 255
Yt = torch.tensor(load_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).astype("int64"))[:2000]
X = (X - 0.1307) / 0.3081; Xt = (Xt - 0.1307) / 0.3081
K = 10; T = a.T; w = tuple(int(v) for v in a.widths.split(","))
blocks = nn.ModuleList(Block(1, 28, K, K, w) for _ in range(T)); cls = nn.Linear(K, K)
W = torch.eye(K)  # one-hot W_Embed
if a.cls_init == "embedding":
    with torch.no_grad(): cls.weight.copy_(2 * W.t()); cls.bias.copy_(-(W ** 2).sum(1))
mix = nn.Parameter(torch.full((T,), math.atanh(a.alpha0)))
params = list(blocks.parameters()) + list(cls.parameters()) + [mix]
opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=1e-3)
def forward(x):
    z = torch.randn(x.shape[0], K); al = torch.tanh(mix)
    for t in range(T):
        o = blocks[t](x, z)
        u = F.softmax(o, 1) @ W
        z = (1 - al[t]) * z + al[t] * u
    return cls(z)
def evaluate():
    blocks.eval()
    with torch.no_grad():
        p = forward(Xt).argmax(1)
        acc = (p == Yt).float().mean().item()
        per = [round((p[Yt == k] == k).float().mean().item(), 2) for k in range(K)]
    blocks.train(); return acc, per
step = 0; t0 = time.time(); losses = []
while step < a.steps:
    perm = torch.randperm(len(X))
    for i in range(0, len(X) - 127, 128):
        idx = perm[i:i + 128]
        loss = F.cross_entropy(forward(X[idx]), Y[idx])
        opt.zero_grad(); loss.backward(); opt.step(); step += 1; losses.append(loss.item())
        if step % a.eval_every == 0:
            print(json.dumps({"step": step, "loss": sum(losses[-50:]) / len(losses[-50:]), "test_acc_per_class": evaluate(),
                              "alpha": [round(v, 3) for v in torch.tanh(mix).tolist()], "s": round(time.time() - t0, 1)}), flush=True)
        if step >= a.steps: break
