#!/bin/sh
# The peer's MTA: mx.peer.test, which accepts mail for any address at peer.test and keeps it in
# the Maildir /var/mail/capture/inbox/ for the tests to read. It relays for nobody. Beside it, a
# milter that adds a header (lab_milter.py, port 8899): a second milter for the site scenario.
set -e
# The second outside client: an address of its own (clients pick it with --local-interface).
if [ -n "${LAB_CLIENT2_IP:-}" ]; then
  ip addr add "$LAB_CLIENT2_IP/24" dev eth0 2>/dev/null || ip addr show dev eth0 | grep -qF "inet $LAB_CLIENT2_IP/"
fi
# The peer's clients (swaks, curl, python) reach a dual-stack server over IPv4 first, as they
# always did; the IPv6 test asks for IPv6 itself.
grep -qx 'precedence ::ffff:0:0/96  100' /etc/gai.conf 2>/dev/null || echo 'precedence ::ffff:0:0/96  100' >> /etc/gai.conf
groupadd -g 5000 capture 2>/dev/null || true
useradd -u 5000 -g 5000 -d /var/mail/capture -M capture 2>/dev/null || true
mkdir -p /var/mail/capture && chown capture:capture /var/mail/capture
: > /etc/postfix/main.cf
cp /etc/postfix/master.cf.proto /etc/postfix/master.cf
# shellcheck disable=SC2016  # $myhostname is for Postfix to expand
postconf -e \
  compatibility_level=3.6 \
  myhostname=mx.peer.test \
  mydestination= \
  mynetworks=127.0.0.0/8 \
  inet_protocols=all \
  smtp_address_preference=ipv4 \
  maillog_file=/var/log/postfix.log \
  smtpd_banner='$myhostname ESMTP peer' \
  virtual_mailbox_domains=peer.test \
  virtual_mailbox_base=/var/mail/capture \
  virtual_mailbox_maps=static:inbox/ \
  virtual_uid_maps=static:5000 \
  virtual_gid_maps=static:5000 \
  smtpd_tls_security_level=may \
  smtpd_tls_chain_files=/etc/ssl/private/ssl-cert-snakeoil.key,/etc/ssl/certs/ssl-cert-snakeoil.pem \
  smtpd_tls_received_header=yes \
  smtp_tls_loglevel=1 \
  smtp_dns_support_level=dnssec \
  smtp_tls_security_level=dane
# DANE when it sends (tests/verify/site/test_dane.py): outside the chroot, so it reads the
# container's /etc/resolv.conf (trust-ad); one delivery per process, so none keeps a TLSA record
# the test has just changed.
postconf -F smtp/unix/chroot=n
postconf -P smtp/unix/max_use=1
[ -s /etc/ssl/certs/ssl-cert-snakeoil.pem ] || make-ssl-cert generate-default-snakeoil
# A smarthost on 587 (the fleet scenario's host without port 25 sends through it): TLS first
# with relay.peer.test's certificate from the lab CA, then a SASL login (Cyrus, sasldb) before it
# relays anywhere. Outside the chroot, so that smtpd reads /etc/sasldb2.
if [ -s /state/relay/cert.pem ] && [ -n "${LAB_RELAY_USER:-}" ]; then
  printf '%s' "$LAB_RELAY_PASSWORD" | saslpasswd2 -p -c -u "${LAB_RELAY_USER#*@}" "${LAB_RELAY_USER%@*}"
  chgrp postfix /etc/sasldb2 && chmod 0640 /etc/sasldb2
  mkdir -p /etc/postfix/sasl
  printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n' > /etc/postfix/sasl/smtpd.conf
  postconf -M submission/inet="submission inet n - n - - smtpd"
  postconf -P submission/inet/syslog_name=postfix/relay \
    submission/inet/smtpd_tls_security_level=encrypt \
    submission/inet/smtpd_tls_chain_files=/state/relay/key.pem,/state/relay/cert.pem \
    submission/inet/smtpd_sasl_auth_enable=yes \
    submission/inet/smtpd_sasl_type=cyrus \
    submission/inet/smtpd_sasl_path=smtpd \
    submission/inet/smtpd_tls_auth_only=yes \
    submission/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject \
    submission/inet/smtpd_recipient_restrictions=permit_sasl_authenticated,reject
fi
python3 /lab/peer/lab_milter.py inet:8899@0.0.0.0 > /var/log/lab_milter.log 2>&1 &
exec postfix start-fg
