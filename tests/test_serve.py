"""`digitrt serve`: the HTTP API (every endpoint, every bad input class) and the drawing page in
a real headless Chromium (Debian's chromium + chromium-driver, installed by `make system-libs`)."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("starlette", reason="the serve extra is part of `make test`'s environment")
from starlette.testclient import TestClient

from digitrt._serve import MAX_BATCH, MAX_BODY, create_app
from training.strokes import draw_digit, write_number

ROOT = Path(__file__).resolve().parent.parent
SEVEN_PNG = cv2.imencode(".png", draw_digit(7))[1].tobytes()


@pytest.fixture(scope="module")
def client(recognizer):
    with TestClient(create_app(recognizer), raise_server_exceptions=False) as c:
        yield c


# ---------------------------------------------------------------- API


def test_predict_answers_the_clis_json_fields(client):
    """POST /predict with a PNG: the CLI's --json fields, plus (?image=1) the 28x28 the model
    saw; without it no image."""
    r = client.post("/predict?image=1", content=SEVEN_PNG, headers={"content-type": "image/png"})
    assert r.status_code == 200
    body = r.json()
    assert body["digit"] == 7 and body["status"] == "digit" and body["best_guess"] == 7
    assert len(body["probabilities"]) == 10 and abs(sum(body["probabilities"]) - 1) < 1e-3
    assert np.asarray(body["image"]).shape == (28, 28)
    assert {"confidence", "not_a_digit_score", "unsure", "top"} <= set(body)
    assert "image" not in client.post("/predict", content=SEVEN_PNG).json()


def test_read_answers_text_and_boxes(client):
    """POST /read with a JPEG of "42": text 42, two digits with boxes."""
    jpeg = cv2.imencode(".jpg", write_number([4, 2], background=255))[1].tobytes()
    body = client.post("/read", content=jpeg, headers={"content-type": "image/jpeg"}).json()
    assert body["text"] == "42" and [d["digit"] for d in body["digits"]] == [4, 2]
    assert all(len(d["box"]) == 4 for d in body["digits"])


def test_predict_batch_answers_in_order_with_per_item_errors(client):
    """POST /predict_batch: one record per image in order; an unreadable item is an error
    record, not a failed request."""
    images = [base64.b64encode(SEVEN_PNG).decode(), base64.b64encode(b"hello").decode(),
              base64.b64encode(cv2.imencode(".bmp", draw_digit(3))[1].tobytes()).decode()]
    results = client.post("/predict_batch", json={"images": images}).json()["results"]
    assert [r.get("digit") for r in results] == [7, None, 3]
    assert results[1]["status"] == "error" and "not a readable image" in results[1]["error"]


def test_health_models_openapi_and_page(client):
    """GET /health, /models, /openapi.json and the page with its static files."""
    assert client.get("/health").json()["status"] == "ok"
    models = client.get("/models").json()
    assert models["serving"] == "digit_cnn_int8" and "cnn-int8" in models["models"]
    spec = client.get("/openapi.json").json()
    assert {"/predict", "/read", "/predict_batch", "/health", "/models"} <= set(spec["paths"])
    page = client.get("/")
    assert page.status_code == 200 and '<canvas id="pad"' in page.text
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in client.get("/static/app.js").text


@pytest.mark.parametrize("path, body, headers, status, fragment", [
    ("/predict", b"", {"content-type": "image/png"}, 400, "empty"),
    ("/read", b"", {}, 400, "empty"),
    ("/predict", SEVEN_PNG, {"content-type": "text/plain"}, 415, "text/plain"),
    ("/predict", SEVEN_PNG, {"content-type": "application/json"}, 415, "image/png"),
    ("/predict", SEVEN_PNG[: len(SEVEN_PNG) // 2], {"content-type": "image/png"}, 400, "PNG"),
    ("/read", SEVEN_PNG[:40], {}, 400, "PNG"),
    ("/predict", b"%PDF-1.4 not an image", {}, 400, "not PNG, JPEG or BMP"),
    ("/predict", b"\xff\xd8\xff" + bytes(100), {}, 400, "JPEG"),
    ("/predict_batch", b"{}", {}, 400, "images"),
    ("/predict_batch", b"not json", {}, 400, "images"),
    ("/predict_batch", b'{"images": ["***"]}', {}, 400, "base64"),
    ("/predict_batch", b'{"images": []}', {}, 400, f"1 to {MAX_BATCH}"),
    ("/nowhere", b"x", {}, 404, "not found"),
])
def test_bad_input_answers_4xx_json(client, path, body, headers, status, fragment):
    """Every bad input class: a 4xx with a JSON error naming what was received and what is
    accepted; never a 500."""
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert fragment.lower() in r.json()["error"].lower()


def test_a_100_mb_body_is_refused_unread(client):
    """A 100 MB body: 413 with a JSON error, from the declared length, without reading it; a
    streamed body without a length is cut off at the limit."""
    r = client.post("/predict", content=b"\0" * (100 * 1024 * 1024))
    assert r.status_code == 413 and f"{MAX_BODY:,}" in r.json()["error"]

    def chunks():
        for _ in range(100):
            yield b"\0" * (1024 * 1024)

    r = client.post("/predict", content=chunks())
    assert r.status_code == 413


def test_read_refusing_an_image_is_a_400(client):
    """An image read() refuses (a grid of thousands of dots): 400 with read's message."""
    grid = np.full((199, 1000), 255, np.uint8)
    grid[1::5, 1::5] = grid[2::5, 2::5] = grid[1::5, 2::5] = grid[2::5, 1::5] = 0
    r = client.post("/read", content=cv2.imencode(".png", grid)[1].tobytes())
    assert r.status_code == 400 and "marks" in r.json()["error"]


