#!/usr/bin/env python3
"""Golden fixtures for Baton's minGRU / minLSTM (Feng et al. 2024, "Were RNNs All We Needed?").

The model follows the paper's log-space equations (appendix B.3) as written in lucidrains/minGRU-pytorch,
with the paper's nn.Linear bias: one Linear per layer, chunks (hidden, gate) for minGRU and (hidden, f, i)
for minLSTM, h~ = g(k) with g(x) = x + 0.5 (x >= 0) / sigmoid(x) (x < 0), and Heinsen's scan
log h_t = a*_t + logcumsumexp(log b - a*) with a* = cumsum(log a). h0 is the state h_{-1} itself (positive).
Layers are stacked plainly (layer k reads layer k-1's output). Computed in float64 from float32 inputs.

Loss: L = sum(y * wy) + sum(hn * wn) for fixed random wy, wn. Writes, per case, the inputs, parameters,
outputs and all gradients (time-major [T, B, F]) as JSON under tests/Baton.Tests/golden/parallel/.

Run: /usr/bin/python3 tools/golden/mingru.py   (Debian python3-torch)
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "Baton.Tests", "golden", "parallel")


def g(x):
    return torch.where(x >= 0, x + 0.5, x.sigmoid())


def log_g(x):
    return torch.where(x >= 0, (F.relu(x) + 0.5).log(), -F.softplus(-x))


def heinsen(log_coeffs, log_values):
    """log_coeffs [T, B, H], log_values [T+1, B, H] (row 0: log h0); returns h [T, B, H]."""
    a_star = F.pad(log_coeffs.cumsum(dim=0), (0, 0, 0, 0, 1, 0))
    log_h = a_star + (log_values - a_star).logcumsumexp(dim=0)
    return log_h.exp()[1:]


def min_layer(cell, x, weight, bias, h0):
    pre = x @ weight.T + bias
    if cell == "mingru":
        k, u = pre.chunk(2, dim=-1)
        log_coeffs = -F.softplus(u)                 # log(1 - z)
        log_values = -F.softplus(-u) + log_g(k)     # log z + log h~
    else:
        k, p, q = pre.chunk(3, dim=-1)
        diff = F.softplus(-p) - F.softplus(-q)
        log_coeffs = -F.softplus(diff)              # log f'
        log_values = -F.softplus(-diff) + log_g(k)  # log i' + log h~
    return heinsen(log_coeffs, torch.cat([h0.log().unsqueeze(0), log_values], dim=0))


def case(cell, layers, T, B, I, H, seed):
    torch.manual_seed(seed)
    chunks = 2 if cell == "mingru" else 3
    name = "to_hidden_and_gate" if cell == "mingru" else "to_hidden_and_f_i_gate"
    bound = 1.0 / H ** 0.5
    x = torch.randn(T, B, I).float().double().requires_grad_()
    h0 = torch.empty(layers, B, H).uniform_(0.05, 1.0).float().double().requires_grad_()
    params = {}
    for k in range(layers):
        width = I if k == 0 else H
        params[f"rnn.layers.{k}.{name}.weight"] = torch.empty(chunks * H, width).uniform_(-bound, bound).float().double().requires_grad_()
        params[f"rnn.layers.{k}.{name}.bias"] = torch.empty(chunks * H).uniform_(-bound, bound).float().double().requires_grad_()
    wy = torch.randn(T, B, H).float().double()
    wn = torch.randn(layers, B, H).float().double()

    inp, finals = x, []
    for k in range(layers):
        inp = min_layer(cell, inp, params[f"rnn.layers.{k}.{name}.weight"], params[f"rnn.layers.{k}.{name}.bias"], h0[k])
        finals.append(inp[-1])
    y, hn = inp, torch.stack(finals)
    loss = (y * wy).sum() + (hn * wn).sum()
    loss.backward()

    flat = lambda t: [float(v) for v in t.detach().reshape(-1)]
    fixture = {
        "cell": cell, "layers": layers, "T": T, "B": B, "I": I, "H": H,
        "x": flat(x), "h0": flat(h0), "wy": flat(wy), "wn": flat(wn),
        "parameters": {n: flat(p) for n, p in params.items()},
        "y": flat(y), "hn": flat(hn), "loss": float(loss),
        "dx": flat(x.grad), "dh0": flat(h0.grad),
        "gradients": {n: flat(p.grad) for n, p in params.items()},
    }
    path = os.path.join(OUT, f"{cell}_l{layers}.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
    print(path, "loss", float(loss))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for cell in ("mingru", "minlstm"):
        for layers in (1, 2):
            case(cell, layers, T=9, B=3, I=5, H=6, seed=17 + layers)
