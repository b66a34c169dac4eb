# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for Postfix configuration. Private to this collection: no stable API.

Everything here is plain data in, plain data (or text) out: rendering main.cf, master.cf, the
lookup tables and /etc/aliases; reading main.cf back; deciding which indexes are stale and
whether a change needs a restart; merging what other roles contribute, with the rules the
postfix role's preflight reports. The module postfix_config and the filters use it; the unit
tests cover it without Postfix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

# The comments under the header of each file the postfix role writes.
MAIN_CF_COMMENT = (
    "# Rendered by the postmaster.mail.postfix role from postfix_main_cf and the settings other roles\n"
    "# export; edits here are replaced on the next run. `postconf -n` shows the effective values.\n"
)
MASTER_CF_COMMENT = (
    "# Rendered by the postmaster.mail.postfix role from postfix_master_cf; edits here are replaced on\n"
    "# the next run. `postconf -M` shows the effective services.\n"
    "#\n"
    "# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
)
TABLE_COMMENT = "# Rendered by the postmaster.mail.postfix role; the index beside it is rebuilt by postmap.\n"
PATTERN_COMMENT = "# Rendered by the postmaster.mail.postfix role; Postfix reads it whole (no index).\n"
ALIASES_COMMENT = "# Local aliases, rendered by the postmaster.mail.postfix role from postfix_local_aliases.\n"

MASTER_COLUMNS = ("private", "unpriv", "chroot", "wakeup", "maxproc")
MASTER_FIELDS = MASTER_COLUMNS + ("command", "options", "args", "enabled")
MASTER_KEY_RE = re.compile(r"^[a-z0-9._:\[\]-]+/(inet|unix|unix-dgram|fifo|pass)\Z")
PARAMETER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")
TABLE_KEY_RE = re.compile(r"^[^\s#]+\Z")
TABLE_FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*\Z")
CONTRIBUTOR_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")

# Files of Postfix's own in its configuration directory, which a lookup table must never replace.
RESERVED_TABLE_RE = re.compile(r"(^postfix-files$|\.(cf|proto|lmdb|cdb|db)$)")

MILTER_ACTIONS = ("accept", "tempfail", "reject", "quarantine")
MILTER_KEYS = ("smtpd_milters", "non_smtpd_milters", "postmaster_outbound_milters", "smtpd_milter_maps")
CONTRIBUTION_FIELDS = ("order", "main_cf", "milters", "master_cf", "tables")
MILTER_FIELDS = ("socket", "default_action", "order", "flow")
# Which mail a milter sees: "inbound" (port 25 from outside mynetworks), "outbound" (the users'
# submissions on 587/465, mynetworks on port 25, sendmail on the host), or "all".
# all: every message; inbound: port 25 from outside mynetworks; outbound: submission, mynetworks
# and the mail Postfix makes or is handed locally (non_smtpd_milters); smtpd: whatever arrives
# over SMTP (both of the first two but not the local mail: a milter that judges clients).
MILTER_FLOWS = ("all", "inbound", "outbound", "smtpd")
# The custom main.cf parameter holding the outbound milters (the submission services' smtpd_milters
# refer to it), and the table giving them to mynetworks on port 25 (smtpd_milter_maps).
OUTBOUND_MILTERS = "postmaster_outbound_milters"
MILTER_CLIENTS_TABLE = "milter_clients.cidr"
# Tables written as given, without an index: Postfix reads them whole (regexp, cidr, pcre).
PATTERN_TABLE_RE = re.compile(r"\.(regexp|cidr|pcre)$")
DEFAULT_ORDER = 50

# Postfix's built-in values of the parameters that need a restart, so that a main.cf that omits
# one and a main.cf that spells out the same value count as equal.
BUILTIN_DEFAULTS = {"inet_interfaces": "all", "inet_protocols": "all"}


def table_name_problem(name):
    """Why ``name`` cannot be a lookup table file under the configuration directory, or None."""
    if not isinstance(name, str) or not TABLE_FILE_RE.match(name):
        return "%s is not a file name (letters, digits, _ . -)" % json.dumps(name, default=str)
    if RESERVED_TABLE_RE.search(name):
        return "%s is a name Postfix uses for its own files (*.cf, *.proto, indexes, postfix-files)" % json.dumps(name)
    return None


# --- rendering ---------------------------------------------------------------------------------

