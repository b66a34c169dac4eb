"""Every role's meta/argument_specs.yml agrees with its defaults/main.yml."""

import pathlib

import pytest
import yaml

ROLES = sorted(p for p in (pathlib.Path(__file__).parents[3] / "roles").iterdir() if p.is_dir())
# The contract role documents site.yml's public variables (mail_*) in its argument spec. It has no
# defaults file: the defaults are in the spec and in _contract.DEFAULTS, which
# tests/unit/plugins/module_utils/test_contract.py holds to each other and to the wiring.
CONTRACT_ROLE = "server"


def prefix(role):
    return "mail_" if role.name == CONTRACT_ROLE else role.name + "_"


def load(path):
    if not path.exists():
        return {}
    with path.open() as stream:
        return yaml.safe_load(stream) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_specs_and_defaults_name_the_same_variables(role):
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    if role.name == CONTRACT_ROLE:
        assert defaults == {}
        assert all(name.startswith("mail_") for name in options)
    else:
        assert sorted(defaults) == sorted(options)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_literal_defaults_match_the_spec(role):
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, value in defaults.items():
        if isinstance(value, str) and "{{" in value:
            # Computed defaults are described in the spec's text, not given as a default.
            assert "default" not in options[name], name
            continue
        assert options[name].get("default") == value, name


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_variable_is_prefixed_with_the_role_name(role):
    defaults = load(role / "defaults" / "main.yml")
    assert [name for name in defaults if not name.startswith(prefix(role))] == []
