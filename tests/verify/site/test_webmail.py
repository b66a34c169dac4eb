"""The webmail (issue 20, part 1): Roundcube at https://<mail_hostname>/ on both hosts, driven on
Debian 13 by a real browser - Debian's Chromium and chromedriver through Selenium, headless,
trusting the lab's ACME root through its own NSS database (never --ignore-certificate-errors),
the host's name mapped to its address - as wendy@:

  * logs in, sends a message to the peer; the peer's answer is read in the browser; a screenshot
    of the inbox is kept (.cache/artefacts/);
  * sets a vacation reply in the ManageSieve plugin's form, which then answers a message from the
    peer;
  * from a lab client (10.47.25.26), wrong passwords at the webmail's login form ban that client
    (Roundcube logs the browser's address, fail2ban's postmaster-roundcube jail counts it): port 443
    refuses it afterwards. Debian 12: the login page over HTTPS and a login by the form (curl).
  * nothing of PHP but Roundcube's index.php answers; the package's files stay unreachable.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from lablib import journal_mark, journal_wait, poll
from lablib.peer import ROOTS_PEM

HOST = "site-debian13"
USER, PASSWORD = "wendy@site13.test", "wendy-Secret-7"
CAPTURE = "/var/mail/capture/inbox/new"
CLIENT2 = "10.47.25.26"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(hosts, pebble_roots, project_dir):
    """Headless Chromium trusting only what its NSS database holds: the lab's ACME root."""
    for program in (CHROMIUM, CHROMEDRIVER, "certutil"):
        assert shutil.which(program), "%s is missing (tests/lab/setup-host.sh installs it)" % program
    home = tempfile.mkdtemp(prefix="postmaster-browser-")
    nssdb = Path(home, ".pki", "nssdb")
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", "sql:%s" % nssdb, "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", "sql:%s" % nssdb, "-A", "-t", "C,,", "-n", "postmaster-lab-acme", "-i",
                    str(pebble_roots)], check=True)
    server = hosts[HOST]
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                     "--user-data-dir=%s/profile" % home,
                     "--host-resolver-rules=MAP %s %s" % (server.vars["mail_hostname"], server.address)):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER, env=dict(os.environ, HOME=home))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(home, ignore_errors=True)


def wait(driver, condition, timeout=30):
    """WebDriverWait's until(); on a timeout, the page as the browser shows it (a screenshot in
    .cache/artefacts/ and its text) instead of a bare stack."""
    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        shot = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), ".cache", "artefacts", "webmail-timeout.png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shot))
        raise AssertionError("waited %d s at %s (screenshot %s): %s" % (
            timeout, driver.current_url, shot, driver.find_element(By.TAG_NAME, "body").text[:1500])) from None


def at_the_peer(peer, pattern, what):
    """The text of the first message in the peer's catch-all Maildir matching the regex pattern."""
    script = 'grep -l -E -e "$1" %s/* 2>/dev/null | head -1' % CAPTURE

    def look():
        return peer.sh(script, pattern).stdout.strip()

    path = poll(look, timeout=90, interval=1, what=what)
    return peer.read_file(path)


def settled(driver, timeout=30):
    """Wait for the page's own requests (the message list after a login, a save) to finish: a page
    left while one runs can lose what it wrote to the session (a compose session, for one)."""
    wait(driver, lambda d: d.execute_script(
        "return document.readyState == 'complete' && window.rcmail !== undefined && !rcmail.busy"), timeout)


def login(driver, base):
    driver.get(base + "/")
    wait(driver, expected_conditions.presence_of_element_located((By.ID, "rcmloginuser"))).send_keys(USER)
    driver.find_element(By.ID, "rcmloginpwd").send_keys(PASSWORD)
    driver.find_element(By.ID, "rcmloginsubmit").click()
    wait(driver, expected_conditions.presence_of_element_located((By.ID, "messagelist")))
    settled(driver)


