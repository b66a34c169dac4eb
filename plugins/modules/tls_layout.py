#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tls_layout
short_description: The stable paths of the mail certificate and what renewals need, in one transaction
version_added: 0.2.0
description:
  - Lays out, in one run on the host, everything the C(postmaster.mail.certbot) role's setup owns,
    makes the self-signed certificate when it is due (O(selfsigned)), and reads the certificates in
    place on the way, as M(community.crypto.x509_certificate_info) would (RV(certificates)), so a
    rerun with nothing to do is this one module run.
  - Makes O(directories) (C(root:root 0755), missing parents too).
  - With O(files_mode), checks your certificate and key (regular files, the key owned by root and
    not accessible to others; links are refused), then makes O(files_mode.dir) with the links
    C(fullchain.pem) and C(privkey.pem) to them.
  - Points the link C(<tls_dir>/current) at O(preferred_target.dir) when the certificate
    O(preferred_target.certificate) reads, else at O(target), switched atomically (a new link under a
    temporary name renamed over the old one), and C(<tls_dir>/fullchain.pem) and
    C(<tls_dir>/privkey.pem) at C(current/fullchain.pem) and C(current/privkey.pem). Links may
    dangle, their targets may be made later.
  - Writes the reload script (C(root:root 0755)), links O(deploy_hook) to it, and writes or
    removes the CA bundle and the systemd drop-in (C(root:root 0644)), each atomically.
  - With O(selfsigned), makes a new key and a certificate it signs itself in O(selfsigned.dir)
    when the one there is missing or unreadable, its key is missing, it is for other names or
    another key type, or it is not valid O(renew_before_days) days from now. The key is written
    first (C(root:root 0600)), then the certificate (C(root:root 0644)), each atomically; the key
    never appears in the result or a diff.
  - Owner, group and mode are set also on files and directories whose content is right.
  - Reloading the services and C(systemctl daemon-reload) are left to the caller; RV(consumers_reload)
    and RV(systemd_reload) say which is needed.
extends_documentation_fragment:
  - postmaster.mail.units
