"""DKIM rotation's plan and its report lines (pure)."""

import pytest

from ansible_collections.postmaster.mail.plugins.filter.dkim_rotation_line import dkim_rotation_line
from ansible_collections.postmaster.mail.plugins.module_utils import _dkim_rotation


def test_a_second_rotation_on_one_day_takes_the_next_letter():
    state = {"example.org": {"rsa": {"active": "mail-20261206", "next": None, "retired": [
        {"selector": "mail", "until": "2026-12-13"}]}}}
    made = _dkim_rotation.plan(state, ["example.org"], ["rsa", "ed25519"], "mail", True, set(), 7, "2026-12-06")
    assert made["state"]["example.org"]["rsa"]["next"] == "mail-20261206b"
    assert made["state"]["example.org"]["ed25519"] == {"active": "mail-ed", "next": "mail-20261206-ed", "retired": []}
    assert [(p["selector"], p["role"]) for p in made["publish"] if p["type"] == "rsa"] == [
        ("mail-20261206", "active"), ("mail-20261206b", "next"), ("mail", "retired")]


def test_without_asking_nothing_moves():
    state = {"example.org": {"rsa": {"active": "mail", "next": "mail-20261206", "retired": []}}}
    made = _dkim_rotation.plan(state, ["example.org"], ["rsa"], "mail", False, {"mail-20261206._domainkey.example.org"}, 7,
                               "2026-12-07")
    assert made["state"] == state and made["events"] == [] and made["sign"] == {"example.org": {"rsa": "mail"}}


@pytest.mark.parametrize("event, words", [
    ({"event": "created", "selector": "mail-20261206"}, "publish its TXT record"),
    ({"event": "waiting", "selector": "mail-20261206"}, "waiting for DNS to show mail-20261206._domainkey.example.org"),
    ({"event": "switched", "selector": "mail-20261206", "old": "mail", "until": "2026-12-13"},
     "keep mail._domainkey.example.org published until 2026-12-13"),
    ({"event": "retired", "selector": "mail", "until": "2026-12-13"}, "can be removed from DNS now"),
])
def test_each_event_has_its_line(event, words):
    assert words in dkim_rotation_line(dict(event, domain="example.org", type="rsa"))