def test_a_browser_sends_reads_and_sets_a_vacation_reply(hosts, peer, browser, run_id, project_dir, report):
    server = hosts[HOST]
    base = "https://%s" % server.vars["mail_hostname"]
    login(browser, base)
    assert browser.current_url.startswith(base + "/?_task=mail"), browser.current_url

    # Send to the peer from the compose form.
    subject = "webmail %s" % run_id
    browser.get(base + "/?_task=mail&_action=compose&_to=someone@peer.test")
    wait(browser, expected_conditions.presence_of_element_located((By.ID, "compose-subject"))).send_keys(subject)
    settled(browser)
    browser.find_element(By.ID, "composebody").send_keys("Written in Chromium, sent by Roundcube.")
    send = [button for button in browser.find_elements(By.CSS_SELECTOR, "button.send") if button.is_displayed()]
    assert send, "no Send button on the compose page"
    send[0].click()
    wait(browser, lambda driver: "_action=compose" not in driver.current_url, timeout=60)
    sent = at_the_peer(peer, "^Subject: %s$" % re.escape(subject), "the webmail's message at the peer")
    assert re.search(r"(?m)^From: .*%s" % re.escape(USER), sent), sent[:1500]
    assert re.search(r"(?m)^DKIM-Signature: .*d=site13\.test", sent) or "d=site13.test" in sent, sent[:1500]
    message_id = re.search(r"(?mi)^Message-ID:\s*(<[^>]+>)", sent).group(1)

    # The peer answers; the answer is read in the browser.
    answer = "Re: " + subject
    reply = ("From: someone@peer.test\nTo: %s\nSubject: %s\nIn-Reply-To: %s\n\nThe peer's answer, %s.\n"
             % (USER, answer, message_id, run_id))
    assert peer.run("sendmail", "-oi", "-f", "someone@peer.test", USER, stdin=reply).returncode == 0

    def answer_row():
        # The list arrives by a request of the page's own after it loads.
        browser.get(base + "/?_task=mail&_mbox=INBOX")
        row = "//table[@id='messagelist']//tr[.//*[contains(text(), '%s')]]" % answer
        try:
            found = WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.XPATH, row)))
        except TimeoutException:
            return ""
        return found.get_attribute("id")

    row = poll(answer_row, timeout=90, interval=3, what="the peer's answer in the webmail's inbox")
    # The row's id is the UID, encoded (app.js: html_identifier): decoded by Roundcube's own script.
    uid = browser.execute_script("return rcmail.html_identifier_decode(arguments[0])", row[len("rcmrow"):])
    artefacts = Path(project_dir, ".cache", "artefacts")
    artefacts.mkdir(parents=True, exist_ok=True)
    screenshot = artefacts / "webmail-inbox-site-debian13.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10000
    browser.get(base + "/?_task=mail&_action=show&_mbox=INBOX&_uid=%s" % uid)
    body = wait(browser, expected_conditions.presence_of_element_located((By.ID, "messagebody"))).text
    assert "The peer's answer, %s." % run_id in body, body

    # A vacation reply from the ManageSieve plugin's form.
    browser.get(base + "/?_task=settings&_action=plugin.managesieve-vacation")
    field = wait(browser, expected_conditions.presence_of_element_located((By.ID, "vacation_subject")))
    field.clear()
    field.send_keys("Away " + run_id)
    field = browser.find_element(By.ID, "vacation_reason")
    field.clear()
    field.send_keys("Back next week.")
    browser.execute_script("$('#vacation_status').val('on')")
    settled(browser)
    browser.execute_script("rcmail.command('plugin.managesieve-save', '')")

    def active_script():
        listed = server.run("doveadm sieve list -u %s", USER).stdout
        active = [line.split()[0] for line in listed.splitlines() if "ACTIVE" in line]
        return server.check("doveadm sieve get -u %s %s" % (USER, active[0])) if active else ""

    script = poll(active_script, timeout=30, interval=1, until=lambda text: "Away %s" % run_id in text,
                  what="wendy's active Sieve script with the vacation reply saved in the browser")
    assert "vacation" in script, script

    # A sender of its own (Sieve's vacation answers each sender once in its interval).
    other = "other-%s@peer.test" % run_id
    note = ("From: %s\nTo: %s\nSubject: while away %s\nMessage-ID: <away-%s@peer.test>\n\nhello\n"
            % (other, USER, run_id, run_id))
    assert peer.run("sendmail", "-oi", "-f", other, USER, stdin=note).returncode == 0
    auto = at_the_peer(peer, "^Subject: Away %s$" % re.escape(run_id), "wendy's vacation reply at the peer")
    assert re.search(r"(?mi)^Auto-Submitted: auto-replied", auto), auto[:1500]
    assert re.search(r"(?m)^To: .*%s" % re.escape(other), auto), auto[:1500]
    report("site-debian13 webmail (Chromium %s): logged in as %s, sent %r (at the peer, DKIM-signed), read the "
           "peer's answer (uid %s), vacation set in the browser answered the peer; screenshot %s"
           % (browser.capabilities.get("browserVersion"), USER, subject, uid, screenshot))


