"""Bad input is refused before anything changes, end to end: postmaster.mail.site run against
site-debian13 with each case's input as extra vars must fail with an error that names the
variable (the case's `error` regex, matched against the failures' messages of the structured
results), and leave every file under /etc as it was (checksums before and after; what podman
rewrites in a running container left out).

The cases are extensions/molecule/site/bad_inputs.yml's: the role variables' ones and the mail_*
ones marked end_to_end. Every other mail_* case is a unit test of the contract's rules
(tests/unit/plugins/module_utils/test_contract.py). Run by extensions/molecule/site/verify.yml.
"""

import re
from pathlib import Path

import pytest
import yaml

from lablib.playbook import run_playbook
from lablib.refusal import etc_checksums, refusal_problems

# Runs site.yml (refused before anything changes, and slow): `make mutants` leaves the module out, as it would undo a mutant.
pytestmark = pytest.mark.converges

HOST = "site-debian13"
BAD_INPUTS = Path(__file__).resolve().parents[3] / "extensions" / "molecule" / "site" / "bad_inputs.yml"
CASES = yaml.safe_load(BAD_INPUTS.read_text(encoding="utf-8"))["bad_input_cases"]


def end_to_end(cases):
    """The cases run through site.yml: every role variable's, and the mail_* ones marked end_to_end."""
    return [case for case in cases if not case["variable"].startswith("mail_") or case.get("end_to_end")]


END_TO_END = end_to_end(CASES)


def test_every_case_names_its_variable_rule_and_input_and_its_error_names_the_variable(report):
    names = [case["name"] for case in CASES]
    assert sorted(set(names)) == sorted(names), "names given twice: %s" % sorted({n for n in names if names.count(n) > 1})
    malformed = [case.get("name") for case in CASES
                 if not (isinstance(case.get("variable"), str) and isinstance(case.get("rule"), str)
                         and isinstance(case.get("input"), dict) and case["variable"] in case.get("error", ""))]
    assert malformed == [], "need variable, rule, input and an error that names the variable"
    assert len(END_TO_END) >= 8, [case["name"] for case in END_TO_END]
    report("bad input: %d cases end to end against %s, the %d other mail_* cases as unit tests" % (
        len(END_TO_END), HOST, len(CASES) - len(END_TO_END)))


@pytest.mark.converges
@pytest.mark.parametrize("case", END_TO_END, ids=[case["name"] for case in END_TO_END])
def test_bad_input_is_refused_naming_the_variable_before_etc_changes(molecule_env, hosts, case):
    lab_host = hosts[HOST]
    before = etc_checksums(lab_host)
    run = run_playbook("postmaster.mail.site", molecule_env, limit=HOST, extra_vars=case["input"], timeout=600)
    after = etc_checksums(lab_host)
    problems = refusal_problems(run, case["error"], before, after)
    assert problems == [], "%s: %s" % (case["name"], problems)
    naming = [message for message in run.failure_messages() if re.search(case["error"], message)]
    assert any(case["variable"] in message for message in naming), naming