def render_value(value, separator=", "):
    """Return ``value`` as Postfix writes it: yes/no, joined lists, plain text.

    Raises ValueError for values that cannot be written on one configuration line.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, Mapping):
        raise ValueError("a dict cannot be written as a Postfix value: %r" % (value,))
    if isinstance(value, (list, tuple)):
        text = separator.join(render_value(item, separator) for item in value)
    else:
        text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError("a Postfix value cannot contain a line break: %r" % (text,))
    return text


def comment_block(text):
    """``text`` as comment lines, the way Ansible's ``comment`` filter writes it ("#", "# line",
    "#"); nothing for an empty text."""
    if not text:
        return ""
    lines = ("# " + line if line else "#" for line in str(text).split("\n"))
    return "#\n" + "\n".join(lines) + "\n#\n"


def _sorted_items(mapping):
    # Jinja's dictsort: case-insensitive, then the exact key for a stable order.
    return sorted(mapping.items(), key=lambda item: (str(item[0]).lower(), str(item[0])))


def render_main_cf(main_cf, header=""):
    """main.cf text: sorted ``name = value`` lines; a None value leaves the name out."""
    lines = [comment_block(header), MAIN_CF_COMMENT]
    for name, value in _sorted_items(main_cf):
        if value is not None:
            try:
                lines.append("%s = %s\n" % (name, render_value(value, ", ")))
            except ValueError as exc:
                raise ValueError("main_cf: %s: %s" % (name, exc))
    return "".join(lines)


def _column(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "y" if value else "n"
    return str(value)


def service_enabled(service):
    """Whether a master.cf entry is written: not None and not ``enabled: false``."""
    if service is None:
        return False
    try:
        return boolean(service.get("enabled", True), strict=True)
    except TypeError as exc:
        raise ValueError("enabled: %s" % exc)


def render_master_cf(master_cf, header=""):
    """master.cf text, the services in the order given; None or ``enabled: false`` leaves one out."""
    lines = [comment_block(header), MASTER_CF_COMMENT]
    for key, service in master_cf.items():
        try:
            if not service_enabled(service):
                continue
            name, kind = key.split("/", 1)
            if not service.get("command"):
                raise ValueError("a service needs a command")
            columns = [_column(service.get(field)) for field in MASTER_COLUMNS]
            lines.append("%-9s %-5s %-7s %-7s %-7s %-7s %-7s %s\n" % tuple([name, kind] + columns + [service["command"]]))
            for option, value in (service.get("options") or {}).items():
                text = render_value(value, ",")
                # A value with spaces (e.g. "check_sender_access lmdb:/etc/postfix/x") takes
                # master.cf's braces, Postfix 3.0 and later: -o { name = value }.
                lines.append(("  -o { %s = %s }\n" if re.search(r"\s", text) else "  -o %s=%s\n") % (option, text))
            for arg in service.get("args") or []:
                lines.append("  %s\n" % render_value(arg))
        except (ValueError, AttributeError, TypeError) as exc:
            raise ValueError("master_cf: %s: %s" % (key, exc))
    return "".join(lines)


def render_table(entries, header=""):
    """A lookup table source: sorted ``key value`` lines, list values joined with ", "."""
    lines = [comment_block(header), TABLE_COMMENT]
    for key, value in _sorted_items(entries):
        lines.append("%s %s\n" % (key, render_value(value, ", ")))
    return "".join(lines)


def render_pattern_table(text, header=""):
    """A regexp, cidr or pcre table: its text as given, after the header (no index is built)."""
    return comment_block(header) + PATTERN_COMMENT + text + ("" if text.endswith("\n") or not text else "\n")


def is_pattern_table(name, entries):
    return bool(PATTERN_TABLE_RE.search(name)) and isinstance(entries, str)


def render_aliases(aliases, header=""):
    """/etc/aliases: sorted ``name: targets`` lines."""
    lines = [comment_block(header), ALIASES_COMMENT]
    for name, targets in _sorted_items(aliases):
        lines.append("%s: %s\n" % (name, render_value(targets, ", ")))
    return "".join(lines)


# --- reading main.cf back, and what a change needs ---------------------------------------------

def parse_main_cf(text):
    """``name => value`` of the ``name = value`` lines of a main.cf text.

    As Postfix reads it: comment and blank lines are skipped, a line starting with white space
    continues the previous one, and the last setting of a name wins.
    """
    values = {}
    name = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[0] in " \t":
            if name is not None:
                values[name] = (values[name] + " " + stripped).strip()
            continue
        match = re.match(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$", line)
        if match:
            name = match.group(1)
            values[name] = match.group(2).strip()
        else:
            name = None
    return values


def effective_value(values, name):
    """A parameter's value as a list of its items (Postfix separates them by commas and white
    space), Postfix's built-in value where main.cf does not set it; None when unknown."""
    value = values.get(name, BUILTIN_DEFAULTS.get(name))
    if value is None:
        return None
    return [item for item in re.split(r"[\s,]+", value) if item]


