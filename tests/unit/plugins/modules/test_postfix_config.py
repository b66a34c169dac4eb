"""The transaction of postmaster.mail.postfix_config, against a temporary directory and a fake
postconf/postmap/postalias (Postfix is not installed here)."""

import os
import stat
import time

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.modules import postfix_config

from .module_call import Failed, call, patch_exits


class FakePostfix:
    """Records the commands; postconf complains when told to, postmap/postalias write the index."""

    def __init__(self):
        self.commands = []
        self.postconf_stderr = ""
        self.postmap_rc = 0
        self.umasks = []

    def run_command(self, module, argv, **kwargs):
        self.commands.append(list(argv))
        self.umasks.append(kwargs.get("umask"))
        tool = os.path.basename(argv[0])
        if tool == "postconf":
            return (1 if self.postconf_stderr else 0), "", self.postconf_stderr
        if self.postmap_rc:
            return self.postmap_rc, "", "postmap: fatal: cannot open the table"
        source = argv[-1].split(":", 1)[1]
        index = source + "." + argv[-1].split(":", 1)[0]
        descriptor = os.open(index, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 & ~(kwargs.get("umask") or 0o022))
        with os.fdopen(descriptor, "w") as stream:
            stream.write("index\n")
        return 0, "", ""

    def tools(self):
        return [os.path.basename(argv[0]) + " " + " ".join(argv[1:]) for argv in self.commands]


@pytest.fixture
def fake(monkeypatch):
    fake = FakePostfix()

    patch_exits(monkeypatch)

    def run_command(self, argv, **kwargs):
        return fake.run_command(self, argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/sbin/" + name)
    return fake


@pytest.fixture
def host(tmp_path):
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    return tmp_path


def args(host, **overrides):
    result = {
        "main_cf": {"myhostname": "mail.example.org", "inet_interfaces": "all", "biff": False, "relayhost": None},
        "master_cf": {"smtp/inet": {"private": "n", "chroot": "y", "command": "smtpd"}},
        "tables": {"virtual_alias": {"info@example.org": ["alice@example.org"]}},
        "aliases": {"postmaster": ["root"]},
        "config_dir": str(host / "etc" / "postfix"),
        "aliases_path": str(host / "etc" / "aliases"),
        "candidate_dir": str(host / "var" / "lib" / "candidate"),
    }
    result.update(overrides)
    return result


def run(module_args, check_mode=False, diff=False):
    return call(postfix_config.main, module_args, check_mode, diff)


def fail(module_args):
    return call(postfix_config.main, module_args, exception=Failed)


def snapshot(host):
    return {str(p): p.read_bytes() for p in sorted(host.rglob("*")) if p.is_file()}


def test_a_new_host_is_configured_once(fake, host):
    result = run(args(host))
    pf = str(host / "etc" / "postfix")
    cand = str(host / "var" / "lib" / "candidate")
    assert result["changed"] is True
    assert result["files"] == [pf + "/virtual_alias", str(host / "etc" / "aliases"), pf + "/master.cf", pf + "/main.cf"]
    assert result["rebuilt"] == [pf + "/virtual_alias", str(host / "etc" / "aliases")]
    assert (result["restart"], result["reload"]) == (False, True)
    assert "diff" not in result
    # The candidate is checked first; a new host has no main.cf, so the indexes use the candidate's.
    assert fake.tools() == [
        "postconf -c %s -n" % cand, "postconf -c %s -M" % cand, "postconf -c %s -P" % cand,
        "postmap -c %s lmdb:%s/virtual_alias" % (cand, pf),
        "postalias -c %s lmdb:%s" % (cand, host / "etc" / "aliases"),
    ]
    main_cf = (host / "etc" / "postfix" / "main.cf").read_text()
    assert main_cf.startswith("#\n# Ansible managed\n#\n# Rendered by the postmaster.mail.postfix role")
    assert "biff = no\ninet_interfaces = all\nmyhostname = mail.example.org\n" in main_cf
    assert "relayhost" not in main_cf
    assert (host / "etc" / "postfix" / "main.cf").read_text() == (host / "var" / "lib" / "candidate" / "main.cf").read_text()
    assert stat.S_IMODE(os.stat(cand).st_mode) == 0o755
    for path in result["files"]:
        info = os.stat(path)
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o644, 0, 0), path

    fake.commands.clear()
    again = run(args(host))
    assert again == {"changed": False, "files": [], "rebuilt": [], "restart": False, "reload": False, "units": {}}
    assert fake.commands == []


