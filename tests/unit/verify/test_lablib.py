"""Unit tests of the pure parts of tests/verify/lablib, the helpers of the pytest verify steps.

Nothing here reaches the lab: the inventory is a temporary copy of what Molecule writes, SMTP is
a small scripted server on 127.0.0.1, a "mail host" is this machine through testinfra's local
backend (the same quoting path as its ssh backend, less the ssh hop), and clocks are fake.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import testinfra

# The helpers are not a package of the collection: import them by path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "verify"))

from lablib import hosts as lab_hosts  # noqa: E402  pylint: disable=wrong-import-position
from lablib import inventory, journal, mail, postfix, remote  # noqa: E402  pylint: disable=wrong-import-position
from lablib.poll import WaitTimeout, poll  # noqa: E402  pylint: disable=wrong-import-position


# --- inventory ------------------------------------------------------------------------------------

# What Molecule 26 writes for the site scenario (trimmed): the driver's connection options inline,
# the provisioner's hosts, host_vars and group_vars beside it.
ANSIBLE_INVENTORY = """\
# Molecule managed

---
all:
  hosts:
    site-debian12: &id001
      ansible_connection: podman
      ansible_podman_executable: podman
    site-debian13: &id002
      ansible_connection: podman
      ansible_podman_executable: podman
  vars: &id003
    molecule_ephemeral_directory: '{{ lookup(''env'', ''MOLECULE_EPHEMERAL_DIRECTORY'') }}'
    molecule_file: '{{ lookup(''env'', ''MOLECULE_FILE'') }}'
    molecule_yml: '{{ lookup(''file'', molecule_file) | from_yaml }}'
mailservers:
  hosts:
    site-debian12: *id001
    site-debian13: *id002
  vars: *id003
ungrouped:
  vars: {}
"""
HOSTS = """\
lab:
  hosts:
    lab-peer:
      ansible_connection: containers.podman.podman
      ansible_host: postmaster-lab-peer
"""
HOST_VARS_13 = """\
ansible_connection: ssh
ansible_host: 10.47.25.30
site_domain: site13.test
mail_public_ipv4: 10.47.25.30
"""
HOST_VARS_12 = """\
ansible_connection: ssh
ansible_host: 10.47.25.31
site_domain: site12.test
"""
GROUP_VARS_MAILSERVERS = """\
mail_hostname: mail.{{ site_domain }}
mail_domains: ["{{ site_domain }}", "lists.{{ site_domain }}"]
mail_users:
  - address: alice@{{ site_domain }}
    password: alice-Secret-1
  - address: bob@lists.{{ site_domain }}
    password_hash: "{SHA512-CRYPT}$6$bobsalt$0Z6q"
