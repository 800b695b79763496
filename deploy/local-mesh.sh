#!/usr/bin/env bash
# Runs the multi-site demo mesh on this machine, as real meshd processes on 127.0.0.1: the same
# nodes, sites, ports and seeds as the docker-compose demo (deploy/compose.yaml).
#
#   deploy/local-mesh.sh up     [--dir DIR] [--topology NAME] [--timeout SECS] [--brief] [--tls]
#                                  start every node, wait until all are ready
#                                  (--tls: make a PKI in DIR/pki with bin/meshctl pki init, TLS on every port, and
#                                   a security config DIR/security.json whose user "admin" signs in with its certificate)
#   deploy/local-mesh.sh status [--dir DIR] [--topology NAME]            every node's pid, liveness and /healthz (exit 0: all ready)
#   deploy/local-mesh.sh down   [--dir DIR] [--topology NAME] [--keep]   stop the nodes (TERM, then KILL), delete logs and data
#   deploy/local-mesh.sh plan   [--dir DIR] [--topology NAME]            print each node's meshd command (DeployTopologyTest reads it)
#
#   --topology full (default): two sites, cloud and onprem, three nodes each; every node dials the other site directly.
#   --topology hub: the same six nodes plus site "edge" (edge-1, edge-2), which dials onprem only
#                   (--gateways) and never carries events between other sites (--no-transit).
#
# State (pid files, logs, data) lives in DIR, default deploy/.local-mesh/: DIR/NODE/meshd.pid,
# DIR/NODE/meshd.log, DIR/NODE/data. `down` deletes the logs and data unless --keep is given.
# The JVM options of every node come from MESHD_JAVA_OPTS, as for bin/meshd.
#
# Where the topology comes from: deploy/topology, a plain whitespace table (node, site, host ports,
# seeds; optionally gateways and flags). It is the single written description of the mesh: this script
# reads it with `read`, which stays simple and exact, where parsing YAML in bash would not.
# `--topology NAME` adds the nodes of deploy/topology.NAME (same columns) to it. compose.yaml cannot
# include such a table, so it spells the same mesh out for Docker (the nodes of topology.NAME behind
# the compose profile NAME), and DeployTopologyTest (broker module) compares the two - through `plan`,
# i.e. through the very commands this script runs - and fails on any difference. Edit deploy/topology*
# and compose.yaml together.
#
# `up` remembers its topology in DIR/topology: status, down, plan and the next up use it unless
# --topology says otherwise (an `up` is refused while a node its topology does not have runs).
#
# Written for bash 3.2+ (no associative arrays), Linux or macOS; setsid and flock are used when present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
topology="$here/topology"
topology_name=full
topology_given=false
host=127.0.0.1
state="$here/.local-mesh"
start_timeout="${LOCAL_MESH_TIMEOUT:-120}"
stop_timeout=20
keep=false
brief=false
tls=false
marker=".weft-local-mesh"
topology_file="topology"
context="meshctl.servers"

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

die() {
  echo "local-mesh: $*" >&2
  exit 1
}

# ---- the topology -------------------------------------------------------------------------------

N_NAME=() N_SITE=() N_CLIENT=() N_MESH=() N_HTTP=() N_RAFT=() N_SEEDS=() N_GATEWAYS=() N_FLAGS=() N_FILE=()

known_topologies() {
  local f names=full
  for f in "$topology".*; do
    [ -f "$f" ] && names="$names, ${f##*/topology.}"
  done
  echo "$names"
}

# the nodes of topology $topology_name: those of deploy/topology, then for another name than "full"
# those of deploy/topology.NAME
load_topology() {
  case "$topology_name" in
    '' | *[!A-Za-z0-9_-]*) die "--topology: '$topology_name' is not a topology name (known: $(known_topologies))" ;;
  esac
  if [ "$topology_name" != full ] && [ ! -f "$topology.$topology_name" ]; then
    die "unknown topology '$topology_name' (no $topology.$topology_name; known: $(known_topologies))"
  fi
  load_table "$topology"
  if [ "$topology_name" != full ]; then
    load_table "$topology.$topology_name"
  fi
  [ "${#N_NAME[@]}" -gt 0 ] || die "$topology lists no nodes"
  check_topology
}

