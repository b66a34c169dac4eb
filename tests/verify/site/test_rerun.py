"""The records site.yml wrote go into the lab DNS, exactly; then site.yml runs again on both hosts
with the DNS doctor enforcing, -v and --diff (the scenario's idempotence check): all ok, nothing
changed, every record found, no secret shown, the DKIM keys and the certificate kept.

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
LAB_DNS_SERVER = "10.47.25.53"
FINGERPRINTS = ('for k in /etc/opendkim/keys/"$1"/*.private; do openssl pkey -in "$k" -pubout | sha256sum; done;'
                " openssl x509 -in /etc/postmaster-mail/tls/fullchain.pem -noout -serial -issuer")


def fingerprints(lab_host):
    """The DKIM public keys' digests, the certificate's serial and issuer: lines of text."""
    return lab_host.check("sh -c %s sh %s", FINGERPRINTS, lab_host.vars["site_domain"]).splitlines()


@pytest.fixture(scope="module")
def fragments(molecule_env):
    return sorted(Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"], "dns-records").glob("*.zone"))


@pytest.fixture(scope="module")
def before(hosts):
    """The fingerprints before the rerun, {host: lines}."""
    return {name: fingerprints(hosts[name]) for name in HOSTS}


@pytest.fixture(scope="module")
def rerun(molecule_env, project_dir, fragments, before):  # pylint: disable=unused-argument  # before: read first
    """Publish the fragments, then converge again with the doctor enforcing (once for the module)."""
    assert fragments, "no zone fragments in %s/dns-records" % molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"]
    records.LabDns(records.load_lab_dns(project_dir)).load(*fragments)
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    return run_playbook(converge, molecule_env, extra_vars={"mail_dns_check": "enforce"}, diff=True, verbosity=1)


def test_each_host_wrote_its_domains_fragments_and_its_ptr(inventory, fragments):
    domains = [inventory[name]["site_domain"] for name in HOSTS]
    expected = sorted("%s%s.zone" % (prefix, domain) for domain in domains for prefix in ("", "lists.", "reverse.mail."))
    assert sorted(path.name for path in fragments) == expected


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
    doctor = re.search(r"DNS doctor \(%s\)[^,]*, (\d+) warn, (\d+) fail" % re.escape(LAB_DNS_SERVER), reports[0])
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
