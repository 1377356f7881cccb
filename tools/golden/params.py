#!/usr/bin/env python3
"""Writes tests/Baton.Tests/golden/lab/params.json: PyTorch's numel for the modules that
`baton params` counts, so the C# formulas are checked against torch without Python in CI.

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 tools/golden/params.py
"""
import json
import os

import torch
from torch import nn

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

# (cell, input, hidden, layers, bidirectional, proj, vocab)
RECURRENT = [
    ("rnn", 10, 20, 1, False, 0, 0),
    ("rnn", 3, 7, 3, True, 0, 0),
    ("lstm", 10, 20, 2, False, 0, 0),
    ("lstm", 5, 16, 2, True, 8, 0),
    ("lstm", 1, 1, 1, False, 0, 0),
    ("gru", 32, 64, 1, True, 0, 0),
    ("gru", 7, 5, 4, False, 0, 0),
    ("lstm", 32, 128, 2, False, 0, 65),
    ("gru", 16, 24, 2, True, 0, 50),
]

# (d_model, nhead, dim_feedforward)
TRANSFORMER = [(64, 4, 256), (128, 8, 512), (20, 2, 80)]

# (in_channels, out_channels, kernel)
CONV1D = [(10, 20, 3), (1, 64, 5), (32, 32, 7)]

# (window, input, hidden): a fully connected layer over T steps of I features
LINEAR = [(100, 1, 64), (10, 32, 128), (1000, 2, 128)]


def recurrent_entry(cell, inp, hidden, layers, bidir, proj, vocab):
    kwargs = dict(num_layers=layers, bidirectional=bidir)
    if proj:
        kwargs["proj_size"] = proj
    rnn = MODULES[cell](inp, hidden, **kwargs)
    tensors = {f"rnn.{name}": p.numel() for name, p in rnn.named_parameters()}
    shapes = {f"rnn.{name}": list(p.shape) for name, p in rnn.named_parameters()}
    if vocab:
        directions = 2 if bidir else 1
        width = (proj or hidden) * directions
        embedding = nn.Embedding(vocab, inp)
        head = nn.Linear(width, vocab)
        tensors = {"embedding.weight": embedding.weight.numel(), **tensors,
                   "head.weight": head.weight.numel(), "head.bias": head.bias.numel()}
        shapes = {"embedding.weight": list(embedding.weight.shape), **shapes,
                  "head.weight": list(head.weight.shape), "head.bias": list(head.bias.shape)}
    return dict(cell=cell, input=inp, hidden=hidden, layers=layers, bidirectional=bidir, proj=proj,
                vocab=vocab, total=sum(tensors.values()), tensors=tensors, shapes=shapes)


def numel(module):
    return sum(p.numel() for p in module.parameters())


def main():
    out = dict(
        torch_version=torch.__version__,
        recurrent=[recurrent_entry(*r) for r in RECURRENT],
        transformer=[dict(d_model=d, nhead=h, dim_feedforward=f,
                          total=numel(nn.TransformerEncoderLayer(d, h, dim_feedforward=f)))
                     for d, h, f in TRANSFORMER],
        conv1d=[dict(input=i, hidden=o, kernel=k, total=numel(nn.Conv1d(i, o, k))) for i, o, k in CONV1D],
        linear=[dict(window=t, input=i, hidden=h, total=numel(nn.Linear(t * i, h))) for t, i, h in LINEAR],
    )
    path = os.path.join("tests", "Baton.Tests", "golden", "lab", "params.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
