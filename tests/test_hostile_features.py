"""Hostile inputs to the newer features (issue #30): read, profiles, model outputs, threads.

Each test is one reproducer from the fuzz pass; it asserts a clear digitrt error or the right
answer.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import zipfile
import zlib

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import digitrt
from digitrt import DigitrtError, ImageError, Model, ModelError
from training.common import CNN_DENSE
from training.strokes import STROKES, draw_digit, write_number

SEVEN = draw_digit(7, background=255)
PEAK_KB = ("next(int(line.split()[1]) for line in open('/proc/self/status') "
           "if line.startswith('VmHWM'))")


# ---------------------------------------------------------------- read: bounded


def dot_grid(height, width, step=5):
    """A grid of 2x2 dots: thousands of specks big enough to count as marks."""
    a = np.full((height, width), 255, np.uint8)
    for dy in (1, 2):
        for dx in (1, 2):
            a[dy::step, dx::step] = 0
    return a


@pytest.mark.parametrize("make", [
    lambda: dot_grid(199, 1000),
    lambda: dot_grid(199, 20000),
    lambda: np.where(np.arange(40_000_000) % 7 < 3, 0, 255).astype(np.uint8)[None, :],
    lambda: np.where(np.arange(40_000_000) % 7 < 3, 0, 255).astype(np.uint8)[:, None],
], ids=["grid 199x1000", "grid 199x20000", "dashes 1x40M", "dashes 40Mx1"])
def test_read_refuses_what_is_not_a_line_of_digits(recognizer, make):
    """Grids of dots, and strips at the pixel limit whose working copy would be millions of
    pixels: an ImageError that says what is accepted, not minutes and gigabytes."""
    with pytest.raises(ImageError, match=r"read\(\) reads"):
        recognizer.read(make())


def test_read_of_a_hostile_canvas_stays_under_500_mb():
    """A 1x40,000,000 dashed strip (the pixel limit) and a 199x20000 grid of dots, read in a
    fresh process: its peak memory, input included, stays under 500 MB."""
    code = (
        "import numpy as np, digitrt\n"
        "r = digitrt.Recognizer()\n"
        "a = np.full((199, 20000), 255, np.uint8); a[1::5, 1::5] = 0; a[2::5, 2::5] = 0\n"
        "b = np.full((1, 40_000_000), 255, np.uint8); b[0, ::7] = 0; b[0, 1::7] = 0\n"
        "for img in (a, b):\n"
        "    try: r.read(img)\n"
        "    except digitrt.ImageError: pass\n"
        f"print({PEAK_KB})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) < 500_000


def test_a_dashed_line_a_million_pixels_long_reads_nothing_quickly(recognizer):
    """1x1,000,000 px of short dashes: no digits (a separator line), answered, not 3 GB."""
    line = np.tile(np.array([0, 0, 0, 0, 255, 255], np.uint8), 1_000_000 // 6)[None, :]
    assert recognizer.read(line).text == ""


def test_a_boxed_number_touching_the_canvas_edges_reads_without_warnings(recognizer):
    """A box drawn on the canvas's very edges (a scanned amount cropped to its box): read
    answers, and emits no RuntimeWarning (warnings are errors in this suite)."""
    canvas = write_number([3, 1, 4], background=255)
    h, w = canvas.shape
    cv2.rectangle(canvas, (4, 4), (w - 5, h - 5), 0, 3)
    assert recognizer.read(canvas).text == "314"
    for image in (canvas[: h - 4], canvas[: h - 5], canvas[3:-3, 3:-3], canvas[5:, 5:-5]):
        recognizer.read(image)  # cut through the box's rules: any answer, no warning


# ---------------------------------------------------------------- inputs


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # making an np.matrix warns
def test_np_matrix_inputs_work_like_arrays(recognizer):
    """np.matrix (a 2-D ndarray subclass whose indexing keeps 2-D) of any size reads like the
    plain array, in predict and read."""
    for size in (28, 60, 99, 280):
        canvas = cv2.resize(SEVEN, (size, size), interpolation=cv2.INTER_AREA)
        m = np.asmatrix(canvas)
        assert recognizer.predict(m).digit == recognizer.predict(canvas).digit
        assert recognizer.read(m).text == recognizer.read(canvas).text


def png_with_orientation(image, orientation):
    """A PNG of `image` with an eXIf chunk holding EXIF orientation `orientation`."""
    png = cv2.imencode(".png", image)[1].tobytes()
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    exif = b"MM\0*" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0)
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + struct.pack(
        ">I", zlib.crc32(b"eXIf" + exif))
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]


@pytest.mark.parametrize("orientation, stored", [
    (6, cv2.ROTATE_90_COUNTERCLOCKWISE),  # shown after turning 90 degrees clockwise
    (8, cv2.ROTATE_90_CLOCKWISE),
    (3, cv2.ROTATE_180),
])
def test_png_exif_orientation_is_applied(recognizer, orientation, stored):
    """A PNG of a 7 stored sideways or upside down with its EXIF orientation reads 7, as the
    same JPEG does; without the tag it does not."""
    turned = cv2.rotate(SEVEN, stored)
    assert recognizer.predict(cv2.imencode(".png", turned)[1].tobytes()).digit != 7
    tagged = png_with_orientation(turned, orientation)
    assert np.array_equal(digitrt.preprocess(tagged), digitrt.preprocess(SEVEN))
    assert recognizer.predict(tagged).digit == 7


def test_a_digit_drawn_in_two_pieces_reads_as_one_digit(recognizer):
    """A 4 and a 7 whose strokes do not touch (two pieces of ink, narrower than tall) read as
    `predict` reads them, not as two digits."""
    four = np.full((280, 280), 255, np.uint8)
    for stroke, shift in ((STROKES[4][0], 0.0), (STROKES[4][1], 0.08)):
        pts = np.array([[(84 + (x + shift) * 112) * 16, (42 + y * 196) * 16] for x, y in stroke])
        cv2.polylines(four, [pts.astype(np.int32)], False, 0, 18, cv2.LINE_AA, 4)
    seven = draw_digit(7, background=255)
    seven[40:50] = 255  # the bar's left end broken off... and the stem cut from the bar
    seven[:, 100:112] = 255
    for image in (four, seven):
        p = recognizer.predict(image)
        assert p.status == "digit"
        assert recognizer.read(image).text == str(p.digit)
    assert recognizer.read(write_number([1, 1], step=90, background=255)).text == "11"


# ---------------------------------------------------------------- profiles


@pytest.fixture(scope="module")
def profiled(recognizer):
    return recognizer.adapt([(draw_digit(d, background=255), d) for d in range(10)])


def bad_profile(tmp_path, **changes):
    base = dict(format=np.array("digitrt-profile-1"), embeddings=np.ones((2, CNN_DENSE), np.float32),
                labels=np.array([1, 2]), model_sha256=np.array(changes.pop("sha")),
                gate=0.75, weight=80.0)
    base.update(changes)
    path = tmp_path / "bad.profile"
    with open(path, "wb") as f:
        np.savez(f, **base)
    return path


@pytest.mark.parametrize("changes, fragment", [
    (dict(weight=float("inf")), "weight"),
    (dict(weight=float("nan")), "weight"),
    (dict(gate=float("nan")), "gate"),
    (dict(labels=np.array([-1, 2])), "labels must be digits 0-9"),
    (dict(labels=np.array([1, 10])), "labels must be digits 0-9"),
    (dict(embeddings=np.full((2, CNN_DENSE), np.nan, np.float32)), "finite"),
    (dict(labels=np.array([1, 2, 3])), "shapes"),
])
def test_profile_values_are_validated_on_load(recognizer, tmp_path, changes, fragment):
    """A profile with an infinite or NaN weight, a label outside 0-9, NaN embeddings or
    mismatched shapes is a ModelError naming the field, never NaN answers."""
    path = bad_profile(tmp_path, sha=recognizer.model.sha256, **changes)
    with pytest.raises(ModelError, match=fragment):
        digitrt.Recognizer(recognizer.model, profile=path)


@pytest.mark.slow
def test_a_profile_that_unpacks_to_gigabytes_is_refused_cheaply(recognizer, tmp_path):
    """A 1 MB deflated .profile that would unpack to about 1 GB: ModelError from its stated
    sizes, in a process whose peak memory stays small."""
    path = tmp_path / "bomb.profile"
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 1), np.float32))
    header["shape"] = (1_000_000, 256)
    with (zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
          z.open("embeddings.npy", "w", force_zip64=True) as f):
        np.lib.format.write_array_header_1_0(f, header)
        zeros = bytes(1 << 20)
        for _ in range(1024):
            f.write(zeros)
    assert path.stat().st_size < 2_000_000
    code = (f"import digitrt\nr = digitrt.Recognizer()\ntry:\n"
            f"    digitrt.Recognizer(r.model, profile={str(path)!r})\n"
            f"except digitrt.ModelError as e: print('refused', e)\nprint({PEAK_KB})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refused" in out.stdout and "unpacks to" in out.stdout
    assert int(out.stdout.split()[-1]) < 600_000


@pytest.mark.parametrize("path, kind", [
    ("", ValueError),
    ("a\0b.profile", ValueError),
    (123, TypeError),
    (b"me.profile", TypeError),
])
def test_save_profile_refuses_unusable_paths(profiled, path, kind):
    """An empty name, a NUL character, a number or bytes: a typed digitrt error saying what a
    profile path may be, not a raw ValueError or TypeError."""
    with pytest.raises(kind, match="profile") as e:
        profiled.save_profile(path)
    assert isinstance(e.value, DigitrtError)


def test_save_profile_never_replaces_a_fifo_or_folder(profiled, tmp_path):
    """A FIFO or a folder at the target path is left as it is: ModelError, not replaced."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    for target in (fifo, folder):
        with pytest.raises(ModelError, match="not a regular file"):
            profiled.save_profile(target)
    assert fifo.is_fifo() and folder.is_dir()
    profiled.save_profile(tmp_path / "me.profile")  # a regular file is written
    assert digitrt.Recognizer(profiled.model, profile=tmp_path / "me.profile").profile is not None


