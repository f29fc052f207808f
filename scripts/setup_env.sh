#!/usr/bin/env bash
# Creates the development venv with the pinned tools, and installs libmagic (AppInspect needs it) when missing.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing libmagic1 (needed by splunk-appinspect)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1 >/dev/null
  else
    echo "warning: libmagic1 is missing and cannot be installed here; AppInspect tests will fail" >&2
  fi
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 \
  | grep -v "^WARNING: Location" || true
"$venv/bin/python" -c "import pytest, splunk_appinspect, addonfactory_splunk_conf_parser_lib"
