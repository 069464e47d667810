# digitrt: `make run` opens the drawing window, `make test` runs every test.
# Both create .venv and install what they need from pyproject.toml (and, as root, the few
# Debian libraries Qt loads). Only Python >= 3.11 is required beforehand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every tool of the test, lint, training and CI environment at the version CI tested
# (requirements.lock); pyproject.toml keeps ranges. `make lock` moves it forward on purpose.
LOCK := requirements.lock
EXTRAS := gui,serve,train,bench,dev,ray
PIP_LOCKED := $(BIN)/python -m pip install --quiet --constraint $(LOCK)
SECOND_STAGE_EPOCHS := 15
SECOND_STAGE_LR := 3e-4
# The second stage's seed: run V2's (training/HISTORY.md); the first stage's is training.common.SEED.
SECOND_STAGE_SEED := 20261208
# The models the card compares with: v1 (committed byte for byte, see benchmarks/baseline) and
# v2.1's default, from the commit that shipped it.
V1_MODEL := benchmarks/baseline/digit_cnn_v1.onnx
V21_COMMIT := d6ab927
# Qt's wheels bundle Qt but not these system libraries (xcb-* are for a window on X11/Xvfb).
QT_SYSTEM_LIBS := libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 \
	libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
	chromium chromium-driver
# (chromium and its driver: the web page's tests drive a real headless browser, tests/test_serve.py)

.PHONY: run serve test quick bench train train-sequence train-second-stage data lint screenshot wheel lock system-libs clean

run: $(VENV)/.gui system-libs          ## open the drawing window (bundled CNN)
	$(BIN)/python -m gui $(ARGS)

serve: $(VENV)/.dev                    ## the HTTP API and drawing page on http://127.0.0.1:8000/
	$(BIN)/digitrt serve $(ARGS)

test: $(VENV)/.dev system-libs         ## the whole test suite, then every benchmark once
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest benchmarks --benchmark-disable -q

quick: $(VENV)/.dev                    ## the fast tests only, for a developer's loop (under a minute)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow" -q

bench: $(VENV)/.dev                    ## measure, then write benchmarks/RESULTS.md
	$(BIN)/python -m pytest benchmarks --benchmark-json=benchmarks/results.json \
		--benchmark-columns=median,iqr,min,max,rounds
	$(BIN)/python -m benchmarks.report benchmarks/results.json benchmarks/RESULTS.md

# Two stages per model: the first (--base: model v2.0's fonts and not-a-digit generators) from
# scratch, kept as models/digit_<model>_base.weights.h5; the second fine-tunes it on everything.
# `make train-second-stage` reruns the second alone, from the committed first-stage weights.
train: $(VENV)/.dev                    ## retrain every shipped model, measure them, rebuild the card
	$(BIN)/python -m training.train --model cnn --base --out build/base
	$(BIN)/python -m training.train --model mlp --base --out build/base
	cp build/base/digit_cnn.weights.h5 models/digit_cnn_base.weights.h5
	cp build/base/digit_mlp.weights.h5 models/digit_mlp_base.weights.h5
	$(MAKE) train-second-stage
	$(MAKE) train-sequence

# The number reader's sequence model (independent of the classifiers' training), then the
# number test with the default classifier and it.
train-sequence: $(VENV)/.dev
	$(BIN)/python -m training.sequence --numbers 100000 --epochs 6 --out models
	$(BIN)/python -m training.numbers --per-class 300 --out models/numbers.json
	$(BIN)/python -m training.numbers --writers --per-class 1000 --out models/numbers_writers.json

train-second-stage: $(VENV)/.dev
	$(BIN)/python -m training.train --model cnn --finetune models/digit_cnn_base.weights.h5 \
		--epochs $(SECOND_STAGE_EPOCHS) --learning-rate $(SECOND_STAGE_LR) \
		--seed $(SECOND_STAGE_SEED) --out models
	$(BIN)/python -m training.train --model mlp --finetune models/digit_mlp_base.weights.h5 \
		--epochs $(SECOND_STAGE_EPOCHS) --learning-rate $(SECOND_STAGE_LR) \
		--seed $(SECOND_STAGE_SEED) --out models
	$(BIN)/python -m training.quantize --models models
	git show $(V21_COMMIT):models/digit_cnn_int8.onnx > models/.v21_int8.onnx  # v2.1's default
	$(BIN)/python -m training.evaluate v1=$(V1_MODEL) v2.1=models/.v21_int8.onnx \
		cnn=models/digit_cnn.onnx cnn-int8=models/digit_cnn_int8.onnx mlp=models/digit_mlp.onnx \
		--out models
	rm -f models/.v21_int8.onnx
	$(BIN)/python -m training.personalize models/digit_cnn.onnx --out models/personalization.json
	$(BIN)/python -m training.card models

data: $(VENV)/.gui                     ## download + verify MNIST into ~/.cache/digitrt/mnist
	$(BIN)/python -m training.mnist

lint: $(VENV)/.dev
	$(BIN)/ruff check digitrt gui training tests benchmarks hatch_build.py
	$(BIN)/mypy

screenshot: $(VENV)/.dev system-libs   ## docs/gui.png: the window with a drawn digit
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m gui.screenshot docs/gui.png

wheel: build/wheel-venv/bin/python    ## dist/digitrt-*.whl, built in a small venv (build + hatchling only)
	build/wheel-venv/bin/python -m build --wheel --no-isolation --outdir dist

build/wheel-venv/bin/python: $(LOCK)
	$(PYTHON) -m venv build/wheel-venv
	build/wheel-venv/bin/python -m pip install --quiet --constraint $(LOCK) pip build hatchling

# Move the lock forward: resolve pyproject.toml's ranges against today's index in a throw-away
# venv and write what it installed. Review the diff, run `make clean test`, commit both.
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	build/lock-venv/bin/python -m pip install --quiet ".[$(EXTRAS)]"
	{ echo "# digitrt's test, lint, training and CI environment (Python 3.11, Linux x86_64)."; \
	  echo "# Written by 'make lock' on $$(date -u +%F); the Makefile installs with --constraint."; \
	  build/lock-venv/bin/python -m pip freeze --all --exclude digitrt; } > $(LOCK)
	rm -rf build/lock-venv

$(VENV)/bin/python: $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) pip

$(VENV)/.gui: pyproject.toml $(LOCK) | $(VENV)/bin/python
	$(PIP_LOCKED) -e ".[gui]"
	touch $@

$(VENV)/.dev: pyproject.toml $(LOCK) | $(VENV)/bin/python
	$(PIP_LOCKED) -e ".[$(EXTRAS)]"
	touch $@ $(VENV)/.gui

system-libs:                           ## Debian/Ubuntu: Qt's libraries and Chromium, if missing
	@command -v dpkg >/dev/null || exit 0; \
	missing=$$(for p in $(QT_SYSTEM_LIBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	[ -n "$$missing" ] || exit 0; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; \
	else echo "Qt may need: apt-get install $$missing (run as root)"; exit 0; fi; \
	echo "installing Qt's system libraries: $$missing"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
		$$missing >/dev/null || echo "warning: could not install $$missing; Qt may fail to start"

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .benchmarks
