#!/usr/bin/env bash
# A real S3-compatible object store on 127.0.0.1 for the remote cache's tests
# and CI (see docs/remote.md): Debian's OpenStack Swift (proxy, account,
# container and object servers) with the s3api middleware and tempauth, a
# one-device ring on a directory, and memcached for the auth tokens.
# Everything lives in one directory (default $PIPELINE_S3_DIR, else
# /tmp/pipeline-s3): configs, rings, the device, logs and pid files. Nothing
# under /etc is used (a small launcher points Swift at DIR/swift.conf).
#
#   setup_s3.sh install       install the Debian packages when missing (root + apt only)
#   setup_s3.sh start [DIR]   install if needed, configure, start; wait until S3 answers
#   setup_s3.sh stop [DIR]    stop the servers by their pid files
#   setup_s3.sh status [DIR]  exit 0 if the server in DIR answers
#
# After `start`, DIR/env.sh exports what a client needs:
#   PIPELINE_S3_ENDPOINT=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=test:tester
#   AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
# (throw-away test credentials of this loopback server, not secrets).
#
# Exit codes: 0 ok; 10 Swift is not installed and cannot be (not root, no
# apt-get, or apt-get failed: the reason is printed); 1 anything else.
set -euo pipefail

PACKAGES=(swift-proxy swift-object swift-container swift-account memcached)
PROXY_PORT="${PIPELINE_S3_PORT:-16280}"
OBJECT_PORT=16200
CONTAINER_PORT=16201
ACCOUNT_PORT=16202
MEMCACHE_PORT=16211
PY=/usr/bin/python3

say() { echo "setup_s3: $*" >&2; }

missing() {
  local m=()
  [ -x "$PY" ] && "$PY" -c "import swift.common.middleware.s3api" 2>/dev/null || m+=("python3-swift")
  for c in swift-proxy-server swift-object-server swift-container-server swift-account-server swift-ring-builder; do
    command -v "$c" >/dev/null 2>&1 || m+=("$c")
  done
  command -v memcached >/dev/null 2>&1 || m+=("memcached")
  echo "${m[*]:-}"
}

do_install() {
  local miss
  miss="$(missing)"
  [ -z "$miss" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "Swift is not installed (missing: $miss) and this is not root, so it cannot be installed here"
    say "to enable: as root, apt-get install ${PACKAGES[*]}"
    return 10
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "Swift is not installed (missing: $miss) and there is no apt-get to install it"
    return 10
  fi
  say "installing ${PACKAGES[*]} with apt-get (missing: $miss)"
  local log
  log="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1; then
    say "apt-get update failed:"
    tail -n 5 "$log" >&2
    rm -f "$log"
    return 10
  fi
  # The maintainer scripts cannot start services here (no init); this server is started by hand.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}" >"$log" 2>&1; then
    say "apt-get install ${PACKAGES[*]} failed:"
    tail -n 5 "$log" >&2
    rm -f "$log"
    return 10
  fi
  rm -f "$log"
  miss="$(missing)"
  if [ -n "$miss" ]; then
    say "still missing after apt-get install: $miss"
    return 10
  fi
}

answers() {
  # Any HTTP answer from the S3 API (403 for an anonymous request) means the proxy is up.
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PROXY_PORT/" 2>/dev/null || true)"
  [ -n "$code" ] && [ "$code" != 000 ]
}

alive_pidfile() {
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

write_configs() {
  mkdir -p "$DIR/srv/d1" "$DIR/run" "$DIR/log" "$DIR/cache"
  cat >"$DIR/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = pipeline-test-suffix
swift_hash_path_prefix = pipeline-test-prefix

[storage-policy:0]
name = Policy-0
default = yes
EOF
  local common="[DEFAULT]
bind_ip = 127.0.0.1
devices = $DIR/srv
mount_check = false
swift_dir = $DIR
workers = 0
log_facility = LOG_LOCAL1
log_address = /nonexistent
"
  printf '%s' "$common" >"$DIR/object-server.conf"
  cat >>"$DIR/object-server.conf" <<EOF
bind_port = $OBJECT_PORT

[pipeline:main]
pipeline = object-server

[app:object-server]
use = egg:swift#object
EOF
  printf '%s' "$common" >"$DIR/container-server.conf"
  cat >>"$DIR/container-server.conf" <<EOF
bind_port = $CONTAINER_PORT

[pipeline:main]
pipeline = container-server

[app:container-server]
use = egg:swift#container
EOF
  printf '%s' "$common" >"$DIR/account-server.conf"
  cat >>"$DIR/account-server.conf" <<EOF
bind_port = $ACCOUNT_PORT

[pipeline:main]
pipeline = account-server

[app:account-server]
use = egg:swift#account
EOF
  cat >"$DIR/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
swift_dir = $DIR
workers = 0
log_address = /nonexistent

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck cache listing_formats s3api tempauth copy proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHE_PORT

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
dns_compliant_bucket_names = false

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:copy]
use = egg:swift#copy
EOF
  # Rings: one replica on one device.
  (
    cd "$DIR"
    for kind in object container account; do
      local port
      case $kind in
        object) port=$OBJECT_PORT ;;
        container) port=$CONTAINER_PORT ;;
        account) port=$ACCOUNT_PORT ;;
      esac
      rm -f "$kind.builder" "$kind.ring.gz"
      swift-ring-builder "$kind.builder" create 6 1 1 >/dev/null
      swift-ring-builder "$kind.builder" add "r1z1-127.0.0.1:$port/d1" 100 >/dev/null
      swift-ring-builder "$kind.builder" rebalance >/dev/null
    done
  ) >"$DIR/log/ring.log" 2>&1 || {
    say "building the rings failed:"
    tail -n 5 "$DIR/log/ring.log" >&2
    return 1
  }
  # Runs a Swift server with DIR/swift.conf instead of /etc/swift/swift.conf.
  cat >"$DIR/launch.py" <<'EOF'
