"""roles/unbound/files/unbound_check.py: the status it reports for each kind of answer."""

import json
import pathlib
import runpy
import sys
import types

import pytest

SCRIPT = pathlib.Path(__file__).parents[3] / "roles" / "unbound" / "files" / "unbound_check.py"


class Timeout(Exception):
    pass


class NXDOMAIN(Exception):
    pass


class NoAnswer(Exception):
    pass


class NoNameservers(Exception):
    pass


# What the fake resolver does for each name: nothing (an answer) or raise.
OUTCOMES = {
    "ok.example": None,
    "nx.example": NXDOMAIN(),
    "nodata.example": NoAnswer(),
    "servfail.example": NoNameservers("127.0.0.1 answered SERVFAIL"),
    "slow.example": Timeout("timed out"),
    "odd.example": ValueError("odd"),
}


class Resolver:
    instances = []

    def __init__(self, configure=True):
        assert configure is False  # never the host's /etc/resolv.conf
        self.asked = []
        Resolver.instances.append(self)

    def resolve(self, name, rdtype, search=True):
        assert rdtype == "A" and search is False
        self.asked.append(name)
        outcome = OUTCOMES[name.rstrip(".").lower()]
        if outcome is not None:
            raise outcome


@pytest.fixture
def fake_dns(monkeypatch):
    dns = types.ModuleType("dns")
    exception = types.ModuleType("dns.exception")
    exception.Timeout = Timeout
    resolver = types.ModuleType("dns.resolver")
    resolver.Resolver, resolver.NXDOMAIN, resolver.NoAnswer, resolver.NoNameservers = Resolver, NXDOMAIN, NoAnswer, NoNameservers
    dns.exception, dns.resolver = exception, resolver
    monkeypatch.setitem(sys.modules, "dns", dns)
    monkeypatch.setitem(sys.modules, "dns.exception", exception)
    monkeypatch.setitem(sys.modules, "dns.resolver", resolver)
    Resolver.instances = []
    return Resolver


def run(monkeypatch, capsys, names):
    monkeypatch.setattr(sys, "argv", ["unbound_check.py"] + names)
    runpy.run_path(str(SCRIPT), run_name="__main__")
    return json.loads(capsys.readouterr().out)


def test_each_answer_gets_its_status(fake_dns, monkeypatch, capsys):
    answers = run(monkeypatch, capsys, list(OUTCOMES))
    assert {name: answer["status"] for name, answer in answers.items()} == {
        "ok.example": "ok",
        "nx.example": "nxdomain",
        "nodata.example": "noanswer",
        "servfail.example": "servfail",
        "slow.example": "timeout",
        "odd.example": "error",
    }
    assert answers["servfail.example"]["msg"] == "127.0.0.1 answered SERVFAIL"
    assert answers["ok.example"]["msg"] == ""


def test_asks_only_the_local_unbound(fake_dns, monkeypatch, capsys):
    run(monkeypatch, capsys, ["ok.example"])
    (resolver,) = fake_dns.instances
    assert resolver.nameservers == ["127.0.0.1"]
    assert resolver.cache is None


def test_names_are_keyed_as_the_role_expects(fake_dns, monkeypatch, capsys):
    # vars/main.yml (__unbound_check_keys) looks answers up lower case, without the final dot.
    assert list(run(monkeypatch, capsys, ["OK.Example."])) == ["ok.example"]
