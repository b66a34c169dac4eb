# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""postmaster.mail.role_check: the roles' variables checked in the controller's process, each
templated once for both checks (its role's argument spec, then the role's rules). Documentation:
plugins/modules/role_check.py; the rules: plugins/module_utils/_role_rules.py."""

from __future__ import annotations

import os

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.postmaster.mail.plugins.module_utils._contract import plain_data
from ansible_collections.postmaster.mail.plugins.module_utils._role_rules import RULES, role_errors

ARGUMENT_SPEC = {
    "roles": {"type": "list", "elements": "str", "required": True, "choices": sorted(RULES)},
    "argument_spec": {"type": "bool", "default": True},
    "errors": {"type": "list", "elements": "str", "default": []},
}

# The collection's roles: plugins/action/role_check.py -> the collection's root.
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")

_SPECS = {}


def role_options(role):
    """The options of ``role``'s main entry point (meta/argument_specs.yml), read once per process."""
    if role not in _SPECS:
        path = os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")
        try:
            with open(path, encoding="utf-8") as stream:
                _SPECS[role] = yaml.safe_load(stream)["argument_specs"]["main"].get("options") or {}
        except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
            raise AnsibleActionFail("role_check: cannot read the argument spec of role %s (%s): %s"
                                    % (role, path, error)) from None
    return _SPECS[role]


def role_messages(role, values, argument_spec=True):
    """The broken rules of ``role`` for its templated variables ``values``: its argument spec's
    first (alone: the rules assume the types the spec asks for), else its rules'."""
    if argument_spec:
        checked = ArgumentSpecValidator(role_options(role)).validate(values, validate_role_argument_spec=True)
        if checked.error_messages:
            return list(checked.error_messages)
    return role_errors(role, values)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no temporary directory on any host
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        task_vars = task_vars or {}
        messages = []
        for role in args["roles"]:
            options = role_options(role)
            # One templating pass per role: the values both checks read.
            values = plain_data(self._templar.template({name: task_vars[name] for name in options if name in task_vars}))
            messages.extend(role_messages(role, values, args["argument_spec"]))
        messages.extend(args["errors"])
        result.update(changed=False, errors=messages, roles=args["roles"])
        if messages:
            result.update(failed=True, msg="; ".join(messages))
        else:
            result["msg"] = "the variables of %s follow their rules" % ", ".join(args["roles"])
        return result