# appends the nodes of table $1
load_table() {
  local file=$1 name site client mesh http raft seeds gateways flags extra p
  [ -r "$file" ] || die "cannot read $file"
  while read -r name site client mesh http raft seeds gateways flags extra || [ -n "${name:-}" ]; do
    case "$name" in '' | '#'*) continue ;; esac
    if [ -z "$seeds" ] || [ -n "$extra" ]; then
      die "$file: bad line for '$name' (want: node site client mesh http raft seeds [gateways [flags]])"
    fi
    for p in "$client" "$mesh" "$http" "$raft"; do
      case "$p" in '' | *[!0-9]*) die "$file: node $name: '$p' is not a port number" ;; esac
    done
    if index_of "$name" >/dev/null; then
      die "$file: node $name is listed twice (also in ${N_FILE[$(index_of "$name")]})"
    fi
    N_NAME+=("$name") N_SITE+=("$site") N_CLIENT+=("$client") N_MESH+=("$mesh")
    N_HTTP+=("$http") N_RAFT+=("$raft") N_SEEDS+=("$seeds") N_GATEWAYS+=("${gateways:--}")
    N_FLAGS+=("${flags:--}") N_FILE+=("$file")
  done <"$file"
}

# NAMES := the comma-separated names of $1 ("-": none)
split_names() {
  NAMES=()
  if [ "$1" != "-" ]; then
    IFS=, read -r -a NAMES <<<"$1"
  fi
}

# The rules meshd sets for --gateways and --no-transit, checked before anything starts: a gateway is a
# node of another site; a site with gateways seeds, and is seeded from, its own site only; every node of
# a site has the same gateways and flags (they describe the site, not the node).
check_topology() {
  local i j k n f
  for i in "${!N_NAME[@]}"; do
    f="${N_FILE[i]}: node ${N_NAME[i]}"
    split_names "${N_SEEDS[i]}"
    for n in ${NAMES[@]+"${NAMES[@]}"}; do
      j="$(index_of "$n")" || die "$f seeds unknown node '$n'"
      if [ "${N_GATEWAYS[i]}" != "-" ] && [ "${N_SITE[j]}" != "${N_SITE[i]}" ]; then
        die "$f has gateways, so it seeds nodes of its own site only: '$n' is in site ${N_SITE[j]}"
      fi
      if [ "${N_GATEWAYS[j]}" != "-" ] && [ "${N_SITE[j]}" != "${N_SITE[i]}" ]; then
        die "$f seeds '$n', whose site ${N_SITE[j]} joins other sites only through its gateways"
      fi
    done
    split_names "${N_GATEWAYS[i]}"
    for n in ${NAMES[@]+"${NAMES[@]}"}; do
      j="$(index_of "$n")" || die "$f: gateway '$n' is no node of the topology"
      if [ "${N_SITE[j]}" = "${N_SITE[i]}" ]; then
        die "$f: gateway '$n' is in its own site ${N_SITE[i]} (gateways are nodes of neighbour sites)"
      fi
    done
    split_names "${N_FLAGS[i]}"
    for n in ${NAMES[@]+"${NAMES[@]}"}; do
      case "$n" in
        no-transit) ;;
        *) die "$f: unknown flag '$n' (known: no-transit; - for none)" ;;
      esac
    done
    for k in "${!N_NAME[@]}"; do
      if [ "$k" -lt "$i" ] && [ "${N_SITE[k]}" = "${N_SITE[i]}" ]; then
        if [ "${N_GATEWAYS[k]}" != "${N_GATEWAYS[i]}" ] || [ "${N_FLAGS[k]}" != "${N_FLAGS[i]}" ]; then
          die "$f: gateways '${N_GATEWAYS[i]}', flags '${N_FLAGS[i]}' differ from those of ${N_NAME[k]}" \
            "('${N_GATEWAYS[k]}', '${N_FLAGS[k]}'): every node of site ${N_SITE[i]} gets the same"
        fi
        break
      fi
    done
  done
}

