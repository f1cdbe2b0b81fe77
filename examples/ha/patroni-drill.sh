#!/usr/bin/env bash
# Database failover drill with a real Patroni-managed PostgreSQL pair (docs/ha.md, "Database
# failover"). Brings up, on loopback under a temp dir:
#   - a single-node etcd (Debian's etcd-server) as Patroni's DCS,
#   - two PostgreSQL 15 nodes managed by Patroni (Debian's patroni), synchronous replication,
#   - one Handoff control plane on `--store postgres://…pg1,…pg2/handoff?target_session_attrs=read-write`,
#     restarted by a supervisor loop whenever it exits 75 (as systemd's Restart= would),
#   - matchmakers allocating through handoff/client (examples/ha/drill-load.ts),
# then, during the allocations, (1) a planned `patronictl switchover` and (2) a `kill -9` of the
# new primary's Patroni and postmaster (Patroni on the survivor decides and promotes), and reports
# allocations answered / failed and, for each fault, the gap until the next allocation succeeded.
# Everything is removed on exit. Not part of `npm test`: needs root (PostgreSQL and Patroni run
# as the `postgres` user), `apt-get install -y patroni etcd-server postgresql-15`, and ~2 minutes.
#
#   sudo examples/ha/patroni-drill.sh          # PORT_BASE=31000 by default; LOAD_SECONDS=20 per phase
set -euo pipefail

root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="${PORT_BASE:-31000}"
phase_s="${LOAD_SECONDS:-20}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
etcd_client=$((base + 1)) etcd_peer=$((base + 2))
pg1=$((base + 11)) pg2=$((base + 12)) rest1=$((base + 21)) rest2=$((base + 22))
api=$((base + 31)) sdk=$((base + 32))

