"""The scenario's hosts, reached the way Ansible reaches them, through testinfra.

A mail host (ansible_connection ssh) gets testinfra's `ssh` backend: the system ssh client with
the lab's key, and one master connection per host (ControlMaster/ControlPersist with a
ControlPath of our own), so each command after the first is a single round trip of a few
milliseconds. (testinfra asks for ControlMaster=auto by default but sets no ControlPath unless
given one, and without a ControlPath OpenSSH shares nothing.) The ansible backend would cost
about a second a command. A podman-connected host (lab-peer) gets testinfra's podman backend.

testinfra's ssh backend has no command timeout, so every command runs under coreutils'
`timeout` on the host; a dead connection is noticed by ServerAlive probes within ~15 s.
"""

import os
import shlex
import shutil
import subprocess
import tempfile

# Host keys change at every create; the lab is a closed network of our own.
SSH_EXTRA_ARGS = (
    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    " -o BatchMode=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=3"
)
CONNECT_TIMEOUT = 10
CONTROL_PERSIST = 120
DEFAULT_TIMEOUT = 60


class CommandFailed(AssertionError):
    """A command that had to succeed did not (rc, stdout and stderr in the message)."""


class LabHost:
    """One inventory host.

    name     the inventory name (site-debian13)
    address  ansible_host (10.47.25.30), or the name
    vars     its merged, rendered inventory variables
    host     a testinfra Host (created at first use): host.file(...), host.service(...), ...;
             its commands are not wrapped in `timeout`: use run()/check() for anything that
             could hang
    """

    def __init__(self, name, variables, identity_file, control_dir):
        self.name = name
        self.vars = variables
        self.address = str(variables.get("ansible_host") or name)
        self.user = str(variables.get("ansible_user") or "root")
        self.connection = str(variables.get("ansible_connection") or "ssh")
        self.identity_file = str(identity_file)
        self.control_path = os.path.join(control_dir, self.address)
        self._host = None

    def __repr__(self):
        return "LabHost(%s, %s)" % (self.name, self.address)

    def testinfra_spec(self):
        """The testinfra host spec and keyword arguments for this host."""
        if self.connection.endswith("podman"):
            return "podman://%s" % self.address, {}
        if self.connection != "ssh":
            raise ValueError("%s: ansible_connection %s is neither ssh nor podman" % (self.name, self.connection))
        return "ssh://%s@%s" % (self.user, self.address), {
            "ssh_identity_file": self.identity_file,
            "ssh_extra_args": SSH_EXTRA_ARGS,
            "timeout": CONNECT_TIMEOUT,
            "controlpath": self.control_path,
            "controlpersist": CONTROL_PERSIST,
        }

    @property
    def host(self):
        if self._host is None:
            import testinfra  # pylint: disable=import-outside-toplevel  # only where hosts are reached

            spec, kwargs = self.testinfra_spec()
            self._host = testinfra.get_host(spec, **kwargs)
        return self._host

    def run(self, command, *args, timeout=DEFAULT_TIMEOUT):
        """Run a shell command on the host, at most `timeout` seconds (then rc 124); return
        testinfra's CommandResult (rc, stdout, stderr). `%s` in `command` are replaced by the
        shell-quoted `args`, as in testinfra."""
        command = _quote(command, *args)
        return self.host.run("timeout -k 5 %s sh -c %s", str(int(timeout)), command)

    def check(self, command, *args, timeout=DEFAULT_TIMEOUT):
        """Like run(), but the command must succeed; returns its stdout."""
        result = self.run(command, *args, timeout=timeout)
        if result.rc != 0:
            raise CommandFailed("%s: %r exited %s%s\nstdout: %s\nstderr: %s" % (
                self.name, _quote(command, *args), result.rc, " (timed out)" if result.rc == 124 else "",
                result.stdout.strip(), result.stderr.strip()))
        return result.stdout

    def close(self):
        """End the ssh master connection, if one was opened."""
        if os.path.exists(self.control_path):
            subprocess.run(["ssh", "-o", "ControlPath=" + self.control_path, "-O", "exit", self.address],
                           capture_output=True, timeout=15, check=False)


def _quote(command, *args):
    return command % tuple(shlex.quote(str(arg)) for arg in args) if args else command


class HostMap(dict):
    """{inventory name: LabHost}; a missing name is an error that lists the names there are."""

    def __init__(self, control_dir):
        super().__init__()
        self.control_dir = control_dir

    def __missing__(self, key):
        raise KeyError("host %r is not in the scenario's inventory (hosts: %s)" % (key, ", ".join(sorted(self))))


def make_hosts(inventory_vars, identity_file):
    """A HostMap of every inventory host, from {name: rendered vars}; call close_hosts() after."""
    # /tmp, not $TMPDIR: a ControlPath is a socket path, at most 107 bytes.
    control_dir = tempfile.mkdtemp(prefix="pmv-ssh-", dir="/tmp")
    hosts = HostMap(control_dir)
    for name, variables in inventory_vars.items():
        hosts[name] = LabHost(name, variables, identity_file, control_dir)
    return hosts


def close_hosts(hosts):
    for lab_host in hosts.values():
        lab_host.close()
    shutil.rmtree(hosts.control_dir, ignore_errors=True)
