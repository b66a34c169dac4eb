"""What the world can verify about the transport and how clients find the server (issue 17, first
part), after test_rerun.py published the records site.yml wrote into the lab DNS, where Knot signs
site13.test and site12.test (tests/lab/dns/knot.conf):

  * the TLSA records of _25._tcp.<host> are "3 1 1" over the SHA-256 of the public key the server
    really serves on 25 (STARTTLS), 465 and 587, and of the prepared next key (a second certbot
    lineage, not renewed while unused), and come signed (RRSIG);
  * the DNS doctor says ok for it, and fail, naming the remedy, once the published TLSA is wrong;
  * a renewal through certbot.service (the timer's unit) gives a new certificate over the same key,
    so the published TLSA still matches on every port, and the next key stays too (Debian 13);
  * a mail client that knows only the address sets itself up from the SRV records: IMAPS and
    submissions at the target and port they name, with the certificate verified; 143 and 110 say
    "not offered" (target ".") unless the inventory turns them on (Debian 13 does); ManageSieve
    (_sieve._tcp, RFC 5804) at 4190;
  * TLS-RPT is published for every domain;
  * mail the Debian 13 host sends to the peer, whose zone is signed and trusted there, goes over a
    TLS connection verified with the peer's TLSA record; with a wrong TLSA it waits in the queue,
    and arrives exactly once when the TLSA is fixed and the queue flushed;
  * the peer's own Postfix, sending with DANE through the lab resolver (which trusts the host's
    zone), verifies the Debian 13 host by the TLSA site.yml wrote, and holds its mail while that
    record is wrong;
  * a forced key rollover (mail_tls_key_rollover) waits while the next key's TLSA is not
    published, then serves it on every port, prepares a new next key whose TLSA the fragment and
    the doctor ask for, and the peer's DANE verifies the host before and after (Debian 13).
Run by extensions/molecule/site/verify.yml.
"""

import re
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import dns.resolver
import pytest

from lablib import flush_queue, imap_fetch, journal_mark, journal_wait, poll, send
from lablib.doctor import doctor_checks
from lablib.playbook import run_playbook
from lablib.tlsprobe import served_certificate

HOST13 = "site-debian13"
HOSTS = ["site-debian13", "site-debian12"]
PASSWORD = "alice-Secret-1"
LAB_DNS_SERVER = "10.47.25.53"
# The doctor asks the lab's validating resolver (which trusts the hosts' zones), as the scenario's
# mail_dns_resolvers does.
DOCTOR_RESOLVER = "10.47.25.54"


def served_key(server, port):
    """(SHA-256 of the public key served on a port, certificate serial), as a client receives it
    (25 and 587 after STARTTLS, 465 at once)."""
    served = served_certificate(server.address, port, None, server.vars["mail_hostname"])
    return served.spki_sha256, served.serial


NEXT_CERTIFICATE = "/etc/postmaster-mail/tls/next/fullchain.pem"
KEY_OF = "openssl x509 -in %s -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum"


def next_key(server):
    """SHA-256 of the prepared next key's public key (the certificate behind the link "next")."""
    return server.check(KEY_OF % NEXT_CERTIFICATE).split()[0]


def published_tlsa(name):
    """The TLSA values at the lab DNS, as (usage, selector, matching, hex), and whether the answer
    came signed (an RRSIG over it)."""
    query = dns.message.make_query(name, dns.rdatatype.TLSA, want_dnssec=True)
    response = dns.query.udp(query, LAB_DNS_SERVER, timeout=5)
    values, signed = [], False
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TLSA:
            values = sorted((r.usage, r.selector, r.mtype, r.cert.hex()) for r in rrset)
        elif rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == dns.rdatatype.TLSA:
            signed = True
    return values, signed


def lab_resolver():
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [LAB_DNS_SERVER]
    resolver.cache = None
    return resolver


def srv(name):
    answer = lab_resolver().resolve(name, "SRV")
    return sorted((r.priority, r.weight, r.port, r.target.to_text()) for r in answer)


def doctor_tlsa(molecule_env, tmp_path, server, expected):
    records = [{"name": "_25._tcp.%s." % server.vars["mail_hostname"], "type": "TLSA", "value": expected}]
    checks = doctor_checks(molecule_env, tmp_path, ["tlsa"], server.vars["mail_hostname"], [server.vars["site_domain"]],
                           records, [DOCTOR_RESOLVER])
    assert len(checks) == 1, checks
    return checks[0]


