"""The certbot role through playbooks/site.yml (roles-certbot) against the lab's Pebble: the three TLS
modes (acme, selfsigned, files) with their files, links, owners and modes; every TLS port serving
the certificate of the mode in force; check mode and failures ordering nothing; renewal the way
production runs it (certbot.service) reloading every consumer; bad input refused before /etc
changes. Behaviour only (files, modes, what is served, orders, reloads), not how the role does it.

The tests run in file order and build on each other (issued -> check mode -> renewed -> failures ->
modes), as the old YAML did; `state` carries what one proves to the next.
Run by extensions/molecule/roles/verify.yml; fixtures in tests/verify/conftest.py and ./conftest.py.
"""

import imaplib
import poplib
import re

import pytest

from lablib import journal_mark, journal_since, poll
from lablib.acme import order_count
from lablib.playbook import run_playbook
from lablib.tlsprobe import MAIL_TLS_PORTS, pem_identity, served_certificates

HOST = "roles-certbot"
PLAYBOOK = "postmaster.mail.site"
PASSWORD = "alice-Secret-1"  # the scenario's test user; must never show in a run's output
TLS = "/etc/postmaster-mail/tls"
RELOAD_SCRIPT = "/usr/local/sbin/postmaster-mail-tls-reload"
DEPLOY_HOOK = "/etc/letsencrypt/renewal-hooks/deploy/postmaster-mail"
CONFIGS = ("/etc/postfix/main.cf", "/etc/dovecot/dovecot.conf")
OWN_CERT, OWN_KEY = "/root/own.crt", "/root/own.key"

BAD_INPUT = [
    # The server role's argument spec (choices) answers first.
    ("mode not in the list", {"mail_tls_mode": "letsencrypt"},
     r"value of mail_tls_mode must be one of: acme, selfsigned, files, got: letsencrypt"),
    ("files mode without files", {"mail_tls_mode": "files"},
     r"mail_tls_cert_file / mail_tls_key_file: mail_tls_mode files needs both"),
    ("directory over plain http", {"mail_acme_directory": "http://acme.lab.test:14000/dir"},
     r"mail_acme_directory: must be the https:// URL of an ACME directory"),
    ("e-mail without a domain", {"mail_acme_email": "postmaster"},
     r'mail_acme_email: must be an e-mail address such as postmaster@example.org, got "postmaster"'),
]


@pytest.fixture(scope="module")
def mail_host(hosts):
    return hosts[HOST]


@pytest.fixture(scope="module")
def name(mail_host):
    return mail_host.vars["mail_hostname"]


@pytest.fixture(scope="module")
def live(name):
    return "/etc/letsencrypt/live/%s" % name


@pytest.fixture(scope="module")
def state():
    return {}


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    report("certbot: %s" % "; ".join("%s: %s" % item for item in found.items()))


@pytest.fixture(scope="module")
def site(molecule_env):
    """site(extra_vars, tags=None, check=False, diff=False): site.yml on this host only; the
    output must never carry the test user's password."""
    def run(extra_vars=None, tags=None, check=False, diff=False):
        result = run_playbook(PLAYBOOK, molecule_env, limit=HOST, extra_vars=extra_vars, tags=tags, check=check, diff=diff,
                              timeout=900)
        assert PASSWORD not in result.output
        return result
    return run


@pytest.fixture(scope="module")
def served(mail_host, name, pebble_roots):
    """served(fingerprint): what every TLS port serves, once all of them serve that certificate
    (a reload lets old processes finish their sessions first)."""
    def wait(fingerprint, what):
        return poll(lambda: served_certificates(mail_host.address, pebble_roots, name),
                    until=lambda found: [s.fingerprint for s in found] == [fingerprint] * len(MAIL_TLS_PORTS),
                    timeout=30, interval=1, ignore=(OSError, imaplib.IMAP4.error, poplib.error_proto),
                    what="%s: every TLS port serving %s" % (what, fingerprint))
    return wait


def disk_cert(mail_host, path):
    return pem_identity(mail_host.check("cat %s", path))


