#!/usr/bin/env bash
# Builds kind and a kind node image for Kubernetes $K8S_VERSION from what this machine can
# get (Go module proxy, Debian mirror), into $KIND_HOME. Each part is skipped when its stamp
# matches its inputs, so a warm machine only checks stamps.
#
#   kind     the kind CLI, kubeadm, crictl, local-path-provisioner (go build / go install)
#   rootfs   the node's Debian root (debootstrap: systemd, containerd, runc, CNI plugins, ...)
#   images   the images the node must hold (control plane as static binaries, CoreDNS, pause,
#            kube-proxy + kube-router on the node's Debian root, local-path-provisioner)
#   node     the node image $NODE_IMAGE in the private dockerd (needs dockerd.sh start)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../build.sh" # oci_archive, single_binary_image
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_IMAGES="$K8S_HOME/images" # pause, coredns, debian: built by ../build.sh images
IMAGES="$KIND_HOME/images"
ROOTFS="$KIND_HOME/rootfs"
KIND_MOD="$GOMODCACHE/sigs.k8s.io/kind@v$KIND_VERSION"
mkdir -p "$KIND_BIN" "$STAMPS" "$IMAGES" "$KIND_LOGS"

# ---------------------------------------------------------------- the kind CLI and node tools
# go_tool NAME KEY CMD...: run CMD (which writes $KIND_BIN/NAME) unless the stamp holds KEY.
go_tool() {
  local name=$1 key=$2
  shift 2
  if stamp_ok "bin-$name" "$key" && [[ -x "$KIND_BIN/$name" ]]; then
    log "$name: cached"
    return 0
  fi
  log "$name: building (log $KIND_LOGS/build-$name.log)"
  local t0=$SECONDS
  "$@" >"$KIND_LOGS/build-$name.log" 2>&1 || { tail -20 "$KIND_LOGS/build-$name.log" >&2; die "$name: build failed"; }
  stamp_set "bin-$name" "$key"
  log "$name: built in $((SECONDS - t0))s"
}
go_install() { GOBIN="$KIND_BIN" GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w" "$1"; }

# kubeadm lives in k8s.io/kubernetes like the other components, but the self-built cluster's
# wrapper module does not list its extra dependencies: build it from a copy (-mod=mod), so
# the self-built cluster's inputs (and stamps) stay untouched.
build_kubeadm() {
  local dir="$KIND_HOME/kubeadm-build" minor=${K8S_VERSION#*.} ld="-s -w" pkg
  minor=${minor%%.*}
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
  done
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$CLUSTER_DIR/k8s-build/go.mod" "$CLUSTER_DIR/k8s-build/go.sum" "$dir/"
  (cd "$dir" && GOFLAGS="-buildvcs=false -mod=mod" go build -trimpath -ldflags "$ld" \
    -o "$KIND_BIN/kubeadm" k8s.io/kubernetes/cmd/kubeadm)
}

build_tools() {
  command -v go >/dev/null || die "go is not installed"
  go_tool kind "$(key_of <(echo "kind $KIND_VERSION"))" go_install "sigs.k8s.io/kind@v$KIND_VERSION"
  go_tool crictl "$(key_of <(echo "crictl $CRICTL_VERSION"))" \
    go_install "sigs.k8s.io/cri-tools/cmd/crictl@v$CRICTL_VERSION"
  go_tool local-path-provisioner "$(key_of <(echo "local-path $LOCAL_PATH_VERSION"))" \
    go_install "github.com/rancher/local-path-provisioner@v$LOCAL_PATH_VERSION"
  go_tool kubeadm "$(key_of "$CLUSTER_DIR/k8s-build/go.mod" "$CLUSTER_DIR/k8s-build/go.sum" <(echo "kubeadm v1"))" \
    build_kubeadm
}

# ---------------------------------------------------------------- the node's root filesystem
# The packages of kind's base image (images/base/Dockerfile) that Debian has, plus containerd,
# runc and the CNI plugins, which kind builds from source.
NODE_PACKAGES=systemd,systemd-sysv,dbus,conntrack,iptables,nftables,ipset,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,fuse-overlayfs,jq,procps,ca-certificates,containerd,runc,containernetworking-plugins,socat,ebtables

build_rootfs() {
  local key
  key="$(key_of <(echo "$DEBIAN_SUITE $NODE_PACKAGES"))"
  if stamp_ok rootfs "$key" && [[ -d "$ROOTFS/etc" ]]; then
    log "node rootfs: cached"
    return 0
  fi
  command -v debootstrap >/dev/null || install_packages "$KIND_LOGS/apt.log" debootstrap
  log "node rootfs: debootstrap $DEBIAN_SUITE (a few minutes; log $KIND_LOGS/build-rootfs.log)"
  local t0=$SECONDS
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase --include="$NODE_PACKAGES" "$DEBIAN_SUITE" "$ROOTFS" \
    "${FIREDRILL_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$KIND_LOGS/build-rootfs.log" 2>&1 ||
    { tail -20 "$KIND_LOGS/build-rootfs.log" >&2; die "debootstrap failed"; }
  rm -rf "${ROOTFS:?}"/var/cache/apt/archives/*.deb "${ROOTFS:?}"/var/lib/apt/lists/*
  stamp_set rootfs "$key"
  log "node rootfs: built in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- images inside the node
PATH_ENV='"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/"]'
STORAGE_PROVISIONER_IMAGE=$(sed -n 's/^const storageProvisionerImage = "\(.*\)"/\1/p' "$KIND_MOD/pkg/build/nodeimage/const_storage.go" 2>/dev/null || true)
STORAGE_HELPER_IMAGE=$(sed -n 's/^const storageHelperImage = "\(.*\)"/\1/p' "$KIND_MOD/pkg/build/nodeimage/const_storage.go" 2>/dev/null || true)
TOOLS_IMAGE="firedrill.local/kind-node-tools:v$K8S_VERSION"

# kube-proxy (iptables) and kube-router (iptables + ipset) need those tools next to them:
# one image of the node's Debian root with both binaries serves the two.
tools_image() {
  local key
  key="$(key_of "$STAMPS/rootfs" "$BIN/kube-proxy" "$BIN/kube-router" <(echo "$TOOLS_IMAGE v1"))"
  if stamp_ok img-tools "$key" && [[ -f "$IMAGES/tools.tar" ]]; then
    log "image $TOOLS_IMAGE: cached"
    return 0
  fi
  local root="$IMAGES/.tools-rootfs"
  rm -rf "$root" && cp -a "$ROOTFS" "$root"
  install -m 0755 "$BIN/kube-proxy" "$BIN/kube-router" "$root/usr/local/bin/"
  oci_archive "$TOOLS_IMAGE" "$root" "{$PATH_ENV}" "$IMAGES/tools.tar"
  rm -rf "$root"
  stamp_set img-tools "$key"
  log "image $TOOLS_IMAGE: built"
}

build_images() {
  bash "$CLUSTER_DIR/build.sh" all # the self-built cluster's binaries and images (cached there)
  local name
  for name in kube-apiserver kube-controller-manager kube-scheduler; do
    single_binary_image "$name" "firedrill.local/$name:v$K8S_VERSION" "$name" "{$PATH_ENV}"
  done
  single_binary_image etcd "firedrill.local/etcd:v$ETCD_VERSION" etcd "{$PATH_ENV}"
  BIN="$KIND_BIN" single_binary_image local-path-provisioner \
    "firedrill.local/local-path-provisioner:v$LOCAL_PATH_VERSION" local-path-provisioner "{$PATH_ENV}"
  tools_image
}

# The tag each image must carry in the node: what kubeadm asks for, kind's containerd
# sandbox image, and the images of the storage manifest kind applies.
image_tags() { # prints "ARCHIVE TAG" lines
  local want
  while read -r want; do
    case "$want" in
      */kube-proxy:*) echo "$IMAGES/tools.tar $want" ;;
      */kube-*:*) local n=${want##*/}; echo "$IMAGES/${n%%:*}.tar $want" ;;
      */etcd:*) echo "$IMAGES/etcd.tar $want" ;;
      */coredns:*) echo "$K8S_IMAGES/coredns.tar $want" ;;
      */pause:*) echo "$K8S_IMAGES/pause.tar $want" ;;
      *) die "kubeadm asks for an image this build does not make: $want" ;;
    esac
  done < <("$KIND_BIN/kubeadm" config images list --kubernetes-version "v$K8S_VERSION")
  echo "$K8S_IMAGES/pause.tar $(sed -n 's/^ *sandbox_image = "\(.*\)"/\1/p' "$KIND_MOD/images/base/files/etc/containerd/config.toml")"
  echo "$IMAGES/local-path-provisioner.tar $STORAGE_PROVISIONER_IMAGE"
  echo "$K8S_IMAGES/debian.tar $STORAGE_HELPER_IMAGE"
  echo "$IMAGES/tools.tar $TOOLS_IMAGE"
}