@pytest.mark.parametrize("name", HOSTS)
def test_the_published_tlsa_is_the_key_served_on_25_465_and_587_and_is_signed(hosts, name, report):
    server = hosts[name]
    values, signed = published_tlsa("_25._tcp.%s" % server.vars["mail_hostname"])
    served = {port: served_key(server, port) for port in (25, 465, 587)}
    keys = {digest for digest, _serial in served.values()}
    assert len(keys) == 1, served
    current, prepared = keys.pop(), next_key(server)
    assert prepared != current
    assert values == sorted([(3, 1, 1, current), (3, 1, 1, prepared)]), (values, served)
    assert signed, "the TLSA answer of the lab DNS carries no RRSIG: is %s signed?" % server.vars["site_domain"]
    # Only the lineage in use renews (certbot.timer); the one holding the next key waits.
    renewal = server.check("grep -H '^autorenew' /etc/letsencrypt/renewal/*.conf || true")
    assert renewal.strip() == "/etc/letsencrypt/renewal/%s-alt.conf:autorenew = False" % server.vars["mail_hostname"], renewal
    report("%s DANE: _25._tcp.%s TLSA 3 1 1 %s... (signed) = the key served on 25, 465, 587; and 3 1 1 %s... = the "
           "next key (lineage -alt, autorenew off)" % (name, server.vars["mail_hostname"], current[:16], prepared[:16]))


def test_the_doctor_says_ok_for_the_tlsa_and_fail_when_it_is_wrong(hosts, lab_dns, molecule_env, tmp_path, report):
    server = hosts[HOST13]
    name = "_25._tcp.%s" % server.vars["mail_hostname"]
    digest, _serial = served_key(server, 25)
    expected = "3 1 1 %s" % digest
    good = doctor_tlsa(molecule_env, tmp_path, server, expected)
    assert (good["status"], "DNSSEC-signed, validated" in good["found"]) == ("ok", True), good

    lab_dns.set(name, "TLSA", "3 1 1 " + "00" * 32)
    time.sleep(LAB_RESOLVER_CACHE)
    bad = doctor_tlsa(molecule_env, tmp_path, server, expected)
    assert bad["status"] == "fail", bad
    assert "defer every message" in bad["remedy"] and expected in bad["remedy"], bad
    lab_dns.restore()
    report("%s doctor: TLSA as served -> %s (%s); a wrong TLSA -> %s: %s"
           % (HOST13, good["status"], good["found"][-30:], bad["status"], bad["remedy"][:90]))


def test_a_renewal_through_certbot_service_keeps_the_tlsa_matching(hosts, molecule_env, project_dir, report):
    server = hosts[HOST13]
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    values, _signed = published_tlsa("_25._tcp.%s" % server.vars["mail_hostname"])
    before = served_key(server, 25)
    prepared = next_key(server)
    # A test-only setting of the certbot role: certbot.service renews now (--force-renewal).
    forced = run_playbook(converge, molecule_env, limit=HOST13, extra_vars={"certbot_test_force_renewal": True},
                          tags="certificate")
    assert forced.rc == 0, forced.failure_messages()
    try:
        server.check("systemctl start certbot.service", timeout=180)
        after = {port: poll(lambda port=port: served_key(server, port), until=lambda key: key[1] != before[1],
                            timeout=60, what="a new certificate on port %d" % port) for port in (25, 465, 587)}
    finally:
        again = run_playbook(converge, molecule_env, limit=HOST13, tags="certificate")
        assert again.rc == 0, again.failure_messages()
    assert {digest for digest, _serial in after.values()} == {before[0]}, (before, after)
    assert (3, 1, 1, before[0]) in values and next_key(server) == prepared
    report("%s DANE: certbot.service renewed (serial %s -> %s), same key on 25/465/587: the TLSA still matches"
           % (HOST13, before[1], after[25][1]))