# true when some node of the topology dials chosen gateways (sites then are not one membership group)
has_gateways() {
  local i
  for i in "${!N_NAME[@]}"; do
    [ "${N_GATEWAYS[i]}" = "-" ] || return 0
  done
  return 1
}

index_of() {
  local i
  [ "${#N_NAME[@]}" -gt 0 ] || return 1
  for i in "${!N_NAME[@]}"; do
    if [ "${N_NAME[i]}" = "$1" ]; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

# ARGS := the bin/meshd arguments of node $1 (an index)
node_args() {
  local i=$1 n j seeds="" gateways=""
  split_names "${N_SEEDS[i]}"
  for n in ${NAMES[@]+"${NAMES[@]}"}; do
    j="$(index_of "$n")" || die "$topology: node ${N_NAME[i]} seeds unknown node '$n'"
    seeds="${seeds:+$seeds,}$host:${N_MESH[j]}"
  done
  split_names "${N_GATEWAYS[i]}"
  for n in ${NAMES[@]+"${NAMES[@]}"}; do
    j="$(index_of "$n")" || die "$topology: node ${N_NAME[i]}: unknown gateway '$n'"
    gateways="${gateways:+$gateways,}$host:${N_MESH[j]}"
  done
  ARGS=(--node "${N_NAME[i]}" --site "${N_SITE[i]}" --host "$host" --advertise-host "$host"
    --client-port "${N_CLIENT[i]}" --mesh-port "${N_MESH[i]}" --http-port "${N_HTTP[i]}"
    --raft-port "${N_RAFT[i]}" --membership-port "$(membership_port "$i")" --data-dir "$state/${N_NAME[i]}/data")
  if [ -n "$seeds" ]; then
    ARGS+=(--seeds "$seeds")
  fi
  if [ -n "$gateways" ]; then
    ARGS+=(--gateways "$gateways")
  fi
  split_names "${N_FLAGS[i]}"
  for n in ${NAMES[@]+"${NAMES[@]}"}; do
    ARGS+=("--$n")
  done
  if $tls; then
    ARGS+=(--tls-cert "$state/pki/nodes/${N_NAME[i]}.pem" --tls-key "$state/pki/nodes/${N_NAME[i]}-key.pem"
      --tls-ca "$state/pki/ca.pem" --security-config "$state/security.json")
  fi
}

# the demo's PKI (once per state dir): a CA, a certificate per node, a user "admin"
make_pki() {
  local i nodes=""
  [ -f "$state/pki/ca.pem" ] && return 0
  for i in "${!N_NAME[@]}"; do nodes="${nodes:+$nodes,}${N_SITE[i]}/${N_NAME[i]}"; done
  "$root/bin/meshctl" pki init --out "$state/pki" --mesh demo --nodes "$nodes" --users admin >/dev/null ||
    die "cannot make the demo PKI in $state/pki"
  # who may use the demo: "admin", by its certificate (bin/meshctl presents it), may do everything
  cat >"$state/security.json" <<'JSON'
{
  "users": [
    {"name": "admin", "certificate": true,
     "permissions": {"admin": true}}
  ]
}
JSON
}

# ---- processes ----------------------------------------------------------------------------------

pid_file() { echo "$state/$1/meshd.pid"; }

# prints the pid of node $1 when it is running (a live process started by us for this state dir)
running_pid() {
  local f pid args
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null)" || return 1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  args="$(ps -ww -o args= -p "$pid" 2>/dev/null)" || return 1
  # the pid may have been reused by another process since: check that it is this node's meshd
  case "$args" in *"--data-dir $state/$1/data"*) echo "$pid" ;; *) return 1 ;; esac
}

