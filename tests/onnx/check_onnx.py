#!/usr/bin/python3
"""Checks an ONNX file that segkit wrote, with Debian's python3-onnx, and runs it.

    check_onnx.py MODEL.onnx FEATURES.csv LABELS.txt

The file must pass onnx.checker (full check, with shape inference). python3-onnx 1.12 has no
evaluator of its own (onnx.reference came in 1.13), so the graph is run here node by node with
numpy, each operator as the ONNX operator specification defines it, on the rows of FEATURES.csv
(the model's prepared features, one row per customer, no header); every row's label must be the
one in LABELS.txt (one per line), which segkit's own predict gave. Exit status 0 when all hold.
"""

import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attributes(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model, features):
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    values[model.graph.input[0].name] = features
    for node in model.graph.node:
        a = attributes(node)
        x = [values[name] for name in node.input]
        if node.op_type == "Sub":
            out = x[0] - x[1]
        elif node.op_type == "Div":
            out = x[0] / x[1]
        elif node.op_type == "Add":
            out = x[0] + x[1]
        elif node.op_type == "ReduceSumSquare":
            out = np.sum(x[0] * x[0], axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif node.op_type == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            out = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2:
                out = out + a.get("beta", 1.0) * x[2]
        elif node.op_type == "ArgMin":
            if a.get("select_last_index", 0):
                raise SystemExit("select_last_index is not expected")
            out = np.argmin(x[0], axis=a.get("axis", 0))
            if a.get("keepdims", 1):
                out = np.expand_dims(out, a.get("axis", 0))
            out = out.astype(np.int64)
        elif node.op_type == "Gather":
            out = np.take(x[0], x[1], axis=a.get("axis", 0))
        else:
            raise SystemExit(f"operator {node.op_type} is not expected in a segkit k-means graph")
        values[node.output[0]] = out
    return {o.name: values[o.name] for o in model.graph.output}


def main():
    model_path, features_path, labels_path = sys.argv[1:4]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    if [o.name for o in inferred.graph.output] != ["label", "distances"]:
        raise SystemExit(f"outputs are {[o.name for o in inferred.graph.output]}")
    features = np.loadtxt(features_path, delimiter=",", ndmin=2, dtype=np.float64)
    expected = np.loadtxt(labels_path, dtype=np.int64, ndmin=1)
    out = run(model, features)
    label, distances = out["label"], out["distances"]
    if label.shape != expected.shape:
        raise SystemExit(f"{label.shape[0]} labels from the graph, {expected.shape[0]} expected")
    wrong = np.flatnonzero(label != expected)
    if wrong.size:
        raise SystemExit(f"{wrong.size} of {label.size} rows differ, first row {wrong[0]}: "
                         f"graph {label[wrong[0]]}, segkit {expected[wrong[0]]}")
    # The nearest segment's id: its position when the graph has no segment_ids.
    ids = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}.get("segment_ids")
    nearest = np.argmin(distances, axis=1)
    if not np.array_equal(nearest if ids is None else ids[nearest], label) or distances.shape[1] < 1:
        raise SystemExit("the distances output does not give the labels")
    print(f"onnx {onnx.__version__}: checker passed, {label.size} rows, {distances.shape[1]} segments, same labels")


if __name__ == "__main__":
    main()