@pytest.mark.parametrize("name", HOSTS)
def test_a_client_that_knows_only_the_address_sets_itself_up_from_srv(hosts, name, pebble_roots, report):
    server = hosts[name]
    domain = server.vars["site_domain"]
    target = server.vars["mail_hostname"] + "."
    found = {service: srv("_%s._tcp.%s" % (service, domain))
             for service in ("submissions", "submission", "imaps", "pop3s", "imap", "pop3", "sieve")}
    # 143 and 110 (STARTTLS) are offered where the inventory turns them on, after 993 and 995.
    starttls = {"imap": (10, 1, 143, target), "pop3": (30, 1, 110, target)}
    offered = {protocol: str(server.vars.get("dovecot_%s_starttls_enabled" % protocol, False)).lower() == "true" for protocol in starttls}
    assert found == {"submissions": [(0, 1, 465, target)], "submission": [(10, 1, 587, target)],
                     "imaps": [(0, 1, 993, target)], "pop3s": [(20, 1, 995, target)],
                     "imap": [starttls["imap"] if offered["imap"] else (0, 0, 0, ".")],
                     "pop3": [starttls["pop3"] if offered["pop3"] else (0, 0, 0, ".")],
                     "sieve": [(0, 1, 4190, target)]}, found
    (_p, _w, imap_port, imap_host), = found["imaps"]
    (_p, _w, smtp_port, smtp_host), = found["submissions"]
    address = lab_resolver().resolve(imap_host, "A")[0].address
    user = "alice@%s" % domain
    # The client connects to the address the target resolves to and verifies the certificate for
    # the target's name (the lab names are not in the controller's /etc/hosts).
    imap_fetch(address, user, PASSWORD, pebble_roots, server_hostname=imap_host.rstrip("."), port=imap_port)
    sent = send(address, smtp_port, user, [user], headers={"Subject": "set up from SRV"}, tls="implicit",
                auth=(user, PASSWORD), cafile=pebble_roots, server_hostname=smtp_host.rstrip("."))
    assert sent.code == 250, sent
    report("%s SRV: a client set itself up from %s alone: IMAPS %s:%d and submissions %s:%d, logged in and sent with "
           "the certificate verified; 143/110: %s" % (name, domain, imap_host, imap_port, smtp_host, smtp_port,
                                                      "offered after 993/995" if any(offered.values()) else "not offered (target .)"))


@pytest.mark.parametrize("name", HOSTS)
def test_every_domain_publishes_tls_rpt(hosts, name):
    server = hosts[name]
    for domain in (server.vars["site_domain"], "lists." + server.vars["site_domain"]):
        answer = lab_resolver().resolve("_smtp._tls." + domain, "TXT")
        values = [b"".join(r.strings).decode() for r in answer]
        assert len(values) == 1 and values[0].startswith("v=TLSRPTv1; rua=mailto:"), (domain, values)


# --- DANE for the mail the server sends (Debian 13: its resolver trusts peer.test's DS) ---------

PEER_ADDRESS = "10.47.25.25"
PEER_MX = "mx.peer.test"
CAPTURE = "/var/mail/capture/inbox/new"


def forget_peer_dns(server):
    """The host forgets peer.test's records now rather than after their TTL (60 s in the lab): its
    Unbound's cache, and Postfix's smtp processes, which keep the TLSA records they looked up (a
    restart starts new ones; the queue stays)."""
    server.check("unbound-control flush_zone peer.test && unbound-control flush_bogus && unbound-control flush_negative")
    server.check("systemctl restart postfix.service", timeout=90)


def send_to_peer(server, mark):
    server.check("printf 'From: root@%s\\nTo: dane@peer.test\\nSubject: dane\\nX-Run: %s\\n\\nbody\\n' "
                 "| /usr/sbin/sendmail dane@peer.test" % (server.vars["mail_hostname"], mark))


def arrived(peer, mark):
    """The peer's files holding the message marked `mark`."""
    return peer.sh('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null || true' % CAPTURE, mark).stdout.split()


def test_mail_to_a_receiver_with_dane_goes_verified_or_waits_then_arrives_once(hosts, peer, lab_dns, run_id, report):
    server = hosts[HOST13]
    settings = dict(line.split(" = ", 1) for line in server.check(
        "postconf smtp_tls_security_level smtp_dns_support_level").splitlines())
    assert settings == {"smtp_tls_security_level": "dane", "smtp_dns_support_level": "dnssec"}, settings
    peer_key = served_certificate(PEER_ADDRESS, 25, None, PEER_MX).spki_sha256
    tlsa = "_25._tcp." + PEER_MX
    try:
        lab_dns.set(tlsa, "TLSA", "3 1 1 " + peer_key)
        forget_peer_dns(server)
        cursor = journal_mark(server)
        send_to_peer(server, run_id + "-dane-good")
        poll(lambda: arrived(peer, run_id + "-dane-good"), timeout=60, what="the DANE-verified message at the peer")
        verified = journal_wait(server, cursor, r"Verified TLS connection established to %s" % re.escape(PEER_MX),
                                identifier="postfix/smtp")

        # The TLSA no longer matches: the message waits in the queue, never sent unverified.
        lab_dns.set(tlsa, "TLSA", "3 1 1 " + "00" * 32)
        forget_peer_dns(server)
        cursor = journal_mark(server)
        send_to_peer(server, run_id + "-dane-bad")
        deferred = journal_wait(server, cursor, r"to=<dane@peer\.test>.*status=deferred", identifier="postfix/smtp",
                                timeout=60)
        assert arrived(peer, run_id + "-dane-bad") == []
        queued = server.check("postqueue -j")
        assert "dane@peer.test" in queued, queued

        # Fixed and flushed: it arrives, once.
        lab_dns.set(tlsa, "TLSA", "3 1 1 " + peer_key)
        forget_peer_dns(server)
        flush_queue(server, timeout=60)
        files = poll(lambda: arrived(peer, run_id + "-dane-bad"), timeout=60, what="the deferred message at the peer")
        time.sleep(2)  # a second copy would come within the same flush
        assert len(arrived(peer, run_id + "-dane-bad")) == len(files) == 1
    finally:
        lab_dns.restore()
        forget_peer_dns(server)
    report("%s DANE out: TLSA of %s matching -> %s; wrong -> %s, not sent; fixed and flushed -> arrived once"
           % (HOST13, PEER_MX, verified[0]["MESSAGE"][:70], re.sub(r".*status=", "status=", deferred[0]["MESSAGE"])[:90]))


