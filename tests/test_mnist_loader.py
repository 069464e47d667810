"""The MNIST loader: where it looks, the download path (local server only), every error path."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import struct
import threading

import numpy as np
import pytest

from training import mnist as M


def idx_images(images):
    n, r, c = images.shape
    return struct.pack(">IIII", 2051, n, r, c) + images.tobytes()


def idx_labels(labels):
    return struct.pack(">II", 2049, len(labels)) + labels.tobytes()


def write_set(folder, n_train=20, n_test=10, gz=True, labels_train=None):
    """A tiny, valid MNIST-shaped data set in folder."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    payloads = {
        "train-images-idx3-ubyte": idx_images(rng.integers(0, 256, (n_train, 28, 28), np.uint8)),
        "train-labels-idx1-ubyte": idx_labels(
            labels_train if labels_train is not None else rng.integers(0, 10, n_train, np.uint8)
        ),
        "t10k-images-idx3-ubyte": idx_images(rng.integers(0, 256, (n_test, 28, 28), np.uint8)),
        "t10k-labels-idx1-ubyte": idx_labels(rng.integers(0, 10, n_test, np.uint8)),
    }
    for name, data in payloads.items():
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return payloads


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No env var, an empty cache and Keras cache, no mirrors: nothing found anywhere."""
    monkeypatch.delenv(M.ENV_VAR, raising=False)
    return dict(cache_dir=tmp_path / "cache", keras_npz=tmp_path / "keras" / "mnist.npz",
                mirrors=())


def test_explicit_folder_raw_and_gz(tmp_path, isolated):
    """--data DIR with .gz files or raw files loads the arrays."""
    write_set(tmp_path / "gz")
    write_set(tmp_path / "raw", gz=False)
    for folder in ("gz", "raw"):
        m = M.load_mnist(tmp_path / folder, **isolated)
        assert m.train_images.shape == (20, 28, 28) and m.test_labels.shape == (10,)


def test_env_var_then_cache_then_keras_npz(tmp_path, monkeypatch, isolated):
    """The env var is used first; then the user cache; then a Keras mnist.npz."""
    write_set(tmp_path / "env", n_train=21)
    monkeypatch.setenv(M.ENV_VAR, str(tmp_path / "env"))
    assert len(M.load_mnist(**isolated).train_images) == 21
    monkeypatch.delenv(M.ENV_VAR)
    write_set(isolated["cache_dir"], n_train=22)
    assert len(M.load_mnist(**isolated).train_images) == 22
    for f in isolated["cache_dir"].iterdir():
        f.unlink()
    isolated["keras_npz"].parent.mkdir()
    z = np.zeros((23, 28, 28), np.uint8)
    np.savez(isolated["keras_npz"], x_train=z, y_train=np.zeros(23, np.uint8), x_test=z[:5],
             y_test=np.zeros(5, np.uint8))
    assert len(M.load_mnist(**isolated).train_images) == 23


def test_nothing_found_lists_every_place(isolated, monkeypatch, tmp_path):
    """With no data and no network the message lists every place and how to fix it."""
    monkeypatch.setenv(M.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(M.MnistError) as info:
        M.load_mnist(**isolated)
    message = str(info.value)
    for place in (M.ENV_VAR, "user cache", "Keras cache", "download", "--data DIR"):
        assert place in message


def test_explicit_folder_without_files_is_an_error(tmp_path, isolated):
    """An explicit --data folder that lacks the files fails at once, naming it."""
    with pytest.raises(M.MnistError, match="--data"):
        M.load_mnist(tmp_path, **isolated)


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda d: d[:-100], "truncated or corrupt"),
        (lambda d: struct.pack(">I", 1234) + d[4:], "magic number 1234"),
        (lambda d: d[:6], "too short"),
    ],
)
def test_corrupt_idx_files(tmp_path, isolated, corrupt, message):
    """Truncated files and wrong magic numbers raise MnistError naming the file."""
    payloads = write_set(tmp_path, gz=False)
    name = "train-images-idx3-ubyte"
    (tmp_path / name).write_bytes(corrupt(payloads[name]))
    with pytest.raises(M.MnistError, match=message):
        M.load_mnist(tmp_path, **isolated)


def test_bad_gzip_and_count_mismatch(tmp_path, isolated):
    """A broken .gz and a label/image count mismatch are clear errors."""
    write_set(tmp_path / "a")
    (tmp_path / "a" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(M.MnistError, match="cannot read"):
        M.load_mnist(tmp_path / "a", **isolated)
    write_set(tmp_path / "b", labels_train=np.zeros(19, np.uint8))
    with pytest.raises(M.MnistError, match="20 images but 19 labels"):
        M.load_mnist(tmp_path / "b", **isolated)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_mirror(tmp_path):
    """An http.server on 127.0.0.1 serving a folder; yields (url, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    server.shutdown()
    server.server_close()


def test_download_verifies_sha256(local_mirror, isolated, monkeypatch):
    """Files from a mirror are checked against their sha256; a corrupted copy is rejected and
    the next mirror is tried; the verified files land in the cache and load."""
    url, folder = local_mirror
    good, bad = folder / "good", folder / "bad"
    payloads = write_set(good)
    write_set(bad)
    (bad / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"tampered"))
    monkeypatch.setattr(M, "SHA256", {n: hashlib.sha256(d).hexdigest() for n, d in payloads.items()})

    with pytest.raises(M.MnistError, match="sha256"):
        M.load_mnist(**{**isolated, "mirrors": (url + "bad/",)})
    assert not (isolated["cache_dir"] / "train-labels-idx1-ubyte.gz").exists()

    m = M.load_mnist(**{**isolated, "mirrors": (url + "bad/", url + "good/")})
    assert m.train_images.tobytes() == payloads["train-images-idx3-ubyte"][16:]
    assert sorted(p.name for p in isolated["cache_dir"].iterdir()) == sorted(
        n + ".gz" for n in payloads
    )


