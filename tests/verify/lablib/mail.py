"""Mail flow: send with smtplib, find what arrived in a Maildir, read with imaplib and poplib.

Every function takes bounded timeouts. The SMTP session itself is lablib.remote.smtp_deliver,
run on the controller or, with local=True, on the mail host (over the host's ssh connection),
so both paths behave the same.
"""

import base64
import email.policy
import imaplib
import json
import poplib
import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import NamedTuple

from . import remote

REMOTE_SOURCE = Path(remote.__file__).read_text(encoding="utf-8")


class SendResult(NamedTuple):
    code: int          # the SMTP code that decided the session: 250 when the message was taken
    text: str          # that reply's text ("2.0.0 Ok: queued as ...", or the refusal)
    message_id: str    # the Message-ID the message carried, "<...>"


def build_message(sender, recipients, headers=None, body="Sent by tests/verify.\n", message_id=None):
    """The message as bytes (CRLF line ends) and its Message-ID.

    From, To, Subject, Date and Message-ID are set unless `headers` gives them; `headers` adds
    any others ({name: value}, or {name: [value, ...]} for a repeated header).
    """
    if message_id is None:
        message_id = make_msgid(domain=sender.rpartition("@")[2] or "verify.lab.test")
    message = EmailMessage(policy=email.policy.SMTP)
    given = {name.lower() for name in (headers or {})}
    defaults = {"From": sender, "To": ", ".join(recipients), "Subject": "lab test",
                "Date": formatdate(localtime=True), "Message-ID": message_id}
    for name, value in defaults.items():
        if name.lower() not in given:
            message[name] = value
    for name, value in (headers or {}).items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            message[name] = item
    message.set_content(body)
    return message.as_bytes(), str(message["Message-ID"])


def send(target, port, sender, recipients, headers=None, tls=None, auth=None, cafile=None,
         local=False, server_hostname=None, body="Sent by tests/verify.\n", helo=None, timeout=30, connect_to=None):
    """Send one message; return SendResult(code, text, message_id).

    target    an address, or a LabHost (its address is used); with local=True a LabHost: the
              session runs ON that host, to 127.0.0.1 (mail from the host itself; the hosts have
              python3 but no swaks), and `cafile` is a path on the host; connect_to: another
              address than 127.0.0.1 that host connects to (mail from one lab host to another)
    tls       None, "starttls" or "implicit"; with `cafile` the certificate is verified against
              `server_hostname` (default: the target's mail_hostname, else the address)
    auth      (user, password) or None
    A refusal at any stage gives its code (a refused recipient stops the message for everyone);
    what is not an SMTP reply (connection refused, TLS failure) raises.
    """
    if isinstance(recipients, str):
        recipients = [recipients]
    recipients = list(recipients)
    message, message_id = build_message(sender, recipients, headers, body)
    address = getattr(target, "address", target)
    if server_hostname is None and hasattr(target, "vars"):
        server_hostname = target.vars.get("mail_hostname")
    if not local:
        code, text = remote.smtp_deliver(address, port, sender, recipients, message, tls=tls, auth=auth, cafile=cafile,
                                         server_hostname=server_hostname, timeout=timeout, helo=helo)
        return SendResult(code, text, message_id)
    if not hasattr(target, "run"):
        raise TypeError("send(local=True) needs a LabHost, not %r" % (target,))
    arguments = {"host": connect_to or "127.0.0.1", "port": port, "sender": sender, "recipients": recipients,
                 "message": base64.b64encode(message).decode("ascii"), "tls": tls,
                 "auth": list(auth) if auth else None, "cafile": cafile, "server_hostname": server_hostname,
                 "timeout": timeout, "helo": helo}
    result = _run_remote(target, "send", arguments, timeout + 15)
    if "error" in result:
        raise ConnectionError("%s: sending to %s:%s: %s" % (target.name, connect_to or "127.0.0.1", port, result["error"]))
    return SendResult(result["code"], result["text"], message_id)


