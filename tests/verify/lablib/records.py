"""Records in the lab DNS (Knot, 10.47.25.53), through tests/lab/lab_dns.py's own functions.

lab_dns.py is loaded by path (it is a script, not a package), so the zones, the server and the
TXT convention (a record's character-strings separated by a newline) stay defined once.
"""

import importlib.util
from pathlib import Path

import dns.exception
import dns.rdatatype
import dns.resolver
import dns.update


def load_lab_dns(project_dir):
    """Import tests/lab/lab_dns.py of the project as a module."""
    path = Path(project_dir, "tests", "lab", "lab_dns.py")
    spec = importlib.util.spec_from_file_location("lab_dns", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LabDnsError(RuntimeError):
    """The lab DNS refused a change, or a name is outside the lab zones."""


def _absolute(name):
    return name.rstrip(".") + "."


class LabDns:
    """set/delete/get/load records; set() and delete() remember the record set they replaced,
    and restore() puts every one back (the `lab_dns` fixture calls it at teardown). load()
    publishes for good, as verify.yml does with the records site.yml wrote."""

    def __init__(self, lab_dns_module, timeout=5.0):
        self.module = lab_dns_module
        self.server = lab_dns_module.SERVER
        self.timeout = timeout
        self._saved = {}  # (name, type) -> (ttl, [rdata]) as before the first change

    def _call(self, function, *args):
        # lab_dns.py reports errors with sys.exit(): turn them into exceptions.
        try:
            return function(*args)
        except SystemExit as error:
            raise LabDnsError(str(error.code)) from None

    def _rrset(self, name, rtype):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.server]
        resolver.lifetime = self.timeout
        try:
            answer = resolver.resolve(_absolute(name), rtype)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.DNSException as error:
            raise LabDnsError("%s %s at %s: %s" % (name, rtype, self.server, error)) from None
        return answer.rrset

    def get(self, name, rtype):
        """The values of a record set at the lab DNS, [] if there is none. A TXT value is its
        character-strings joined by a newline (what set() takes); others are zone-file text."""
        rtype = rtype.upper()
        rrset = self._rrset(name, rtype)
        if rrset is None:
            return []
        if rtype == "TXT":
            return sorted("\n".join(s.decode("utf-8", "replace") for s in rdata.strings) for rdata in rrset)
        return sorted(rdata.to_text() for rdata in rrset)

    def _remember(self, name, rtype):
        key = (_absolute(name).lower(), rtype.upper())
        if key not in self._saved:
            rrset = self._rrset(name, rtype)
            self._saved[key] = (rrset.ttl, list(rrset)) if rrset is not None else (None, [])

    def set(self, name, rtype, *values):
        """Replace the record set with these values (TTL 60)."""
        self._remember(name, rtype)
        self._call(self.module.main, ["set", name, rtype] + list(values))

    def delete(self, name, rtype):
        """Remove one record set (a type is required, so it can be restored)."""
        self._remember(name, rtype)
        self._call(self.module.main, ["delete", name, rtype])

    def load(self, *paths):
        """Publish zone-file fragments (site.yml's dns-records/*.zone); not undone by restore()."""
        self._call(self.module.load, [str(path) for path in paths])

    def restore(self):
        """Put back every record set set() or delete() changed, as it was before."""
        errors = []
        for (name, rtype), (ttl, rdatas) in self._saved.items():
            update = dns.update.UpdateMessage(self.module.zone_of(name))
            update.delete(name, dns.rdatatype.from_text(rtype))
            for rdata in rdatas:
                update.add(name, ttl, rdata)
            try:
                self._call(self.module.send, update)
            except LabDnsError as error:
                errors.append("%s %s: %s" % (name, rtype, error))
        self._saved.clear()
        if errors:
            raise LabDnsError("could not restore: " + "; ".join(errors))
