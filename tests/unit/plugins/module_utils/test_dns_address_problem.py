"""Whether a name points at this host only (the web names join the certificate then)."""

from ansible_collections.postmaster.mail.plugins.module_utils import _dns


def info(status="ok", addresses=(), msg=""):
    return {"status": status, "addresses": list(addresses), "cname_chain": [], "msg": msg}


def test_a_name_at_the_host_only_has_no_problem():
    assert _dns.address_problem(info(addresses=["192.0.2.25", "2001:DB8::25"]), ["192.0.2.25", "2001:db8::25"]) == ""


def test_a_missing_name_says_so():
    assert _dns.address_problem(info("nxdomain", msg="no such name"), ["192.0.2.25"]) == \
        "has no A/AAAA record (nxdomain: no such name)"


def test_a_name_pointing_elsewhere_too_names_the_addresses():
    assert _dns.address_problem(info(addresses=["192.0.2.25", "198.51.100.7"]), ["192.0.2.25"]) == \
        "resolves to 192.0.2.25, 198.51.100.7, not only to 192.0.2.25"
