#!/usr/bin/env bash
# make demo: a working mail server in the lab, from nothing, through playbooks/site.yml.
#   demo.sh up     start (or reuse) the demo host, converge, publish the records, check, send mail
#   demo.sh down   remove the demo host and the records it wrote
# The lab (DNS, ACME, peer) is started by `make lab` before, and stays for `make demo-clean`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib.sh
. "$here/lib.sh"

DEMO_HOST=postmaster-demo-mail
DEMO_IP=10.47.25.40
DEMO_NAME=mail.demo.test
DEMO_DIR="$LAB_ROOT/demo"
RECORDS="$DEMO_DIR/dns-records"
PASSWORD=demo-Alice-1  # published in demo/group_vars/mailservers.yml; a demo, not a secret

peer() { podman exec -i postmaster-lab-peer "$@"; }

start_host() {
  # Reuse a running demo host only if it trusts this checkout's key as it is now (another clone,
  # or a lab started again, has another).
  if [ "$(podman inspect --format '{{ .State.Running }}' "$DEMO_HOST" 2>/dev/null)" = true ] &&
    [ "$(podman exec "$DEMO_HOST" cat /root/.ssh/authorized_keys 2>/dev/null)" = "$(cat "$LAB_STATE/ssh/authorized_keys")" ]; then
    log "reusing $DEMO_HOST"
    return
  fi
  remove_containers "$DEMO_HOST"
  podman run -d --name "$DEMO_HOST" --hostname "$DEMO_NAME" --network "$LAB_NETWORK" --ip "$DEMO_IP" \
    --dns "$LAB_RESOLVER_IP" --systemd=always --cap-add NET_ADMIN \
    -v "$LAB_STATE/ssh/authorized_keys:/root/.ssh/authorized_keys:ro" \
    "$LAB_IMAGE_PREFIX/debian:13" /sbin/init >/dev/null
  log "started $DEMO_HOST ($DEMO_IP) from the bare Debian 13 image"
  # Ansible logs in over SSH, as on a real server (demo/inventory.yml).
  local deadline=$((SECONDS + 30))
  until ssh -q -i "$LAB_STATE/ssh/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o ConnectTimeout=2 "root@$DEMO_IP" true; do
    [ "$SECONDS" -lt "$deadline" ] || die "no SSH login on $DEMO_HOST ($DEMO_IP)"
    sleep 1
  done
}

converge() {
  ansible-playbook -i "$DEMO_DIR/inventory.yml" "$LAB_ROOT/playbooks/site.yml" "$@"
}

up() {
  start_host
  # What a user does first at their DNS provider: the host's address, so the ACME server can
  # reach it; and what the "hosting provider" does: the PTR.
  python3 "$here/lab_dns.py" set "$DEMO_NAME" A "$DEMO_IP"
  python3 "$here/lab_dns.py" set "${DEMO_IP##*.}.25.47.10.in-addr.arpa" PTR "$DEMO_NAME."
  log "converging playbooks/site.yml (the doctor only warns: the records are not published yet)"
  converge -e mail_dns_check=warn
  log "publishing the records site.yml wrote to $RECORDS"
  python3 "$here/lab_dns.py" load "$RECORDS"/*.zone
  log "converging again: the HTTPS endpoint's names (mta-sts., autoconfig., autodiscover.) resolve now and join the certificate"
  converge -e mail_dns_check=warn >/dev/null
  log "converging a third time: nothing changes, and the doctor must now find every record"
  converge -e mail_dns_check=enforce | tee "$LAB_STATE/demo-converge.log" | sed -n '/TASK \[Report\]/,/^$/p'
  grep -Eq 'changed=0 .*failed=0' "$LAB_STATE/demo-converge.log" || die "the second converge changed something or failed"
  mail_round_trip
  explain
}

mail_round_trip() {
  local mark
  mark="demo-$(date +%s)"
  log "alice@demo.test sends to someone@peer.test through submission (587, STARTTLS, AUTH)"
  peer swaks --silent 2 --server "$DEMO_IP" --port 587 --tls --auth LOGIN \
    --auth-user alice@demo.test --auth-password "$PASSWORD" \
    --from alice@demo.test --to someone@peer.test --header "Subject: $mark out" >/dev/null
  log "mx.peer.test answers alice@demo.test on port 25"
  peer swaks --silent 2 --server "$DEMO_IP" --port 25 --tls \
    --from someone@peer.test --to alice@demo.test --header "Subject: $mark back" >/dev/null
  local deadline=$((SECONDS + 30))
  until peer sh -c "grep -rl 'Subject: $mark out' /var/mail/capture/inbox/new >/dev/null 2>&1"; do
    [ "$SECONDS" -lt "$deadline" ] || die "the message to the peer did not arrive"
    sleep 1
  done
  log "arrived at the peer; its DKIM signature:"
  peer sh -c "f=\$(grep -rl 'Subject: $mark out' /var/mail/capture/inbox/new | head -1); python3 -c '
import dkim, sys
msg = open(sys.argv[1], \"rb\").read()
print(\"  dkim:\", \"pass\" if dkim.verify(msg) else \"FAIL\")' \"\$f\""
  until podman exec "$DEMO_HOST" sh -c "grep -rl 'Subject: $mark back' /var/vmail/demo.test/alice/ >/dev/null 2>&1"; do
    [ "$SECONDS" -lt "$deadline" ] || die "the answer did not reach alice's mailbox"
    sleep 1
  done
  log "the answer is in alice's mailbox; reading it over IMAPS:"
  peer curl -sS --cacert /state/pebble/roots.pem --resolve "$DEMO_NAME:993:$DEMO_IP" \
    --user "alice@demo.test:$PASSWORD" "imaps://$DEMO_NAME/INBOX" -X "SEARCH SUBJECT \"$mark back\""
}

explain() {
  cat <<TEXT

The demo server runs: $DEMO_NAME at $DEMO_IP (Debian 13, in the container $DEMO_HOST).
  Records it told you to publish:  $RECORDS/
  Users: alice@demo.test / $PASSWORD, bob@demo.test / demo-Bob-Secret-2 (demo/group_vars/mailservers.yml)

Point a mail client on this machine at it:
  IMAP  $DEMO_NAME port 993 (TLS), SMTP $DEMO_NAME port 587 (STARTTLS) or 465 (TLS),
  user alice@demo.test. The name resolves through the lab DNS: add "$DEMO_IP $DEMO_NAME" to
  /etc/hosts, and trust the lab's ACME root, $LAB_STATE/pebble/roots.pem. For example:
    curl --cacert $LAB_STATE/pebble/roots.pem --resolve $DEMO_NAME:993:$DEMO_IP \\
      --user alice@demo.test:$PASSWORD imaps://$DEMO_NAME/INBOX -X 'STATUS INBOX (MESSAGES)'
    swaks --server $DEMO_IP --port 587 --tls --tls-ca-path $LAB_STATE/pebble/roots.pem \\
      --auth-user alice@demo.test --auth-password $PASSWORD --from alice@demo.test --to someone@peer.test

Log in to it as Ansible does:  ssh -i $LAB_STATE/ssh/id_ed25519 root@$DEMO_IP
Run it again with: make demo. Remove it with: make demo-clean.
TEXT
}

down() {
  remove_containers "$DEMO_HOST"
  rm -rf "$RECORDS"
  log "demo host and records removed"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
