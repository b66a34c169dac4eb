"""MTA-STS and the files mail clients set themselves up from (issue 17, second part), after
test_rerun.py published the records site.yml wrote and the next run put the web endpoint's names on
the certificate:

  * from the peer, over HTTPS trusting only the lab's ACME root: each domain's MTA-STS policy at
    mta-sts.<domain> (mode enforce in the lab, the host as the only MX), whose digest is the id of
    the `_mta-sts` TXT record in the lab DNS, so the two cannot disagree; Thunderbird's autoconfig
    naming IMAPS 993 and submission at the host; Outlook's autodiscover answering a POST; 404 for
    anything else, and a redirect to HTTPS on port 80;
  * outbound enforcement between the two hosts, each enforcing its own policy: the sender's
    postfix-mta-sts-resolver answers "secure match=<MX>" for the receiver's domain, the mail goes
    over a verified TLS connection; with the receiver serving a certificate that does not chain to
    a trusted CA the mail waits in the queue (never sent unverified), and once the receiver is
    fixed and the queue flushed it arrives exactly once. Debian 12 sends to 13 and 13 to 12.
Run by extensions/molecule/site/verify.yml.
"""

import hashlib
import re
import time
import xml.etree.ElementTree as ET

import dns.resolver
import pytest

from lablib import flush_queue, journal_mark, journal_wait, poll
from lablib.doctor import doctor_checks

HOSTS = ["site-debian13", "site-debian12"]
LAB_DNS_SERVER = "10.47.25.53"


def local(tag):
    return tag.rsplit("}", 1)[-1]


