"""Unit tests of tests/verify/lablib/playbook.py: the command line, the parsing, and one real run
of ansible-playbook on this machine (local connection) through the verify_results callback."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "verify"))

from lablib import playbook  # noqa: E402  pylint: disable=wrong-import-position


def test_argv_has_every_option_in_place():
    argv = playbook.playbook_argv("site.yml", "/inv.yml", limit=["a", "b"], extra_vars={"x": "y z"}, check=True,
                                  diff=True, verbosity=2, tags="certificate", skip_tags=["never"],
                                  python="/venv/bin/python")
    assert argv == ["/venv/bin/ansible-playbook", "--inventory", "/inv.yml", "--limit", "a,b",
                    "--extra-vars", '{"x": "y z"}', "--check", "--diff", "-vv", "--tags", "certificate",
                    "--skip-tags", "never", "site.yml"]


def test_argv_minimal():
    assert playbook.playbook_argv("p.yml", "i", python="/p/python")[1:] == ["--inventory", "i", "p.yml"]


def test_parse_results_tolerates_a_run_that_wrote_nothing():
    assert playbook.parse_results({}) == ({}, [])


def test_parse_results_and_queries():
    stats, results = playbook.parse_results({
        "stats": {"h": {"ok": 2, "changed": 1, "failures": 1}},
        "results": [
            {"host": "h", "play": "p", "role": "r", "task": "a", "action": "copy", "status": "changed"},
            {"host": "h", "play": "p", "role": None, "task": "b", "action": "fail", "status": "failed", "msg": "no"},
            {"host": "h", "play": "p", "role": None, "task": "c", "action": "fail", "status": "failed",
             "msg": "ignored", "ignored": True},
            {"host": "g", "play": "p", "role": None, "task": "d", "action": "ping", "status": "unreachable",
             "msg": "down"},
        ],
    })
    run = playbook.PlaybookRun(argv=[], rc=2, output="", stats=stats, results=results)
    assert [result.task for result in run.changed("h")] == ["a"]
    assert run.failure_messages("h") == ["h: b: no"]
    assert run.failure_messages() == ["h: b: no", "g: d: down"]
    assert "rc=2" in run.summary()


def test_failure_messages_fall_back_to_the_output_when_no_task_ran():
    run = playbook.PlaybookRun(argv=[], rc=4, output="ERROR! the playbook could not be found\n")
    assert run.failure_messages() == ["ERROR! the playbook could not be found"]


def test_a_real_run_is_recorded_and_no_log_hides_messages(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"here": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    book = tmp_path / "play.yml"
    book.write_text(json.dumps([{
        "name": "A play", "hosts": "all", "gather_facts": False,
        "tasks": [
            {"name": "Say hello", "ansible.builtin.debug": {"msg": "hello"}},
            {"name": "Change", "ansible.builtin.command": {"cmd": "true"}, "changed_when": True},
            {"name": "Items", "ansible.builtin.debug": {"msg": "{{ item }}"}, "loop": ["one", "two"]},
            {"name": "Hidden", "ansible.builtin.fail": {"msg": "a secret"}, "no_log": True, "ignore_errors": True},
            {"name": "Refuse", "ansible.builtin.fail": {"msg": "mail_hostname: not a host name"}},
        ],
    }]))
    run = playbook.run_playbook(book, {"MOLECULE_INVENTORY_FILE": str(inventory),
                                       "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path)}, timeout=120)
    assert run.rc == 2
    assert run.stats["here"]["changed"] == 1 and run.stats["here"]["failures"] == 1
    assert [result.task for result in run.changed("here")] == ["Change"]
    assert run.failure_messages("here") == ["here: Refuse: mail_hostname: not a host name"]
    hidden = [result for result in run.results if result.task == "Hidden"]
    assert hidden and hidden[0].ignored and hidden[0].msg is None
    assert "a secret" not in json.dumps([result.__dict__ for result in run.results])
    assert {result.item_label for result in run.results if result.task == "Items"} >= {"one", "two"}
    assert "PLAY RECAP" in run.output
