"""`digitrt serve`: an HTTP API and a drawing page over one Recognizer (needs the `serve` extra).

Endpoints (the OpenAPI description is at /openapi.json):
- GET  /                the drawing page (static files shipped in the wheel, no CDN)
- GET  /health          {"status": "ok", "model": ..., "version": ...}
- GET  /models          the bundled models (`digitrt.list_models()`) and the one serving
- POST /predict         body: one PNG/JPEG/BMP image -> the CLI's --json fields and the top 3;
                        with ?image=1 also "image" (the 28x28 the model saw, 0-255)
- POST /read            body: one image -> text, confidence, digits with boxes
- POST /predict_batch   body: JSON {"images": [base64 PNG/JPEG/BMP, ...]} (at most MAX_BATCH)

Bad input answers 4xx with {"error": <what was received and what is accepted>}: an empty or
oversized body, a wrong content type, an image that does not decode. Only bytes are read, never
a path. Inference runs in worker threads with a time limit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from importlib import resources
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._cli.predict_command import record
from .._cli.read_command import record as read_record
from .._constants import FORMATS
from .._constants import IMAGE_TYPES as IMAGE_FORMAT_TYPES
from .._errors import DigitrtError, ImageError
from .._models import list_models
from .._version import __version__

MAX_BODY = 8 * 1024 * 1024  # bytes of one request body (a canvas PNG is tens of kilobytes)
MAX_BATCH = 64  # images in one /predict_batch request
TIMEOUT = 10.0  # seconds one request may compute
IMAGE_TYPES = (*IMAGE_FORMAT_TYPES, "application/octet-stream")
# curl --data-binary sends this type unless told otherwise: the body is still the image's bytes.
LENIENT_TYPES = ("application/x-www-form-urlencoded",)
STATIC = resources.files(__package__) / "static"


def app_from_environment() -> Any:
    """The app for one of `digitrt serve --workers N`'s processes: its own Recognizer of the
    model named in $DIGITRT_SERVE_MODEL (empty: the default)."""
    import os

    from .._recognizer import Recognizer

    return create_app(Recognizer(os.environ.get("DIGITRT_SERVE_MODEL") or None))


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(recognizer: Any, *, workers: int = 1, max_body: int = MAX_BODY,
               timeout: float = TIMEOUT) -> Any:
    """The Starlette application serving `recognizer` (a digitrt.Recognizer), running the model
    in at most `workers` threads at once."""
    api = _Api(recognizer, workers, max_body, timeout)
    routes = [Route("/", api.static), Route("/static/{name}", api.static),
              Route("/health", api.health), Route("/models", api.models),
              Route("/openapi.json", api.openapi),
              Route("/predict", api.predict, methods=["POST"]),
              Route("/read", api.read, methods=["POST"]),
              Route("/predict_batch", api.predict_batch, methods=["POST"])]
    return Starlette(routes=routes, exception_handlers={
        BadRequest: _bad_request, 404: _not_found, 405: _not_found})


class _Api:
    """The endpoints' handlers over one recognizer: bodies read within `max_body`, the model run
    in worker threads within `timeout`, the library's errors answered as 4xx JSON."""

    def __init__(self, recognizer: Any, workers: int, max_body: int, timeout: float) -> None:
        self.recognizer, self.max_body, self.timeout = recognizer, max_body, timeout
        self.limiter = anyio.CapacityLimiter(workers)
        self.batcher = _Batcher(recognizer, self.limiter, workers)

    async def body_of(self, request: Any) -> bytes:
        """The request's body, refused when empty or over `max_body` (checked as it streams)."""
        declared, limit = request.headers.get("content-length"), self.max_body
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BadRequest(413, f"the body is {int(declared):,} bytes; at most {limit:,} accepted")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadRequest(413, f"the body is over {limit:,} bytes; at most {limit:,} accepted")
            chunks.append(chunk)
        if not size:
            raise BadRequest(400, f"the body is empty; send one {FORMATS} image as the body")
        return b"".join(chunks)

    async def image_body(self, request: Any) -> bytes:
        """The body of a request that must be one image: its content type checked first."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind not in IMAGE_TYPES + LENIENT_TYPES:
            raise BadRequest(415, f"content type {kind!r} received; send the image's bytes as "
                                  f"{', '.join(IMAGE_TYPES)}")
        return await self.body_of(request)

    async def compute(self, function: Any, *args: Any) -> Any:
        """`function(*args)` in a worker thread, within the time limit; errors as BadRequest."""
        try:
            return await asyncio.wait_for(anyio.to_thread.run_sync(
                function, *args, limiter=self.limiter, abandon_on_cancel=True), self.timeout)
        except TimeoutError:
            raise BadRequest(503, f"the request took more than {self.timeout:g} s; try a smaller "
                                  "image") from None
        except ImageError as e:
            raise BadRequest(400, str(e)) from None
        except DigitrtError as e:  # e.g. read() refusing an image that is no line of digits
            raise BadRequest(422, str(e)) from None

    async def predict(self, request: Any) -> Any:
        data = await self.image_body(request)
        try:
            p = await asyncio.wait_for(self.batcher.predict(data), self.timeout)
        except TimeoutError:
            raise BadRequest(503, f"the request took more than {self.timeout:g} s; try again") from None
        if isinstance(p, ImageError):
            raise BadRequest(400, str(p))
        out = record(p, 3)
        if request.query_params.get("image") == "1":  # the page shows what the model saw
            out["image"] = (p.image * 255).round().astype("uint8").tolist()
        return JSONResponse(out)

    async def read(self, request: Any) -> Any:
        reading = await self.compute(self.recognizer.read, await self.image_body(request))
        out = read_record("", reading)
        del out["file"]
        return JSONResponse(out)

    async def predict_batch(self, request: Any) -> Any:
        data = _batch_images(await self.body_of(request))

        def run() -> list[dict[str, Any]]:
            return [{"status": "error", "error": str(r)} if isinstance(r, ImageError)
                    else record(r, 1) for r in self.recognizer.predict_iter(data)]

        return JSONResponse({"results": await self.compute(run)})

    async def health(self, request: Any) -> Any:
        return JSONResponse({"status": "ok", "model": self.recognizer.name, "version": __version__})

    async def models(self, request: Any) -> Any:
        return JSONResponse({"serving": self.recognizer.name,
                             "models": [m.name for m in list_models()]})

    async def openapi(self, request: Any) -> Any:
        return JSONResponse(OPENAPI)

    async def static(self, request: Any) -> Any:
        name = request.path_params.get("name", "index.html")
        if name not in PAGE_FILES:
            return JSONResponse({"error": f"no page {name!r}"}, status_code=404)
        return Response((STATIC / name).read_bytes(), media_type=PAGE_FILES[name])


def _batch_images(body: bytes) -> list[bytes]:
    """The images of a /predict_batch body: JSON {"images": [base64, ...]}, 1 to MAX_BATCH."""
    try:
        images = json.loads(body)["images"]
        if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise BadRequest(400, f'send JSON {{"images": ["<base64 of a {FORMATS} image>", ...]}}'
                         ) from None
    if not 1 <= len(images) <= MAX_BATCH:
        raise BadRequest(400, f"{len(images)} images received; send 1 to {MAX_BATCH}")
    try:
        return [base64.b64decode(i, validate=True) for i in images]
    except (binascii.Error, ValueError):
        raise BadRequest(400, "an item of 'images' is not valid base64") from None


async def _bad_request(request: Any, e: Exception) -> Any:
    status = e.status if isinstance(e, BadRequest) else 400
    return JSONResponse({"error": str(e)}, status_code=status)


async def _not_found(request: Any, e: Exception) -> Any:
    status = getattr(e, "status_code", 404)
    return JSONResponse({"error": f"{request.method} {request.url.path}: "
                                  f"{getattr(e, 'detail', 'not found')}"}, status_code=status)


class _Batcher:
    """Requests to /predict that arrive together are run as one batch (`predict_iter`): one
    model run for all of them, in at most `workers` threads at once. Under load this is what
    keeps the server near `predict_batch`'s throughput; alone, a request is a batch of one."""

    MAX = 64

    def __init__(self, recognizer: Any, limiter: Any, workers: int) -> None:
        self.recognizer, self.limiter, self.workers = recognizer, limiter, workers
        self.pending: list[tuple[bytes, asyncio.Future[Any]]] = []
        self.running = 0

    async def predict(self, data: bytes) -> Any:
        """The Prediction for one encoded image, or the ImageError standing in for it."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append((data, future))
        if self.running < self.workers:
            self.running += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    def _run(self, images: list[bytes]) -> list[Any]:
        return list(self.recognizer.predict_iter(images, batch_size=len(images)))

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[: self.MAX], self.pending[self.MAX :]
                images = [data for data, _ in batch]
                try:
                    results = await anyio.to_thread.run_sync(self._run, images, limiter=self.limiter)
                except Exception as e:  # a model failure: every request of the batch hears it
                    results = [e] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        if isinstance(result, Exception) and not isinstance(result, ImageError):
                            future.set_exception(result)
                        else:
                            future.set_result(result)
        finally:
            self.running -= 1


PAGE_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
              "style.css": "text/css; charset=utf-8"}

_IMAGE_BODY = {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                              for t in IMAGE_TYPES[:3]}}
_ERROR = {"description": "bad input: {\"error\": what was received and what is accepted}"}
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "digitrt", "version": __version__,
             "description": "Handwritten digits and whole numbers from images."},
    "paths": {
        "/predict": {"post": {"summary": "the digit in one image", "requestBody": _IMAGE_BODY,
                              "responses": {"200": {"description": "digit, confidence, status "
                                                    "(digit, not_a_digit, blank), best_guess, "
                                                    "not_a_digit_score, unsure, probabilities, "
                                                    "top; with ?image=1, image (28x28)"},
                                            "400": _ERROR, "413": _ERROR, "415": _ERROR}}},
        "/read": {"post": {"summary": "the whole number in one image", "requestBody": _IMAGE_BODY,
                           "responses": {"200": {"description": "text, confidence, digits "
                                                 "(digit, confidence, status, box)"},
                                         "400": _ERROR, "413": _ERROR, "415": _ERROR,
                                         "422": _ERROR}}},
        "/predict_batch": {"post": {
            "summary": f"several images (at most {MAX_BATCH}), base64 in JSON",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["images"],
                "properties": {"images": {"type": "array", "items": {"type": "string",
                                                                      "format": "byte"}}}}}}},
            "responses": {"200": {"description": "results: one record per image, in order"},
                          "400": _ERROR, "413": _ERROR}}},
        "/health": {"get": {"summary": "liveness", "responses": {"200": {"description": "ok"}}}},
        "/models": {"get": {"summary": "bundled models and the one serving",
                            "responses": {"200": {"description": "models"}}}},
    },
}
