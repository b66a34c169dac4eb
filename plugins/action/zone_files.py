# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""postmaster.mail.zone_files: the records to publish, written on the controller, in the
controller's process (no module run, no connection to the host). Documentation:
plugins/modules/zone_files.py; the work: plugins/plugin_utils/_zone_files.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.postmaster.mail.plugins.plugin_utils import _zone_files

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "files": {"type": "dict", "required": True},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no temporary directory on any host
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            written = _zone_files.zone_files(args["path"], args["files"], check_mode=bool(self._task.check_mode))
        except _zone_files.ZoneFilesError as error:
            raise AnsibleActionFail("zone_files: %s" % error) from None
        diff = written.pop("diff")
        result.update(written)
        if self._task.diff and diff:
            result["diff"] = diff
        return result
