# SA-ngrok-detection. Quick start: `make demo`, then `make test`. Each target installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
VERSION = $(shell $(PY) -c "import sys; sys.path.insert(0, 'scripts'); import build; print(build.app_version())")

.PHONY: all venv package demo test test-splunk appinspect bench fuzz robustness robustness-long clean

all: package

# The dev environment: a venv with the pinned tools, plus libmagic for AppInspect.
$(READY): requirements-dev.txt scripts/setup_env.sh
	bash scripts/setup_env.sh "$(PYTHON)" "$(VENV)"
	touch $@

venv: $(READY)

# build/SA-ngrok-detection (the app as installed, splunklib vendored) and dist/SA-ngrok-detection-<version>.tgz
package: $(READY)
	$(PY) scripts/build.py

# Score the bundled sample through the built command, exactly as splunkd would run it.
demo: package
	$(PY) scripts/ngrokscore_local.py samples/ngrok_detections.csv allowlist=ngrok_allowlist_example.csv

# Unit, protocol (Python 3.11, and 3.9/3.13 where installed), alert action, robustness and package tests,
# AppInspect included. The integration tests (marker splunk) need a real Splunk: make test-splunk.
test: package
	$(PY) -m pytest -m "not splunk"

# Integration tests in a real Splunk: Docker (splunk/splunk, SPLUNK_IMAGE) or an existing one (SPLUNK_HOST).
# Settings are environment variables or make arguments, e.g. make test-splunk SPLUNK_IMAGE=splunk/splunk:10.0.2
# Only a machine without any Docker engine skips (one line); once an engine answers, anything that keeps Splunk
# from running fails. tests/integration/harness (run by make test) proves this against stand-in engines.
test-splunk: package
	$(PY) -m pytest tests/integration -m splunk -rs

appinspect: package
	$(PY) -m pytest tests/package -k appinspect

bench: package
	$(PY) scripts/benchmark.py

# Coverage-guided fuzzing of the pure core (FUZZ_SECONDS per target), findings saved as regression inputs.
FUZZ_SECONDS ?= 60
$(VENV)/.fuzz-ready: $(READY) requirements-fuzz.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-fuzz.txt
	touch $@

fuzz: package $(VENV)/.fuzz-ready
	$(PY) scripts/fuzz.py --seconds $(FUZZ_SECONDS)

# The robustness campaign (property tests, adversarial cases, fault injection, fuzzing) and its results table,
# docs/robustness.md: short form (about 5 minutes) and long form.
robustness: package $(VENV)/.fuzz-ready
	$(PY) scripts/robustness.py

robustness-long: package $(VENV)/.fuzz-ready
	$(PY) scripts/robustness.py --long

clean:
	rm -rf build dist .pytest_cache reports