# The membership (JGroups) port of node $1: the one after its raft port. Left to meshd, it would be
# picked at random below the ephemeral range, where it can meet another node's fixed port (it met
# onprem-3's HTTP port 23480 once, and cloud-1 could not join).
membership_port() {
  echo $(( N_RAFT[$1] + 1 ))
}

# HTTP status of GET /healthz on port $1 ("000" when nothing answers)
healthz_code() {
  if $tls; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$state/pki/ca.pem" "https://$host:$1/healthz" \
      2>/dev/null || true
  elif command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$host:$1/healthz" 2>/dev/null || true
  else
    local line=""
    if exec 3<>"/dev/tcp/$host/$1" 2>/dev/null; then
      printf 'GET /healthz HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3 || true
      IFS= read -r -t 2 line <&3 || true
      exec 3<&-
    fi
    line="${line#HTTP/* }"
    case "$line" in [0-9][0-9][0-9]*) echo "${line:0:3}" ;; *) echo 000 ;; esac
  fi
}

health_word() {
  case "$1" in
    200) echo ready ;;
    503) echo starting ;;
    000) echo "no answer" ;;
    *) echo "http $1" ;;
  esac
}

# true when something accepts connections on 127.0.0.1:$1
port_taken() {
  (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null
}

who_listens() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1
  fi
}

lock_state() {
  mkdir -p "$state"
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$state/.lock"
    flock -w 60 8 || die "another local-mesh.sh is working on $state"
  fi
}

# ---- commands -----------------------------------------------------------------------------------

print_table() {
  local i name pid code
  printf '%-10s %-8s %-8s %-7s %-6s %-6s %-6s %s\n' NODE SITE PID CLIENT MESH HTTP RAFT STATE
  for i in "${!N_NAME[@]}"; do
    name="${N_NAME[i]}"
    if pid="$(running_pid "$name")"; then
      code="$(healthz_code "${N_HTTP[i]}")"
      printf '%-10s %-8s %-8s %-7s %-6s %-6s %-6s %s\n' "$name" "${N_SITE[i]}" "$pid" "${N_CLIENT[i]}" \
        "${N_MESH[i]}" "${N_HTTP[i]}" "${N_RAFT[i]}" "$(health_word "$code")"
    else
      printf '%-10s %-8s %-8s %-7s %-6s %-6s %-6s %s\n' "$name" "${N_SITE[i]}" - "${N_CLIENT[i]}" \
        "${N_MESH[i]}" "${N_HTTP[i]}" "${N_RAFT[i]}" "not running"
    fi
  done
}

# one line per node: NODE bin/meshd ARGS... (an argument is shell-quoted only when it needs it)
cmd_plan() {
  local i a line
  for i in "${!N_NAME[@]}"; do
    node_args "$i"
    line="${N_NAME[i]} bin/meshd"
    for a in "${ARGS[@]}"; do
      case "$a" in
        '' | *[!A-Za-z0-9_./:,=@+-]*) line="$line $(printf '%q' "$a")" ;;
        *) line="$line $a" ;;
      esac
    done
    echo "$line"
  done
}

# sends signal $2 to node pid $1, and to its whole process group when it leads one (setsid)
signal_node() {
  local pgid
  pgid="$(ps -o pgid= -p "$1" 2>/dev/null | tr -d ' ')" || true
  if [ "$pgid" = "$1" ]; then
    kill -s "$2" -- "-$1" 2>/dev/null || true
  else
    kill -s "$2" "$1" 2>/dev/null || true
  fi
}

start_node() {
  local i=$1 name="${N_NAME[$1]}" dir
  dir="$state/$name"
  mkdir -p "$dir/data"
  node_args "$i"
  printf '==== %s: bin/meshd %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "${ARGS[*]}" >>"$dir/meshd.log"
  # setsid: the node gets its own session, so a Ctrl-C or a closed terminal does not reach it
  # (in a script, setsid does not fork, so $! is the node's pid; bin/meshd execs java in place).
  if command -v setsid >/dev/null 2>&1; then
    setsid "$root/bin/meshd" "${ARGS[@]}" >>"$dir/meshd.log" 2>&1 </dev/null 8>&- &
  else
    nohup "$root/bin/meshd" "${ARGS[@]}" >>"$dir/meshd.log" 2>&1 </dev/null 8>&- &
  fi
  echo "$!" >"$(pid_file "$name")"
}

