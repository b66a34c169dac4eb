"""SPF evaluation (RFC 7208) against a fake DNS: mechanisms, macros, loops and the lookup limits."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _spf

from .fake_dns import FakeDns

IP = "192.0.2.25"
IP6 = "2001:db8::25"


def spf(zone, domain="example.org", ip=IP):
    return _spf.check_host(FakeDns(zone), ip, domain, "alice@" + domain, "mail.example.org")


@pytest.mark.parametrize("record, result", [
    ("v=spf1 ip4:192.0.2.25 -all", "pass"),
    ("v=spf1 ip4:192.0.2.0/24 -all", "pass"),
    ("v=spf1 ip4:198.51.100.1 -all", "fail"),
    ("v=spf1 ip4:198.51.100.1 ~all", "softfail"),
    ("v=spf1 ip4:198.51.100.1 ?all", "neutral"),
    ("v=spf1 ip4:198.51.100.1", "neutral"),
    ("v=spf1 -ip4:192.0.2.25 +all", "fail"),
    ("V=SPF1 IP4:192.0.2.25 -ALL", "pass"),
    ("v=spf1 bogus:x -all", "permerror"),
    ("v=spf1 ip4:300.1.1.1 -all", "permerror"),
    ("v=spf1 ip6:2001:db8::25 -all", "fail"),
])
def test_ip_mechanisms(record, result):
    assert spf({("example.org", "TXT"): [record]})["result"] == result


def test_ipv6_is_matched_by_ip6_and_aaaa():
    zone = {("example.org", "TXT"): ["v=spf1 ip6:2001:db8::/64 -all"]}
    assert spf(zone, ip=IP6)["result"] == "pass"
    zone = {("example.org", "TXT"): ["v=spf1 a -all"], ("example.org", "AAAA"): [IP6]}
    assert spf(zone, ip=IP6)["result"] == "pass"


def test_no_record_and_two_records():
    assert spf({("example.org", "MX"): [(10, "mail.example.org")]})["result"] == "none"
    two = spf({("example.org", "TXT"): ["v=spf1 -all", "v=spf1 ip4:192.0.2.25 -all"]})
    assert two["result"] == "permerror" and "2 SPF records" in two["msg"]


def test_other_txt_records_are_not_spf():
    zone = {("example.org", "TXT"): ["google-site-verification=x", "v=spf10 -all", "v=spf1 ip4:192.0.2.25 -all"]}
    assert spf(zone)["result"] == "pass"


def test_record_split_into_strings_is_joined_without_spaces():
    zone = {("example.org", "TXT"): [["v=spf1 ip4:192.0.2", ".25 -all"]]}
    assert spf(zone)["result"] == "pass"


@pytest.mark.parametrize("record, extra", [
    ("v=spf1 a -all", {("example.org", "A"): [IP]}),
    ("v=spf1 a:mail.example.org -all", {("mail.example.org", "A"): [IP]}),
    ("v=spf1 a/24 -all", {("example.org", "A"): ["192.0.2.1"]}),
    ("v=spf1 mx -all", {("example.org", "MX"): [(10, "mail.example.org")], ("mail.example.org", "A"): [IP]}),
    ("v=spf1 include:_spf.example.net -all", {("_spf.example.net", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"]}),
    ("v=spf1 redirect=_spf.example.net", {("_spf.example.net", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"]}),
    ("v=spf1 exists:%{i}._spf.example.org -all", {("192.0.2.25._spf.example.org", "A"): ["127.0.0.2"]}),
    ("v=spf1 exists:%{ir}.%{v}._spf.%{d} -all", {("25.2.0.192.in-addr._spf.example.org", "A"): ["127.0.0.2"]}),
])
def test_authorised_through_lookups(record, extra):
    zone = {("example.org", "TXT"): [record]}
    zone.update(extra)
    assert spf(zone)["result"] == "pass"


def test_a_through_a_cname_chain():
    zone = {("example.org", "TXT"): ["v=spf1 a:out.example.org -all"],
            ("out.example.org", "CNAME"): ["relay.example.net"], ("relay.example.net", "A"): [IP]}
    assert spf(zone)["result"] == "pass"


def test_include_that_does_not_pass_does_not_match():
    zone = {("example.org", "TXT"): ["v=spf1 include:_spf.example.net ip4:192.0.2.25 -all"],
            ("_spf.example.net", "TXT"): ["v=spf1 -all"]}
    assert spf(zone)["result"] == "pass"


def test_include_of_a_domain_without_spf_is_permerror():
    zone = {("example.org", "TXT"): ["v=spf1 include:nothing.example.net -all"]}
    assert spf(zone)["result"] == "permerror"


def test_include_loop_is_permerror():
    zone = {("example.org", "TXT"): ["v=spf1 include:loop.example.net -all"],
            ("loop.example.net", "TXT"): ["v=spf1 include:example.org -all"]}
    result = spf(zone)
    assert result["result"] == "permerror" and "loop" in result["msg"]


def test_more_than_ten_lookups_is_permerror():
    zone = {("example.org", "TXT"): ["v=spf1 " + " ".join("include:i%d.example.net" % i for i in range(11)) + " -all"]}
    for i in range(11):
        zone[("i%d.example.net" % i, "TXT")] = ["v=spf1 ip4:198.51.100.%d -all" % i]
    result = spf(zone)
    assert result["result"] == "permerror" and "more than 10 DNS lookups" in result["msg"]


def test_ten_lookups_are_allowed():
    zone = {("example.org", "TXT"): ["v=spf1 " + " ".join("include:i%d.example.net" % i for i in range(10)) + " -all"]}
    for i in range(10):
        zone[("i%d.example.net" % i, "TXT")] = ["v=spf1 ip4:192.0.2.%d -all" % (i + 16)]
    zone[("i9.example.net", "TXT")] = ["v=spf1 ip4:192.0.2.25 -all"]
    result = spf(zone)
    assert result["result"] == "pass" and result["lookups"] == 10


def test_nested_includes_count_towards_the_limit():
    zone = {("example.org", "TXT"): ["v=spf1 include:n0.example.net -all"]}
    for i in range(11):
        zone[("n%d.example.net" % i, "TXT")] = ["v=spf1 include:n%d.example.net -all" % (i + 1)]
    assert spf(zone)["result"] == "permerror"


def test_more_than_two_void_lookups_is_permerror():
    zone = {("example.org", "TXT"): ["v=spf1 a:v1.example.org a:v2.example.org a:v3.example.org ip4:192.0.2.25 -all"]}
    result = spf(zone)
    assert result["result"] == "permerror" and "void" in result["msg"]
    zone = {("example.org", "TXT"): ["v=spf1 a:v1.example.org a:v2.example.org ip4:192.0.2.25 -all"]}
    assert spf(zone)["result"] == "pass"


def test_timeout_is_temperror():
    zone = {("example.org", "TXT"): ["v=spf1 include:slow.example.net -all"], ("slow.example.net", "TXT"): "timeout"}
    assert spf(zone)["result"] == "temperror"


def test_ptr_is_evaluated_and_reported():
    zone = {("example.org", "TXT"): ["v=spf1 ptr -all"],
            ("25.2.0.192.in-addr.arpa", "PTR"): ["mail.example.org"], ("mail.example.org", "A"): [IP]}
    result = spf(zone)
    assert result["result"] == "pass" and "RFC 7208 5.5" in result["warnings"][0]


def test_redirect_is_ignored_with_all_and_duplicate_is_permerror():
    zone = {("example.org", "TXT"): ["v=spf1 -all redirect=_spf.example.net"],
            ("_spf.example.net", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"]}
    assert spf(zone)["result"] == "fail"
    zone[("example.org", "TXT")] = ["v=spf1 redirect=a.example.net redirect=b.example.net"]
    assert spf(zone)["result"] == "permerror"


def test_an_mx_whose_hosts_have_no_aaaa_is_one_void_lookup_not_one_per_host():
    # An IPv6 client, three IPv4-only MX hosts: the mx mechanism is one void term, not three.
    zone = {("example.org", "TXT"): ["v=spf1 mx ip6:2001:db8::25 -all"],
            ("example.org", "MX"): [(10, "mx1.example.org"), (20, "mx2.example.org"), (30, "mx3.example.org")],
            ("mx1.example.org", "A"): ["192.0.2.1"], ("mx2.example.org", "A"): ["192.0.2.2"],
            ("mx3.example.org", "A"): ["192.0.2.3"]}
    result = spf(zone, ip=IP6)
    assert (result["result"], result["void_lookups"]) == ("pass", 1), result


def test_an_mx_whose_hosts_answer_is_not_void():
    zone = {("example.org", "TXT"): ["v=spf1 mx -all"],
            ("example.org", "MX"): [(10, "mx1.example.org"), (20, "gone.example.org")],
            ("mx1.example.org", "A"): ["192.0.2.1"]}
    result = spf(zone)
    assert (result["result"], result["void_lookups"]) == ("fail", 0), result


@pytest.mark.parametrize("term", ["include:example.net/24", "exists:example.net/24", "include:example.net//64",
                                  "a:", "mx:", "include:", "all:x", "all/24"])
def test_a_malformed_term_is_permerror(term):
    zone = {("example.org", "TXT"): ["v=spf1 %s ip4:192.0.2.25 -all" % term],
            ("example.net", "TXT"): ["v=spf1 -all"], ("example.net", "A"): ["192.0.2.9"]}
    result = spf(zone)
    assert result["result"] == "permerror", (term, result)
