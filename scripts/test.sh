#!/usr/bin/env bash
# Run the whole test suite: unit tests, the real-engine sandbox tests, the browser
# test and the assignment library's validation. Needs `bash scripts/setup.sh` first.
set -euo pipefail
cd "$(dirname "$0")/.."

# System tools the browser test needs (Debian's Chromium, CJK fonts for the Korean page).
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
fi
.venv/bin/grader doctor
# Three workers on two cores: most engine tests wait on containers and on the programs' own sleeps.
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "${GRADER_TEST_WORKERS:-3}" "$@"
