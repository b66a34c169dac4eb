"""The Public Suffix List's algorithm (publicsuffix.org/list/) on a small list, and the packaged list."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _psl, _doctor

LIST = """// comment
com
uk
co.uk
*.ck
!www.ck
// ===BEGIN PRIVATE DOMAINS===
github.io
"""


@pytest.mark.parametrize("name, suffix, organisational", [
    ("mail.example.com", "com", "example.com"),
    ("example.co.uk", "co.uk", "example.co.uk"),
    ("a.b.example.co.uk", "co.uk", "example.co.uk"),
    ("foo.bar.ck", "bar.ck", "foo.bar.ck"),
    ("www.ck", "ck", "www.ck"),
    ("x.www.ck", "ck", "www.ck"),
    ("alice.github.io", "github.io", "alice.github.io"),
    ("mail.example.test", "test", "example.test"),  # not listed: the last label
    ("co.uk", "co.uk", "co.uk"),
    ("Mail.Example.COM.", "com", "example.com"),
])
def test_the_suffix_and_the_organisational_domain(name, suffix, organisational):
    psl = _psl.parse(LIST)
    assert _psl.public_suffix(name, psl) == suffix
    assert _psl.organisational(name, psl) == organisational


def test_reports_to_another_customer_of_the_same_suffix_are_external():
    psl = _psl.parse(LIST)
    # Without the list, example.co.uk and other.co.uk share "co.uk" in the old rule's eyes only
    # through a parent; with it they are two organisations, and a parent is the same one.
    assert _doctor.external("example.co.uk", "other.co.uk", psl)
    assert not _doctor.external("lists.example.co.uk", "example.co.uk", psl)
    assert not _doctor.external("example.co.uk", "reports.example.co.uk", psl)
    assert _doctor.external("example.co.uk", "co.uk", psl)
    assert not _doctor.external("example.co.uk", "co.uk")  # the old rule: a parent is the same


def test_the_packaged_list_is_found_and_knows_co_uk():
    psl = _psl.load()
    assert psl is not None, _psl.MISSING
    assert _psl.organisational("mail.example.co.uk", psl) == "example.co.uk"