mail_dns_records_dir: "{{ lookup('ansible.builtin.env', 'MOLECULE_EPHEMERAL_DIRECTORY') }}/dns-records"
lab_address: "{{ mail_public_ipv4 }}"
"""


@pytest.fixture
def molecule_inventory(tmp_path):
    directory = tmp_path / "inventory"
    (directory / "host_vars").mkdir(parents=True)
    (directory / "group_vars").mkdir()
    (directory / "ansible_inventory.yml").write_text(ANSIBLE_INVENTORY)
    (directory / "hosts").write_text(HOSTS)
    (directory / "host_vars" / "site-debian13").write_text(HOST_VARS_13)
    (directory / "host_vars" / "site-debian12").write_text(HOST_VARS_12)
    (directory / "group_vars" / "mailservers").write_text(GROUP_VARS_MAILSERVERS)
    return directory / "ansible_inventory.yml"


def test_every_source_molecule_writes_is_read(molecule_inventory):
    found = inventory.load_inventory(molecule_inventory)
    assert sorted(found) == ["lab-peer", "site-debian12", "site-debian13"]
    assert found["site-debian13"]["group_names"] == ["mailservers"]
    assert found["lab-peer"]["group_names"] == ["lab"]
    assert found["lab-peer"]["ansible_host"] == "postmaster-lab-peer"
    # host_vars/ beats the driver's inline connection options, as in Ansible.
    assert found["site-debian13"]["ansible_connection"] == "ssh"
    assert found["site-debian13"]["ansible_podman_executable"] == "podman"
    assert found["site-debian13"]["ansible_host"] == "10.47.25.30"
    assert found["site-debian12"]["mail_hostname"] == "mail.{{ site_domain }}"  # not rendered yet


def test_rendering_uses_the_hosts_own_vars_and_the_environment(molecule_inventory):
    found = inventory.load_inventory(molecule_inventory)
    environ = {"MOLECULE_EPHEMERAL_DIRECTORY": "/tmp/eph"}
    site13 = inventory.render_vars(found["site-debian13"], environ)
    site12 = inventory.render_vars(found["site-debian12"], environ)
    assert site13["mail_hostname"] == "mail.site13.test"
    assert site12["mail_hostname"] == "mail.site12.test"
    assert site13["mail_domains"] == ["site13.test", "lists.site13.test"]
    assert [user["address"] for user in site13["mail_users"]] == ["alice@site13.test", "bob@lists.site13.test"]
    assert site13["mail_users"][1]["password_hash"] == "{SHA512-CRYPT}$6$bobsalt$0Z6q"
    assert site13["mail_dns_records_dir"] == "/tmp/eph/dns-records"
    assert site13["molecule_ephemeral_directory"] == "/tmp/eph"
    # Ansible-only lookups and filters stay as written.
    assert site13["molecule_yml"] == "{{ lookup('file', molecule_file) | from_yaml }}"
    # An undefined name in one host stays as written, without failing the others.
    assert site12["lab_address"] == "{{ mail_public_ipv4 }}"
    assert site13["lab_address"] == "10.47.25.30"


def test_precedence_of_group_and_host_variables(tmp_path):
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "inventory.yml").write_text("""\
all:
  vars: {level: all-inline, only_all: 1}
  children:
    outer:
      vars: {level: outer-inline}
      children:
        inner:
          vars: {level: inner-inline, inner_only: yes}
          hosts:
            one: {level: host-inline}
            two:
""")
    (tmp_path / "group_vars" / "all.yml").write_text("level: all-file\nfrom_all_file: 1\n")
    (tmp_path / "group_vars" / "outer").write_text("level: outer-file\n")
    (tmp_path / "host_vars" / "one.yaml").write_text("extra: 1\n")
    found = inventory.load_inventory(tmp_path / "inventory.yml")
    assert found["one"]["level"] == "host-inline"
    assert found["one"]["extra"] == 1
    # Inline group vars < group_vars/all < group_vars/<group>, whatever the depth.
    assert found["two"]["level"] == "outer-file"
    assert found["two"]["group_names"] == ["inner", "outer"]
    assert found["two"]["only_all"] == 1 and found["two"]["from_all_file"] == 1 and found["two"]["inner_only"] is True


def test_rendering_chains_and_native_types():
    rendered = inventory.render_vars({"a": "{{ b }}-x", "b": "{{ c }}", "c": 25, "port": "{{ c }}"}, {})
    assert rendered == {"a": "25-x", "b": 25, "c": 25, "port": 25}


def test_a_lookup_other_than_env_is_left_alone():
    rendered = inventory.render_vars({"key": "{{ lookup('file', '/etc/passwd') }}"}, {})
    assert rendered["key"] == "{{ lookup('file', '/etc/passwd') }}"


# --- hosts ----------------------------------------------------------------------------------------

def test_a_mail_host_is_reached_over_ssh_with_a_shared_connection(tmp_path):
    lab_host = lab_hosts.LabHost("site-debian13", {"ansible_host": "10.47.25.30", "ansible_connection": "ssh"},
                                 "/keys/id_ed25519", str(tmp_path))
    spec, kwargs = lab_host.testinfra_spec()
    assert spec == "ssh://root@10.47.25.30"
    backend = testinfra.get_host(spec, **kwargs).backend
    command, args = backend._build_ssh_command("true")  # pylint: disable=protected-access
    command = backend.quote(" ".join(command), *args)
    # Without a ControlPath OpenSSH shares no connection, whatever ControlMaster says.
    assert "-o ControlMaster=auto -o ControlPersist=120s" in command
    assert "-o ControlPath=%s/10.47.25.30" % tmp_path in command
    assert "-i /keys/id_ed25519" in command
    assert "StrictHostKeyChecking=no" in command and "ConnectTimeout=10" in command


def test_the_peer_is_reached_with_podman():
    lab_host = lab_hosts.LabHost("lab-peer", {"ansible_host": "postmaster-lab-peer",
                                              "ansible_connection": "containers.podman.podman"}, "k", "/tmp")
    assert lab_host.testinfra_spec() == ("podman://postmaster-lab-peer", {})


def test_a_missing_host_names_the_ones_there_are(tmp_path):
    found = lab_hosts.make_hosts({"a": {}, "b": {"ansible_host": "10.0.0.2"}}, "key")
    try:
        assert found["b"].address == "10.0.0.2" and found["a"].address == "a"
        with pytest.raises(KeyError, match="'c' is not in the scenario's inventory \\(hosts: a, b\\)"):
            found["c"]  # pylint: disable=pointless-statement
    finally:
        lab_hosts.close_hosts(found)
    assert not os.path.exists(found.control_dir)


@pytest.fixture
def local_host(tmp_path):
    """A LabHost whose commands run on this machine through testinfra's local backend."""
    lab_host = lab_hosts.LabHost("here", {}, "key", str(tmp_path))
    lab_host._host = testinfra.get_host("local://")  # pylint: disable=protected-access
    return lab_host