# Imports the images into the node root's containerd content store with a throwaway
# containerd of the same version (unpacked later by the node's containerd, as kind does).
preload_images() {
  local root=$1 run
  run=$(mktemp -d /tmp/firedrill-kind-ctr.XXXXXX)
  printf 'version = 2\nroot = "%s"\nstate = "%s/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s/sock"\n' \
    "$root/var/lib/containerd" "$run" "$run" >"$run/config.toml"
  containerd --config "$run/config.toml" >"$KIND_LOGS/preload-containerd.log" 2>&1 &
  local pid=$! i
  trap 'kill $pid 2>/dev/null; rm -rf "$run"' EXIT
  for ((i = 0; i < 30; i++)); do ctr --address "$run/sock" version >/dev/null 2>&1 && break; sleep 0.5; done
  local c=(ctr --address "$run/sock" -n k8s.io) archive tag ref
  while read -r archive tag; do
    ref=$(tar -xOf "$archive" index.json | jq -r '.manifests[0].annotations["io.containerd.image.name"]')
    "${c[@]}" images ls -q | grep -qx "$ref" ||
      "${c[@]}" images import --no-unpack "$archive" >/dev/null
    [[ "$ref" == "$tag" ]] || "${c[@]}" images tag --force "$ref" "$tag" >/dev/null
    "${c[@]}" images label "$tag" io.cri-containerd.pinned=pinned >/dev/null
  done < <(image_tags)
  kill "$pid" && wait "$pid" 2>/dev/null || true
  rm -rf "$run"
  trap - EXIT
}

