#!/usr/bin/env bash
# Prints what runs: each cluster process with pid and memory (RSS), the API server's
# health, the node and the kube-system pods. Exit 0 when the cluster is fully up, 3 when it is
# down or only partly running.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

up=0
total=0
printf '%-24s %-8s %-10s %s\n' COMPONENT PID RSS STATE
for name in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do
  pid="$(cat "$RUN_DIR/$name.pid" 2>/dev/null)"
  if [[ -n "$pid" && -d "/proc/$pid" ]]; then
    rss_kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"
    rss_kb="${rss_kb:-0}"
    total=$((total + rss_kb))
    printf '%-24s %-8s %-10s %s\n' "$name" "$pid" "$((rss_kb / 1024))MiB" running
    up=$((up + 1))
  else
    printf '%-24s %-8s %-10s %s\n' "$name" - - stopped
  fi
done
echo "processes running: $up/8, RSS total $((total / 1024)) MiB"
echo "version: Kubernetes v$K8S_VERSION (self-built), cache $K8S_HOME"
if [[ -f "$KUBECONFIG_PATH" ]] && ((up > 0)); then
  echo "kubeconfig: $KUBECONFIG_PATH (context $CONTEXT)"
  if kctl get --raw /readyz >/dev/null 2>&1; then
    echo "apiserver: ready (https://127.0.0.1:$APISERVER_PORT)"
    kctl get nodes -o wide 2>/dev/null
    echo
    kctl get pods -A -o wide 2>/dev/null
  else
    echo "apiserver: not reachable"
    up=0
  fi
fi
((up == 8)) && exit 0
exit 3