def test_commands_are_quoted_and_bounded(local_host):
    assert local_host.check("printf '%%s|' %s %s", "a b", "it's $HOME") == "a b|it's $HOME|"
    result = local_host.run("sleep 5", timeout=1)
    assert result.rc == 124
    with pytest.raises(lab_hosts.CommandFailed, match="exited 3"):
        local_host.check("echo out; echo err >&2; exit 3")


# --- poll -----------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_returns_the_first_good_answer():
    clock = FakeClock()
    answers = iter([0, None, 7, 8])
    assert poll(lambda: next(answers), timeout=10, clock=clock, sleep=clock.sleep) == 7
    assert clock.sleeps == [0.2, 0.2]


def test_poll_times_out_with_the_last_answer():
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match=r"the queue: not within 1s \(6 tries\); last answer: 'busy'"):
        poll(lambda: "busy", until=lambda answer: answer == "idle", timeout=1, what="the queue",
             clock=clock, sleep=clock.sleep)
    assert clock.now == pytest.approx(1.0)


def test_poll_counts_ignored_exceptions_as_bad_answers():
    clock = FakeClock()
    calls = []

    def probe():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not yet")
        return "up"

    assert poll(probe, timeout=5, ignore=(ConnectionRefusedError,), clock=clock, sleep=clock.sleep) == "up"
    with pytest.raises(ValueError):
        poll(lambda: int("x"), timeout=5, ignore=(ConnectionRefusedError,), clock=clock, sleep=clock.sleep)


def test_poll_with_a_real_clock_and_a_tiny_timeout():
    with pytest.raises(WaitTimeout):
        poll(lambda: False, timeout=0.05, interval=0.01)


# --- headers, Maildir -----------------------------------------------------------------------------

MESSAGE = (b"Return-Path: <alice@site13.test>\r\n"
           b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=site13.test;\r\n"
           b"\ts=mail; t=1700000000;\r\n\tbh=abc\r\n\t def=;\r\n\th=From:To;\r\n\tb=XYZ\r\n\t 123\r\n"
           b"DKIM-Signature: v=1; a=ed25519-sha256; d=site13.test; s=mail-ed; b=QQ\r\n"
           b"X-Lab-Milter: seen\r\n"
           b"Message-ID: <1@site13.test>\r\n"
           b"X-Run: run-1\r\n"
           b"\r\n"
           b"X-Not-A-Header: body\r\n")


