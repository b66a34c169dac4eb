#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dkim_key
short_description: Create a DKIM private key once and return the DNS record to publish
version_added: 0.1.0
description:
  - Creates a private key for a domain and selector, RSA or Ed25519, written atomically in PKCS#8
    PEM with the given owner, group and mode, and returns the TXT record that publishes its public
    key.
  - An existing key is never replaced. A key on disk of another type or size than requested is
    left alone and reported (RV(mismatch)); changing keys means a new selector.
  - No private key material appears in any result, log or diff.
author:
  - postmaster.mail developers (@postmaster-mail)
requirements:
  - cryptography (Debian's python3-cryptography) on the managed host
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: No key is made in check mode, so the record of a key that would be created is not returned.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The diff names the key (type, size, fingerprint), never its content.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  domain:
    description: The signing domain (the DKIM C(d=) tag).
    type: str
    required: true
  selector:
    description: The selector (the DKIM C(s=) tag); DNS labels only.
    type: str
    required: true
  path:
    description: Where the private key lives.
    type: path
    required: true
  type:
    description: Key type. Ed25519 (RFC 8463) is short, but not every verifier knows it yet; sign with both.
    type: str
    choices: [rsa, ed25519]
    default: rsa
  size:
    description: RSA key size in bits; below 2048 is refused. Ignored for Ed25519.
    type: int
    default: 2048
  state:
    description: V(absent) removes the key file.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description: Mode of the key file.
    type: raw
    default: "0600"
"""

EXAMPLES = r"""
- name: Create the RSA key of example.org
  postmaster.mail.dkim_key:
    domain: example.org
    selector: mail
    path: /etc/opendkim/keys/example.org/mail.private
    owner: opendkim
    group: opendkim
    mode: "0600"
  register: dkim

- name: Show what to publish
  ansible.builtin.debug:
    msg: "{{ dkim.dns_name }} TXT {{ dkim.txt_strings | map('to_json') | join(' ') }}"
"""

RETURN = r"""
dns_name:
  description: Where to publish the record.
  returned: state is present, except in check mode when the key would be created
  type: str
  sample: mail._domainkey.example.org
txt_value:
  description: The TXT record's value.
  returned: state is present and the key exists
  type: str
  sample: "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."
txt_strings:
  description: The value split into character-strings of at most 255 characters, as DNS needs them.
  returned: state is present and the key exists
  type: list
  elements: str
type:
  description: Type of the key on disk.
  returned: state is present and the key exists
  type: str
  sample: rsa
size:
  description: Size of the key on disk in bits (256 for Ed25519).
  returned: state is present and the key exists
  type: int
  sample: 2048
fingerprint:
  description: SHA-256 of the public key, hex; the same after every rerun while the key is kept.
  returned: state is present and the key exists
  type: str
mismatch:
  description: Set when the key on disk differs from the requested type or size; the key is kept.
  returned: state is present and the key exists
  type: str
  sample: "the key on disk is rsa 1024, not the requested rsa 2048: it is kept; use a new selector to change keys"
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.postmaster.mail.plugins.module_utils import _dkim


class DkimKey:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.path = self.params["path"]

    def present(self):
        params = self.params
        result = {"changed": False}
        if os.path.exists(self.path):
            with open(self.path, "rb") as stream:
                try:
                    key = _dkim.load_pem(stream.read())
                except (ValueError, TypeError) as exc:
                    self.module.fail_json(msg="%s is not a private key this module can read: %s" % (self.path, exc))
            wanted = (params["type"], params["size"] if params["type"] == "rsa" else 256)
            have = _dkim.describe(key)
            if have != wanted:
                result["mismatch"] = (
                    "the key on disk is %s %s, not the requested %s %s: it is kept; use a new selector "
                    "to change keys" % (have + wanted)
                )
                self.module.warn("%s: %s" % (self.path, result["mismatch"]))
            before = "%s %s %s" % (have[0], have[1], _dkim.record(params["selector"], params["domain"], key)["fingerprint"])
        elif self.module.check_mode:
            # No key is made in check mode: its record would not be the one a real run creates.
            return {"changed": True, "diff": {"before": "absent\n", "after": "a new %s key\n" % params["type"],
                                              "before_header": self.path, "after_header": self.path}}
        else:
            key = _dkim.generate(params["type"], params["size"])
            result["changed"] = True
            before = "absent"
            self.write(_dkim.to_pem(key))
        record = _dkim.record(params["selector"], params["domain"], key)
        result.update(record)
        file_args = self.module.load_file_common_arguments(params, path=self.path)
        result["changed"] = self.module.set_fs_attributes_if_different(file_args, result["changed"])
        after = "%s %s %s" % (record["type"], record["size"], record["fingerprint"])
        result["diff"] = {"before": before + "\n", "after": after + "\n", "before_header": self.path, "after_header": self.path}
        return result

    def write(self, pem):
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            self.module.fail_json(msg="the directory of path does not exist: %s" % directory)
        fd, temp = tempfile.mkstemp(prefix=".dkim_key.", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as stream:
                stream.write(pem)
            self.module.atomic_move(temp, self.path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def absent(self):
        if not os.path.exists(self.path):
            return {"changed": False}
        if not self.module.check_mode:
            os.unlink(self.path)
        return {"changed": True, "diff": {"before": "present\n", "after": "absent\n"}}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domain=dict(type="str", required=True),
            selector=dict(type="str", required=True),
            path=dict(type="path", required=True),
            type=dict(type="str", choices=list(_dkim.KEY_TYPES), default="rsa"),
            size=dict(type="int", default=2048),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            mode=dict(type="raw", default="0600"),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not _dkim.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography (Debian: python3-cryptography)"),
                         exception=str(_dkim.CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    problems = _dkim.check_request(params["domain"], params["selector"], params["type"], params["size"])
    if problems:
        module.fail_json(msg="dkim_key: " + "; ".join(problems))
    key = DkimKey(module)
    result = key.present() if params["state"] == "present" else key.absent()
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
