"""The lab's peer (postmaster-lab-peer, 10.47.25.25): the outside world and its clients.

Commands run with `podman exec` (CONTAINERS_CONF comes from the Makefile's environment, as for
Molecule), each bounded twice: by coreutils' `timeout` inside the container, so nothing is left
running there, and by the subprocess timeout here.
"""

import base64
import socket
import subprocess

CONTAINER = "postmaster-lab-peer"
ADDRESS = "10.47.25.25"
# The root of the certificates the lab's Pebble issues, as the peer sees it (new at every lab start).
ROOTS_PEM = "/state/pebble/roots.pem"
DEFAULT_TIMEOUT = 60
# curl in the peer for Peer.https: the status, then the body in base64.
_CURL = ('ca=$1; shift; body=$(mktemp); code=$(curl -sS --max-time 20 --cacert "$ca" -o "$body" -w "%{http_code}" "$@")'
         ' || { rc=$?; rm -f "$body"; exit $rc; }; echo "$code"; base64 -w0 "$body"; rm -f "$body"')


class PeerCommandFailed(AssertionError):
    """A command in the peer that had to succeed did not."""


class Peer:
    def __init__(self, container=CONTAINER, address=ADDRESS, podman="podman"):
        self.container = container
        self.address = address
        self.podman = podman

    def __repr__(self):
        return "Peer(%s, %s)" % (self.container, self.address)

    def run(self, *argv, timeout=DEFAULT_TIMEOUT, stdin=None):
        """Run argv in the peer; return a CompletedProcess (text, rc 124 when timed out there).
        `stdin` (str) is given to the command."""
        command = [self.podman, "exec"] + (["-i"] if stdin is not None else []) + [
            self.container, "timeout", "-k", "5", str(int(timeout))] + [str(arg) for arg in argv]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout + 15,
                              check=False)

    def sh(self, script, *args, timeout=DEFAULT_TIMEOUT):
        """Run a shell script in the peer: `sh -c script sh args...` ($1... are the args)."""
        return self.run("sh", "-c", script, "sh", *args, timeout=timeout)

    def check(self, *argv, timeout=DEFAULT_TIMEOUT):
        """Like run(), but the command must succeed; returns its stdout."""
        result = self.run(*argv, timeout=timeout)
        if result.returncode != 0:
            raise PeerCommandFailed("peer: %r exited %s\nstdout: %s\nstderr: %s" % (
                list(argv), result.returncode, result.stdout.strip(), result.stderr.strip()))
        return result.stdout

    def swaks(self, *args, timeout=DEFAULT_TIMEOUT):
        """swaks in the peer (exit codes: 24 no recipient accepted, 28 AUTH failed, 29 TLS
        failed); a CompletedProcess, its stdout the transcript."""
        return self.run("swaks", "--timeout", str(max(5, int(timeout) - 10)), *args, timeout=timeout)

    def curl(self, *args, timeout=30):
        """curl -sS in the peer, bounded by --max-time (exit 67: login denied)."""
        return self.run("curl", "-sS", "--max-time", str(max(5, int(timeout) - 5)), *args, timeout=timeout)

    def read_file(self, path, timeout=30):
        return self.check("cat", path, timeout=timeout)

    def https(self, url, *options, cafile=ROOTS_PEM):
        """(HTTP status, body) of a request from the peer, verified against cafile only (the lab's
        ACME root); the body byte for byte (a policy's CRLF lines included)."""
        result = self.sh(_CURL, cafile, *(options + (url,)), timeout=30)
        assert result.returncode == 0, "curl %s: exit %s: %s" % (url, result.returncode, result.stderr.strip())
        status, encoded = result.stdout.split("\n", 1)
        return int(status), base64.b64decode(encoded).decode("utf-8")


def port_open(address, port, timeout=2.0):
    """True when something accepts TCP connections on address:port (from the controller)."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False