for tool in etcd patroni patronictl setpriv curl "$pg_bin/postgres"; do
  command -v "$tool" >/dev/null || { echo "patroni-drill: $tool not found (apt-get install -y patroni etcd-server postgresql-15)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "patroni-drill: run as root (PostgreSQL and Patroni run as the postgres user)" >&2; exit 2; }

tmp="$(mktemp -d /tmp/handoff-patroni-drill.XXXXXX)"
chown postgres: "$tmp"
pids=()
cleanup() {
  set +e
  [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
  [ -n "${super_pid:-}" ] && kill "$super_pid" 2>/dev/null
  pkill -TERM -P "${super_pid:-0}" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Postmasters Patroni started (killed with their Patroni above, or orphaned by kill -9).
  for d in "$tmp"/pg1 "$tmp"/pg2; do
    [ -f "$d/postmaster.pid" ] && kill -9 "$(head -1 "$d/postmaster.pid")" 2>/dev/null
  done
  if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$tmp"/*.log "$tmp"/*.json "$KEEP_LOGS"/ 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
now_ms() { date +%s%3N; }
log() { printf '%s drill: %s\n' "$(date +%T.%3N)" "$*"; }

log "temp dir $tmp; etcd :$etcd_client, PostgreSQL :$pg1 :$pg2, Patroni REST :$rest1 :$rest2, Handoff :$api"
etcd --name drill --data-dir "$tmp/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "drill=http://127.0.0.1:$etcd_peer" >"$tmp/etcd.log" 2>&1 &
pids+=($!)

node_config() { # name pgport restport
  cat <<YAML
scope: handoff-drill
name: $1
restapi: { listen: "127.0.0.1:$3", connect_address: "127.0.0.1:$3" }
etcd3: { hosts: "127.0.0.1:$etcd_client" }
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters: { wal_level: replica, hot_standby: "on", wal_log_hints: "on", max_wal_senders: 5, max_replication_slots: 5 }
  initdb: [ { encoding: UTF8 }, { auth: trust } ]
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: "127.0.0.1:$2"
  connect_address: "127.0.0.1:$2"
  data_dir: $tmp/$1
  bin_dir: $pg_bin
  pgpass: $tmp/pgpass-$1
  authentication:
    superuser: { username: postgres, password: drill }
    replication: { username: replicator, password: drill }
    rewind: { username: rewinder, password: drill }
  parameters: { unix_socket_directories: "$tmp" }
YAML
}
start_patroni() { # name pgport restport
  node_config "$@" >"$tmp/$1.yml"
  chown postgres: "$tmp/$1.yml"
  # setpriv execs patroni itself (runuser would fork), so $! is Patroni's pid for the kill -9 below.
  setpriv --reuid=postgres --regid=postgres --init-groups patroni "$tmp/$1.yml" >>"$tmp/patroni-$1.log" 2>&1 &
  pids+=($!)
  eval "patroni_$1=$!"
}
start_patroni pg1 "$pg1" "$rest1"
sleep 3 # pg1 bootstraps the cluster; pg2 then clones it (pg_basebackup)
start_patroni pg2 "$pg2" "$rest2"
ctl() { patronictl -c "$tmp/pg1.yml" "$@"; }

role_of() { curl -s "http://127.0.0.1:$1/patroni" | sed -n 's/.*"role": *"\([a-z_]*\)".*/\1/p'; }
primary_rest() { for r in "$rest1" "$rest2"; do [ "$(role_of "$r")" = primary ] && { echo "$r"; return; }; [ "$(role_of "$r")" = master ] && { echo "$r"; return; }; done; }
wait_for() { # seconds what command...
  local until=$(( $(date +%s) + $1 )) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$until" ] || { log "timed out waiting for $what"; ctl list 2>/dev/null; tail -20 "$tmp"/patroni-*.log "$tmp"/etcd.log "$tmp"/handoff.log 2>/dev/null; exit 1; }
    sleep 0.5
  done
}
sync_standby() { ctl list -f json 2>/dev/null | grep -q '"Role": "Sync Standby"'; }
wait_for 120 "a primary and a synchronous standby" bash -c "$(declare -f role_of ctl sync_standby); tmp=$tmp rest1=$rest1; sync_standby"
log "Patroni cluster up:"; ctl list

psql_primary() { local r; r="$(primary_rest)"; local port=$pg1; [ "$r" = "$rest2" ] && port=$pg2; "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc "$1"; }
psql_primary "CREATE DATABASE handoff"
store="postgres://postgres@127.0.0.1:$pg1,127.0.0.1:$pg2/handoff?target_session_attrs=read-write"

# The control plane, under a supervisor that restarts it after exit 75 (failed commit, lost primary).
(
  while true; do
    # Real game-server processes (test/fixtures/sdk-server.mjs): they outlive a control-plane
    # restart and are re-adopted, as in production; simulated ones would die with the process.
    "$root/bin/handoff" server --store "$store" --replica-id drill-cp --lease-ttl 3 --data-dir "$tmp/cp" \
      --port "$api" --sdk-port "$sdk" --port-range "$((base + 100))-$((base + 199))" >>"$tmp/handoff.log" 2>&1 && break
    status=$?
    echo "supervisor: handoff exited $status at $(date +%T.%3N); restarting" >>"$tmp/handoff.log"
    [ "$status" = 75 ] || [ "$status" = 1 ] || break
    sleep 0.3
  done
) &
super_pid=$!
pids+=("$super_pid")
wait_for 120 "Handoff leading on the Patroni primary" curl -sf "http://127.0.0.1:$api/v1/cluster" -o /dev/null
HANDOFF_URL="http://127.0.0.1:$api" "$root/bin/handoff" apply -f - <<YAML >/dev/null
builds:
  - { id: v1, version: 1.0.0, launch: { executable: $(command -v node), args: [$root/test/fixtures/sdk-server.mjs], workingDir: $root }, sessionsPerServer: 5000 }
fleets:
  - { name: arena, build: v1, capacity: { minServers: 4, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 3600 } }
YAML
wait_for 60 "Ready servers" bash -c "curl -s http://127.0.0.1:$api/v1/fleets/arena | grep -q '\"Ready\":[1-9]'"

node --import "$root/node_modules/tsx/dist/loader.mjs" "$root/examples/ha/drill-load.ts" --urls "http://127.0.0.1:$api" --workers 4 >"$tmp/load.json" 2>"$tmp/load.err" &
load_pid=$!
log "allocating (4 matchmakers) for ${phase_s} s before each fault"
sleep "$phase_s"

old="$(primary_rest)"; old_name=pg1; [ "$old" = "$rest2" ] && old_name=pg2
new_name=pg2; [ "$old_name" = pg2 ] && new_name=pg1
log "fault 1: patronictl switchover $old_name -> $new_name (planned)"
fault1=$(now_ms)
ctl switchover --leader "$old_name" --candidate "$new_name" --force >"$tmp/switchover.log" 2>&1 || { cat "$tmp/switchover.log"; exit 1; }
wait_for 120 "$new_name primary" bash -c "curl -s http://127.0.0.1:$([ "$new_name" = pg1 ] && echo "$rest1" || echo "$rest2")/patroni | grep -q '\"role\": \"\(primary\|master\)\"'"
promoted1=$(now_ms)
log "fault 1: $new_name is primary after $((promoted1 - fault1)) ms; allocating for ${phase_s} s"
wait_for 120 "a synchronous standby again" bash -c "$(declare -f ctl sync_standby); tmp=$tmp; sync_standby"
sleep "$phase_s"

victim="$new_name"; victim_dir="$tmp/$victim"
log "fault 2: kill -9 of $victim's Patroni and postmaster (unplanned; Patroni on the survivor promotes after the leader key's TTL)"
fault2=$(now_ms)
eval "kill -9 \$patroni_$victim"
kill -9 "$(head -1 "$victim_dir/postmaster.pid")"
survivor_rest=$([ "$victim" = pg1 ] && echo "$rest2" || echo "$rest1")
wait_for 120 "the survivor primary" bash -c "curl -s http://127.0.0.1:$survivor_rest/patroni | grep -q '\"role\": \"\(primary\|master\)\"'"
promoted2=$(now_ms)
log "fault 2: survivor primary after $((promoted2 - fault2)) ms; allocating for ${phase_s} s"
sleep "$phase_s"

kill -TERM "$load_pid"
wait "$load_pid" || true
load_pid=
node - "$tmp/load.json" "$fault1" "$fault2" <<'JS'
const [file, f1, f2] = process.argv.slice(2);
const r = JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
const s = r.successes.sort((a, b) => a - b);
// The longest pause in successful allocations that ended after the fault was injected and
// before the next one (it may have begun a moment before the fault: the last success before it):
// how long matchmakers saw no allocation succeed because of it.
const gap = (from, to) => {
  let longest = 0, at = null;
  for (let i = 1; i < s.length; i++) {
    if (s[i] <= from || s[i] > to) continue;
    if (s[i] - s[i - 1] > longest) { longest = s[i] - s[i - 1]; at = s[i - 1] - from; }
  }
  return { longestPauseMs: longest, pauseStartedMsAfterFault: at };
};
let longest = 0; for (let i = 1; i < s.length; i++) longest = Math.max(longest, s[i] - s[i - 1]);
console.log(JSON.stringify({ allocationsOk: r.ok, allocationsFailed: r.failed, successRate: r.ok / Math.max(1, r.ok + r.failed), switchover: gap(Number(f1), Number(f2)), kill9: gap(Number(f2), Infinity), longestGapMs: longest, failures: r.failures }, null, 2));
JS
log "control-plane restarts: $(grep -c 'supervisor: handoff exited' "$tmp/handoff.log" || true)"
grep -E 'postgres: using|exited|lost|epoch' "$tmp/handoff.log" | tail -12 || true
