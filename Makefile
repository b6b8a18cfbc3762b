# CellCounter developer entry points. `make run` and `make test` are the two
# commands of the README; both create .venv on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
OUT ?= out

.PHONY: setup run count gui test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[gui,train,dev,formats,cluster]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

## The main job: count the bundled sample images into an Excel file (and open the GUI when there is a display).
run: setup
	$(VENV)/bin/cellcounter count resources/sample --diameter auto --out $(OUT)/sample-counts.xlsx --overlays $(OUT)/overlays --force
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -z "$$CI" ] && $(PY) -c "import cellcounter_app.gui.app" 2>/dev/null; then \
		$(VENV)/bin/cellcounter gui; fi

## The test suite (what CI runs).
test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) bench/bench_engine.py

clean:
	rm -rf $(VENV) $(OUT) build dist

## Frozen application (packaging/README.md): the PyInstaller onedir bundle in dist/CellCounter,
## then its smoke test (frozen CLI count of the samples + the desktop app's --self-test, offscreen).
.PHONY: bundle bundle-test
bundle: setup
	@$(PY) -c "import PyInstaller" 2>/dev/null || $(PIP) install --quiet -e ".[bundle]"
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/cellcounter.spec

bundle-test: bundle
	QT_QPA_PLATFORM=offscreen $(PY) packaging/smoke_test.py dist/CellCounter
