#!/usr/bin/env bash
# Stops the self-built cluster and removes what it left on the host: every process it
# started, pod containers and their network namespaces, mounts under its directories, the
# pod bridge, the iptables rules and ipsets of kube-proxy, kubelet, CNI portmap and
# kube-router; the kernel settings `up` changed get their values from before back. Cluster
# state (etcd data, pods) is wiped; binaries, images (the containerd content store),
# certificates and the kubeconfig are kept for a fast next `up`.
#
#   down.sh           stop and clean
#   down.sh --purge   also delete the whole version cache (binaries, images, state)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || die "must run as root"

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  [[ -n "$1" && -r "/proc/$1/stat" ]] || return 1
  local st
  st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)"
  [[ -n "$st" && "$st" != Z ]]
}
# stop NAME: SIGTERM the recorded pid, wait up to 15s, then SIGKILL.
stop() {
  local name="$1" pid i
  pid="$(cat "$RUN_DIR/$name.pid" 2>/dev/null)" || return 0
  if pid_alive "$pid"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 30; i++)); do
      pid_alive "$pid" || break
      sleep 0.5
    done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$RUN_DIR/$name.pid"
}

# After an unclean stop containerd is gone but its pod containers (and maybe their shims and
# processes) are not: start it briefly, with the same config, so they can be removed.
containerd_for_cleanup() {
  ctr_k8s version >/dev/null 2>&1 && return 0
  [[ -f "$STATE/containerd.toml" && -d "$CONTAINERD_ROOT/root" ]] || return 0
  log "starting containerd briefly to remove leftover pod containers"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  setsid containerd --config "$STATE/containerd.toml" >>"$LOG_DIR/containerd.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/containerd.pid"
  local i
  for ((i = 0; i < 30; i++)); do
    ctr_k8s version >/dev/null 2>&1 && return 0
    sleep 0.5
  done
}

# Pod containers: kill every task in the k8s.io namespace of *our* containerd, collect the
# sandboxes' network namespaces, then delete the containers (and their snapshots).
remove_pods() {
  [[ -S "$RUN_DIR/containerd.sock" ]] || return 0
  ctr_k8s version >/dev/null 2>&1 || return 0
  local ids id netns
  ids="$(ctr_k8s containers ls -q 2>/dev/null)"
  [[ -z "$ids" ]] && return 0
  log "removing $(wc -l <<<"$ids") pod containers"
  : >"$RUN_DIR/netns.list"
  for id in $ids; do
    netns="$(ctr_k8s containers info "$id" 2>/dev/null |
      jq -r '.Spec.linux.namespaces[]? | select(.type=="network") | .path // empty' 2>/dev/null)"
    [[ -n "$netns" ]] && echo "$netns" >>"$RUN_DIR/netns.list"
    ctr_k8s tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
  done
  sleep 1
  for id in $ids; do
    ctr_k8s tasks delete -f "$id" >/dev/null 2>&1
    ctr_k8s containers delete "$id" >/dev/null 2>&1
  done
  sort -u "$RUN_DIR/netns.list" | while read -r netns; do
    [[ "$netns" == /var/run/netns/* || "$netns" == /run/netns/* ]] || continue
    umount "$netns" 2>/dev/null
    rm -f "$netns"
  done
  rm -f "$RUN_DIR/netns.list"
}

# Shims of our containerd that outlived their tasks (found by our socket path, killed by pid).
kill_leftover_shims() {
  local p
  for p in /proc/[0-9]*; do
    [[ -r "$p/cmdline" ]] || continue
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "containerd-shim.*-address $RUN_DIR/containerd.sock"; then
      kill -KILL "${p#/proc/}" 2>/dev/null
    fi
  done
}

unmount_under() {
  local dir="$1" m
  [[ -d "$dir" ]] || return 0
  # deepest first
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
}

# Remove iptables rules and chains whose names start with KUBE- or CNI- (kube-proxy, kubelet,
# CNI portmap). Only those chains, and only jumps into them from built-in chains.
clean_iptables() {
  local ipt t rule chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for t in filter nat mangle raw; do
      "$ipt-save" -t "$t" 2>/dev/null | grep -E -- '^-A [A-Z]+ .*-j (KUBE|CNI)-' | grep -vE '^-A (KUBE|CNI)-' |
        while read -r rule; do
          # shellcheck disable=SC2086
          eval "$ipt -w -t $t ${rule/#-A/-D}" 2>/dev/null
        done
      for chain in $("$ipt-save" -t "$t" 2>/dev/null | grep -oE '^:(KUBE|CNI)-[^ ]+' | cut -c2-); do
        "$ipt" -w -t "$t" -F "$chain" 2>/dev/null
      done
      for chain in $("$ipt-save" -t "$t" 2>/dev/null | grep -oE '^:(KUBE|CNI)-[^ ]+' | cut -c2-); do
        "$ipt" -w -t "$t" -X "$chain" 2>/dev/null
      done
    done
  done
  if iptables -w -S "$FORWARD_CHAIN" >/dev/null 2>&1; then
    while iptables -w -D FORWARD -j "$FORWARD_CHAIN" 2>/dev/null; do :; done
    iptables -w -F "$FORWARD_CHAIN"
    iptables -w -X "$FORWARD_CHAIN"
  fi
  # ipsets of kube-router's NetworkPolicy controller (all named KUBE-*), now unreferenced.
  if command -v ipset >/dev/null; then
    local set
    for set in $(ipset list -n 2>/dev/null | grep '^KUBE-'); do
      ipset destroy "$set" 2>/dev/null
    done
  fi
  # nftables tables of kube-proxy's nftables mode or kube-network-policies (if any).
  if command -v nft >/dev/null; then
    local fam name
    while read -r _ fam name; do
      case "$name" in
        kube-network-policies | kube-proxy) nft delete table "$fam" "$name" 2>/dev/null ;;
      esac
    done < <(nft list tables 2>/dev/null)
  fi
}

# Remove the kubepods cgroups the kubelet created (empty once all pods are gone).
clean_cgroups() {
  local ctl
  for ctl in /sys/fs/cgroup/*/; do
    [[ -d "$ctl/kubepods" ]] || continue
    find "$ctl/kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  [[ -d /sys/fs/cgroup/unified/kubepods ]] && find /sys/fs/cgroup/unified/kubepods -depth -type d -exec rmdir {} \; 2>/dev/null
  return 0
}

if [[ ! -d "$RUN_DIR" && ! -d "$K8S_HOME" ]]; then
  log "no cluster state found; nothing to do"
  exit 0
fi

stop kubelet
containerd_for_cleanup
remove_pods
stop kube-router
stop kube-proxy
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd
stop containerd
kill_leftover_shims
[[ -x "$BIN/kube-proxy" ]] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1
clean_iptables
unmount_under "$KUBELET_ROOT"
unmount_under "$RUN_DIR"
unmount_under "$CONTAINERD_ROOT"
clean_cgroups
if ip link show "$BRIDGE" >/dev/null 2>&1; then
  log "removing bridge $BRIDGE"
  ip link delete "$BRIDGE"
fi
restore_sysctls
rm -rf "$KUBELET_ROOT" "$RUN_DIR" "$STATE/etcd" "$STATE/conf"
if [[ "${1:-}" == "--purge" ]]; then
  log "purging $K8S_HOME"
  rm -rf "$K8S_HOME"
fi
log "cluster stopped"
