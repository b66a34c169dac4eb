"""The transaction of postmaster.mail.dovecot_config, against a temporary directory and a fake
doveconf (Dovecot is not installed here)."""

import os
import stat

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.module_utils import _dovecot
from ansible_collections.postmaster.mail.plugins.modules import dovecot_config

from .module_call import Failed, call, patch_exits

PASSWORD = "correct horse battery"
GIVEN_HASH = "{SHA512-CRYPT}$6$given$hashgivenbytheuser"


class FakeDoveconf:
    """doveconf and sievec: doveconf records the candidate it checks; sievec records the script it
    compiles, with the config it was given, and writes a "binary" (or complains)."""

    def __init__(self):
        self.commands = []
        self.candidates = []
        self.stderr = ""
        self.sievec = []
        self.sievec_stderr = ""
        self.sievec_rc = 89

    def run_command(self, argv):
        self.commands.append(list(argv))
        if argv[0].endswith("sievec"):
            config, script, binary = argv[2], argv[3], argv[4]
            with open(config) as stream:
                config_text = stream.read()
            with open(script) as stream:
                self.sievec.append((os.path.basename(script), stream.read(), config_text))
            if self.sievec_stderr:
                name = os.path.basename(script)[:-len(".sieve")]
                return (0 if "warning" in self.sievec_stderr else self.sievec_rc), "", self.sievec_stderr % {"name": name}
            with open(binary, "w") as stream:
                stream.write("compiled " + script)
            os.chmod(binary, 0o600)
            return 0, "", ""
        with open(argv[-1]) as stream:
            self.candidates.append(stream.read())
        return (89 if self.stderr else 0), "", self.stderr % {"path": argv[-1]} if self.stderr else ""


@pytest.fixture
def fake(monkeypatch, tmp_path):
    fake = FakeDoveconf()

    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(argv))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/bin/" + name)
    (tmp_path / "moduletmp").mkdir()
    monkeypatch.setattr(basic.AnsibleModule, "tmpdir", str(tmp_path / "moduletmp"))
    return fake


@pytest.fixture
def host(tmp_path):
    (tmp_path / "etc" / "dovecot").mkdir(parents=True)
    return tmp_path


def args(host, **overrides):
    result = {
        "config": "protocols = imap lmtp\n",
        "config_path": str(host / "etc" / "dovecot" / "dovecot.conf"),
        "users": [{"address": "Alice@Example.org", "password": PASSWORD},
                  {"address": "bob@example.org", "password_hash": GIVEN_HASH}],
        "password_rounds": 5000,
        # Argon2id at its cheapest (the cost is the role's business, not the transaction's).
        "password_memory": 8192,
        "password_iterations": 1,
        "fingerprints_path": str(host / "etc" / "dovecot" / "private" / "password-fingerprints"),
        "users_path": str(host / "etc" / "dovecot" / "users"),
        # Groups and owners that exist wherever the tests run as root.
        "users_group": "root",
        "salt_secret_path": str(host / "etc" / "dovecot" / "private" / "password-salt-secret"),
        "mail_base": str(host / "var" / "vmail"),
        "mail_user": "root",
    }
    result.update(overrides)
    return result


def run(module_args, check_mode=False, diff=False):
    return call(dovecot_config.main, module_args, check_mode, diff)


def fail(module_args):
    return call(dovecot_config.main, module_args, exception=Failed)


