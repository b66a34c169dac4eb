"""The transaction of postmaster.mail.opendkim_config, against a temporary directory, real keys and
a fake opendkim/systemctl (OpenDKIM and systemd are not here). Owners are root: the test runs as
root, and the role's users do not exist on this machine."""

import json
import os
import stat

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.module_utils import _dkim
from ansible_collections.postmaster.mail.plugins.modules import opendkim_config

from .module_call import Failed, call, patch_exits


class FakeTools:
    """Records the commands; opendkim -n fails when told to (and keeps the candidate it read)."""

    def __init__(self):
        self.commands = []
        self.queries = []
        self.candidates = []
        self.opendkim_rc = 0
        self.installed = True
        self.warnings = []

    def run_command(self, argv):
        if argv[1:2] in (["is-active"], ["is-enabled"]):
            # systemd's view of the units (read-only, also in check mode): every instance runs.
            self.queries.append(list(argv))
            return 0, ("active\n" if argv[1] == "is-active" else "enabled\n") * len(argv[2:]), ""
        self.commands.append(list(argv))
        if os.path.basename(argv[0]) == "opendkim":
            with open(argv[-1]) as stream:
                self.candidates.append(stream.read())
            if self.opendkim_rc:
                return self.opendkim_rc, "", "opendkim: %s: configuration error at line 20: invalid socket\n" % argv[-1]
        return 0, "", ""

    def tools(self):
        return [" ".join([os.path.basename(argv[0])] + argv[1:]) for argv in self.commands]


@pytest.fixture
def fake(monkeypatch):
    fake = FakeTools()

    def get_bin_path(self, name, required=False, **_kwargs):
        if name == "opendkim" and not fake.installed:
            return None
        return "/usr/sbin/" + name

    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(argv))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning: fake.warnings.append(warning))
    return fake


@pytest.fixture
def host(tmp_path):
    (tmp_path / "etc" / "systemd" / "system").mkdir(parents=True)
    (tmp_path / "tmp").mkdir()
    return tmp_path


def instances(host, ed25519=True):
    found = [{"type": "rsa", "service": "opendkim", "config": str(host / "etc" / "opendkim.conf"), "tables_suffix": "",
              "socket": "/var/spool/postfix/opendkim/opendkim.sock", "pidfile": "/run/opendkim/opendkim.pid",
              "algorithm": "rsa-sha256", "mode": "sv"},
             {"type": "ed25519", "service": "opendkim-ed25519", "config": str(host / "etc" / "opendkim-ed25519.conf"),
              "tables_suffix": "-ed25519", "socket": "/var/spool/postfix/opendkim/opendkim-ed25519.sock",
              "pidfile": "/run/opendkim/opendkim-ed25519.pid", "algorithm": "ed25519-sha256", "mode": "s"}]
    return found if ed25519 else found[:1]


def args(host, ed25519=True, **overrides):
    result = {
        "domains": ["example.org", "example.net"],
        "instances": instances(host, ed25519),
        "retired_instances": [] if ed25519 else instances(host)[1:],
        "selectors": {"rsa": "mail", "ed25519": "mail-ed"},
        "rsa_size": 2048,
        "config_dir": str(host / "etc" / "opendkim"),
        "keys_dir": str(host / "etc" / "opendkim" / "keys"),
        "socket_dir": str(host / "var" / "spool" / "postfix" / "opendkim"),
        "unit_dir": str(host / "etc" / "systemd" / "system"),
        "user": "root", "group": "root", "key_group": "root",
        "_ansible_tmpdir": str(host / "tmp"),
    }
    result.update(overrides)
    return result


def run(module_args, check_mode=False, diff=False):
    return call(opendkim_config.main, module_args, check_mode, diff)


def fail(module_args):
    return call(opendkim_config.main, module_args, exception=Failed)


