"""Try to abuse a mail server from outside its networks, as spammers do in its first hour online.

    python3 smtp_abuse.py <host name> <domain> <user> <password> <CA file>
<domain> is served by the server and has no catch-all; <user>/<password> is a real account.
Prints one JSON object:
  relay: one entry per relay attempt (kind, port, envelope, the replies, accepted: a recipient
         outside the server's domains got a 2xx at RCPT);
  auth_offer: whether AUTH is announced and answered before and after TLS on 25 and 587;
  senders: which envelope senders an authenticated session may use (2xx at MAIL and RCPT);
  auth_delay: seconds from AUTH to the server's answer, for wrong and for right passwords.
Never sends DATA: an accepted RCPT is already the failure this looks for.
"""
import base64
import json
import smtplib
import ssl
import statistics
import sys
import time

host, domain, user, password, cafile = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
OUTSIDE = "victim@example.net"


def connect(port, helo="mx.peer.test", tls=True):
    if port == 465:
        session = smtplib.SMTP_SSL(host, port, timeout=30, context=context)
        session.ehlo(helo)
        return session
    session = smtplib.SMTP(host, port, timeout=30)
    session.ehlo(helo)
    if tls:
        session.starttls(context=context)
        session.ehlo(helo)
    return session


def auth_plain(session, name, secret):
    token = base64.b64encode(("\0%s\0%s" % (name, secret)).encode()).decode()
    code, reply = session.docmd("AUTH", "PLAIN " + token)
    return code, reply.decode(errors="replace")


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


def relay(kind, port, sender, recipient, helo="mx.peer.test", tls=True, login=None):
    try:
        session = connect(port, helo, tls)
        replies = []
        if login:
            code, reply = auth_plain(session, *login)
            replies.append("AUTH %d %s" % (code, reply))
        accepted, more = envelope(session, sender, recipient)
        session.quit()
        return {"kind": kind, "port": port, "from": sender, "to": recipient,
                "accepted": accepted, "replies": replies + more}
    except (smtplib.SMTPException, OSError) as exc:
        return {"kind": kind, "port": port, "from": sender, "to": recipient,
                "accepted": False, "replies": ["connection: %s" % exc]}


local = "%s@%s" % ("alice", domain)
attempts = [
    relay("plain relay", 25, "someone@peer.test", OUTSIDE),
    relay("local sender", 25, local, OUTSIDE),
    relay("null sender", 25, "", OUTSIDE),
    relay("percent hack", 25, "someone@peer.test", "victim%%example.net@%s" % domain),
    relay("bang path", 25, "someone@peer.test", "example.net!victim@%s" % domain),
    relay("quoted at hack", 25, "someone@peer.test", '"victim@example.net"@%s' % domain),
    relay("source route", 25, "someone@peer.test", "@%s:%s" % (domain, OUTSIDE)),
    relay("IP-literal recipient", 25, "someone@peer.test", "victim@[10.47.25.25]"),
    relay("subdomain of a served domain", 25, "someone@peer.test", "victim@sub.%s" % domain),
    relay("HELO as the server itself", 25, local, OUTSIDE, helo=host),
    relay("HELO as localhost", 25, local, OUTSIDE, helo="[127.0.0.1]"),
    relay("without STARTTLS", 25, "someone@peer.test", OUTSIDE, tls=False),
    relay("submission 587 without AUTH", 587, local, OUTSIDE),
    relay("submissions 465 without AUTH", 465, local, OUTSIDE),
    relay("after a failed AUTH", 587, local, OUTSIDE, login=(user, password + "-wrong")),
]

# AUTH before and after TLS: announced, and answered when a careless client tries anyway.
auth_offer = {}
for port in (25, 587):
    session = connect(port, tls=False)
    before = session.has_extn("auth")
    code, reply = auth_plain(session, user, password)
    session.starttls(context=context)
    session.ehlo("mx.peer.test")
    auth_offer[str(port)] = {
        "announced_before_tls": before,
        "answer_before_tls": "%d %s" % (code, reply),
        "announced_after_tls": session.esmtp_features.get("auth", "").strip(),
    }
    session.quit()

# Envelope senders of an authenticated session (587): their own, then others'.
senders = []
for sender in ["%s" % user, "someone@peer.test", "postmaster@%s" % domain, "bob@lists.%s" % domain]:
    session = connect(587)
    code, reply = auth_plain(session, user, password)
    accepted, replies = envelope(session, sender, "someone@peer.test")
    session.quit()
    senders.append({"from": sender, "auth": code, "accepted": accepted, "replies": replies})


def timed_auth(secret):
    session = connect(587)
    started = time.monotonic()
    code = auth_plain(session, user, secret)[0]
    elapsed = time.monotonic() - started
    session.quit()
    return code, elapsed


wrong = [timed_auth(password + "-wrong") for attempt in range(4)]
right = [timed_auth(password) for attempt in range(4)]
wrong_seconds = [seconds for code, seconds in wrong]
right_seconds = [seconds for code, seconds in right]
auth_delay = {
    "wrong_codes": sorted({code for code, seconds in wrong}),
    "right_codes": sorted({code for code, seconds in right}),
    "wrong_seconds": [round(s, 3) for s in wrong_seconds],
    "right_seconds": [round(s, 3) for s in right_seconds],
    "wrong_median": round(statistics.median(wrong_seconds), 3),
    "right_median": round(statistics.median(right_seconds), 3),
}

print(json.dumps({"relay": attempts, "auth_offer": auth_offer, "senders": senders, "auth_delay": auth_delay}))
