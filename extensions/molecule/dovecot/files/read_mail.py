"""Print bob's messages of one test run, read over IMAPS or POP3S; fail if not both arrived.

    python3 read_mail.py <host> <imaps|pop3s> <run id>
"""
import imaplib
import poplib
import ssl
import sys

host, protocol, run_id = sys.argv[1:4]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate; TLS itself is what counts here
messages = []
if protocol == "imaps":
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context, timeout=20) as imap:
        imap.login("bob@example.test", "bob-Secret-2")
        imap.select("INBOX", readonly=True)
        status, found = imap.search(None, "HEADER", "X-Run", run_id)
        for number in found[0].split():
            status, data = imap.fetch(number, "(RFC822)")
            messages.append(data[0][1].decode("utf-8", "replace"))
else:
    pop = poplib.POP3_SSL(host, 995, context=context, timeout=20)
    pop.user("bob@example.test")
    pop.pass_("bob-Secret-2")
    for number in range(1, len(pop.list()[1]) + 1):
        text = b"\r\n".join(pop.retr(number)[1]).decode("utf-8", "replace")
        if "X-Run: " + run_id in text:
            messages.append(text)
    pop.quit()
print("\n\n".join(messages))
sys.exit(0 if len(messages) >= 2 else 1)
