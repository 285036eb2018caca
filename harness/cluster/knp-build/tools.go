//go:build tools

// Package tools pins the kube-network-policies command this module builds.
package tools

import _ "sigs.k8s.io/kube-network-policies/cmd"
