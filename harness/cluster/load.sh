#!/usr/bin/env bash
# Imports image archives (`docker save` or OCI layout tarballs) into the running self-built
# cluster's containerd (namespace k8s.io), where the kubelet finds them; pods must use
# imagePullPolicy IfNotPresent or Never since no registry is reachable.
#
#   load.sh IMAGE.tar...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || die "must run as root"
(($#)) || die "usage: load.sh IMAGE.tar..."
ctr_k8s version >/dev/null 2>&1 || die "the cluster's containerd is not running (pnpm cluster up)"
for f in "$@"; do
  [[ -f "$f" ]] || die "no such file: $f"
done
for f in "$@"; do
  log "importing $f"
  ctr_k8s images import "$f" | sed 's/^/  /' >&2
done
