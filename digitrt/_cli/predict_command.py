"""`digitrt predict PATH...`: the digit in each image, for a few files or a folder of millions.

Files, folders (`--recursive` for subfolders) and globs are read lazily and predicted in batches
through the batching core (one model run per batch), by this process or by `--workers N`
processes each with its own Recognizer. Results stream out as each batch finishes, as text,
JSON lines or CSV, to stdout or `--output FILE`; `--resume` skips files already in that file.
A bad file is one error record and never stops the run; Ctrl+C stops cleanly with everything
finished so far written.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import io
import json
import os
import re
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .._constants import DEFAULT_BATCH_SIZE, IMAGE_SUFFIXES, MAX_BATCH_SIZE

CSV_FIELDS = ("file", "digit", "confidence", "status", "error")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    predict = commands.add_parser(
        "predict", help="recognise the digit in each image (files, folders, globs)",
        description=__doc__.split("\n\n")[1] if __doc__ else None)
    add_input_arguments(predict)
    predict.add_argument("--format", choices=("text", "jsonl", "csv"), default=None,
                         help="text (default), jsonl (one JSON object per image) or csv")
    predict.add_argument("--json", action="store_true",
                         help="the same as --format jsonl: file, digit, confidence, status, "
                              "best_guess, probabilities")
    predict.add_argument("--top-k", type=int, default=1, metavar="K",
                         help="also show the K most probable digits (default 1)")
    predict.add_argument("--output", "-o", default=None, metavar="FILE",
                         help="write the results to FILE instead of stdout")
    predict.add_argument("--resume", action="store_true",
                         help="with --output: keep FILE and skip the images already in it")
    predict.add_argument("--workers", type=int, default=1, metavar="N",
                         help="processes, each with its own model (default 1)")
    predict.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
                         help=f"images per model run (default {DEFAULT_BATCH_SIZE})")
    return predict  # type: ignore[no-any-return]


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """What `predict` and `read` share: the images, the model and how it decides."""
    parser.add_argument("files", nargs="+", metavar="PATH",
                        help="image files, folders or globs; '-' reads one image from stdin")
    parser.add_argument("--recursive", "-r", action="store_true",
                        help="look into the subfolders of the folders given")
    parser.add_argument("--model", default=None,
                        help="cnn-int8 (the default), cnn, mlp, or a path to an .onnx model")
    parser.add_argument("--samples", default=None, metavar="DIR",
                        help="learn this writer's samples first (DIR/<digit>/*.png, as the "
                             "drawing window saves them)")
    parser.add_argument("--reject", type=float, default=None, metavar="T",
                        help="answer 'not a digit' from this not-a-digit score on (0-1; "
                             "default: the model's own threshold; 1 never rejects)")


def run(args: argparse.Namespace) -> int:
    from .._errors import ImageError

    fmt = "jsonl" if args.json else (args.format or "text")
    problem = _check(args)
    if problem:
        print(f"digitrt: error: {problem}", file=sys.stderr)
        return 2
    done: set[str] = set()
    try:
        if args.resume:
            done = _finished(Path(args.output), fmt)
        out, close = _open_output(args)
    except (OSError, ValueError) as e:
        print(f"digitrt: error: {_output_problem(args.output, e)}", file=sys.stderr)
        return 2
    names = (n for n in expand(args.files, args.recursive) if _key(n, fmt) not in done)
    appending = bool(args.resume and os.path.isfile(args.output) and os.path.getsize(args.output))
    writer = Writer(out, fmt, args.top_k, header=not appending)
    progress = Progress(args.files, args.recursive, len(done)) if sys.stderr.isatty() else None
    failures = 0
    try:
        for name, result in predict_files(names, args):
            writer.write(name, result)
            failures += isinstance(result, ImageError)
            if progress:
                progress.tick()
            if writer.pending >= args.batch_size:
                writer.flush()
        writer.flush()  # here, not only in `finally`: a full disk is an error, not silence
    except KeyboardInterrupt:
        _flush_quietly(writer)
        print("\ndigitrt: interrupted; the results so far are written"
              + (" (rerun with --resume to continue)" if args.output else ""), file=sys.stderr)
        return 130
    except OSError as e:  # a full disk, a closed pipe's neighbour: one line, no traceback
        print(f"digitrt: error: cannot write the results to {args.output or 'stdout'}: "
              f"{e.strerror or e}", file=sys.stderr)
        if not close:  # stdout is broken: nothing more may be written to it at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 2
    finally:
        _flush_quietly(writer)
        if progress:
            progress.done()
        if close:
            with contextlib.suppress(OSError):
                out.close()
    return 1 if failures else 0


def _flush_quietly(writer: Writer) -> None:
    with contextlib.suppress(OSError):
        writer.flush()


def _output_problem(output: str, e: Exception) -> str:
    if isinstance(e, OSError):
        return (f"cannot write the results to {output!r}: {e.strerror or e} (the folder must "
                "exist, and the name must not be a folder)")
    return str(e)


def _key(name: str, fmt: str) -> str:
    """A file name as the output format stores it, for --resume: text escapes control
    characters (`shown`), CSV keeps bytes that are not UTF-8 as backslash escapes."""
    from . import shown

    if fmt == "text":
        return shown(name)
    if fmt == "csv":
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return name


def _check(args: argparse.Namespace) -> str:
    if not 1 <= args.top_k <= 10:
        return f"--top-k must be 1-10, got {args.top_k}"
    if not 1 <= args.workers <= 256:
        return f"--workers must be 1-256, got {args.workers}"
    if not 1 <= args.batch_size <= MAX_BATCH_SIZE:
        return f"--batch-size must be 1-{MAX_BATCH_SIZE}, got {args.batch_size}"
    if args.resume and not args.output:
        return "--resume needs --output FILE (the results to resume)"
    if args.workers > 1 and "-" in args.files:
        return "'-' (stdin) cannot be shared between --workers"
    return ""


def expand(paths: Iterable[str], recursive: bool, quiet: bool = False) -> Iterator[str]:
    """Files as given; folders' image files (sorted, lazily); globs expanded. A path that does
    not exist, or a folder that cannot be listed, is passed on as it is, so it gets its own
    error record. A file reached twice (a glob through a folder symlink loop) is given once."""
    seen: set[tuple[int, int]] = set()
    for path in paths:
        if path == "-" or os.path.isfile(path):
            yield path
        elif os.path.isdir(path):
            yield from _walk(path, recursive, quiet)
        elif glob.has_magic(path):
            for match in sorted(glob.iglob(path, recursive=recursive)):
                if os.path.isdir(match):
                    yield from _walk(match, recursive, quiet)
                elif _first_time(match, seen):
                    yield match
        else:
            yield path


def _first_time(path: str, seen: set[tuple[int, int]]) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return True  # its error record says why
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def _walk(folder: str, recursive: bool, quiet: bool = False) -> Iterator[str]:
    """Image files under `folder`, sorted, depth first, with an explicit stack (no recursion
    limit however deep); folder symlinks are not followed (no loops). An unreadable folder is
    yielded itself (its error record says why); skipped subfolders are said once on stderr."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            yield current
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)
                elif entry.name.lower().endswith(IMAGE_SUFFIXES) and (
                        entry.is_file() or entry.is_symlink()):  # a broken or looping link too
                    yield entry.path
            except OSError:  # a symlink loop or a vanished entry: its own error record
                yield entry.path
        if recursive:
            stack.extend(reversed(subfolders))
        elif subfolders and not quiet:
            print(f"digitrt: {current}: {len(subfolders)} subfolder(s) not looked into "
                  "(--recursive reads them)", file=sys.stderr)


