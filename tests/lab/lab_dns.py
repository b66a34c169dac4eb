"""Change records in the lab DNS (Knot) with RFC 2136 updates; read them back.

    python lab_dns.py set <name> <type> <value> [<value> ...]   replace the record set
    python lab_dns.py delete <name> [<type>]
    python lab_dns.py get <name> <type>
    python lab_dns.py load <fragment> [<fragment> ...]      publish zone-file fragments
    python lab_dns.py ptr <address> <name>                  set the PTR of an IPv4 or IPv6 address

A TXT value is one record: its character-strings separated by a newline (the strings exactly as
dkim_key returns them). `load` reads fragments as site.yml writes them (one record per line:
absolute name, TTL, class, type, data; `;` comments) and replaces each record set they name,
so what the lab serves is exactly what a user would publish. The zone is the longest lab zone
the name falls in. Needs dnspython.

"""

import ipaddress
import sys

import dns.message
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.update

SERVER = "10.47.25.53"
# The zones tests/lab/lib.sh (LAB_ZONES) creates and tests/lab/dns/knot.conf serves.
ZONES = ("lab.test", "peer.test", "example.test", "example.net", "demo.test", "site13.test", "site12.test", "fleet.test",
         "25.47.10.in-addr.arpa", "0.0.0.0.0.0.0.0.5.2.0.0.7.4.d.f.ip6.arpa")


def zone_of(name):
    name = name.rstrip(".").lower()
    matches = [z for z in ZONES if name == z or name.endswith("." + z)]
    if not matches:
        sys.exit("%s is in none of the lab zones %s" % (name, ", ".join(ZONES)))
    return max(matches, key=len)


def rdata(rtype, value):
    if rtype == "TXT":
        strings = value.split("\n")
        text = " ".join('"%s"' % s.replace("\\", "\\\\").replace('"', '\\"') for s in strings)
        return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, text)
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value)


def send(update):
    response = dns.query.tcp(update, SERVER, timeout=5)
    if response.rcode() != 0:
        sys.exit("update refused: %s" % dns.rcode.to_text(response.rcode()))


def load(paths):
    """Replace the record sets named in zone-file fragments, one update per zone."""
    rrsets = {}
    for path in paths:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                line = line.strip()
                if not line or line.startswith(";"):
                    continue
                name, ttl, rclass, rtype, data = line.split(None, 4)
                if rclass.upper() != "IN" or not name.endswith("."):
                    sys.exit("%s: not an absolute IN record: %s" % (path, line))
                rdtype = dns.rdatatype.from_text(rtype)
                rrsets.setdefault((name.lower(), rdtype), []).append(
                    (int(ttl), dns.rdata.from_text(dns.rdataclass.IN, rdtype, data)))
    updates = {}
    for (name, rdtype), records in rrsets.items():
        update = updates.setdefault(zone_of(name), dns.update.UpdateMessage(zone_of(name)))
        update.delete(name, rdtype)
        for ttl, record in records:
            update.add(name, ttl, record)
    for zone, update in updates.items():
        send(update)
        print("%s: %d record sets" % (zone, sum(1 for key in rrsets if zone_of(key[0]) == zone)))


def main(argv):
    if argv[0] == "load":
        load(argv[1:])
        return
    if argv[0] == "ptr":
        argv = ["set", ipaddress.ip_address(argv[1]).reverse_pointer, "PTR", argv[2].rstrip(".") + "."]
    action, name = argv[0], argv[1].rstrip(".") + "."
    update = dns.update.UpdateMessage(zone_of(name))
    if action == "set":
        rtype = argv[2].upper()
        update.delete(name, rtype)
        for value in argv[3:]:
            update.add(name, 60, rdata(rtype, value))
        send(update)
    elif action == "delete":
        if len(argv) > 2:
            update.delete(name, argv[2].upper())
        else:
            update.delete(name)
        send(update)
    elif action == "get":
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [SERVER]
        for answer in resolver.resolve(name, argv[2].upper()):
            print(answer.to_text())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1:])