# ---------------------------------------------------------------- model outputs


def model_with_score(tmp_path, name, score_node):
    """A model with valid probabilities and a `not_a_digit` output made by `score_node`."""
    nodes = [helper.make_node("Flatten", ["image"], ["flat"]),
             helper.make_node("Slice", ["flat", "s", "e", "a"], ["ten"]),
             helper.make_node("Softmax", ["ten"], ["probabilities"]),
             helper.make_node("ReduceMean", ["flat"], ["m"], axes=[1], keepdims=0),
             score_node]
    inits = [helper.make_tensor(n, TensorProto.INT64, [1], [v]) for n, v in
             (("s", 0), ("e", 10), ("a", 1))]
    inits += [helper.make_tensor("big", TensorProto.FLOAT, [1], [7.5]),
              helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10]),
         helper.make_tensor_value_info("not_a_digit", TensorProto.FLOAT, ["N"])], inits)
    path = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


@pytest.mark.parametrize("name, node", [
    ("nan score", helper.make_node("Div", ["m", "zero"], ["not_a_digit"])),
    ("score 7.5", helper.make_node("Add", ["m", "big"], ["not_a_digit"])),
])
def test_a_model_whose_not_a_digit_output_is_not_a_probability_is_refused(tmp_path, name, node):
    """A NaN or 7.5 `not_a_digit` output: ModelError at load naming the output, never a "digit"
    with a NaN score, a raw KeyError from read, or a confidence of 7.5."""
    path = model_with_score(tmp_path, name.replace(" ", "_"), node)
    with pytest.raises(ModelError, match="not_a_digit"):
        Model(path)


