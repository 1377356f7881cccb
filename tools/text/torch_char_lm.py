#!/usr/bin/python3
"""PyTorch twin of `baton train` for the README's real-text comparison.

Same model (embedding -> L-layer LSTM -> linear head), same data layout (the text's last
val-fraction held out; the rest cut into B contiguous streams read in TBPTT chunks of T tokens with
the state carried and detached between chunks), Adam, global-norm clipping, for a wall-clock budget.
Prints one JSON line: steps, validation cross-entropy (nats/char) and bits per character.

    /usr/bin/python3 tools/text/torch_char_lm.py samples/kjv.txt --minutes 10 --threads 2
"""
import argparse, json, math, time
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.rnn = nn.LSTM(embedding, hidden, layers)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        y, state = self.rnn(self.embedding(ids), state)
        return self.head(y), state


def streams(ids, batch):
    length = (len(ids) - 1) // batch
    x = torch.tensor([ids[b * length:(b + 1) * length] for b in range(batch)]).t().contiguous()
    y = torch.tensor([ids[b * length + 1:(b + 1) * length + 1] for b in range(batch)]).t().contiguous()
    return x, y  # [length, B]


def evaluate(model, x, y, seq):
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, (x.shape[0] // seq) * seq, seq):
            logits, state = model(x[start:start + seq], state)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[start:start + seq].reshape(-1), reduction="sum").item()
            count += y[start:start + seq].numel()
    model.train()
    return total / count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("text")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embedding", type=int, default=64)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--seq-length", type=int, default=50)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=5)
    p.add_argument("--val-fraction", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    text = open(a.text, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = [index[c] for c in text]
    n_val = round(len(ids) * a.val_fraction)
    train, val = ids[:len(ids) - n_val], ids[len(ids) - n_val:]
    tx, ty = streams(train, a.batch)
    vx, vy = streams(val, a.batch)
    model = Model(len(vocab), a.embedding, a.hidden, a.layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    chunks = tx.shape[0] // a.seq_length
    deadline = time.time() + a.minutes * 60
    step, state, start = 0, None, time.time()
    while time.time() < deadline:
        c = step % chunks
        if c == 0:
            state = None
        x, y = tx[c * a.seq_length:(c + 1) * a.seq_length], ty[c * a.seq_length:(c + 1) * a.seq_length]
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        step += 1
    seconds = time.time() - start
    ce = evaluate(model, vx, vy, a.seq_length)
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "steps": step, "seconds": round(seconds, 1),
                      "tokens_per_second": round(step * a.batch * a.seq_length / seconds),
                      "val_loss": ce, "val_bits_per_token": ce / math.log(2)}))


if __name__ == "__main__":
    main()