# stops the nodes given by index: TERM, then KILL past the deadline
stop_nodes() {
  local i name pid deadline left
  local -a pids=() names=()
  for i in "$@"; do
    name="${N_NAME[i]}"
    if pid="$(running_pid "$name")"; then
      signal_node "$pid" TERM
      pids+=("$pid") names+=("$name")
    fi
  done
  deadline=$((SECONDS + stop_timeout))
  while :; do
    left=0
    for i in "${!pids[@]}"; do
      if kill -0 "${pids[i]}" 2>/dev/null; then left=$((left + 1)); fi
    done
    if [ "$left" -eq 0 ] || [ "$SECONDS" -ge "$deadline" ]; then break; fi
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      echo "local-mesh: ${names[i]} (pid ${pids[i]}) did not stop within ${stop_timeout}s: killing it" >&2
      signal_node "${pids[i]}" KILL
    fi
  done
  # a killed process is gone at once, but give the kernel a moment before the ports are reused
  deadline=$((SECONDS + 5))
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[i]}" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  done
  for i in "$@"; do
    rm -f "$(pid_file "${N_NAME[i]}")"
  done
  STOPPED=${#pids[@]}
}

cmd_up() {
  local i name pid p code deadline busy="" who
  local -a todo=() pending=() all=() still=()
  local fresh=false
  [ -d "$state" ] || fresh=true
  lock_state
  # a running node this topology does not have (another topology's) would stay up beside it
  local f before
  before="$(cat "$state/$topology_file" 2>/dev/null || echo full)"
  for f in "$state"/*/meshd.pid; do
    [ -f "$f" ] || continue
    name="$(basename "$(dirname "$f")")"
    if ! index_of "$name" >/dev/null && running_pid "$name" >/dev/null; then
      die "$name of topology $before runs in $state, and topology $topology_name has no such node:" \
        "'deploy/local-mesh.sh down' first"
    fi
  done
  for i in "${!N_NAME[@]}"; do
    all+=("$i")
    name="${N_NAME[i]}"
    if pid="$(running_pid "$name")"; then
      if $tls && [ ! -f "$state/meshctl.tls-ca" ]; then
        die "$name is running without TLS: 'deploy/local-mesh.sh down' first to start the mesh with --tls"
      fi
      echo "$name is already running (pid $pid)"
    else
      rm -f "$(pid_file "$name")"
      todo+=("$i")
    fi
  done
  # refuse before starting anything when one of the ports is taken
  for i in ${todo[@]+"${todo[@]}"}; do
    for p in "${N_CLIENT[i]}" "${N_MESH[i]}" "${N_HTTP[i]}" "${N_RAFT[i]}" "$(membership_port "$i")"; do
      if port_taken "$p"; then
        who="$(who_listens "$p")"
        busy="$busy  $host:$p (needed by ${N_NAME[i]}) is already in use${who:+ by $who}"$'\n'
      fi
    done
  done
  if [ -n "$busy" ]; then
    printf 'local-mesh: cannot start the mesh, ports are taken:\n%s' "$busy" >&2
    echo "Stop what uses them (a mesh started with another --dir? deploy/local-mesh.sh down --dir ...)." >&2
    if $fresh; then
      rm -f "$state/.lock"
      rmdir "$state" 2>/dev/null || true
    fi
    exit 1
  fi
  touch "$state/$marker"
  echo "$topology_name" >"$state/$topology_file"
  if [ "${#todo[@]}" -gt 0 ]; then
    "$root/bin/build-if-needed"
    if $tls; then
      make_pki
      echo "$state/pki/ca.pem" >"$state/meshctl.tls-ca"
    fi
    echo "starting ${#todo[@]} node(s): logs in $state/NODE/meshd.log"
    for i in "${todo[@]}"; do
      start_node "$i"
    done
  fi
  # wait until every node (also those already running) answers 200 on /healthz
  deadline=$((SECONDS + start_timeout))
  pending=("${all[@]}")
  while [ "${#pending[@]}" -gt 0 ]; do
    still=()
    for i in "${pending[@]}"; do
      name="${N_NAME[i]}"
      if ! running_pid "$name" >/dev/null; then
        echo "local-mesh: $name exited during start-up; the end of $state/$name/meshd.log:" >&2
        tail -n 20 "$state/$name/meshd.log" >&2 || true
        up_failed "${todo[@]}"
      fi
      code="$(healthz_code "${N_HTTP[i]}")"
      [ "$code" = 200 ] || still+=("$i")
    done
    pending=(${still[@]+"${still[@]}"})
    [ "${#pending[@]}" -gt 0 ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      for i in "${pending[@]}"; do
        name="${N_NAME[i]}"
        echo "local-mesh: $name is not ready after ${start_timeout}s (/healthz on $host:${N_HTTP[i]}:" \
          "$(health_word "$(healthz_code "${N_HTTP[i]}")")); the end of $state/$name/meshd.log:" >&2
        tail -n 10 "$state/$name/meshd.log" >&2 || true
      done
      up_failed ${todo[@]+"${todo[@]}"}
    fi
    sleep 0.5
  done
  # ready on /healthz is each node's own word; the mesh is whole only when every node sees every
  # other, every link is up and events cross between every pair (meshctl check prints who misses whom)
  local servers="" left
  for i in "${all[@]}"; do servers="${servers:+$servers,}$host:${N_CLIENT[i]}"; done
  left=$((deadline - SECONDS))
  [ "$left" -ge 30 ] || left=30
  local -a tlsflag=()
  if $tls; then
    tlsflag=(--tls-ca "$state/pki/ca.pem" --tls-cert "$state/pki/users/admin.pem" --tls-key "$state/pki/users/admin-key.pem")
  fi
  # (a site with --gateways is a membership group of its own: check judges each node by its own group
  # and by the sites that answer at its gateway addresses)
  if ! "$root/bin/meshctl" check -s "$servers" ${tlsflag[@]+"${tlsflag[@]}"} --expect-nodes "${#N_NAME[@]}" --timeout "${left}s"; then
    echo "local-mesh: the nodes are up but the mesh is not whole (above); logs are in $state/NODE/meshd.log" >&2
    up_failed ${todo[@]+"${todo[@]}"}
  fi
  # bin/meshctl talks to this mesh when neither -s nor MESHCTL_SERVER says otherwise
  echo "$servers" >"$state/$context"
  echo
  print_table
  $brief && return 0
  local curl_node="curl $host:${N_HTTP[0]}/v1/node"
  if $tls; then
    curl_node="curl --cacert $state/pki/ca.pem --cert $state/pki/users/admin.pem --key $state/pki/users/admin-key.pem https://$host:${N_HTTP[0]}/v1/node"
  fi
  cat <<EOF

The local mesh is up (${#N_NAME[@]} nodes; state, logs and data in $state).
bin/meshctl talks to it by itself until 'deploy/local-mesh.sh down' (-s HOST:PORT picks a node):
  bin/meshctl status
  bin/meshctl sub 'orders.>' -s $host:${N_CLIENT[${#N_NAME[@]}-1]} --no-discover
  bin/meshctl pub orders.eu.created '{"id":1}' -s $host:${N_CLIENT[0]}
  $curl_node
  deploy/local-mesh.sh status        deploy/local-mesh.sh down
EOF
  if has_gateways; then
    echo "  bin/meshctl status --topology -s $host:${N_CLIENT[${#N_NAME[@]}-1]}   # the site graph and each site's tree"
  fi
}

# start-up failed: stop what this `up` started (its logs stay) and exit 1
up_failed() {
  rm -f "$state/$context"
  if [ "$#" -gt 0 ]; then
    stop_nodes "$@"
    echo "local-mesh: start-up failed; stopped the $STOPPED node(s) of this 'up' still running; logs are in $state" >&2
  fi
  exit 1
}

cmd_status() {
  local i ok=true
  if [ ! -d "$state" ]; then
    echo "no local mesh in $state (start it with: deploy/local-mesh.sh up)"
    exit 1
  fi
  print_table
  for i in "${!N_NAME[@]}"; do
    if ! running_pid "${N_NAME[i]}" >/dev/null || [ "$(healthz_code "${N_HTTP[i]}")" != 200 ]; then
      ok=false
    fi
  done
  $ok
}

cmd_down() {
  local i f name
  local -a all=()
  if [ ! -d "$state" ]; then
    echo "no local mesh in $state"
    return 0
  fi
  lock_state
  # nodes of the topology, and any other node dir with a pid file (the topology may have changed)
  for i in "${!N_NAME[@]}"; do all+=("$i"); done
  for f in "$state"/*/meshd.pid; do
    [ -f "$f" ] || continue
    name="$(basename "$(dirname "$f")")"
    if ! index_of "$name" >/dev/null; then
      N_NAME+=("$name")
      all+=("$((${#N_NAME[@]} - 1))")
    fi
  done
  rm -f "$state/$context"
  stop_nodes "${all[@]}"
  echo "stopped $STOPPED node(s)"
  if $keep; then
    echo "kept logs and data in $state"
  elif [ -f "$state/$marker" ]; then
    for i in "${all[@]}"; do
      name="${N_NAME[i]}"
      rm -rf "${state:?}/$name/data"
      rm -f "$state/$name/meshd.log"
      rmdir "$state/$name" 2>/dev/null || true
    done
    rm -rf "${state:?}/pki" "$state/security.json"
    rm -f "$state/$marker" "$state/.lock" "$state/meshctl.tls-ca" "$state/$topology_file"
    rmdir "$state" 2>/dev/null || true
    echo "removed logs and data from $state"
  fi
}