def test_a_path_in_the_body_is_not_opened(client, tmp_path):
    """The body is only ever bytes: a file's path sent as the body is not read from disk."""
    path = tmp_path / "seven.png"
    path.write_bytes(SEVEN_PNG)
    r = client.post("/predict", content=str(path).encode())
    assert r.status_code == 400 and "not PNG, JPEG or BMP" in r.json()["error"]


def test_serve_refuses_bad_arguments_before_starting():
    """--port out of range: exit 2 with one line, no server started."""
    from digitrt._cli import main

    assert main(["serve", "--port", "70000"]) == 2


# ---------------------------------------------------------------- the page in Chromium


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(recognizer):
    import uvicorn

    port = free_port()
    config = uvicorn.Config(create_app(recognizer), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.fail("Debian's chromium and chromium-driver are needed: `make system-libs` as root")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=800,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def strokes_of(digit):
    from training.strokes import STROKES

    return STROKES[digit]


def draw(driver, strokes, box=(0.3, 0.15, 0.4, 0.7), touch=False):
    """Draw polylines (unit-box coordinates) into `box` (fractions of the canvas) with pointer
    events: a mouse, or a finger on a touch screen."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.interaction import POINTER_MOUSE, POINTER_TOUCH
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    pad = driver.find_element("id", "pad")
    rect = driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                 "return [r.left, r.top, r.width, r.height];", pad)
    left, top, width, height = rect
    bx, by, bw, bh = box
    for stroke in strokes:
        actions = ActionBuilder(driver, mouse=PointerInput(POINTER_TOUCH if touch else POINTER_MOUSE,
                                                           "finger" if touch else "mouse"),
                                duration=10)
        pointer = actions.pointer_action
        for k, (x, y) in enumerate(stroke):
            px = round(left + (bx + x * bw) * width)
            py = round(top + (by + y * bh) * height)
            pointer.move_to_location(px, py)
            if k == 0:
                pointer.pointer_down()
        pointer.pointer_up()
        actions.perform()


def answer_becomes(driver, expected, timeout=10.0):
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = driver.find_element("id", "answer").text
        if text == expected:
            return text
        time.sleep(0.1)
    return text


@pytest.mark.slow
def test_drawing_a_7_on_the_page_shows_7(server, browser):
    """A 7 drawn with the mouse (pointer events) on the page: "7", its bars and the 28x28."""
    browser.get(server)
    draw(browser, strokes_of(7))
    assert answer_becomes(browser, "7") == "7"
    assert "sure" in browser.find_element("id", "confidence").text
    width = browser.execute_script("return document.getElementById('bar7').style.width")
    assert float(width.rstrip("%")) > 50


@pytest.mark.slow
def test_a_scribble_shows_not_a_digit(server, browser):
    """A five-pointed star drawn in one stroke: "not a digit"; Clear empties the answer."""
    browser.get(server)
    star = [[(0.5, 0), (0.8, 1), (0, 0.35), (1, 0.35), (0.2, 1), (0.5, 0)]]
    draw(browser, star, box=(0.1, 0.1, 0.8, 0.8))
    assert answer_becomes(browser, "not a digit") == "not a digit"
    browser.find_element("id", "clear").click()
    assert answer_becomes(browser, "?") == "?"


@pytest.mark.slow
def test_number_mode_reads_42_with_a_box_per_digit(server, browser):
    """Number mode: "4" then "2" side by side reads 42."""
    browser.get(server)
    browser.find_element("id", "mode-number").click()
    draw(browser, strokes_of(4), box=(0.25, 0.15, 0.16, 0.7))
    draw(browser, strokes_of(2), box=(0.55, 0.15, 0.16, 0.7))
    assert answer_becomes(browser, "42") == "42"
    assert "2 mark(s)" in browser.find_element("id", "note").text


@pytest.mark.slow
def test_on_a_phone_the_canvas_fits_and_drawing_does_not_scroll(server, browser):
    """At a 375x667 viewport the canvas fits the width, the page does not scroll sideways, and
    drawing with a finger neither scrolls the page nor zooms it; a 1 drawn so reads 1. The
    screenshot goes to docs/web.png when DIGITRT_SCREENSHOT is set."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 375, "height": 667, "deviceScaleFactor": 2, "mobile": True})
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    browser.get(server)
    width = browser.execute_script("return document.getElementById('pad').getBoundingClientRect().right")
    assert width <= 375
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 375
    browser.execute_script("window.scrollTo(0, 0)")
    draw(browser, strokes_of(1), touch=True)
    assert answer_becomes(browser, "1") == "1"
    assert browser.execute_script("return [window.scrollX, window.scrollY]") == [0, 0]
    assert browser.execute_script("return window.visualViewport.scale") == 1
    shot = Path(os.environ.get("DIGITRT_SCREENSHOT", "")) if os.environ.get("DIGITRT_SCREENSHOT") \
        else None
    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG")
    if shot:
        shot.write_bytes(png)
