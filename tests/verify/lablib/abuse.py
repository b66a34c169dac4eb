"""Abuse of a mail server from outside its networks, as spammers try in its first hour online.

Standard library only (Python 3.9+): it runs in the lab's peer (10.47.25.25, outside the hosts'
mynetworks), as `python3 -c <this file>` with its arguments as one JSON object on stdin (so the
password is in no command line), and prints one JSON object:

    {"host": "mail.site13.test", "address": "10.47.25.30", "domain": "site13.test",
     "user": "alice@site13.test", "password": "...", "cafile": "/state/pebble/roots.pem"}

  relay       one entry per relay attempt: kind, port, from, to, replies, accepted (a recipient
              outside the server's domains got a 2xx at RCPT)
  auth_offer  {"25"|"587": announced_before_tls, answer_before_tls, announced_after_tls}
  senders     which envelope senders an authenticated session may use (2xx at MAIL and RCPT)
  auth_delay  seconds from AUTH to the server's answer, for wrong and for right passwords
Never sends DATA: an accepted RCPT is already the failure this looks for. `run_in_peer()` runs
it from the controller; the rest are pure helpers, unit-tested.
"""

import base64
import json
import smtplib
import socket
import ssl
import statistics
import sys
import time

OUTSIDE = "victim@example.net"
PEER_HELO = "mx.peer.test"


def relay_attempts(host, domain, local, user_login):
    """The relay attempts, as (kind, port, sender, recipient, options): every one must be refused.
    `local` is a real address of the served domain, `user_login` (user, wrong password)."""
    outside_sender = "someone@peer.test"
    return [
        ("plain relay", 25, outside_sender, OUTSIDE, {}),
        ("local sender", 25, local, OUTSIDE, {}),
        ("null sender", 25, "", OUTSIDE, {}),
        ("percent hack", 25, outside_sender, "victim%%example.net@%s" % domain, {}),
        ("bang path", 25, outside_sender, "example.net!victim@%s" % domain, {}),
        ("quoted at hack", 25, outside_sender, '"victim@example.net"@%s' % domain, {}),
        ("source route", 25, outside_sender, "@%s:%s" % (domain, OUTSIDE), {}),
        ("IP-literal recipient", 25, outside_sender, "victim@[10.47.25.25]", {}),
        ("subdomain of a served domain", 25, outside_sender, "victim@sub.%s" % domain, {}),
        ("HELO as the server itself", 25, local, OUTSIDE, {"helo": host}),
        ("HELO as localhost", 25, local, OUTSIDE, {"helo": "[127.0.0.1]"}),
        ("without STARTTLS", 25, outside_sender, OUTSIDE, {"tls": False}),
        ("submission 587 without AUTH", 587, local, OUTSIDE, {}),
        ("submissions 465 without AUTH", 465, local, OUTSIDE, {}),
        ("after a failed AUTH", 587, local, OUTSIDE, {"login": user_login}),
    ]


def plain_token(name, secret):
    """The AUTH PLAIN initial response for name/secret (RFC 4616, no authorization identity)."""
    return base64.b64encode(("\0%s\0%s" % (name, secret)).encode()).decode()


def auth_mechanisms(value):
    """The mechanisms of an EHLO AUTH line's value ("PLAIN LOGIN"), sorted and upper-case."""
    return sorted(word.upper() for word in str(value or "").split())


def delay_summary(wrong, right):
    """From [(code, seconds), ...] of wrong and of right passwords: the codes seen and the
    seconds, with their medians (rounded to ms)."""
    wrong_seconds = [seconds for _code, seconds in wrong]
    right_seconds = [seconds for _code, seconds in right]
    return {
        "wrong_codes": sorted({code for code, _seconds in wrong}),
        "right_codes": sorted({code for code, _seconds in right}),
        "wrong_seconds": [round(s, 3) for s in wrong_seconds],
        "right_seconds": [round(s, 3) for s in right_seconds],
        "wrong_median": round(statistics.median(wrong_seconds), 3),
        "right_median": round(statistics.median(right_seconds), 3),
    }


def last_replies(entries):
    """["kind → last reply", ...] of relay or sender entries, for a report line."""
    return ["%s → %s" % (entry.get("kind") or entry.get("from"), (entry["replies"] or ["-"])[-1]) for entry in entries]


class NamedContext:
    """An SSLContext that checks the certificate against one name: the peer connects to the
    server's address (no DNS needed: the lab DNS may just have been frozen by another test), while
    the certificate carries the name. smtplib passes the address as server_hostname."""

    def __init__(self, context, name):
        self.context = context
        self.name = name

    def wrap_socket(self, sock, server_hostname=None, **kwargs):  # pylint: disable=unused-argument
        return self.context.wrap_socket(sock, server_hostname=self.name, **kwargs)