# ---------------------------------------------------------------- the node image
# kind's base image files (entrypoint, systemd units, containerd config) from its module, with
# the changes this machine needs; then the node image's own files, as `kind build node-image`
# would add them.
node_files() {
  local root=$1 f
  cp -a "$KIND_MOD/images/base/files/." "$root/"
  chmod -R u+w "$root/kind" "$root/etc" "$root/usr/local/bin" "$root/LICENSES"
  chmod 0755 "$root"/usr/local/bin/* "$root"/kind/bin/* "$root/kind" "$root/kind/bin"
  # this kernel cannot let runc lower oom_score_adj (no CAP_SYS_RESOURCE in the bounding set)
  sed -i 's/^\( *restrict_oom_score_adj = \).*/\1true/' "$root/etc/containerd/config.toml"
  for f in containerd containerd-shim-runc-v2 ctr; do ln -sf "/usr/bin/$f" "$root/usr/local/bin/$f"; done
  mkdir -p "$root/opt/cni/bin" "$root/etc/kubernetes/manifests" "$root/kind/manifests" "$root/etc/cni/net.d"
  for f in "$root"/usr/lib/cni/*; do ln -sf "/usr/lib/cni/${f##*/}" "$root/opt/cni/bin/${f##*/}"; done
  ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
    jq 'del(.process.rlimits)' >"$root/etc/containerd/cri-base.json"
  install -m 0755 "$BIN/kubelet" "$BIN/kubectl" "$KIND_BIN/kubeadm" "$root/usr/bin/"
  install -m 0755 "$KIND_BIN/crictl" "$root/usr/local/bin/"
  echo "v$K8S_VERSION" >"$root/kind/version"
  cp "$KIND_DIR/node/10-firedrill.conflist" "$root/etc/cni/net.d/"
  sed "s|__TOOLS_IMAGE__|$TOOLS_IMAGE|" "$KIND_DIR/node/default-cni.yaml" >"$root/kind/manifests/default-cni.yaml"
  # kind's own storage manifest (a Go string in its sources), image names unchanged
  sed -n '/^const defaultStorageManifest = `/,/^`$/p' "$KIND_MOD/pkg/build/nodeimage/const_storage.go" |
    sed '1d;$d' | sed -e "s|\` + storageProvisionerImage + \`|$STORAGE_PROVISIONER_IMAGE|" \
      -e "s|\` + storageHelperImage + \`|$STORAGE_HELPER_IMAGE|" >"$root/kind/manifests/default-storage.yaml"
  # systemd as kind's base image sets it up
  find "$root/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$root"/lib/systemd/system/multi-user.target.wants/* "$root"/etc/systemd/system/*.wants/* \
    "$root"/lib/systemd/system/local-fs.target.wants/* "$root"/lib/systemd/system/sockets.target.wants/*udev* \
    "$root"/lib/systemd/system/sockets.target.wants/*initctl* "$root"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$root/etc/systemd/journald.conf"
  systemctl --root="$root" enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  systemctl --root="$root" mask systemd-binfmt.service >/dev/null 2>&1
}

build_node() {
  local key
  key="$(key_of "$STAMPS"/{rootfs,bin-kubeadm,bin-crictl,img-tools,img-kube-apiserver,img-etcd,img-local-path-provisioner} \
    "$BIN/kubelet" "$K8S_IMAGES/pause.tar" "$K8S_IMAGES/coredns.tar" "$K8S_IMAGES/debian.tar" \
    "$KIND_DIR/build.sh" "$KIND_DIR"/node/*)"
  if stamp_ok node-image "$key" && docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
    log "node image $NODE_IMAGE: cached"
    return 0
  fi
  log "node image $NODE_IMAGE: assembling"
  local t0=$SECONDS root="$KIND_HOME/.node-rootfs"
  rm -rf "$root" && cp -a "$ROOTFS" "$root"
  node_files "$root"
  preload_images "$root"
  tar --numeric-owner --xattrs -C "$root" -c . | docker import - "$NODE_IMAGE-rootfs" >/dev/null
  rm -rf "$root"
  # the image settings of kind's base image (`docker import --change` has no STOPSIGNAL)
  printf 'FROM %s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\n' \
    "$NODE_IMAGE-rootfs" | docker build -q -t "$NODE_IMAGE" - >/dev/null
  docker rmi "$NODE_IMAGE-rootfs" >/dev/null
  docker image prune -f >/dev/null # the node image this one replaced (~1 GB)
  stamp_set node-image "$key"
  log "node image $NODE_IMAGE: built in $((SECONDS - t0))s"
}

case "${1:-all}" in
  kind) build_tools ;;
  rootfs) build_rootfs ;;
  images) build_tools; build_rootfs; build_images ;;
  node) build_node ;;
  all) build_tools; build_rootfs; build_images; build_node ;;
  *) die "usage: kind/build.sh [all|kind|rootfs|images|node]" ;;
esac
