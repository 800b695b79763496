#!/usr/bin/env bash
# The Weft demo. Starts the two-site mesh on this machine (deploy/local-mesh.sh up: sites "cloud" and
# "onprem", three nodes each), subscribes to orders.> on onprem-2, publishes sample order events on
# cloud-1 and shows them arriving on the other site. The mesh is left running for bin/meshctl; stop
# it with deploy/local-mesh.sh down. Arguments go to local-mesh.sh up (e.g. --dir DIR, --timeout SECS).
#
# Exits non-zero, with the reason, when the mesh does not start or the events do not all arrive
# within DEMO_TIMEOUT seconds (default 30); it never waits without a deadline.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
meshctl="$root/bin/meshctl"
timeout="${DEMO_TIMEOUT:-30}"
pub_node=cloud-1
sub_node=onprem-2

die() {
  echo "demo: $*" >&2
  exit 1
}

# column $2 of node $1 in deploy/topology (2 site, 3 client port, 5 http port)
topo() {
  local v
  v="$(awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$here/topology")"
  [ -n "$v" ] || die "node $1 is not in $here/topology"
  echo "$v"
}

"$here/local-mesh.sh" up --brief "$@"

pub_site="$(topo "$pub_node" 2)"
sub_site="$(topo "$sub_node" 2)"
pub_addr="127.0.0.1:$(topo "$pub_node" 3)"
pub_http="127.0.0.1:$(topo "$pub_node" 5)"
sub_addr="127.0.0.1:$(topo "$sub_node" 3)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/weft-demo.XXXXXX")"
sub_pid=""
cleanup() {
  if [ -n "$sub_pid" ]; then kill "$sub_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# the sample events: topic, type, data
events=(
  'orders.eu.created|com.example.order.created|{"order":1001,"customer":"c-17","total":42.50,"currency":"EUR"}'
  'orders.us.created|com.example.order.created|{"order":1002,"customer":"c-23","total":19.99,"currency":"USD"}'
  'orders.eu.shipped|com.example.order.shipped|{"order":1001,"carrier":"dhl","parcels":2}'
)
count=${#events[@]}

echo
echo "== subscribing to 'orders.>' on site $sub_site (via $sub_node, $sub_addr)"
"$meshctl" sub 'orders.>' -s "$sub_addr" --site "$sub_site" --count "$count" --timeout "${timeout}s" \
  >"$tmp/sub.out" 2>"$tmp/sub.err" </dev/null &
sub_pid=$!

# wait for the subscription to be confirmed by its broker
deadline=$((SECONDS + timeout))
until grep -q '^subscribed to' "$tmp/sub.err" 2>/dev/null; do
  if ! kill -0 "$sub_pid" 2>/dev/null; then
    cat "$tmp/sub.err" >&2
    die "the subscriber on $sub_node ($sub_addr) failed to start"
  fi
  [ "$SECONDS" -lt "$deadline" ] || die "the subscriber on $sub_node did not subscribe within ${timeout}s"
  sleep 0.2
done
sed 's/^/   /' "$tmp/sub.err"

# Interest travels to the other site by gossip (eagerly, in milliseconds). Where the publishing node
# serves GET /v1/interest, wait until it lists the pattern; otherwise give it a moment.
if command -v curl >/dev/null 2>&1 \
  && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$pub_http/v1/interest")" = 200 ]; then
  interest_deadline=$((SECONDS + 10))
  until curl -s --max-time 2 "http://$pub_http/v1/interest" | grep -qF 'orders.>'; do
    if [ "$SECONDS" -ge "$interest_deadline" ]; then
      echo "   (after 10s $pub_node still lists no interest in orders.>: publishing anyway)"
      break
    fi
    sleep 0.2
  done
else
  sleep 1
fi

echo
echo "== publishing $count order events on site $pub_site (via $pub_node, $pub_addr)"
for e in "${events[@]}"; do
  IFS='|' read -r topic type data <<<"$e"
  "$meshctl" pub "$topic" "$data" --type "$type" --source "/shop/$pub_site" \
    -s "$pub_addr" --site "$pub_site" </dev/null | sed 's/^/   /' \
    || die "publishing $topic on $pub_node ($pub_addr) failed"
done

# wait for the subscriber: it exits by itself after $count events, or with status 1 after $timeout
deadline=$((SECONDS + timeout + 15))
while kill -0 "$sub_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.2
done
status=0
if kill -0 "$sub_pid" 2>/dev/null; then
  kill "$sub_pid" 2>/dev/null || true
  status=124
fi
wait "$sub_pid" 2>/dev/null || status=$?
sub_pid=""
received="$(grep -c . "$tmp/sub.out" || true)"

echo
echo "== received on site $sub_site: $received of $count"
sed 's/^/   /' "$tmp/sub.out"

if [ "$status" -ne 0 ] || [ "$received" -lt "$count" ]; then
  grep -v '^subscribed to' "$tmp/sub.err" | sed 's/^/   /' >&2 || true
  cat >&2 <<EOF

demo: FAILED - $received of the $count events published on $pub_node (site $pub_site) arrived on
$sub_node (site $sub_site) within ${timeout}s. Cross-site delivery needs the mesh to be formed:
  bin/meshctl status -s $sub_addr      should list the nodes of both sites
  deploy/local-mesh.sh status          pid and /healthz of every node
  logs: ${here}/.local-mesh/NODE/meshd.log (or the --dir you gave)
The mesh is still running; stop it with: deploy/local-mesh.sh down
EOF
  exit 1
fi

echo
echo "The events published on site $pub_site reached site $sub_site. The mesh keeps running: try it."
hint() { printf '  %-62s # %s\n' "$1" "$2"; }
hint "bin/meshctl status -s $pub_addr" "the node and the nodes it knows"
hint "bin/meshctl sub 'orders.>' -s $sub_addr" "subscribe on $sub_node (Ctrl-C stops)"
hint "bin/meshctl pub orders.eu.created '{\"order\":1003}' -s $pub_addr" "publish on $pub_node"
hint "curl $pub_http/v1/node" "a node's ports and state (HTTP)"
hint "deploy/local-mesh.sh status" "every node's pid and /healthz"
hint "deploy/local-mesh.sh down" "stop the mesh, delete its data"
echo "Every node's ports: deploy/local-mesh.sh status. The docker-compose demo (deploy/compose.yaml)"
echo "is the same mesh on the same host ports."
