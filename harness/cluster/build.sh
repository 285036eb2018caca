#!/usr/bin/env bash
# Builds every binary and image the self-built cluster needs, from the Go module proxy and
# Debian packages, into $FIREDRILL_CACHE/k8s-v<version>/. Each part is skipped when its stamp
# matches its inputs, so a warm machine builds nothing.
#
#   build.sh            everything (binaries, then images)
#   build.sh binaries   Go binaries only
#   build.sh images     images only (OCI archives in $IMAGES; up.sh imports them)
#   build.sh debian     only the Debian base image (used for kind: `kind load image-archive`)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$BIN" "$STAMPS" "$IMAGES" "$GOCACHE" "$GOMODCACHE"

# go_build NAME DIR KEYFILES -- GO-BUILD-ARGS...
go_build() {
  local name="$1" dir="$2"
  shift 2
  local -a keyfiles=()
  while [[ "$1" != "--" ]]; do keyfiles+=("$1"); shift; done
  shift
  local key
  key="$(key_of "${keyfiles[@]}" <(printf '%s\n' "$@"))"
  if stamp_ok "bin-$name" "$key"; then
    log "$name: cached ($BIN)"
    return 0
  fi
  local logf="$K8S_HOME/build-$name.log"
  log "$name: building (go build $*) ... log: $logf"
  local t0=$SECONDS
  (cd "$dir" && exec go build -v -trimpath "$@") >"$logf" 2>&1 &
  local pid=$! next=$((SECONDS + 60))
  # Progress while the build runs (go build -v logs one line per package it compiles).
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= next)); then
      log "$name: still building ($((SECONDS - t0))s, $(grep -vc '^go: ' "$logf" 2>/dev/null) packages so far)"
      next=$((SECONDS + 60))
    fi
    sleep 2
  done
  if ! wait "$pid"; then
    tail -30 "$logf" >&2
    die "$name: build failed (full log $logf)"
  fi
  stamp_set "bin-$name" "$key"
  log "$name: built in $((SECONDS - t0))s"
}

build_binaries() {
  command -v go >/dev/null || die "go is not installed (needs Go >= 1.26 for etcd $ETCD_VERSION)"
  local kdir="$CLUSTER_DIR/k8s-build"
  local minor="${K8S_VERSION#*.}"
  minor="${minor%%.*}"
  local ld="-s -w"
  local pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
  done
  # Kubernetes first: it is by far the longest part (15-25 min cold on 2 cores).
  go_build kubernetes "$kdir" "$kdir/go.mod" "$kdir/go.sum" -- \
    -ldflags "$ld" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl
  go_build etcd "$CLUSTER_DIR/etcd-build" "$CLUSTER_DIR/etcd-build/"{go.mod,go.sum,main.go} -- \
    -ldflags "-s -w" -o "$BIN/etcd" .
  go_build kube-router "$CLUSTER_DIR/kube-router-build" "$CLUSTER_DIR/kube-router-build/"{go.mod,go.sum} -- \
    -ldflags "-s -w" -o "$BIN/kube-router" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
  go_build coredns "$CLUSTER_DIR/coredns-build" "$CLUSTER_DIR/coredns-build/"{go.mod,go.sum} -- \
    -ldflags "-s -w" -o "$BIN/coredns" github.com/coredns/coredns
  go_build pause "$CLUSTER_DIR/pause" "$CLUSTER_DIR/pause/"{go.mod,main.go} -- \
    -ldflags "-s -w" -o "$BIN/pause" .
}

# image_tar NAME ROOTFS-DIR CONFIG-JSON OUT.tar: writes a one-layer OCI image archive
# (index.json + oci-layout + blobs) that `ctr images import` understands. The tag is set
# through the org.opencontainers.image.ref.name annotation plus --index-name on import.
oci_archive() {
  local ref="$1" rootfs="$2" config_json="$3" out="$4"
  local work
  work="$(mktemp -d "$IMAGES/.oci.XXXXXX")"
  mkdir -p "$work/blobs/sha256"
  tar --numeric-owner --sort=name --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .
  local diff_id
  diff_id="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  gzip -n -1 "$work/layer.tar"
  local layer_digest layer_size
  layer_digest="$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)"
  layer_size="$(stat -c %s "$work/layer.tar.gz")"
  mv "$work/layer.tar.gz" "$work/blobs/sha256/$layer_digest"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"firedrill build.sh"}]}' \
    "$config_json" "$diff_id" >"$work/config.json"
  local cfg_digest cfg_size
  cfg_digest="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
  cfg_size="$(stat -c %s "$work/config.json")"
  mv "$work/config.json" "$work/blobs/sha256/$cfg_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$cfg_digest" "$cfg_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
  local man_digest man_size
  man_digest="$(sha256sum "$work/manifest.json" | cut -d' ' -f1)"
  man_size="$(stat -c %s "$work/manifest.json")"
  mv "$work/manifest.json" "$work/blobs/sha256/$man_digest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$man_digest" "$man_size" "$ref" "$ref" >"$work/index.json"
  tar -C "$work" -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

