"""A second milter for the site scenario: it adds one header to every message it sees.

The lab's peer runs it (start.sh, python3-milter) on port 8899. The site scenario's Debian 13
host adds it as a contribution of its own beside OpenDKIM's (mail_postfix_contributions) with
default_action=tempfail: verify proves that a message passes both milters, and that each keeps
its own default_action when it is down.

    lab_milter.py inet:8899@0.0.0.0
"""

import sys

import Milter


class LabMilter(Milter.Base):
    def __init__(self):
        self.id = Milter.uniqueID()

    @Milter.noreply
    def connect(self, hostname, family, hostaddr):
        return Milter.CONTINUE

    def eom(self):
        self.addheader("X-Lab-Milter", "seen")
        return Milter.CONTINUE


def main():
    Milter.factory = LabMilter
    Milter.set_flags(Milter.ADDHDRS)
    Milter.runmilter("labmilter", sys.argv[1], 60)


if __name__ == "__main__":
    main()
