#!/usr/bin/env bash
# Makes sure the Debian packages behind the drills (and the tests) are installed, so the
# README's two commands work on a fresh machine. Installs what is missing when running as root
# (apt); otherwise names the packages and stops. Fast when nothing is missing (dpkg queries only).
#
#   ensure-system.sh drill   servers a drill on the local platform runs
#   ensure-system.sh test    those plus what the test suite uses (browser, XML schema checker)
set -euo pipefail
drill=(postgresql redis-server prometheus stress-ng util-linux iproute2)
test=("${drill[@]}" chromium libxml2-utils iptables)
case "${1:-}" in
  drill) want=("${drill[@]}") ;;
  test) want=("${test[@]}") ;;
  *) echo "usage: ensure-system.sh drill|test" >&2; exit 2 ;;
esac
command -v dpkg >/dev/null || exit 0 # not Debian: the platform's preflight names what is missing
missing=()
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
((${#missing[@]})) || exit 0
if [[ $EUID -ne 0 ]]; then
  echo "firedrill: missing system packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again" >&2
  exit 2
fi
echo "firedrill: installing system packages: ${missing[*]} (first run only)" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
