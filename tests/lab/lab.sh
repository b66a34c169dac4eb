#!/usr/bin/env bash
# The lab every scenario and the demo share:
#   postmaster-lab-dns       Knot, authoritative for the lab zones, accepting RFC 2136 updates
#   postmaster-lab-resolver  Unbound: lab zones from Knot, everything else from podman's resolver
#   postmaster-lab-acme      Pebble, resolving through the lab DNS
#   postmaster-lab-peer      the outside world: a remote MTA for peer.test that keeps every message
#                            it receives, and the clients (swaks, curl, openssl, testssl.sh, dkimpy);
#                            it also holds a second outside address (LAB_CLIENT2_IP), a client that
#                            the lab blocklist bl.lab.test lists
#
#   lab.sh up | down | status | peer <command...>
#
# `up` is idempotent: it starts what is not running and leaves the rest alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib.sh
. "$here/lib.sh"

TOOLS_IMAGE="$LAB_IMAGE_PREFIX/tools:latest"
CONTAINERS=(postmaster-lab-dns postmaster-lab-resolver postmaster-lab-acme postmaster-lab-peer)

# Podman's record alone is not enough: after the machine was restored from a snapshot it still
# says "running" for containers whose processes are gone, so the process is asked too.
running() {
  local pid
  pid=$(podman inspect --format '{{ if .State.Running }}{{ .State.Pid }}{{ end }}' "$1" 2>/dev/null) &&
    [ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null
}

# What the lab containers are made from besides the image: a change (a new zone, another
# Pebble setting) replaces them all.
LAB_CONFIG_HASH=$(cat "$here/lib.sh" "$here/lab.sh" "$here"/dns/* "$here"/peer/* | sha256sum | cut -c1-16)

# Running, from the current tools image (a rebuilt image replaces the container), made from the
# current lab configuration, and started from this checkout (another checkout's lab has other
# state: Pebble's CA, zones, Knot's keys). A checkout removed and cloned again at the same path is
# another checkout: the old containers still see the removed directories, so the state directory
# carries an identity of its own (lab-id) that the container must see too.
current() {
  running "$1" &&
    [ "$(podman inspect --format '{{ index .Config.Labels "postmaster.lab.config" }}' "$1")" = "$LAB_CONFIG_HASH" ] &&
    [ "$(podman inspect --format '{{ .Image }}' "$1")" = "$(podman image inspect --format '{{ .Id }}' "$TOOLS_IMAGE")" ] &&
    podman inspect --format '{{ range .Mounts }}{{ .Source }} {{ end }}' "$1" | grep -qF "$LAB_STATE " &&
    [ "$(podman exec "$1" cat /state/lab-id 2>/dev/null)" = "$(cat "$LAB_STATE/lab-id")" ]
}

make_state_id() {  # the identity of this state directory (see current)
  [ -s "$LAB_STATE/lab-id" ] || od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$LAB_STATE/lab-id"
}

start() {  # start <name> <ip> <podman run args...>
  local name=$1 ip=$2
  shift 2
  if current "$name"; then return; fi
  remove_containers "$name"
  podman run -d --name "$name" --hostname "${name#postmaster-lab-}" --network "$LAB_NETWORK:ip=$ip" \
    --dns "$LAB_RESOLVER_IP" --label "postmaster.lab.config=$LAB_CONFIG_HASH" -v "$here:/lab:ro" -v "$LAB_STATE:/state" "$@" >/dev/null
  log "started $name ($ip)"
}

make_network() {
  podman network exists "$LAB_NETWORK" ||
    podman network create --subnet "$LAB_SUBNET" --gateway "$LAB_GATEWAY" "$LAB_NETWORK" >/dev/null
  podman network exists "$LAB_NETWORK6" ||
    podman network create --ipv6 --subnet "$LAB_SUBNET6" --gateway "$LAB_GATEWAY6" "$LAB_NETWORK6" >/dev/null
}

make_zones() {  # fresh zone files at every start of the DNS container: the lab has no memory
  mkdir -p "$LAB_STATE/zones"
  rm -f "$LAB_STATE/zones/"*
  local zone
  for zone in $LAB_ZONES; do
    {
      # shellcheck disable=SC2016  # zone file directives, not shell expansions
      printf '$ORIGIN %s.\n$TTL 60\n' "$zone"
      printf '@ SOA ns.lab.test. hostmaster.lab.test. 1 60 60 3600 5\n@ NS ns.lab.test.\n'
      case $zone in
        # bl.lab.test: a blocklist that lists the second outside client (and, as every DNSBL
        # does, 127.0.0.2 for testing), for postscreen's weighted blocklists.
        lab.test) printf 'ns A %s\nacme A %s\n' "$LAB_DNS_IP" "$LAB_ACME_IP"
                  printf '%s.bl A 127.0.0.2\n%s.bl TXT "listed in the lab blocklist"\n2.0.0.127.bl A 127.0.0.2\n' \
                    "$(rev_ip "$LAB_CLIENT2_IP")" "$(rev_ip "$LAB_CLIENT2_IP")" ;;
        # peer.test sends clean mail (SPF passes for mx.peer.test); strict.peer.test and
        # lax.peer.test authorise no host at all and ask for DMARC reject and quarantine: a
        # message from the peer in their name is a forgery the mail server must act on.
        peer.test) printf '@ MX 10 mx\nmx A %s\nmx AAAA %s\nclient2 A %s\n@ TXT "v=spf1 a:mx.peer.test -all"\n' \
                     "$LAB_PEER_IP" "$LAB_PEER_IP6" "$LAB_CLIENT2_IP"
                   printf 'relay A %s\n' "$LAB_PEER_IP"
                   printf '_dmarc TXT "v=DMARC1; p=none"\n'
                   printf 'strict MX 10 mx\nstrict TXT "v=spf1 -all"\n_dmarc.strict TXT "v=DMARC1; p=reject"\n'
                   printf 'lax MX 10 mx\nlax TXT "v=spf1 -all"\n_dmarc.lax TXT "v=DMARC1; p=quarantine"\n' ;;
        # Signed by Knot (knot.conf): secure.test's DS is the mail hosts' trust anchor, bogus.test
        # gets a wrong one, so a validating resolver answers the first and refuses the second.
        secure.test|bogus.test) printf 'www A %s\n' "$LAB_DNS_IP" ;;
        25.47.10.in-addr.arpa) printf '%s PTR %s.\n%s PTR client2.peer.test.\n' "${LAB_PEER_IP##*.}" "$LAB_PEER_NAME" "${LAB_CLIENT2_IP##*.}" ;;
      esac
    } > "$LAB_STATE/zones/$zone.zone"
  done
}

rev_ip() {  # 10.47.25.26 -> 26.25.47.10
  local a b c d
  IFS=. read -r a b c d <<< "$1"
  printf '%s.%s.%s.%s' "$d" "$c" "$b" "$a"
}

make_ssh_key() {  # the key Ansible logs in with; containers mount authorized_keys read-only
  local d="$LAB_STATE/ssh"
  [ -s "$d/id_ed25519" ] && [ -s "$d/authorized_keys" ] && return
  mkdir -p "$d" && chmod 0700 "$d"
  rm -f "$d/id_ed25519" "$d/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C postmaster-lab -f "$d/id_ed25519"
  install -m 0644 "$d/id_ed25519.pub" "$d/authorized_keys"
}

make_pebble_cert() {  # a CA and a leaf for Pebble's own HTTPS listener (Debian ships none)
  local d="$LAB_STATE/pebble"
  [ -s "$d/cert.pem" ] && return
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=postmaster lab CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$LAB_ACME_NAME" \
    -keyout "$d/key.pem" -out "$d/cert.csr" 2>/dev/null
  openssl x509 -req -in "$d/cert.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -out "$d/cert.pem" \
    -extfile <(printf 'subjectAltName=DNS:%s,IP:%s\n' "$LAB_ACME_NAME" "$LAB_ACME_IP") 2>/dev/null
  cat > "$d/pebble.json" <<EOF
{"pebble": {"listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
  "certificate": "/state/pebble/cert.pem", "privateKey": "/state/pebble/key.pem",
  "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
EOF
}

make_relay_cert() {  # the peer as a smarthost: a certificate for relay.peer.test from the lab CA
  local d="$LAB_STATE/relay"
  [ -s "$d/cert.pem" ] && [ "$d/cert.pem" -nt "$LAB_STATE/pebble/ca.pem" ] && return
  mkdir -p "$d"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$LAB_RELAY_NAME" -keyout "$d/key.pem" -out "$d/cert.csr" 2>/dev/null
  openssl x509 -req -in "$d/cert.csr" -CA "$LAB_STATE/pebble/ca.pem" -CAkey "$LAB_STATE/pebble/ca.key" \
    -CAcreateserial -days 3650 -out "$d/cert.pem" \
    -extfile <(printf 'subjectAltName=DNS:%s\n' "$LAB_RELAY_NAME") 2>/dev/null
  rm -f "$d/cert.csr"
}

write_trust_anchor() {  # the SHA-256 DS of a zone Knot signs (new keys at every start of Knot)
  local zone=$1 file="$LAB_STATE/dnssec/$1.ds"
  mkdir -p "$LAB_STATE/dnssec"
  wait_for "Knot's key for $zone" podman exec postmaster-lab-dns keymgr -c /lab/dns/knot.conf "$zone" ds
  podman exec postmaster-lab-dns keymgr -c /lab/dns/knot.conf "$zone" ds | grep -E "^$zone\. DS [0-9]+ [0-9]+ 2 " > "$file.new"
  [ -s "$file.new" ] || die "no SHA-256 DS of $zone from keymgr"
  mv "$file.new" "$file"
}

wait_for() {  # wait_for <what> <command...>: up to 30 s
  local what=$1 deadline=$((SECONDS + 30))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what did not come up"
    sleep 0.3
  done
}

up() {
  remove_stale_containers
  "$here/images.sh" tools
  mkdir -p "$LAB_STATE"
  # The backups' repositories (the fleet scenario's hosts mount it): outside every mail host, as a
  # backup disk or server is.
  mkdir -p "$LAB_STATE/backup" && chmod 0700 "$LAB_STATE/backup"
  make_state_id
  make_network
  if ! current postmaster-lab-dns; then make_zones; fi
  start postmaster-lab-dns "$LAB_DNS_IP" "$TOOLS_IMAGE" knotd -c /lab/dns/knot.conf
  wait_for "Knot" dig +short +time=1 +tries=1 "@$LAB_DNS_IP" SOA lab.test
  local zone
  for zone in $LAB_SIGNED_ZONES; do write_trust_anchor "$zone"; done
  {
    sed "s/@LAB_DNS_IP@/$LAB_DNS_IP/; s/@LAB_GATEWAY@/$LAB_GATEWAY/" "$here/dns/unbound.conf"
    # The lab resolver trusts the zones the mail hosts and the peer live in (not secure.test and
    # bogus.test, which only the Debian 13 site host's own resolver judges).
    printf 'server:\n'
    for zone in $LAB_TRUSTED_ZONES; do printf '  trust-anchor: "%s"\n' "$(cat "$LAB_STATE/dnssec/$zone.ds")"; done
    for zone in $LAB_ZONES; do
      printf 'stub-zone:\n  name: "%s."\n  stub-addr: %s\n' "$zone" "$LAB_DNS_IP"
    done
  } > "$LAB_STATE/unbound.conf.new"
  # New keys (Knot started again) mean new anchors: the resolver starts again on them.
  if ! cmp -s "$LAB_STATE/unbound.conf.new" "$LAB_STATE/unbound.conf"; then
    remove_containers postmaster-lab-resolver
  fi
  mv "$LAB_STATE/unbound.conf.new" "$LAB_STATE/unbound.conf"
  start postmaster-lab-resolver "$LAB_RESOLVER_IP" "$TOOLS_IMAGE" unbound -d -c /state/unbound.conf
  make_pebble_cert
  make_relay_cert
  make_ssh_key
  # On the IPv6 network too: it validates a dual-stack host over IPv6 first.
  start postmaster-lab-acme "$LAB_ACME_IP" --network "$LAB_NETWORK6" -e PEBBLE_VA_NOSLEEP=1 -e PEBBLE_WFE_NONCEREJECT=0 \
    "$TOOLS_IMAGE" pebble -config /state/pebble/pebble.json -dnsserver "$LAB_DNS_IP:53"
  # NET_ADMIN: the peer also holds the second outside client's address (start.sh adds it).
  # It is on the IPv6 network too (mx.peer.test has an AAAA record).
  # trust-ad: its Postfix sees the resolver's AD flag, for DANE.
  start postmaster-lab-peer "$LAB_PEER_IP" --cap-add NET_ADMIN --dns-option trust-ad -e LAB_CLIENT2_IP="$LAB_CLIENT2_IP" \
    -e LAB_RELAY_USER="$LAB_RELAY_USER" -e LAB_RELAY_PASSWORD="$LAB_RELAY_PASSWORD" \
    --network "$LAB_NETWORK6:ip6=$LAB_PEER_IP6" "$TOOLS_IMAGE" /lab/peer/start.sh
  wait_for "Unbound" dig +short +time=1 +tries=1 "@$LAB_RESOLVER_IP" A "$LAB_PEER_NAME"
  wait_for "Pebble" curl -fsS --max-time 2 --cacert "$LAB_STATE/pebble/ca.pem" \
    --resolve "$LAB_ACME_NAME:14000:$LAB_ACME_IP" "https://$LAB_ACME_NAME:14000/dir"
  wait_for "the peer's MTA" podman exec postmaster-lab-peer postfix status
  # The root Pebble signs certificates with is new at every Pebble start: clients that check the
  # mail server's certificate (the demo's curl, a mail client) trust this file.
  curl -fsS --max-time 5 --cacert "$LAB_STATE/pebble/ca.pem" --resolve "$LAB_ACME_NAME:15000:$LAB_ACME_IP" \
    -o "$LAB_STATE/pebble/roots.pem" "https://$LAB_ACME_NAME:15000/roots/0"
  log "lab is up: DNS $LAB_DNS_IP, resolver $LAB_RESOLVER_IP, ACME https://$LAB_ACME_NAME:14000/dir, peer $LAB_PEER_IP"
}

down() {
  remove_stale_containers
  remove_containers "${CONTAINERS[@]}"
  local network
  for network in "$LAB_NETWORK" "$LAB_NETWORK6"; do
    if podman network exists "$network"; then
      podman network rm -f "$network" >/dev/null 2>&1 ||
        log "network $network still in use (a scenario's containers?); left in place"
    fi
  done
  rm -rf "$LAB_STATE/zones" "$LAB_STATE/pebble" "$LAB_STATE/unbound.conf" "$LAB_STATE/dnssec"
  log "lab is down"
}

status() {
  local c
  for c in "${CONTAINERS[@]}"; do
    printf '%-26s %s\n' "$c" "$(running "$c" && echo running || echo stopped)"
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  peer) shift; exec podman exec -i postmaster-lab-peer "$@" ;;
  *) echo "usage: $0 up|down|status|peer <command...>" >&2; exit 2 ;;
esac