def test_check_mode_predicts_everything_and_touches_nothing(fake, host):
    before = snapshot(host)
    result = run(args(host), check_mode=True, diff=True)
    assert result["changed"] is True
    assert len(result["files"]) == 4 and len(result["rebuilt"]) == 2
    assert (result["restart"], result["reload"]) == (False, True)
    assert [d["after_header"] for d in result["diff"]] == result["files"]
    assert result["diff"][0]["before"] == ""
    assert result["diff"][0]["before_header"].endswith("virtual_alias (absent)")
    assert fake.commands == []
    assert snapshot(host) == before
    assert not (host / "var").exists()

    run(args(host))
    fake.commands.clear()
    changed = args(host, tables={"virtual_alias": {"info@example.org": ["bob@example.org"]}})
    result = run(changed, check_mode=True, diff=True)
    assert result["files"] == [str(host / "etc" / "postfix" / "virtual_alias")]
    assert result["rebuilt"] == result["files"]
    assert result["diff"][0]["before"].endswith("info@example.org alice@example.org\n")
    assert result["diff"][0]["after"].endswith("info@example.org bob@example.org\n")
    assert fake.commands == []


def test_a_candidate_postfix_rejects_leaves_the_live_files_alone(fake, host):
    run(args(host))
    before = {path: data for path, data in snapshot(host).items() if "/candidate/" not in path}
    fake.commands.clear()
    fake.postconf_stderr = "postconf: warning: /x/main.cf: unused parameter: smtpd_tls_securty_level=encrypt\n"
    bad = args(host, main_cf={"myhostname": "mail.example.org", "smtpd_tls_securty_level": "encrypt"},
               tables={"virtual_alias": {"info@example.org": ["bob@example.org"]}})
    result = fail(bad)
    assert result["msg"] == (
        "postfix_main_cf / postfix_master_cf: Postfix rejected the candidate configuration in %s, the live one is "
        "unchanged: postconf: warning: /x/main.cf: unused parameter: smtpd_tls_securty_level=encrypt"
        % (host / "var" / "lib" / "candidate"))
    after = {path: data for path, data in snapshot(host).items() if "/candidate/" not in path}
    assert after == before
    assert [argv[0] for argv in fake.commands] == ["/usr/sbin/postconf"] * 3


def test_a_table_change_alone_rebuilds_with_the_live_configuration(fake, host):
    run(args(host))
    fake.commands.clear()
    result = run(args(host, tables={"virtual_alias": {"info@example.org": ["bob@example.org"]}}))
    pf = host / "etc" / "postfix"
    assert result["files"] == [str(pf / "virtual_alias")]
    assert (result["restart"], result["reload"]) == (False, True)
    assert fake.tools() == ["postmap -c %s lmdb:%s" % (pf, pf / "virtual_alias")]


def test_a_missing_or_older_index_is_rebuilt_without_a_file_change(fake, host):
    run(args(host))
    pf = host / "etc" / "postfix"
    os.unlink(str(pf / "virtual_alias.lmdb"))
    os.utime(str(host / "etc" / "aliases.lmdb"), (1, 1))
    fake.commands.clear()
    result = run(args(host))
    assert result["files"] == []
    assert result["rebuilt"] == [str(pf / "virtual_alias"), str(host / "etc" / "aliases")]
    assert result["changed"] is True and result["reload"] is True
    assert len(fake.commands) == 2


