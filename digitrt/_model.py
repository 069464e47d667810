"""The Model: one onnxruntime session over a digitrt ONNX file, checked once, run many times."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._errors import ArgumentTypeError, ModelError, check_int
from ._models import resolve_model
from ._preprocess import MNIST_SIZE
from ._version import PREPROCESSING_VERSION

MAX_THREADS = 64  # onnxruntime builds a thread pool up front: 4096 threads took 86 s
PROBABILITIES = "probabilities"  # the output every digitrt model has
EMBEDDING = "embedding"  # v2 models: the penultimate layer, [N, D] (what personal profiles keep)
NOT_A_DIGIT = "not_a_digit"  # v2 models: the probability that the drawing is not a digit, [N]
_SIGNATURE = f"input float32 [N, {MNIST_SIZE}, {MNIST_SIZE}, 1] and output float32 [N, 10]"


def _session_options(threads: int = 1) -> Any:
    """The onnxruntime SessionOptions digitrt uses (benchmarks reuse them: Model.session_options).

    Full graph optimisation (faster for CNNs than none), `threads` intra-op threads and
    one inter-op thread (a digit model is a chain: nothing runs in parallel), errors only.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def open_session(path: Path, what: str, threads: int = 1,
                 providers: Sequence[str] = ("CPUExecutionProvider",)) -> Any:
    """An onnxruntime session on `path` with digitrt's options; ModelError naming `what` (e.g.
    "model") for a file onnxruntime cannot load."""
    import onnxruntime as ort

    try:
        return ort.InferenceSession(str(path), _session_options(threads), providers=list(providers))
    except Exception as e:  # onnxruntime raises its own untyped errors for bad files
        raise ModelError(f"cannot load {what} {str(path)!r}: {first_line(e)}") from None


