"""make mutants: the verify suite must fail on each mutant of the collection (tests/mutants/mutants.yml).

    python tests/mutants/run.py [NAME ...]     (the venv's python; `make mutants` starts the lab first)

1. The site scenario is converged as in `molecule test` (molecule converge -s site), and the
   suite that judges a converged host (tests/verify/site, less the tests marked `converges`,
   which run site.yml themselves and would undo a mutant) must pass on it: the baseline.
2. For each mutant: a copy of the collection with one change (checked to apply exactly as
   written), site.yml from that copy on site-debian13, the same suite again. A mutant is caught
   when the suite fails; the tests that failed are read from pytest's JUnit XML.
3. site.yml from the real collection puts the host back; `molecule destroy -s site` at the end
   (MUTANTS_KEEP=1 keeps the hosts).

Exit status 0 only when the baseline passed and every mutant was caught. The report is printed
and written to mutants-results/<UTC time>.md (git-ignored). Not part of make test.
"""

import datetime
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "verify"))

from lablib.playbook import run_playbook  # noqa: E402  pylint: disable=wrong-import-position

BIN = Path(sys.executable).parent
CACHE = ROOT / ".cache"
WORK = CACHE / "mutants"
HOST = "site-debian13"
SUITE = ["-m", "not converges", str(ROOT / "tests" / "verify" / "site")]


def log(message):
    print("[mutants] %s" % message, flush=True)


def apply_mutant(text, mutant):
    """The text with the mutant's changes (`old`/`new`/`count`, or a list of them in `edits`), or
    ValueError when an `old` does not occur exactly `count` times (pure)."""
    for edit in mutant.get("edits") or [mutant]:
        count = int(edit.get("count", 1))
        found = text.count(edit["old"])
        if found != count:
            raise ValueError("%s: %r occurs %d times in %s, not %d: the mutant no longer applies; update "
                             "tests/mutants/mutants.yml" % (mutant["name"], edit["old"], found, mutant["file"], count))
        text = text.replace(edit["old"], edit["new"])
    return text


def failed_tests(junit_file):
    """The ids (module::test) of the failed or erroring tests in a JUnit XML file (pure)."""
    if not Path(junit_file).is_file():
        return []
    failed = []
    for case in ET.parse(junit_file).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            module = (case.get("classname") or "").rsplit(".", 1)[-1]
            failed.append("%s::%s" % (module, case.get("name")))
    return failed


def collection_copy(name, mutant=None):
    """A copy of the collection (the files git knows) under .cache/mutants/<name>/, mutated; the
    collections path that loads it before the lab's other collections."""
    base = WORK / name
    target = base / "ansible_collections" / "postmaster" / "mail"
    shutil.rmtree(base, ignore_errors=True)
    target.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           stdout=subprocess.PIPE).stdout.decode().split("\0")
    for relative in filter(None, files):
        source = ROOT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    if mutant:
        path = target / mutant["file"]
        path.write_text(apply_mutant(path.read_text(encoding="utf-8"), mutant), encoding="utf-8")
    return "%s:%s" % (base, os.environ.get("ANSIBLE_COLLECTIONS_PATH", CACHE / "collections"))


def molecule(*args):
    log("molecule %s" % " ".join(args))
    subprocess.run([str(BIN / "molecule")] + list(args), cwd=ROOT, check=True)


def molecule_env():
    home = Path(os.environ.get("ANSIBLE_HOME") or CACHE / "ansible")
    found = sorted(home.glob("tmp/molecule.*.site/inventory/ansible_inventory.yml"))
    if len(found) != 1:
        raise SystemExit("expected one site scenario inventory under %s/tmp, found %d" % (home, len(found)))
    return {"MOLECULE_PROJECT_DIRECTORY": str(ROOT), "MOLECULE_SCENARIO_NAME": "site",
            "MOLECULE_EPHEMERAL_DIRECTORY": str(found[0].parent.parent), "MOLECULE_INVENTORY_FILE": str(found[0])}


def publish_records(env):
    """Load the zone fragments site.yml wrote into the lab DNS, as the suite's enforcing rerun
    (left out here) does first: the DKIM, SPF and DMARC checks need them."""
    fragments = sorted(str(path) for path in (Path(env["MOLECULE_EPHEMERAL_DIRECTORY"]) / "dns-records").glob("*.zone"))
    if not fragments:
        raise SystemExit("site.yml wrote no zone fragments in %s/dns-records" % env["MOLECULE_EPHEMERAL_DIRECTORY"])
    subprocess.run([sys.executable, str(ROOT / "tests" / "lab" / "lab_dns.py"), "load"] + fragments, check=True)
    log("published %d zone fragments in the lab DNS" % len(fragments))


def converge(env, collections_path, label):
    run = run_playbook("postmaster.mail.site", env, limit=HOST, env={"ANSIBLE_COLLECTIONS_PATH": collections_path})
    if run.rc != 0:
        raise SystemExit("site.yml (%s) failed on %s: %s" % (label, HOST, run.failure_messages()))
    log("site.yml (%s): %s" % (label, run.summary()))


def suite(env, name):
    junit = WORK / ("%s.xml" % name)
    environ = dict(os.environ, **env)
    argv = [sys.executable, "-m", "pytest", "-c", str(ROOT / "tests" / "verify" / "pytest.ini"), "--rootdir",
            str(ROOT / "tests" / "verify"), "-p", "no:cacheprovider", "-q", "-rf", "--junitxml=%s" % junit] + SUITE
    log("pytest (%s)" % name)
    completed = subprocess.run(argv, env=environ, cwd=ROOT, check=False)
    return completed.returncode, failed_tests(junit)


def main(names):
    data = yaml.safe_load((ROOT / "tests" / "mutants" / "mutants.yml").read_text(encoding="utf-8"))
    mutants = [m for m in data["mutants"] if not names or m["name"] in names]
    WORK.mkdir(parents=True, exist_ok=True)
    for mutant in mutants:  # refuse a stale mutant before anything runs
        collection_copy(mutant["name"], mutant)
    molecule("converge", "-s", "site")
    env = molecule_env()
    real = os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(CACHE / "collections"))
    publish_records(env)
    rows = []
    try:
        code, failed = suite(env, "baseline")
        if code != 0:
            raise SystemExit("the baseline failed, so no mutant can be judged: %s" % failed)
        for mutant in mutants:
            converge(env, collection_copy(mutant["name"], mutant), mutant["name"])
            code, failed = suite(env, mutant["name"])
            rows.append((mutant, code != 0, failed))
            converge(env, real, "real collection")
    finally:
        if not os.environ.get("MUTANTS_KEEP"):
            molecule("destroy", "-s", "site")
    lines = ["# make mutants, %s" % datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "",
             "| mutant | promise | caught | by |", "|---|---|---|---|"]
    for mutant, caught, failed in rows:
        cells = (mutant["name"], mutant["promise"], "yes" if caught else "**NO**", "<br>".join(failed) or "-")
        lines.append("| %s | %s | %s | %s |" % cells)
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "mutants-results"
    out.mkdir(exist_ok=True)
    (out / ("%s.md" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))).write_text(report)
    return 0 if rows and all(caught for _m, caught, _f in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
