#!/usr/bin/env bash
# Creates or refreshes the project's virtual environment for one purpose, installing only what that purpose needs.
#
#   scripts/setup_env.sh PYTHON VENV PROFILE
#
#   PROFILE  layers installed                                  needs
#   build    requirements-build.txt (make package, demo, bench)  Python >= 3.9 with venv and ensurepip
#   test     build + requirements-test.txt, libmagic1           Python >= 3.11 (hypothesis 6.170, pytest 9.2)
#   fuzz     test + requirements-fuzz.txt (atheris wheel)       Python >= 3.11
#
# PYTHON may be empty: then the interpreter the existing venv was built with is kept, or python3 for a new one.
# The venv records what it was built from in VENV/.sa-env/: the base interpreter, and one file per installed layer
# holding the hash of that layer's requirements file. A venv built by another interpreter or with other pins is
# removed and built again; a layer is recorded only once it installed completely, and a failed install removes the
# whole venv (an interrupted one is removed by the next run), so a half-built environment is never reused. pip's output goes to VENV.log.
set -uo pipefail

python=${1:-}
venv=${2:-.venv}
profile=${3:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
state="$venv/.sa-env"
log="$venv.log"

fail() { echo "setup_env: $*" >&2; exit 1; }

case "$profile" in
  build) layers="build"; minimum="3.9" ;;
  test) layers="build test"; minimum="3.11" ;;
  fuzz) layers="build test fuzz"; minimum="3.11" ;;
  *) fail "unknown profile '$profile' (build, test or fuzz)" ;;
esac

# The identity of an interpreter: its version and where it really lives (a pyenv shim resolves to its version).
identity_of() {
  "$1" -c 'import os, sys; print("%s %s" % (".".join(map(str, sys.version_info[:3])), os.path.realpath(sys.executable)))'
}

if [ -z "$python" ]; then
  if [ -f "$state/python" ] && [ -x "$(cut -d' ' -f2- "$state/python")" ]; then
    python=$(cut -d' ' -f2- "$state/python")
  else
    python=python3
  fi
fi
command -v "$python" >/dev/null 2>&1 || fail "no interpreter '$python' on PATH: install Python $minimum or newer, or pass PYTHON=/path/to/python3"
if ! identity=$(identity_of "$python" 2>"$log.probe"); then
  said=$(grep -v '^ *$' "$log.probe" | head -n 6 | cut -c1-200); rm -f "$log.probe"
  fail "'$python' does not run as a Python 3 interpreter${said:+. It said:
$said}"
fi
rm -f "$log.probe"
version=${identity%% *}

if ! "$python" -c "import sys; sys.exit(0 if sys.version_info[:2] >= tuple(map(int, '$minimum'.split('.'))) else 1)"; then
  case "$profile" in
    build) why="the build and the command need it; Splunk 9.x runs the command with 3.9" ;;
    *) why="pytest 9.2.0 needs 3.10 and hypothesis 6.170.17 needs 3.11" ;;
  esac
  fail "make targets that need the '$profile' environment need Python $minimum or newer ($why); '$python' is $version. Choose another interpreter, e.g. make <target> PYTHON=python3.11"
fi

# A venv that another interpreter built, that no longer runs, or whose recorded pins differ, is not reused.
if [ -e "$venv" ]; then
  reason=""
  if [ ! -f "$state/python" ]; then
    reason="it was not completed (or predates this script)"
  elif [ -e "$state/installing" ]; then
    reason="an earlier install into it ($(cat "$state/installing")) did not finish"
  elif [ "$(cat "$state/python")" != "$identity" ]; then
    reason="it was built with $(cat "$state/python"), not $identity"
  elif ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
    reason="its interpreter no longer runs"
  else
    for layer in build test fuzz; do
      if [ -f "$state/$layer" ] && [ "$(cat "$state/$layer")" != "$(sha256sum "$root/requirements-$layer.txt" | cut -d' ' -f1)" ]; then
        reason="requirements-$layer.txt changed since it was installed"
      fi
    done
  fi
  if [ -n "$reason" ]; then
    echo "setup_env: rebuilding $venv: $reason"
    rm -rf "$venv"
  fi
fi

if [ ! -e "$venv" ]; then
  # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a separate package.
  if ! "$python" -c "import venv, ensurepip" >/dev/null 2>&1; then
    fail "'$python' ($version) cannot create a virtual environment: its venv/ensurepip module is missing. On Debian or Ubuntu install it with: sudo apt-get install python3-venv (or python$(echo "$version" | cut -d. -f1-2)-venv)"
  fi
  echo "setup_env: creating $venv with $python ($version)"
  # SETUP_ENV_VENV_ARGS is for this script's own tests (--without-pip, with requirements files that list nothing).
  if ! "$python" -m venv ${SETUP_ENV_VENV_ARGS:-} "$venv" >"$log" 2>&1; then
    rm -rf "$venv"
    tail -n 5 "$log" | cut -c1-300 >&2
    fail "'$python -m venv $venv' failed (full output in $log)"
  fi
  mkdir -p "$state"
  echo "$identity" >"$state/python"
fi

# libmagic is a system library that AppInspect (python-magic) loads; only the test layers need it.
ensure_libmagic() {
  ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup_env: installing libmagic1 (splunk-appinspect needs it)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1; } >>"$log" 2>&1 && return 0
  fi
  echo "setup_env: warning: libmagic1 is missing and could not be installed here; install it (apt-get install libmagic1) or the AppInspect tests fail" >&2
}

for layer in $layers; do
  requirements="$root/requirements-$layer.txt"
  digest=$(sha256sum "$requirements" | cut -d' ' -f1)
  [ -f "$state/$layer" ] && [ "$(cat "$state/$layer")" = "$digest" ] && continue
  if ! grep -qvE '^[[:space:]]*(#|$)' "$requirements"; then
    echo "$digest" >"$state/$layer"  # lists nothing to install
    continue
  fi
  [ "$layer" = test ] && ensure_libmagic
  echo "setup_env: installing requirements-$layer.txt into $venv"
  echo "requirements-$layer.txt" >"$state/installing"
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -r "$requirements" >>"$log" 2>&1; then
    rm -rf "$venv"
    echo "--- last lines of $log:" >&2
    grep -v '^ *$' "$log" | tail -n 8 | cut -c1-300 >&2
    fail "installing requirements-$layer.txt failed; $venv was removed so that the next run starts clean (full output in $log)"
  fi
  echo "$digest" >"$state/$layer"
  rm -f "$state/installing"
done