def snapshot(host):
    return {str(p): (p.read_bytes() if p.is_file() else None, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(host.rglob("*")) if "moduletmp" not in str(p)}


def paths(host):
    return {"conf": str(host / "etc/dovecot/dovecot.conf"), "users": str(host / "etc/dovecot/users"),
            "secret": str(host / "etc/dovecot/private/password-salt-secret"), "mail": str(host / "var/vmail"),
            "marks": str(host / "etc/dovecot/private/password-fingerprints")}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_host_is_configured_once(fake, host):
    p = paths(host)
    result = run(args(host))
    assert result["changed"] is True
    assert result["files"] == [p["mail"], p["secret"], p["users"], p["marks"], p["conf"]]
    assert result["reload"] is True
    assert "diff" not in result
    assert fake.commands[0][:3] == ["/usr/bin/doveconf", "-n", "-c"]
    assert fake.candidates == ["protocols = imap lmtp\n"]
    assert not os.path.exists(fake.commands[0][3])
    assert mode(p["mail"]) == 0o750 and mode(p["secret"]) == 0o600 and mode(p["users"]) == 0o640
    assert mode(p["conf"]) == 0o644 and mode(os.path.dirname(p["secret"])) == 0o700 and mode(p["marks"]) == 0o600
    secret = open(p["secret"]).read()
    assert len(secret) == 44 and secret.endswith("\n") and secret[:-1].isalnum()
    users = open(p["users"]).read()
    entries, marks = _dovecot.user_entries(args(host)["users"], secret.strip(), 5000, memory=8192, iterations=1)
    assert users == _dovecot.render_users(entries, "Ansible managed")
    assert open(p["marks"]).read() == _dovecot.render_fingerprints(marks, "Ansible managed")
    assert "alice@example.org:{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$" in users and "bob@example.org:" + GIVEN_HASH in users
    assert PASSWORD not in users
    assert not [name for name in os.listdir(host / "etc" / "dovecot") if name.startswith(".")]

    again = run(args(host))
    assert again == {"changed": False, "files": [], "reload": False, "units": {}}
    assert len(fake.commands) == 1  # an unchanged dovecot.conf is not checked again
    assert open(p["secret"]).read() == secret


def _old_host(host):
    """A host converged by 0.2.0: the secret file made by the copy task and users.j2's bytes
    (SHA512-CRYPT salted by the address, no fingerprints)."""
    from ansible_collections.postmaster.mail.plugins.module_utils._passwords import derive_salt
    from ansible_collections.postmaster.mail.plugins.module_utils._shacrypt import sha512_crypt
    p = paths(host)
    os.makedirs(os.path.dirname(p["secret"]), 0o700)
    with open(p["secret"], "w") as stream:
        stream.write("Q" * 43 + "\n")
    os.chmod(p["secret"], 0o600)
    old = ("#\n# Ansible managed\n#\n# Mail users of the postmaster.mail.dovecot role: address:{scheme}hash\n"
           "alice@example.org:{SHA512-CRYPT}%s\nbob@example.org:%s\n"
           % (sha512_crypt(PASSWORD, derive_salt("alice@example.org", "Q" * 43), 5000), GIVEN_HASH))
    with open(p["users"], "w") as stream:
        stream.write(old)
    os.chmod(p["users"], 0o640)
    return old


def test_the_secret_is_kept_and_sha512_crypt_hashes_are_the_old_ones(fake, host):
    old = _old_host(host)
    p = paths(host)
    result = run(args(host, password_scheme="SHA512-CRYPT"), diff=True)
    assert p["users"] not in result["files"] and p["secret"] not in result["files"]
    assert open(p["users"]).read() == old


def test_an_old_hosts_plain_passwords_move_to_argon2id_once(fake, host):
    _old_host(host)
    p = paths(host)
    result = run(args(host), diff=True)
    assert p["users"] in result["files"] and p["marks"] in result["files"] and p["secret"] not in result["files"]
    assert result["reload"] is True and result["diff"][0]["after"] == "alice@example.org (password changed)\nbob@example.org\n"
    users = open(p["users"]).read()
    assert "alice@example.org:{ARGON2ID}$argon2id$" in users and "bob@example.org:" + GIVEN_HASH in users
    assert run(args(host))["changed"] is False


def test_check_mode_on_a_new_host_writes_nothing_and_hashes_nothing(fake, host, monkeypatch):
    def no_hashing(*_args):
        raise AssertionError("hashed in check mode without a secret")

    monkeypatch.setattr(_dovecot, "dovecot_hash", no_hashing)
    before = snapshot(host)
    result = run(args(host), check_mode=True, diff=True)
    p = paths(host)
    assert result["changed"] is True and result["reload"] is True
    assert result["files"] == [p["mail"], p["secret"], p["users"], p["marks"], p["conf"]]
    assert snapshot(host) == before
    assert fake.commands == []
    assert [d["after_header"] for d in result["diff"]] == [p["users"] + " (addresses)", p["conf"]]
    assert result["diff"][0]["after"] == "alice@example.org\nbob@example.org\n"


def test_check_mode_on_a_converged_host_predicts_exactly(fake, host):
    run(args(host))
    before = snapshot(host)
    assert run(args(host), check_mode=True)["changed"] is False
    changed = args(host, users=[{"address": "alice@example.org", "password": "another one"}])
    result = run(changed, check_mode=True, diff=True)
    assert result["files"] == [paths(host)["users"], paths(host)["marks"]] and result["reload"] is True
    assert snapshot(host) == before


def test_diff_never_shows_a_hash_or_a_password(fake, host):
    run(args(host))
    p = paths(host)
    users = [{"address": "alice@example.org", "password": "a new password"},
             {"address": "carol@example.org", "password": PASSWORD}]
    result = run(args(host, users=users, config="protocols = imap pop3 lmtp\n"), diff=True)
    assert result["files"] == [p["users"], p["marks"], p["conf"]]
    users_diff, conf_diff = result["diff"]
    assert users_diff["before"] == "alice@example.org\nbob@example.org\n"
    assert users_diff["after"] == "alice@example.org (password changed)\ncarol@example.org\n"
    assert (conf_diff["before"], conf_diff["after"]) == ("protocols = imap lmtp\n", "protocols = imap pop3 lmtp\n")
    shown = repr(result)
    marks = open(p["marks"]).read().split(":")[-1].strip()
    for secret in ("$argon2id$", "ARGON2ID", PASSWORD, "a new password", open(p["secret"]).read().strip(), marks):
        assert secret not in shown


def test_a_rejected_configuration_changes_nothing(fake, host):
    fake.stderr = "doveconf: Fatal: Error in configuration file %(path)s line 1: Unknown setting: protocolz"
    before = snapshot(host)
    failed = fail(args(host, config="protocolz = imap\n"))
    assert failed["msg"].startswith("dovecot_* variables: Dovecot rejected the new dovecot.conf (doveconf -n); the live")
    assert "Unknown setting: protocolz" in failed["msg"] and "<candidate>" in failed["msg"]
    assert snapshot(host) == before
    assert not os.listdir(host / "moduletmp")


def test_modes_changed_by_hand_are_put_back(fake, host):
    run(args(host))
    p = paths(host)
    for path, wrong in ((p["users"], 0o644), (p["secret"], 0o644), (p["conf"], 0o600), (p["mail"], 0o755), (p["marks"], 0o644)):
        os.chmod(path, wrong)
    result = run(args(host))
    assert sorted(result["files"]) == sorted(p.values())
    assert (mode(p["users"]), mode(p["secret"]), mode(p["conf"]), mode(p["mail"]), mode(p["marks"])) == (0o640, 0o600, 0o644, 0o750, 0o600)


def test_only_given_hashes_need_no_secret(fake, host):
    result = run(args(host, users=[{"address": "bob@example.org", "password_hash": GIVEN_HASH}]))
    assert paths(host)["secret"] not in result["files"]
    assert not os.path.exists(paths(host)["secret"])


@pytest.mark.parametrize(("overrides", "message"), [
    ({"users": [{"address": "a@example.org"}]}, "dovecot_users: a@example.org: give exactly one of password and password_hash"),
    ({"password_rounds": 10}, "dovecot_password_rounds: must be between 5000 and 999999999, got 10"),
])
def test_bad_input_is_refused_before_anything_changes(fake, host, overrides, message):
    before = snapshot(host)
    assert fail(args(host, **overrides))["msg"] == message
    assert snapshot(host) == before and fake.commands == []


def test_an_empty_secret_is_refused(fake, host):
    p = paths(host)
    os.makedirs(os.path.dirname(p["secret"]))
    open(p["secret"], "w").close()
    assert "the salt secret %s is empty" % p["secret"] in fail(args(host))["msg"]


def test_the_password_suboptions_are_no_log():
    options = dovecot_config.ARGUMENT_SPEC["users"]["options"]
    assert options["password"]["no_log"] is True
    assert options["password_hash"]["no_log"] is True


def test_the_roles_way_hashes_made_elsewhere_and_the_secret_they_were_made_with(fake, host):
    """The role hashes on the controller: the module gets hashes and the secret, writes the secret
    on a new host, and never sees a plain password."""
    from ansible_collections.postmaster.mail.plugins.module_utils._passwords import hash_users
    p = paths(host)
    secret = "S" * 43
    plain = [{"address": "alice@example.org", "password": PASSWORD}]
    users = hash_users(plain, secret, {}, memory=8192, iterations=1)
    result = run(args(host, users=users, salt_secret=secret))
    assert p["secret"] in result["files"] and open(p["secret"]).read() == secret + "\n" and mode(p["secret"]) == 0o600
    assert open(p["users"]).read().endswith("alice@example.org:%s\n" % users[0]["password_hash"])
    assert open(p["marks"]).read().endswith("alice@example.org:%s\n" % users[0]["fingerprint"])
    assert run(args(host, users=users, salt_secret=secret))["changed"] is False
    # A rerun: the controller found the fingerprint unchanged and sends it alone; the hash stays.
    kept = hash_users(plain, secret, {"alice@example.org": users[0]["fingerprint"]}, memory=8192, iterations=1)
    assert kept == [{"address": "alice@example.org", "fingerprint": users[0]["fingerprint"]}]
    assert run(args(host, users=kept, salt_secret=secret))["changed"] is False
    # The same hash as the module makes itself from the plain password with that secret.
    assert run(args(host, users=plain))["changed"] is False


def test_a_secret_other_than_the_hosts_is_refused_before_anything_changes(fake, host):
    p = paths(host)
    run(args(host, salt_secret="S" * 43))
    before = snapshot(host)
    message = fail(args(host, salt_secret="T" * 43, config="protocols = imap\n"))["msg"]
    assert "is not the one the hashes were made with" in message and "T" * 43 not in message
    assert snapshot(host) == before


# Sieve scripts and programs -----------------------------------------------------------------------

RULE = 'require ["fileinto"];\nif header :is "X-Spam" "Yes" { fileinto "Junk"; stop; }\n'


def sieve_args(host, **overrides):
    sieve = host / "etc" / "dovecot" / "sieve"
    pipe = host / "usr" / "local" / "lib" / "dovecot" / "sieve-pipe"
    result = {"config": "protocols = imap lmtp\nsieve_pipe_bin_dir = %s\n" % pipe,
              "sieve_scripts": [{"path": str(sieve / "spam-to-junk.sieve"), "content": RULE},
                                {"path": str(sieve / "learn-spam.sieve"), "content": 'require "vnd.dovecot.pipe";\n'}],
              "programs": [{"path": str(pipe / "learn-spam"), "content": "#!/bin/sh\nexec rspamc learn_spam\n"}]}
    result.update(overrides)
    return args(host, **result)


def test_scripts_are_checked_with_the_candidate_then_compiled_in_place(fake, host):
    sieve = host / "etc" / "dovecot" / "sieve"
    program = host / "usr" / "local" / "lib" / "dovecot" / "sieve-pipe" / "learn-spam"
    result = run(sieve_args(host))
    assert result["changed"] is True and result["reload"] is True
    assert result["files"][-8:] == [str(sieve), str(sieve / "spam-to-junk.sieve"), str(sieve / "spam-to-junk.svbin"),
                                    str(sieve / "learn-spam.sieve"), str(sieve / "learn-spam.svbin"),
                                    str(program.parent), str(program), paths(host)["conf"]]
    # Each script compiled twice: a temporary copy first, then in place; both with the new dovecot.conf.
    assert [name for name, _text, _config in fake.sievec] == ["spam-to-junk.sieve", "learn-spam.sieve"] * 2
    assert all(config == sieve_args(host)["config"] for _name, _text, config in fake.sievec)
    sievec = [argv for argv in fake.commands if argv[0].endswith("sievec")]
    assert sievec[2][3:] == [str(sieve / "spam-to-junk.sieve"), str(sieve / "spam-to-junk.svbin")]
    assert (sieve / "spam-to-junk.sieve").read_text() == RULE
    assert mode(sieve / "spam-to-junk.sieve") == 0o644 and mode(sieve / "spam-to-junk.svbin") == 0o644
    assert mode(sieve) == 0o755 and mode(program.parent) == 0o755 and mode(program) == 0o755
    assert not os.listdir(host / "moduletmp")

    assert run(sieve_args(host))["changed"] is False
    assert len(fake.sievec) == 4
    assert run(sieve_args(host), check_mode=True)["changed"] is False


def test_a_stale_or_missing_binary_is_compiled_again(fake, host):
    run(sieve_args(host))
    sieve = host / "etc" / "dovecot" / "sieve"
    script = sieve / "spam-to-junk.sieve"
    binary = sieve / "spam-to-junk.svbin"
    stat_script = os.stat(script)
    os.utime(binary, (stat_script.st_atime, stat_script.st_mtime - 10))  # older than its script
    os.unlink(sieve / "learn-spam.svbin")
    before = snapshot(host)
    predicted = run(sieve_args(host), check_mode=True)
    assert predicted["files"] == [str(binary), str(sieve / "learn-spam.svbin")] and predicted["reload"] is False
    assert snapshot(host) == before
    result = run(sieve_args(host))
    assert result["files"] == [str(binary), str(sieve / "learn-spam.svbin")] and result["reload"] is False
    # The live dovecot.conf is used when it does not change.
    assert fake.sievec[-1][2] == open(paths(host)["conf"]).read()
    assert run(sieve_args(host))["changed"] is False


def test_a_binary_mode_changed_by_hand_is_put_back(fake, host):
    run(sieve_args(host))
    binary = host / "etc" / "dovecot" / "sieve" / "spam-to-junk.svbin"
    os.chmod(binary, 0o600)
    assert run(sieve_args(host))["files"] == [str(binary)]
    assert mode(binary) == 0o644


@pytest.mark.parametrize("stderr", [
    "%(name)s: line 2: error: unknown command 'fileint'.\n%(name)s: error: validation failed.\nsievec: Fatal: failed to compile sieve script\n",
    "%(name)s: line 8: warning: specified header field name 'X Spam:' is invalid.\n",
])
def test_a_rejected_script_changes_nothing(fake, host, stderr):
    fake.sievec_stderr = stderr
    before = snapshot(host)
    failed = fail(sieve_args(host))
    assert failed["msg"].startswith("dovecot_* variables: Pigeonhole rejected the Sieve script %s (sievec -c <candidate>)"
                                    % (host / "etc" / "dovecot" / "sieve" / "spam-to-junk.sieve"))
    assert "spam-to-junk: line" in failed["msg"] and str(host / "moduletmp") not in failed["msg"]
    assert snapshot(host) == before
    assert not os.listdir(host / "moduletmp")


def test_absent_files_are_removed_with_their_binary(fake, host):
    run(sieve_args(host))
    sieve = host / "etc" / "dovecot" / "sieve"
    program = host / "usr" / "local" / "lib" / "dovecot" / "sieve-pipe" / "learn-spam"
    off = sieve_args(host, sieve_scripts=sieve_args(host)["sieve_scripts"][:1], programs=[],
                     absent=[str(sieve / "learn-spam.sieve"), str(program)])
    before = snapshot(host)
    predicted = run(off, check_mode=True, diff=True)
    assert snapshot(host) == before
    assert predicted["files"] == [str(sieve / "learn-spam.sieve"), str(sieve / "learn-spam.svbin"), str(program)]
    assert [d["before_header"] for d in predicted["diff"]] == [str(sieve / "learn-spam.sieve"), str(program)]
    assert run(off)["files"] == predicted["files"]
    assert sorted(os.listdir(sieve)) == ["spam-to-junk.sieve", "spam-to-junk.svbin"] and not program.exists()
    assert run(off)["changed"] is False


def test_bad_paths_are_refused_before_anything_changes(fake, host):
    before = snapshot(host)
    message = fail(sieve_args(host, sieve_scripts=[{"path": "/etc/dovecot/sieve/rule.txt", "content": RULE}]))["msg"]
    assert message == "dovecot_config: sieve_scripts: /etc/dovecot/sieve/rule.txt must end with .sieve"
    assert snapshot(host) == before and fake.commands == []
