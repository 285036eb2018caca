# shellcheck shell=bash disable=SC2034
# Settings for kind on a machine without a container registry (sourced by the scripts here).
# The node image is assembled locally (build.sh) and run by a private dockerd whose default
# runtime is runc-wrapper.sh; everything is cached under $KIND_HOME, stamped by input hash.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

KIND_VERSION=0.33.0                # sigs.k8s.io/kind (go install)
CRICTL_VERSION=1.34.0              # sigs.k8s.io/cri-tools
LOCAL_PATH_VERSION=0.0.30          # github.com/rancher/local-path-provisioner
KIND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KIND_DIR/../../.." && pwd)"
KIND_HOME="$CACHE_ROOT/kind-v$KIND_VERSION-k8s-v$K8S_VERSION"
KIND_BIN="$KIND_HOME/bin"
STAMPS="$KIND_HOME/stamps"         # (overrides ../lib.sh: our stamps live with our parts)
KIND_LOGS="$KIND_HOME/logs"
KIND_CLUSTER=firedrill
KIND_CONTEXT="kind-$KIND_CLUSTER"
NODE_CONTAINER="$KIND_CLUSTER-control-plane"
NODE_IMAGE="${FIREDRILL_KIND_IMAGE:-firedrill.local/kind-node:v$K8S_VERSION}"

# The private Docker engine: same socket as fixture-images.sh uses, so the fixture build runs
# on it while it is up; its data root (image layers, the node image) survives `down`.
DOCKER_RUN=/run/firedrill-docker
DOCKER_DATA="$CACHE_ROOT/docker"
export DOCKER_HOST="unix://$DOCKER_RUN/docker.sock"
export PATH="$KIND_BIN:$PATH"

kind_exists() { kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; }
