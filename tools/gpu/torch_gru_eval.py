#!/usr/bin/env python3
"""Evaluation tokens/s of PyTorch's GRU or LSTM (cuDNN on a GPU) over one sequence, for the grid of `baton lab parallel`.

The reference for the accelerator columns of `baton lab parallel --device cuda`: the same shapes (one sequence,
input size = hidden size), timed from the input on the device to h on the device, median of repeats.
Usage: python3 tools/gpu/torch_gru_eval.py [--cell gru|lstm] [--length 128,512,...] [--hidden 8,32,...] [--device cuda]
"""
import argparse
import statistics
import time

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", default="128,512,2048,8192,16384")
    parser.add_argument("--hidden", default="8,32,128,256")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    args = parser.parse_args()
    device = torch.device(args.device)
    lengths = [int(v) for v in args.length.split(",")]
    hiddens = [int(v) for v in args.hidden.split(",")]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {name}; cudnn {torch.backends.cudnn.version() if device.type == 'cuda' else '-'}")
    print(f"H,T,torch_{args.cell}_eval_tok_s")
    torch.manual_seed(1)
    for H in hiddens:
        gru = (torch.nn.GRU if args.cell == "gru" else torch.nn.LSTM)(H, H).to(device).eval()
        for T in lengths:
            x = torch.rand(T, 1, H, device=device) * 2 - 1
            try:
                gru(x)
            except RuntimeError as error:   # cuDNN refuses some long sequences
                print(f"{H},{T},unsupported: {str(error).splitlines()[0]}", flush=True)
                continue
            with torch.no_grad():
                for _ in range(2):
                    gru(x)
                times = []
                for _ in range(args.repeats):
                    if device.type == "cuda":
                        torch.cuda.synchronize(device)
                    start = time.perf_counter()
                    gru(x)
                    if device.type == "cuda":
                        torch.cuda.synchronize(device)
                    times.append(time.perf_counter() - start)
            print(f"{H},{T},{T / statistics.median(times):.0f}", flush=True)


if __name__ == "__main__":
    main()
