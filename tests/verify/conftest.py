"""Fixtures of the pytest verify steps, shared by every Molecule scenario.

A scenario's verify.yml runs `python -m pytest -c tests/verify/pytest.ini tests/verify/<scenario>/...`
on the controller, with Molecule's environment. Tests live in tests/verify/<scenario>/, named
after the scenario. The helpers are in lablib (see its docstring); the fixtures:

    molecule_env        {MOLECULE_PROJECT_DIRECTORY, MOLECULE_EPHEMERAL_DIRECTORY,
                        MOLECULE_INVENTORY_FILE}: from the environment, or found (see below)
    inventory           {host name: merged and rendered inventory variables}
    hosts               {host name: LabHost}: .name .address .vars .host (testinfra, ssh)
                        .run(cmd, *args, timeout) .check(cmd, *args, timeout); a missing name
                        fails the test
    peer                Peer: .run(*argv) .sh(script, *args) .check(*argv) .swaks(*args)
                        .curl(*args) .read_file(path), in postmaster-lab-peer
    pebble_roots        path (controller) of the root of the certificates the lab's Pebble
                        issues, copied from the peer
    lab_dns             LabDns: .set(name, type, *values) .delete(name, type) .get(name, type)
                        .load(*fragments); set/delete undone after the test
    run_id              a token unique to the test module's run, for X-Run headers
    report              report(line): a line for the "verify summary" at the end of the run
                        (and the JUnit XML's properties)

Without Molecule's environment (a quicker rerun after `molecule converge -s site`), the
inventory is found under $ANSIBLE_HOME/tmp/molecule.*.<scenario>/ (ANSIBLE_HOME defaulting to
the Makefile's .cache/ansible), the scenario being --scenario or the tests' directory name.
Nothing is skipped: a missing inventory, host or lab service fails.
"""

import os
import time
import uuid
from pathlib import Path

import pytest

from lablib import records
from lablib.hosts import close_hosts, make_hosts
from lablib.inventory import load_inventory, render_vars
from lablib.peer import ROOTS_PEM, Peer

VERIFY_DIR = Path(__file__).resolve().parent
PROJECT_DIR = VERIFY_DIR.parent.parent
_SUMMARY = pytest.StashKey[list]()


def pytest_addoption(parser):
    parser.addoption("--scenario", help="Molecule scenario whose converged hosts to verify, when run outside "
                                        "`molecule verify` (default: the tests' directory name)")


def pytest_configure(config):
    config.stash[_SUMMARY] = []


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "verify summary")
        for line in lines:
            terminalreporter.write_line(line)


def _scenario_of(session):
    option = session.config.getoption("--scenario")
    if option:
        return option
    names = set()
    for item in session.items:
        try:
            names.add(Path(str(item.path)).resolve().relative_to(VERIFY_DIR).parts[0])
        except ValueError:
            continue
    if len(names) != 1:
        pytest.fail("cannot tell the scenario from tests in %s: give --scenario, or run through molecule verify"
                    % (sorted(names) or "no directory"), pytrace=False)
    return names.pop()


def _find_molecule_env(session):
    scenario = _scenario_of(session)
    ansible_home = Path(os.environ.get("ANSIBLE_HOME") or PROJECT_DIR / ".cache" / "ansible")
    found = sorted(ansible_home.glob("tmp/molecule.*.%s/inventory/ansible_inventory.yml" % scenario))
    if len(found) != 1:
        pytest.fail("MOLECULE_INVENTORY_FILE is not set and %s inventories of scenario %r were found under %s/tmp "
                    "(converge it first: molecule converge -s %s)" % (len(found) or "no", scenario, ansible_home, scenario),
                    pytrace=False)
    inventory_file = found[0]
    return {
        "MOLECULE_PROJECT_DIRECTORY": str(PROJECT_DIR),
        "MOLECULE_EPHEMERAL_DIRECTORY": str(inventory_file.parent.parent),
        "MOLECULE_INVENTORY_FILE": str(inventory_file),
        "MOLECULE_SCENARIO_NAME": scenario,
    }


@pytest.fixture(scope="session")
def molecule_env(request):
    """Molecule's variables for this run (from the environment, else found on disk)."""
    names = ("MOLECULE_PROJECT_DIRECTORY", "MOLECULE_EPHEMERAL_DIRECTORY", "MOLECULE_INVENTORY_FILE")
    if all(os.environ.get(name) for name in names):
        found = {name: os.environ[name] for name in names}
        found["MOLECULE_SCENARIO_NAME"] = os.environ.get("MOLECULE_SCENARIO_NAME", "")
        return found
    return _find_molecule_env(request.session)


@pytest.fixture(scope="session")
def project_dir(molecule_env):
    return Path(molecule_env["MOLECULE_PROJECT_DIRECTORY"])


@pytest.fixture(scope="session")
def inventory(molecule_env):
    """{host name: variables}, merged as Ansible does and rendered (lablib.inventory)."""
    environ = dict(os.environ)
    environ.update(molecule_env)
    hosts = load_inventory(molecule_env["MOLECULE_INVENTORY_FILE"])
    return {name: render_vars(variables, environ) for name, variables in hosts.items()}


@pytest.fixture(scope="session")
def hosts(inventory, project_dir):
    """{host name: LabHost} of the scenario; ssh master connections closed at the end."""
    identity_file = project_dir / ".cache" / "lab" / "ssh" / "id_ed25519"
    if not identity_file.is_file():
        pytest.fail("no lab ssh key at %s (make lab makes it)" % identity_file, pytrace=False)
    lab_hosts = make_hosts(inventory, identity_file)
    yield lab_hosts
    close_hosts(lab_hosts)


@pytest.fixture(scope="session")
def peer(inventory):
    """The lab's peer container (the inventory's lab-peer if there is one)."""
    lab_peer = inventory.get("lab-peer", {})
    return Peer(container=str(lab_peer.get("ansible_host") or "postmaster-lab-peer"))


@pytest.fixture(scope="session")
def pebble_roots(peer, tmp_path_factory):
    """Path of Pebble's issuing root on the controller. Taken from the running lab's peer, not
    from .cache/lab: the root changes at every lab start, and the lab may have been started from
    another checkout."""
    path = tmp_path_factory.mktemp("pebble") / "roots.pem"
    path.write_text(peer.read_file(ROOTS_PEM), encoding="ascii")
    return str(path)


@pytest.fixture
def lab_dns(project_dir):
    """Change lab DNS records for one test; what set() and delete() changed is put back after."""
    changes = records.LabDns(records.load_lab_dns(project_dir))
    yield changes
    changes.restore()


@pytest.fixture(scope="module")
def run_id():
    """A token unique to this module's run: put it in an X-Run header to find its messages."""
    return "%s-%s" % (time.strftime("%Y%m%d%H%M%S"), uuid.uuid4().hex[:6])


@pytest.fixture(scope="session")
def report(request, record_testsuite_property):
    """report(line): add a line to the run's "verify summary" (terminal) and to the JUnit XML."""

    def add(line):
        request.config.stash[_SUMMARY].append(line)
        record_testsuite_property("summary", line)

    return add