# ---------------------------------------------------------------- predicting

_worker_recognizer: Any = None


def _worker_start(model: str | None, reject: float | None, samples: str | None) -> None:
    global _worker_recognizer
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl+C
    _worker_recognizer = _recognizer(model, reject, samples, quiet=True)


def _worker_batch(names: list[str]) -> list[Any]:
    return list(_stream(_worker_recognizer, names, len(names)))


def _recognizer(model: str | None, reject: float | None, samples: str | None,
                quiet: bool = False) -> Any:
    import warnings

    from .._recognizer import Recognizer

    recognizer = Recognizer(model, reject=reject)
    if samples is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            recognizer = recognizer.adapt(samples)
        for w in [] if quiet else caught:
            print(f"digitrt: {w.message}", file=sys.stderr)
    return recognizer


def _stream(recognizer: Any, names: Iterable[str], batch_size: int) -> Iterator[Any]:
    """A Prediction or an ImageError per name, through the batching core; '-' is stdin."""
    results: Iterator[Any] = recognizer.predict_iter(
        (sys.stdin.buffer if n == "-" else n for n in names), batch_size=batch_size)
    return results


def predict_files(names: Iterator[str], args: argparse.Namespace) -> Iterator[tuple[str, Any]]:
    """(name, Prediction or ImageError) per image, in input order, from this process or from
    worker processes."""
    if args.workers == 1:
        recognizer = _recognizer(args.model, args.reject, args.samples)
        pending: deque[str] = deque()

        def remember() -> Iterator[str]:
            for name in names:
                pending.append(name)
                yield name

        for result in _stream(recognizer, remember(), args.batch_size):
            yield pending.popleft(), result
        return
    yield from _predict_in_workers(names, args)


