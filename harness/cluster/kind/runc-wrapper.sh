#!/usr/bin/env bash
# runc for the private dockerd: this machine's capability bounding set lacks CAP_SYS_RESOURCE,
# so runc fails every privileged container ("unable to apply caps: operation not permitted").
# Drop that one capability from the container's config.json (create/run) and from the
# process spec of `runc exec --process FILE`, then run the real runc with the same arguments.
set -euo pipefail
drop_cap() { # drop_cap FILE JQ-PATH-TO-CAPABILITIES
  [[ -f "$1" ]] || return 0
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  jq "if $2 then $2 |= with_entries(.value |= map(select(. != \"CAP_SYS_RESOURCE\"))) else . end" \
    "$1" >"$tmp" && mv "$tmp" "$1"
}
bundle=. process="" cmd=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --bundle | -b) bundle=${args[i + 1]} ;;
    --bundle=*) bundle=${args[i]#--bundle=} ;;
    --process | -p) process=${args[i + 1]} ;;
    --process=*) process=${args[i]#--process=} ;;
    create | run | exec) [[ -z "$cmd" ]] && cmd=${args[i]} ;;
  esac
done
case "$cmd" in
  create | run) drop_cap "$bundle/config.json" .process.capabilities ;;
  exec) [[ -n "$process" ]] && drop_cap "$process" .capabilities ;;
esac
exec runc "$@"
