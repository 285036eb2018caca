#!/usr/bin/env bash
# Makes sure the Debian packages behind the drills (and the tests) are installed, so the
# README's two commands work on a fresh machine. Installs what is missing when running as root
# (apt); otherwise names the packages and stops. Fast when nothing is missing (dpkg queries only).
#
#   ensure-system.sh drill [COMMAND...]   servers a drill on the local platform runs
#   ensure-system.sh test [COMMAND...]    those plus what the test suite uses (browser, XML schema
#                                         checker, an Alertmanager standing in for a user's monitoring)
#
# With a COMMAND (package.json: pnpm appends the user's arguments to it), the script then execs
# it. A COMMAND that only prints (--help, -h, --list, --version, -V, --dry-run) needs no system
# packages and skips the check, so asking for help never runs apt-get. A drill with
# `--platform kube` runs its system in the cluster: it needs none of the local platform's servers
# (a GitHub-hosted runner has none of them and no root).
set -euo pipefail
drill=(postgresql redis-server prometheus stress-ng util-linux iproute2)
# as root a network deny drops packets with iptables; without root it could not, so not asked for
((EUID == 0)) && drill+=(iptables)
test=("${drill[@]}" chromium libxml2-utils python3 prometheus-alertmanager)
[[ " ${test[*]} " == *" iptables "* ]] || test+=(iptables)
case "${1:-}" in
  drill) want=("${drill[@]}") ;;
  test) want=("${test[@]}") ;;
  *) echo "usage: ensure-system.sh drill|test [COMMAND...]" >&2; exit 2 ;;
esac
shift

# the check is done (or not needed): run the command, if any
run() {
  (($#)) && exec "$@"
  exit 0
}
prev=
for arg in "$@"; do
  case "$arg" in
    --) break ;; # what follows is operands, not options
    -h | --help | --list | -V | --version | --dry-run | --platform=kube) run "$@" ;;
    kube) [[ "$prev" == --platform ]] && run "$@" ;;
  esac
  prev=$arg
done

command -v dpkg >/dev/null || run "$@" # not Debian: the platform's preflight names what is missing
missing=()
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
((${#missing[@]})) || run "$@"
if [[ $EUID -ne 0 ]]; then
  echo "firedrill: missing system packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again" >&2
  exit 2
fi
echo "firedrill: installing system packages: ${missing[*]} (first run only)" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
run "$@"
