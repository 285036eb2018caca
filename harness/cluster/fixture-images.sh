#!/usr/bin/env bash
# Puts the Agent Agency fixture images into the running cluster, rebuilding them only when
# their inputs changed. Inputs = the fixture services, the image recipes and the lockfile;
# their content hash names a stamp in the cache, so a warm machine skips the build entirely.
# Building needs a Docker engine: a private dockerd is started for the build (data root in
# the cache, so layers are reused) and stopped afterwards.
#
#   fixture-images.sh           ensure the images are loaded (build when stale)
#   fixture-images.sh --force   rebuild and reload
# With FIREDRILL_CLUSTER=kind the images go to the kind cluster instead, with `kind load
# docker-image`, built on the Docker engine kind runs on (the private one of harness/cluster/kind).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$HERE/lib.sh"

CACHE="${FIREDRILL_CACHE:-$HOME/.cache/firedrill}"
force=0
[[ "${1:-}" == "--force" ]] && force=1
on_kind=0
if [[ "${FIREDRILL_CLUSTER:-}" == kind ]]; then
  on_kind=1
  command -v kind >/dev/null && docker info >/dev/null 2>&1 || source "$HERE/kind/lib.sh"
  kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" --context kind-firedrill "$@"; }
fi

hash=$(cd "$REPO" && find fixtures/agent-agency fixtures/k8s/images pnpm-lock.yaml -type f \
  ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
# One stamp for what containerd holds now: per-hash stamps said "up to date" for a hash built
# earlier while the images loaded since came from other inputs (switching versions on a warm machine).
stamp="$CACHE/fixture-images/loaded"
((on_kind == 0)) || stamp+=-kind
mapfile -t images < <(bash "$REPO/fixtures/k8s/images/build.sh" --list)

loaded() {
  local have
  if ((on_kind)); then
    have=$(docker exec firedrill-control-plane ctr -n k8s.io images ls -q 2>/dev/null) || return 1
  else
    have=$(ctr_k8s images ls -q 2>/dev/null) || return 1
  fi
  for img in "${images[@]}"; do grep -q "$img" <<<"$have" || return 1; done
}

if ((on_kind)); then
  kind get clusters 2>/dev/null | grep -qx firedrill || die "no kind cluster firedrill (pnpm cluster up --kind first)"
else
  ctr_k8s version >/dev/null 2>&1 || die "the cluster's containerd is not running (pnpm cluster up first)"
fi
if ((force == 0)) && [[ "$(cat "$stamp" 2>/dev/null)" == "$hash" ]] && loaded; then
  log "fixture images up to date (inputs $hash)"
  exit 0
fi

# The build's own tools, installed like `pnpm cluster up` installs the cluster's.
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then install_packages "$CACHE/fixture-images/apt.log" "${missing[@]}"; fi
run=/run/firedrill-docker
mkdir -p "$run" "$CACHE/docker"
((on_kind)) || export DOCKER_HOST="unix://$run/docker.sock"
if ! docker info >/dev/null 2>&1; then
  log "starting a private dockerd for the image build"
  # No bridge or iptables: builds use the host network, and the cluster's rules stay untouched.
  dockerd --data-root "$CACHE/docker" --exec-root "$run/exec" --host "$DOCKER_HOST" \
    --pidfile "$run/docker.pid" --bridge none --iptables=false --ip6tables=false \
    --ip-forward=false --ip-masq=false >"$run/dockerd.log" 2>&1 &
  started=$!
  trap 'kill "$started" 2>/dev/null; wait "$started" 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || die "dockerd did not start; see $run/dockerd.log"
fi

out="$CACHE/fixture-images/archives"
rm -rf "$out" && mkdir -p "$out"
log "building fixture images (inputs $hash)"
if ((on_kind)); then
  bash "$REPO/fixtures/k8s/images/build.sh"
  kind load docker-image --name firedrill "${images[@]}"
else
  bash "$REPO/fixtures/k8s/images/build.sh" --save "$out"
  bash "$HERE/load.sh" "$out"/*.tar
fi
rm -rf "$out"
mkdir -p "$(dirname "$stamp")" && echo "$hash" >"$stamp"
# pods of an already deployed fixture keep the old image under the same tag until replaced
if kctl get namespace agent-agency >/dev/null 2>&1; then
  kctl -n agent-agency rollout restart deployment >/dev/null
fi
log "fixture images loaded"
