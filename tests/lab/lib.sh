# shellcheck shell=bash disable=SC2034
# Shared settings of the lab scripts (sourced, not run; the variables are used by those scripts).
# The addresses below are the lab's own podman network; nothing outside it is ever contacted.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$LAB_ROOT/tests/lab/containers.conf}"
LAB_STATE="${LAB_STATE:-$LAB_ROOT/.cache/lab}"
LAB_IMAGE_PREFIX=localhost/postmaster-lab

LAB_NETWORK=postmaster-lab
LAB_SUBNET=10.47.25.0/24
LAB_GATEWAY=10.47.25.1
LAB_DNS_IP=10.47.25.53        # Knot, authoritative for the lab zones
LAB_RESOLVER_IP=10.47.25.54   # Unbound: lab zones from Knot, the rest from podman's resolver
LAB_ACME_IP=10.47.25.14       # Pebble
LAB_PEER_IP=10.47.25.25       # the outside world: a remote MTA and the clients
LAB_CLIENT2_IP=10.47.25.26    # a second outside client (an address of the peer), listed in bl.lab.test
# IPv6 is a second network, joined only by the containers that need it (the peer and the site
# scenario's Debian 13 host): everything else stays IPv4-only, as it always was.
LAB_NETWORK6=postmaster-lab6
LAB_SUBNET6=fd47:25::/64
LAB_GATEWAY6=fd47:25::1
LAB_PEER_IP6=fd47:25::25
LAB_REVERSE6=0.0.0.0.0.0.0.0.5.2.0.0.7.4.d.f.ip6.arpa   # the reverse zone of LAB_SUBNET6
LAB_ACME_NAME=acme.lab.test
LAB_PEER_NAME=mx.peer.test
# The peer as a smarthost (SASL and TLS required on 587, a certificate from the lab CA): the fleet
# scenario's host without port 25 sends through it. A lab password, not a secret.
LAB_RELAY_NAME=relay.peer.test
LAB_RELAY_USER=relay@peer.test
LAB_RELAY_PASSWORD=relay-Lab-Secret-7

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# Remove containers for good. One whose processes died without podman seeing it (a machine restored
# from a snapshot, a killed conmon: podman still says "Up") fails its first 'podman rm -f' ("could
# not be stopped: timed out waiting for file /run/libpod/exits/...", then "Exited (-1)") and goes
# on the second, which also frees its address; one podman never finished creating holds its name
# in storage only (--storage).
remove_containers() {  # remove_containers <name>...
  local name try
  for name in "$@"; do
    for try in 1 2 3 4; do
      if ! podman container exists "$name" &&
        ! podman ps -a --external --format '{{.Names}}' | grep -qxF "$name"; then
        continue 2
      fi
      podman rm -f -t 1 "$name" >/dev/null 2>&1 || [ "$try" -lt 3 ] ||
        podman rm -f --storage "$name" >/dev/null 2>&1 || true
    done
    podman rm -f -t 1 "$name" >&2 || true
    die "cannot remove the container $name (podman's own message above)"
  done
}

# Containers podman calls running whose main process is gone (a machine restored from a
# snapshot): removed before anything else, or their names and addresses block the lab and the
# scenarios. Only the lab's own containers and those on its networks.
remove_stale_containers() {
  local name pid networks
  while read -r name pid networks; do
    case "$name,$networks" in
      postmaster-*,* | *,*postmaster-lab*) ;;
      *) continue ;;
    esac
    if [ "$pid" -gt 0 ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    log "removing $name: podman says it runs, its process $pid is gone"
    remove_containers "$name"
  done < <(podman ps --filter status=running --format '{{.Names}} {{.Pid}} {{.Networks}}')
}
# Zones Knot serves. Scenarios add records with RFC 2136 updates (from the lab subnet).
# Each consumer that needs "exactly the generated records" has zones of its own: the demo
# (demo.test) and the site scenario (site13.test, site12.test). Keep in step with dns/knot.conf
# and lab_dns.py.
LAB_ZONES="lab.test peer.test example.test example.net demo.test site13.test site12.test fleet.test 25.47.10.in-addr.arpa $LAB_REVERSE6 secure.test bogus.test"
# Zones Knot signs (knot.conf) whose DS lab.sh writes to .cache/lab/dnssec/<zone>.ds, and those of
# them the lab resolver trusts (bogus.test is signed too, for a wrong anchor: no DS is written).
LAB_SIGNED_ZONES="secure.test peer.test site13.test site12.test demo.test"
LAB_TRUSTED_ZONES="peer.test site13.test site12.test demo.test"
