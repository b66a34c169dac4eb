"""A fake DNS for the unit tests: a dict of (name, type) -> records, answered like _dns.Lookup."""

from ansible_collections.postmaster.mail.plugins.module_utils import _dns


class FakeDns:
    """zone: {(name, rdtype): records | status string}; names without any entry are NXDOMAIN.

    TXT records are given as plain strings (one string per record) or lists of strings (one
    record made of several character-strings). CNAME entries are followed for other types.
    """

    def __init__(self, zone, signed=(), validated=()):
        self.zone = {(name.lower(), rdtype): value for (name, rdtype), value in zone.items()}
        # Zones whose answers come with RRSIGs (DNSSEC-signed), by name; of those, the ones a
        # validating resolver would mark authenticated (the chain of trust in place).
        self.signed = tuple(name.lower().rstrip(".") for name in signed)
        self.validated = tuple(name.lower().rstrip(".") for name in validated)
        self.asked = []

    def __call__(self, name, rdtype):
        name = name.lower().rstrip(".")
        self.asked.append((name, rdtype))
        chain = []
        while rdtype != "CNAME" and (name, "CNAME") in self.zone and (name, rdtype) not in self.zone:
            name = self.zone[(name, "CNAME")][0]
            chain.append(name)
            if len(chain) > 8:
                return _dns.answer(_dns.SERVFAIL, msg="CNAME loop")
        value = self.zone.get((name, rdtype))
        if value is None:
            if any(key[0] == name for key in self.zone):
                return _dns.answer(_dns.NOANSWER, cname_chain=chain, msg="%s has no %s record" % (name, rdtype))
            return _dns.answer(_dns.NXDOMAIN, cname_chain=chain, msg="%s does not exist (NXDOMAIN)" % name)
        if isinstance(value, str) and value in (_dns.TIMEOUT, _dns.SERVFAIL):
            return _dns.answer(value, msg="%s %s: %s" % (name, rdtype, value))
        if rdtype == "TXT":
            records = []
            for record in value:
                strings = [record] if isinstance(record, str) else list(record)
                records.append({"value": "".join(strings), "strings": strings})
            value = records
        if rdtype == "MX":
            value = [{"preference": p, "exchange": e} for p, e in value]
        signed = any(name == zone or name.endswith("." + zone) for zone in self.signed)
        validated = signed and any(name == zone or name.endswith("." + zone) for zone in self.validated)
        return _dns.answer(_dns.OK, value, chain, signed=signed, authenticated=validated)


def zone_of(made, apex="example.org", txt_strings=False):
    """A FakeDns zone holding the records _records.generate() made, as a DNS server would serve them
    once published. txt_strings: each TXT record as its character-strings (from the rdata)."""
    zone = {(apex, "SOA"): ["ns.%s" % apex]}
    for row in made["records"]:
        name = row["name"].rstrip(".")
        if row["type"] == "TXT":
            zone.setdefault((name, "TXT"), []).append(
                row["rdata"].strip('"').split('" "') if txt_strings else row["value"])
        elif row["type"] == "MX":
            preference, exchange = row["value"].split()
            zone.setdefault((name, "MX"), []).append((int(preference), exchange.rstrip(".")))
        elif row["type"] in ("SRV", "TLSA"):
            zone.setdefault((name, row["type"]), []).append(row["value"])
        else:
            zone.setdefault((name, row["type"]), []).append(row["value"].rstrip("."))
    return zone
