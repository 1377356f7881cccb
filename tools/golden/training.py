"""Writes the training fixtures of tests/Baton.Tests/golden/training (run: /usr/bin/python3 tools/golden/training.py).

- optimizers.json: every optimizer, several steps with given gradients, parameters and state after each step (torch.optim).
- schedules.json: learning rates of torch.optim.lr_scheduler StepLR and LinearLR+CosineAnnealingLR (SequentialLR).
- losses.json: cross_entropy (ignore_index), mse, l1, huber: values and gradients; clip_grad_norm_.
- char_lstm_init.safetensors: DESIGN.md's module (embedding -> 2-layer LSTM -> head) initial weights + baton.config,
  written by Python: Baton must load it (the Python -> Baton direction of the model-file contract).
- char_lstm_run.json + char_lstm_final.safetensors: 20 steps of Adam with clip_grad_norm_ on char-rnn batches (state carried,
  detached), every step's loss and the final weights.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_min  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "Baton.Tests", "golden", "training")
torch.set_default_dtype(torch.float32)


def floats(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def optimizer_cases():
    cases = [
        ("sgd", dict(lr=0.1)),
        ("sgd", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)),
        ("adam", dict(lr=0.01)),
        ("adam", dict(lr=0.003, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.01)),
        ("adam", dict(lr=0.01, amsgrad=True)),
        ("adamw", dict(lr=0.01)),
        ("adamw", dict(lr=0.005, betas=(0.85, 0.99), weight_decay=0.1)),
        ("rmsprop", dict(lr=0.01)),
        ("rmsprop", dict(lr=0.002, alpha=0.95, eps=1e-6, momentum=0.9, weight_decay=0.01)),
        ("rmsprop", dict(lr=0.002, centered=True, momentum=0.5)),
    ]
    g = torch.Generator().manual_seed(7)
    result = []
    for kind, kw in cases:
        p = torch.randn(13, generator=g)
        param = nn.Parameter(p.clone())
        cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}[kind]
        opt = cls([param], **kw)
        steps = []
        for s in range(5):
            grad = torch.randn(13, generator=g) * (0.1 if s % 2 else 1.0)
            param.grad = grad.clone()
            opt.step()
            steps.append({"grad": floats(grad), "param": floats(param)})
        options = {"kind": kind, "learning_rate": kw["lr"]}
        for k, v in kw.items():
            if k == "betas":
                options["beta1"], options["beta2"] = v
            elif k != "lr":
                options[k] = v
        if kind == "adamw" and "weight_decay" not in kw:
            options["weight_decay"] = 0.01
        result.append({"options": options, "initial": floats(p), "steps": steps})
    return result


def schedule_cases():
    def run(make, n=30):
        param = nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=0.1)
        sched = make(opt)
        rates = []
        for _ in range(n):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return rates

    lr_sched = torch.optim.lr_scheduler
    return [
        {"options": {"kind": "step", "step_size": 7, "gamma": 0.5}, "base": 0.1, "max_steps": 30,
         "rates": run(lambda o: lr_sched.StepLR(o, step_size=7, gamma=0.5))},
        {"options": {"kind": "cosine", "warmup_steps": 0, "total_steps": 30, "min_learning_rate": 0.001}, "base": 0.1, "max_steps": 30,
         "rates": run(lambda o: lr_sched.CosineAnnealingLR(o, T_max=30, eta_min=0.001))},
        {"options": {"kind": "cosine", "warmup_steps": 5, "warmup_start_factor": 0.2, "total_steps": 25, "min_learning_rate": 0.0},
         "base": 0.1, "max_steps": 25,
         "rates": run(lambda o: lr_sched.SequentialLR(o, [lr_sched.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=5),
                                                          lr_sched.CosineAnnealingLR(o, T_max=20, eta_min=0.0)], milestones=[5]), n=25)},
    ]


def loss_cases():
    g = torch.Generator().manual_seed(11)
    logits = (torch.randn(9, 6, generator=g) * 3).requires_grad_()
    targets = torch.tensor([0, 5, -100, 2, 3, -100, 1, 4, 5])
    ce = F.cross_entropy(logits, targets, ignore_index=-100)
    ce.backward()
    pred = torch.randn(17, generator=g).mul(2).requires_grad_()
    target = torch.randn(17, generator=g)
    target[3] = pred[3].item()  # a zero difference: sign(0) = 0
    out = {"ce": {"logits": floats(logits), "targets": targets.tolist(), "classes": 6, "loss": ce.item(), "grad": floats(logits.grad)},
           "pred": floats(pred), "target": floats(target)}
    for name, fn in [("mse", F.mse_loss), ("mae", F.l1_loss), ("huber", lambda a, b: F.huber_loss(a, b, delta=0.7))]:
        pred.grad = None
        loss = fn(pred, target)
        loss.backward()
        out[name] = {"loss": loss.item(), "grad": floats(pred.grad)}
    a = nn.Parameter(torch.zeros(5))
    b = nn.Parameter(torch.zeros(2, 3))
    a.grad = torch.randn(5, generator=g) * 2
    b.grad = torch.randn(2, 3, generator=g) * 2
    before = floats(torch.cat([a.grad.reshape(-1), b.grad.reshape(-1)]))
    norm = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.5)
    out["clip"] = {"max_norm": 1.5, "grad": before, "norm": norm.item(),
                   "clipped": floats(torch.cat([a.grad.reshape(-1), b.grad.reshape(-1)]))}
    return out


class Model(nn.Module):
    """DESIGN.md's module, task "lm"."""

    def __init__(self, V, E, H, L):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.rnn = nn.LSTM(E, H, L)
        self.head = nn.Linear(H, V)

    def forward(self, x, state):
        y, state = self.rnn(self.embedding(x), state)
        return self.head(y), state