class Prober:
    """SMTP sessions to one server at `address`, its certificate verified against `cafile` and
    the server's name `host`."""

    def __init__(self, host, address, cafile, timeout=30):
        self.host = host
        self.address = address
        self.cafile = cafile
        self.timeout = timeout

    def context(self):
        return NamedContext(ssl.create_default_context(cafile=self.cafile), self.host)

    def connect(self, port, helo=PEER_HELO, tls=True):
        if port == 465:
            session = smtplib.SMTP_SSL(self.address, port, timeout=self.timeout, context=self.context())
            session.ehlo(helo)
            return session
        session = smtplib.SMTP(self.address, port, timeout=self.timeout)
        session.ehlo(helo)
        if tls:
            session.starttls(context=self.context())
            session.ehlo(helo)
        return session

    @staticmethod
    def auth_plain(session, name, secret):
        code, reply = session.docmd("AUTH", "PLAIN " + plain_token(name, secret))
        return code, reply.decode(errors="replace")

    @staticmethod
    def envelope(session, sender, recipient):
        """MAIL and RCPT sent raw (smtplib would rewrite source routes and quoted local parts)."""
        code, reply = session.docmd("MAIL FROM:<%s>" % sender)
        replies = ["MAIL %d %s" % (code, reply.decode(errors="replace"))]
        accepted = False
        if code // 100 == 2:
            code, reply = session.docmd("RCPT TO:<%s>" % recipient)
            replies.append("RCPT %d %s" % (code, reply.decode(errors="replace")))
            accepted = code // 100 == 2
        session.docmd("RSET")
        return accepted, replies

    def relay(self, kind, port, sender, recipient, helo=PEER_HELO, tls=True, login=None):
        entry = {"kind": kind, "port": port, "from": sender, "to": recipient}
        try:
            session = self.connect(port, helo, tls)
            replies = []
            if login:
                code, reply = self.auth_plain(session, *login)
                replies.append("AUTH %d %s" % (code, reply))
            accepted, more = self.envelope(session, sender, recipient)
            session.quit()
            entry.update(accepted=accepted, replies=replies + more)
        except (smtplib.SMTPException, OSError) as exc:
            entry.update(accepted=False, replies=["connection: %s" % exc])
        return entry

    def auth_offer(self, port, user, password):
        """AUTH announced before TLS, the answer when tried anyway, and what is announced after."""
        session = self.connect(port, tls=False)
        before = session.has_extn("auth")
        code, reply = self.auth_plain(session, user, password)
        session.starttls(context=self.context())
        session.ehlo(PEER_HELO)
        offer = {"announced_before_tls": before, "answer_before_tls": "%d %s" % (code, reply),
                 "announced_after_tls": session.esmtp_features.get("auth", "").strip()}
        session.quit()
        return offer

    def sender(self, user, password, sender):
        session = self.connect(587)
        code, _reply = self.auth_plain(session, user, password)
        accepted, replies = self.envelope(session, sender, "someone@peer.test")
        session.quit()
        return {"from": sender, "auth": code, "accepted": accepted, "replies": replies}

    def timed_auth(self, user, secret):
        session = self.connect(587)
        started = time.monotonic()
        code = self.auth_plain(session, user, secret)[0]
        elapsed = time.monotonic() - started
        session.quit()
        return code, elapsed


def probe(arguments):
    """Every abuse attempt against one server; the JSON-able findings (see the docstring)."""
    host, domain, user, password = arguments["host"], arguments["domain"], arguments["user"], arguments["password"]
    prober = Prober(host, arguments["address"], arguments["cafile"])
    local = "alice@%s" % domain
    relay = [prober.relay(kind, port, sender, recipient, **options)
             for kind, port, sender, recipient, options in relay_attempts(host, domain, local, (user, password + "-wrong"))]
    offer = {str(port): prober.auth_offer(port, user, password) for port in (25, 587)}
    senders = [prober.sender(user, password, sender)
               for sender in (user, "someone@peer.test", "postmaster@%s" % domain, "bob@lists.%s" % domain)]
    wrong = [prober.timed_auth(user, password + "-wrong") for _attempt in range(4)]
    right = [prober.timed_auth(user, password) for _attempt in range(4)]
    return {"relay": relay, "auth_offer": offer, "senders": senders, "auth_delay": delay_summary(wrong, right)}


def run_in_peer(peer, arguments, timeout=240):
    """Run probe() in the lab's peer (arguments on stdin); its findings, or an AssertionError
    with what went wrong (never the arguments, which hold a password)."""
    with open(__file__, encoding="utf-8") as stream:
        source = stream.read()
    result = peer.run("python3", "-c", source, timeout=timeout, stdin=json.dumps(arguments))
    if result.returncode != 0:
        raise AssertionError("the abuse probe in the peer exited %s: %s" % (result.returncode, result.stderr.strip()[-2000:]))
    return json.loads(result.stdout)


if __name__ == "__main__":
    socket.setdefaulttimeout(60)
    print(json.dumps(probe(json.loads(sys.stdin.read()))))
