"""The Ray Data integration, run in Ray's local mode on a few hundred generated images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from training.strokes import draw_digit

ray = pytest.importorskip("ray", reason="the Ray integration needs the ray extra "
                                        "(pip install 'digitrt[ray]'; CI installs it)")


@pytest.fixture(scope="module")
def local_ray():
    # Logical CPUs: two for the model actors, two for reading files (on 2 real cores).
    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_predict_folder_writes_parquet_with_every_image(local_ray, tmp_path):
    """300 generated images (and one broken file) -> Parquet rows: every file once, the digits
    right, the broken file an error row."""
    import pyarrow.parquet as pq

    from digitrt.ray import predict_folder

    source = tmp_path / "images"
    (source / "sub").mkdir(parents=True)
    truth = {}
    for i in range(300):
        digit = i % 10
        folder = source / "sub" if i % 3 == 0 else source
        path = folder / f"{i:04d}.png"
        size = 28 if i % 2 else 280
        cv2.imwrite(str(path), draw_digit(digit, size=size, width=max(2, size // 14),
                                          background=255 if i % 4 else 128))
        truth[str(path)] = digit
    (source / "broken.png").write_bytes(b"not a png")
    predict_folder(source, tmp_path / "out", concurrency=2, batch_size=64)
    table = pq.read_table(tmp_path / "out").to_pydict()
    rows = dict(zip(table["path"], zip(table["digit"], table["status"], table["error"],
                                       strict=True), strict=True))
    assert len(rows) == 301
    broken = next(v for k, v in rows.items() if k.endswith("broken.png"))
    assert broken[1] == "error" and "not a readable image" in broken[2]
    right = sum(rows[p][0] == d for p, d in truth.items())
    assert right >= 295


def test_digit_predictor_on_arrays():
    """DigitPredictor works on an "image" column of arrays, as map_batches passes them."""
    from digitrt.ray import DigitPredictor

    predictor = DigitPredictor()
    batch = {"image": np.stack([draw_digit(d) for d in range(10)] + [np.full((280, 280), 128,
                                                                            np.uint8)])}
    out = predictor(batch)
    assert out["digit"].tolist() == [*range(10), -1]
    assert out["status"].tolist()[-1] == "blank" and set(out["error"]) == {""}