def test_a_failed_rebuild_keeps_main_cf_back_and_is_retried(fake, host):
    run(args(host))
    fake.postmap_rc = 1
    new_main_cf = {"myhostname": "mail.example.org", "virtual_alias_maps": "lmdb:/etc/postfix/virtual_alias"}
    changed = args(host, main_cf=new_main_cf, tables={"virtual_alias": {"info@example.org": ["bob@example.org"]}})
    result = fail(changed)
    assert result["msg"].startswith("postmap could not build the index of %s" % (host / "etc" / "postfix" / "virtual_alias"))
    assert "virtual_alias_maps" not in (host / "etc" / "postfix" / "main.cf").read_text()
    os.utime(str(host / "etc" / "postfix" / "virtual_alias.lmdb"), (1, 1))  # the old index stays behind

    fake.postmap_rc = 0
    fake.commands.clear()
    result = run(changed)
    assert result["rebuilt"] == [str(host / "etc" / "postfix" / "virtual_alias")]
    assert result["files"] == [str(host / "etc" / "postfix" / "main.cf")]
    assert "virtual_alias_maps" in (host / "etc" / "postfix" / "main.cf").read_text()


def test_a_startup_parameter_asks_for_a_restart_instead_of_a_reload(fake, host):
    run(args(host))
    result = run(args(host, main_cf={"myhostname": "mail.example.org", "inet_interfaces": "loopback-only"}))
    assert (result["restart"], result["reload"]) == (True, False)
    result = run(args(host, main_cf={"myhostname": "mail.example.net", "inet_interfaces": "loopback-only"}))
    assert (result["restart"], result["reload"]) == (False, True)


def test_a_master_cf_change_is_checked_too(fake, host):
    run(args(host))
    fake.commands.clear()
    result = run(args(host, master_cf={"smtp/inet": {"private": "n", "chroot": "n", "command": "smtpd"}}))
    assert result["files"] == [str(host / "etc" / "postfix" / "master.cf")]
    assert [argv[-1] for argv in fake.commands] == ["-n", "-M", "-P"]


def test_a_mode_changed_by_hand_is_put_back(fake, host):
    run(args(host))
    main_cf = str(host / "etc" / "postfix" / "main.cf")
    os.chmod(main_cf, 0o600)
    fake.commands.clear()
    assert run(args(host), check_mode=True)["files"] == [main_cf]
    assert stat.S_IMODE(os.stat(main_cf).st_mode) == 0o600
    result = run(args(host))
    assert result["files"] == [main_cf]
    assert stat.S_IMODE(os.stat(main_cf).st_mode) == 0o644
    assert fake.commands == []


def test_aliases_are_left_alone_when_not_given(fake, host):
    module_args = args(host)
    del module_args["aliases"]
    result = run(module_args)
    assert str(host / "etc" / "aliases") not in result["files"]
    assert not (host / "etc" / "aliases").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"main_cf": {"message_size_limit": {"megabytes": 50}}}, "main_cf: message_size_limit: a dict cannot"),
        ({"master_cf": {"smtp/inet": {"private": "n"}}}, "master_cf: smtp/inet: a service needs a command"),
        ({"tables": {"../shadow": {}}}, 'tables: "../shadow" is not a file name'),
        ({"tables": {"main.cf": {"a": "b"}}}, 'tables: "main.cf" is a name Postfix uses for its own files'),
        ({"tables": {"virtual.lmdb": {}}}, 'tables: "virtual.lmdb" is a name Postfix uses'),
    ],
)
def test_bad_data_fails_before_anything_is_written(fake, host, overrides, message):
    assert fail(args(host, **overrides))["msg"].startswith(message)
    assert snapshot(host) == {}