import sys
import swift.common.utils as utils
utils.SWIFT_CONF_FILE = sys.argv[1]
from swift.common import constraints, storage_policy
constraints.reload_constraints()
storage_policy.reload_storage_policies()
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(sys.argv[3], sys.argv[2]))
EOF
}

write_env() {
  cat >"$DIR/env.sh" <<EOF
export PIPELINE_S3_ENDPOINT=http://127.0.0.1:$PROXY_PORT
export AWS_ACCESS_KEY_ID=test:tester
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
EOF
}

do_start() {
  write_env
  if answers; then
    say "an S3 server already answers on 127.0.0.1:$PROXY_PORT"
    return 0
  fi
  do_install
  write_configs
  if ! alive_pidfile "$DIR/run/memcached.pid"; then
    memcached -l 127.0.0.1 -p "$MEMCACHE_PORT" -U 0 -m 16 -u root -P "$DIR/run/memcached.pid" -d
  fi
  for s in account container object proxy; do
    if alive_pidfile "$DIR/run/$s.pid"; then continue; fi
    nohup "$PY" "$DIR/launch.py" "$DIR/swift.conf" "$s-server" "$DIR/$s-server.conf" \
      >"$DIR/log/$s.log" 2>&1 </dev/null &
    echo $! >"$DIR/run/$s.pid"
  done
  for _ in $(seq 1 100); do
    if answers; then
      say "Swift s3api answers on http://127.0.0.1:$PROXY_PORT (files in $DIR)"
      return 0
    fi
    sleep 0.2
  done
  say "Swift did not answer on 127.0.0.1:$PROXY_PORT within 20 s; proxy log:"
  tail -n 8 "$DIR/log/proxy.log" >&2 || true
  return 1
}

do_stop() {
  for s in proxy object container account memcached; do
    local f="$DIR/run/$s.pid"
    if alive_pidfile "$f"; then
      local pid
      pid="$(cat "$f")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

cmd="${1:-}"
DIR="$(mkdir -p "${2:-${PIPELINE_S3_DIR:-/tmp/pipeline-s3}}" && cd "${2:-${PIPELINE_S3_DIR:-/tmp/pipeline-s3}}" && pwd)"
case "$cmd" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) [ -s "$DIR/env.sh" ] && answers ;;
  *)
    echo "usage: setup_s3.sh install|start|stop|status [DIR]" >&2
    exit 1
    ;;
esac
