"""The records site.yml wrote go into the lab DNS, exactly. The first run left the web endpoint's
names (mta-sts., autoconfig., autodiscover.) off the certificate, with a warning, as they did not
resolve yet; the next run adds them, over the same key (the TLSA holds). Then site.yml runs again
on both hosts with the DNS doctor enforcing, -v and --diff (the scenario's idempotence check): all
ok, nothing changed, every record found, no secret shown, the DKIM keys and the certificate kept.

The nested run is judged from its structured results (lablib.playbook), never from the recap's
text. Runs before test_mail.py, which needs the records published. Run by
extensions/molecule/site/verify.yml.
"""

import re
from pathlib import Path

import pytest

from lablib import records
from lablib.playbook import run_playbook
from lablib.verdicts import secrets_shown

# Converges (the enforcing rerun): `make mutants` leaves the module out, as it would undo a mutant.
pytestmark = pytest.mark.converges

HOSTS = ("site-debian13", "site-debian12")
# The resolver the doctor asks (the lab's validating one: mail_dns_resolvers in molecule.yml).
DOCTOR_RESOLVER = "10.47.25.54"
CERTIFICATE = "/etc/postmaster-mail/tls/fullchain.pem"
FINGERPRINTS = ('for k in /etc/opendkim/keys/"$1"/*.private; do openssl pkey -in "$k" -pubout | sha256sum; done;'
                " openssl x509 -in %s -noout -serial -issuer" % CERTIFICATE)
CERTIFICATE_NAMES = "openssl x509 -in %s -noout -ext subjectAltName" % CERTIFICATE
CERTIFICATE_KEY = "openssl x509 -in %s -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum" % CERTIFICATE
WEB_LABELS = ("mta-sts", "autoconfig", "autodiscover")


def fingerprints(lab_host):
    """The DKIM public keys' digests, the certificate's serial and issuer: lines of text."""
    return lab_host.check("sh -c %s sh %s", FINGERPRINTS, lab_host.vars["site_domain"]).splitlines()


def certificate(lab_host):
    """(the names the served certificate covers, sorted; its public key's digest)."""
    names = sorted(re.findall(r"DNS:([^,\s]+)", lab_host.check(CERTIFICATE_NAMES)))
    return names, lab_host.check(CERTIFICATE_KEY).split()[0]


def further_certificate_names(lab_host):
    """The names of the further certificate (past certbot_names_per_certificate), sorted; [] without one."""
    path = "/etc/postmaster-mail/tls/%s-2/fullchain.pem" % lab_host.vars["mail_hostname"]
    found = lab_host.run("openssl x509 -in %s -noout -ext subjectAltName", path)
    return sorted(re.findall(r"DNS:([^,\s]+)", found.stdout)) if found.rc == 0 else []


def web_names(domain):
    return sorted("%s.%s" % (label, zone) for zone in (domain, "lists." + domain) for label in WEB_LABELS)


