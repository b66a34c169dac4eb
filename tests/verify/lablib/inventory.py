"""The scenario's inventory as Molecule writes it, read without Ansible.

Molecule (26.x) writes into `<ephemeral dir>/inventory/`:
  ansible_inventory.yml  groups (`all`, each platform's groups) with their hosts and `vars`
                         (the driver's connection options as inline host vars);
  hosts                  the provisioner's `inventory.hosts` (here: the `lab` group, lab-peer);
  host_vars/<host>       the provisioner's `inventory.host_vars`;
  group_vars/<group>     the provisioner's `inventory.group_vars`.
MOLECULE_INVENTORY_FILE names the first; the others are read from its directory when they exist,
so a single self-contained YAML inventory works as well.

Variables are merged with Ansible's order for these sources: inline group vars (`all` first,
then by depth and name) < group_vars/all < group_vars/<other groups> < inline host vars <
host_vars/<host>; a later source replaces a whole value (no deep merge). Then strings holding
Jinja are rendered against the host's own variables, with `lookup('env', ...)` (or
`ansible.builtin.env`) as the only lookup. What cannot be rendered here (other lookups, Ansible
filters, facts) stays as written: the tests only need the scenario's plain values, such as
`mail_hostname: mail.{{ site_domain }}`.
"""

import os
import shutil
from pathlib import Path

import jinja2
import yaml
from jinja2.nativetypes import NativeEnvironment

# Files Ansible skips in an inventory directory.
_SKIPPED_SUFFIXES = (".orig", ".ini", ".cfg", ".retry", ".pyc", ".pyo", "~")
_VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")