# ---------------------------------------------------------------- threads


def test_the_sequence_model_is_built_once_when_threads_race(recognizer, monkeypatch):
    """16 threads reading touching digits at once, before the sequence model exists: one
    session is built, and every thread reads the same number."""
    from digitrt._reading import lines
    from digitrt._reading.reader import NumberReader

    built = []
    real_open = lines.open_session

    def counting(*args, **kwargs):
        built.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(lines, "open_session", counting)
    reader = NumberReader(recognizer.model.run_scored, recognizer.predict, recognizer.decision,
                          lines.LineModel(threads=2))
    image = write_number([3, 1, 4, 1, 5], step=62)
    texts = []
    barrier = threading.Barrier(16)

    def work():
        barrier.wait()
        texts.append(reader.read(image).text)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len(set(texts)) == 1 and len(texts) == 16
    assert built[0][2] == 2  # the reader's threads, not onnxruntime's default


# ---------------------------------------------------------------- the folder CLI


def cli(*args):
    from digitrt._cli import main

    return main(list(map(str, args)))


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for d in range(4):
        cv2.imwrite(str(folder / f"{d}.png"), draw_digit(d))
    return folder


def test_a_folder_1000_levels_deep_is_walked_without_recursion_errors(tmp_path, capsys, recognizer):
    """predict DIR -r and adapt on a folder about 1,000 levels deep: no RecursionError; the
    image at the bottom is found."""
    deep = tmp_path / "deep"
    levels = [deep]
    for _ in range(1000):  # (os.makedirs itself recurses)
        levels.append(levels[-1] / "d")
    for level in levels:
        level.mkdir()
    try:
        cv2.imwrite(str(levels[-1] / "7.png"), SEVEN)
        assert cli("predict", deep, "-r", "--format", "csv") == 0
        assert capsys.readouterr().out.count("7.png") == 1
        with pytest.warns(UserWarning, match="not in a 0-9 folder"):
            recognizer.adapt(deep)
    finally:  # bottom up: pytest's own clean-up of old temporary folders recurses
        (levels[-1] / "7.png").unlink(missing_ok=True)
        for level in reversed(levels):
            level.rmdir()