@pytest.fixture(scope="module")
def fragments(molecule_env):
    return sorted(Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"], "dns-records").glob("*.zone"))


@pytest.fixture(scope="module")
def first(hosts):
    """The certificate the first run left, {host: (names, key digest)}."""
    return {name: certificate(hosts[name]) for name in HOSTS}


@pytest.fixture(scope="module")
def added(molecule_env, project_dir, fragments, first):  # pylint: disable=unused-argument  # first: read first
    """Publish the fragments, then converge once: the web names, resolving now, join the certificate."""
    assert fragments, "no zone fragments in %s/dns-records" % molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"]
    records.LabDns(records.load_lab_dns(project_dir)).load(*fragments)
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    return run_playbook(converge, molecule_env)


@pytest.fixture(scope="module")
def before(hosts, added):  # pylint: disable=unused-argument  # added: ran first
    """The fingerprints before the enforcing rerun, {host: lines}."""
    return {name: fingerprints(hosts[name]) for name in HOSTS}


@pytest.fixture(scope="module")
def rerun(molecule_env, project_dir, before):  # pylint: disable=unused-argument  # before: read first
    """Converge again with the doctor enforcing (once for the module)."""
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    return run_playbook(converge, molecule_env, extra_vars={"mail_dns_check": "enforce"}, diff=True, verbosity=1)


def test_each_host_wrote_its_domains_fragments_and_its_ptr(inventory, fragments):
    domains = [inventory[name]["site_domain"] for name in HOSTS]
    expected = sorted("%s%s.zone" % (prefix, domain) for domain in domains for prefix in ("", "lists.", "reverse.mail."))
    assert sorted(path.name for path in fragments) == expected


@pytest.mark.parametrize("name", HOSTS)
def test_the_first_run_left_the_web_names_off_the_certificate_and_the_next_added_them_over_the_same_key(
        hosts, first, added, name, report):
    domain = hosts[name].vars["site_domain"]
    assert first[name][0] == ["mail.%s" % domain], first[name]
    assert added.rc == 0, added.failure_messages()
    names, key = certificate(hosts[name])
    further = further_certificate_names(hosts[name])
    assert sorted(names + further) == sorted(["mail.%s" % domain] + web_names(domain)), (names, further)
    per_certificate = hosts[name].vars.get("certbot_names_per_certificate")
    if per_certificate:
        # Past that many names (the lab lowers Let's Encrypt's 100 on Debian 13), a further certificate.
        assert (len(names), len(further)) == (per_certificate, 7 - per_certificate), (names, further)
    # The key stays (certbot --reuse-key): the published TLSA still matches.
    assert key == first[name][1]
    assert "left out of the certificate" not in added.output
    report("%s: first run: certificate for %s (web names waiting for DNS); next run, records published: %d names, "
           "same key%s" % (name, ", ".join(first[name][0]), len(names),
                           "; a further certificate for %s" % ", ".join(further) if further else ""))


def test_the_enforcing_rerun_is_all_ok_and_changes_nothing(rerun, report):
    assert rerun.rc == 0, rerun.failure_messages()
    assert sorted(rerun.stats) == sorted(HOSTS), rerun.summary()
    for name in HOSTS:
        numbers = rerun.stats[name]
        assert (numbers["failures"], numbers["unreachable"]) == (0, 0), rerun.failure_messages(name)
        assert numbers["changed"] == 0, ["%s: %s [%s]" % (r.host, r.task, r.item_label) for r in rerun.changed(name)]
    report("enforcing rerun (-v --diff): %s" % ", ".join(
        "%s ok=%s changed=0" % (name, rerun.stats[name]["ok"]) for name in HOSTS))


@pytest.mark.parametrize("name", HOSTS)
def test_the_doctor_found_every_record(rerun, name, report):
    reports = [result.msg or "" for result in rerun.results
               if result.host == name and result.task == "Report" and result.status == "ok"]
    assert len(reports) == 1, "%s: %d Report results" % (name, len(reports))
    doctor = re.search(r"DNS doctor \(%s\)[^,]*, (\d+) warn, (\d+) fail" % re.escape(DOCTOR_RESOLVER), reports[0])
    assert doctor, "%s: no DNS doctor line in the report: %s" % (name, reports[0])
    assert doctor.group(1, 2) == ("0", "0"), doctor.group(0)
    report("%s: %s" % (name, doctor.group(0)))


def test_the_rerun_showed_no_secret(rerun):
    assert secrets_shown(rerun.output) == []


@pytest.mark.usefixtures("rerun")
@pytest.mark.parametrize("name", HOSTS)
def test_the_rerun_kept_the_dkim_keys_and_the_certificate_pebble_issued(hosts, before, name):
    after = fingerprints(hosts[name])
    assert after == before[name]
    # Two DKIM keys (RSA, Ed25519), the serial and the issuer.
    assert len(after) == 4, after
    assert re.search(r"issuer=.*Pebble", after[-1]), after
