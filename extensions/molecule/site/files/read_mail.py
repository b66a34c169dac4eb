"""Print a user's messages of one test run, read over IMAPS or POP3S, with the server's
certificate verified against the lab's ACME root and the host name; fail if fewer than wanted.

    python3 read_mail.py <host name> <imaps|pop3s> <user> <password> <run id> <at least> <CA file>
"""
import imaplib
import poplib
import ssl
import sys

host, protocol, user, password, run_id, wanted, cafile = sys.argv[1:8]
context = ssl.create_default_context(cafile=cafile)
messages = []
if protocol == "imaps":
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context, timeout=20) as imap:
        imap.login(user, password)
        imap.select("INBOX", readonly=True)
        status, found = imap.search(None, "HEADER", "X-Run", run_id)
        for number in found[0].split():
            status, data = imap.fetch(number, "(RFC822)")
            messages.append(data[0][1].decode("utf-8", "replace"))
else:
    pop = poplib.POP3_SSL(host, 995, context=context, timeout=20)
    pop.user(user)
    pop.pass_(password)
    for number in range(1, len(pop.list()[1]) + 1):
        text = b"\r\n".join(pop.retr(number)[1]).decode("utf-8", "replace")
        if "X-Run: " + run_id in text:
            messages.append(text)
    pop.quit()
print("\n\n".join(messages))
sys.exit(0 if len(messages) >= int(wanted) else 1)
