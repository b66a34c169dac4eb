"""The web endpoint's records and sites: MTA-STS's TXT id is the digest of the very policy nginx
serves, the web names get the host's addresses, and each switch leaves its part out."""

import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.filter.mail_dns_records import mail_dns_records
from ansible_collections.postmaster.mail.plugins.filter.mail_web_sites import mail_web_sites

POLICY = {"mode": "enforce", "max_age": 86400}


def rows(result, rtype=None):
    return [(r["name"], r["type"], r["value"]) for r in result["records"] if rtype in (None, r["type"])]


def test_the_txt_id_is_the_digest_of_the_policy_the_endpoint_serves():
    records = mail_dns_records("mail.example.org", ["example.org", "example.net"], ipv4=["192.0.2.25"],
                               mta_sts=POLICY, autoconfig=True)
    sites = mail_web_sites("mail.example.org", ["example.org", "example.net"], mta_sts=POLICY, autoconfig=True)
    served = sites[0]["files"][0]["content"]
    assert served == records["mta_sts_policy"] == "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 86400\r\n"
    digest = hashlib.sha256(served.encode()).hexdigest()[:20]
    assert ("_mta-sts.example.net.", "TXT", "v=STSv1; id=%s" % digest) in rows(records, "TXT")
    assert '_mta-sts.example.org. 3600 IN TXT "v=STSv1; id=%s"' % digest in records["zones"]["example.org"]


def test_the_id_changes_exactly_when_the_policy_does():
    def txt(**policy):
        result = mail_dns_records("mail.example.org", ["example.org"], mta_sts=dict(POLICY, **policy))
        return [row[2] for row in rows(result, "TXT") if row[0].startswith("_mta-sts.")]
    assert txt() == txt()
    assert txt(mode="testing") != txt()
    assert txt(max_age=86401) != txt()
    other_host = mail_dns_records("mx.example.org", ["example.org"], mta_sts=POLICY)
    assert [row[2] for row in rows(other_host, "TXT") if row[0].startswith("_mta-sts.")] != txt()


def test_the_web_names_point_at_the_host_and_are_the_certificate_names():
    records = mail_dns_records("mail.example.org", ["example.org"], ipv4=["192.0.2.25"], ipv6=["2001:db8::25"],
                               mta_sts=POLICY, autoconfig=True)
    names = ["mta-sts.example.org", "autoconfig.example.org", "autodiscover.example.org"]
    assert records["web_names"] == names
    for name in names:
        assert (name + ".", "A", "192.0.2.25") in rows(records) and (name + ".", "AAAA", "2001:db8::25") in rows(records)
    sites = mail_web_sites("mail.example.org", ["example.org"], mta_sts=POLICY, autoconfig=True)
    assert sorted(n for site in sites for n in site["names"]) == sorted(names)


@pytest.mark.parametrize("mta_sts, autoconfig, names", [
    (None, True, ["autoconfig.example.org", "autodiscover.example.org"]),
    (POLICY, False, ["mta-sts.example.org"]),
    (None, False, []),
])
def test_each_switch_leaves_its_part_out(mta_sts, autoconfig, names):
    records = mail_dns_records("mail.example.org", ["example.org"], ipv4=["192.0.2.25"], mta_sts=mta_sts, autoconfig=autoconfig)
    assert records["web_names"] == names
    assert bool(records["mta_sts_policy"]) == bool(mta_sts)
    assert any(row[0].startswith("_mta-sts.") for row in rows(records)) == bool(mta_sts)
    sites = mail_web_sites("mail.example.org", ["example.org"], mta_sts=mta_sts, autoconfig=autoconfig)
    assert sorted(n for site in sites for n in site["names"]) == sorted(names)


def test_autodiscover_answers_post_in_any_case_and_the_rest_only_get():
    sites = {site["name"]: site for site in mail_web_sites("mail.example.org", ["example.org"], mta_sts=POLICY, autoconfig=True)}
    files = {f["file"]: f for site in sites.values() for f in site["files"]}
    assert (files["autodiscover.xml"]["post"], files["autodiscover.xml"]["caseless"]) == (True, True)
    assert not files["mta-sts.txt"]["post"] and not files["config-v1.1.xml"]["post"]


def test_a_bad_mode_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="mode must be one of"):
        mail_web_sites("mail.example.org", ["example.org"], mta_sts={"mode": "strict", "max_age": 1})
