"""A tiny reference interpreter for the ONNX graphs our exporter emits, built on torch ops.

There is no onnxruntime for Debian's Python and onnx 1.12 has no onnx.reference,
so this evaluates the exported graph node by node. It only knows the ~25 op
types our ViT export uses and raises on anything else, which doubles as a guard
against unexpected ops sneaking into the graph. It executes the ONNX graph,
not the torch module, so it catches exporter mistakes (op semantics, layouts,
folded constants) before the Java golden test does.
"""

from __future__ import annotations

from typing import Callable, Dict, List

import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

_DTYPES = {
    onnx.TensorProto.FLOAT: torch.float32,
    onnx.TensorProto.UINT8: torch.uint8,
    onnx.TensorProto.INT64: torch.int64,
    onnx.TensorProto.INT32: torch.int32,
    onnx.TensorProto.BOOL: torch.bool,
    onnx.TensorProto.DOUBLE: torch.float64,
}


def _t(proto: onnx.TensorProto) -> torch.Tensor:
    return torch.from_numpy(numpy_helper.to_array(proto).copy())


def _div(a, b):
    if a.dtype.is_floating_point:
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


def _gather(attrs, x, idx):
    axis = attrs.get("axis", 0) % x.dim()
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    out = x.index_select(axis, idx.reshape(-1))
    return out.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])


def _reshape(attrs, x, shape):
    shape = shape.tolist()
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _slice(attrs, x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes.tolist()
    steps = [1] * len(starts) if steps is None else steps.tolist()
    idx = [slice(None)] * x.dim()
    for s, e, a, st in zip(starts.tolist(), ends.tolist(), axes, steps):
        if st != 1:
            raise NotImplementedError("Slice with step != 1")
        n = x.shape[a]
        idx[a] = slice(max(min(s, n), -n), max(min(e, n), -n - 1))
    return x[tuple(idx)]


def _conv(attrs, x, w, b=None):
    pads = attrs.get("pads", [0, 0, 0, 0])
    if pads[:2] != pads[2:]:
        raise NotImplementedError("asymmetric Conv padding")
    return F.conv2d(x, w, b, stride=attrs.get("strides", 1), padding=pads[:2],
                    dilation=attrs.get("dilations", 1), groups=attrs.get("group", 1))


def _layer_norm(attrs, x, scale, bias=None):
    axis = attrs.get("axis", -1) % x.dim()
    return F.layer_norm(x, x.shape[axis:], scale, bias, eps=attrs.get("epsilon", 1e-5))


def _constant_of_shape(attrs, shape):
    value = _t(attrs["value"]) if "value" in attrs else torch.zeros(1)
    return value.reshape(()).expand(shape.tolist()).clone()


def _expand(attrs, x, shape):
    return x.expand(torch.broadcast_shapes(x.shape, tuple(shape.tolist()))).clone()


def _split(attrs, x, split=None):
    if split is None:
        raise NotImplementedError("Split without explicit sizes")
    return tuple(torch.split(x, split.tolist(), dim=attrs.get("axis", 0)))


def _unsqueeze(attrs, x, axes):
    out = x
    for a in sorted(a % (x.dim() + len(axes)) for a in axes.tolist()):
        out = out.unsqueeze(a)
    return out


def _gemm(attrs, a, b, c=None):
    if attrs.get("transA", 0):
        a = a.transpose(0, 1)
    if attrs.get("transB", 0):
        b = b.transpose(0, 1)
    out = attrs.get("alpha", 1.0) * (a @ b)
    if c is not None:
        out = out + attrs.get("beta", 1.0) * c
    return out


def _squeeze(x, axes):
    for a in sorted((a % x.dim() for a in axes.tolist()), reverse=True):
        x = x.squeeze(a)
    return x


OPS: Dict[str, Callable[..., torch.Tensor]] = {
    "Constant": lambda attrs: _t(attrs["value"]),
    "Identity": lambda attrs, x: x,
    "Add": lambda attrs, a, b: a + b,
    "Sub": lambda attrs, a, b: a - b,
    "Mul": lambda attrs, a, b: a * b,
    "Div": lambda attrs, a, b: _div(a, b),
    "MatMul": lambda attrs, a, b: a @ b,
    "Erf": lambda attrs, x: torch.erf(x),
    "Sigmoid": lambda attrs, x: torch.sigmoid(x),
    "Softmax": lambda attrs, x: torch.softmax(x, dim=attrs.get("axis", -1)),
    "Transpose": lambda attrs, x: x.permute(attrs["perm"]),
    "Reshape": _reshape,
    "Shape": lambda attrs, x: torch.tensor(x.shape[attrs.get("start", 0):attrs.get("end", x.dim())],
                                           dtype=torch.int64),
    "Gather": _gather,
    "Concat": lambda attrs, *xs: torch.cat(xs, dim=attrs["axis"]),
    "Split": _split,
    "Unsqueeze": _unsqueeze,
    "Slice": _slice,
    "Conv": _conv,
    "LayerNormalization": _layer_norm,
    "ConstantOfShape": _constant_of_shape,
    "Equal": lambda attrs, a, b: a == b,
    "Where": lambda attrs, c, a, b: torch.where(c, a, b),
    "Expand": _expand,
    "Cast": lambda attrs, x: x.to(_DTYPES[attrs["to"]]),
    # MIL graphs (models/bloomstream_models/mil.py)
    "Gemm": _gemm,
    "Tanh": lambda attrs, x: torch.tanh(x),
    "Relu": lambda attrs, x: torch.relu(x),
    "Squeeze": lambda attrs, x, axes=None: x.squeeze() if axes is None else _squeeze(x, axes),
}


def run(model: onnx.ModelProto, feeds: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
    """Evaluates the graph on ``feeds``; returns the graph outputs in order."""
    env: Dict[str, torch.Tensor] = {i.name: _t(i) for i in model.graph.initializer}
    env.update(feeds)
    with torch.no_grad():
        for node in model.graph.node:
            if node.domain not in ("", "ai.onnx"):
                raise NotImplementedError(f"custom domain op {node.domain}:{node.op_type}")
            op = OPS.get(node.op_type)
            if op is None:
                raise NotImplementedError(f"op {node.op_type} ({node.name}) not supported by the reference runner")
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            args = [env[name] if name else None for name in node.input]
            while args and args[-1] is None:  # trailing optional inputs
                args.pop()
            out = op(attrs, *args)
            outs = out if isinstance(out, tuple) else (out,)
            for name, value in zip(node.output, outs):
                env[name] = value
    return [env[o.name] for o in model.graph.output]
