#!/usr/bin/env bash
# The system packages the tests run against: a real redis-server (each test starts its own on a
# free port), redis-sentinel (the failover test) and Debian's chromium (the /docs page is checked in a real browser). Installs what is
# missing, so `npm test` works on a fresh machine of this kind (root, Debian, registry access).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "zpe-gateway tests need: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
