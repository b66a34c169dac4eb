#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: opendkim_config
short_description: OpenDKIM's keys, tables, units and configurations in one transaction
version_added: 0.2.0
description:
  - Makes OpenDKIM's directories, one DKIM key per domain and instance type (made once, never
    replaced, as M(postmaster.mail.dkim_key) does), the internal hosts, each instance's key and
    signing tables, its systemd unit and its configuration, and returns the DNS records of the keys.
  - One instance signs with one key type (Debian's OpenDKIM signs with one algorithm per process);
    the instances, their sockets and selectors are data given by the caller (the
    C(postmaster.mail.opendkim) role).
  - A configuration that would change is written to a temporary file first and checked with
    C(opendkim -n -x); a complaint fails the module with the live configurations untouched.
  - Instances of O(retired_instances) still on the host are stopped and disabled
    (C(systemctl disable --now)), then their unit and configuration are removed; their keys stay.
  - Tables, units and configurations are C(root:root) mode C(0644); keys are O(user):O(key_group)
    mode C(0600) in a directory per domain (mode C(0700)).
  - Reloading, restarting and C(systemctl daemon-reload) are left to the caller; RV(restart) and
    RV(units_changed) say which is needed.
  - No private key material appears in any result, log or diff.
author:
  - postmaster.mail developers (@postmaster-mail)
requirements:
  - cryptography (Debian's python3-cryptography) on the managed host
  - OpenDKIM (C(opendkim)) on the managed host when a configuration changes, except in check mode
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Nothing is written and no command runs; no key is made, so the record of a key that would be created is not returned.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per changed file or directory; a key is shown as its type, size and fingerprint, never its content.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  domains:
    description: The signing domains, lower case; one key per domain and instance.
    type: list
    elements: str
    default: []
  signing_aliases:
    description:
      - Sender domain => one of O(domains). Mail from that sender domain is signed with the served
        domain's key (C(d=) the served domain), e.g. the host name => the primary domain, for mail
        from addresses at the host name. DMARC's relaxed alignment accepts it when the sender domain
        lies in the served one.
    type: dict
    default: {}
  instances:
    description: The OpenDKIM processes to run, one per key type.
    type: list
    elements: dict
    required: true
    suboptions: &instance
      type:
        description: The type of the keys this instance signs with.
        type: str
        choices: [rsa, ed25519]
        required: true
      service:
        description: The systemd service, its unit C(<unit_dir>/<service>.service).
        type: str
        required: true
      config:
        description: The instance's configuration file.
        type: path
        required: true
      tables_suffix:
        description: Appended to C(KeyTable) and C(SigningTable) in O(config_dir).
        type: str
        default: ""
      socket:
        description: The milter's UNIX socket.
        type: path
        required: true
      pidfile:
        description: The process's PID file.
        type: path
        required: true
      algorithm:
        description: C(SignatureAlgorithm), for example C(rsa-sha256).
        type: str
        required: true
      mode:
        description: C(Mode), for example C(sv) (sign and verify) or C(s).
        type: str
        required: true
  retired_instances:
    description:
      - Instances no longer used. When their unit or configuration is on the host, the service is
        stopped and disabled, and both files are removed. Their keys stay.
      - The same dicts as O(instances); only C(service) and C(config) are used.
    type: list
    elements: dict
    default: []
    suboptions: *instance
  selectors:
    description: "The selector of each key type, type => selector (for example C({rsa: mail, ed25519: mail-ed}))."
    type: dict
    required: true
  rotation:
    description:
      - Key rotation, gated by DNS, with its state in C(<keys_dir>/rotation.json) (selectors, dates, the next
        keys' public records). Without it the O(selectors) sign for every domain.
      - A run with C(rotate) makes, for each domain and key type without one, the next key under the selector
        C(<base>-<YYYYMMDD>) (C(-ed) after it for Ed25519) and returns its record in RV(next_records); signing
        stays. A later run with C(rotate) whose C(published) names the next key's DNS name switches signing to it;
        the old selector stays in RV(records) for C(retire_days) days. A run without C(rotate) changes nothing.
    type: dict
    suboptions:
      rotate:
        description: Ask for the rotation (make the next keys, or switch to those published).
        type: bool
        default: false
      base:
        description: The selector the first keys have (O(selectors)' RSA one), the stem of the next ones.
        type: str
        required: true
      published:
        description: DNS names of next keys whose record DNS shows with that key.
        type: list
        elements: str
        default: []
      retire_days:
        description: How long an old selector stays published after the switch.
        type: int
        default: 7
      today:
        description: The date (YYYY-MM-DD) of this run; empty, the host's.
        type: str
        default: ""
  rsa_size:
    description: Size in bits of new RSA keys; below 2048 is refused. A key on disk of another size is kept, with a warning.
    type: int
    default: 2048
  internal_hosts:
    description: Hosts whose mail is signed without authentication (C(InternalHosts)).
    type: list
    elements: str
    default: [127.0.0.1, "::1"]
  config_dir:
    description: OpenDKIM's directory (C(root:root 0755)), holding the tables and the keys directory's default place.
    type: path
    default: /etc/opendkim
  keys_dir:
    description: Where the keys live, C(<keys_dir>/<domain>/<selector>.private) (O(user):O(key_group) C(0700)).
    type: path
    default: /etc/opendkim/keys
  socket_dir:
    description: The directory of the sockets (O(user):O(group) C(0750)).
    type: path
    default: /var/spool/postfix/opendkim
  unit_dir:
    description: Where the systemd units are written.
    type: path
    default: /etc/systemd/system
  user:
    description: The user OpenDKIM runs as (C(UserID)), owner of the keys and of O(socket_dir).
    type: str
    default: opendkim
  group:
    description: The group OpenDKIM runs as (C(UserID)), group of O(socket_dir); Postfix's primary group lets Postfix use the socket.
    type: str
    default: postfix
  key_group:
    description: The group of the keys and their directories.
    type: str
    default: opendkim
  umask:
    description: C(UMask) of the OpenDKIM processes; C(0117) makes the socket C(0660).
    type: str
    default: "0117"
  header:
    description: Text written as comment lines at the top of every file, for example C(Ansible managed).
    type: str
    default: Ansible managed
seealso:
  - module: postmaster.mail.dkim_key
"""

EXAMPLES = r"""
- name: Configure OpenDKIM for example.org, RSA only
  postmaster.mail.opendkim_config:
    domains: [example.org]
    selectors: {rsa: mail}
    instances:
      - type: rsa
        service: opendkim
        config: /etc/opendkim.conf
        socket: /var/spool/postfix/opendkim/opendkim.sock
        pidfile: /run/opendkim/opendkim.pid
        algorithm: rsa-sha256
        mode: sv
  register: opendkim_config
  notify: Apply opendkim changes

- name: Show what to publish
  ansible.builtin.debug:
    msg: "{{ opendkim_config.records }}"
"""

RETURN = r"""
units:
  description:
    - The state of each instance's unit (C(<service>.service)) before the module ran, C(active)
      and C(enabled) as systemd says, and C(ready) when both are true, read with
      C(systemctl is-active) and C(systemctl is-enabled) (also in check mode). The caller skips its
      own C(systemd_service) task for an instance already enabled and active whose unit did not change.
  returned: always
  type: dict
  sample: {opendkim.service: {active: true, enabled: true, ready: true}}
files:
  description: The paths created, written, changed in owner or mode, or removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/opendkim/KeyTable, /etc/opendkim.conf]
records:
  description: The TXT record of every key on the host, DNS name => character-strings of at most 255 characters.
  returned: always
  type: dict
  sample: {"mail._domainkey.example.org": ["v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."]}
next_records:
  description: The TXT record of every next key of a rotation (published before it signs).
  returned: always
  type: dict
rotation:
  description:
    - With O(rotation), C(events) (each C(domain), C(type), C(event) - created, waiting, switched or retired -
      and C(selector), with C(old) and C(until) for a switch) and C(sign) (domain => type => the selector that signs).
  returned: always
  type: dict
restart:
  description:
    - An instance is new, or its C(Socket), C(UMask) or C(UserID) line changed; it must be
      restarted, a reload keeps the old ones.
  returned: always
  type: bool
units_changed:
  description: A unit was written or removed; systemd must reload its units (C(daemon-reload)).
  returned: always
  type: bool
retired:
  description: The services of O(retired_instances) that were (or, in check mode, would be) stopped and removed.
  returned: always
  type: list
  elements: str
  sample: [opendkim-ed25519]
diff:
  description: One C(before)/C(after) pair per changed file or directory; a key is its type, size and fingerprint.
  returned: in diff mode, when something changes
  type: list
  elements: dict
"""

import datetime
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.postmaster.mail.plugins.module_utils import _dkim, _dkim_rotation, _files, _opendkim, _units

ROOT = ("root", "root")


class OpendkimConfig:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.files = []
        self.diff = []
        self.sign = {}

    # Directories and keys ------------------------------------------------------------------------

    def directory(self, path, owner, group, mode):
        created = not os.path.isdir(path)
        if created:
            self.diff.append({"before": "absent\n", "after": "directory %s:%s %s\n" % (owner, group, mode),
                              "before_header": path, "after_header": path})
            if self.check_mode:
                self.files.append(path)
                return
            os.makedirs(path, int(mode, 8))
        self.attributes(path, owner, group, mode, created)

    def attributes(self, path, owner, group, mode, changed):
        """Set owner, group and mode (in check mode only report them); note the path if anything
        changed."""
        diff = {"before": {"path": path}, "after": {"path": path}}
        file_args = self.module.load_file_common_arguments({"path": path, "owner": owner, "group": group, "mode": mode})
        if self.module.set_fs_attributes_if_different(file_args, changed, diff=diff):
            if path not in self.files:
                self.files.append(path)
            if not changed:
                self.diff.append(diff)

    def key(self, wanted):
        """The record of one key, made when missing (not in check mode); None when it would be made."""
        params = self.params
        path = wanted["path"]
        owner, group = params["user"], params["key_group"]
        if os.path.exists(path):
            with open(path, "rb") as stream:
                try:
                    key = _dkim.load_pem(stream.read())
                except (ValueError, TypeError) as exc:
                    self.module.fail_json(msg="%s is not a private key this module can read: %s" % (path, exc))
            have = _dkim.describe(key)
            requested = (wanted["type"], params["rsa_size"] if wanted["type"] == "rsa" else 256)
            if have != requested:
                self.module.warn("%s: the key on disk is %s %s, not the requested %s %s: it is kept; use a new "
                                 "selector to change keys" % ((path,) + have + requested))
            record = _dkim.record(wanted["selector"], wanted["domain"], key)
            self.attributes(path, owner, group, "0600", False)
            return record
        self.files.append(path)
        if self.check_mode:
            self.diff.append({"before": "absent\n", "after": "a new %s key\n" % wanted["type"],
                              "before_header": path, "after_header": path})
            return None
        key = _dkim.generate(wanted["type"], params["rsa_size"])
        self.write(path, _dkim.to_pem(key), 0o600)
        record = _dkim.record(wanted["selector"], wanted["domain"], key)
        self.diff.append({"before": "absent\n", "after": "%s %s %s\n" % (record["type"], record["size"], record["fingerprint"]),
                          "before_header": path, "after_header": path})
        self.attributes(path, owner, group, "0600", True)
        return record

    # Rotation ------------------------------------------------------------------------------------

    def rotation(self):
        """The rotation plan (_dkim_rotation.plan) from the state beside the keys, or None when the
        caller manages no rotation (the selectors are then the same for every domain)."""
        options = self.params["rotation"]
        self.sign = {}
        if options is None:
            return None
        path = os.path.join(self.params["keys_dir"], _dkim_rotation.STATE_FILE)
        text = self.read(path)
        try:
            state = json.loads(text)["domains"] if text else {}
        except (ValueError, KeyError, TypeError) as exc:
            self.module.fail_json(msg="%s: not a rotation state this module wrote (%s); move it away to start again"
                                  % (path, exc))
        plan = _dkim_rotation.plan(state, self.params["domains"], [i["type"] for i in self.params["instances"]],
                                   options["base"], options["rotate"], set(options["published"]), options["retire_days"],
                                   options["today"] or datetime.date.today().isoformat())
        self.sign = plan["sign"]
        plan["path"], plan["before"] = path, text
        return plan

    def save_rotation(self, plan, upcoming):
        """The state file: selectors, dates and the next keys' public records (nothing secret)."""
        records = {record["dns_name"]: record["txt_value"] for record in upcoming}
        state = {"domains": plan["state"], "next_records": records}
        text = json.dumps(state, indent=2, sort_keys=True) + "\n"
        untouched = all(not entry["next"] and not entry["retired"] and entry["active"] == self.params["selectors"][key_type]
                        for types in plan["state"].values() for key_type, entry in types.items())
        if text == plan["before"] or (plan["before"] is None and untouched):
            return  # (no state file until a rotation is asked for)
        self.diff.append({"before": plan["before"] or "", "after": text, "before_header": plan["path"],
                          "after_header": plan["path"]})
        self.files.append(plan["path"])
        if not self.check_mode:
            self.write(plan["path"], text.encode("utf-8"), 0o644)
            self.attributes(plan["path"], self.params["user"], self.params["key_group"], "0644", True)

    # Files ---------------------------------------------------------------------------------------

    def render(self):
        """Path => text of every file, in the order they are installed (configurations last)."""
        params = self.params
        header = params["header"]
        domains = params["domains"]
        config_dir = params["config_dir"]
        files = {os.path.join(config_dir, "InternalHosts"): _opendkim.render_internal_hosts(params["internal_hosts"], header)}
        for instance in params["instances"]:
            selector = {domain: self.sign[domain][instance["type"]] for domain in domains} if self.sign \
                else params["selectors"][instance["type"]]
            files[os.path.join(config_dir, "KeyTable" + instance["tables_suffix"])] = _opendkim.render_key_table(
                instance, domains, selector, params["keys_dir"], header)
            files[os.path.join(config_dir, "SigningTable" + instance["tables_suffix"])] = _opendkim.render_signing_table(
                instance, domains, selector, header, params["signing_aliases"])
        for instance in params["instances"]:
            files[self.unit_path(instance)] = _opendkim.render_unit(instance, header)
        for instance in params["instances"]:
            files[instance["config"]] = _opendkim.render_config(
                instance, config_dir, params["user"], params["group"], params["umask"], header)
        return files

    def unit_path(self, instance):
        return os.path.join(self.params["unit_dir"], instance["service"] + ".service")

    read = staticmethod(_files.read_text)

    def install(self, path, text, before):
        changed = before != text
        if changed:
            self.diff.append({"before": before or "", "after": text, "after_header": path,
                              "before_header": path if before is not None else "%s (absent)" % path})
            self.files.append(path)
            if self.check_mode:
                return True
            self.write(path, text, 0o644)
        self.attributes(path, ROOT[0], ROOT[1], "0644", changed)
        return changed

    def write(self, path, data, mode):
        _files.write_atomically(self.module, path, data, mode, prefix=".opendkim_config.")

    def check_configs(self, configs):
        """Have ``opendkim -n -x`` read each (instance, text) from a temporary file; fail, with the
        live configurations untouched, on any complaint."""
        opendkim = self.module.get_bin_path("opendkim")
        if not opendkim:
            self.module.fail_json(
                msg="opendkim is not installed (no opendkim command on the PATH), so the configuration %s cannot be "
                    "checked; the live configurations are unchanged" % ", ".join(instance["config"] for instance, _text in configs))
        for instance, text in configs:
            fd, candidate = tempfile.mkstemp(prefix="opendkim_config.", suffix=".conf", dir=self.module.tmpdir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as stream:
                    stream.write(text)
                argv = [opendkim, "-n", "-x", candidate]
                rc, out, err = self.module.run_command(argv)
            finally:
                os.unlink(candidate)
            if rc != 0:
                complaint = " ".join(line.strip() for line in (err + out).splitlines() if line.strip())
                self.module.fail_json(
                    msg="opendkim rejected the configuration of %s (opendkim -n -x exited with status %d), the live "
                        "configurations are unchanged: %s" % (instance["service"], rc, complaint or "no message"),
                    cmd=argv, rc=rc, stdout=out, stderr=err)

    # Retired instances ---------------------------------------------------------------------------

    def retire(self, instance):
        unit = self.unit_path(instance)
        present = [path for path in (instance["config"], unit) if os.path.lexists(path)]
        if not present:
            return False
        if not self.check_mode:
            if os.path.lexists(unit):
                systemctl = self.module.get_bin_path("systemctl", required=True)
                argv = [systemctl, "disable", "--now", instance["service"]]
                rc, out, err = self.module.run_command(argv)
                if rc != 0:
                    self.module.fail_json(msg="systemctl could not stop and disable %s: %s"
                                              % (instance["service"], (err or out).strip() or "status %d" % rc),
                                          cmd=argv, rc=rc, stdout=out, stderr=err)
            for path in present:
                os.unlink(path)
        for path in present:
            self.files.append(path)
            self.diff.append({"before": "present\n", "after": "absent\n", "before_header": path, "after_header": path})
        return True

    # The transaction -----------------------------------------------------------------------------

    def run(self):
        params = self.params
        user, group, key_group = params["user"], params["group"], params["key_group"]
        self.directory(params["config_dir"], ROOT[0], ROOT[1], "0755")
        self.directory(params["keys_dir"], user, key_group, "0700")
        self.directory(params["socket_dir"], user, group, "0750")
        for domain in params["domains"]:
            self.directory(os.path.join(params["keys_dir"], domain), user, key_group, "0700")

        found, upcoming = [], []
        rotation = self.rotation()
        for wanted in _opendkim.keys(params["domains"], params["instances"], params["selectors"], params["keys_dir"],
                                     self.sign):
            record = self.key(wanted)
            if record is not None:
                found.append(record)
        for entry in (rotation or {}).get("publish", []):
            if entry["role"] == "active":
                continue
            record = self.key({"domain": entry["domain"], "type": entry["type"], "selector": entry["selector"],
                               "path": _opendkim.key_path(params["keys_dir"], entry["domain"], entry["selector"])})
            if record is not None:
                (upcoming if entry["role"] == "next" else found).append(record)
        if rotation is not None:
            self.save_rotation(rotation, upcoming)

        wanted = self.render()
        current = dict((path, self.read(path)) for path in wanted)
        configs = [(instance, wanted[instance["config"]]) for instance in params["instances"]
                   if current[instance["config"]] != wanted[instance["config"]]]
        restart = any(_opendkim.restart_needed(current[instance["config"]], wanted[instance["config"]])
                      for instance in params["instances"])
        units = [self.unit_path(instance) for instance in params["instances"]]

        units_changed = False
        for path in wanted:
            if path in units:
                units_changed = self.install(path, wanted[path], current[path]) or units_changed
            elif path not in [instance["config"] for instance in params["instances"]]:
                self.install(path, wanted[path], current[path])
        if configs and not self.check_mode:
            self.check_configs(configs)
        for instance in params["instances"]:
            path = instance["config"]
            self.install(path, wanted[path], current[path])

        retired = [instance["service"] for instance in params["retired_instances"] if self.retire(instance)]
        units_changed = units_changed or bool(retired)

        result = {"changed": bool(self.files), "files": self.files, "records": _opendkim.records(found),
                  "next_records": _opendkim.records(upcoming),
                  "rotation": {"events": rotation["events"], "sign": rotation["sign"]} if rotation is not None else {},
                  "restart": restart, "units_changed": units_changed, "retired": retired,
                  "units": _units.unit_states(self.module, [instance["service"] + ".service" for instance in params["instances"]])}
        if self.module._diff and self.diff:
            result["diff"] = self.diff
        return result


INSTANCE_SPEC = dict(
    type=dict(type="str", choices=list(_dkim.KEY_TYPES), required=True),
    service=dict(type="str", required=True),
    config=dict(type="path", required=True),
    tables_suffix=dict(type="str", default=""),
    socket=dict(type="path", required=True),
    pidfile=dict(type="path", required=True),
    algorithm=dict(type="str", required=True),
    mode=dict(type="str", required=True),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domains=dict(type="list", elements="str", default=[]),
            signing_aliases=dict(type="dict", default={}),
            instances=dict(type="list", elements="dict", required=True, options=INSTANCE_SPEC),
            retired_instances=dict(type="list", elements="dict", default=[], options=INSTANCE_SPEC),
            selectors=dict(type="dict", required=True),
            rsa_size=dict(type="int", default=2048),
            internal_hosts=dict(type="list", elements="str", default=["127.0.0.1", "::1"]),
            config_dir=dict(type="path", default="/etc/opendkim"),
            keys_dir=dict(type="path", default="/etc/opendkim/keys"),
            socket_dir=dict(type="path", default="/var/spool/postfix/opendkim"),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            user=dict(type="str", default="opendkim"),
            group=dict(type="str", default="postfix"),
            key_group=dict(type="str", default="opendkim", no_log=False),
            umask=dict(type="str", default="0117"),
            header=dict(type="str", default="Ansible managed"),
            rotation=dict(type="dict", options=dict(
                rotate=dict(type="bool", default=False),
                base=dict(type="str", required=True),
                published=dict(type="list", elements="str", default=[]),
                retire_days=dict(type="int", default=7),
                today=dict(type="str", default=""),
            )),
        ),
        supports_check_mode=True,
    )
    if not _dkim.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography (Debian: python3-cryptography)"),
                         exception=str(_dkim.CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    params["signing_aliases"] = {str(alias).lower(): str(domain).lower()
                                 for alias, domain in params["signing_aliases"].items()}
    problems = _opendkim.check_request(params["domains"], params["instances"], params["selectors"], params["rsa_size"],
                                       params["internal_hosts"], params["umask"], params["signing_aliases"])
    if problems:
        module.fail_json(msg="opendkim_config: " + "; ".join(problems))
    module.exit_json(**OpendkimConfig(module).run())


if __name__ == "__main__":
    main()