def restart_needed(old_text, new_text, parameters):
    """Whether the change from ``old_text`` to ``new_text`` (main.cf) changes the effective value
    of one of ``parameters``, which the master process reads only when it starts.

    No old main.cf: False, since Postfix is started with the new one.
    """
    if old_text is None:
        return False
    old = parse_main_cf(old_text)
    new = parse_main_cf(new_text)
    return any(effective_value(old, name) != effective_value(new, name) for name in parameters)


def index_path(source, map_type):
    """The file postmap (or postalias) makes from ``source``: ``<source>.<map_type>``."""
    return "%s.%s" % (source, map_type)


def stale_indexes(sources, files, map_type, changed=()):
    """Return the table sources whose index must be rebuilt, in the order given.

    ``files`` are dicts with ``path`` and ``mtime`` of the sources and indexes that exist.
    A source is stale when it changed in this run, when its index is missing, or when its index
    is older than the source itself (so a rebuild that failed earlier is retried).
    """
    mtimes = {f["path"]: f["mtime"] for f in files}
    changed = set(changed)
    stale = []
    for source in sources:
        index = index_path(source, map_type)
        if (
            source in changed
            or index not in mtimes
            or mtimes[index] < mtimes.get(source, 0)
        ):
            stale.append(source)
    return stale


# --- merging what other roles contribute -------------------------------------------------------

def _plain(value):
    """A copy of ``value`` made of plain dicts and lists. (Not copy.deepcopy: under Ansible 2.19 a
    filter's arguments are lazy containers, and deep-copying one copies its templar too.)"""
    if isinstance(value, Mapping):
        return dict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _combine(base, override):
    """Ansible's ``combine(recursive=true)``: dicts merge key by key, anything else replaces."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        result = dict(base)
        for key, value in override.items():
            result[key] = _combine(base[key], value) if key in base else value
        return result
    return override


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def render_milter(milter):
    """Postfix's per-milter form (Postfix 3.0 and later): ``{ socket, default_action=... }``."""
    return "{ %s, default_action=%s }" % (milter["socket"], milter["default_action"])


def _check_milters(where, milters, default_order, errors):
    """The well-formed milters of one contribution, with their defaults filled in (a milter's
    order is its contribution's unless it has its own)."""
    if not isinstance(milters, list):
        errors.append("%s.milters: must be a list of {socket, default_action, order}, got %s"
                      % (where, json.dumps(milters, default=str)))
        return []
    good = []
    for position, milter in enumerate(milters):
        label = "%s.milters[%d]" % (where, position)
        if not isinstance(milter, Mapping):
            errors.append("%s: must be a dict {socket, default_action, order}, got %s"
                          % (label, json.dumps(milter, default=str)))
            continue
        problems = []
        unknown = sorted(str(key) for key in milter if key not in MILTER_FIELDS)
        if unknown:
            problems.append("unknown fields %s (known: %s)" % (json.dumps(unknown), ", ".join(MILTER_FIELDS)))
        socket = milter.get("socket")
        if not isinstance(socket, str) or not socket or re.search(r"[\s,{}]", socket):
            problems.append("socket must be a milter address such as unix:opendkim/opendkim.sock or "
                            "inet:127.0.0.1:8891, got %s" % json.dumps(socket, default=str))
        action = milter.get("default_action", "accept")
        if action not in MILTER_ACTIONS:
            problems.append("default_action must be one of %s, got %s"
                            % (", ".join(MILTER_ACTIONS), json.dumps(action, default=str)))
        order = milter.get("order", default_order)
        if not _is_int(order):
            problems.append("order must be an integer, got %s" % json.dumps(order, default=str))
        flow = milter.get("flow", "all")
        if flow not in MILTER_FLOWS:
            problems.append("flow must be one of %s, got %s" % (", ".join(MILTER_FLOWS), json.dumps(flow, default=str)))
        if problems:
            errors.append("%s: %s" % (label, "; ".join(problems)))
            continue
        good.append({"socket": socket, "default_action": action, "order": order, "position": position, "flow": flow})
    return good