# A rootfs holding one static binary (pause, coredns), plus /etc basics.
single_binary_image() {
  local name="$1" ref="$2" binary="$3" config_json="$4"
  local key
  key="$(key_of "$BIN/$binary" <(printf '%s %s' "$ref" "$config_json"))"
  if stamp_ok "img-$name" "$key" && [[ -f "$IMAGES/$name.tar" ]]; then
    log "image $ref: cached"
    return 0
  fi
  local root
  root="$(mktemp -d "$IMAGES/.root.XXXXXX")"
  mkdir -p "$root/etc" "$root/tmp"
  chmod 1777 "$root/tmp"
  install -m 0755 "$BIN/$binary" "$root/$binary"
  printf 'root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/:/nonexistent\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  oci_archive "$ref" "$root" "$config_json" "$IMAGES/$name.tar"
  rm -rf "$root"
  stamp_set "img-$name" "$key"
  log "image $ref: built ($IMAGES/$name.tar)"
}

# Debian bookworm minbase plus the few tools pods in tests need (a shell, coreutils, python3
# for tiny HTTP servers/clients, curl, procps, iproute2, netcat). Built with debootstrap from
# deb.debian.org (or $FIREDRILL_DEBIAN_MIRROR).
debian_image() {
  local key
  key="$(key_of <(printf 'debian %s minbase v3 python3 curl procps iproute2 netcat-openbsd' "$DEBIAN_SUITE"))"
  if stamp_ok img-debian "$key" && [[ -f "$IMAGES/debian.tar" ]]; then
    log "image $BASE_IMAGE: cached"
    return 0
  fi
  command -v debootstrap >/dev/null || die "debootstrap missing: apt-get install -y debootstrap"
  local root="$IMAGES/.debian-rootfs"
  rm -rf "$root"
  local mirror="${FIREDRILL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  log "image $BASE_IMAGE: debootstrap --variant=minbase $DEBIAN_SUITE (about 1 min) ... log: $K8S_HOME/build-debian.log"
  local t0=$SECONDS
  if ! debootstrap --variant=minbase --include=python3,curl,procps,iproute2,netcat-openbsd,ca-certificates \
    "$DEBIAN_SUITE" "$root" "$mirror" >"$K8S_HOME/build-debian.log" 2>&1; then
    tail -20 "$K8S_HOME/build-debian.log" >&2
    die "debootstrap failed (log $K8S_HOME/build-debian.log)"
  fi
  local m
  for m in proc sys dev/pts dev; do
    mountpoint -q "$root/$m" && umount -l "$root/$m"
  done
  rm -rf "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/lib/apt/lists/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/dev/*
  oci_archive "$BASE_IMAGE" "$root" \
    '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/bash"],"WorkingDir":"/"}' \
    "$IMAGES/debian.tar"
  rm -rf "$root"
  stamp_set img-debian "$key"
  log "image $BASE_IMAGE: built in $((SECONDS - t0))s"
}

build_images() {
  single_binary_image pause "$PAUSE_IMAGE" pause '{"Entrypoint":["/pause"],"User":"65534:65534"}'
  single_binary_image coredns "$COREDNS_IMAGE" coredns '{"Entrypoint":["/coredns"],"ExposedPorts":{"53/udp":{},"53/tcp":{}}}'
  debian_image
}

# kind/build.sh sources this file for its image helpers; only a direct run builds.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0
case "${1:-all}" in
  binaries) build_binaries ;;
  images) build_images ;;
  debian) mkdir -p "$IMAGES"; debian_image ;;
  all) build_binaries; build_images ;;
  *) die "usage: build.sh [all|binaries|images]" ;;
esac