def snapshot(host):
    return {str(p): (p.read_bytes() if p.is_file() else None, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(host.rglob("*")) if not str(p).startswith(str(host / "tmp"))}


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def key_record(path, selector, domain):
    with open(str(path), "rb") as stream:
        return _dkim.record(selector, domain, _dkim.load_pem(stream.read()))


def test_a_new_host_is_configured_once(fake, host):
    result = run(args(host))
    etc = host / "etc"
    keys = etc / "opendkim" / "keys"
    assert result["changed"] is True
    assert (result["restart"], result["units_changed"], result["retired"]) == (True, True, [])
    assert result["files"] == [
        str(etc / "opendkim"), str(keys), str(host / "var/spool/postfix/opendkim"), str(keys / "example.org"),
        str(keys / "example.net"),
        str(keys / "example.org/mail.private"), str(keys / "example.org/mail-ed.private"),
        str(keys / "example.net/mail.private"), str(keys / "example.net/mail-ed.private"),
        str(etc / "opendkim/InternalHosts"), str(etc / "opendkim/KeyTable"), str(etc / "opendkim/SigningTable"),
        str(etc / "opendkim/KeyTable-ed25519"), str(etc / "opendkim/SigningTable-ed25519"),
        str(etc / "systemd/system/opendkim.service"), str(etc / "systemd/system/opendkim-ed25519.service"),
        str(etc / "opendkim.conf"), str(etc / "opendkim-ed25519.conf"),
    ]
    # The records are those of the keys on disk, as opendkim_dns_records holds them.
    expected = {}
    for domain in ("example.org", "example.net"):
        for selector, key_type, bits in (("mail", "rsa", 2048), ("mail-ed", "ed25519", 256)):
            record = key_record(keys / domain / (selector + ".private"), selector, domain)
            assert (record["type"], record["size"]) == (key_type, bits)
            expected[record["dns_name"]] = record["txt_strings"]
    assert result["records"] == expected
    assert list(expected) == ["mail._domainkey.example.org", "mail-ed._domainkey.example.org",
                              "mail._domainkey.example.net", "mail-ed._domainkey.example.net"]
    # Each configuration was checked by opendkim -n before it went live, as it is now.
    assert [argv[:3] for argv in fake.commands] == [["/usr/sbin/opendkim", "-n", "-x"]] * 2
    assert fake.candidates == [(etc / "opendkim.conf").read_text(), (etc / "opendkim-ed25519.conf").read_text()]
    assert not list((host / "tmp").iterdir())  # the candidates are gone
    modes = {str(etc / "opendkim"): 0o755, str(keys): 0o700, str(keys / "example.org"): 0o700,
             str(host / "var/spool/postfix/opendkim"): 0o750, str(keys / "example.net/mail-ed.private"): 0o600,
             str(etc / "opendkim/KeyTable-ed25519"): 0o644, str(etc / "systemd/system/opendkim.service"): 0o644}
    assert {path: mode(path) for path in modes} == modes
    assert "Socket                  local:/var/spool/postfix/opendkim/opendkim-ed25519.sock\n" in (
        etc / "opendkim-ed25519.conf").read_text()
    assert (etc / "opendkim/KeyTable").read_text().startswith("#\n# Ansible managed\n#\n# The rsa keys.")
    assert "diff" not in result

    fake.commands.clear()
    again = run(args(host))
    ready = {"active": True, "enabled": True, "ready": True}
    assert again == {"changed": False, "files": [], "records": expected, "restart": False, "units_changed": False,
                     "retired": [], "units": {"opendkim.service": ready, "opendkim-ed25519.service": ready},
                     "next_records": {}, "rotation": {}}
    assert fake.commands == []
    # systemd was asked about both instances' units at once, twice per run, and nothing else.
    assert fake.queries[-2:] == [["/usr/sbin/systemctl", "is-active", "opendkim.service", "opendkim-ed25519.service"],
                                 ["/usr/sbin/systemctl", "is-enabled", "opendkim.service", "opendkim-ed25519.service"]]


def test_check_mode_predicts_everything_and_touches_nothing(fake, host):
    before = snapshot(host)
    result = run(args(host), check_mode=True, diff=True)
    assert result["changed"] is True
    assert len(result["files"]) == 18
    assert result["records"] == {}  # no key is made in check mode
    assert (result["restart"], result["units_changed"]) == (True, True)
    assert fake.commands == []
    assert snapshot(host) == before
    assert {"before": "absent\n", "after": "a new ed25519 key\n",
            "before_header": str(host / "etc/opendkim/keys/example.net/mail-ed.private"),
            "after_header": str(host / "etc/opendkim/keys/example.net/mail-ed.private")} in result["diff"]

    first = run(args(host))
    result = run(args(host), check_mode=True, diff=True)
    assert (result["changed"], result["files"], result["restart"]) == (False, [], False)
    assert result["records"] == first["records"]
    assert "diff" not in result


def test_no_key_material_in_any_output(fake, host):
    result = run(args(host), diff=True)
    text = json.dumps(result)
    assert "PRIVATE KEY" not in text
    key = host / "etc/opendkim/keys/example.org/mail.private"
    body = "".join(key.read_text().splitlines()[1:-1])
    assert body[:40] not in text and body[-40:] not in text
    record = key_record(key, "mail", "example.org")
    key_diffs = [d for d in result["diff"] if d.get("after_header") == str(key)]
    assert key_diffs == [{"before": "absent\n", "after": "rsa 2048 %s\n" % record["fingerprint"],
                          "before_header": str(key), "after_header": str(key)}]


def test_a_config_opendkim_rejects_leaves_the_live_files_alone(fake, host):
    run(args(host))
    before = snapshot(host)
    fake.commands.clear()
    fake.opendkim_rc = 78
    bad = args(host)
    bad["instances"][1]["socket"] = "/nowhere/opendkim-ed25519.sock"
    result = fail(bad)
    assert result["msg"].startswith(
        "opendkim rejected the configuration of opendkim-ed25519 (opendkim -n -x exited with status 78), the live "
        "configurations are unchanged: opendkim: ")
    assert result["msg"].endswith(": configuration error at line 20: invalid socket")
    assert snapshot(host) == before
    assert fake.tools()[0].startswith("opendkim -n -x ") and len(fake.commands) == 1
    assert "Socket                  local:/nowhere/opendkim-ed25519.sock\n" in fake.candidates[-1]
    assert not list((host / "tmp").iterdir())


def test_without_opendkim_a_config_cannot_be_checked_nor_installed(fake, host):
    fake.installed = False
    result = fail(args(host, ed25519=False))
    assert result["msg"] == (
        "opendkim is not installed (no opendkim command on the PATH), so the configuration %s cannot be checked; "
        "the live configurations are unchanged" % (host / "etc" / "opendkim.conf"))
    assert not (host / "etc" / "opendkim.conf").exists()
    assert fake.commands == []


def test_a_reload_or_a_restart(fake, host):
    run(args(host))
    reload_only = args(host)
    reload_only["instances"][0]["mode"] = "s"
    result = run(reload_only)
    assert result["files"] == [str(host / "etc" / "opendkim.conf")]
    assert (result["changed"], result["restart"], result["units_changed"]) == (True, False, False)

    result = run(args(host, umask="0007"))
    assert result["files"] == [str(host / "etc" / "opendkim.conf"), str(host / "etc" / "opendkim-ed25519.conf")]
    assert (result["restart"], result["units_changed"]) == (True, False)

    result = run(args(host, umask="0007", domains=["example.org"]))
    assert result["files"] == [str(host / "etc/opendkim" / name)
                               for name in ("KeyTable", "SigningTable", "KeyTable-ed25519", "SigningTable-ed25519")]
    assert result["restart"] is False
    assert list(result["records"]) == ["mail._domainkey.example.org", "mail-ed._domainkey.example.org"]


def test_a_retired_instance_is_stopped_and_removed_and_its_keys_stay(fake, host):
    run(args(host))
    fake.commands.clear()
    result = run(args(host, ed25519=False), diff=True)
    unit = host / "etc/systemd/system/opendkim-ed25519.service"
    config = host / "etc/opendkim-ed25519.conf"
    assert result["retired"] == ["opendkim-ed25519"]
    assert result["files"] == [str(config), str(unit)]
    assert (result["changed"], result["units_changed"], result["restart"]) == (True, True, False)
    assert fake.tools() == ["systemctl disable --now opendkim-ed25519"]
    assert not unit.exists() and not config.exists()
    assert (host / "etc/opendkim/keys/example.org/mail-ed.private").exists()
    assert (host / "etc/opendkim/KeyTable-ed25519").exists()  # tables are harmless data, as before
    assert list(result["records"]) == ["mail._domainkey.example.org", "mail._domainkey.example.net"]
    assert {"before": "present\n", "after": "absent\n", "before_header": str(unit), "after_header": str(unit)} in result["diff"]

    fake.commands.clear()
    again = run(args(host, ed25519=False))
    assert (again["changed"], again["retired"], again["units_changed"]) == (False, [], False)
    assert fake.commands == []


def test_a_key_is_never_replaced_and_its_mode_is_put_back(fake, host):
    first = run(args(host, ed25519=False))
    key = host / "etc/opendkim/keys/example.org/mail.private"
    os.chmod(str(key), 0o644)
    data = key.read_bytes()
    result = run(args(host, ed25519=False, rsa_size=3072), diff=True)
    assert result["files"] == [str(key)]
    assert key.read_bytes() == data and mode(key) == 0o600
    assert result["records"] == first["records"]
    assert result["diff"] == [{"before": {"path": str(key), "mode": "0644"}, "after": {"path": str(key), "mode": "0600"}}]
    assert fake.warnings == [
        "%s/%s/mail.private: the key on disk is rsa 2048, not the requested rsa 3072: it is kept; use a new selector to "
        "change keys" % (host / "etc/opendkim/keys", domain) for domain in ("example.org", "example.net")]


def test_bad_input_is_refused_before_anything_changes(fake, host):
    result = fail(args(host, domains=["exa mple.org"], rsa_size=512))
    assert result["msg"] == ("opendkim_config: domain 'exa mple.org' is not a domain name such as example.org; "
                             "size 512 is below 2048 bits, which verifiers refuse (RFC 8301)")
    assert not (host / "etc" / "opendkim").exists()


def rotation(host, rotate=False, published=(), today="2026-12-06"):
    return args(host, rotation={"rotate": rotate, "base": "mail", "published": list(published), "retire_days": 7,
                                "today": today})


def tables(host):
    return {name: (host / "etc" / "opendkim" / name).read_text() for name in ("KeyTable", "SigningTable", "KeyTable-ed25519")}


def test_a_rotation_publishes_the_next_key_first_and_switches_once_dns_shows_it(fake, host):
    first = run(rotation(host))
    state_file = host / "etc" / "opendkim" / "keys" / "rotation.json"
    assert not state_file.exists(), "no state file until a rotation is asked for"
    before = tables(host)
    created = run(rotation(host, rotate=True))
    assert created["changed"] and tables(host) == before, "signing changed before the next key was published"
    assert sorted(created["next_records"]) == [
        "mail-20261206-ed._domainkey.example.net", "mail-20261206-ed._domainkey.example.org",
        "mail-20261206._domainkey.example.net", "mail-20261206._domainkey.example.org"]
    assert sorted(created["records"]) == sorted(first["records"])
    assert [e["event"] for e in created["rotation"]["events"]] == ["created"] * 4
    state = json.loads(state_file.read_text())
    assert state["domains"]["example.org"]["rsa"] == {"active": "mail", "next": "mail-20261206", "retired": []}
    assert state["next_records"]["mail-20261206._domainkey.example.org"].startswith("v=DKIM1; k=rsa; p=")
    assert mode(state_file) == 0o644 and "PRIVATE" not in state_file.read_text()

    # Not asked: nothing changes. Asked while DNS shows only one domain's RSA record: that one switches.
    assert run(rotation(host))["changed"] is False
    partly = run(rotation(host, rotate=True, published=["mail-20261206._domainkey.example.org"], today="2026-12-08"))
    events = {(e["domain"], e["type"]): e for e in partly["rotation"]["events"]}
    assert events[("example.org", "rsa")]["event"] == "switched" and events[("example.org", "rsa")]["until"] == "2026-12-15"
    assert events[("example.net", "rsa")]["event"] == "waiting"
    assert "*@example.org mail-20261206._domainkey.example.org" in tables(host)["SigningTable"]
    assert "*@example.net mail._domainkey.example.net" in tables(host)["SigningTable"]
    # The old selector is still published (records), the new one is no longer "next".
    assert {"mail._domainkey.example.org", "mail-20261206._domainkey.example.org"} <= set(partly["records"])
    assert "mail-20261206._domainkey.example.org" not in partly["next_records"]
    assert run(rotation(host, today="2026-12-08"))["changed"] is False

    # Past the retirement date: the old selector leaves the records, and the report says so.
    later = run(rotation(host, today="2026-12-15"))
    assert [(e["domain"], e["event"], e["selector"]) for e in later["rotation"]["events"]] == [
        ("example.org", "retired", "mail")]
    assert "mail._domainkey.example.org" not in later["records"]
    assert (host / "etc" / "opendkim" / "keys" / "example.org" / "mail.private").exists(), "a key is never deleted"


def test_a_rotation_in_check_mode_changes_nothing(fake, host):
    run(rotation(host))
    before = snapshot(host)
    result = run(rotation(host, rotate=True), check_mode=True)
    assert result["changed"] and snapshot(host) == before
