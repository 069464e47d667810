"""A writer's profile: their labelled samples in the model's embedding space, and how they
adjust the model's answer. NumPy only; made by `Recognizer.adapt`, kept by `save_profile`.

The method (measured in the model card): every sample's embedding (the penultimate layer, an
output of digitrt's models) is kept, L2-normalised. For a new drawing, the cosine similarity to
the closest sample of each enrolled digit is computed; a digit whose closest sample is more
similar than GATE gets a bonus of WEIGHT per unit of similarity above it, added to the log of
the model's probability, and the ten are renormalised; the odds that the drawing is not a digit
shrink by the largest bonus (the writer taught that this shape is a digit).

How it guards against forgetting other people's digits: a bonus needs a close match with one of
this writer's own drawings (drawings of other writers rarely come that close), it only ever
raises a digit the writer enrolled, it never lowers one, and it is bounded (at most WEIGHT *
(1 - GATE) in log-probability).
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._errors import ArgumentTypeError, ArgumentValueError, ModelError

# Chosen on simulated writers made from the *training* fonts, three digits of each written
# mirrored, so that other people's digits keep their accuracy (python -m training.personalize
# --tune); the model card reports the result on held-out writers.
GATE = 0.75
WEIGHT = 80.0
FORMAT = "digitrt-profile-1"


class Profile:
    """The samples of one writer, for one model file.

    Args:
        embeddings: (n, D) embeddings of the samples (normalised here).
        labels: (n,) their digits.
        model_sha256: the model file's sha256; a profile only works with that model.
    """

    def __init__(self, embeddings: npt.NDArray[np.float32], labels: npt.NDArray[np.integer],
                 model_sha256: str, gate: float = GATE, weight: float = WEIGHT) -> None:
        embeddings, labels = _checked(embeddings, labels, gate, weight)
        order = np.argsort(labels, kind="stable")
        e = np.asarray(embeddings, np.float32)[order]
        norms = np.linalg.norm(e, axis=1, keepdims=True)
        self.embeddings = (e / np.maximum(norms, 1e-12)).astype(np.float32)
        self.labels = np.asarray(labels, np.int64)[order]
        self.model_sha256 = model_sha256
        self.gate, self.weight = float(gate), float(weight)
        self.digits, self.starts = np.unique(self.labels, return_index=True)

    def counts(self) -> list[int]:
        """Samples per digit 0-9."""
        return [int(n) for n in np.bincount(self.labels, minlength=10)]

    def adjust(self, scored: npt.NDArray[np.float32], embedding: npt.NDArray[np.float32]) -> None:
        """Adjust each row's ten probabilities (scored[:, :10]) and not-a-digit score (scored[:,
        10]) in place for this writer."""
        if not len(self.labels):
            return
        if len(embedding) == 1:  # predict's case, on the hot path: four NumPy calls to say "no"
            e = embedding[0]
            best = float(np.maximum.reduceat(self.embeddings @ e, self.starts).max())
            if best <= self.gate * math.sqrt(float(e @ e)):
                return
        norms = np.sqrt(np.einsum("ij,ij->i", embedding, embedding))
        # Similarities unnormalised first: most drawings match no sample closely, and for those
        # the comparison with the gate is all there is to do.
        raw = embedding @ self.embeddings.T  # (N, n)
        closest = np.maximum.reduceat(raw, self.starts, axis=1)  # (N, enrolled digits)
        gate = self.gate * norms[:, None]
        if not (closest > gate).any():
            return
        bonus = self.weight * np.maximum(closest - gate, 0.0) / np.maximum(norms[:, None], 1e-12)
        # A close match with one of the writer's own digits also says "this is a digit": the
        # odds of not-a-digit shrink by the same factor the matched digit's odds grow.
        other = scored[:, 10]
        odds = np.exp(np.minimum(bonus.max(axis=1), 60.0))
        scored[:, 10] = other / (other + (1 - other) * odds)
        p = scored[:, :10]
        logp = np.log(np.maximum(p, 1e-30))
        logp[:, self.digits] += bonus
        logp -= logp.max(axis=1, keepdims=True)
        adjusted = np.exp(logp)
        p[:] = adjusted / adjusted.sum(axis=1, keepdims=True)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile to `path` (a small .npz), atomically; an existing regular file there
        is replaced, anything else (a folder, a FIFO, a device) is refused."""
        target = Path(_checked_path(path))
        try:
            if target.exists() and not target.is_file():
                raise ModelError(f"cannot write the profile to {str(target)!r}: it exists and is not "
                                 "a regular file (a folder, FIFO or device); choose a file name")
        except OSError as e:  # e.g. a name too long for the file system
            raise ModelError(f"cannot write the profile {str(target)!r}: {e.strerror or e}") from None
        buffer = io.BytesIO()
        np.savez(buffer, format=np.array(FORMAT), embeddings=self.embeddings, labels=self.labels,
                 model_sha256=np.array(self.model_sha256), gate=self.gate, weight=self.weight)
        temporary = target.with_name(f".{target.name}.tmp")
        try:
            temporary.write_bytes(buffer.getvalue())
            temporary.replace(target)
        except OSError as e:
            temporary.unlink(missing_ok=True)
            raise ModelError(f"cannot write the profile {str(target)!r}: {e.strerror or e}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str], model_sha256: str, model_name: str) -> Profile:
        """Read a profile; ModelError if it is unreadable or made for another model."""
        from ._errors import ImageError
        from ._image import _read_file

        try:  # the same bounded, regular-files-only reading as images; numpy then reads memory
            data = _read_file(_checked_path(path))
        except ImageError as e:
            raise ModelError(f"cannot read the profile: {e}") from None
        try:
            _check_unpacked_size(data, path)
            with np.load(io.BytesIO(data), allow_pickle=False) as f:
                if str(f["format"]) != FORMAT:
                    raise ModelError(f"{os.fspath(path)!r} is not a digitrt profile "
                                     f"(format {str(f['format'])!r}, expected {FORMAT!r})")
                made_for = str(f["model_sha256"])
                profile = cls(f["embeddings"], f["labels"], made_for, float(f["gate"]),
                              float(f["weight"]))
        except ModelError:
            raise
        except Exception as e:  # a corrupt or foreign file: numpy, zipfile or key errors
            raise ModelError(f"cannot read the profile {os.fspath(path)!r}: "
                             f"{type(e).__name__}: {e}") from None
        if made_for != model_sha256:
            raise ModelError(f"the profile {os.fspath(path)!r} was made for another model "
                             f"(sha256 {made_for[:12]}...), not {model_name} "
                             f"(sha256 {model_sha256[:12]}...); adapt again with this model")
        return profile


MAX_SAMPLES = 100_000  # samples in one profile (a writer enrols tens to hundreds)
MAX_UNPACKED = 256 * 1024 * 1024  # bytes a profile's arrays may take once unpacked


def _checked(embeddings: object, labels: object, gate: float, weight: float
             ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The profile's values, or ModelError saying which is unusable: embeddings (n, D) finite,
    labels (n,) digits 0-9, gate in [0, 1], weight finite and >= 0."""
    e, y = np.asarray(embeddings), np.asarray(labels)
    if e.ndim != 2 or y.shape != (len(e),) or len(e) > MAX_SAMPLES:
        raise ModelError(f"a profile needs embeddings (n, D) and labels (n,) with n <= {MAX_SAMPLES}; "
                         f"got shapes {e.shape} and {y.shape}")
    if e.dtype.kind not in "fiu" or not np.isfinite(e).all():
        raise ModelError(f"a profile's embeddings must be finite numbers; got {e.dtype} with NaN, "
                         "infinity or non-numbers")
    if len(y) and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() > 9):
        raise ModelError(f"a profile's labels must be digits 0-9; got {y.dtype} values "
                         f"from {y.min()!r} to {y.max()!r}")
    if not 0.0 <= gate <= 1.0 or not (math.isfinite(weight) and 0.0 <= weight <= 1000.0):
        raise ModelError(f"a profile's gate must be in [0, 1] and its weight in [0, 1000]; got "
                         f"gate {gate!r}, weight {weight!r}")
    return e.astype(np.float32), y.astype(np.int64)


def _checked_path(path: object) -> str:
    """`path` as a usable file name, or ArgumentTypeError / ArgumentValueError saying why."""
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(f"a profile path must be a str or os.PathLike, got "
                                f"{type(path).__name__} {path!r:.60}")
    name = os.fspath(path)
    if not isinstance(name, str) or not name or "\0" in name:
        raise ArgumentValueError(f"{name!r} is not a usable file name for a profile (empty, bytes, "
                                 "or a NUL character); give a path such as 'me.profile'")
    return name


def _check_unpacked_size(data: bytes, path: object) -> None:
    """Refuse a profile whose members would unpack to more than MAX_UNPACKED bytes (a small
    deflated file can expand to gigabytes); zipfile never reads past the sizes checked here."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        total = sum(info.file_size for info in z.infolist())
    if total > MAX_UNPACKED:
        raise ModelError(f"the profile {path!s:.200} unpacks to {total:,} bytes; a digitrt profile "
                         f"is at most {MAX_UNPACKED:,}")