def test_symlink_loops_neither_abort_nor_repeat(tmp_path, capsys, images):
    """A symlink to itself and a folder link back up: -r gives every file once and the loop
    one error record; a `**` glob through the loop reports each file once."""
    os.symlink("self", images / "self.png")
    os.symlink("..", images / "up")
    code = cli("predict", images, "-r", "--format", "csv")
    rows = capsys.readouterr().out.splitlines()[1:]
    assert code == 1 and len(rows) == 5  # 4 images + the loop's error record
    assert sum(",error," in r for r in rows) == 1
    cli("predict", f"{images}/**/*.png", "-r", "--format", "csv")
    names = [r.split(",")[0] for r in capsys.readouterr().out.splitlines()[1:] if ",error," not in r]
    assert len(names) == 4


@pytest.mark.parametrize("fmt, flags", [("text", []), ("text", ["--top-k", "3"]), ("csv", []),
                                        ("jsonl", [])])
def test_resume_skips_what_is_written_whatever_the_format_and_names(tmp_path, capsys, images,
                                                                    fmt, flags):
    """--resume after a complete run redoes nothing, in text (with --top-k too), CSV and JSON
    lines, for names with a newline, a tab and bytes that are not UTF-8."""
    for name in ("new\nline.png", "tab\there.png", os.fsdecode(b"latin\xe9.png")):
        with open(os.path.join(str(images), name), "wb") as f:  # (cv2.imwrite crashes on them)
            f.write(cv2.imencode(".png", draw_digit(5))[1].tobytes())
    out = tmp_path / f"out.{fmt}"
    assert cli("predict", images, "--format", fmt, "-o", out, *flags) == 0
    first = out.read_bytes()
    assert cli("predict", images, "--format", fmt, "-o", out, "--resume", *flags) == 0
    assert out.read_bytes() == first


@pytest.mark.parametrize("target, fragment", [
    ("missing/out.csv", "No such file or directory"),
    ("", "Is a directory"),
    ("/dev/full", "No space left on device"),
])
def test_output_errors_are_one_line_not_tracebacks(tmp_path, capsys, images, target, fragment):
    """-o into a missing folder, -o a folder, -o a full disk: exit 2 with one line on stderr."""
    path = target if target.startswith("/") else tmp_path / target
    assert cli("predict", images, "-o", path) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_stdout_on_a_full_disk_is_one_line(images):
    """stdout on /dev/full: exit 2, one line on stderr, no traceback at exit."""
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "digitrt", "predict", str(images)],
                             stdout=full, stderr=subprocess.PIPE, text=True)
    assert out.returncode == 2 and "No space left on device" in out.stderr
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr


def test_resume_refuses_a_file_that_is_not_its_csv(tmp_path, capsys, images):
    """--resume -o notes.txt (not a CSV digitrt wrote): exit 2 saying so; the file is kept."""
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    assert cli("predict", images, "--format", "csv", "--resume", "-o", notes) == 2
    assert "not a CSV that digitrt wrote" in capsys.readouterr().err
    assert notes.read_text() == "my notes\n"


