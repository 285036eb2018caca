#!/usr/bin/env bash
# kind on a machine without a container registry (called by `pnpm cluster ... --kind` when no
# usable kind/Docker is installed; harness/cli/cluster.ts runs kind itself in between):
#   local.sh env       print DOCKER_HOST, the directory holding kind, and the node image
#   local.sh prepare   build what is missing (cached) and start the private dockerd
#   local.sh ready     wait for what kind does not wait for: NetworkPolicy (kube-router), DNS
#   local.sh down      stop the private dockerd and clean the host (after `kind delete cluster`)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

docker_has_kind_node() { grep -qs "\"Name\":\"/$NODE_CONTAINER\"" "$DOCKER_DATA"/containers/*/config.v2.json; }
kctl_kind() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" --context "$KIND_CONTEXT" "$@"; }

case "${1:-}" in
  env) printf 'DOCKER_HOST=%s\nKIND_BIN=%s\nNODE_IMAGE=%s\n' "$DOCKER_HOST" "$KIND_BIN" "$NODE_IMAGE" ;;
  prepare)
    [[ $EUID -eq 0 ]] || die "building kind's node image needs root (debootstrap, dockerd)"
    t0=$SECONDS
    bash "$KIND_DIR/build.sh" images
    bash "$KIND_DIR/dockerd.sh" start
    bash "$KIND_DIR/build.sh" node
    log "kind parts ready in $((SECONDS - t0))s"
    ;;
  ready)
    t0=$SECONDS
    kctl_kind -n kube-system rollout status daemonset/kube-router --timeout=180s >/dev/null
    kctl_kind -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null
    log "kube-router (NetworkPolicy) and CoreDNS ready after $((SECONDS - t0))s more"
    ;;
  down)
    # a dockerd that was killed with the node still in its data root: start it to delete the
    # node the way kind does (otherwise the next `up` would find a dead cluster to reuse)
    if ! docker info >/dev/null 2>&1 && docker_has_kind_node; then
      bash "$KIND_DIR/dockerd.sh" start
      kind delete cluster --name "$KIND_CLUSTER" || true
    fi
    bash "$KIND_DIR/dockerd.sh" stop
    ;;
  *) die "usage: local.sh env|prepare|ready|down" ;;
esac
