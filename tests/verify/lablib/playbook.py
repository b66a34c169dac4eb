"""Nested ansible-playbook runs, judged from structured results (never from the recap's text).

    run = run_playbook("postmaster.mail.site", molecule_env, limit="site-debian13", diff=True, verbosity=1)
    assert run.rc == 0, run.failure_messages()
    assert run.stats["site-debian13"]["changed"] == 0, run.changed("site-debian13")
    assert "alice-Secret-1" not in run.output

The run uses the Molecule scenario's inventory and ansible.cfg (ssh options, key, pipelining), so
it reaches the hosts as the scenario's converge did, plus the callback verify_results
(callback_plugins/), which writes every result and the recap as JSON beside the default stdout
callback. `run.output` is what a user would see (stdout and stderr), for scanning for secrets.
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"


@dataclass(frozen=True)
class TaskResult:
    """One result of one task on one host (a loop gives one per item and one for the task)."""

    host: str
    play: str
    role: str
    task: str
    action: str
    status: str  # ok, changed, failed, skipped, unreachable
    item_label: str = None
    msg: str = None
    ignored: bool = False


@dataclass
class PlaybookRun:
    """What a run did: exit code, what it printed, the recap's numbers and every result."""

    argv: list
    rc: int
    output: str
    stats: dict = field(default_factory=dict)
    results: list = field(default_factory=list)

    def _of(self, host):
        return [result for result in self.results if host is None or result.host == host]

    def changed(self, host=None):
        """The results that changed something (on `host`, or on any)."""
        return [result for result in self._of(host) if result.status == "changed"]

    def failed(self, host=None):
        """The failures that were not ignored (on `host`, or on any), unreachable hosts included."""
        return [result for result in self._of(host)
                if result.status in ("failed", "unreachable") and not result.ignored]

    def failure_messages(self, host=None):
        """The message of every failure that was not ignored; when the run failed before any
        task (a syntax or argument error), the last lines of its output."""
        messages = ["%s: %s: %s" % (result.host, result.task, result.msg) for result in self.failed(host)]
        if not messages and self.rc != 0:
            messages = self.output.strip().splitlines()[-15:]
        return messages

    def summary(self):
        """A line for assertion messages: rc and the recap."""
        return "rc=%s recap=%s" % (self.rc, json.dumps(self.stats, sort_keys=True))


def parse_results(data):
    """(stats, [TaskResult]) from the JSON the verify_results callback wrote (pure; unit-tested)."""
    stats = {host: dict(numbers) for host, numbers in (data.get("stats") or {}).items()}
    results = [TaskResult(**{key: entry.get(key) for key in TaskResult.__dataclass_fields__})
               for entry in data.get("results") or []]
    return stats, results


def playbook_argv(playbook, inventory_file, limit=None, extra_vars=None, check=False, diff=False, verbosity=0,
                  tags=None, skip_tags=None, python=None):
    """The ansible-playbook command line (pure; unit-tested). extra_vars go as one JSON document."""
    executable = Path(python or sys.executable).with_name("ansible-playbook")
    argv = [str(executable), "--inventory", str(inventory_file)]
    if limit:
        argv += ["--limit", limit if isinstance(limit, str) else ",".join(limit)]
    if extra_vars:
        argv += ["--extra-vars", json.dumps(extra_vars)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    if verbosity:
        argv.append("-" + "v" * verbosity)
    if tags:
        argv += ["--tags", tags if isinstance(tags, str) else ",".join(tags)]
    if skip_tags:
        argv += ["--skip-tags", skip_tags if isinstance(skip_tags, str) else ",".join(skip_tags)]
    argv.append(str(playbook))
    return argv


def run_playbook(playbook, molecule_env, limit=None, extra_vars=None, check=False, diff=False, verbosity=0,
                 tags=None, skip_tags=None, env=None, timeout=1200, inventory_file=None):
    """Run ansible-playbook against the scenario's hosts; return a PlaybookRun.

    `molecule_env` is the conftest fixture's dict (MOLECULE_INVENTORY_FILE, MOLECULE_EPHEMERAL_DIRECTORY,
    ...): its inventory is used unless `inventory_file` is given, and its ansible.cfg unless the
    environment already names one (molecule verify sets ANSIBLE_CONFIG). `env` adds variables.
    """
    environ = dict(os.environ)
    environ.update({key: value for key, value in molecule_env.items() if value})
    config = Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ansible.cfg"
    if not environ.get("ANSIBLE_CONFIG") and config.is_file():
        environ["ANSIBLE_CONFIG"] = str(config)
    plugins = [str(CALLBACK_DIR)] + [path for path in environ.get("ANSIBLE_CALLBACK_PLUGINS", "").split(":") if path]
    enabled = ["verify_results"] + [name for name in environ.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if name]
    environ.update({
        "ANSIBLE_CALLBACK_PLUGINS": ":".join(plugins),
        "ANSIBLE_CALLBACKS_ENABLED": ",".join(enabled),
        "ANSIBLE_STDOUT_CALLBACK": "default",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
    })
    environ.update(env or {})
    argv = playbook_argv(playbook, inventory_file or molecule_env["MOLECULE_INVENTORY_FILE"], limit=limit,
                         extra_vars=extra_vars, check=check, diff=diff, verbosity=verbosity, tags=tags,
                         skip_tags=skip_tags)
    with tempfile.TemporaryDirectory(prefix="verify-run-") as scratch:
        results_file = Path(scratch) / "results.json"
        environ["VERIFY_RESULTS_FILE"] = str(results_file)
        completed = subprocess.run(argv, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   timeout=timeout, check=False)
        data = json.loads(results_file.read_text(encoding="utf-8")) if results_file.is_file() else {}
    stats, results = parse_results(data)
    return PlaybookRun(argv=argv, rc=completed.returncode, output=completed.stdout, stats=stats, results=results)
