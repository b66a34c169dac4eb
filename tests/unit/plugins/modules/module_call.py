"""Calling a module's main() in a unit test: AnsibleModule's exit_json and fail_json raise Exited
and Failed with the result, and call() gives back what the module returned (or failed with)."""

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class Exited(Exception):
    """exit_json was called; args[0] is the result."""


class Failed(Exception):
    """fail_json was called; args[0] is the result."""


def _exit_json(self, **result):
    raise Exited(result)


def _fail_json(self, **result):
    raise Failed(result)


def patch_exits(monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)


def call(main, module_args, check_mode=False, diff=False, exception=Exited):
    """The result ``main`` exits with (``exception=Failed``: fails with), given ``module_args``."""
    with patch_module_args(dict(module_args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        with pytest.raises(exception) as raised:
            main()
    return raised.value.args[0]
