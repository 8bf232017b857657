#!/usr/bin/env bash
# Run the whole test suite: unit tests, the real-engine sandbox tests, the browser
# test and the assignment library's validation. Needs `bash scripts/setup.sh` first.
set -euo pipefail
cd "$(dirname "$0")/.."

# System tools the tests need: Debian's Chromium and CJK fonts (browser tests, the Korean page), and the
# real servers the queue and database tests start on loopback (tests/services.py): redis-server, PostgreSQL.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi 'noto.*cjk' || missing+=(fonts-noto-cjk)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian's packages start their own servers; the tests start private ones on free ports instead.
  for unit in redis-server postgresql; do
    if command -v systemctl >/dev/null && systemctl is-active -q "$unit" 2>/dev/null; then systemctl stop "$unit" || true; fi
  done
fi
.venv/bin/grader doctor
# Three workers on two cores: most engine tests wait on containers and on the programs' own sleeps.
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "${GRADER_TEST_WORKERS:-3}" "$@"
