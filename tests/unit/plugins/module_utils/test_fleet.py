"""Several hosts: the fleet's members, its records (one fragment per domain) and the doctor of each kind."""

import pytest

from ansible_collections.postmaster.mail.plugins.filter.mail_dns_records import mail_dns_records
from ansible_collections.postmaster.mail.plugins.filter.mail_fleet import mail_fleet
from ansible_collections.postmaster.mail.plugins.filter.mail_web_sites import mail_web_sites
from ansible_collections.postmaster.mail.plugins.module_utils import _doctor, _fleet, _mta_sts

from .fake_dns import FakeDns, zone_of

PRIMARY, BACKUP = "mail.example.org", "mx2.example.org"
HOSTS = [
    {"hostname": BACKUP, "domains": ["example.org", "other.example"], "backup_mx": True, "preference": None,
     "ipv4": "192.0.2.26", "ipv6": []},
    # The same server on another machine (a spare), and a host of another domain: not members.
    {"hostname": PRIMARY.upper(), "domains": ["example.org"], "backup_mx": False, "preference": None, "ipv4": ["192.0.2.99"]},
    {"hostname": "mail.elsewhere.example", "domains": ["elsewhere.example"], "backup_mx": False, "ipv4": ["198.51.100.1"]},
    {"hostname": "mail3.example.org", "domains": ["EXAMPLE.org"], "backup_mx": False, "preference": 5,
     "ipv4": ["192.0.2.27", "not an address"], "ipv6": ["2001:db8::27"]},
]


def primary_records(hosts=None, **options):
    return mail_dns_records(PRIMARY, ["example.org"], ipv4=["192.0.2.25"], fleet=HOSTS if hosts is None else hosts, **options)


def lines(result, zone="example.org"):
    return [" ".join(line.split()) for line in result["zones"][zone].splitlines() if not line.startswith(";")]


def test_members_are_the_other_hosts_of_a_common_domain_by_preference():
    members = _fleet.members(HOSTS, PRIMARY, ["example.org"])
    assert [(m["hostname"], m["preference"], m["backup_mx"], m["domains"]) for m in members] == [
        ("mail3.example.org", 5, False, ["example.org"]), (BACKUP, 20, True, ["example.org"])]
    assert members[0]["ipv4"] == ["192.0.2.27"] and members[0]["ipv6"] == ["2001:db8::27"]
    assert members[1]["ipv4"] == ["192.0.2.26"]


@pytest.mark.parametrize("backup_mx, given, expected", [(False, None, 10), (True, None, 20), (True, 30, 30), (False, "", 10)])
def test_the_preference_is_the_kind_s_unless_given(backup_mx, given, expected):
    assert _fleet.preference(backup_mx, given) == expected


def test_only_the_first_primary_writes_a_domain_and_a_backup_never():
    fleet = mail_fleet(PRIMARY, ["example.org"], HOSTS)
    # mail3 (preference 5) comes first: it writes example.org.
    assert fleet["writes"] == {"example.org": False}
    assert fleet["relays"] == {"hostnames": [BACKUP], "addresses": ["192.0.2.26"]}
    alone = mail_fleet(PRIMARY, ["example.org"], HOSTS[:3])
    assert alone["writes"] == {"example.org": True}
    assert mail_fleet(BACKUP, ["example.org"], HOSTS, backup_mx=True, mx_preference=20)["writes"] == {"example.org": False}


def test_a_primary_s_fragment_holds_the_whole_fleet():
    result = primary_records(HOSTS[:3])
    found = lines(result)
    assert [line for line in found if " MX " in line] == [
        "example.org. 3600 IN MX 10 mail.example.org.", "example.org. 3600 IN MX 20 mx2.example.org."]
    assert "mx2.example.org. 3600 IN A 192.0.2.26" in found
    # SPF: the primaries only (the backup MX sends nothing as the domain); the backup's host name
    # has its own SPF, for its HELO and its bounces.
    assert 'example.org. 3600 IN TXT "v=spf1 ip4:192.0.2.25 ~all"' in found
    assert 'mx2.example.org. 3600 IN TXT "v=spf1 ip4:192.0.2.26 ~all"' in found


