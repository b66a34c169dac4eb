#!/usr/bin/env bash
# served_certs.sh <address> <name> <CA file>: for each TLS port of the mail host, one JSON line
# with the serial and SHA-256 fingerprint of the certificate it serves, and whether that
# certificate verifies against <CA file> for <name>. Run on the lab's peer.
set -u
addr=$1 name=$2 ca=$3
for spec in 25:smtp 587:smtp 465: 993: 995:; do
  port=${spec%%:*} starttls=${spec#*:}
  args=(-connect "$addr:$port" -servername "$name" -CAfile "$ca" -verify_hostname "$name")
  if [ -n "$starttls" ]; then args+=(-starttls "$starttls"); fi
  out=$(timeout 20 openssl s_client "${args[@]}" </dev/null 2>&1)
  pem=$(openssl x509 <<<"$out" 2>/dev/null)
  serial=$(openssl x509 -noout -serial <<<"$pem" 2>/dev/null | cut -d= -f2)
  fingerprint=$(openssl x509 -noout -fingerprint -sha256 <<<"$pem" 2>/dev/null | cut -d= -f2)
  verify=$(grep -m1 -o 'Verify return code: .*' <<<"$out" | cut -d' ' -f4-)
  printf '{"port": %s, "serial": "%s", "fingerprint": "%s", "verify": "%s"}\n' \
    "$port" "$serial" "$fingerprint" "$verify"
done