def _check_contributions(contributions, errors):
    """The well-formed contributions as (order, name, contribution); the problems go to errors."""
    if not isinstance(contributions, Mapping):
        errors.append("postfix_contributions: must be a dict keyed by the contributing role's name, got %s"
                      % json.dumps(contributions, default=str))
        return []
    good = []
    for name, contribution in contributions.items():
        where = "postfix_contributions.%s" % name
        if not isinstance(name, str) or not CONTRIBUTOR_RE.match(name):
            errors.append("postfix_contributions: %s is not a role name (letters, digits, _ . -)"
                          % json.dumps(name, default=str))
            continue
        if not isinstance(contribution, Mapping):
            errors.append("%s: must be a dict with any of %s, got %s"
                          % (where, ", ".join(CONTRIBUTION_FIELDS), json.dumps(contribution, default=str)))
            continue
        problems = []
        unknown = sorted(str(key) for key in contribution if key not in CONTRIBUTION_FIELDS)
        if unknown:
            problems.append("unknown fields %s (known: %s)" % (json.dumps(unknown), ", ".join(CONTRIBUTION_FIELDS)))
        order = contribution.get("order", DEFAULT_ORDER)
        if not _is_int(order):
            problems.append("order must be an integer, got %s" % json.dumps(order, default=str))
        for field in ("main_cf", "master_cf", "tables"):
            if not isinstance(contribution.get(field, {}), Mapping):
                problems.append("%s must be a dict" % field)
        tables = contribution.get("tables", {})
        if isinstance(tables, Mapping):
            for file_name, entries in tables.items():
                if table_name_problem(file_name):
                    problems.append("tables: %s" % table_name_problem(file_name))
                elif not isinstance(entries, Mapping):
                    problems.append("tables.%s must be a dict of key => value" % file_name)
        if problems:
            errors.append("%s: %s" % (where, "; ".join(problems)))
            continue
        normalized = {
            "main_cf": contribution.get("main_cf") or {},
            "master_cf": contribution.get("master_cf") or {},
            "tables": contribution.get("tables") or {},
            "milters": _check_milters(where, contribution.get("milters") or [], order, errors),
        }
        good.append((order, name, normalized))
    return sorted(good, key=lambda item: (item[0], item[1]))


def _show(value):
    return json.dumps(value, default=str, sort_keys=True)


def _main_cf_errors(main_cf):
    errors = []
    bad_names = sorted(str(name) for name in main_cf if not PARAMETER_RE.match(str(name)))
    if bad_names:
        errors.append(
            "postfix_main_cf: (or a setting another role exports) has names that are not Postfix "
            "parameters: %s; names are letters, digits and underscores, starting with a letter"
            % json.dumps(bad_names))
    bad_values = []
    for name, value in main_cf.items():
        try:
            render_value(value)
        except ValueError:
            bad_values.append(str(name))
    if bad_values:
        errors.append(
            "postfix_main_cf: (or a setting another role exports) has values that cannot be written "
            "on a main.cf line: %s; a value is text, a number, a boolean, a list of those, or null "
            "(removes the key), without line breaks, such as message_size_limit: 52428800"
            % json.dumps(sorted(bad_values)))
    return errors


def _master_cf_errors(master_cf):
    errors = []
    for key, service in master_cf.items():
        unknown = []
        valid = isinstance(key, str) and bool(MASTER_KEY_RE.match(key))
        if service is not None:
            if isinstance(service, Mapping):
                unknown = sorted(str(field) for field in service if field not in MASTER_FIELDS)
                valid = valid and not unknown and "command" in service
            else:
                valid = False
        if not valid:
            errors.append(
                "postfix_master_cf: entry %s is invalid. Keys are \"name/type\" with type inet, unix, "
                "unix-dgram, fifo or pass; values are null (to remove the service) or a dict with a "
                "command and only the fields %s (unknown here: %s)."
                % (json.dumps(key, default=str), ", ".join(MASTER_FIELDS),
                   json.dumps(unknown) if isinstance(service, Mapping) or service is None else "not a dict"))
            continue
        if service is None:
            continue
        try:
            service_enabled(service)
            if not isinstance(service.get("options") or {}, Mapping):
                raise ValueError("options must be a dict of -o settings")
            if not isinstance(service.get("args") or [], list):
                raise ValueError("args must be a list")
            render_master_cf({key: service})
        except ValueError as exc:
            errors.append("postfix_master_cf: entry %s is invalid: %s"
                          % (json.dumps(key), str(exc).replace("master_cf: %s: " % key, "")))
    return errors