def test_header_block_and_fields():
    block = remote.header_block(MESSAGE)
    assert block.endswith(b"X-Run: run-1\r\n\r\n")
    fields = remote.header_fields(block)
    names = [field[0] for field in fields]
    assert names == ["Return-Path", "DKIM-Signature", "DKIM-Signature", "X-Lab-Milter", "Message-ID", "X-Run"]
    assert fields[1][1].startswith("v=1; a=rsa-sha256; c=relaxed/simple; d=site13.test; s=mail;")
    assert remote.header_block(b"A: 1\nB: 2\n\nbody\n\nmore") == b"A: 1\nB: 2\n\n"
    assert remote.headers_match(fields, {"x-run": "run-1", "message-id": "<1@site13.test>"})
    assert not remote.headers_match(fields, {"X-Run": "run-12"})
    assert not remote.headers_match(fields, {"X-Not-A-Header": "body"})


def test_parsed_headers_and_dkim_tags():
    headers = mail.parse_headers(remote.header_block(MESSAGE))
    assert headers.get_all("X-Lab-Milter") == ["seen"]
    assert headers.get_all("X-Missing") is None
    tags = [mail.dkim_tags(value) for value in headers.get_all("DKIM-Signature")]
    assert [t["a"] for t in tags] == ["rsa-sha256", "ed25519-sha256"]
    assert tags[0]["bh"] == "abcdef=" and tags[0]["b"] == "XYZ123" and tags[0]["h"] == "From:To"
    assert tags[1]["s"] == "mail-ed"


def write_message(maildir, sub, name, data):
    folder = Path(maildir, sub)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def test_find_in_maildir_finds_a_message_in_new_or_cur(tmp_path):
    write_message(tmp_path, "new", "1.host", b"X-Run: other\r\n\r\nbody")
    write_message(tmp_path, "cur", "2.host:2,S", MESSAGE)
    path, block = remote.find_in_maildir(str(tmp_path), {"X-Run": "run-1"}, timeout=0)
    assert path.endswith("cur/2.host:2,S") and block == remote.header_block(MESSAGE)


def test_find_in_maildir_waits_for_the_message(tmp_path):
    clock = FakeClock()

    def sleep(seconds):
        clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            write_message(tmp_path, "new", "3.host", MESSAGE)

    found = remote.find_in_maildir(str(tmp_path), {"Message-ID": "<1@site13.test>"}, timeout=5, clock=clock, sleep=sleep)
    assert found and len(clock.sleeps) == 3
    assert remote.find_in_maildir(str(tmp_path), {"Message-ID": "<2@site13.test>"}, timeout=1,
                                  clock=clock, sleep=clock.sleep) is None


def test_build_message():
    data, message_id = mail.build_message("alice@site13.test", ["bob@x.test", "carol@x.test"],
                                          {"Subject": "two milters", "X-Run": ["a", "b"]}, body="hi\n")
    fields = remote.header_fields(remote.header_block(data))
    names = [field[0] for field in fields]
    assert message_id.startswith("<") and message_id.endswith("@site13.test>")
    assert ("Message-ID", message_id) in fields and ("To", "bob@x.test, carol@x.test") in fields
    assert names.count("Subject") == 1 and ("Subject", "two milters") in fields
    assert [value for name, value in fields if name == "X-Run"] == ["a", "b"]
    assert b"\r\n\r\nhi\r\n" in data


# --- SMTP -----------------------------------------------------------------------------------------

class FakeSmtp:
    """A scripted SMTP server on 127.0.0.1 that takes one session at a time."""

    def __init__(self, **replies):
        self.replies = {"banner": "220 fake ESMTP", "MAIL": "250 2.1.0 Ok", "RCPT": "250 2.1.5 Ok",
                        "DATA": "354 go ahead", "END": "250 2.0.0 Ok: queued as 4XYZ"}
        self.replies.update(replies)
        self.commands = []
        self.messages = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection = self.listener.accept()[0]
            except OSError:
                return
            with connection, connection.makefile("rb") as reader:
                self.session(connection, reader)

    def session(self, connection, reader):
        def reply(text):
            connection.sendall(text.encode() + b"\r\n")

        reply(self.replies["banner"])
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line.split(b" ")[0].strip().upper().decode()
            self.commands.append(verb)
            if verb == "EHLO":
                reply("250-fake\r\n250 8BITMIME")
            elif verb in ("MAIL", "RCPT"):
                reply(self.replies[verb])
            elif verb == "DATA":
                reply(self.replies["DATA"])
                if self.replies["DATA"].startswith("354"):
                    data = b""
                    while not data.endswith(b"\r\n.\r\n"):
                        data += reader.readline()
                    self.messages.append(data)
                    reply(self.replies["END"])
            elif verb == "RSET":
                reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                reply("221 2.0.0 Bye")
                return
            else:
                reply("502 5.5.2 Error: command not recognized")

    def close(self):
        self.listener.close()


