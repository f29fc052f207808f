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
# Then sample rows of the app's own searches: a renamed agent, the verbs only the All Verbs variant sees (tls,
# service, tunnel), and DNS lookups of ngrok's domains, each with the options its saved search gives ngrokscore.
demo: package
	$(PY) scripts/ngrokscore_local.py samples/ngrok_detections.csv allowlist=ngrok_allowlist_example.csv
	@echo; echo "== Linux Ngrok Agent Renamed or Relocated (samples/ngrok_renamed.csv)"
	$(PY) scripts/ngrokscore_local.py samples/ngrok_renamed.csv '$(RENAMED_MESSAGE)'
	@echo; echo "== Linux Ngrok Reverse Proxy Usage - All Verbs (samples/ngrok_all_verbs.csv)"
	$(PY) scripts/ngrokscore_local.py samples/ngrok_all_verbs.csv
	@echo; echo "== Ngrok Agent and Endpoint Domains in DNS (samples/ngrok_dns.csv)"
	$(PY) scripts/ngrokscore_local.py samples/ngrok_dns.csv impact=50 confidence=80 '$(NETWORK_MESSAGE)'

RENAMED_MESSAGE = message=The ngrok agent ran under another name, $$process_name$$ ($$process_path$$), spawned from $$parent_process_name$$ on endpoint $$dest$$ by user $$user$$
NETWORK_MESSAGE = message=Host $$dest$$ looked up ngrok $$ngrok_domain_role$$ domain $$query$$

# Unit, protocol (Python 3.11, and 3.9/3.13 where installed), alert action, robustness and package tests,
# AppInspect included. The integration tests (marker splunk) need a real Splunk: make test-splunk.
test: package
	$(PY) -m pytest -m "not splunk"

# Integration tests in a real Splunk: Docker (splunk/splunk, SPLUNK_IMAGE) or an existing one (SPLUNK_HOST).
# Settings are environment variables or make arguments, e.g. make test-splunk SPLUNK_IMAGE=splunk/splunk:10.0.2
test-splunk: package
	$(PY) -m pytest tests/integration -rs

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