def test_download_failure_names_each_url(local_mirror, isolated):
    """A mirror without the files: the error lists the failed URLs."""
    url, _ = local_mirror
    with pytest.raises(M.MnistError, match=r"127\.0\.0\.1.*404"):
        M.load_mnist(**{**isolated, "mirrors": (url,)})


def test_shared_copy_matches_published_checksums(mnist):
    """The data the suite uses is the real MNIST: its bytes hash to the published sha256."""
    assert hashlib.sha256(idx_images(mnist.train_images)).hexdigest() == M.SHA256[
        "train-images-idx3-ubyte"
    ]
    assert hashlib.sha256(idx_labels(mnist.test_labels)).hexdigest() == M.SHA256[
        "t10k-labels-idx1-ubyte"
    ]


_BOMB = gzip.compress(b"\0" * 60_000_000, compresslevel=1)


class _Hostile(http.server.BaseHTTPRequestHandler):
    """A mirror that misbehaves by path: /short/ lies about its length, /trickle/ sends a byte
    every 0.3 s, /bomb/ sends a small gzip that inflates far beyond MNIST's size."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        if self.path.startswith("/short/"):
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"\0" * 50)
        elif self.path.startswith("/trickle/"):
            self.end_headers()
            import time

            for _ in range(40):
                try:
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.3)
        else:  # bomb
            body = _BOMB
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture
def hostile_mirror():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_hostile_mirrors_fail_fast_and_the_next_mirror_is_tried(hostile_mirror, local_mirror,
                                                                 isolated, monkeypatch):
    """A short body, a trickling server and a gzip bomb are each one MnistError line, bounded in
    time and memory, and the loader moves on to the next mirror, which works."""
    import time

    url, folder = local_mirror
    payloads = write_set(folder / "good")
    monkeypatch.setattr(M, "SHA256", {n: hashlib.sha256(d).hexdigest() for n, d in payloads.items()})
    monkeypatch.setattr(M, "DOWNLOAD_DEADLINE", 1.0)
    started = time.monotonic()
    mirrors = tuple(hostile_mirror + p for p in ("short/", "trickle/", "bomb/"))
    m = M.load_mnist(**{**isolated, "mirrors": (*mirrors, url + "good/")})
    assert len(m.train_images) == 20
    assert time.monotonic() - started < 30
    with pytest.raises(M.MnistError) as info:
        M.load_mnist(**{**isolated, "cache_dir": isolated["cache_dir"] / "other",
                        "mirrors": mirrors})
    message = str(info.value)
    assert "short/" in message and "trickle/" in message and "not complete after 1 s" in message
    assert "more than the expected" in message or "more than" in message


def test_no_download_allowed_says_so_and_leaves_no_empty_cache(isolated):
    """With downloads off (as in the tests), the message says so and points at `make data`; the
    failed lookup creates no cache folder."""
    with pytest.raises(M.MnistError) as info:
        M.load_mnist(**isolated)
    assert "downloading was not allowed" in str(info.value) and "make data" in str(info.value)
    assert "connect to the internet" not in str(info.value)
    assert not isolated["cache_dir"].exists()


def test_failed_download_leaves_no_empty_cache(local_mirror, isolated):
    """A download that fails removes the cache folder it would have created."""
    url, _ = local_mirror
    with pytest.raises(M.MnistError):
        M.load_mnist(**{**isolated, "mirrors": (url,)})
    assert not isolated["cache_dir"].exists()


@pytest.mark.parametrize("damage, message", [
    ("garbage npz", "not a readable Keras mnist.npz"),
    ("overflowing header", "header promises"),
    ("labels where images belong", "expected 28x28 images"),
    ("zero images", "holds no images"),
    ("wrong image shape", "expected 28x28 images"),
])
def test_damaged_data_is_one_mnist_error(tmp_path, isolated, damage, message):
    """Every kind of damaged data is an MnistError naming the file and the reason."""
    if damage == "garbage npz":
        isolated["keras_npz"].parent.mkdir(parents=True)
        isolated["keras_npz"].write_bytes(b"PK\x03\x04 not really a zip")
        with pytest.raises(M.MnistError, match=message):
            M.load_mnist(**isolated)
        return
    write_set(tmp_path / "d", gz=False)
    target = tmp_path / "d" / "train-images-idx3-ubyte"
    if damage == "overflowing header":
        target.write_bytes(struct.pack(">IIII", 2051, 2**32 - 1, 2**32 - 1, 2**32 - 1))
    elif damage == "labels where images belong":
        target.write_bytes(idx_labels(np.zeros(20, np.uint8)))
    elif damage == "zero images":
        target.write_bytes(idx_images(np.zeros((0, 28, 28), np.uint8)))
    else:
        target.write_bytes(idx_images(np.zeros((20, 32, 32), np.uint8)))
    with pytest.raises(M.MnistError, match=message):
        M.load_mnist(tmp_path / "d", **isolated)
