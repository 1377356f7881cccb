#!/usr/bin/python3
"""PyTorch / OpenBLAS reference timings for Baton's benchmark rows.

Usage: /usr/bin/python3 bench/torch_reference.py NAME... [--threads N] [--json] [--repeat N]

Runs the rows of bench/Baton.Bench in PyTorch (Debian python3-torch) with the same definitions:
  sgemm-N              torch.mm of two N x N float32 matrices, 2N^3 flops
  numpy-sgemm-N        the same product in numpy (OpenBLAS): the machine's sgemm peak at N = 2048
  lstm-small ...       training step: forward over T, loss = mean(y^2) over the recurrent output,
                       backward, one SGD update; GFLOP/s counts the products the step computes (train_flops)
  stream-...           inference, batch 1, one step at a time with the state fed back, us/step
  recurrent-step-mM-hH h[M,H] @ W_hh[4H,H]^T, 2*M*4H*H flops (gb_s: weight bytes per second)
  cache-read           torch.sum over a 16 MB float32 tensor (gb_s)
  gpu-...              the GPU rows of Baton's harness on the first CUDA device (cuDNN; float32, TF32 off), each timed
                       run ending with torch.cuda.synchronize(); gpu-mingru-4096 is minGRU trained through the log-space
                       parallel scan of the minGRU paper (Heinsen's logcumsumexp), PyTorch having no minGRU module
Warm-up, then the median of repeated samples (a sample repeats fast rows until it lasts 20 ms).
With --json, one object per row per line: {"name","median_ms","gflops","tok_s","us_per_step","threads"}
(null where a field does not apply), "error" for rows PyTorch has no counterpart for.

OpenBLAS: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for the run (see the workplace notes); when
OpenBLAS then falls back to a generic core on an AVX-512 machine it is told SKYLAKEX, so the
reference is the machine's real peak. BATON_OPENBLAS_CORETYPE (set by bench/compare.sh --isa) names the
core instead (Haswell for the AVX2 path, Nehalem for the 128-bit one). The core used is printed on stderr and in the numpy rows ("core").
"""
import json
import os
import statistics
import subprocess
import sys
import time

CHILD_FLAG = "BATON_TORCH_REFERENCE_CHILD"
MIN_SAMPLE_S = 0.020
WARMUP_S = 0.3

TRAIN_ROWS = {
    "lstm-small": ("lstm", 32, 128, 256, 256, 1),
    "gru-small": ("gru", 32, 128, 256, 256, 1),
    "rnn-small": ("rnn", 32, 128, 256, 256, 1),
    "lstm-2x512": ("lstm", 64, 100, 512, 512, 2),
    "lstm-1024": ("lstm", 64, 64, 1024, 1024, 1),
    "lstm-b1": ("lstm", 1, 512, 128, 128, 1),
    "lstm-long": ("lstm", 16, 1024, 64, 64, 1),
    "gru-512": ("gru", 64, 512, 256, 256, 1),
}
STREAM_ROWS = {
    "stream-lstm-128": ("lstm", 128, 128, 1),
    "stream-lstm-512x2": ("lstm", 512, 512, 2),
    "stream-gru-512x2": ("gru", 512, 512, 2),
}
GPU_TRAIN_ROWS = {
    "gpu-lstm-small": ("lstm", 32, 128, 256, 256, 1),
    "gpu-lstm-1024": ("lstm", 64, 64, 1024, 1024, 1),
    "gpu-gru-4096": ("gru", 64, 4096, 256, 256, 1),
    "gpu-mingru-4096": ("mingru", 64, 4096, 256, 256, 1),
}
GPU_STREAM_ROWS = {
    "gpu-stream-lstm-512x2": ("lstm", 512, 512, 2),
}
GATES = {"lstm": 4, "gru": 3, "rnn": 1, "mingru": 2}
UNSUPPORTED = {"mingru-512": "PyTorch has no minGRU module"}
SGEMM_SIZES = (512, 1024, 2048)
STEP_BATCHES = (1, 8, 32, 64)
STEP_HIDDENS = (64, 128, 256, 512, 1024)


