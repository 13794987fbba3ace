# Both entry points set everything up themselves on a fresh machine and are fast the second time.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint clean

setup: $(STAMP)

# torch is pinned so pip takes the CPU wheel instead of pulling GBs of CUDA packages.
$(STAMP): pyproject.toml
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing ffmpeg (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	  else echo "warning: no ffmpeg binary and no apt-get: the ffmpeg plugin tests will be skipped"; fi; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "torch==2.13.0" -e ".[dev,train]"
	touch $(STAMP)

demo: setup
	$(BIN)/videocolor demo --output-dir demo-output

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) demo-output .pytest_cache