def test_unreadable_and_skipped_folders_are_said(tmp_path, capsys, images, monkeypatch):
    """A folder that cannot be listed is an error record naming it (exit 1), with or without -r;
    without -r, subfolders not looked into are said on stderr."""
    (images / "sub").mkdir()
    cv2.imwrite(str(images / "sub" / "9.png"), draw_digit(9))
    locked = images / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert cli("predict", images) == 0
    assert "2 subfolder(s) not looked into" in capsys.readouterr().err
    assert cli("predict", images, "-r", "--format", "csv") == 1
    rows = capsys.readouterr().out.splitlines()
    assert any(r.startswith(f"{locked},") and ",error," in r for r in rows)
    assert any("9.png,9," in r for r in rows)
    assert cli("predict", locked) == 1
    assert str(locked) in capsys.readouterr().err


def test_samples_folder_that_does_not_exist_is_an_error(tmp_path, recognizer, capsys, images):
    """adapt / --samples with a folder that does not exist: a clear error, not silence."""
    with pytest.raises(ValueError, match="does not exist") as e:
        recognizer.adapt(tmp_path / "nowhere")
    assert isinstance(e.value, DigitrtError)
    assert cli("predict", images, "--samples", tmp_path / "nowhere") == 2
    assert "does not exist" in capsys.readouterr().err


# ---------------------------------------------------------------- the MNIST loader


def test_mnist_loader_refuses_bombs_wrong_files_and_unreadable_caches(tmp_path, monkeypatch):
    """A small .gz unpacking past MNIST's size, a .npy named .npz, an npz of the wrong shapes,
    and a cache folder that cannot be looked into: MnistError each, never a raw error."""
    from training import mnist

    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    bomb = tmp_path / "bomb"
    bomb.mkdir()
    for name in mnist.FILES.values():
        with open(bomb / f"{name}.gz", "wb") as f:
            f.write(zlib.compressobj(9, zlib.DEFLATED, 31).compress(bytes(64 << 20)))
    with pytest.raises(mnist.MnistError, match="more than the expected"):
        mnist.load_mnist(bomb, mirrors=())
    npy = tmp_path / "mnist.npz"
    with open(npy, "wb") as f:
        np.save(f, np.zeros(3))
    empty = tmp_path / "empty"
    with pytest.raises(mnist.MnistError, match="not a readable Keras"):
        mnist.load_mnist(None, mirrors=(), cache_dir=empty, keras_npz=npy)
    np.savez(npy, x_train=np.zeros((5, 28, 27), np.uint8), y_train=np.zeros(5, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    with pytest.raises(mnist.MnistError, match="expected uint8"):
        mnist.load_mnist(None, mirrors=(), cache_dir=empty, keras_npz=npy)
    real_is_dir = type(empty).is_dir

    def denied(self):
        if self == empty:
            raise PermissionError(13, "Permission denied")
        return real_is_dir(self)

    monkeypatch.setattr(type(empty), "is_dir", denied)
    with pytest.raises(mnist.MnistError, match="cannot look inside"):
        mnist.load_mnist(None, mirrors=(), cache_dir=empty, keras_npz=tmp_path / "none.npz")


def test_read_survives_a_model_whose_score_is_nan_on_some_inputs(tmp_path):
    """A model that passes the load checks but scores NaN on bold drawings: read still answers
    with one reading per mark (NaN candidates lose), never a raw KeyError."""
    nodes = [helper.make_node("Flatten", ["image"], ["flat"]),
             helper.make_node("Slice", ["flat", "s", "e", "a"], ["ten"]),
             helper.make_node("Softmax", ["ten"], ["probabilities"]),
             helper.make_node("ReduceMean", ["flat"], ["m"], axes=[1], keepdims=0),
             helper.make_node("Sub", ["c", "m"], ["d"]),
             helper.make_node("Sqrt", ["d"], ["r"]),  # NaN where the mean ink passes 0.11
             helper.make_node("Mul", ["r", "zero"], ["not_a_digit"])]
    inits = [helper.make_tensor(n, TensorProto.INT64, [1], [v]) for n, v in
             (("s", 0), ("e", 10), ("a", 1))]
    inits += [helper.make_tensor("c", TensorProto.FLOAT, [1], [0.11]),
              helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])]
    graph = helper.make_graph(
        nodes, "nan_on_bold",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10]),
         helper.make_tensor_value_info("not_a_digit", TensorProto.FLOAT, ["N"])], inits)
    path = tmp_path / "nan_on_bold.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    r = digitrt.Recognizer(path)
    for number in (write_number([3, 1, 4, 1], step=62), write_number([3, 5, 8])):
        reading = r.read(number)  # touching and apart: candidates with NaN scores
        assert isinstance(reading.text, str) and len(reading.digits) >= 1
