# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The units option of the modules that configure a service."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  units:
    description:
      - systemd units of the service whose state to report in RV(units), read with
        C(systemctl is-active) and C(systemctl is-enabled) (also in check mode). The module
        neither starts nor enables them; the caller skips its own C(systemd_service) task for a
        unit already enabled and active.
    type: list
    elements: str
    default: []
"""