class Model:
    """One digitrt ONNX model in an onnxruntime session: load, check, run on ready tensors.

    Most callers want `Recognizer`, which adds preprocessing and the decision; `Model` is for
    running the network on tensors that are already 28x28 (evaluation, benchmarks, training).

    Args:
        model: a bundled model's name (see `digitrt.list_models()`), a path to an .onnx file, or
            None for $DIGITRT_MODEL, else "cnn-int8".
        threads: onnxruntime intra-op threads; 1 is fastest for single images.
        providers: onnxruntime execution providers; default CPUExecutionProvider.

    Raises:
        ModelError: the model is missing, corrupt or incompatible, was made for another
            preprocessing version, or a provider is unavailable.
    """

    session_options = staticmethod(_session_options)

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        threads: int = 1,
        providers: Sequence[str] | None = None,
    ) -> None:
        import onnxruntime as ort

        if model is not None and not isinstance(model, (str, os.PathLike)):
            raise ArgumentTypeError(
                f"model must be a bundled model's name (str), a path or None, got "
                f"{type(model).__name__} {model!r:.60}")
        check_int("threads", threads, 1, MAX_THREADS)
        if providers is not None and (isinstance(providers, (str, bytes)) or not isinstance(
                providers, Sequence) or not all(isinstance(p, str) for p in providers)):
            raise ArgumentTypeError(f"providers must be a list of provider names (str), got "
                                    f"{providers!r:.80}")
        available = ort.get_available_providers()
        providers = list(providers) if providers is not None else ["CPUExecutionProvider"]
        unknown = [p for p in providers if p not in available]
        if unknown or not providers:
            raise ModelError(
                f"execution provider(s) {unknown or providers} not available; "
                f"this onnxruntime offers: {', '.join(available)}"
            )
        self.threads: int = threads
        self.providers: tuple[str, ...] = tuple(providers)
        self.path: Path = resolve_model(model)
        self._session = open_session(self.path, "model", threads, providers)
        self.input_name, probabilities = self._check_signature()
        self.output_names: tuple[str, ...] = tuple(o.name for o in self._session.get_outputs())
        self._probabilities = [probabilities]
        self._scored = [probabilities, NOT_A_DIGIT] if NOT_A_DIGIT in self.output_names else None
        self._sha256: str | None = None
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)
        self.name: str = self.metadata.get("model", self.path.stem)
        self._check_outputs()
        version = self.metadata.get("preprocessing_version")
        if version is not None and version != PREPROCESSING_VERSION:
            raise ModelError(
                f"{str(self.path)!r} was trained for preprocessing version {version}, but this "
                f"digitrt preprocesses with version {PREPROCESSING_VERSION}; retrain it "
                "(python -m training.train) or use the digitrt release it was made for"
            )

    def _check_signature(self) -> tuple[str, str]:
        """The input's name and the probabilities output's name; ModelError if they do not fit."""
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        by_name = {o.name: o for o in outputs}
        if len(inputs) != 1 or (PROBABILITIES not in by_name and len(outputs) != 1):
            raise ModelError(f"{str(self.path)!r} must have one input and an output named "
                             f"{PROBABILITIES!r}; digitrt models have {_SIGNATURE}")
        out = by_name.get(PROBABILITIES, outputs[0])
        shape, out_shape = inputs[0].shape, out.shape
        ok = (
            inputs[0].type == "tensor(float)"
            and len(shape) == 4
            and list(shape[1:]) == [MNIST_SIZE, MNIST_SIZE, 1]
            and out.type == "tensor(float)"
            and len(out_shape) == 2
            and out_shape[1] == 10
        )
        if not ok:
            raise ModelError(
                f"{str(self.path)!r} has input {inputs[0].type} {shape} and output "
                f"{out.type} {out_shape}; digitrt needs {_SIGNATURE}"
            )
        # A single-output model from another exporter may name its output differently.
        return str(inputs[0].name), str(out.name)

    def _check_outputs(self) -> None:
        """A test run on a batch of two: the output must be (2, 10) probabilities, each row
        finite, in [0, 1] and summing to 1 (not logits, not NaN, not a fixed batch of one)."""
        batch = np.zeros((2, MNIST_SIZE, MNIST_SIZE, 1), np.float32)
        batch[1, 4:24, 12:16, 0] = 1.0
        try:
            out = np.asarray(self._session.run(self._probabilities, {self.input_name: batch})[0])
        except Exception as e:  # onnxruntime's own errors, e.g. a fixed batch size of 1
            raise ModelError(f"{str(self.path)!r} failed a test run on a batch of 2 (digitrt "
                             f"needs a dynamic batch size): {first_line(e)}") from None
        problem = ""
        if out.shape != (2, 10):
            problem = f"gave shape {out.shape} for a batch of 2"
        elif not np.isfinite(out).all():
            problem = "gave NaN or infinite values"
        # 1 % on the sums: a softmax quantized to int8 comes in steps of 1/255.
        elif out.min() < -1e-6 or out.max() > 1 + 1e-6 or np.abs(out.sum(1) - 1).max() > 0.01:
            problem = (f"gave values in [{out.min():.3g}, {out.max():.3g}] with row sums "
                       f"{out.sum(1).round(3).tolist()}: not probabilities (logits? add a softmax)")
        if problem:
            raise ModelError(f"{str(self.path)!r} {problem}; digitrt needs {_SIGNATURE} of "
                             "probabilities")
        self._check_extra_outputs(batch)

    def _check_extra_outputs(self, batch: npt.NDArray[np.float32]) -> None:
        """The optional outputs on the same test batch: `not_a_digit` a probability per image
        ([N] in [0, 1]), `embedding` finite values, one row per image."""
        extra = [n for n in (NOT_A_DIGIT, EMBEDDING) if n in self.output_names]
        if not extra:
            return
        try:
            values = dict(zip(extra, self._session.run(extra, {self.input_name: batch}), strict=True))
        except Exception as e:
            raise ModelError(f"{str(self.path)!r} failed a test run of {extra}: {first_line(e)}") from None
        score = values.get(NOT_A_DIGIT)
        if score is not None:
            score = np.asarray(score)
            if score.shape not in ((2,), (2, 1)) or not np.isfinite(score).all() or (
                    score.min() < 0 or score.max() > 1):
                raise ModelError(
                    f"{str(self.path)!r} output {NOT_A_DIGIT!r} gave {score.ravel()[:4].tolist()} "
                    f"(shape {score.shape}) for a batch of 2; digitrt needs a probability in "
                    "[0, 1] per image, shape [N]")
        embedding = values.get(EMBEDDING)
        if embedding is not None:
            embedding = np.asarray(embedding)
            if embedding.ndim != 2 or len(embedding) != 2 or not np.isfinite(embedding).all():
                raise ModelError(
                    f"{str(self.path)!r} output {EMBEDDING!r} gave shape {embedding.shape} "
                    "with NaN or infinite values for a batch of 2; digitrt needs finite [N, D]")

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The model's probabilities for a ready batch.

        Args:
            batch: float32 array of shape (N, 28, 28, 1), as `digitrt.preprocess` makes them.

        Returns:
            float32 array of shape (N, 10).
        """
        result: npt.NDArray[np.float32] = self._session.run(
            self._probabilities, {self.input_name: batch})[0]
        return result

    @property
    def has_not_a_digit(self) -> bool:
        """True when the model scores drawings for not being a digit (digitrt's v2 models)."""
        return self._scored is not None

    def run_scored(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Probabilities and the not-a-digit score in one run: (N, 11), the score last (0 for a
        model without one)."""
        return _scored(self._session.run(self._scored or self._probabilities,
                                          {self.input_name: batch}))

    def run_scored_embedded(self, batch: npt.NDArray[np.float32]
                            ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """`run_scored` and the embedding, in one run.

        Raises:
            ModelError: the model has no embedding output.
        """
        if EMBEDDING not in self.output_names:
            raise ModelError(f"{self.name} has no {EMBEDDING!r} output (digitrt's models have it "
                             "since 0.2.0); personalization needs it")
        outputs = self._session.run([*(self._scored or self._probabilities), EMBEDDING],
                                    {self.input_name: batch})
        return _scored(outputs[:-1]), outputs[-1]

    @property
    def sha256(self) -> str:
        """The model file's sha256 (what a personal profile is tied to)."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return self._sha256

    def run_outputs(self, batch: npt.NDArray[np.float32], *names: str) -> dict[str, Any]:
        """Named outputs of the graph for a ready batch (e.g. an embedding, where it has one).

        Raises:
            ModelError: the model has no output of one of those names.
        """
        missing = [n for n in names if n not in self.output_names]
        if missing:
            raise ModelError(f"{self.name} has no output {missing}; it has {list(self.output_names)}")
        return dict(zip(names, self._session.run(list(names), {self.input_name: batch}), strict=True))

    def __repr__(self) -> str:
        return f"Model({self.name!r}, path={str(self.path)!r})"


def _scored(outputs: list[Any]) -> npt.NDArray[np.float32]:
    """[probabilities (N, 10), not_a_digit (N,) if the model has it] -> (N, 11), score last."""
    p = outputs[0]
    score = outputs[1].reshape(-1, 1) if len(outputs) > 1 else np.zeros((len(p), 1), np.float32)
    return np.concatenate((p, score), axis=1)


def first_line(e: BaseException) -> str:
    """The first line of an exception's message, at most 300 characters (for one-line errors)."""
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else type(e).__name__
