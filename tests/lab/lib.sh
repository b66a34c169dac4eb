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
# Zones Knot serves. Scenarios add records with RFC 2136 updates (from the lab subnet).
# Each consumer that needs "exactly the generated records" has zones of its own: the demo
# (demo.test) and the site scenario (site13.test, site12.test). Keep in step with dns/knot.conf
# and lab_dns.py.
LAB_ZONES="lab.test peer.test example.test example.net demo.test site13.test site12.test fleet.test 25.47.10.in-addr.arpa $LAB_REVERSE6 secure.test bogus.test"
# Zones Knot signs (knot.conf) whose DS lab.sh writes to .cache/lab/dnssec/<zone>.ds, and those of
# them the lab resolver trusts (bogus.test is signed too, for a wrong anchor: no DS is written).
LAB_SIGNED_ZONES="secure.test peer.test site13.test site12.test demo.test"
LAB_TRUSTED_ZONES="peer.test site13.test site12.test demo.test"
