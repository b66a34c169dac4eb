"""Unit tests of tests/mutants/run.py's pure parts, and a check that every mutant of
tests/mutants/mutants.yml still applies to the collection as it is (a stale mutant would make
`make mutants` refuse to start)."""

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "mutants"))
sys.path.insert(0, str(ROOT / "tests" / "verify"))

import run  # noqa: E402  pylint: disable=wrong-import-position

MUTANTS = yaml.safe_load((ROOT / "tests" / "mutants" / "mutants.yml").read_text())["mutants"]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_every_mutant_applies_to_the_collection_and_changes_it(mutant):
    text = (ROOT / mutant["file"]).read_text(encoding="utf-8")
    mutated = run.apply_mutant(text, mutant)
    assert mutated != text
    assert mutant["promise"]
    if mutant["file"].endswith((".yml", ".yaml")):
        yaml.safe_load(mutated)  # still YAML


def test_the_five_promises_of_the_issue_have_a_mutant():
    assert {m["name"] for m in MUTANTS} >= {"auth-before-tls", "tls11-on-587", "opendkim-milter-removed",
                                            "catch-all-swallows-mailbox", "sender-login-check-removed"}


def test_apply_mutant_refuses_a_change_that_does_not_occur_as_often_as_written():
    mutant = {"name": "m", "file": "f", "old": "a", "new": "b", "count": 2}
    assert run.apply_mutant("a a", mutant) == "b b"
    with pytest.raises(ValueError, match="occurs 1 times"):
        run.apply_mutant("a", mutant)
    with pytest.raises(ValueError, match="occurs 0 times"):
        run.apply_mutant("x", dict(mutant, count=1))


def test_failed_tests_reads_failures_and_errors_from_junit(tmp_path):
    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="site.test_mail" name="test_ok"/>'
        '<testcase classname="site.test_mail" name="test_bad"><failure message="x"/></testcase>'
        '<testcase classname="site.test_tls" name="test_err"><error message="y"/></testcase>'
        '</testsuite></testsuites>')
    assert run.failed_tests(junit) == ["test_mail::test_bad", "test_tls::test_err"]
    assert run.failed_tests(tmp_path / "missing.xml") == []


def test_apply_mutant_applies_each_edit_in_turn_and_checks_each():
    mutant = {"name": "m", "file": "f", "edits": [{"old": "a", "new": "b", "count": 2}, {"old": "bc", "new": "x"}]}
    assert run.apply_mutant("a ac", mutant) == "b x"
    with pytest.raises(ValueError, match="'bc' occurs 0 times"):
        run.apply_mutant("a a", mutant)
