#!/usr/bin/env bash
# Starts the self-built single-node cluster as plain processes (no systemd):
# containerd -> etcd -> kube-apiserver -> controller-manager + scheduler -> kubelet ->
# kube-proxy, the in-cluster add-ons (CoreDNS, RBAC) and kube-router (NetworkPolicy).
# Idempotent: whatever already runs is kept; only what is missing is started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || die "must run as root (containerd, kubelet, iptables)"

T0=$SECONDS
PKI="$STATE/pki"
CONF="$STATE/conf"
mkdir -p "$STATE" "$PKI" "$CONF" "$LOG_DIR" "$RUN_DIR" "$CONTAINERD_ROOT" "$KUBELET_ROOT"

# ---------------------------------------------------------------- host prerequisites
ensure_host_packages() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v nft >/dev/null || missing+=(nftables)
  command -v ipset >/dev/null || missing+=(ipset)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v jq >/dev/null || missing+=(jq)
  command -v conntrack >/dev/null || missing+=(conntrack)
  if ((${#missing[@]})); then install_packages "$LOG_DIR/apt.log" "${missing[@]}"; fi
}

setup_kernel() {
  modprobe br_netfilter 2>/dev/null || true
  modprobe overlay 2>/dev/null || true
  modprobe nfnetlink_queue 2>/dev/null || true
  set_sysctl net.ipv4.ip_forward 1 || die "cannot set net.ipv4.ip_forward"
  set_sysctl net.bridge.bridge-nf-call-iptables 1 || log "warning: br_netfilter sysctl missing"
  set_sysctl net.bridge.bridge-nf-call-ip6tables 1 || true
  set_sysctl net.ipv4.conf.all.route_localnet 1 || die "cannot set net.ipv4.conf.all.route_localnet"
  # The pod bridge exists before any pod so the node IP (its gateway address) is stable.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "${POD_CIDR%.*}.1/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Pod traffic crosses the FORWARD chain (br_netfilter). A Docker engine started on the same
  # host sets its policy to DROP; accept pod traffic at the end of the chain, after the
  # NetworkPolicy (kube-router) and kube-proxy rules have had their say.
  iptables -w -N "$FORWARD_CHAIN" 2>/dev/null || true
  iptables -w -F "$FORWARD_CHAIN"
  iptables -w -A "$FORWARD_CHAIN" -s "$POD_CIDR" -j ACCEPT
  iptables -w -A "$FORWARD_CHAIN" -d "$POD_CIDR" -j ACCEPT
  iptables -w -C FORWARD -j "$FORWARD_CHAIN" 2>/dev/null || iptables -w -A FORWARD -j "$FORWARD_CHAIN"
}
NODE_IP="${POD_CIDR%.*}.1"

# write_if_changed FILE: stdin -> FILE, leaving FILE untouched when the content is the same
# (kube-proxy exits when its config file changes under it).
write_if_changed() {
  local tmp="$1.new"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# ---------------------------------------------------------------- processes
pid_of() { [[ -f "$RUN_DIR/$1.pid" ]] && cat "$RUN_DIR/$1.pid"; }
alive() {
  local pid
  pid="$(pid_of "$1" 2>/dev/null)" || return 1
  [[ -n "$pid" && -d "/proc/$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}
# start NAME MATCH CMD...: start CMD detached (own session), unless NAME already runs.
start() {
  local name="$1" match="$2"
  shift 2
  if alive "$name" "$match"; then
    log "$name: already running (pid $(pid_of "$name"))"
    return 0
  fi
  log "$name: starting (log $LOG_DIR/$name.log)"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}
# wait_for WHAT SECONDS CMD...: run CMD about once a second until it succeeds, for at most
# SECONDS of wall time.
wait_for() {
  local what="$1" limit="$2"
  shift 2
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "$what not ready after ${limit}s (logs in $LOG_DIR)"
}

# ---------------------------------------------------------------- PKI and kubeconfigs
gen_ca() {
  [[ -f "$PKI/ca.crt" ]] && return 0
  log "generating cluster CA and certificates ($PKI)"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -days 3650 -subj "/CN=firedrill-ca" -out "$PKI/ca.crt" 2>/dev/null
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}
# gen_cert NAME CN ORG SANS(comma list or empty) USAGE(client|server|both)
gen_cert() {
  local name="$1" cn="$2" org="$3" sans="$4" usage="$5"
  [[ -f "$PKI/$name.crt" ]] && return 0
  local ext="$PKI/$name.ext" eku
  case "$usage" in
    client) eku=clientAuth ;;
    server) eku=serverAuth ;;
    *) eku="serverAuth,clientAuth" ;;
  esac
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$sans" ]] && echo "subjectAltName=$sans"
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "/CN=$cn${org:+/O=$org}" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}
# kubeconfig FILE CERTNAME CONTEXT
kubeconfig() {
  local file="$1" cert="$2" ctx="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $ctx
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $ctx
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$cert.crt")
    client-key-data: $(base64 -w0 <"$PKI/$cert.key")
contexts:
- name: $ctx
  context:
    cluster: $ctx
    user: $ctx
current-context: $ctx
EOF
  chmod 600 "$file"
}
setup_pki() {
  gen_ca
  local host
  host="$(hostname)"
  gen_cert apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,IP:127.0.0.1,IP:$APISERVER_SERVICE_IP,IP:$NODE_IP" server
  gen_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" client
  gen_cert admin firedrill-admin system:masters "" client
  gen_cert controller-manager system:kube-controller-manager "" "" client
  gen_cert scheduler system:kube-scheduler "" "" client
  gen_cert kubelet "system:node:$NODE_NAME" system:nodes "" client
  gen_cert kubelet-serving "$NODE_NAME" "" "DNS:$NODE_NAME,DNS:$host,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP" server
  gen_cert kube-proxy system:kube-proxy "" "" client
  gen_cert kube-router kube-router "" "" client
  kubeconfig "$CONF/controller-manager.kubeconfig" controller-manager default
  kubeconfig "$CONF/scheduler.kubeconfig" scheduler default
  kubeconfig "$CONF/kubelet.kubeconfig" kubelet default
  kubeconfig "$CONF/kube-proxy.kubeconfig" kube-proxy default
  kubeconfig "$CONF/kube-router.kubeconfig" kube-router default
  kubeconfig "$KUBECONFIG_PATH.tmp" admin "$CONTEXT"
  mv "$KUBECONFIG_PATH.tmp" "$KUBECONFIG_PATH"
}

# ---------------------------------------------------------------- containerd
start_containerd() {
  mkdir -p "$STATE/cni/net.d" "$RUN_DIR/cni-ipam"
  write_if_changed "$STATE/cni/net.d/10-firedrill.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "firedrill",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN_DIR/cni-ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  write_if_changed "$STATE/containerd.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT/root"
state = "$RUN_DIR/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$RUN_DIR/containerd.sock"

[ttrpc]
  address = "$RUN_DIR/containerd.sock.ttrpc"

[debug]
  address = "$RUN_DIR/containerd-debug.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CONTAINERD_ROOT/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  max_container_log_line_size = 16384
  # No CAP_SYS_RESOURCE on some VMs: lowering oom_score_adj (the kubelet asks -998 for pod
  # sandboxes, -997 for Guaranteed pods) fails there, so clamp it to containerd's own score.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$RUN_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
    max_conf_num = 1
EOF
  start containerd "$STATE/containerd.toml" containerd --config "$STATE/containerd.toml"
  wait_for containerd 30 ctr_k8s version
}

import_images() {
  bash "$CLUSTER_DIR/build.sh" images
  local name ref present
  present="$(ctr_k8s images ls -q)"
  for name in pause coredns debian; do
    case "$name" in
      pause) ref="$PAUSE_IMAGE" ;;
      coredns) ref="$COREDNS_IMAGE" ;;
      debian) ref="$BASE_IMAGE" ;;
    esac
    local key
    key="$(sha256sum "$IMAGES/$name.tar" | cut -c1-16)"
    if grep -qxF "$ref" <<<"$present" && [[ "$(cat "$CONTAINERD_ROOT/imported-$name" 2>/dev/null)" == "$key" ]]; then
      continue
    fi
    log "importing image $ref into containerd"
    ctr_k8s images import --index-name "$ref" "$IMAGES/$name.tar" >/dev/null
    echo "$key" >"$CONTAINERD_ROOT/imported-$name"
  done
}

