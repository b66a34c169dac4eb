"""Mail client code that runs on either side: on the controller, and on a mail host.

Standard library only, and Python 3.9+ (the lab's hosts have 3.11 and 3.13): the controller
imports it, and the same file is run on a mail host as `python3 -c <this file> <action> <json>`
(lablib.mail does that over SSH), so a message sent "from the host" goes through exactly the
code a message sent from the controller does. On a host it prints one JSON object and exits 0;
a crash is a non-zero exit with a traceback on stderr.

    python3 -c "$(cat remote.py)" send '{"host": "127.0.0.1", "port": 25, ...}'
    python3 -c "$(cat remote.py)" find '{"maildir": "/var/vmail/...", "headers": {...}, ...}'
"""

import base64
import json
import os
import re
import smtplib
import ssl
import sys
import time


class _NamedContext:
    """An SSLContext that always checks the certificate against one name.

    The lab's hosts are reached by address (the controller does not resolve the lab zones),
    while their certificates carry names. smtplib, imaplib and poplib pass the address they
    connected to as server_hostname; this wrapper replaces it with the expected name, so no
    client class has to be subclassed.
    """

    def __init__(self, context, server_hostname):
        self.context = context
        self.server_hostname = server_hostname

    def wrap_socket(self, sock, server_hostname=None, **kwargs):  # pylint: disable=unused-argument
        return self.context.wrap_socket(sock, server_hostname=self.server_hostname, **kwargs)


def tls_context(cafile=None, server_hostname=None):
    """A client TLS context: verified against `cafile` and `server_hostname` when a CA file is
    given; without one, encrypted but unverified (say so in the test if that is what you mean)."""
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return _NamedContext(context, server_hostname)


def _text(reply):
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def smtp_deliver(host, port, sender, recipients, message, tls=None, auth=None, cafile=None,
                 server_hostname=None, timeout=30, helo=None):
    """Run one SMTP session and return (code, text) of the reply that decided it.

    `message` is the message as bytes. `tls` is None, "starttls" or "implicit"; `auth` is
    (user, password) or None; `helo` defaults to smtplib's (the machine's FQDN). Every refusal,
    at any stage (banner, EHLO, STARTTLS, AUTH, MAIL, any RCPT, DATA), is returned as its code
    and text rather than raised; a refused recipient ends the session before DATA, so a message
    is either sent to every recipient or to none. What is not an SMTP reply (no connection, a
    TLS failure, a dropped connection, AUTH not offered) raises.
    """
    if tls not in (None, "starttls", "implicit"):
        raise ValueError("tls must be None, 'starttls' or 'implicit', not %r" % (tls,))
    context = tls_context(cafile, server_hostname or host)
    if tls == "implicit":
        client = smtplib.SMTP_SSL(local_hostname=helo, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(local_hostname=helo, timeout=timeout)
    try:
        code, reply = client.connect(host, port)
        if code != 220:
            return code, _text(reply)
        code, reply = client.ehlo()
        if code != 250:
            return code, _text(reply)
        if tls == "starttls":
            client.starttls(context=context)
            code, reply = client.ehlo()
            if code != 250:
                return code, _text(reply)
        if auth:
            client.login(auth[0], auth[1])
        code, reply = client.mail(sender)
        if code != 250:
            return code, _text(reply)
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                try:
                    client.rset()
                except smtplib.SMTPException:
                    pass  # the server may have closed the session with its refusal
                return code, _text(reply)
        code, reply = client.data(message)
        return code, _text(reply)
    except smtplib.SMTPResponseException as error:
        # STARTTLS or AUTH refused, or DATA refused before the message was sent.
        return error.smtp_code, _text(error.smtp_error)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def header_block(data):
    """The header block of a message (bytes): everything up to and with the first empty line."""
    end = re.search(rb"\n\r?\n", data)
    return data[:end.end()] if end else data


def header_fields(block):
    """The (name, value) pairs of a header block, in order, folded lines joined and the value
    stripped; names as written."""
    fields = []
    for line in re.split(r"\r?\n", block.decode("utf-8", "replace")):
        if not line.strip():
            break
        if line[0] in " \t" and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append((name.strip(), value.strip()))
    return fields


def headers_match(fields, wanted):
    """True when, for every name in `wanted` (any case), some field of that name has exactly
    the wanted value."""
    for name, value in wanted.items():
        if not any(n.lower() == name.lower() and v == value for n, v in fields):
            return False
    return True


def find_in_maildir(maildir, wanted, timeout=30.0, interval=0.2, clock=time.monotonic, sleep=time.sleep):
    """Wait for a message in `maildir` (its new/ and cur/) whose headers match `wanted`.

    Returns (path, header block as bytes), or None when none came within `timeout` seconds.
    Each file is read once: a delivered file's content never changes (Dovecot only renames it
    into cur/, which gives a new name).
    """
    deadline = clock() + timeout
    seen = set()
    while True:
        for sub in ("new", "cur"):
            folder = os.path.join(maildir, sub)
            try:
                names = sorted(os.listdir(folder))
            except FileNotFoundError:
                continue
            for name in names:
                path = os.path.join(folder, name)
                if path in seen:
                    continue
                try:
                    with open(path, "rb") as stream:
                        block = header_block(stream.read(256 * 1024))
                except FileNotFoundError:  # moved to cur/ while we looked
                    continue
                seen.add(path)
                if headers_match(header_fields(block), wanted):
                    return path, block
        if clock() >= deadline:
            return None
        sleep(interval)


def main(argv):
    """Run one action with JSON arguments and print its JSON result."""
    action, arguments = argv[0], json.loads(argv[1])
    if action == "send":
        message = base64.b64decode(arguments.pop("message"))
        try:
            code, text = smtp_deliver(message=message, **arguments)
            result = {"code": code, "text": text}
        except (OSError, smtplib.SMTPException) as error:
            result = {"error": "%s: %s" % (type(error).__name__, error)}
    elif action == "find":
        found = find_in_maildir(arguments["maildir"], arguments["headers"], arguments["timeout"])
        result = {"path": found[0], "header": base64.b64encode(found[1]).decode("ascii")} if found else {}
    else:
        raise SystemExit("unknown action %r" % action)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