def char_run():
    V, E, H, L, B, T, steps = 11, 8, 16, 2, 4, 12, 20
    lr, max_norm = 0.02, 0.12
    torch.manual_seed(1234)
    model = Model(V, E, H, L)
    vocab = [chr(ord("a") + i) for i in range(V)]
    config = {"format": "baton/1", "task": "lm", "cell": "lstm", "layers": L, "hidden": H, "embedding": E, "bidirectional": False,
              "proj_size": 0, "dropout": 0.0, "input_size": 0, "output_size": V, "tokens": "chars", "vocab": vocab}
    safetensors_min.save(os.path.join(OUT, "char_lstm_init.safetensors"), model.state_dict(),
                         {"baton.config": json.dumps(config)})
    # A corpus with structure (so the loss falls): a noisy repeating pattern.
    g = torch.Generator().manual_seed(99)
    corpus = [(i * 3 + (i // 5)) % V if torch.rand(1, generator=g).item() > 0.15 else int(torch.randint(V, (1,), generator=g)) for i in range(700)]
    data = torch.tensor(corpus)
    stream = (len(corpus) - 1) // B
    chunks = stream // T
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses, norms = [], []
    state = None
    for s in range(steps):
        c = s % chunks
        if c == 0:
            state = None
        idx = torch.arange(B).unsqueeze(0) * stream + c * T + torch.arange(T).unsqueeze(1)  # [T, B]
        x, y = data[idx], data[idx + 1]
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
        opt.step()
        state = tuple(h.detach() for h in state)
        losses.append(loss.item())
    safetensors_min.save(os.path.join(OUT, "char_lstm_final.safetensors"), model.state_dict(), {"baton.config": json.dumps(config)})
    return {"batch": B, "seq_length": T, "steps": steps, "learning_rate": lr, "max_norm": max_norm, "corpus": corpus,
            "losses": losses, "grad_norms": norms}


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "optimizers.json"), "w") as f:
        json.dump(optimizer_cases(), f)
    with open(os.path.join(OUT, "schedules.json"), "w") as f:
        json.dump(schedule_cases(), f)
    with open(os.path.join(OUT, "losses.json"), "w") as f:
        json.dump(loss_cases(), f)
    with open(os.path.join(OUT, "char_lstm_run.json"), "w") as f:
        json.dump(char_run(), f)
    print("torch", torch.__version__, "->", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
