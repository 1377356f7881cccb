#!/usr/bin/env python3
"""Checks ONNX files written by `baton export-onnx` with onnx.checker (full check, with shape inference).

Usage: python3 tools/golden/check_onnx.py FILE.onnx [FILE.onnx ...]
Needs Debian's python3-onnx (1.12: IR version 8, opset 17). Tests do not need this script.
Prints one line per file and exits 1 if any file fails.
"""
import sys

import onnx
from onnx import checker, shape_inference


def check(path):
    model = onnx.load(path)
    checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    ops = sorted({n.op_type for n in model.graph.node})
    inputs = ", ".join(f"{i.name}{dims(i)}" for i in model.graph.input)
    outputs = ", ".join(f"{o.name}{dims(o)}" for o in inferred.graph.output)
    return (f"ok  {path}: ir {model.ir_version}, opset {model.opset_import[0].version}, "
            f"ops {ops}, inputs {inputs}, outputs {outputs}")


def dims(value):
    shape = value.type.tensor_type.shape.dim
    return "[" + ",".join(d.dim_param or str(d.dim_value) for d in shape) + "]"


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            print(check(path))
        except Exception as e:  # checker raises several exception types
            failed += 1
            print(f"FAIL {path}: {type(e).__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
