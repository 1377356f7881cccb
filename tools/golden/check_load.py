"""Loads a Baton model file (or checkpoint) into DESIGN.md's PyTorch module with load_state_dict(strict=True).

usage: /usr/bin/python3 tools/golden/check_load.py MODEL.safetensors
Prints the config, the parameter count and, for task "lm", the next-token distribution after a short prompt.
Exit status 0 when every tensor name and shape matches the module exactly.
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_min  # noqa: E402


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        cell = c["cell"]
        hidden, layers, bidir = c["hidden"], c["layers"], c["bidirectional"]
        inp = c["embedding"] if c["embedding"] > 0 else c["input_size"]
        if c["embedding"] > 0:
            vocab = c["output_size"] if c["task"] == "lm" else len(c["vocab"])
            self.embedding = nn.Embedding(vocab, c["embedding"])
        if cell == "lstm":
            self.rnn = nn.LSTM(inp, hidden, layers, bidirectional=bidir, proj_size=c.get("proj_size", 0))
        elif cell == "gru":
            self.rnn = nn.GRU(inp, hidden, layers, bidirectional=bidir)
        elif cell in ("rnn", "rnn_tanh", "rnn_relu"):
            self.rnn = nn.RNN(inp, hidden, layers, nonlinearity="relu" if cell == "rnn_relu" else "tanh", bidirectional=bidir)
        else:
            raise SystemExit(f"cell '{cell}' has no torch.nn module (minGRU/minLSTM use their own)")
        state = c.get("proj_size", 0) or hidden
        self.head = nn.Linear(state * (2 if bidir else 1), c["output_size"])


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    tensors, metadata = safetensors_min.load(sys.argv[1])
    config = json.loads(metadata["baton.config"])
    model = Model(config)
    state = {k: v for k, v in tensors.items() if not k.startswith(("optimizer.", "trainer."))}
    model.load_state_dict(state, strict=True)
    n = sum(p.numel() for p in model.parameters())
    print(f"load_state_dict(strict=True): ok — task {config['task']}, cell {config['cell']}, {len(state)} tensors, {n} parameters")
    if config["task"] == "lm" and config.get("vocab"):
        vocab = config["vocab"]
        ids = torch.tensor([[i % len(vocab)] for i in range(8)])
        with torch.no_grad():
            y, _ = model.rnn(model.embedding(ids))
            p = torch.softmax(model.head(y[-1, 0]), -1)
        top = torch.topk(p, min(3, len(vocab)))
        print("next-token top-3 after a prompt:", [(vocab[i], round(float(q), 4)) for q, i in zip(top.values, top.indices)])


if __name__ == "__main__":
    main()