def _run_remote(lab_host, action, arguments, timeout):
    output = lab_host.check("python3 -c %s %s %s", REMOTE_SOURCE, action, json.dumps(arguments), timeout=timeout)
    return json.loads(output)


def parse_headers(block):
    """A header block (bytes) as an email.message.EmailMessage with no body: msg["Subject"],
    msg.get_all("DKIM-Signature"); values unfolded."""
    return BytesHeaderParser(policy=email.policy.default).parsebytes(block)


def find_message(lab_host, maildir, match, timeout=30):
    """Wait for a message in a Maildir on the host and return its headers (see parse_headers).

    match    a Message-ID ("<...>", as send() returns it), or {header: exact value, ...}
    The wait runs on the host in one command (no round trip per look); a message that never
    comes fails the test with the Maildir named.
    """
    wanted = {"Message-ID": match} if isinstance(match, str) else dict(match)
    arguments = {"maildir": maildir, "headers": wanted, "timeout": timeout}
    found = _run_remote(lab_host, "find", arguments, timeout + 15)
    if not found:
        raise AssertionError("%s: no message with %s in %s within %ss" % (lab_host.name, wanted, maildir, timeout))
    return parse_headers(base64.b64decode(found["header"]))


def dkim_tags(value):
    """The tags of a DKIM-Signature header value as a dict ({"v": "1", "a": "rsa-sha256",
    "d": ..., "s": ..., "b": ...}); folding whitespace removed from the values."""
    tags = {}
    for part in str(value).split(";"):
        name, sep, tag_value = part.partition("=")
        if sep and name.strip():
            tags[name.strip()] = re.sub(r"\s+", "", tag_value)
    return tags


def _message(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message.raw = raw  # the bytes as received, for a signature check
    return message


def _wanted(message, header):
    return header is None or remote.headers_match(
        remote.header_fields(remote.header_block(message.raw)), {header[0]: header[1]})


def imap_fetch(address, user, password, cafile, server_hostname=None, port=993, starttls=False,
               header=None, mailbox="INBOX", timeout=20):
    """The messages of a mailbox over IMAPS (or IMAP + STARTTLS), the certificate verified
    against `cafile` and `server_hostname` (default: `address`).

    header   (name, value): only messages with that header value (IMAP SEARCH HEADER, then
             checked exactly here)
    Returns email.message.EmailMessage objects, each with .raw (the bytes as fetched).
    """
    context = remote.tls_context(cafile, server_hostname or address)
    if starttls:
        client = imaplib.IMAP4(address, port, timeout=timeout)
        client.starttls(ssl_context=context)
    else:
        client = imaplib.IMAP4_SSL(address, port, ssl_context=context, timeout=timeout)
    try:
        client.login(user, password)
        client.select(mailbox, readonly=True)
        criteria = ["HEADER", header[0], '"%s"' % header[1]] if header else ["ALL"]
        found = client.search(None, *criteria)[1]
        messages = []
        for number in found[0].split():
            data = client.fetch(number, "(RFC822)")[1]
            messages.append(_message(data[0][1]))
        return [message for message in messages if _wanted(message, header)]
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def pop3_fetch(address, user, password, cafile, server_hostname=None, port=995, starttls=False,
               header=None, timeout=20):
    """The messages of a POP3 mailbox over POP3S (or POP3 + STLS), verified as imap_fetch;
    `header` filters as there. Nothing is deleted."""
    context = remote.tls_context(cafile, server_hostname or address)
    if starttls:
        client = poplib.POP3(address, port, timeout=timeout)
        client.stls(context=context)
    else:
        client = poplib.POP3_SSL(address, port, context=context, timeout=timeout)
    try:
        client.user(user)
        client.pass_(password)
        count = len(client.list()[1])
        messages = [_message(b"\r\n".join(client.retr(number)[1]) + b"\r\n") for number in range(1, count + 1)]
        return [message for message in messages if _wanted(message, header)]
    finally:
        try:
            client.quit()
        except (poplib.error_proto, OSError):
            client.close()
