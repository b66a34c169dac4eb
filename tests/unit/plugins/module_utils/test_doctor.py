"""The mail doctor, the records generator and the resolver helpers against a fake DNS."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _dns, _doctor, _records

from .fake_dns import FakeDns, zone_of

HOST = "mail.example.org"
IP = "192.0.2.25"
IP6 = "2001:db8::25"
DKIM_P = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "x" * 320
DKIM = {"mail._domainkey.example.org": ["v=DKIM1; k=rsa; p=" + DKIM_P[:200], DKIM_P[200:]]}


def good_zone(dmarc_policy="quarantine"):
    return zone_of(_records.generate(HOST, ["example.org"], [IP], [IP6], DKIM, dmarc_policy=dmarc_policy), txt_strings=True)


def _strings(rdata):
    return rdata.strip('"').split('" "')


def diagnose(zone, addresses=(IP, IP6), dkim=None):
    return _doctor.diagnose(FakeDns(zone), HOST, ["example.org"], list(addresses), DKIM if dkim is None else dkim)


def by_check(results):
    return {r["check"]: r for r in results}


def test_generated_records_give_an_all_ok_doctor():
    results = diagnose(good_zone())
    assert [r for r in results if r["status"] != "ok"] == []
    names = {r["check"] for r in results}
    assert names == {"host address", "ptr " + IP, "ptr " + IP6, "mx", "spf " + IP, "spf " + IP6, "dkim mail", "dmarc"}


def test_every_problem_has_a_remedy():
    zone = good_zone()
    del zone[("example.org", "MX")]
    for result in diagnose(zone):
        assert (result["status"] == "ok") == (result["remedy"] == "")


@pytest.mark.parametrize("change, check, words", [
    (lambda z: z.update({("example.org", "MX"): [(10, "mx.elsewhere.example")]}), "mx", "publish example.org. MX 10"),
    (lambda z: z.pop(("example.org", "MX")), "mx", "publish"),
    (lambda z: z.update({("example.org", "MX"): [(0, "")]}), "mx", "null MX"),
    (lambda z: z.update({("example.org", "MX"): [(10, HOST), (5, "backup.example.net")]}), "mx", "preferred"),
    (lambda z: z.update({("example.org", "TXT"): ["v=spf1 -all", "v=spf1 a -all"]}), "spf", "merge"),
    (lambda z: z.pop(("example.org", "TXT")), "spf", "publish the SPF record"),
    (lambda z: z.update({("example.org", "TXT"): ["v=spf1 ip4:198.51.100.7 -all"]}), "spf " + IP, "add ip4:192.0.2.25"),
    (lambda z: z.pop(("mail._domainkey.example.org", "TXT")), "dkim mail", "publish mail._domainkey"),
    (lambda z: z.update({("mail._domainkey.example.org", "TXT"): ["v=DKIM1; k=rsa; p=AAAA"]}), "dkim mail",
     "not the key on the server"),
    (lambda z: z.pop(("_dmarc.example.org", "TXT")), "dmarc", "publish the DMARC"),
    (lambda z: z.update({("_dmarc.example.org", "TXT"): ["v=DMARC1; p=block"]}), "dmarc", "p=block"),
    (lambda z: z.update({("_dmarc.example.org", "TXT"): ["p=none; v=DMARC1"]}), "dmarc", "start with v=DMARC1"),
    (lambda z: z.update({("_dmarc.example.org", "TXT"): ["v=DMARC1; p=none; rua=postmaster@example.org"]}), "dmarc",
     "mailto"),
    (lambda z: z.pop(("25.2.0.192.in-addr.arpa", "PTR")), "ptr " + IP, "hosting provider"),
    (lambda z: z.update({("25.2.0.192.in-addr.arpa", "PTR"): ["static-25.provider.example"]}), "ptr " + IP,
     "hosting provider"),
    (lambda z: z.update({("mail.example.org", "A"): ["192.0.2.99"]}), "ptr " + IP, "forward-confirmed"),
    (lambda z: z.pop(("mail.example.org", "AAAA")), "host address", "AAAA 2001:db8::25"),
])
def test_broken_zone_is_flagged_by_the_right_check(change, check, words):
    zone = good_zone()
    change(zone)
    result = by_check(diagnose(zone))[check]
    assert result["status"] in ("fail", "warn")
    assert words in result["remedy"] or words in result["found"], result


def test_mx_pointing_at_a_cname_fails():
    zone = good_zone()
    zone[(HOST, "CNAME")] = ["server1.example.net"]
    zone[("server1.example.net", "A")] = [IP]
    zone[("server1.example.net", "AAAA")] = [IP6]
    del zone[(HOST, "A")], zone[(HOST, "AAAA")]
    result = by_check(diagnose(zone))["mx"]
    assert result["status"] == "fail" and "RFC 2181" in result["remedy"]


def test_several_ptr_names_warn_when_one_is_right():
    zone = good_zone()
    zone[("25.2.0.192.in-addr.arpa", "PTR")] = [HOST, "other.example.org"]
    assert by_check(diagnose(zone))["ptr " + IP]["status"] == "warn"


def test_spf_over_the_lookup_limit_fails():
    zone = good_zone()
    zone[("example.org", "TXT")] = ["v=spf1 " + " ".join("a:h%d.example.org" % i for i in range(11)) + " ip4:%s -all" % IP]
    for i in range(11):
        zone[("h%d.example.org" % i, "A")] = ["198.51.100.%d" % i]
    result = by_check(diagnose(zone, addresses=[IP]))["spf " + IP]
    assert result["status"] == "fail" and "more than 10 DNS lookups" in result["remedy"]


def test_external_report_address_needs_the_authorisation_record():
    zone = good_zone()
    zone[("_dmarc.example.org", "TXT")] = ["v=DMARC1; p=reject; rua=mailto:dmarc@reports.example.net"]
    result = by_check(diagnose(zone))["dmarc report reports.example.net"]
    assert result["status"] == "fail" and "example.org._report._dmarc.reports.example.net" in result["remedy"]
    zone[("example.org._report._dmarc.reports.example.net", "TXT")] = ["v=DMARC1"]
    assert by_check(diagnose(zone))["dmarc report reports.example.net"]["status"] == "ok"


def test_resolvers_down_give_one_clear_verdict():
    results = diagnose({("example.org", "SOA"): "timeout"})
    assert len(results) == 1 and results[0]["check"] == "resolvers" and "mail_dns_resolvers" in results[0]["remedy"]


def test_no_public_address_warns_with_the_variable_to_set():
    results = by_check(diagnose(good_zone(), addresses=[]))
    assert results["host address"]["status"] == "warn"
    assert "mail_public_ipv4" in results["host address"]["remedy"]


def test_long_dkim_record_is_split_and_published_whole():
    records = _records.generate(HOST, ["example.org"], [IP], [], {"s._domainkey.example.org": "v=DKIM1; p=" + "A" * 600})
    row = [r for r in records["records"] if r["name"] == "s._domainkey.example.org."][0]
    strings = _strings(row["rdata"])
    assert [len(s) for s in strings] == [255, 255, 101] and "".join(strings) == row["value"]


def test_records_layout():
    records = _records.generate("mx.example.net", ["example.org", "example.com"], [IP], [], {}, "quarantine",
                                "dmarc@example.org")
    assert set(records["zones"]) == {"example.org", "example.com", "mx.example.net"}
    assert "mx.example.net. 3600 IN A 192.0.2.25" in records["zones"]["mx.example.net"]
    assert '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"' \
        in records["zones"]["example.com"]
    assert 'example.com._report._dmarc.example.org. 3600 IN TXT "v=DMARC1"' in records["zones"]["example.org"]
    assert "25.2.0.192.in-addr.arpa. 3600 IN PTR mx.example.net." in records["reverse"]
    assert " IN SOA " not in "".join(records["zones"].values())
    assert any("mail_public_ipv4: 192.0.2.25, the host's own address, is not public" in w for w in records["warnings"])
    given = _records.generate("mx.example.net", ["example.org"], [IP], addresses_given=True)
    assert any("fine for a lab" in w for w in given["warnings"])


def test_records_without_addresses_authorise_the_host_name():
    records = _records.generate(HOST, ["example.org"])
    assert '"v=spf1 a:mail.example.org ~all"' in records["zones"]["example.org"]
    assert any("no address of this server is known" in w for w in records["warnings"])


@pytest.mark.parametrize("spec, parsed", [
    ("192.0.2.53", ("192.0.2.53", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("2001:db8::53", ("2001:db8::53", 53)),
    ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
])
def test_resolver_specs(spec, parsed):
    assert _dns.parse_resolver(spec) == parsed


@pytest.mark.parametrize("spec", ["dns.example.org", "127.0.0.1:0", "127.0.0.1:x", "[2001:db8::53", ""])
def test_bad_resolver_specs(spec):
    with pytest.raises(ValueError):
        _dns.parse_resolver(spec)


def test_reverse_of_ipv6_and_unknown_answers():
    zone = {(_dns.reverse_name(IP6), "PTR"): [HOST], (HOST, "AAAA"): [IP6]}
    info = _dns.reverse_info(FakeDns(zone), IP6, HOST)
    assert info["fcrdns"] and info["matches_expected"]
    assert info["reverse_name"].endswith(".8.b.d.0.1.0.0.2.ip6.arpa")
    info = _dns.reverse_info(FakeDns({(_dns.reverse_name(IP), "PTR"): "servfail"}), IP, HOST)
    assert info["status"] == "servfail" and not info["fcrdns"]
    info = _dns.reverse_info(FakeDns({}), IP, HOST)
    assert info["status"] == "nxdomain" and info["ptr"] == []


def test_name_info_follows_cnames():
    zone = {("www.example.org", "CNAME"): ["a.example.net"], ("a.example.net", "CNAME"): ["b.example.net"],
            ("b.example.net", "A"): [IP]}
    info = _dns.name_info(FakeDns(zone), "www.example.org")
    assert info == {"status": "ok", "addresses": [IP], "cname_chain": ["a.example.net", "b.example.net"], "msg": ""}


def test_dmarc_with_an_empty_part_and_no_equals():
    assert _doctor.dmarc_report_domains("v=DMARC1; p=none;; rua=mailto:a@example.net;") == ["example.net"]
    assert "'bogus' is not tag=value" in _doctor.dmarc_problems("v=DMARC1; p=none; bogus")


def test_the_host_name_gets_an_spf_record_of_its_own_and_the_doctor_checks_it():
    rows = [r for r in _records.generate(HOST, ["example.org"], [IP])["records"] if r["name"] == HOST + "."]
    assert [(r["type"], r["value"]) for r in rows] == [("A", IP), ("TXT", "v=spf1 ip4:%s ~all" % IP)]
    zone = good_zone()
    del zone[(HOST, "TXT")]
    failed = [r for r in diagnose(zone) if r["status"] != "ok"]
    assert {(r["domain"], r["check"]) for r in failed} == {(HOST, "spf")}, failed
    # A server named after its only domain publishes one SPF record there.
    same = _records.generate("example.org", ["example.org"], [IP])["records"]
    assert len([r for r in same if r["type"] == "TXT" and r["value"].startswith("v=spf1")]) == 1


def test_dmarc_p_none_is_a_warning_with_a_remedy():
    dmarc = by_check(diagnose(good_zone(dmarc_policy="none")))["dmarc"]
    assert dmarc["status"] == "warn" and "p=quarantine" in dmarc["remedy"], dmarc


@pytest.mark.parametrize("extra, status, words", [
    ("t=y; ", "warn", "t=y"),
    ("t=y:s; ", "warn", "t=y"),
    ("t=s; ", "ok", ""),
    ("h=sha1; ", "fail", "RFC 8301"),
    ("h=sha1:sha256; ", "ok", ""),
    ("s=tlsrpt; ", "fail", "not for email"),
    ("s=email; ", "ok", ""),
    ("s=*; ", "ok", ""),
])
def test_dkim_key_tags_are_judged(extra, status, words):
    zone = good_zone()
    name = "mail._domainkey.example.org"
    zone[(name, "TXT")] = ["".join(DKIM[name]).replace("v=DKIM1; ", "v=DKIM1; " + extra)]
    found = by_check(diagnose(zone))["dkim mail"]
    assert found["status"] == status and words in found["remedy"], found