@pytest.fixture
def smtp_server(request):
    server = FakeSmtp(**getattr(request, "param", {}))
    yield server
    server.close()


def test_send_returns_250_and_the_message_id(smtp_server):
    sent = mail.send("127.0.0.1", smtp_server.port, "alice@site13.test", ["alice@site13.test"],
                     headers={"X-Run": "r1"}, helo="client.test", timeout=5)
    assert (sent.code, sent.text) == (250, "2.0.0 Ok: queued as 4XYZ")
    assert smtp_server.commands == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    fields = remote.header_fields(remote.header_block(smtp_server.messages[0]))
    assert ("Message-ID", sent.message_id) in fields and ("X-Run", "r1") in fields


@pytest.mark.parametrize("smtp_server, code, commands", [
    ({"banner": "421 4.3.2 busy"}, 421, []),
    ({"MAIL": "451 4.7.1 Service unavailable - try again later"}, 451, ["EHLO", "MAIL", "QUIT"]),
    ({"RCPT": "550 5.1.1 <x>: Recipient address rejected"}, 550, ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]),
    ({"DATA": "554 5.5.1 Error: no valid recipients"}, 554, ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]),
    ({"END": "451 4.7.1 milter says later"}, 451, ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]),
], indirect=["smtp_server"])
def test_a_refusal_at_any_stage_gives_its_code(smtp_server, code, commands):
    sent = mail.send("127.0.0.1", smtp_server.port, "a@x.test", "b@x.test", helo="client.test", timeout=5)
    assert sent.code == code, sent
    if commands:
        assert smtp_server.commands == commands
    assert smtp_server.messages == [] or code == 451


def test_no_server_raises():
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(OSError):
        mail.send("127.0.0.1", port, "a@x.test", ["b@x.test"], helo="client.test", timeout=5)


def test_tls_context_checks_the_given_name():
    seen = {}

    class Context:
        def wrap_socket(self, sock, server_hostname=None, **kwargs):
            seen.update(sock=sock, server_hostname=server_hostname, **kwargs)

    named = remote._NamedContext(Context(), "mail.site13.test")  # pylint: disable=protected-access
    named.wrap_socket("s", server_hostname="10.47.25.30", do_handshake_on_connect=True)
    assert seen == {"sock": "s", "server_hostname": "mail.site13.test", "do_handshake_on_connect": True}
    assert remote.tls_context(None, "x").context.verify_mode.name == "CERT_NONE"


def test_send_local_and_find_message_run_the_remote_script_on_the_host(smtp_server, local_host, tmp_path):
    # "On the host" is this machine: the script travels as an argument, exactly as over ssh.
    sent = mail.send(local_host, smtp_server.port, "alice@site13.test", ["alice@site13.test"],
                     headers={"X-Run": "local-1"}, local=True, helo="client.test", timeout=5)
    assert sent.code == 250, sent
    write_message(tmp_path / "Maildir", "new", "1.host", smtp_server.messages[0])
    headers = mail.find_message(local_host, str(tmp_path / "Maildir"), sent.message_id, timeout=2)
    assert headers["X-Run"] == "local-1"
    with pytest.raises(AssertionError, match="no message with {'X-Run': 'nope'}"):
        mail.find_message(local_host, str(tmp_path / "Maildir"), {"X-Run": "nope"}, timeout=0.3)


FAKE_SSH = """#!%s
# Stands in for ssh: logs its arguments, then runs the remote command here, as sshd would
# (the words after the host name joined by spaces, given to a shell).
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ["FAKE_SSH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
i = 0
while args[i].startswith("-"):
    i += 2 if args[i] in ("-o", "-i", "-F", "-O", "-p", "-l") else 1
sys.exit(subprocess.call(["sh", "-c", " ".join(args[i + 1:])]))
"""


