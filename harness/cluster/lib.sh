# shellcheck shell=bash disable=SC2034
# Shared settings for the self-built single-node cluster (sourced by build.sh, up.sh, down.sh,
# status.sh). Every version is pinned here; every build output and cache lives outside the
# repository, under $FIREDRILL_CACHE (default ~/.cache/firedrill), keyed by version.

K8S_VERSION=1.34.4                 # newest 1.34 patch served by the Go module proxy
ETCD_VERSION=3.6.16                # go.etcd.io/etcd/server/v3
COREDNS_VERSION=1.14.7             # github.com/coredns/coredns
KUBE_ROUTER_VERSION=2.1.0          # github.com/cloudnativelabs/kube-router/v2 (NetworkPolicy only)
DEBIAN_SUITE=bookworm              # base image for pods (debootstrap --variant=minbase)

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}"
K8S_HOME="$CACHE_ROOT/k8s-v$K8S_VERSION"
BIN="$K8S_HOME/bin"
STAMPS="$K8S_HOME/stamps"
IMAGES="$K8S_HOME/images"
STATE="$K8S_HOME/state"           # certs, etcd data, configs, logs, kubeconfig
CONTAINERD_ROOT="$K8S_HOME/containerd"
KUBELET_ROOT=/var/lib/firedrill-kubelet
RUN_DIR=/run/firedrill-cluster    # sockets and pid files
LOG_DIR="$STATE/logs"
KUBECONFIG_PATH="${FIREDRILL_KUBECONFIG:-$CACHE_ROOT/kubeconfig}"   # context firedrill-local (admin)
CONTEXT=firedrill-local

export GOCACHE="${GOCACHE_OVERRIDE:-$CACHE_ROOT/go/build}"
export GOMODCACHE="${GOMODCACHE_OVERRIDE:-$CACHE_ROOT/go/mod}"
export GOFLAGS="-buildvcs=false -mod=readonly"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

# Network layout. Pods get 10.244.0.0/24 on bridge fdr0; services 10.96.0.0/16.
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
APISERVER_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
BRIDGE=fdr0
FORWARD_CHAIN=FIREDRILL-K8S-FWD       # iptables filter chain accepting pod traffic in FORWARD
NODE_NAME=firedrill-node
APISERVER_PORT=6443
ETCD_PORT=12379                    # etcd client; +1 peer, +2 metrics (all 127.0.0.1)

PAUSE_IMAGE=registry.k8s.io/pause:firedrill
BASE_IMAGE=firedrill.local/debian:bookworm
COREDNS_IMAGE=firedrill.local/coredns:v$COREDNS_VERSION

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

# install_packages LOG PKG...: install Debian packages the scripts need (root: apt-get, with an
# update only when the first try fails on stale lists; otherwise one line naming them).
install_packages() {
  local apt_log=$1
  shift
  ((EUID == 0)) || die "missing Debian packages: $*; install them (sudo apt-get install $*) and run again"
  log "installing Debian packages: $*"
  mkdir -p "$(dirname "$apt_log")"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$apt_log" 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$apt_log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$apt_log" 2>&1 ||
      die "apt-get install $* failed (log $apt_log)"
  }
}

# stamp_ok NAME KEY: true if the stamp NAME holds KEY (the build it records is current).
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; printf '%s' "$2" >"$STAMPS/$1"; }

# key_of FILES...: a content hash of the inputs plus the Go version.
key_of() { { go version; cat "$@"; } | sha256sum | cut -c1-16; }

# Kernel settings `up` changes (forwarding, bridge netfilter, route_localnet), each saved once
# before its first change and put back by `down`: a host the cluster leaves must not keep
# forwarding for it (a node's packets to a gone pod IP would leave by the default route).
PROC_SYS="${FIREDRILL_PROC_SYS:-/proc/sys}"   # tests point it at a copy
SYSCTL_SAVED="${FIREDRILL_SYSCTL_SAVED:-$RUN_DIR/sysctl.before}"
# set_sysctl KEY VALUE: set KEY (net.ipv4.ip_forward) to VALUE; false where the key is missing.
set_sysctl() {
  local file="$PROC_SYS/${1//.//}"
  [[ -w "$file" ]] || return 1
  grep -q "^$1=" "$SYSCTL_SAVED" 2>/dev/null || printf '%s=%s\n' "$1" "$(cat "$file")" >>"$SYSCTL_SAVED"
  printf '%s\n' "$2" >"$file"
}
# restore_sysctls: every saved key back to its value from before the cluster.
restore_sysctls() {
  [[ -f "$SYSCTL_SAVED" ]] || return 0
  local key value
  while IFS='=' read -r key value; do
    printf '%s\n' "$value" >"$PROC_SYS/${key//.//}" 2>/dev/null || log "warning: could not put $key back to $value"
  done <"$SYSCTL_SAVED"
  log "kernel settings put back: $(paste -sd' ' "$SYSCTL_SAVED")"
  rm -f "$SYSCTL_SAVED"
}

ctr_k8s() { ctr --address "$RUN_DIR/containerd.sock" -n k8s.io "$@"; }
kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