def _load_yaml(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


class _Group:
    def __init__(self, name):
        self.name = name
        self.vars = {}
        self.hosts = {}  # host name -> inline vars
        self.children = set()
        self.depth = 0 if name == "all" else 1


def _parse_groups(data, groups, source):
    """Add the groups of one YAML inventory mapping to `groups` (name -> _Group)."""
    if not isinstance(data, dict):
        raise ValueError("%s: not a YAML inventory (a mapping of groups)" % source)

    def visit(name, body, depth):
        group = groups.setdefault(name, _Group(name))
        group.depth = max(group.depth, depth)
        body = body or {}
        group.vars.update(body.get("vars") or {})
        for host, host_vars in (body.get("hosts") or {}).items():
            group.hosts.setdefault(host, {}).update(host_vars or {})
        for child, child_body in (body.get("children") or {}).items():
            group.children.add(child)
            visit(child, child_body, depth + 1)

    for name, body in data.items():
        visit(name, body, 0 if name == "all" else 1)


def _read_vars(directory, name):
    """The variables of host_vars/<name> or group_vars/<name>: a file with or without a YAML
    extension, or a directory of such files (read in name order)."""
    merged = {}
    base = Path(directory, name)
    if base.is_dir():
        for path in sorted(base.iterdir()):
            if path.is_file() and path.suffix in _VARS_SUFFIXES:
                merged.update(_load_yaml(path) or {})
        return merged
    for suffix in _VARS_SUFFIXES:
        path = Path(str(base) + suffix)
        if path.is_file():
            merged.update(_load_yaml(path) or {})
    return merged


def _inventory_sources(inventory_file):
    """The inventory file, then any other YAML inventory Molecule wrote beside it."""
    inventory_file = Path(inventory_file)
    sources = [inventory_file]
    for path in sorted(inventory_file.parent.iterdir()):
        if path == inventory_file or not path.is_file() or path.name.startswith("."):
            continue
        if path.name.endswith(_SKIPPED_SUFFIXES):
            continue
        sources.append(path)
    return sources


def _groups_of(host, groups):
    """The names of the groups a host is in, directly or through a child group, with `all`."""
    direct = {name for name, group in groups.items() if host in group.hosts}
    found = set(direct) | {"all"}
    changed = True
    while changed:
        changed = False
        for name, group in groups.items():
            if name not in found and group.children & found:
                found.add(name)
                changed = True
    return found


def load_inventory(inventory_file):
    """Return {host name: merged variables, not yet rendered} for every host of the inventory.

    Each host's variables also carry `inventory_hostname` and `group_names` (sorted, without
    `all`), as in Ansible.
    """
    groups = {"all": _Group("all")}
    for source in _inventory_sources(inventory_file):
        data = _load_yaml(source)
        if data is None:
            continue
        _parse_groups(data, groups, source)
    directory = Path(inventory_file).parent
    group_files = {name: _read_vars(directory / "group_vars", name) for name in groups}

    hosts = {}
    for host in sorted({h for group in groups.values() for h in group.hosts}):
        member_of = _groups_of(host, groups)
        ordered = sorted(member_of, key=lambda name: (groups[name].depth, name != "all", name))
        merged = {}
        for name in ordered:
            merged.update(groups[name].vars)
        merged.update(group_files.get("all", {}))
        for name in ordered:
            if name != "all":
                merged.update(group_files.get(name, {}))
        for name in ordered:
            merged.update(groups[name].hosts.get(host, {}))
        merged.update(_read_vars(directory / "host_vars", host))
        merged["inventory_hostname"] = host
        merged["group_names"] = sorted(member_of - {"all"})
        hosts[host] = merged
    return hosts


def render_vars(variables, environ=None, passes=5):
    """Render the Jinja in `variables` (nested in lists and dicts too) against the variables
    themselves, and return a new dict.

    A value that fails to render (an undefined name, an Ansible-only filter or lookup) stays as
    written. Several passes let a value use another templated one; whole-value expressions give
    native types, as in Ansible (`"{{ port }}"` gives an int).
    """
    environ = os.environ if environ is None else environ
    env = NativeEnvironment(undefined=jinja2.StrictUndefined)

    def lookup(name, *terms, **kwargs):
        if name not in ("env", "ansible.builtin.env"):
            raise jinja2.TemplateError("lookup %r is not available outside Ansible" % name)
        values = [environ.get(term, kwargs.get("default", "")) for term in terms]
        return values[0] if len(values) == 1 else ",".join(values)

    env.globals["lookup"] = lookup

    def render(value, context):
        if isinstance(value, str):
            if "{{" not in value and "{%" not in value:
                return value
            try:
                result = env.from_string(value).render(context)
            except Exception:  # pylint: disable=broad-exception-caught
                # Whatever Jinja outside Ansible cannot do: keep the value as written.
                return value
            # A lone undefined name comes back as an Undefined object, not as an error.
            return value if isinstance(result, jinja2.Undefined) else result
        if isinstance(value, list):
            return [render(item, context) for item in value]
        if isinstance(value, dict):
            return {key: render(item, context) for key, item in value.items()}
        return value

    current = dict(variables)
    for _round in range(passes):
        rendered = {key: render(value, current) for key, value in current.items()}
        if rendered == current:
            break
        current = rendered
    return current


def inventory_with_change(molecule_env, directory, host, change, file_name):
    """A copy of the scenario's inventory directory whose host_vars of `host` add `change` (a
    Secret: JSON of the variables, which may hold passwords: never on a command line) as
    host_vars/<host>/<file_name>; the path of its inventory file."""
    source = Path(molecule_env["MOLECULE_INVENTORY_FILE"]).parent
    target = Path(directory) / "inventory"
    shutil.copytree(source, target)
    host_vars = target / "host_vars" / host
    own = target / "host_vars" / (host + ".molecule")
    if host_vars.is_file():
        host_vars.rename(own)
    host_vars.mkdir(mode=0o700)
    if own.is_file():
        own.rename(host_vars / "00-molecule.yml")  # Molecule's own host_vars, as they are
    change_file = host_vars / file_name
    change_file.touch(mode=0o600)
    change_file.write_text(str(change), encoding="utf-8")
    return target / Path(molecule_env["MOLECULE_INVENTORY_FILE"]).name
