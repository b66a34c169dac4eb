"""Abuse from the peer (issue 9, in pytest since issue 14): the lab's peer is outside the Debian 13
host's mynetworks and tries what spammers try in a server's first hour online: relays (plain,
percent hack, bang path, source routes, ...), AUTH before TLS, foreign envelope senders in an
authenticated session, and password guessing, whose wrong answers must come late.

The probe (lablib/abuse.py) runs in the peer with smtplib, once for the module; each test judges
one part of its findings. See tests/verify/conftest.py for the fixtures.
"""

import re

import pytest

from lablib import abuse
from lablib.peer import ROOTS_PEM
from lablib.secret import Secret

HOST = "site-debian13"
USER = "alice"


@pytest.fixture(scope="module")
def server(hosts):
    """The Debian 13 host's name, address and domain (no secret: fixtures show in tracebacks)."""
    host_vars = hosts[HOST].vars
    return {"mail_hostname": host_vars["mail_hostname"], "address": hosts[HOST].address,
            "site_domain": host_vars["site_domain"]}


@pytest.fixture(scope="module")
def account(hosts):
    """alice's address and password (a Secret: its repr hides it)."""
    user = next(entry for entry in hosts[HOST].vars["mail_users"] if entry["address"].startswith(USER + "@"))
    return user["address"], Secret(user["password"])


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    missing = "not proven (see the failures)"
    for name in ("relay", "auth_offer", "senders", "auth_delay"):
        report("abuse: %s" % found.get(name, "%s %s" % (name, missing)))


@pytest.fixture(scope="module")
def probe(peer, server, account):
    """The abuse probe's findings, run once in the peer against the Debian 13 host."""
    return abuse.run_in_peer(peer, {"host": server["mail_hostname"], "address": server["address"],
                                    "domain": server["site_domain"], "user": account[0], "password": account[1],
                                    "cafile": ROOTS_PEM})


def test_no_relay_attempt_is_accepted(probe, findings):
    attempts = probe["relay"]
    accepted = [entry for entry in attempts if entry["accepted"]]
    assert len(attempts) == len(abuse.relay_attempts("h", "d", "l", ("u", "p"))), attempts
    assert accepted == []
    findings["relay"] = "relay attempts: 0 accepted / %d tried: %s" % (len(attempts), abuse.last_replies(attempts))


def test_auth_is_offered_only_after_tls_and_on_submission_only(probe, findings):
    offer = probe["auth_offer"]
    submission, smtp = offer["587"], offer["25"]
    assert submission["announced_before_tls"] is False, offer
    assert re.match(r"5[0-9][0-9] ", submission["answer_before_tls"]), offer
    assert abuse.auth_mechanisms(submission["announced_after_tls"]) == ["LOGIN", "PLAIN"], offer
    assert smtp["announced_before_tls"] is False, offer
    assert smtp["announced_after_tls"] == "", offer
    assert re.match(r"5[0-9][0-9] ", smtp["answer_before_tls"]), offer
    findings["auth_offer"] = "AUTH: 587 after TLS only (%s; before TLS: %s), 25 never (before TLS: %s)" % (
        submission["announced_after_tls"], submission["answer_before_tls"], smtp["answer_before_tls"])


def test_an_authenticated_user_sends_only_as_herself_or_an_alias_she_owns(probe, server, findings):
    senders = probe["senders"]
    domain = server["site_domain"]
    # postmaster@ is an alias of the first user (site.yml adds it), so alice owns it; bob's
    # address and a foreign domain are not hers.
    assert [entry["from"] for entry in senders if entry["accepted"]] == ["%s@%s" % (USER, domain), "postmaster@" + domain], \
        senders
    assert sorted({entry["auth"] for entry in senders}) == [235], senders
    findings["senders"] = "envelope senders of %s@%s: %s" % (USER, domain, abuse.last_replies(senders))


def test_wrong_passwords_are_answered_late_and_right_ones_at_once(probe, findings):
    delay = probe["auth_delay"]
    assert delay["wrong_codes"] == [535], delay
    assert delay["right_codes"] == [235], delay
    assert delay["wrong_median"] >= 1.0, delay
    assert delay["wrong_median"] > 4 * delay["right_median"], delay
    findings["auth_delay"] = "wrong password answered after %s s (median of %s); right password: %s s (%s)" % (
        delay["wrong_median"], delay["wrong_seconds"], delay["right_median"], delay["right_seconds"])
