# SA-ngrok-detection. Quick start: `make demo`, then `make test`; `make help` lists every target.
# Each target sets up the part of .venv/ it needs (scripts/setup_env.sh): make package/demo/bench only what building
# and running the app needs (Python >= 3.9), make test the test tools too (Python >= 3.11). PYTHON picks the
# interpreter (default: the one .venv was built with, else python3); a different interpreter or changed pins rebuild
# .venv from scratch.
PYTHON ?=
VENV := .venv
PY := $(VENV)/bin/python
SETUP_ENV = bash scripts/setup_env.sh "$(PYTHON)" "$(VENV)"

.PHONY: help package demo test test-splunk appinspect bench fuzz robustness robustness-long clean distclean

.DEFAULT_GOAL := help

help: ## list the targets
	@echo "make <target> [PYTHON=python3.x]"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

package: ## build build/SA-ngrok-detection and dist/SA-ngrok-detection-<version>.tgz (offline after the first run)
	@$(SETUP_ENV) build
	$(PY) scripts/build.py

# After the bundled sample, sample rows of the app's own searches: a renamed agent, the verbs only the All Verbs
# variant sees (tls, service, tunnel), and DNS lookups of ngrok's domains, each with its saved search's options.
demo: package ## score the bundled samples through the built command, exactly as splunkd would run it
	$(PY) scripts/ngrokscore_local.py samples/ngrok_detections.csv allowlist=ngrok_allowlist_example.csv
	@echo; echo "== Linux Ngrok Agent Renamed or Relocated (samples/ngrok_renamed.csv)"
	$(PY) scripts/ngrokscore_local.py samples/ngrok_renamed.csv '$(RENAMED_MESSAGE)'
	@echo; echo "== Linux Ngrok Reverse Proxy Usage - All Verbs (samples/ngrok_all_verbs.csv)"
	$(PY) scripts/ngrokscore_local.py samples/ngrok_all_verbs.csv
	@echo; echo "== Ngrok Agent and Endpoint Domains in DNS (samples/ngrok_dns.csv)"
	$(PY) scripts/ngrokscore_local.py samples/ngrok_dns.csv impact=50 confidence=80 '$(NETWORK_MESSAGE)'

RENAMED_MESSAGE = message=The ngrok agent ran under another name, $$process_name$$ ($$process_path$$), spawned from $$parent_process_name$$ on endpoint $$dest$$ by user $$user$$
NETWORK_MESSAGE = message=Host $$dest$$ looked up ngrok $$ngrok_domain_role$$ domain $$query$$

# The integration tests (marker splunk) need a real Splunk: make test-splunk.
# Two workers (pytest-xdist), each running whole test files, so module fixtures (AppInspect, the property tests'
# command) still run once; much of the suite waits on subprocesses and stand-in servers. See docs/development.md.
test: ## unit, protocol (3.9/3.11/3.13), alert, robustness and package tests, AppInspect included
	@$(SETUP_ENV) test
	$(PY) scripts/build.py
	$(PY) -m pytest -m "not splunk" -n 2 --dist loadfile

# Settings are environment variables or make arguments, e.g. make test-splunk SPLUNK_IMAGE=splunk/splunk:10.0.2
# Only a machine without any Docker engine skips (one line); once an engine answers, anything that keeps Splunk
# from running fails. tests/integration/harness (run by make test) proves this against stand-in engines.
test-splunk: ## integration tests in a real Splunk: Docker (SPLUNK_IMAGE) or an existing one (SPLUNK_HOST)
	@$(SETUP_ENV) test
	$(PY) scripts/build.py
	$(PY) -m pytest tests/integration -m splunk -rs

appinspect: ## Splunk AppInspect (cloud tags, precert, --ci) on the package; report in reports/appinspect.json
	@$(SETUP_ENV) test
	$(PY) scripts/build.py
	$(PY) -m pytest tests/package -k appinspect

bench: package ## benchmark the command against a splunklib pass-through (scripts/benchmark.py)
	$(PY) scripts/benchmark.py

FUZZ_SECONDS ?= 60
fuzz: ## coverage-guided fuzzing of the pure core, FUZZ_SECONDS per target (needs an atheris wheel)
	@$(SETUP_ENV) fuzz
	$(PY) scripts/build.py
	$(PY) scripts/fuzz.py --seconds $(FUZZ_SECONDS)

robustness: ## the robustness campaign and its whole results table, docs/robustness.md (about 10 minutes)
	@$(SETUP_ENV) fuzz
	$(PY) scripts/build.py
	$(PY) scripts/robustness.py

robustness-long: ## the long robustness campaign, 60 s of fuzzing per target (13-17 minutes on 2 cores)
	@$(SETUP_ENV) fuzz
	$(PY) scripts/build.py
	$(PY) scripts/robustness.py --long

clean: ## remove build/, dist/ and test reports (keeps .venv/ and the cached splunk-sdk wheel in .cache/)
	rm -rf build dist .pytest_cache reports
	@echo "kept $(VENV)/ and .cache/ (make distclean removes them too)"

distclean: clean ## also remove .venv/ and .cache/ (the next build downloads splunk-sdk again)
	rm -rf $(VENV) $(VENV).log .cache