def _predict_in_workers(names: Iterator[str], args: argparse.Namespace
                        ) -> Iterator[tuple[str, Any]]:
    """Chunks of names to `workers` processes, at most 2 chunks each in flight (memory stays
    flat however many files there are), results yielded in input order."""
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor
    from itertools import islice

    _recognizer(args.model, args.reject, None)  # a bad model: one error here, not N in workers
    context = multiprocessing.get_context("spawn")  # no forked onnxruntime state
    pool = ProcessPoolExecutor(args.workers, mp_context=context, initializer=_worker_start,
                               initargs=(args.model, args.reject, args.samples))
    in_flight: deque[tuple[list[str], Future[list[Any]]]] = deque()
    try:
        while True:
            while len(in_flight) < 2 * args.workers:
                chunk = list(islice(names, args.batch_size))
                if not chunk:
                    break
                in_flight.append((chunk, pool.submit(_worker_batch, chunk)))
            if not in_flight:
                return
            chunk, future = in_flight.popleft()
            yield from zip(chunk, future.result(), strict=True)
    finally:
        for _, future in in_flight:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- output


class Writer:
    """Formats records and writes them in blocks (flushed per batch, so an interruption loses
    at most the batch being computed)."""

    def __init__(self, out: TextIO, fmt: str, top_k: int, header: bool = True) -> None:
        self.out, self.fmt, self.top_k = out, fmt, top_k
        self.buffer = io.StringIO()
        self.pending = 0
        self.csv = csv.writer(self.buffer, lineterminator="\n") if fmt == "csv" else None
        if self.csv is not None and header:
            self.csv.writerow(CSV_FIELDS)

    def write(self, name: str, result: Any) -> None:
        """One image's line: a Prediction, or the ImageError that stood in for it."""
        from .._errors import ImageError
        from . import shown

        self.pending += 1
        error = str(result) if isinstance(result, ImageError) else None
        if self.fmt == "text":
            if error:  # errors go to stderr, one line each, as they always have
                self.flush()
                print(f"digitrt: {shown(name)}: {error}", file=sys.stderr)
                return
            self.buffer.write(_text_line(shown(name), result, self.top_k) + "\n")
        elif self.fmt == "jsonl":
            line: dict[str, Any]
            if error:
                line = {"file": name, "digit": None, "status": "error", "error": error}
            else:
                line = {"file": name, **record(result, self.top_k)}
            self.buffer.write(json.dumps(line) + "\n")  # ASCII: any name stays on one line
        else:
            assert self.csv is not None
            if error:
                self.csv.writerow([name, "", "", "error", error])
            else:
                self.csv.writerow([name, "" if result.digit is None else result.digit,
                                   f"{result.confidence:.6f}", result.status, ""])

    def flush(self) -> None:
        text = self.buffer.getvalue()
        if text:
            self.out.write(text)
            self.buffer.seek(0)
            self.buffer.truncate()
        self.out.flush()
        self.pending = 0