def test_two_primaries_share_the_spf_record():
    found = lines(primary_records())
    assert 'example.org. 3600 IN TXT "v=spf1 ip4:192.0.2.25 ip4:192.0.2.27 ip6:2001:db8::27 ~all"' in found
    assert [line.split()[-2:] for line in found if " MX " in line] == [
        ["5", "mail3.example.org."], ["10", "mail.example.org."], ["20", "mx2.example.org."]]


def test_a_backup_mx_has_only_its_own_records():
    result = mail_dns_records(BACKUP, ["example.org"], ipv4=["192.0.2.26"], backup_mx=True, mx_preference=20,
                              fleet=[{"hostname": PRIMARY, "domains": ["example.org"], "ipv4": ["192.0.2.25"]}],
                              mta_sts={"mode": "enforce", "max_age": 86400}, services={})
    assert sorted((row["name"], row["type"], row["value"]) for row in result["records"]) == [
        ("26.2.0.192.in-addr.arpa.", "PTR", "mx2.example.org."),
        ("example.org.", "MX", "20 mx2.example.org."),
        ("mx2.example.org.", "A", "192.0.2.26"),
        ("mx2.example.org.", "TXT", "v=spf1 ip4:192.0.2.26 ~all"),
    ]
    assert result["web_names"] == []


def test_the_policy_names_every_mx_and_the_web_endpoint_serves_the_same():
    sts = {"mode": "enforce", "max_age": 86400}
    result = primary_records(HOSTS[:1], mta_sts=sts)
    assert _mta_sts.parse_policy(result["mta_sts_policy"])[0]["mx"] == [PRIMARY, BACKUP]
    site = mail_web_sites(PRIMARY, ["example.org"], mta_sts=sts, mx_hosts=[BACKUP])[0]
    assert site["files"][0]["content"] == result["mta_sts_policy"]


def test_the_doctor_of_a_primary_wants_the_fleet_s_mx_records():
    result = primary_records(HOSTS[:1])
    zone = zone_of(result, txt_strings=True)
    checks = {c["check"]: c for c in _doctor.diagnose(
        FakeDns(zone), PRIMARY, ["example.org"], ["192.0.2.25"], records=result["records"])}
    assert checks["mx"]["status"] == "ok", checks["mx"]
    zone[("example.org", "MX")] = [(10, PRIMARY)]
    checks = {c["check"]: c for c in _doctor.diagnose(
        FakeDns(zone), PRIMARY, ["example.org"], ["192.0.2.25"], records=result["records"])}
    assert checks["mx"]["status"] == "warn" and "MX 20 mx2.example.org." in checks["mx"]["remedy"], checks["mx"]


def test_the_doctor_of_a_backup_mx_checks_its_own_records_and_a_preferred_mx():
    primary = zone_of(primary_records(HOSTS[:1]), txt_strings=True)
    backup = mail_dns_records(BACKUP, ["example.org"], ipv4=["192.0.2.26"], backup_mx=True, mx_preference=20)
    zone = {**primary, **zone_of(backup, txt_strings=True)}
    zone[("example.org", "MX")] = [(10, PRIMARY), (20, BACKUP)]

    def checks(dns):
        return {c["check"]: c for c in _doctor.diagnose(
            FakeDns(dns), BACKUP, ["example.org"], ["192.0.2.26"], records=backup["records"], mx_preference=20,
            backup_mx=True)}

    found = checks(zone)
    assert {name: c["status"] for name, c in found.items()} == {
        "host address": "ok", "ptr 192.0.2.26": "ok", "spf 192.0.2.26": "ok", "mx": "ok"}
    zone[("example.org", "MX")] = [(20, BACKUP)]
    assert "no MX is preferred" in checks(zone)["mx"]["remedy"]
    zone[("example.org", "MX")] = [(10, PRIMARY)]
    assert checks(zone)["mx"]["status"] == "fail"


def test_a_host_not_in_the_run_keeps_the_tlsa_it_left():
    left = dict(HOSTS[0], tlsa=["3 1 1 " + "ab" * 32], certificates=[])
    found = lines(primary_records([left]))
    assert "_25._tcp.mx2.example.org. 3600 IN TLSA 3 1 1 %s" % ("ab" * 32) in found
