"""Golden fixtures for PyTorch import (issue 9).

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 tools/golden/interop.py
Writes tests/Baton.Tests/golden/interop/:
  <case>.safetensors   the state dict of DESIGN.md's module, exactly as PyTorch names it (no metadata),
                       in the safetensors layout written by tools/golden/fixture.py;
  <case>.vocab.json    the token strings by id (a JSON array), for `baton import-torch --vocab`;
  <case>.json          what PyTorch computed:
    lm:       {"cell", "layers", "hidden", "embedding", "proj_size", "prime", "greedy", "steps", "text", "loss", "min_margin"}
              greedy = `steps` characters generated from `prime` by argmax, one token at a time, carrying the
              state from a zero start; loss = mean cross-entropy of text[1:] given text[:-1] (zero start, B = 1).
    forecast: {"cell", "layers", "hidden", "bidirectional", "input_size", "T", "B", "features", "prediction"}
              prediction = head(concat of the last layer's final state of each direction), [B, O].

Each lm model is first trained for a few Adam steps on TEXT so that its greedy continuation is not trivial;
the script checks that every greedy choice wins by a clear margin (min_margin), so float32 rounding in
another implementation cannot flip it.
"""
import json
import os

import torch

from fixture import write

OUT = os.path.join("tests", "Baton.Tests", "golden", "interop")

TEXT = ("the baton passes from hand to hand; the hidden state passes from step to step. "
        "a runner holds the baton and then hands it on.")
PRIME = "the baton "
STEPS = 40
LOSS_TEXT = "the hidden state holds the baton."


class Model(torch.nn.Module):
    """DESIGN.md's module."""

    def __init__(self, cell, V, E, H, L, bidirectional=False, proj=0, nonlinearity="tanh", out=None, features=0):
        super().__init__()
        D = 2 if bidirectional else 1
        S = proj if proj > 0 else H
        I = E if V > 0 else features
        if V > 0:
            self.embedding = torch.nn.Embedding(V, E)
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(I, H, L, bidirectional=bidirectional, proj_size=proj)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(I, H, L, bidirectional=bidirectional)
        else:
            self.rnn = torch.nn.RNN(I, H, L, nonlinearity=nonlinearity, bidirectional=bidirectional)
        self.head = torch.nn.Linear(S * D, out if out is not None else V)

    def forward(self, x, state=None):
        if hasattr(self, "embedding"):
            x = self.embedding(x)
        y, state = self.rnn(x, state)
        return self.head(y), state


def lm_case(name, cell, E, H, L, proj=0, nonlinearity="tanh", seed=0):
    torch.manual_seed(seed)
    vocab = sorted(set(TEXT + PRIME + LOSS_TEXT))
    index = {c: i for i, c in enumerate(vocab)}
    V = len(vocab)
    model = Model(cell, V, E, H, L, proj=proj, nonlinearity=nonlinearity)
    ids = torch.tensor([index[c] for c in TEXT])
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        opt.zero_grad()
        logits, _ = model(ids[:-1].unsqueeze(1))
        loss = torch.nn.functional.cross_entropy(logits.squeeze(1), ids[1:])
        loss.backward()
        opt.step()

    # Everything below in float64 from the float32 weights that the fixture stores.
    model = model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
        state = None
        logits, state = model(torch.tensor([index[c] for c in PRIME]).unsqueeze(1), state)
        last = logits[-1, 0]
        text = ""
        margin = float("inf")
        for _ in range(STEPS):
            top = torch.topk(last, 2).values
            margin = min(margin, float(top[0] - top[1]))
            nxt = int(torch.argmax(last))
            text += vocab[nxt]
            logits, state = model(torch.tensor([[nxt]]), state)
            last = logits[-1, 0]
        assert margin > 1e-3, f"{name}: greedy margin {margin} too small"
        loss_ids = torch.tensor([index[c] for c in LOSS_TEXT])
        logits, _ = model(loss_ids[:-1].unsqueeze(1))
        loss = float(torch.nn.functional.cross_entropy(logits.squeeze(1), loss_ids[1:]))

    write(os.path.join(OUT, f"{name}.safetensors"), {k: v.float() for k, v in model.state_dict().items()})
    with open(os.path.join(OUT, f"{name}.vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    meta = {"cell": cell if nonlinearity == "tanh" else "rnn_relu", "layers": L, "hidden": H, "embedding": E,
            "proj_size": proj, "prime": PRIME, "greedy": text, "steps": STEPS, "text": LOSS_TEXT, "loss": loss,
            "min_margin": margin}
    with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
    print(f"{name}: greedy {text!r}, loss {loss:.6f}, min margin {margin:.4f}")


def forecast_case(name, cell, F, H, L, O, bidirectional, T, B, seed=0):
    torch.manual_seed(seed)
    model = Model(cell, 0, 0, H, L, bidirectional=bidirectional, out=O, features=F)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.empty(T, B, F).uniform_(-2, 2, generator=g).float()
    model = model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
        _, state = model.rnn(x.double())
        h = state[0] if cell == "lstm" else state
        D = 2 if bidirectional else 1
        last = torch.cat([h[(L - 1) * D + d] for d in range(D)], dim=1)   # [B, D*S]
        prediction = model.head(last)
    write(os.path.join(OUT, f"{name}.safetensors"), {k: v.float() for k, v in model.state_dict().items()})
    meta = {"cell": cell, "layers": L, "hidden": H, "bidirectional": bidirectional, "input_size": F, "T": T, "B": B,
            "features": x.flatten().tolist(), "prediction": prediction.flatten().tolist()}
    with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    print(f"{name}: prediction {prediction.flatten()[:4].tolist()} ...")


def main():
    os.makedirs(OUT, exist_ok=True)
    lm_case("lm_lstm_2l", "lstm", E=8, H=24, L=2, seed=1)
    lm_case("lm_gru_1l", "gru", E=8, H=32, L=1, seed=2)
    lm_case("lm_rnn_2l", "rnn", E=8, H=24, L=2, seed=3)
    lm_case("lm_lstm_proj", "lstm", E=8, H=24, L=1, proj=12, seed=4)
    forecast_case("forecast_gru_2l_bi", "gru", F=3, H=5, L=2, O=4, bidirectional=True, T=9, B=2, seed=5)
    forecast_case("forecast_lstm_1l_bi", "lstm", F=3, H=4, L=1, O=2, bidirectional=True, T=6, B=3, seed=6)


if __name__ == "__main__":
    main()