requirements:
  - cryptography (Debian's python3-cryptography) on the managed host when one of O(certificates) is there to read, or O(selfsigned) is given
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Nothing is written; in files mode the certificate and key are checked all the same.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per changed file (its text), link (its target) or directory; for a new self-signed pair, its names and why (never the key).
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  directories:
    description: Directories to make, C(root:root 0755), with their missing parents.
    type: list
    elements: path
    default: []
  tls_dir:
    description: The directory of the stable paths C(current), C(fullchain.pem) and C(privkey.pem); made when missing.
    type: path
    required: true
  target:
    description: The directory of the certificate in use, where C(<tls_dir>/current) points. It need not exist.
    type: path
    required: true
  preferred_target:
    description: A directory C(<tls_dir>/current) points at instead of O(target) once its certificate is there and reads (the ACME lineage).
    type: dict
    suboptions:
      dir:
        description: The directory.
        type: path
        required: true
      certificate:
        description: Its certificate, also read as one of O(certificates).
        type: path
        required: true
  alternate_target:
    description:
      - A second directory that takes turns with O(preferred_target) (the lineage holding a prepared next key).
        C(<tls_dir>/current) keeps pointing at whichever of the two it points at while that one's certificate
        reads; else at O(preferred_target), then this one, whichever reads.
      - O(alternate_target.next_link) points at the other of the two while its certificate reads, and is removed otherwise.
    type: dict
    suboptions:
      dir:
        description: The other lineage's directory.
        type: path
        required: true
      certificate:
        description: The other lineage's certificate, read like O(preferred_target.certificate).
        type: path
        required: true
      next_link:
        description: The link to the directory of the one not in use (the next key's certificate).
        type: path
        required: true
  renewal_confs:
    description: certbot renewal configurations to read into RV(renewals).
    type: list
    elements: path
    default: []
  certificates:
    description: Certificates (PEM files, the first certificate of each) to read and return in RV(certificates); a missing or unreadable one is left out.
    type: list
    elements: path
    default: []
  selfsigned:
    description:
      - The self-signed pair to keep in place, C(fullchain.pem) and C(privkey.pem) in O(selfsigned.dir).
        Its certificate is read like those of O(certificates) and returned in RV(certificates).
    type: dict
    suboptions:
      dir:
        description: Its directory (among O(directories), or made beforehand).
        type: path
        required: true
      common_name:
        description: The certificate's subject CN.
        type: str
        required: true
      names:
        description: The DNS names it carries (subjectAltName), compared without regard to order or case.
        type: list
        elements: str
        required: true
      key_type:
        description: RSA 2048 or ECDSA P-256.
        type: str
        choices: [rsa, ecdsa]
        default: rsa
      days:
        description: How long a new certificate is valid.
        type: int
        default: 3650
  renew_before_days:
    description: RV(certificates) says of each whether it is still valid this many days from now (C(valid_at.renew)).
    type: int
    default: 30
  renewal_conf:
    description: A certbot renewal configuration whose C(server) (the ACME directory) to return in RV(renewal_server).
    type: path
  files_mode:
    description: Your own certificate and key (files mode); omitted in the other modes.
    type: dict
    suboptions:
      dir:
        description: The directory (C(root:root 0755)) of the links C(fullchain.pem) and C(privkey.pem) to O(files_mode.cert_src) and O(files_mode.key_src).
        type: path
        required: true
      cert_src:
        description: The certificate chain on the host, a regular file.
        type: path
        required: true
      key_src:
        description: Its private key on the host, a regular file owned by root and not accessible to others.
        type: path
        required: true
      variables:
        description: How the error message names the two sources, for example the role variables that set them.
        type: str
        default: cert_src / key_src
  reload_script:
    description: The script that reloads the certificate's consumers (C(root:root 0755)).
    type: dict
    required: true
    suboptions: &file
      path:
        description: Where the file is.
        type: path
        required: true
      content:
        description: Its text; when omitted, the file is removed.
        type: str
  deploy_hook:
    description: A link to the reload script (certbot's deploy hook), made when given.
    type: path
  ca_bundle:
    description: The CA bundle certbot trusts (C(root:root 0644)); without O(ca_bundle.content) it is removed.
    type: dict
    suboptions: *file
  dropin:
    description: The systemd drop-in of C(certbot.service) (C(root:root 0644)); without O(dropin.content) it is removed.
    type: dict
    suboptions: *file
seealso:
  - module: community.crypto.x509_certificate_info
"""

EXAMPLES = r"""
- name: Lay out the certificate paths of selfsigned mode
  postmaster.mail.tls_layout:
    directories: [/etc/postmaster-mail/tls/selfsigned]
    tls_dir: /etc/postmaster-mail/tls
    target: /etc/postmaster-mail/tls/selfsigned
    reload_script:
      path: /usr/local/sbin/postmaster-mail-tls-reload
      content: "{{ lookup('ansible.builtin.template', 'postmaster-mail-tls-reload.j2') }}"
    ca_bundle:
      path: /etc/postmaster-mail/tls/acme-ca-bundle.pem
    dropin:
      path: /etc/systemd/system/certbot.service.d/postmaster-mail.conf
  register: layout
  notify: Reload the certificate consumers
"""

RETURN = r"""
certificates:
  description:
    - Each of O(certificates) that reads, by path, in the shape of M(community.crypto.x509_certificate_info)'s
      answer; a missing or unreadable one is absent.
  returned: always
  type: dict
  sample:
    /etc/postmaster-mail/tls/selfsigned/fullchain.pem:
      subject_alt_name: [DNS:mail.example.org]
      public_key_type: ECC
      not_after: "20361202101010Z"
      valid_at: {renew: true}
read:
  description: The paths of O(certificates) and of the O(selfsigned) certificate, read or not (the caller knows what it need not read again).
  returned: always
  type: list
  elements: str
target:
  description: Where C(<tls_dir>/current) points (or would, in check mode).
  returned: always
  type: str
selfsigned:
  description: Whether the self-signed pair was made (or would be, in check mode), and why.
  returned: when O(selfsigned) is given
  type: dict
  sample: {made: true, due: there is no readable certificate}
next_target:
  description: Where O(alternate_target.next_link) points (the directory not in use), or null when it is absent.
  returned: always
  type: str
renewals:
  description:
    - For each of O(renewal_confs), by path, whether it is there (C(present)), its C(server) and C(authenticator)
      (empty when not set) and whether certbot renews it (C(autorenew), false only with C(autorenew = False)).
  returned: when O(renewal_confs) is given
  type: dict
renewal_server:
  description: The C(server) of O(renewal_conf); empty when it has none or is not there.
  returned: when O(renewal_conf) is given
  type: str
renewal_authenticator:
  description: The C(authenticator) of O(renewal_conf) (V(standalone), V(webroot)); empty when it has none or is not there.
  returned: when O(renewal_conf) is given
  type: str
units:
  description:
    - The state of each unit of O(units) before the module ran, C(active) and C(enabled) as
      systemd says, and C(ready) when both are true (empty when no units are given).
  returned: always
  type: dict
  sample: {certbot.timer: {active: true, enabled: true, ready: true}}
files:
  description: The paths created, written, pointed elsewhere, changed in owner or mode, or removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/postmaster-mail/tls/current]
consumers_reload:
  description: C(current), one of the two stable links or one of the links of files mode changed; the services must read the certificate again.
  returned: always
  type: bool
systemd_reload:
  description: The drop-in was written or removed; systemd must read C(certbot.service) again.
  returned: always
  type: bool
diff:
  description: One C(before)/C(after) pair per changed path, the text of a file, the target of a link.
  returned: in diff mode, when something changes
  type: list
  elements: dict
"""

import datetime
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.postmaster.mail.plugins.module_utils import _files, _tls_layout, _units

PREFIX = ".tls_layout."


class TlsLayout:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.files = []
        self.diff = []

    def note(self, path, before, after):
        if path not in self.files:
            self.files.append(path)
        self.diff.append({"before": before, "after": after, "before_header": path, "after_header": path})

    def attributes(self, path, mode, changed):
        """Owner root, group root and ``mode`` (in check mode only reported); notes the path if
        anything changed."""
        if self.check_mode and not os.path.lexists(path):
            return
        diff = {"before": {"path": path}, "after": {"path": path}}
        file_args = self.module.load_file_common_arguments({"path": path, "owner": "root", "group": "root", "mode": mode})
        if self.module.set_fs_attributes_if_different(file_args, changed, diff=diff):
            if path not in self.files:
                self.files.append(path)
            if not changed:
                self.diff.append(diff)

    def directory(self, path):
        path = path.rstrip("/") or "/"
        if os.path.isdir(path):
            self.attributes(path, "0755", False)
            return
        if os.path.lexists(path):
            self.module.fail_json(msg="%s should be a directory, and is %s" % (path, _tls_layout.link_state(path)))
        parent = os.path.dirname(path)
        if parent != path:
            self.directory(parent)
        self.note(path, "absent\n", "directory root:root 0755\n")
        if self.check_mode:
            return
        os.mkdir(path, 0o755)
        self.attributes(path, "0755", True)

    def link(self, path, target):
        """Point ``path`` at ``target``; a new link under a temporary name replaces the old one in
        one rename (os.replace), so ``path`` always leads somewhere. Returns whether it changed."""
        if os.path.islink(path) and os.readlink(path) == target:
            return False
        if os.path.isdir(path) and not os.path.islink(path):
            self.module.fail_json(msg="%s should be a link to %s, and is a directory" % (path, target))
        self.note(path, _tls_layout.link_state(path) + "\n", "link to %s\n" % target)
        if self.check_mode:
            return True
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            self.module.fail_json(msg="the directory of %s does not exist" % path)
        # The new link is made in a fresh directory beside it (no name to race for), then renamed.
        scratch = tempfile.mkdtemp(prefix=PREFIX, dir=directory)
        temp = os.path.join(scratch, "link")
        try:
            os.symlink(target, temp)
            os.replace(temp, path)
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
            os.rmdir(scratch)
        return True

    def unlink(self, path):
        """Remove the link ``path`` if there is one; returns whether it changed."""
        if not os.path.islink(path):
            return False
        self.note(path, _tls_layout.link_state(path) + "\n", "absent\n")
        if not self.check_mode:
            os.unlink(path)
        return True

    def text(self, wanted, mode):
        """Write (or, without content, remove) the file ``wanted`` ({path, content}); returns
        whether it changed."""
        path, content = wanted["path"], wanted["content"]
        if os.path.isdir(path) and not os.path.islink(path):
            self.module.fail_json(msg="%s should be a file, and is a directory" % path)
        if content is None:
            if not os.path.lexists(path):
                return False
            self.note(path, "present\n", "absent\n")
            if not self.check_mode:
                os.unlink(path)
            return True
        before = None if os.path.islink(path) else _files.read_text(path)
        changed = before != content or os.path.islink(path)
        if changed:
            self.diff.append({"before": before or "", "after": content, "after_header": path,
                              "before_header": path if before is not None else "%s (absent)" % path})
            self.files.append(path)
            if self.check_mode:
                return True
            if os.path.islink(path):
                os.unlink(path)
            _files.write_atomically(self.module, path, content, int(mode, 8), prefix=PREFIX)
        self.attributes(path, mode, changed)
        return changed

    def check_sources(self, files_mode):
        cert, key = files_mode["cert_src"], files_mode["key_src"]
        cert_stat = _lstat(cert)
        key_stat = _lstat(key)
        owner = None
        if key_stat is not None:
            try:
                owner = pwd.getpwuid(key_stat.st_uid).pw_name
            except KeyError:
                owner = str(key_stat.st_uid)
        problem = _tls_layout.sources_problem(cert, cert_stat, key, key_stat, owner, files_mode["variables"])
        if problem:
            self.module.fail_json(msg=problem)

    def read_certificates(self):
        """The certificates of O(certificates) that read, by path (as x509_certificate_info)."""
        paths = list(self.params["certificates"])
        if self.params["selfsigned"] and self.selfsigned_cert not in paths:
            paths.append(self.selfsigned_cert)
        self.read_paths = paths
        now = datetime.datetime.now(datetime.timezone.utc)
        found = {}
        for path in paths:
            try:
                with open(path, "rb") as stream:
                    pem = stream.read()
            except OSError:
                continue
            # Only a certificate to read needs the library (check mode on a new host has neither).
            self.need_cryptography()
            info = _tls_layout.certificate_info(pem, now, self.params["renew_before_days"] * 86400)
            if info is not None:
                found[path] = info
        return found

    def need_cryptography(self):
        if not _tls_layout.HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib("cryptography (Debian: python3-cryptography)"),
                                  exception=str(_tls_layout.CRYPTOGRAPHY_IMPORT_ERROR))

    @property
    def selfsigned_cert(self):
        return os.path.join(self.params["selfsigned"]["dir"], _tls_layout.CERT_NAME)

    def selfsigned(self, certificates):
        """Make the self-signed pair when it is due; ``certificates`` then holds the new one's read.
        Returns RV(selfsigned)."""
        spec = self.params["selfsigned"]
        cert_path, key_path = self.selfsigned_cert, os.path.join(spec["dir"], _tls_layout.KEY_NAME)
        due = _tls_layout.selfsigned_due(certificates.get(cert_path), os.path.isfile(key_path), spec["names"], spec["key_type"])
        if not due:
            self.attributes(key_path, "0600", False)
            self.attributes(cert_path, "0644", False)
            return {"made": False, "due": ""}
        # The key stays when it is of the type asked for: a TLSA "3 1 1" record of it stays true.
        kept = None
        if _tls_layout.HAS_CRYPTOGRAPHY:
            try:
                with open(key_path, "rb") as stream:
                    kept = _tls_layout.reusable_key(stream.read(), spec["key_type"])
            except OSError:
                pass
        self.files.extend([cert_path] if kept else [key_path, cert_path])
        summary = "self-signed certificate for %s (%s, %d days), made because %s\n" % (
            ", ".join(spec["names"]), "the same key" if kept else "a new %s key" % spec["key_type"], spec["days"], due)
        self.diff.append({"before": "", "after": summary, "before_header": cert_path,
                          "after_header": cert_path if kept else "%s and %s" % (cert_path, key_path)})
        if self.check_mode:
            return {"made": True, "due": due}
        self.need_cryptography()
        now = datetime.datetime.now(datetime.timezone.utc)
        key_pem, cert_pem = _tls_layout.selfsigned_pair(spec["common_name"], spec["names"], spec["key_type"], spec["days"], now,
                                                        key=kept)
        if kept is None:
            # The key first: a certificate never names a key that is not there yet.
            _files.write_atomically(self.module, key_path, key_pem, 0o600, prefix=PREFIX)
            self.attributes(key_path, "0600", True)
        _files.write_atomically(self.module, cert_path, cert_pem, 0o644, prefix=PREFIX)
        self.attributes(cert_path, "0644", True)
        certificates[cert_path] = _tls_layout.certificate_info(cert_pem.encode("ascii"), now, self.params["renew_before_days"] * 86400)
        return {"made": True, "due": due}

    def run(self):
        params = self.params
        certificates = self.read_certificates()
        current = os.path.join(params["tls_dir"], _tls_layout.CURRENT)
        alternate = params["alternate_target"]
        target, next_dir = _tls_layout.choose_target(
            os.readlink(current) if os.path.islink(current) else None, params["target"], params["preferred_target"],
            {"dir": alternate["dir"], "certificate": alternate["certificate"]} if alternate else None, certificates)
        files_mode = params["files_mode"]
        if files_mode:
            self.check_sources(files_mode)
        directories = list(params["directories"]) + [params["tls_dir"]]
        if files_mode:
            directories.append(files_mode["dir"])
        for path in directories:
            self.directory(path)
        selfsigned = self.selfsigned(certificates) if params["selfsigned"] else None

        consumers = bool(selfsigned and selfsigned["made"])
        if files_mode:
            for path, link_target in _tls_layout.files_mode_links(files_mode["dir"], files_mode["cert_src"], files_mode["key_src"]):
                consumers = self.link(path, link_target) or consumers
        for path, link_target in _tls_layout.stable_links(params["tls_dir"], target):
            consumers = self.link(path, link_target) or consumers

        if alternate:
            # The lineage holding the next key, for its TLSA record: a link while there is one.
            if next_dir:
                self.link(alternate["next_link"], next_dir)
            else:
                self.unlink(alternate["next_link"])

        self.text(params["reload_script"], "0755")
        if params["deploy_hook"]:
            self.link(params["deploy_hook"], params["reload_script"]["path"])
        if params["ca_bundle"]:
            self.text(params["ca_bundle"], "0644")
        systemd = bool(params["dropin"]) and self.text(params["dropin"], "0644")

        result = {"changed": bool(self.files), "files": self.files, "consumers_reload": consumers, "systemd_reload": systemd,
                  "units": _units.unit_states(self.module, self.params["units"]),
                  "certificates": certificates, "read": self.read_paths, "target": target, "next_target": next_dir}
        if selfsigned is not None:
            result["selfsigned"] = selfsigned
        if params["renewal_conf"]:
            renewal = _files.read_text(params["renewal_conf"])
            result["renewal_server"] = _tls_layout.renewal_server(renewal)
            result["renewal_authenticator"] = _tls_layout.renewal_authenticator(renewal)
        if params["renewal_confs"]:
            result["renewals"] = {}
            for path in params["renewal_confs"]:
                renewal = _files.read_text(path)
                result["renewals"][path] = {"present": renewal is not None, "server": _tls_layout.renewal_server(renewal),
                                            "authenticator": _tls_layout.renewal_authenticator(renewal),
                                            "autorenew": _tls_layout.renewal_autorenew(renewal)}
        if self.module._diff and self.diff:
            result["diff"] = self.diff
        return result


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


FILE_SPEC = dict(path=dict(type="path", required=True), content=dict(type="str"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="path", default=[]),
            tls_dir=dict(type="path", required=True),
            target=dict(type="path", required=True),
            preferred_target=dict(type="dict", options=dict(
                dir=dict(type="path", required=True),
                certificate=dict(type="path", required=True),
            )),
            alternate_target=dict(type="dict", options=dict(
                dir=dict(type="path", required=True),
                certificate=dict(type="path", required=True),
                next_link=dict(type="path", required=True),
            )),
            certificates=dict(type="list", elements="path", default=[]),
            renewal_confs=dict(type="list", elements="path", default=[]),
            selfsigned=dict(type="dict", options=dict(
                dir=dict(type="path", required=True),
                common_name=dict(type="str", required=True),
                names=dict(type="list", elements="str", required=True),
                key_type=dict(type="str", choices=["rsa", "ecdsa"], default="rsa"),
                days=dict(type="int", default=3650),
            )),
            renew_before_days=dict(type="int", default=30),
            renewal_conf=dict(type="path"),
            files_mode=dict(type="dict", options=dict(
                dir=dict(type="path", required=True),
                cert_src=dict(type="path", required=True),
                key_src=dict(type="path", required=True, no_log=False),
                variables=dict(type="str", default="cert_src / key_src"),
            )),
            reload_script=dict(type="dict", required=True, options=FILE_SPEC),
            deploy_hook=dict(type="path"),
            ca_bundle=dict(type="dict", options=FILE_SPEC),
            dropin=dict(type="dict", options=FILE_SPEC),
            **_units.ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    module.exit_json(**TlsLayout(module).run())


if __name__ == "__main__":
    main()