# --- DANE for the mail the server receives, as a real MTA checks it -------------------------------

PEER_LOG = "/var/log/postfix.log"
# The lab resolver keeps answers 2 s (cache-max-ttl): past that, a changed record is what it says.
LAB_RESOLVER_CACHE = 3


def peer_log_since(peer, offset):
    """The peer Postfix's log lines written after `offset` bytes."""
    return peer.sh("tail -c +$(($1 + 1)) %s" % PEER_LOG, str(offset)).stdout


def peer_log_size(peer):
    return int(peer.check("stat", "-c", "%s", PEER_LOG).strip())


def peer_sends(peer, server, mark):
    domain = server.vars["site_domain"]
    peer.sh("printf 'From: someone@peer.test\\nTo: alice@%s\\nSubject: dane in\\nX-Run: %s\\n\\nbody\\n' "
            "| sendmail -f someone@peer.test alice@%s" % (domain, mark, domain))


def delivered(server, mark):
    """The messages in alice's Maildir (new/ and cur/, not Dovecot's index files) marked `mark`."""
    maildir = "/var/vmail/%s/alice/Maildir" % server.vars["site_domain"]
    found = server.run("grep -rlxF %s %s/new %s/cur 2>/dev/null || true", "X-Run: " + mark, maildir, maildir)
    return found.stdout.split()


def test_a_peer_that_uses_dane_verifies_the_server_or_waits(hosts, peer, lab_dns, run_id, report):
    # The peer's Postfix sends with smtp_tls_security_level = dane through the lab resolver, which
    # trusts the host's signed zone; the TLSA is the one site.yml wrote (published by test_rerun).
    server = hosts[HOST13]
    name = "_25._tcp.%s" % server.vars["mail_hostname"]
    published = lab_dns.get(name, "TLSA")
    assert len(published) == 2, published  # the key in use and the next one
    offset = peer_log_size(peer)
    peer_sends(peer, server, run_id + "-in-good")
    poll(lambda: delivered(server, run_id + "-in-good"), timeout=60, what="the peer's DANE-verified message in alice's Maildir")
    verified = poll(lambda: re.findall(r"Verified TLS connection established to %s\S*" % re.escape(server.vars["mail_hostname"]),
                                       peer_log_since(peer, offset)), timeout=20, what="the peer logging a verified connection")

    lab_dns.set(name, "TLSA", "3 1 1 " + "00" * 32)
    time.sleep(LAB_RESOLVER_CACHE)
    offset = peer_log_size(peer)
    peer_sends(peer, server, run_id + "-in-bad")
    deferred = poll(lambda: re.findall(r"to=<alice@%s>.*status=deferred[^\n]*" % re.escape(server.vars["site_domain"]),
                                       peer_log_since(peer, offset)), timeout=60, what="the peer deferring the message")
    assert delivered(server, run_id + "-in-bad") == []

    lab_dns.restore()
    time.sleep(LAB_RESOLVER_CACHE)
    peer.check("postqueue", "-f")
    poll(lambda: delivered(server, run_id + "-in-bad"), timeout=60, what="the deferred message in alice's Maildir")
    time.sleep(2)
    assert len(delivered(server, run_id + "-in-bad")) == 1
    report("%s DANE in: the peer's Postfix (dane) -> %s; the TLSA made wrong -> %s; fixed, flushed -> delivered once"
           % (HOST13, verified[0], re.sub(r".*status=", "status=", deferred[0])[:80]))


