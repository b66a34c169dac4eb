"""Per-task timing of a playbook run, as JSON, for `make bench` (tests/bench/bench.py).

Enabled only for the bench's runs:
    ANSIBLE_CALLBACK_PLUGINS=tests/bench/callback_plugins ANSIBLE_CALLBACKS_ENABLED=bench_timing
    BENCH_TIMING_FILE=<path.json> ansible-playbook ...

For each task and host: the seconds from the moment the host starts the task to its result (loops
included), the role it belongs to, whether it changed anything. Time the controller spends between
tasks (templating, includes, the strategy) is the difference between `wall_seconds` and the sum.
"""

import json
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: bench_timing
    type: aggregate
    short_description: write a per-task time profile as JSON
    description:
      - Records, for each task and host, the seconds from start to result, its role, and whether it changed.
      - Writes them with the play recap's numbers to a JSON file at the end of the run.
    requirements:
      - enabled in callbacks_enabled
    options:
      output:
        description: where to write the JSON; nothing is written when empty
        default: ''
        env:
          - name: BENCH_TIMING_FILE
"""


class CallbackModule(CallbackBase):
    """Collect per-task, per-host durations and write them as JSON at the end of the run."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._running = {}
        self._handlers = set()
        self._tasks = []

    def v2_playbook_on_handler_task_start(self, task):
        self._handlers.add(task._uuid)

    def v2_runner_on_start(self, host, task):
        self._running[(host.get_name(), task._uuid)] = time.monotonic()

    def _finish(self, result, status):
        end = time.monotonic()
        task = result.task
        host = result.host.get_name()
        start = self._running.pop((host, task._uuid), None)
        if start is None:
            return
        role = task._role.get_name() if task._role else None
        data = result.result
        self._tasks.append({
            "task": task.name or task.action,
            "role": role,
            "host": host,
            "seconds": round(end - start, 4),
            "changed": bool(data.get("changed", False)),
            "items": len(data["results"]) if isinstance(data.get("results"), list) else None,
            "status": status,
            "action": task.action,
            "delegated": bool(task.delegate_to),
            "handler": task._uuid in self._handlers,
            "path": task.get_path(),
            "offset": round(start - self._started, 4),
        })

    def v2_runner_on_ok(self, result):
        self._finish(result, "changed" if result.result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = self.get_option("output")
        if not path:
            return
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(path, "w") as handle:
            json.dump({
                "wall_seconds": round(time.monotonic() - self._started, 3),
                "tasks_seconds": round(sum(t["seconds"] for t in self._tasks), 3),
                "recap": recap,
                "tasks": self._tasks,
            }, handle, indent=1)
            handle.write("\n")