def _table_errors(label, entries):
    bad_keys = sorted(str(key) for key in entries if not TABLE_KEY_RE.match(str(key)))
    errors = []
    if bad_keys:
        errors.append("%s: keys must be addresses or domains without white space and not starting "
                      "with #; invalid: %s" % (label, json.dumps(bad_keys)))
    bad_values = []
    for key, value in entries.items():
        try:
            render_value(value)
        except ValueError:
            bad_values.append(str(key))
    if bad_values:
        errors.append("%s: values must be text, a number, a boolean or a list of those, without line "
                      "breaks; invalid at: %s" % (label, json.dumps(sorted(bad_values))))
    return errors


def milter_clients_table(networks, milters):
    """A cidr table giving ``milters`` to each of ``networks`` (mynetworks' form: [v6]/len)."""
    value = ", ".join(milters) if milters else "DISABLE"
    lines = []
    for network in networks:
        network = str(network).replace("[", "").replace("]", "")
        lines.append("%s %s\n" % (network if "/" in network else network + ("/128" if ":" in network else "/32"), value))
    return "".join(lines)


def merge_contributions(base_main_cf, base_master_cf=None, base_tables=None, contributions=None,
                        imports=None, user_main_cf=None, user_master_cf=None, milters=None, client_networks=None):
    """Merge the layers of the postfix role's configuration.

    main.cf: ``base_main_cf``, then each contribution's ``main_cf`` in (order, name) order, then
    ``smtpd_milters`` and ``non_smtpd_milters`` (every contribution's milters sorted by (order,
    contributor, position), each in Postfix's per-milter form with its own default_action, then
    the plain ``milters``; smtpd_milters holds the milters of the flows "all", "inbound" and
    "smtpd", postmaster_outbound_milters those of "all", "outbound" and "smtpd", non_smtpd_milters
    those of "all" and "outbound", and when the first two
    differ the cidr table milter_clients.cidr gives ``client_networks`` the outbound ones on port
    25), then ``imports`` (a list of main.cf dicts, kept for compatibility),
    then ``user_main_cf``. master.cf: ``base_master_cf``, the contributions' services, then
    ``user_master_cf``, each merged field by field (``combine(recursive=true)``). Tables:
    ``base_tables`` (file name => entries) and the contributions' own.

    Two contributions that set the same main.cf key, master.cf service or table differently are
    an error naming both (a main.cf key the user's ``user_main_cf`` sets is decided there), never
    an overwrite. Returns a dict with ``main_cf``, ``master_cf``, ``tables`` and ``errors`` (a list
    of messages: the contributions' shape, the conflicts, and every rule the merged main.cf,
    master.cf and tables must follow).
    """
    errors = []
    base_main_cf, base_master_cf, base_tables, contributions, imports, user_main_cf, user_master_cf, milters, client_networks = _plain(
        [base_main_cf or {}, base_master_cf or {}, base_tables or {}, contributions or {}, imports or [],
         user_main_cf or {}, user_master_cf or {}, milters, client_networks or []])
    main_cf = dict(base_main_cf)
    master_cf = dict(base_master_cf)
    tables = dict(base_tables)
    table_labels = dict((name, "postfix_%s_maps" % name) for name in base_tables)

    main_from, master_from, table_from, socket_from = {}, {}, {}, {}
    contributed_milters = []
    for order, name, contribution in _check_contributions(contributions, errors):
        for key, value in contribution["main_cf"].items():
            if key in MILTER_KEYS:
                errors.append(
                    "postfix_contributions.%s: main_cf sets %s; list the milters under milters "
                    "instead, so that every contribution's milters are kept" % (name, key))
            elif key in main_from and main_from[key][1] != value:
                if key not in user_main_cf:
                    errors.append(
                        "postfix_contributions: %s and %s both set main.cf %s, to %s and %s; only one "
                        "of them may, or postfix_main_cf decides"
                        % (main_from[key][0], name, key, _show(main_from[key][1]), _show(value)))
            else:
                main_from[key] = (name, value)
                main_cf[key] = value
        for key, service in contribution["master_cf"].items():
            if key in master_from and master_from[key][1] != service:
                errors.append(
                    "postfix_contributions: %s and %s both define the master.cf service %s, "
                    "differently: %s and %s; only one of them may"
                    % (master_from[key][0], name, key, _show(master_from[key][1]), _show(service)))
            elif key not in master_from:
                master_from[key] = (name, service)
                master_cf[key] = _combine(master_cf[key], service) if key in master_cf else service
        for file_name, entries in contribution["tables"].items():
            if file_name in base_tables:
                errors.append("postfix_contributions.%s: the table %s is the postfix role's own "
                              "(%s); contribute a table of another name" % (name, file_name, table_labels[file_name]))
            elif file_name in table_from and table_from[file_name][1] != entries:
                errors.append("postfix_contributions: %s and %s both contribute the table %s, "
                              "differently; only one of them may" % (table_from[file_name][0], name, file_name))
            elif file_name not in table_from:
                table_from[file_name] = (name, entries)
                tables[file_name] = entries
                table_labels[file_name] = "postfix_contributions.%s.tables.%s" % (name, file_name)
        for milter in contribution["milters"]:
            if milter["socket"] in socket_from:
                errors.append("postfix_contributions: %s and %s both contribute the milter %s; only "
                              "one of them may" % (socket_from[milter["socket"]], name, milter["socket"]))
                continue
            socket_from[milter["socket"]] = name
            contributed_milters.append((milter["order"], name, milter["position"], milter))

    ordered = [milter for _order, _name, _position, milter in sorted(contributed_milters, key=lambda m: m[:3])]
    if milters is not None and not isinstance(milters, list):
        errors.append("postfix_milters: must be a list of milter addresses")
        milters = []
    inbound = [render_milter(m) for m in ordered if m["flow"] != "outbound"] + list(milters or [])
    outbound = [render_milter(m) for m in ordered if m["flow"] != "inbound"] + list(milters or [])
    local = [render_milter(m) for m in ordered if m["flow"] in ("all", "outbound")] + list(milters or [])
    main_cf["smtpd_milters"] = inbound
    main_cf["non_smtpd_milters"] = local
    main_cf[OUTBOUND_MILTERS] = list(outbound)
    if inbound != outbound and client_networks:
        # Port 25 serves both flows: mynetworks gets the outbound milters (first match wins).
        main_cf["smtpd_milter_maps"] = "cidr:/etc/postfix/" + MILTER_CLIENTS_TABLE
        tables[MILTER_CLIENTS_TABLE] = milter_clients_table(client_networks, outbound)

    if not isinstance(imports, list):
        errors.append("postfix_main_cf_imports: must be a list of main.cf dicts")
        imports = []
    for position, imported in enumerate(imports):
        if not isinstance(imported, Mapping):
            errors.append("postfix_main_cf_imports[%d]: must be a dict of main.cf settings, got %s"
                          % (position, json.dumps(imported, default=str)))
            continue
        main_cf.update(imported)
    main_cf.update(user_main_cf)
    for key, service in user_master_cf.items():
        master_cf[key] = _combine(master_cf[key], service) if key in master_cf else service

    errors.extend(_main_cf_errors(main_cf))
    errors.extend(_master_cf_errors(master_cf))
    table_labels.setdefault(MILTER_CLIENTS_TABLE, "postfix_mynetworks (the milters of mynetworks on port 25)")
    for file_name, entries in tables.items():
        if PATTERN_TABLE_RE.search(file_name):
            if not isinstance(entries, str):
                errors.append("%s: a .regexp, .cidr or .pcre table is given as its text" % table_labels[file_name])
        elif isinstance(entries, Mapping):
            errors.extend(_table_errors(table_labels[file_name], entries))
        else:
            errors.append("%s: must be a dict of key => value (a .regexp, .cidr or .pcre table: its text)"
                          % table_labels[file_name])
    return {"main_cf": main_cf, "master_cf": master_cf, "tables": tables, "errors": errors}
