"""Check that 143 and 110 refuse a login before STARTTLS and accept it after.

    python3 starttls_login.py <host name> <user> <password> <CA file>
Prints what each step saw; exits non-zero if any step differs from that.
"""
import imaplib
import poplib
import ssl
import sys

host, user, password, cafile = sys.argv[1:5]
context = ssl.create_default_context(cafile=cafile)
failures = []

with imaplib.IMAP4(host, 143, timeout=20) as imap:
    capabilities = imap.capabilities
    print("imap 143 before STARTTLS:", " ".join(capabilities))
    if "LOGINDISABLED" not in capabilities or "STARTTLS" not in capabilities:
        failures.append("IMAP does not announce LOGINDISABLED and STARTTLS before TLS")
    # imap.login() would refuse by itself on LOGINDISABLED: send the command raw, as a careless
    # client would, and let the server answer.
    try:
        answer, detail = imap._simple_command("LOGIN", user, password)
    except imaplib.IMAP4.error as exc:
        answer, detail = "BAD", [str(exc).encode()]
    print("imap 143 LOGIN before STARTTLS:", answer, detail)
    if answer == "OK":
        failures.append("IMAP accepted LOGIN before STARTTLS")
with imaplib.IMAP4(host, 143, timeout=20) as imap:
    imap.starttls(ssl_context=context)
    print("imap 143 after STARTTLS:", imap.login(user, password)[0])

pop = poplib.POP3(host, 110, timeout=20)
try:
    pop.user(user)
    pop.pass_(password)
    failures.append("POP3 accepted USER/PASS before STLS")
except poplib.error_proto as exc:
    print("pop3 110 USER/PASS before STLS refused:", exc)
pop.quit()
pop = poplib.POP3(host, 110, timeout=20)
pop.stls(context=context)
pop.user(user)
print("pop3 110 after STLS:", pop.pass_(password))
pop.quit()

for failure in failures:
    print("FAIL:", failure)
sys.exit(1 if failures else 0)
