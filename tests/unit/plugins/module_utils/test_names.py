"""The one definition of host names, domains and addresses that every check shares."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _names


@pytest.mark.parametrize("value", ["example.org", "mail.example.org", "xn--bcher-kva.example", "a-b.c-d.example.co"])
def test_domain_names(value):
    assert _names.is_domain_name(value)


@pytest.mark.parametrize("value", ["localhost", "example", "example.org.", "-a.example.org", "a_b.example.org",
                                   "example.123", "a" * 64 + ".org", "", None, 42, ["example.org"], "exa mple.org"])
def test_not_domain_names(value):
    assert not _names.is_domain_name(value)


@pytest.mark.parametrize("value, ok", [
    ("alice@example.org", True), ("a.b+tag@mail.example.org", True), ("alice@localhost", False),
    ("@example.org", False), ("alice@@example.org", False), ("alice..b@example.org", False),
    ("alice", False), ("a" * 65 + "@example.org", False), (None, False),
])
def test_email_addresses(value, ok):
    assert _names.is_email_address(value) is ok


@pytest.mark.parametrize("value, version, ok", [
    ("192.0.2.1", None, True), ("192.0.2.1", 4, True), ("192.0.2.1", 6, False), ("2001:db8::1", 6, True),
    ("192.0.2.0/24", None, False), ("mail.example.org", None, False), ("", None, False), (None, 4, False),
])
def test_ip_addresses(value, version, ok):
    assert _names.is_ip_address(value, version) is ok


@pytest.mark.parametrize("value", ["example.org\n", "alice@example.org\n"])
def test_a_trailing_new_line_is_not_a_name(value):
    assert not _names.is_domain_name(value) and not _names.is_email_address(value)
