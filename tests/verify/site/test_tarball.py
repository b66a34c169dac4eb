"""The built collection converges too: `ansible-galaxy collection build`, installed alone (with only
the podman connection plugin, and community.crypto when this checkout has it, beside it), then
postmaster.mail.site from it on the Debian 12 host, with the records directory left to its
default (next to the inventory). The host is converged already: nothing changes on it; only the
records are new on the controller.

Judged from the nested run's structured results. Run by extensions/molecule/site/verify.yml.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lablib.playbook import run_playbook

# Converges (from the built tarball): `make mutants` leaves the module out, as it would undo a mutant.
pytestmark = pytest.mark.converges

HOST = "site-debian12"
# What the run may change: the records, written on the controller (postmaster.mail.zone_files).
RECORDS_TASKS = {"Write one zone fragment per domain, and the PTR to ask the hosting provider for"}
# Collections of this checkout's .cache/collections the installed tarball needs beside it.
DEPENDENCIES = (("containers", None), ("community", "crypto"))


def _galaxy(*args):
    galaxy = Path(sys.executable).with_name("ansible-galaxy")
    result = subprocess.run([str(galaxy)] + [str(arg) for arg in args], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, "ansible-galaxy %s: %s%s" % (" ".join(map(str, args)), result.stdout, result.stderr)


def link_dependencies(source, target):
    """Link each of DEPENDENCIES that exists under `source` (an ansible_collections directory) into
    `target`; return the names linked."""
    linked = []
    for namespace, name in DEPENDENCIES:
        src = source / namespace if name is None else source / namespace / name
        if not src.is_dir():
            continue
        dest = target / namespace if name is None else target / namespace / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(src)
        linked.append(namespace if name is None else "%s.%s" % (namespace, name))
    return linked


@pytest.fixture(scope="module")
def work(molecule_env, project_dir):
    """The tarball built and installed, its dependencies linked, the inventory copied with the
    records directory dropped: {dir, collections_path, inventory, linked}."""
    work_dir = Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"]) / "tarball"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    _galaxy("collection", "build", "--force", "--output-path", work_dir, project_dir)
    tarballs = sorted(work_dir.glob("postmaster-mail-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    _galaxy("collection", "install", "--offline", "--no-deps", "--force", "-p", work_dir / "collections", tarballs[0])
    linked = link_dependencies(project_dir / ".cache" / "collections" / "ansible_collections",
                               work_dir / "deps" / "ansible_collections")
    assert "containers" in linked, "no containers.podman under .cache/collections"
    inventory_file = Path(molecule_env["MOLECULE_INVENTORY_FILE"])
    shutil.copytree(inventory_file.parent, work_dir / "inventory")
    group_vars = work_dir / "inventory" / "group_vars" / "mailservers"
    variables = yaml.safe_load(group_vars.read_text(encoding="utf-8"))
    # The scenario's records directory goes, so the default (next to the inventory) applies.
    variables.pop("mail_dns_records_dir")
    group_vars.write_text(yaml.safe_dump(variables, default_flow_style=False, sort_keys=True), encoding="utf-8")
    return {"dir": work_dir, "inventory": work_dir / "inventory" / inventory_file.name, "linked": linked,
            "collections_path": "%s:%s" % (work_dir / "collections", work_dir / "deps")}


@pytest.fixture(scope="module")
def tarball_run(molecule_env, work):
    # Only the installed tarball and its dependencies: this checkout is not on the path.
    return run_playbook("postmaster.mail.site", molecule_env, limit=HOST, extra_vars={"mail_dns_check": "enforce"},
                        env={"ANSIBLE_COLLECTIONS_PATH": work["collections_path"]}, inventory_file=work["inventory"])


def test_the_installed_tarball_is_what_the_run_used(work):
    installed = work["dir"] / "collections" / "ansible_collections" / "postmaster" / "mail"
    assert (installed / "MANIFEST.json").is_file(), installed
    assert (installed / "playbooks" / "site.yml").is_file(), installed


def test_the_tarball_converges_and_changes_nothing_on_the_host(tarball_run, work, report):
    assert tarball_run.rc == 0, tarball_run.failure_messages()
    numbers = tarball_run.stats.get(HOST)
    assert numbers, tarball_run.summary()
    assert (numbers["failures"], numbers["unreachable"]) == (0, 0), tarball_run.failure_messages(HOST)
    # The host is converged already: only the records are new, on the controller (their
    # directory and fragments next to the copied inventory, in one task: changed=1).
    others = ["%s [%s]" % (result.task, result.item_label) for result in tarball_run.changed(HOST)
              if result.task not in RECORDS_TASKS]
    assert others == [], "changed on the host: %s" % others
    assert numbers["changed"] == 1, tarball_run.summary()
    report("tarball: %s converged from the built collection (with %s), ok=%s changed=1 (the records)" % (
        HOST, ", ".join(work["linked"]), numbers["ok"]))


@pytest.mark.usefixtures("tarball_run")
def test_the_records_were_written_next_to_the_inventory(work, inventory):
    domain = inventory[HOST]["site_domain"]
    records = work["inventory"].parent / "dns-records"
    for name in ("%s.zone" % domain, "reverse.mail.%s.zone" % domain):
        assert (records / name).is_file(), sorted(path.name for path in records.glob("*"))
