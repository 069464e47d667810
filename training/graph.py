"""ONNX graph tidying after tf2onnx: shapes it computes at run time that are known at export."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper


def static_flatten(proto: onnx.ModelProto) -> int:
    """Give Keras' Flatten a constant shape; returns how many nodes left the graph.

    tf2onnx exports Flatten as Reshape(x, Concat(Slice(Shape(x)), [D])), six nodes run on every
    call (Shape, Gather, Cast, Slice, Concat, Cast) to build [N, D]. Reshape to the constant
    [-1, D] is the same for every batch size, and the nodes that only fed it are dropped. Only a
    shape [computed batch size, constant D] is changed; any other Reshape is left as it is.
    """
    graph = proto.graph
    constants = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    for node in graph.node:
        if node.op_type != "Reshape" or node.input[1] in constants:
            continue
        concat = producer.get(node.input[1])
        while concat is not None and concat.op_type == "Cast":
            concat = producer.get(concat.input[0])
        if concat is None or concat.op_type != "Concat":
            continue
        known = [numpy_helper.to_array(constants[i]).ravel() for i in concat.input[1:]
                 if i in constants]
        if concat.input[0] in constants or len(known) != len(concat.input) - 1 \
                or sum(k.size for k in known) != 1:
            continue  # not [batch size, D]: another rank, or another computed dimension
        width = int(np.concatenate(known)[0])
        name = f"{node.output[0]}_shape"
        graph.initializer.append(numpy_helper.from_array(np.array([-1, width], np.int64), name))
        node.input[1] = name
    return _drop_unused(graph)


def _drop_unused(graph: onnx.GraphProto) -> int:
    """Remove the nodes no output depends on, and the constants no node reads."""
    needed = {o.name for o in graph.output}
    kept = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(node.input)
    dropped = len(graph.node) - len(kept)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    live = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(live)
    return dropped