def txt(name):
    """The TXT values at name, in the lab DNS."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [LAB_DNS_SERVER]
    resolver.cache = None
    return sorted(b"".join(r.strings).decode() for r in resolver.resolve(name, "TXT"))


@pytest.mark.parametrize("name", HOSTS)
def test_the_policy_is_served_over_https_and_its_txt_id_is_its_digest(hosts, peer, name, report):
    server = hosts[name]
    for domain in (server.vars["site_domain"], "lists." + server.vars["site_domain"]):
        status, body = peer.https("https://mta-sts.%s/.well-known/mta-sts.txt" % domain)
        assert status == 200, (domain, status, body)
        lines = body.replace("\r\n", "\n").strip().split("\n")
        assert lines == ["version: STSv1", "mode: enforce", "mx: %s" % server.vars["mail_hostname"], "max_age: 604800"], lines
        assert body.endswith("\r\n")  # RFC 8461 3.2 (CRLF lines)
        records = txt("_mta-sts." + domain)
        assert records == ["v=STSv1; id=%s" % hashlib.sha256(body.encode()).hexdigest()[:20]], records
    report("%s: https://mta-sts.%s/.well-known/mta-sts.txt -> %s; _mta-sts TXT %s (the policy's digest)"
           % (name, server.vars["site_domain"], " | ".join(lines), records[0]))


@pytest.mark.parametrize("name", HOSTS)
def test_thunderbird_autoconfig_names_imaps_and_submission_at_the_host(hosts, peer, name, report):
    server = hosts[name]
    status, body = peer.https("https://autoconfig.%s/mail/config-v1.1.xml" % server.vars["site_domain"])
    assert status == 200, body
    provider = ET.fromstring(body).find("emailProvider")
    assert server.vars["site_domain"] in [d.text for d in provider.findall("domain")]
    servers = [(s.get("type"), s.findtext("hostname"), int(s.findtext("port")), s.findtext("socketType"))
               for s in list(provider.findall("incomingServer")) + list(provider.findall("outgoingServer"))]
    host = server.vars["mail_hostname"]
    assert servers[0] == ("imap", host, 993, "SSL"), servers
    assert ("smtp", host, 465, "SSL") in servers and ("smtp", host, 587, "STARTTLS") in servers, servers
    report("%s autoconfig: %s" % (name, ", ".join("%s %s:%d %s" % s for s in servers)))


@pytest.mark.parametrize("name", HOSTS)
def test_outlook_autodiscover_answers_a_post(hosts, peer, name, report):
    server = hosts[name]
    query = ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
             'autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@%s</EMailAddress>'
             '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/'
             '2006a</AcceptableResponseSchema></Request></Autodiscover>' % server.vars["site_domain"])
    # Outlook asks with either letter case.
    for path in ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"):
        status, body = peer.https("https://autodiscover.%s%s" % (server.vars["site_domain"], path),
                                  "-X", "POST", "-H", "Content-Type: text/xml", "--data-binary", query)
        assert status == 200, (path, status, body)
        protocols = {p.findtext("{*}Type"): (p.findtext("{*}Server"), int(p.findtext("{*}Port")))
                     for p in ET.fromstring(body).iter() if local(p.tag) == "Protocol"}
        assert protocols["IMAP"] == (server.vars["mail_hostname"], 993), protocols
        assert protocols["SMTP"] == (server.vars["mail_hostname"], 465), protocols
    report("%s autodiscover POST: 200, %s" % (name, protocols))


def test_everything_else_is_404_and_port_80_redirects(hosts, peer):
    server = hosts["site-debian13"]
    domain = server.vars["site_domain"]
    assert peer.https("https://mta-sts.%s/" % domain)[0] == 404
    assert peer.https("https://mta-sts.%s/mail/config-v1.1.xml" % domain)[0] == 404
    assert peer.https("https://%s/.well-known/mta-sts.txt" % server.vars["mail_hostname"])[0] == 404
    assert peer.https("https://mta-sts.%s/.well-known/mta-sts.txt" % domain, "-X", "POST")[0] == 405
    assert peer.https("http://mta-sts.%s/.well-known/mta-sts.txt" % domain)[0] == 301
    assert peer.https("http://%s/.well-known/acme-challenge/nothing" % server.vars["mail_hostname"])[0] == 404


# --- Outbound: each host enforces the other's policy ----------------------------------------------

SELF_SIGNED = "/etc/postmaster-mail/tls/selfsigned"


def send(sender, receiver, mark):
    domain = receiver.vars["site_domain"]
    sender.check("printf 'From: root@%s\\nTo: alice@%s\\nSubject: mta-sts\\nX-Run: %s\\n\\nbody\\n' "
                 "| /usr/sbin/sendmail alice@%s" % (sender.vars["site_domain"], domain, mark, domain))


def delivered(server, mark):
    maildir = "/var/vmail/%s/alice/Maildir" % server.vars["site_domain"]
    return server.run("grep -rlxF %s %s/new %s/cur 2>/dev/null || true", "X-Run: " + mark, maildir, maildir).stdout.split()


@pytest.mark.parametrize("sender_name,receiver_name", [("site-debian12", "site-debian13"), ("site-debian13", "site-debian12")])
def test_mail_to_a_domain_enforcing_mta_sts_goes_verified_or_waits_then_arrives_once(
        hosts, run_id, sender_name, receiver_name, report):
    sender, receiver = hosts[sender_name], hosts[receiver_name]
    domain, mx = receiver.vars["site_domain"], receiver.vars["mail_hostname"]
    policy = sender.check("postmap -q %s socketmap:inet:127.0.0.1:8461:postfix", domain).strip()
    assert policy == "secure match=%s servername=hostname" % mx, policy

    cursor = journal_mark(sender)
    send(sender, receiver, run_id + "-sts-good")
    poll(lambda: delivered(receiver, run_id + "-sts-good"), timeout=60, what="the message in alice's Maildir")
    verified = journal_wait(sender, cursor, r"Verified TLS connection established to %s" % re.escape(mx),
                            identifier="postfix/smtp")

    chain = receiver.check("postconf -h smtpd_tls_chain_files").strip()
    try:
        # The receiver serves a certificate no CA signed: the sender must not deliver.
        receiver.check("postconf -e 'smtpd_tls_chain_files = %s/privkey.pem, %s/fullchain.pem' && postfix reload"
                       % (SELF_SIGNED, SELF_SIGNED))
        cursor = journal_mark(sender)
        send(sender, receiver, run_id + "-sts-bad")
        deferred = journal_wait(sender, cursor, r"to=<alice@%s>.*status=deferred" % re.escape(domain),
                                identifier="postfix/smtp", timeout=60)
        assert delivered(receiver, run_id + "-sts-bad") == []
        assert "alice@" + domain in sender.check("postqueue -j")
    finally:
        receiver.check("postconf -e 'smtpd_tls_chain_files = %s' && postfix reload" % chain)
    flush_queue(sender, timeout=60)
    files = poll(lambda: delivered(receiver, run_id + "-sts-bad"), timeout=60, what="the deferred message in alice's Maildir")
    time.sleep(2)  # a second copy would come within the same flush
    assert len(delivered(receiver, run_id + "-sts-bad")) == len(files) == 1
    report("%s -> %s (MTA-STS enforce, policy %r): %s; untrusted certificate -> %s; fixed, flushed -> delivered once"
           % (sender_name, domain, policy, verified[0]["MESSAGE"][:80],
              re.sub(r".*status=", "status=", deferred[0]["MESSAGE"])[:110]))


# --- The doctor, on a good and a broken setup ------------------------------------------------------

# The doctor asks the lab's validating resolver, which keeps answers 2 s (cache-max-ttl): past
# that, a changed record is what it says.
DOCTOR_RESOLVER = "10.47.25.54"
LAB_RESOLVER_CACHE = 3


def doctor(molecule_env, tmp_path, server, expected, ca_bundle):
    """The doctor's mta-sts and autoconfig checks of the host's first domain, {check: result};
    expected: (the policy text, the TXT value) site.yml wrote."""
    domain, host = server.vars["site_domain"], server.vars["mail_hostname"]
    policy, value = expected
    records = [{"name": "_mta-sts.%s." % domain, "type": "TXT", "value": value},
               {"name": "autoconfig.%s." % domain, "type": "A", "value": server.address}]
    checks = doctor_checks(molecule_env, tmp_path, ["mta-sts", "autoconfig"], host, [domain], records,
                           [DOCTOR_RESOLVER], policy=policy, ca_bundle=ca_bundle)
    return {check["check"]: check for check in checks}


def test_the_doctor_fetches_the_policy_and_fails_when_senders_could_not(
        hosts, peer, lab_dns, molecule_env, tmp_path, pebble_roots, report):
    server = hosts["site-debian13"]
    domain = server.vars["site_domain"]
    expected = (peer.https("https://mta-sts.%s/.well-known/mta-sts.txt" % domain)[1], txt("_mta-sts." + domain)[0])
    good = doctor(molecule_env, tmp_path, server, expected, pebble_roots)
    assert (good["mta-sts"]["status"], good["autoconfig"]["status"]) == ("ok", "ok"), good

    # mta-sts.<domain> points at a host that does not serve the policy (the peer): senders cannot fetch it.
    lab_dns.set("mta-sts." + domain, "A", "10.47.25.25")
    lab_dns.delete("mta-sts." + domain, "AAAA")
    time.sleep(LAB_RESOLVER_CACHE)
    unreachable = doctor(molecule_env, tmp_path, server, expected, pebble_roots)["mta-sts"]
    lab_dns.restore()
    assert unreachable["status"] == "fail", unreachable

    # A TXT id that is not the policy's: senders keep a stale cached policy.
    lab_dns.set("_mta-sts." + domain, "TXT", '"v=STSv1; id=0000stale"')
    time.sleep(LAB_RESOLVER_CACHE)
    stale = doctor(molecule_env, tmp_path, server, expected, pebble_roots)["mta-sts"]
    lab_dns.restore()
    assert stale["status"] in ("warn", "fail") and "id" in stale["remedy"], stale
    report("site-debian13 doctor: MTA-STS %s (%s); autoconfig %s; mta-sts.%s elsewhere -> %s: %s; stale id -> %s: %s"
           % (good["mta-sts"]["status"], good["mta-sts"]["found"][:70], good["autoconfig"]["status"], domain,
              unreachable["status"], (unreachable["found"] + " / " + unreachable["remedy"])[:140], stale["status"],
              stale["remedy"][:100]))


def test_with_the_policy_resolver_down_mail_waits_rather_than_leave_unverified(hosts, run_id, report):
    sender, receiver = hosts["site-debian13"], hosts["site-debian12"]
    domain = receiver.vars["site_domain"]
    try:
        sender.check("systemctl stop postfix-mta-sts-resolver.service")
        cursor = journal_mark(sender)
        send(sender, receiver, run_id + "-sts-down")
        deferred = journal_wait(sender, cursor, r"to=<alice@%s>.*status=deferred" % re.escape(domain),
                                identifier="postfix/smtp", timeout=60)
        assert delivered(receiver, run_id + "-sts-down") == []
    finally:
        sender.check("systemctl start postfix-mta-sts-resolver.service")
    poll(lambda: sender.run("postmap -q %s socketmap:inet:127.0.0.1:8461:postfix", domain).rc == 0,
         timeout=30, what="the resolver answering again")
    flush_queue(sender, timeout=60)
    files = poll(lambda: delivered(receiver, run_id + "-sts-down"), timeout=60, what="the deferred message in alice's Maildir")
    time.sleep(2)  # a second copy would come within the same flush
    assert len(delivered(receiver, run_id + "-sts-down")) == len(files) == 1
    report("site-debian13 -> %s with postfix-mta-sts-resolver stopped: %s; started, flushed -> delivered once"
           % (domain, re.sub(r".*status=", "status=", deferred[0]["MESSAGE"])[:120]))