def test_the_webmail_serves_nothing_but_roundcube(hosts, peer):
    for name in ("site-debian13", "site-debian12"):
        server = hosts[name]
        host = server.vars["mail_hostname"]
        status, body = peer.https("https://%s/" % host)
        assert status == 200 and "rcmloginuser" in body, (name, status, body[:300])
        for path in ("/index.php?_task=login", "/plugins/managesieve/managesieve.php", "/program/include/iniset.php",
                     "/config/config.inc.php", "/.htaccess", "/.well-known/mta-sts.txt", "/installer/index.php",
                     "/SQL/sqlite.initial.sql", "/logs/errors.log"):
            status = peer.https("https://%s%s" % (host, path))[0]
            assert status == (200 if path.startswith("/index.php") else 404), (name, path, status)
        assert peer.https("http://%s/" % host)[0] == 301
        assert server.check("stat -c '%U:%G:%a' /etc/roundcube/config.inc.php /etc/roundcube/postmaster-des-key").split() == [
            "root:www-data:640", "root:www-data:640"]
        installed = server.run("dpkg-query -W -f '${Status} ${Package}\\n' apache2 libapache2-mod-php 2>/dev/null").stdout
        assert "ok installed" not in installed, installed


# curl in the peer from the lab client: the login page's token, then a login by the form.
FORM_LOGIN = r'''
set -e
jar=$(mktemp); page=$(mktemp)
curl -sS --max-time 20 --interface "$1" --cacert "$2" -c "$jar" -b "$jar" -o "$page" "https://$3/"
token=$(sed -n 's/.*name="_token" value="\([^"]*\)".*/\1/p' "$page" | head -1)
curl -sS --max-time 20 --interface "$1" --cacert "$2" -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}\n' \
  --data-urlencode "_token=$token" --data-urlencode "_task=login" --data-urlencode "_action=login" \
  --data-urlencode "_timezone=UTC" --data-urlencode "_user=$4" --data-urlencode "_pass=$5" "https://$3/?_task=login"
rm -f "$jar" "$page"
'''


def form_login(peer, server, password, user=None, address=CLIENT2):
    return peer.sh(FORM_LOGIN, address, ROOTS_PEM, server.vars["mail_hostname"], user or ("wendy@" + server.vars["site_domain"]),
                   password, timeout=60)


def test_a_guesser_at_the_webmail_is_banned_from_it(hosts, peer, report):
    good = form_login(peer, hosts["site-debian12"], "wendy-Secret-7")
    assert good.returncode == 0 and good.stdout.split()[0] == "302" and "_task=mail" in good.stdout, good
    server = hosts[HOST]
    mark = journal_mark(server)
    try:
        for attempt in range(server.vars.get("mail_ban_after_failures", 5)):
            said = form_login(peer, server, "wrong-guess-%d" % attempt)
            assert said.returncode == 0, said
        logged = journal_wait(server, mark, r"Failed login for wendy@site13\.test from %s" % re.escape(CLIENT2),
                              identifier="roundcube", timeout=30)
        poll(lambda: server.check("fail2ban-client status postmaster-roundcube"), timeout=60, interval=1,
             until=lambda text: CLIENT2 in text, what="%s banned by the postmaster-roundcube jail" % CLIENT2)
        time.sleep(1)
        refused = peer.curl("--interface", CLIENT2, "--cacert", ROOTS_PEM, "-o", "/dev/null", "--max-time", "8",
                            "https://%s/" % server.vars["mail_hostname"], timeout=15)
        assert refused.returncode != 0, refused
        # The peer (another address) still reaches it.
        assert peer.https("https://%s/" % server.vars["mail_hostname"])[0] == 200
    finally:
        server.run("fail2ban-client set postmaster-roundcube unbanip %s", CLIENT2)
    report("site-debian13 webmail guesser: %s; %s banned, https from it: curl exit %d; Debian 12 form login: %s"
           % (logged[0]["MESSAGE"][:110], CLIENT2, refused.returncode, good.stdout.strip()))