def all_names():
    names = list(TRAIN_ROWS) + list(STREAM_ROWS) + list(UNSUPPORTED) + list(GPU_TRAIN_ROWS) + list(GPU_STREAM_ROWS)
    names += [f"sgemm-{n}" for n in SGEMM_SIZES] + [f"numpy-sgemm-{n}" for n in SGEMM_SIZES]
    names += ["cache-read"] + [f"recurrent-step-m{m}-h{h}" for m in STEP_BATCHES for h in STEP_HIDDENS]
    return names


def expand(names):
    known = all_names()
    out, unknown = [], []
    for name in names:
        if name == "all":
            out += known
        elif name in known:
            out.append(name)
        elif [k for k in known if k.startswith(name + "-")]:
            out += [k for k in known if k.startswith(name + "-")]
        else:
            unknown.append(name)
    return out, unknown


def openblas_core():
    import ctypes
    for lib in ("libopenblas.so.0", "libopenblas.so"):
        try:
            handle = ctypes.CDLL(lib)
            handle.openblas_get_corename.restype = ctypes.c_char_p
            return handle.openblas_get_corename().decode()
        except OSError:
            continue
    return "unknown"


def cpu_has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f" in f.read()
    except OSError:
        return False


def child_environment(threads):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    probe = subprocess.run([sys.executable, "-c", "import numpy, sys; sys.path.insert(0, %r); "
                            "import torch_reference as t; print(t.openblas_core())" % os.path.dirname(os.path.abspath(__file__))],
                           env=env, capture_output=True, text=True)
    core = probe.stdout.strip() or "unknown"
    if core.lower() in ("prescott", "core2", "nehalem", "unknown") and cpu_has_avx512():
        env["OPENBLAS_CORETYPE"] = "SKYLAKEX"
    # bench/compare.sh --isa pins the instruction set: BATON_OPENBLAS_CORETYPE names the OpenBLAS core to use.
    if os.environ.get("BATON_OPENBLAS_CORETYPE"):
        env["OPENBLAS_CORETYPE"] = os.environ["BATON_OPENBLAS_CORETYPE"]
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    env["OMP_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    env[CHILD_FLAG] = "1"
    return env


def measure(run, repeat):
    start = time.perf_counter()
    runs = 0
    while runs < 2 or time.perf_counter() - start < WARMUP_S:
        run()
        runs += 1
    per_run = (time.perf_counter() - start) / runs
    batch = max(1, int(-(-MIN_SAMPLE_S // max(per_run, 1e-9))))
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(batch):
            run()
        samples.append((time.perf_counter() - t) / batch)
    return statistics.median(samples)


def row(name, threads, median_s=None, flops=None, tokens=None, steps=None, nbytes=None, error=None, **extra):
    result = {
        "name": name,
        "median_ms": median_s * 1e3 if median_s is not None else None,
        "gflops": flops / median_s / 1e9 if flops and median_s else None,
        "tok_s": tokens / median_s if tokens and median_s else None,
        "us_per_step": median_s * 1e6 / steps if steps and median_s else None,
        "threads": threads,
    }
    if nbytes and median_s:
        result["gb_s"] = nbytes / median_s / 1e9
    if error is not None:
        result["error"] = error
    result.update(extra)
    return result


def make_rnn(torch, cell, i, h, layers):
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    return module(i, h, layers)


class MinGru:
    """minGRU (Feng et al. 2024) as lucidrains/minGRU-pytorch trains it: [k, u] = x W^T + b, h_t = (1 - z_t) h_{t-1} + z_t g(k_t)
    with z = sigmoid(u), g(x) = x + 0.5 (x >= 0) or sigmoid(x), evaluated in log space: log h = a* + logcumsumexp(log(z g(k)) - a*),
    a* = cumsum(log(1 - z)), from h_0 = 0."""

    def __init__(self, torch, i, h, device):
        self.torch = torch
        self.linear = torch.nn.Linear(i, 2 * h).to(device)

    def parameters(self):
        return self.linear.parameters()

    def __call__(self, x):
        torch = self.torch
        F = torch.nn.functional
        k, u = self.linear(x).chunk(2, dim=-1)      # [T, B, H] each
        log_coeffs = -F.softplus(u)                  # log(1 - z)
        log_z = -F.softplus(-u)                      # log z
        log_g = torch.where(k >= 0, (F.relu(k) + 0.5).log(), -F.softplus(-k))
        a_star = log_coeffs.cumsum(dim=0)
        log_h = a_star + torch.logcumsumexp(log_z + log_g - a_star, dim=0)
        return log_h.exp()


def gpu_measure(torch, run, repeat):
    def synchronized():
        run()
        torch.cuda.synchronize()
    return measure(synchronized, repeat)


def bench_gpu_row(name, threads, repeat):
    import torch
    if not torch.cuda.is_available():
        return row(name, threads, error="no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")
    extra = {"device": torch.cuda.get_device_name(device), "torch": torch.__version__, "cudnn": torch.backends.cudnn.version()}
    if name in GPU_TRAIN_ROWS:
        cell, b, t, i, h, layers = GPU_TRAIN_ROWS[name]
        rnn = MinGru(torch, i, h, device) if cell == "mingru" else make_rnn(torch, cell, i, h, layers).to(device)
        opt = torch.optim.SGD(rnn.parameters(), lr=1e-3)
        x = torch.rand(t, b, i, device=device) * 2 - 1

        def step():
            opt.zero_grad(set_to_none=False)
            y = rnn(x) if cell == "mingru" else rnn(x)[0]
            loss = (y * y).mean()
            loss.backward()
            opt.step()

        return row(name, threads, gpu_measure(torch, step, repeat), flops=train_flops(cell, b, t, i, h, layers),
                   tokens=b * t, steps=t, **extra)
    cell, i, h, layers = GPU_STREAM_ROWS[name]
    rnn = make_rnn(torch, cell, i, h, layers).to(device).eval()
    x = torch.rand(1, 1, i, device=device) * 2 - 1
    state = [None]

    def stream_step():
        with torch.inference_mode():
            y, state[0] = rnn(x, state[0])

    return row(name, threads, gpu_measure(torch, stream_step, repeat), tokens=1, steps=1, **extra)


def train_flops(cell, b, t, i, h, layers):
    """Flops of the products in one training step, as Baton's rows count them: per layer and token, with R = H (0 for
    minGRU), 2*G*H*(I_l + R) forward, as much for the weight gradients, 2*G*H*R back through the recurrence and
    2*G*H*I_l for the input gradient of every layer but the first (the step asks for no input gradient)."""
    recurrent = 0 if cell == "mingru" else h
    total = 0.0
    for l in range(layers):
        inputs = i if l == 0 else h
        total += 2.0 * b * t * GATES[cell] * h * (2 * (inputs + recurrent) + recurrent + (inputs if l > 0 else 0))
    return total


def bench_row(name, threads, repeat):
    import numpy as np
    import torch
    torch.manual_seed(0)
    if name in GPU_TRAIN_ROWS or name in GPU_STREAM_ROWS:
        return bench_gpu_row(name, threads, repeat)
    if name in UNSUPPORTED:
        return row(name, threads, error=UNSUPPORTED[name])
    if name.startswith("numpy-sgemm-"):
        n = int(name.rsplit("-", 1)[1])
        rng = np.random.default_rng(0)
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        c = np.empty((n, n), np.float32)
        return row(name, threads, measure(lambda: np.matmul(a, b, out=c), repeat), flops=2.0 * n ** 3, core=openblas_core())
    if name.startswith("sgemm-"):
        n = int(name.rsplit("-", 1)[1])
        a = torch.rand(n, n) * 2 - 1
        b = torch.rand(n, n) * 2 - 1
        c = torch.empty(n, n)
        return row(name, threads, measure(lambda: torch.mm(a, b, out=c), repeat), flops=2.0 * n ** 3)
    if name.startswith("recurrent-step-"):
        _, _, m, h = name.split("-")
        m, h = int(m[1:]), int(h[1:])
        w = (torch.rand(4 * h, h) * 2 - 1) / h ** 0.5
        x = torch.rand(m, h) * 2 - 1
        out = torch.empty(m, 4 * h)
        return row(name, threads, measure(lambda: torch.mm(x, w.t(), out=out), repeat),
                   flops=2.0 * m * 4 * h * h, nbytes=4.0 * 4 * h * h)
    if name == "cache-read":
        data = torch.ones((16 << 20) // 4)
        return row(name, threads, measure(lambda: data.sum(), repeat), nbytes=16 << 20)
    if name in TRAIN_ROWS:
        cell, b, t, i, h, layers = TRAIN_ROWS[name]
        rnn = make_rnn(torch, cell, i, h, layers)
        opt = torch.optim.SGD(rnn.parameters(), lr=1e-3)
        x = torch.rand(t, b, i) * 2 - 1

        def step():
            opt.zero_grad(set_to_none=False)
            y, _ = rnn(x)
            loss = (y * y).mean()
            loss.backward()
            opt.step()

        return row(name, threads, measure(step, repeat), flops=train_flops(cell, b, t, i, h, layers), tokens=b * t, steps=t)
    if name in STREAM_ROWS:
        cell, i, h, layers = STREAM_ROWS[name]
        rnn = make_rnn(torch, cell, i, h, layers).eval()
        x = torch.rand(1, 1, i) * 2 - 1
        state = [None]

        def step():
            with torch.inference_mode():
                y, state[0] = rnn(x, state[0])

        return row(name, threads, measure(step, repeat), tokens=1, steps=1)
    return row(name, threads, error="unknown row")


def text(r):
    if "error" in r:
        return f"{r['name']:<28} error: {r['error']}"
    parts = [f"{r['name']:<28} {r['median_ms']:12.4f} ms"]
    if r["gflops"] is not None:
        parts.append(f"{r['gflops']:8.1f} GFLOP/s")
    if r["tok_s"] is not None:
        parts.append(f"{r['tok_s']:12.0f} tok/s")
    if r["us_per_step"] is not None:
        parts.append(f"{r['us_per_step']:10.2f} us/step")
    if r.get("gb_s") is not None:
        parts.append(f"{r['gb_s']:8.1f} GB/s")
    parts.append(f"threads={r['threads']}")
    return "  ".join(parts)


def main(argv):
    names, as_json, repeat, threads = [], False, 7, os.cpu_count() or 1
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--json":
            as_json = True
        elif a in ("--threads", "--repeat"):
            if i + 1 >= len(argv) or not argv[i + 1].isdigit() or int(argv[i + 1]) < 1:
                print(f"torch_reference: {a} needs a positive integer.", file=sys.stderr)
                return 2
            if a == "--threads":
                threads = int(argv[i + 1])
            else:
                repeat = int(argv[i + 1])
            i += 1
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 0 if a in ("-h", "--help") else 2
        else:
            names.append(a)
        i += 1
    if not names:
        print("\n".join(all_names()))
        return 0
    selected, unknown = expand(names)
    if unknown:
        print(f"torch_reference: unknown row(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if os.environ.get(CHILD_FLAG) != "1":
        env = child_environment(threads)
        return subprocess.call([sys.executable, os.path.abspath(__file__)] + argv, env=env)
    import torch
    torch.set_num_threads(threads)
    print(f"torch_reference: torch {torch.__version__}, OpenBLAS core {openblas_core()}, threads {threads}", file=sys.stderr)
    for name in selected:
        try:
            r = bench_row(name, threads, repeat)
        except Exception as e:  # one failing row must not hide the others
            r = row(name, threads, error=f"{type(e).__name__}: {e}")
        print(json.dumps(r) if as_json else text(r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
