# Two entry points for a newcomer: `make run` (the web app) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint bench report browser clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or run: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	# this checkout itself, editable, so `import qa` and `ask-tong` work from any folder
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: setup
	$(PY) -m ui

test: setup browser
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# Debian's headless Chromium for the browser test (installed when we are root and it is missing).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "note: /usr/bin/chromium missing; the browser test will be skipped (apt-get install chromium)"; fi; \
	fi

lint: setup
	$(PY) -m ruff check .

bench: setup
	$(PY) -m qa bench

report: setup
	$(PY) -m qa eval --report docs/eval

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