def test_the_ssh_backend_carries_the_remote_script_intact(smtp_server, tmp_path, monkeypatch):
    # Every quoting layer of the real path (testinfra's local shell, ssh's joining, the remote
    # shell, `timeout sh -c`), with this machine standing in for the host.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(FAKE_SSH % sys.executable)
    (bin_dir / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    monkeypatch.setenv("FAKE_SSH_LOG", str(tmp_path / "ssh.log"))
    lab_host = lab_hosts.LabHost("site-debian13", {"ansible_host": "10.47.25.30", "ansible_connection": "ssh"},
                                 "/keys/id_ed25519", str(tmp_path))
    sent = mail.send(lab_host, smtp_server.port, "alice@site13.test", ["alice@site13.test"],
                     headers={"X-Run": "it's $HOME `x` \"q\""}, local=True, helo="client.test", timeout=5)
    assert sent.code == 250, sent
    fields = remote.header_fields(remote.header_block(smtp_server.messages[0]))
    assert ("X-Run", "it's $HOME `x` \"q\"") in fields
    calls = [json.loads(line) for line in (tmp_path / "ssh.log").read_text().splitlines()]
    assert "ControlPath=%s/10.47.25.30" % tmp_path in calls[0] and "10.47.25.30" in calls[0]


def test_send_local_reports_a_connection_failure(local_host):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(ConnectionError, match="ConnectionRefusedError"):
        mail.send(local_host, port, "a@x.test", ["b@x.test"], local=True, helo="client.test", timeout=5)


def test_the_remote_script_runs_with_python_c(smtp_server):
    message = base64.b64encode(b"Subject: x\r\n\r\nbody\r\n").decode()
    arguments = {"host": "127.0.0.1", "port": smtp_server.port, "sender": "a@x.test", "recipients": ["b@x.test"],
                 "message": message, "helo": "client.test", "timeout": 5}
    output = subprocess.run([sys.executable, "-c", mail.REMOTE_SOURCE, "send", json.dumps(arguments)],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    assert json.loads(output) == {"code": 250, "text": "2.0.0 Ok: queued as 4XYZ"}


# --- Postfix, journal -----------------------------------------------------------------------------

def test_parse_milters():
    value = ("{ unix:opendkim/opendkim.sock, default_action=accept }, { unix:opendkim/opendkim-ed25519.sock, "
             "default_action=accept },\n  {inet:10.47.25.25:8899,default_action=tempfail connect_timeout=10s}"
             " inet:localhost:8891")
    assert postfix.parse_milters(value) == [
        postfix.Milter("unix:opendkim/opendkim.sock", {"default_action": "accept"}),
        postfix.Milter("unix:opendkim/opendkim-ed25519.sock", {"default_action": "accept"}),
        postfix.Milter("inet:10.47.25.25:8899", {"default_action": "tempfail", "connect_timeout": "10s"}),
        postfix.Milter("inet:localhost:8891", {}),
    ]
    assert postfix.parse_milters("") == []


def test_parse_postqueue():
    line = json.dumps({"queue_name": "deferred", "queue_id": "4XYZ", "arrival_time": 1, "message_size": 2,
                       "sender": "a@x.test", "recipients": [{"address": "b@y.test", "delay_reason": "timeout"}]})
    assert postfix.parse_postqueue(line + "\n\n") == [
        {"queue_id": "4XYZ", "queue_name": "deferred", "sender": "a@x.test", "recipients": [("b@y.test", "timeout")]}]


def test_parse_journal():
    lines = [json.dumps({"__CURSOR": "s=1", "MESSAGE": "plain"}),
             json.dumps({"__CURSOR": "s=2", "MESSAGE": list(b"caf\xc3\xa9 \xff")}),
             json.dumps({"__CURSOR": "s=3", "MESSAGE": None})]
    entries = journal.parse_journal("\n".join(lines) + "\n")
    assert [e["MESSAGE"] for e in entries] == ["plain", "caf\u00e9 \ufffd", ""]
    assert entries[-1]["__CURSOR"] == "s=3"
