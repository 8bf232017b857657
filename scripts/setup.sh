#!/usr/bin/env bash
# Set this machine up to grade: a virtualenv with the grader in .venv, the Docker
# engine (installed and started when missing), and the sandbox image (built
# without a registry). Idempotent: a second run reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv python3-pip)
command -v git >/dev/null || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need ${need_apt[*]}; run as root" >&2; exit 2; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test]'

# Engine (docker.io + dockerd in the background when missing) and the sandbox image.
.venv/bin/grader setup
