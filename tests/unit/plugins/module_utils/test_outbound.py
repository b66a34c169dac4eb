"""Whether mail leaves over IPv6 (issue 16): only from forward-confirmed addresses, or when told."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils._outbound import decide, mode_of

V4, V6 = ["192.0.2.25"], ["2001:db8::25"]


def rdns(fcrdns=True, matches=True, address="2001:db8::25"):
    return [{"address": address, "fcrdns": fcrdns, "matches_expected": matches}]


def test_auto_uses_ipv6_only_when_every_address_is_forward_confirmed_under_the_name():
    assert decide("auto", V4, V6, rdns(), "mail.example.org") == {
        "ipv6": True, "reason": "IPv4 and IPv6: the PTR of 2001:db8::25 is mail.example.org, forward-confirmed"}
    for answer in (rdns(fcrdns=False), rdns(matches=False), rdns(address="2001:db8::26"), []):
        verdict = decide("auto", V4, V6, answer, "mail.example.org")
        assert verdict["ipv6"] is False and verdict["reason"].startswith("IPv4 only: 2001:db8::25 has no PTR mail.example.org")
    two = V6 + ["2001:db8::26"]
    assert decide("auto", V4, two, rdns() + rdns(fcrdns=False, address="2001:db8::26"), "m")["ipv6"] is False


def test_dns_not_asked_means_ipv4_unless_told():
    assert decide("auto", V4, V6, None, "m")["ipv6"] is False
    assert "mail_dns_check: skip" in decide("auto", V4, V6, None, "m")["reason"]


@pytest.mark.parametrize(("mode", "expected"), [(True, True), ("yes", True), ("true", True), (False, False), ("no", False),
                                                ("FALSE", False)])
def test_an_explicit_switch_wins(mode, expected):
    assert decide(mode, V4, V6, rdns(fcrdns=not expected), "m")["ipv6"] is expected


def test_a_single_family_server_uses_its_family():
    assert decide("false", [], V6)["ipv6"] is True
    assert decide("true", V4, [])["ipv6"] is False


def test_modes():
    assert [mode_of(v) for v in ("auto", "Auto", True, False, "yes", "off", "maybe", 1)] == [
        "auto", "auto", "true", "false", "true", "false", None, None]