# ---------------------------------------------------------------- control plane
start_etcd() {
  mkdir -p "$STATE/etcd"
  start etcd "$BIN/etcd" "$BIN/etcd" --name firedrill --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "firedrill=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))" \
    --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$((ETCD_PORT + 2))/health"
}

start_apiserver() {
  start kube-apiserver "$BIN/kube-apiserver" "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 0.0.0.0 --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
    --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range 30000-32767 \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false --event-ttl 2h --v=1
  wait_for kube-apiserver 90 kctl get --raw /readyz
}

start_controllers() {
  start kube-controller-manager "$BIN/kube-controller-manager" "$BIN/kube-controller-manager" \
    --kubeconfig "$CONF/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$CONF/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$CONF/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers '*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller' --v=1
  start kube-scheduler "$BIN/kube-scheduler" "$BIN/kube-scheduler" \
    --kubeconfig "$CONF/scheduler.kubeconfig" \
    --authentication-kubeconfig "$CONF/scheduler.kubeconfig" \
    --authorization-kubeconfig "$CONF/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --v=1
}

# ---------------------------------------------------------------- node
start_kubelet() {
  write_if_changed "$CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$RUN_DIR/containerd.sock
imageServiceEndpoint: unix://$RUN_DIR/containerd.sock
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$PKI/ca.crt" }
authorization:
  mode: Webhook
tlsCertFile: "$PKI/kubelet-serving.crt"
tlsPrivateKeyFile: "$PKI/kubelet-serving.key"
clusterDNS: ["$DNS_SERVICE_IP"]
clusterDomain: $CLUSTER_DOMAIN
rotateCertificates: false
serverTLSBootstrap: false
registerNode: true
maxPods: 110
podPidsLimit: 4096
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "200Mi"
  nodefs.available: "2%"
  imagefs.available: "2%"
  nodefs.inodesFree: "2%"
evictionPressureTransitionPeriod: 30s
containerLogMaxSize: 10Mi
containerLogMaxFiles: 3
serializeImagePulls: false
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
EOF
  start kubelet "$BIN/kubelet" "$BIN/kubelet" --config "$CONF/kubelet.yaml" \
    --kubeconfig "$CONF/kubelet.kubeconfig" --root-dir "$KUBELET_ROOT" \
    --node-ip "$NODE_IP" --hostname-override "$NODE_NAME" --oom-score-adj=0 --v=1
  wait_for "kubelet healthz" 60 curl -fsS http://127.0.0.1:10248/healthz
  wait_for "node $NODE_NAME registered" 60 kctl get node "$NODE_NAME"
}

