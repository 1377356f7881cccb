"""Golden fixtures for Baton's recurrent layers (issue 3).

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 tools/golden/layers.py
Writes tests/Baton.Tests/golden/layers/<case>.safetensors (format: tools/golden/fixture.py).

Each case builds nn.RNN / nn.LSTM / nn.GRU (time-major), draws float32 weights and inputs, then computes in
float64 (so the fixture holds the exact answer for those float32 values) the outputs and the gradients of
    loss = sum(y * dy) + sum(hn * dhn) [+ sum(cn * dcn)]
with fixed random dy, dhn, dcn. Variable lengths go through pack_padded_sequence(enforce_sorted=False) and
pad_packed_sequence(total_length=T), so y is zero past each length and dy there must be ignored.
Tensors: every state-dict entry under "rnn." (values) and "grad.rnn." (gradients), x, lengths (when variable),
h0 / c0 (when given), dy, dhn, dcn, y, hn, cn, grad.x, grad.h0, grad.c0. Config in __metadata__["config"].
"""
import json
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fixture import write

OUT = os.path.join("tests", "Baton.Tests", "golden", "layers")

# name, cell, I, H, layers, bidirectional, proj, nonlinearity, T, B, lengths (None = all T), with h0/c0
CASES = [
    ("rnn_tanh_1l", "rnn", 3, 4, 1, False, 0, "tanh", 5, 3, None, False),
    ("rnn_relu_2l_bi_var_h0", "rnn", 3, 4, 2, True, 0, "relu", 6, 4, [6, 3, 5, 1], True),
    ("rnn_tanh_3l_h0", "rnn", 2, 3, 3, False, 0, "tanh", 4, 2, None, True),
    ("gru_1l_h0", "gru", 3, 4, 1, False, 0, "tanh", 5, 3, None, True),
    ("gru_1l_var", "gru", 3, 4, 1, False, 0, "tanh", 6, 3, [2, 6, 4], True),
    ("gru_3l_bi_var", "gru", 3, 4, 3, True, 0, "tanh", 7, 4, [2, 7, 4, 7], False),
    ("lstm_1l", "lstm", 3, 5, 1, False, 0, "tanh", 5, 2, None, False),
    ("lstm_1l_bi_h0", "lstm", 3, 4, 1, True, 0, "tanh", 4, 3, None, True),
    ("lstm_3l_bi_var_h0", "lstm", 3, 4, 3, True, 0, "tanh", 6, 4, [4, 6, 1, 3], True),
    ("lstm_proj_2l_bi_var_h0", "lstm", 3, 5, 2, True, 3, "tanh", 5, 3, [3, 5, 2], True),
    ("lstm_proj_1l", "lstm", 4, 5, 1, False, 2, "tanh", 4, 2, None, False),
    ("lstm_var_shorter_than_t", "lstm", 2, 3, 1, False, 0, "tanh", 6, 3, [4, 2, 3], True),
]


def build(cell, I, H, L, bidir, proj, nonlin):
    if cell == "lstm":
        return torch.nn.LSTM(I, H, L, bidirectional=bidir, proj_size=proj)
    if cell == "gru":
        return torch.nn.GRU(I, H, L, bidirectional=bidir)
    return torch.nn.RNN(I, H, L, nonlinearity=nonlin, bidirectional=bidir)


def case(name, cell, I, H, L, bidir, proj, nonlin, T, B, lengths, with_h0, seed):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    D = 2 if bidir else 1
    S = proj if proj > 0 else H
    rnn = build(cell, I, H, L, bidir, proj, nonlin)
    # Weights a bit larger than the default init so that every path matters; rounded to float32.
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.empty_like(p).uniform_(-0.7, 0.7, generator=g))
    rnn = rnn.double()
    f32 = lambda t: t.float().double()
    x = f32(torch.randn(T, B, I, generator=g)).requires_grad_()
    h0 = f32(0.5 * torch.randn(L * D, B, S, generator=g)).requires_grad_() if with_h0 else None
    c0 = f32(0.5 * torch.randn(L * D, B, H, generator=g)).requires_grad_() if with_h0 and cell == "lstm" else None
    dy = f32(torch.randn(T, B, D * S, generator=g))
    dhn = f32(torch.randn(L * D, B, S, generator=g))
    dcn = f32(torch.randn(L * D, B, H, generator=g)) if cell == "lstm" else None

    state = None
    if with_h0:
        state = (h0, c0) if cell == "lstm" else h0
    if lengths is None:
        y, final = rnn(x, state)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out, final = rnn(packed, state)
        y, _ = pad_packed_sequence(out, total_length=T)
    hn, cn = final if cell == "lstm" else (final, None)
    loss = (y * dy).sum() + (hn * dhn).sum()
    if cn is not None:
        loss = loss + (cn * dcn).sum()
    loss.backward()

    t = {}
    for k, v in rnn.state_dict().items():
        t["rnn." + k] = v
    t["x"] = x.detach()
    if lengths is not None:
        t["lengths"] = torch.tensor(lengths, dtype=torch.int32)
    if h0 is not None:
        t["h0"] = h0.detach()
    if c0 is not None:
        t["c0"] = c0.detach()
    t["dy"] = dy
    t["dhn"] = dhn
    if dcn is not None:
        t["dcn"] = dcn
    t["y"] = y.detach()
    t["hn"] = hn.detach()
    if cn is not None:
        t["cn"] = cn.detach()
    for k, p in rnn.named_parameters():
        t["grad.rnn." + k] = p.grad
    t["grad.x"] = x.grad
    if h0 is not None:
        t["grad.h0"] = h0.grad
    if c0 is not None:
        t["grad.c0"] = c0.grad
    config = dict(cell=cell, input=I, hidden=H, layers=L, bidirectional=bidir, proj=proj, nonlinearity=nonlin, T=T, B=B)
    write(os.path.join(OUT, name + ".safetensors"), {k: v.numpy() for k, v in t.items()},
          {"config": json.dumps(config), "torch": torch.__version__})


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed, c in enumerate(CASES):
        case(*c, seed=1000 + seed)
        print("wrote", c[0])


if __name__ == "__main__":
    main()