# --- A key rollover that never leaves senders without a matching TLSA (Debian 13) ------------------


def tlsa_check(checks):
    """The doctor's "tlsa" check among its results, found by name."""
    found = [check for check in checks if check["check"] == "tlsa"]
    assert len(found) == 1, checks
    return found[0]


def peer_verifies(peer, server, mark):
    """The peer's Postfix (DANE) delivers a message to the host; the line saying it verified it."""
    offset = peer_log_size(peer)
    peer_sends(peer, server, mark)
    poll(lambda: delivered(server, mark), timeout=60, what="the peer's message %s in alice's Maildir" % mark)
    return poll(lambda: re.findall(r"Verified TLS connection established to %s\S*" % re.escape(server.vars["mail_hostname"]),
                                   peer_log_since(peer, offset)), timeout=20, what="the peer logging a verified connection")[0]


def test_a_key_rollover_serves_the_next_key_only_once_its_tlsa_is_published(hosts, peer, lab_dns, molecule_env,
                                                                            project_dir, run_id, tmp_path, report):
    server = hosts[HOST13]
    name = "_25._tcp.%s" % server.vars["mail_hostname"]
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    current, prepared = served_key(server, 25)[0], next_key(server)
    assert published_tlsa(name)[0] == sorted([(3, 1, 1, current), (3, 1, 1, prepared)])

    # The next key's record withdrawn: asked to roll over, the run warns and keeps the key in use.
    lab_dns.set(name, "TLSA", "3 1 1 " + current)
    time.sleep(LAB_RESOLVER_CACHE)
    waited = run_playbook(converge, molecule_env, limit=HOST13, extra_vars={"mail_tls_key_rollover": True},
                          tags="certificate")
    assert waited.rc == 0, waited.failure_messages()
    said = " ".join(waited.output.split())
    warning = re.search(r"The certificate in use keeps its key for now \(certbot_key_rollover asks for the next key\): "
                        r"%s\.? TLSA is 3 1 1 %s, without 3 1 1 %s\. Publish" % (re.escape(name), current, prepared), said)
    assert warning, said[-3000:]
    assert waited.changed(HOST13) == [], waited.changed(HOST13)
    assert (served_key(server, 25)[0], next_key(server)) == (current, prepared)

    # Published: the same run serves the next key on every port and prepares a new one.
    lab_dns.restore()
    time.sleep(LAB_RESOLVER_CACHE)
    rolled = run_playbook(converge, molecule_env, limit=HOST13, extra_vars={"mail_tls_key_rollover": True})
    assert rolled.rc == 0, rolled.failure_messages()
    after = {port: poll(lambda port=port: served_key(server, port), until=lambda key: key[0] == prepared,
                        timeout=60, what="the next key on port %d" % port) for port in (25, 465, 587)}
    fresh = next_key(server)
    assert fresh not in (current, prepared)
    # The records to publish: the key now in use and the new next one; the doctor asks for the latter.
    fragment = Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"], "dns-records", server.vars["site_domain"] + ".zone")
    tlsa = re.findall(r"(?m)^_25\._tcp\.\S+ \d+ IN TLSA 3 1 1 ([0-9a-f]{64})$", fragment.read_text())
    assert tlsa == [prepared, fresh], tlsa
    records = [{"name": name + ".", "type": "TLSA", "value": "3 1 1 " + value} for value in tlsa]
    check = tlsa_check(doctor_checks(molecule_env, tmp_path, ["tlsa"], server.vars["mail_hostname"],
                                     [server.vars["site_domain"]], records, [DOCTOR_RESOLVER]))
    assert check["status"] == "warn" and ("3 1 1 " + fresh) in check["remedy"], check
    # Senders that use DANE matched the new key from its first connection: the peer verifies it.
    verified = peer_verifies(peer, server, run_id + "-rolled")

    lab_dns.load(fragment)
    time.sleep(LAB_RESOLVER_CACHE)
    check = tlsa_check(doctor_checks(molecule_env, tmp_path, ["tlsa"], server.vars["mail_hostname"],
                                     [server.vars["site_domain"]], records, [DOCTOR_RESOLVER]))
    assert check["status"] == "ok", check
    again = peer_verifies(peer, server, run_id + "-republished")
    report("%s rollover: next key's TLSA withdrawn -> '%s...', key kept; published -> 25/465/587 serve %s... (serial %s), "
           "new next key %s...; the peer's DANE: %s, and after republishing: %s"
           % (HOST13, warning.group(0)[:80], prepared[:16], after[25][1], fresh[:16], verified, again))