start_kube_proxy() {
  write_if_changed "$CONF/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: "$CONF/kube-proxy.kubeconfig"
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["127.0.0.0/8", "$NODE_IP/32"]
iptables:
  localhostNodePorts: true
  masqueradeAll: false
oomScoreAdj: 0
conntrack:
  maxPerCore: 0
EOF
  start kube-proxy "$BIN/kube-proxy" "$BIN/kube-proxy" --config "$CONF/kube-proxy.yaml" --v=1
  wait_for kube-proxy 30 curl -fsS http://127.0.0.1:10256/healthz
}

# NetworkPolicy enforcement: kube-router with only its firewall controller (iptables + ipset).
# kube-network-policies (nftables + NFQUEUE) cannot run on kernels without CONFIG_NFT_QUEUE,
# which is the case on this project's machines; kube-router needs only xt_set/ipset.
start_kube_router() {
  start kube-router "$BIN/kube-router" "$BIN/kube-router" --kubeconfig "$CONF/kube-router.kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --enable-ibgp=false --hostname-override "$NODE_NAME" --health-port 20244 \
    --service-cluster-ip-range "$SERVICE_CIDR" --iptables-sync-period 1m --v=1
  wait_for kube-router 30 curl -fsS http://127.0.0.1:20244/healthz
}

# ---------------------------------------------------------------- add-ons
apply_addons() {
  sed -e "s|__COREDNS_IMAGE__|$COREDNS_IMAGE|g" \
    -e "s|__DNS_SERVICE_IP__|$DNS_SERVICE_IP|g" -e "s|__CLUSTER_DOMAIN__|$CLUSTER_DOMAIN|g" \
    "$CLUSTER_DIR/addons.yaml" >"$CONF/addons.yaml"
  kctl apply -f "$CONF/addons.yaml" >"$LOG_DIR/addons.log" 2>&1 || {
    cat "$LOG_DIR/addons.log" >&2
    die "applying add-ons failed"
  }
}

node_ready() { [[ "$(kctl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]; }
rollout_done() { kctl -n kube-system rollout status "$1" --timeout=2s; }
default_sa() { kctl -n default get serviceaccount default; }

# A cluster whose processes were killed (session end, reboot, kill -9) leaves pods, mounts,
# the bridge, iptables rules and etcd data behind: clean all of that before starting afresh.
recover_unclean() {
  alive containerd "$STATE/containerd.toml" && return 0
  if compgen -G "$RUN_DIR/*.pid" >/dev/null || [[ -d "$STATE/etcd" ]] || ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "previous cluster was not stopped cleanly: cleaning up first (down.sh)"
    bash "$CLUSTER_DIR/down.sh"
    mkdir -p "$STATE" "$PKI" "$CONF" "$LOG_DIR" "$RUN_DIR" "$CONTAINERD_ROOT" "$KUBELET_ROOT"
  fi
}

# ---------------------------------------------------------------- main
ensure_host_packages
recover_unclean
if ! alive containerd "$STATE/containerd.toml"; then
  # A fresh start: keep the previous run's logs as *.log.1, start new ones.
  for f in "$LOG_DIR"/*.log; do [[ -f "$f" ]] && mv -f "$f" "$f.1"; done
fi
log "binaries: $BIN (k8s v$K8S_VERSION, etcd v$ETCD_VERSION, CoreDNS v$COREDNS_VERSION, kube-router v$KUBE_ROUTER_VERSION)"
bash "$CLUSTER_DIR/build.sh" binaries
setup_kernel
setup_pki
start_containerd
import_images
start_etcd
start_apiserver
start_controllers
start_kubelet
start_kube_proxy
apply_addons
start_kube_router
wait_for "node Ready" 90 node_ready
wait_for "default service account" 60 default_sa
wait_for "CoreDNS" 90 rollout_done deployment/coredns
log "cluster up in $((SECONDS - T0))s: Kubernetes v$K8S_VERSION, node $NODE_NAME ($NODE_IP)"
log "kubeconfig: $KUBECONFIG_PATH (context $CONTEXT)"