def test_the_units_are_reported_as_systemd_sees_them_and_left_alone(fake, host, monkeypatch):
    """The state of the given units comes back (in check mode too); systemctl is only asked."""
    answers = {"is-active": "inactive\n", "is-enabled": "enabled\n"}

    def run_command(self, argv, **kwargs):
        if os.path.basename(argv[0]) == "systemctl":
            fake.commands.append(list(argv))
            return 3, answers[argv[1]], ""
        return fake.run_command(self, argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    result = run(args(host, units=["postfix.service"]), check_mode=True)
    assert result["units"] == {"postfix.service": {"active": False, "enabled": True, "ready": False}}
    assert [tool for tool in fake.tools() if tool.startswith("systemctl")] == [
        "systemctl is-active postfix.service", "systemctl is-enabled postfix.service"]


def test_main_cf_is_dated_back_so_postfix_reads_it_without_pausing(fake, host):
    """Postfix pauses before reading a main.cf modified within the last second; the candidate and
    the live one, written whole, are dated SETTLE_SECONDS back (master.cf needs nothing)."""
    before = time.time()
    run(args(host))
    for path in (host / "etc" / "postfix" / "main.cf", host / "var" / "lib" / "candidate" / "main.cf"):
        assert os.stat(path).st_mtime <= before - postfix_config.SETTLE_SECONDS + 1, path
    assert os.stat(host / "etc" / "postfix" / "master.cf").st_mtime >= int(before)


def test_the_merged_data_of_postfix_merge_is_the_same_as_the_three_options(fake, host):
    given = args(host)
    apart = run(given, check_mode=True, diff=True)
    merged = dict((key, value) for key, value in given.items() if key not in ("main_cf", "master_cf", "tables"))
    merged["merged"] = {"main_cf": given["main_cf"], "master_cf": given["master_cf"], "tables": given["tables"], "errors": []}
    assert run(merged, check_mode=True, diff=True) == apart
    both = dict(merged, main_cf={"biff": False})
    assert "mutually exclusive" in fail(both)["msg"]


def test_a_pattern_table_is_written_as_given_and_never_indexed(fake, host):
    tables = {"virtual_alias": {"info@example.org": ["alice@example.org"]},
              "senders.regexp": "if !/^\"?<>\"?$/\n!/@example[.]org$/ srs-forward:[127.0.0.1]:10027\nendif\n"}
    run(args(host, tables=tables))
    pf = host / "etc" / "postfix"
    text = (pf / "senders.regexp").read_text()
    assert text.endswith("(no index).\nif !/^\"?<>\"?$/\n!/@example[.]org$/ srs-forward:[127.0.0.1]:10027\nendif\n"), text
    assert not any(name.startswith("senders.regexp.") for name in os.listdir(pf))
    assert [tool for tool in fake.tools() if "senders" in tool] == []
    fake.commands.clear()
    changed = run(args(host, tables=dict(tables, **{"senders.regexp": "/x/ y\n"})))
    assert (changed["files"], changed["rebuilt"], changed["reload"]) == ([str(pf / "senders.regexp")], [], True)
    assert fake.commands == []


def test_a_secret_table_is_root_only_indexed_so_and_never_shown(fake, host):
    secret = {"[smtp.example.net]:587": "me:s3cret-Relay"}
    result = run(args(host, secret_tables={"smarthost_password": secret}), diff=True)
    pf = host / "etc" / "postfix"
    assert str(pf / "smarthost_password") in result["files"]
    for path in (pf / "smarthost_password", pf / "smarthost_password.lmdb"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert "[smtp.example.net]:587 me:s3cret-Relay" in (pf / "smarthost_password").read_text()
    # postmap made the index under umask 077 (never readable by others, not even for a moment).
    postmap = "postmap -c %s lmdb:%s" % (host / "var" / "lib" / "candidate", pf / "smarthost_password")
    assert fake.umasks[fake.tools().index(postmap)] == 0o077
    assert "s3cret-Relay" not in str(result)
    assert [entry["after"] for entry in result["diff"] if entry["after_header"].endswith("smarthost_password")] == [
        "(a secret: not shown)\n"]
    os.chmod(pf / "smarthost_password.lmdb", 0o644)
    again = run(args(host, secret_tables={"smarthost_password": secret}))
    assert again["files"] == [str(pf / "smarthost_password")]
    assert stat.S_IMODE(os.stat(pf / "smarthost_password.lmdb").st_mode) == 0o600


def test_a_secret_table_may_not_be_a_pattern_or_another_table(fake, host):
    assert "secret_tables: virtual_alias must be an indexed table of a name of its own" in fail(
        args(host, secret_tables={"virtual_alias": {"a": "b"}}))["msg"]
    assert "secret_tables: relay.regexp must be an indexed table" in fail(
        args(host, secret_tables={"relay.regexp": {"a": "b"}}))["msg"]
