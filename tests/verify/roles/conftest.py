"""Fixtures of the roles scenario's tests (extensions/molecule/roles): its playbooks, and a bad-input
case run end to end.

    converge            path of the scenario's converge.yml (rerun it with lablib.playbook.run_playbook)
    apply_role          path of its apply_role.yml (-e role=<name>: one role alone, for bad input)
    refused             refused(lab_host, playbook, extra_vars, error): runs the playbook on that host
                        only, and fails unless the run was refused with a failure message matching
                        the regex `error` and /etc on the host unchanged (checksums before and after)
"""

from pathlib import Path

import pytest

from lablib.playbook import run_playbook
from lablib.refusal import etc_checksums, refusal_problems


@pytest.fixture(scope="session")
def scenario_dir(project_dir):
    return Path(project_dir) / "extensions" / "molecule" / "roles"


@pytest.fixture(scope="session")
def converge(scenario_dir):
    return scenario_dir / "converge.yml"


@pytest.fixture(scope="session")
def apply_role(scenario_dir):
    return scenario_dir / "apply_role.yml"


@pytest.fixture(scope="session")
def refused(molecule_env):
    def run_case(lab_host, playbook, extra_vars, error):
        before = etc_checksums(lab_host)
        run = run_playbook(playbook, molecule_env, limit=lab_host.name, extra_vars=extra_vars, timeout=600)
        after = etc_checksums(lab_host)
        problems = refusal_problems(run, error, before, after)
        assert not problems, "%s with %s: %s" % (lab_host.name, extra_vars, "; ".join(problems))
        return run

    return run_case