def test_acme_certificate_in_place(mail_host, name, live, served, state, findings):
    chain = mail_host.check("postconf -h smtpd_tls_chain_files").strip()
    assert chain == "%s/privkey.pem, %s/fullchain.pem" % (TLS, TLS)
    dovecot = mail_host.check("doveconf -h ssl_server/cert_file ssl_server/key_file").split()
    assert dovecot == ["%s/fullchain.pem" % TLS, "%s/privkey.pem" % TLS]

    files = mail_host.host.file
    assert files("%s/current" % TLS).is_symlink and files("%s/current" % TLS).linked_to == live
    for path, mode in (("%s/privkey.pem" % TLS, 0o600), ("%s/fullchain.pem" % TLS, 0o644),
                       ("%s/selfsigned/privkey.pem" % TLS, 0o600), ("%s/selfsigned/fullchain.pem" % TLS, 0o644),
                       ("%s/privkey.pem" % live, 0o600)):
        # testinfra's user/group/mode follow links, as stat -L does.
        assert (files(path).user, files(path).group, files(path).mode) == ("root", "root", mode), path
    assert not files("%s/selfsigned/privkey.pem" % TLS).is_symlink
    assert (files(RELOAD_SCRIPT).user, files(RELOAD_SCRIPT).mode) == ("root", 0o755)
    assert files(DEPLOY_HOOK).is_symlink and files(DEPLOY_HOOK).linked_to == RELOAD_SCRIPT

    issued = disk_cert(mail_host, "%s/cert.pem" % live)
    assert issued.issuer.startswith("CN=Pebble Intermediate CA"), issued.issuer
    ports = served(issued.fingerprint, "issued")
    assert [s.port for s in ports] == list(MAIL_TLS_PORTS)
    assert {s.serial for s in ports} == {issued.serial}
    assert all(s.verified for s in ports), [(s.port, s.error) for s in ports if not s.verified]
    state["issued"] = issued
    findings["acme"] = "ports %s serve serial %s, verified against Pebble's root for %s" % (
        ", ".join(map(str, MAIL_TLS_PORTS)), issued.serial, name)


def test_check_mode_orders_nothing(site, state, findings):
    orders = order_count()
    run = site(check=True, diff=True)
    assert run.rc == 0, run.failure_messages()
    assert run.stats[HOST]["changed"] == 0, [(r.role, r.task, r.item_label) for r in run.changed(HOST)]
    assert order_count() == orders, "check mode ordered a certificate"
    findings["check+diff rerun"] = "changed=0, no order"


@pytest.mark.converges
def test_renewal_reloads_every_consumer(site, mail_host, live, served, state, findings):
    assert "issued" in state, "needs test_acme_certificate_in_place"
    # A test-only setting of the role that makes certbot.service renew now.
    run = site({"certbot_test_force_renewal": True}, tags="certificate")
    assert run.rc == 0, run.failure_messages()
    cursor = journal_mark(mail_host)
    mail_host.check("systemctl start certbot.service", timeout=180)
    renewed = disk_cert(mail_host, "%s/cert.pem" % live)
    assert renewed.serial != state["issued"].serial
    hook = [entry["MESSAGE"] for entry in journal_since(mail_host, cursor, identifier="postmaster-mail-tls")]
    for consumer in ("postfix", "dovecot"):
        assert hook.count("reloaded %s for %s" % (consumer, live)) == 1, hook
    ports = served(renewed.fingerprint, "renewed")
    assert {s.serial for s in ports} == {renewed.serial}
    assert all(s.verified for s in ports), [(s.port, s.error) for s in ports if not s.verified]
    state["renewed"] = renewed
    findings["renewal"] = "certbot.service renewed %s -> %s, hook reloaded postfix and dovecot, every port serves it" % (
        state["issued"].serial, renewed.serial)


