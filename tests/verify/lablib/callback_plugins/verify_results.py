"""Every task result of a nested playbook run, as JSON, for the pytest verify steps.

Enabled only by tests/verify/lablib/playbook.py, beside the default stdout callback:
    ANSIBLE_CALLBACK_PLUGINS=<this directory> ANSIBLE_CALLBACKS_ENABLED=verify_results
    VERIFY_RESULTS_FILE=<path.json> ansible-playbook ...

Written at the end of the run (and when it is interrupted by a failure of the whole run, the
file holds what was recorded until then): {"results": [...], "stats": {host: {...}}}. A result
keeps the host, play, role, task name, action, status, the loop item's label, `msg` and whether
its failure was ignored; never the module's return values, which may hold what no_log hides.
"""

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: verify_results
    type: aggregate
    short_description: write every task result of a run as JSON
    description:
      - Records host, play, role, task, action, status, item label, message and ignored flag of every result.
      - Writes them with the play recap's numbers to a JSON file at the end of the run.
    requirements:
      - enabled in callbacks_enabled
    options:
      output:
        description: where to write the JSON; nothing is written when empty
        default: ''
        env:
          - name: VERIFY_RESULTS_FILE
"""


def _label(result):
    """The loop item's label as Ansible shows it (loop_control.label, else the item), or None."""
    data = result._result
    if "_ansible_item_label" in data:
        return str(data["_ansible_item_label"])
    if "item" in data:
        return str(data["item"])
    return None


class CallbackModule(CallbackBase):
    """Collect every task result; write them and the recap as JSON at the end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "verify_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._play = None
        self._results = []

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def _record(self, result, status, ignored=False):
        task = result._task
        data = result._result
        hidden = bool(data.get("_ansible_no_log")) or bool(task.no_log)
        message = data.get("msg")
        self._results.append({
            "host": result._host.get_name(),
            "play": self._play,
            "role": task._role.get_name() if task._role else None,
            "task": task.name or task.action,
            "action": task.action,
            "status": status,
            "item_label": _label(result),
            "msg": None if hidden or message is None else str(message),
            "ignored": bool(ignored),
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed", False) else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed", False) else "ok")

    def v2_runner_item_on_failed(self, result):
        self._record(result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        path = self.get_option("output")
        if not path:
            return
        recap = {}
        for host in sorted(stats.processed):
            summary = stats.summarize(host)
            recap[host] = {key: summary.get(key, 0)
                           for key in ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")}
        with open(path, "w", encoding="utf-8") as stream:
            json.dump({"results": self._results, "stats": recap}, stream, indent=1)
