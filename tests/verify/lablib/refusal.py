"""Bad input, end to end: a nested run must be refused, name the variable, and leave /etc as it was.

    before = etc_checksums(lab_host)
    run = run_playbook(...)
    assert_refused(run, r"opendkim_selector: must be DNS labels", before, etc_checksums(lab_host))

The checksums are taken on the host in one command (sha256sum of every regular file under the
directory); what podman itself rewrites in a container (resolv.conf, hosts, hostname) is left out.
"""

import re

# Files podman writes into a running container, not the roles.
PODMAN_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/hostname")


def parse_sha256sums(text):
    """`sha256sum` output as {path: digest} (pure; unit-tested)."""
    sums = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        digest, _sep, path = line.partition("  ")
        if not path:
            digest, _sep, path = line.partition(" *")
        sums[path] = digest
    return sums


def changed_paths(before, after):
    """The paths added, removed or changed between two {path: digest} maps, sorted (pure)."""
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))


def etc_checksums(lab_host, directory="/etc", exclude=PODMAN_FILES):
    """{path: sha256} of every regular file under `directory` on the host."""
    command = "find %s -xdev -type f" + " ! -path %s" * len(exclude) + " -print0 | sort -z | xargs -0r sha256sum"
    return parse_sha256sums(lab_host.check(command, directory, *exclude, timeout=60))


def refusal_problems(run, error, before, after):
    """What is wrong with a run that had to be refused (pure): [] when it failed, a failure message
    matches the regex `error`, and nothing under the watched directory changed."""
    problems = []
    messages = run.failure_messages()
    if run.rc == 0:
        problems.append("accepted, not refused (%s)" % run.summary())
    elif not any(re.search(error, message) for message in messages):
        problems.append("refused, but no failure message matches %r: %s" % (error, messages))
    changed = changed_paths(before, after)
    if changed:
        problems.append("files changed: %s" % ", ".join(changed))
    return problems