@pytest.mark.converges
def test_failures_keep_the_certificate(site, mail_host, name, served, state, findings):
    assert "renewed" in state, "needs test_renewal_reloads_every_consumer"
    extra_name, unpublished = mail_host.vars["lab_extra_name"], mail_host.vars["lab_unpublished_name"]
    address = re.escape(mail_host.address)
    orders = order_count()
    state["orders"] = orders

    run = site({"mail_tls_extra_names": [extra_name], "mail_acme_directory": "https://acme.lab.test:14999/dir"})
    assert run.rc != 0, "accepted with the ACME server unreachable: %s" % run.summary()
    said = "\n".join(run.failure_messages(HOST))
    for pattern in (r"certbot could not obtain a certificate for %s from https://acme\.lab\.test:14999/dir"
                    % re.escape(", ".join(sorted([name, extra_name]))),
                    r"The services keep the certificate they have",
                    r"Check. the A/AAAA records of these names point at this host \(%s\); port 80" % address,
                    r"rate limits",
                    r"certbot said. .*(Connection refused|Max retries)"):
        assert re.search(pattern, said), "%r not in: %s" % (pattern, said)

    run = site({"mail_tls_extra_names": [unpublished]}, tags="certificate_obtain")
    assert run.rc != 0, "accepted a name without an A record: %s" % run.summary()
    said = "\n".join(run.failure_messages(HOST))
    for pattern in (r"Not asking https://acme\.lab\.test:14000/dir for a certificate",
                    r"%s has no A/AAAA record \(nxdomain" % re.escape(unpublished),
                    r"Publish the A/AAAA records of these names with this host.s addresses \(%s" % address):
        assert re.search(pattern, said), "%r not in: %s" % (pattern, said)

    assert order_count() == orders, "a failed run ordered a certificate"
    mail_host.check("systemctl is-active postfix dovecot")
    ports = served(state["renewed"].fingerprint, "after the failures")
    assert {s.serial for s in ports} == {state["renewed"].serial}
    findings["failures"] = "ACME unreachable and a name without an A record: refused with advice, no order, certificate kept"


def config_digests(mail_host):
    return mail_host.check("sha256sum %s %s", *CONFIGS)


@pytest.mark.converges
def test_selfsigned_and_files_modes_and_back(site, mail_host, served, state, findings):
    assert "renewed" in state and "orders" in state, "needs the renewal and failure tests"
    configs = config_digests(mail_host)

    run = site({"mail_tls_mode": "selfsigned"})
    assert run.rc == 0, run.failure_messages()
    assert run.changed(HOST), "switching to selfsigned mode changed nothing"
    touched = [(r.role, r.task) for r in run.changed(HOST) if (r.role or "").rsplit(".", 1)[-1] in ("postfix", "dovecot")]
    assert not touched, "the switch changed Postfix's or Dovecot's configuration: %s" % touched
    selfsigned = disk_cert(mail_host, "%s/selfsigned/fullchain.pem" % TLS)
    served(selfsigned.fingerprint, "selfsigned mode")

    mail_host.check("test -e %s || openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=%s -addext "
                    "subjectAltName=DNS:%s -keyout %s -out %s 2>/dev/null", OWN_CERT, mail_host.vars["mail_hostname"],
                    mail_host.vars["mail_hostname"], OWN_KEY, OWN_CERT)
    own = disk_cert(mail_host, OWN_CERT)
    run = site({"mail_tls_mode": "files", "mail_tls_cert_file": OWN_CERT, "mail_tls_key_file": OWN_KEY}, tags="certificate")
    assert run.rc == 0, run.failure_messages()
    served(own.fingerprint, "files mode")
    files = mail_host.host.file
    assert files("%s/current" % TLS).linked_to == "%s/files" % TLS
    assert mail_host.check("readlink %s", "%s/files/privkey.pem" % TLS).strip() == OWN_KEY
    assert mail_host.check("readlink %s", "%s/privkey.pem" % TLS).strip() == "current/privkey.pem"

    run = site(tags="certificate")
    assert run.rc == 0, run.failure_messages()
    ports = served(state["renewed"].fingerprint, "acme mode again")
    assert all(s.verified for s in ports), [(s.port, s.error) for s in ports if not s.verified]
    assert config_digests(mail_host) == configs, "main.cf or dovecot.conf changed across the mode switches"
    assert order_count() == state["orders"], "a mode switch ordered a certificate"
    findings["modes"] = "selfsigned, files and back to acme: each served on every port, main.cf and dovecot.conf untouched"


@pytest.mark.converges
@pytest.mark.parametrize("case, extra, error", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_refused(refused, mail_host, case, extra, error):
    refused(mail_host, PLAYBOOK, extra, error)
