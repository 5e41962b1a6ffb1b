#!/usr/bin/env bash
# render-config.sh --grpc HOST:PORT [--http HOST:PORT] --data-dir DIR [--require-auth] [IN] > OUT
#
# Writes deploy/rapportd.yaml (or IN) with the settings that differ between
# deployments changed in place: grpc.listen, http.listen (the commented-out
# example is turned on; left off without --http), data_dir and, with
# --require-auth, auth.required (API keys even on loopback, docs/security.md).
# Every other line, comments included, is kept, so the result still documents
# every key. install.sh (systemd) and the Dockerfile use it; check the result
# with `rapportd --check-config --config OUT`.
set -euo pipefail

usage() {
  echo "usage: $0 --grpc HOST:PORT [--http HOST:PORT] --data-dir DIR [--require-auth] [deploy/rapportd.yaml]" >&2
  exit 2
}

grpc="" http="" data_dir="" require_auth=""
input="$(dirname "$0")/rapportd.yaml"
while [ $# -gt 0 ]; do
  case "$1" in
    --grpc) [ $# -ge 2 ] || usage; grpc="$2"; shift 2 ;;
    --grpc=*) grpc="${1#*=}"; shift ;;
    --http) [ $# -ge 2 ] || usage; http="$2"; shift 2 ;;
    --http=*) http="${1#*=}"; shift ;;
    --data-dir) [ $# -ge 2 ] || usage; data_dir="$2"; shift 2 ;;
    --data-dir=*) data_dir="${1#*=}"; shift ;;
    --require-auth) require_auth=1; shift ;;
    -h|--help) usage ;;
    -*) echo "render-config.sh: unknown option $1" >&2; usage ;;
    *) input="$1"; shift ;;
  esac
done
[ -n "$grpc" ] && [ -n "$data_dir" ] || usage
for value in "$grpc" "$http" "$data_dir"; do
  case "$value" in
    *'"'*|*'\'*|*$'\n'*) echo "render-config.sh: '$value' may not contain quotes, backslashes or newlines" >&2; exit 2 ;;
  esac
done
[ -r "$input" ] || { echo "render-config.sh: cannot read $input" >&2; exit 1; }

# awk rewrites the lines and reports (on stderr, as "done:KEY") each change it
# made, so that a reshaped rapportd.yaml fails here instead of being shipped
# with the defaults.
tmp="$(mktemp)"
trap 'rm -f "$tmp" "$tmp.log"' EXIT
awk -v grpc="$grpc" -v http="$http" -v data_dir="$data_dir" -v require_auth="$require_auth" '
  NR == 1 {
    print "# Rendered from deploy/rapportd.yaml by deploy/render-config.sh: grpc.listen,"
    print "# http.listen and data_dir are set for this deployment; everything else is"
    print "# as shipped."
  }
  /^grpc:[[:space:]]*$/ { in_grpc = 1; print; next }
  in_grpc && /^  listen:/ {
    sub(/listen: "[^"]*"|listen: [^ #]+/, "listen: \"" grpc "\"")
    print "done:grpc" > "/dev/stderr"
    in_grpc = 0; print; next
  }
  /^[^ ]/ { in_grpc = 0; in_auth = 0 }
  /^auth:[[:space:]]*$/ { in_auth = 1; print; next }
  in_auth && require_auth != "" && /^  required:/ {
    sub(/required: [^ #]+/, "required: true")
    print "done:auth" > "/dev/stderr"
    in_auth = 0; print; next
  }
  /^data_dir:/ {
    sub(/^data_dir: ("[^"]*"|[^ #]+)/, "data_dir: \"" data_dir "\"")
    print "done:data_dir" > "/dev/stderr"
    print; next
  }
  /^# http:[[:space:]]*$/ && http != "" { pending_http = 1; print "http:"; next }
  pending_http && /^#   listen:/ {
    print "  listen: \"" http "\""
    print "done:http" > "/dev/stderr"
    pending_http = 0; next
  }
  { pending_http = 0; print }
' "$input" >"$tmp" 2>"$tmp.log"

expect=(grpc data_dir)
[ -n "$http" ] && expect+=(http)
[ -n "$require_auth" ] && expect+=(auth)
for key in "${expect[@]}"; do
  count="$(grep -c "^done:$key\$" "$tmp.log" || true)"
  if [ "$count" != 1 ]; then
    echo "render-config.sh: $input: expected one '$key' setting to change, changed $count" >&2
    echo "  (it looks for 'grpc:' then '  listen: ...', 'data_dir: ...', '# http:' then '#   listen: ...', and 'auth:' then '  required: ...')" >&2
    exit 1
  fi
done
cat "$tmp"