# ---- main ---------------------------------------------------------------------------------------

command="${1:-}"
[ "$#" -gt 0 ] && shift
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dir)
      [ "$#" -ge 2 ] || die "--dir needs a directory"
      state="$2"
      shift 2
      ;;
    --dir=*) state="${1#--dir=}"; shift ;;
    --timeout)
      [ "$#" -ge 2 ] || die "--timeout needs seconds"
      start_timeout="$2"
      shift 2
      ;;
    --topology)
      [ "$#" -ge 2 ] || die "--topology needs a name (known: $(known_topologies))"
      topology_name="$2" topology_given=true
      shift 2
      ;;
    --topology=*) topology_name="${1#--topology=}" topology_given=true; shift ;;
    --keep) keep=true; shift ;;
    --brief) brief=true; shift ;;
    --tls) tls=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see deploy/local-mesh.sh --help)" ;;
  esac
done
case "$start_timeout" in '' | *[!0-9]*) die "--timeout: '$start_timeout' is not a number of seconds" ;; esac
case "$state" in /*) ;; *) state="$PWD/$state" ;; esac
state="${state%/}"
# a mesh started with --tls stays TLS for status, plan and the next up (and bin/meshctl finds its CA)
if [ -f "$state/meshctl.tls-ca" ]; then
  tls=true
fi
# and with the topology it was started with, unless --topology names one
if ! $topology_given && [ -f "$state/$topology_file" ]; then
  topology_name="$(cat "$state/$topology_file")"
fi
if $tls && ! command -v curl >/dev/null 2>&1; then
  die "--tls needs curl (apt-get install -y curl)"
fi

case "$command" in
  up) load_topology; cmd_up ;;
  down) load_topology; cmd_down ;;
  status) load_topology; cmd_status ;;
  plan) load_topology; cmd_plan ;;
  -h | --help | help) usage ;;
  '') usage >&2; exit 2 ;;
  *) echo "local-mesh: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
