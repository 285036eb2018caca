#!/usr/bin/env bash
# The private Docker engine kind runs on here:
#   dockerd.sh start   start it (idempotent); default runtime = runc-wrapper.sh
#   dockerd.sh stop    stop it and remove what it leaves on the host: its containerd and shims,
#                      docker-proxy processes, mounts under its run and data dirs, docker0 and
#                      the kind network's bridge, and the DOCKER* iptables chains and jumps.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || die "must run as root (dockerd)"
PIDFILE="$DOCKER_RUN/docker.pid"

start() {
  docker info >/dev/null 2>&1 && { log "private dockerd: already running ($DOCKER_HOST)"; return 0; }
  command -v dockerd >/dev/null || install_packages "$KIND_LOGS/apt.log" docker.io
  mkdir -p "$DOCKER_RUN" "$DOCKER_DATA" "$KIND_LOGS"
  log "private dockerd: starting (log $KIND_LOGS/dockerd.log)"
  # --ip-forward=false: the host's forwarding sysctl and FORWARD policy stay as they were;
  # kind's node is reached through published ports (docker-proxy on 127.0.0.1).
  setsid dockerd --data-root "$DOCKER_DATA" --exec-root "$DOCKER_RUN/exec" --host "$DOCKER_HOST" \
    --pidfile "$PIDFILE" --ip-forward=false --ip6tables=false \
    --add-runtime "firedrill-runc=$KIND_DIR/runc-wrapper.sh" --default-runtime firedrill-runc \
    >>"$KIND_LOGS/dockerd.log" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 60; i++)); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "dockerd did not start; see $KIND_LOGS/dockerd.log"
}

# kill_matching PATTERN: SIGTERM, then SIGKILL, every process whose command line holds PATTERN
# (only our paths are passed, so nothing else on the host matches).
kill_matching() {
  local pids
  pids=$(pgrep -f -- "$1" || true)
  [[ -z "$pids" ]] && return 0
  kill -TERM $pids 2>/dev/null || true
  sleep 2
  pids=$(pgrep -f -- "$1" || true)
  [[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null || true
}

stop() {
  local pid i children=""
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  if [[ -n "$pid" && -d /proc/$pid ]]; then
    log "private dockerd: stopping (pid $pid)"
    children=$(pgrep -P "$pid" || true) # its containerd and docker-proxy processes
    kill -TERM "$pid"
    for ((i = 0; i < 40; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.5; done
    [[ -d /proc/$pid ]] && kill -KILL "$pid"
  fi
  # shims outlive dockerd (their command lines name our exec root), children may too
  kill_matching "$DOCKER_RUN/exec"
  for pid in $children; do kill -KILL "$pid" 2>/dev/null || true; done
  # mounts under our run dir and data root, deepest first
  awk -v a="$DOCKER_RUN" -v b="$DOCKER_DATA" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' \
    /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  clean_network
  rm -f "$PIDFILE" "$DOCKER_RUN/docker.sock"
}

# docker0, the kind network's bridge (br-<network id>), and Docker's iptables rules.
clean_network() {
  local dev table rule chain
  for dev in $(ip -o link show type bridge | awk -F': ' '{ print $2 }' | grep -E '^(docker0|br-[0-9a-f]{12})$'); do
    ip link delete "$dev" 2>/dev/null || true
  done
  for table in filter nat; do
    # rules in the built-in chains that jump to Docker's chains or name its bridges
    iptables -w -t "$table" -S | grep -E '^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ' |
      grep -E 'DOCKER|docker0|br-[0-9a-f]{12}' | while read -r rule; do
      eval "iptables -w -t $table -D ${rule#-A }" 2>/dev/null || true
    done
    for chain in $(iptables -w -t "$table" -S | awk '/^-N DOCKER/ { print $2 }'); do
      iptables -w -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables -w -t "$table" -S | awk '/^-N DOCKER/ { print $2 }'); do
      iptables -w -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: dockerd.sh start|stop" ;;
esac