def record(p: Any, top_k: int = 1) -> dict[str, Any]:
    """The JSON fields of one Prediction (the CLI's --json and the HTTP API's answer)."""
    line = {"digit": p.digit, "confidence": round(p.confidence, 6), "status": p.status,
            "best_guess": p.best_guess, "not_a_digit_score": round(p.not_a_digit_score, 6),
            "unsure": p.unsure, "probabilities": [round(float(v), 6) for v in p.probabilities]}
    if top_k > 1:
        line["top"] = [{"digit": d, "probability": round(q, 6)} for d, q in p.top(top_k)]
    return line


def _text_line(name: str, p: Any, top_k: int) -> str:
    if p.status == "blank":
        return f"{name}: blank (no ink found)"
    if p.status == "not_a_digit":
        return f"{name}: not a digit ({p.confidence:.1%}; best guess {p.best_guess})"
    others = "".join(f"  {d}: {q:.1%}" for d, q in p.top(top_k)[1:])
    return f"{name}: {p.digit}  ({p.confidence:.1%}){others}"


def _open_output(args: argparse.Namespace) -> tuple[TextIO, bool]:
    if args.output is None:
        return sys.stdout, False
    out = open(args.output, "a" if args.resume else "w", encoding="utf-8",  # noqa: SIM115
               errors="backslashreplace", newline="")
    return out, True


def _finished(path: Path, fmt: str) -> set[str]:
    """The files an earlier run already wrote to `path`; a last line cut short by an
    interruption is removed so that its file is done again."""
    if not path.is_file():
        return set()
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with open(path, "r+b") as f:
            f.truncate(len(data))
    text = data.decode("utf-8", "replace")
    done: set[str] = set()
    if fmt == "jsonl":
        for line in text.splitlines():
            try:
                done.add(json.loads(line)["file"])
            except (ValueError, KeyError, TypeError):
                continue
    elif fmt == "csv":
        rows = csv.reader(io.StringIO(text))
        try:
            header = next(rows, None)
            if header is not None and tuple(header) != CSV_FIELDS:
                raise ValueError(f"--resume: {str(path)!r} is not a CSV that digitrt wrote (its first "
                                 f"line is not {','.join(CSV_FIELDS)}); choose another --output")
            done = {row[0] for row in rows if row}
        except csv.Error as e:
            raise ValueError(f"--resume: {str(path)!r} is not a CSV that digitrt wrote ({e}); "
                             "choose another --output") from None
    else:
        done = {m.group(1) for m in map(_TEXT_LINE.match, text.splitlines()) if m}
    return done


# A text line: "<name>: <digit>  (<p>%)[  <d>: <p>%...]", "<name>: not a digit (...)" or
# "<name>: blank (no ink found)"; the name is everything before the last such tail.
_TEXT_LINE = re.compile(r"^(.*): (?:\d  \([\d.]+%\)(?:  \d: [\d.]+%)*|not a digit \(.*\)|"
                        r"blank \(no ink found\))$")


class Progress:
    """A progress line on stderr (only on a terminal): done / total, images per second."""

    def __init__(self, paths: list[str], recursive: bool, skipped: int) -> None:
        self.total = sum(1 for _ in expand(paths, recursive, quiet=True)) - skipped
        self.count, self.started, self.shown = 0, time.perf_counter(), 0.0

    def tick(self) -> None:
        self.count += 1
        now = time.perf_counter()
        if now - self.shown >= 0.1 or self.count == self.total:
            self.shown = now
            rate = self.count / max(now - self.started, 1e-9)
            width = 30
            filled = int(width * self.count / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total}"
                             f"  {rate:,.0f} images/s")
            sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
