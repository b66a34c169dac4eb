"""make bench: how long playbooks/site.yml takes, and how fast mail goes through the server it
builds, each against a floor measured the same way on the same machine in the same run.

    python tests/bench/bench.py        (the venv's python; `make bench` starts the lab first)

BENCH_RUNS (default 3) runs of each side, alternated (ours, floor, ours, floor, ...); every figure
is the median with min and max. Nothing here is a timed assertion: the bench fails only when
something is wrong (a converge fails, a rerun changes something, a hand edit is not repaired,
mail is lost or not signed).

P1  site.yml on a fresh bare Debian 13 container, over SSH, against apt-get update and
    apt-get install of exactly the packages that converge installed, on another fresh one.
P2  a no-op rerun of site.yml against a play that only gathers the same facts, over SSH with
    pipelining (as users run it), and over the podman connection for reference.
    A rerun must change nothing.
    Drift: main.cf edited by hand, site.yml again: it must be restored and reported as changed.
P3  smtp-source on the mail host to 127.0.0.1:25 (OpenDKIM signs) against a second smtpd on
    127.0.0.1:2525 without milters, both delivered by LMTP into the same Dovecot Maildir: rate
    from the first connection until the queue is empty.
P5  site.yml on three fresh bare containers at once (tests/bench/fleet.yml: a primary, its backup
    MX, a host sending through a smarthost) against apt-get update and install of each one's
    packages on three other fresh ones, the three at once.
P6  site.yml's fresh converge plus a no-op rerun with 1,000 users in 100 domains against the same
    with 10 users in 1 domain (users given as hashes, as a large site keeps them: a plain password
    costs one Argon2id hash on the controller per user and run: BENCH_P6_PLAIN=1 measures that apart).
Mitogen  P1 and P2 (SSH) again under Mitogen's mitogen_linear strategy, against the same floors:
    reference rows (BENCH_MITOGEN=0 leaves them out). Mitogen is not required by the collection.
Profile: a per-task time profile of the converge and the rerun (callback_plugins/bench_timing.py).

Results: bench-results/<UTC time>/ (bench.json with every sample, bench.md, logs/, profile/),
and bench-results/latest pointing at it. Only containers named postmaster-bench-* are touched.
"""

import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "bench"
BIN = Path(sys.executable).parent

IMAGE = "localhost/postmaster-lab/debian:13"
NETWORK = "postmaster-lab"
RESOLVER_IP = "10.47.25.54"
LAB_RESOLVER = "postmaster-lab-resolver"
PREFIX = "postmaster-bench-"
# The inventory's host (tests/bench/inventory.yml) and the floor's: addresses 10.47.25.80-89 only.
MAIL = ("postmaster-bench-mail", "10.47.25.80")
FLOOR = ("postmaster-bench-floor", "10.47.25.81")
HOSTNAME = "mail.bench.test"
SSH_KEY = ROOT / ".cache" / "lab" / "ssh" / "id_ed25519"
AUTHORIZED_KEYS = ROOT / ".cache" / "lab" / "ssh" / "authorized_keys"
SSH = ["ssh", "-i", str(SSH_KEY), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]

# P3: the mailbox of tests/bench/group_vars/mailservers.yml, and the listener without milters.
MAIL_USER = "bench@bench.test"
MAILDIR = "/var/vmail/bench.test/bench/Maildir"
UNSIGNED_PORT = 2525
P3_SESSIONS = int(os.environ.get("BENCH_P3_SESSIONS", "5"))
P3_MESSAGES = int(os.environ.get("BENCH_P3_MESSAGES", "1500"))
P3_LENGTH = int(os.environ.get("BENCH_P3_LENGTH", "2048"))

# P4: inbound mail from the lab's peer (outside mynetworks) to port 25, through postscreen and
# rspamd, against a second smtpd on the host's address without postscreen and without milters.
PEER = "postmaster-lab-peer"
P4_PLAIN_PORT = 2526
P4_SESSIONS = int(os.environ.get("BENCH_P4_SESSIONS", "5"))
P4_MESSAGES = int(os.environ.get("BENCH_P4_MESSAGES", "500"))
P4_SENDER = "bench@peer.test"

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# site.yml's default is RSA only; BENCH_ED25519=true measures the second OpenDKIM process too.
ED25519 = os.environ.get("BENCH_ED25519", "false") == "true"
MITOGEN = os.environ.get("BENCH_MITOGEN", "1") == "1"
# The targets of issue #14 (the first bench asked 1.3 and 2.5: still where this should go).
TARGETS = {"P1": ("<=", 2.0), "P2": ("<=", 4.0), "P3": (">=", 0.8), "P4": (">=", 0.5), "P5": ("<=", 2.0),
           "P6": ("<=", 1.5)}
# BENCH_ONLY=P5,P6 runs only those parts (P1 P2 drift P3 P4 P5 P6; default all).
ONLY = [part.strip() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()]
# P5: the fleet's containers (tests/bench/fleet.yml), and the floor's.
FLEET = [("postmaster-bench-primary", "10.47.25.82", "mail.bench.test"),
         ("postmaster-bench-backup", "10.47.25.83", "mx2.bench.test"),
         ("postmaster-bench-edge", "10.47.25.84", "mail.edge.bench.test")]
FLEET_FLOORS = [("postmaster-bench-floor%d" % number, "10.47.25.%d" % (85 + number), "floor%d.bench.test" % number)
                for number in range(3)]
FLEET_HOSTS = "fleet-primary,fleet-backup,fleet-edge"
# P6: users per domain and domains of each side.
P6_SIDES = {"ours": (100, 10), "floor": (1, 10)}
TOP = 15
# Hand edits the drift step makes before a rerun, which must undo every one of them.
DRIFT_FILES = ["/etc/postfix/main.cf", "/etc/dovecot/dovecot.conf", "/etc/postfix/virtual_alias",
               "/etc/opendkim/SigningTable"]
# Actions that run on the controller only (no module run on the host).
LOCAL_ACTIONS = {"ansible.builtin.assert", "ansible.builtin.debug", "ansible.builtin.set_fact", "ansible.builtin.fail",
                 "ansible.builtin.meta", "ansible.builtin.include_tasks", "ansible.builtin.import_tasks",
                 "ansible.builtin.include_role", "ansible.builtin.import_role", "ansible.builtin.validate_argument_spec",
                 "assert", "debug", "set_fact", "fail", "meta", "validate_argument_spec",
                 # The collection's actions that run in the controller's process only.
                 "postmaster.mail.role_check", "postmaster.mail.zone_files"}


class BenchError(Exception):
    """Something is wrong (not slow): the bench stops and says what."""


class Bench:
    """One bench run: its results directory, its samples, its log."""

    def __init__(self):
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.out = ROOT / "bench-results" / self.started.strftime("%Y%m%dT%H%M%SZ")
        self.clock = time.monotonic()
        self.results = {
            "started": self.started.isoformat(timespec="seconds"),
            "runs": RUNS,
            "status": "running",
            "machine": {},
            "figures": {},
            "samples": {"P1": [], "P2": [], "P3": [], "P4": [], "P5": [], "P6": []},
        }

    # --- helpers -----------------------------------------------------------------------------
    def log(self, message):
        print("[bench %5.0fs] %s" % (time.monotonic() - self.clock, message), file=sys.stderr, flush=True)

    def rel(self, path):
        return str(Path(path).relative_to(self.out))

    @staticmethod
    def run(argv, check=True, **kwargs):
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        proc = subprocess.run(argv, text=True, check=False, **kwargs)
        if check and proc.returncode != 0:
            raise BenchError("%s: exit %d\n%s%s" % (shlex.join(argv), proc.returncode, proc.stdout or "", proc.stderr or ""))
        return proc

    def podman(self, *args, check=True, **kwargs):
        return self.run(["podman", *args], check=check, **kwargs)

    def sh(self, container, script, check=True):
        """A shell command on a container, through podman exec (never timed)."""
        return self.podman("exec", container, "bash", "-c", script, check=check).stdout

    def ssh(self, ip, script, **kwargs):
        return self.run([*SSH, "root@" + ip, script], **kwargs)

    # --- containers --------------------------------------------------------------------------
    def remove_containers(self):
        names = self.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
        for name in names:
            if name.startswith(PREFIX):
                self.podman("rm", "-f", "-t", "2", name, check=False)

    def remove(self, container):
        self.podman("rm", "-f", "-t", "2", container[0], check=False)

    def start(self, container):
        """A fresh bare Debian 13 host, booted, reachable over SSH (none of this is timed)."""
        name, ip = container[:2]
        hostname = container[2] if len(container) > 2 else HOSTNAME
        self.remove(container)
        self.podman("run", "-d", "--name", name, "--hostname", hostname, "--network", NETWORK, "--ip", ip,
                    "--dns", RESOLVER_IP, "--systemd=always", "--cap-add", "NET_ADMIN",
                    "-v", "%s:/root/.ssh/authorized_keys:ro" % AUTHORIZED_KEYS, IMAGE, "/sbin/init")
        deadline = time.monotonic() + 120
        while self.ssh(ip, "systemctl is-system-running --wait", check=False).returncode == 255:
            if time.monotonic() > deadline:
                raise BenchError("%s (%s) is not reachable over SSH after 120 s" % (name, ip))
            time.sleep(0.5)
        # The image empties /var/lib/apt/lists when it is built, which sets the directory's mtime;
        # the roles' apt tasks (cache_valid_time: 3600) take that for a fresh cache and fail to find
        # the packages within an hour of an image build. Age it, as on any host whose image is older.
        self.sh(name, "touch -d '1 day ago' /var/lib/apt/lists")

    @staticmethod
    def floor_script(packages):
        """The apt floor: what site.yml's package step does, and nothing else (P1, P5)."""
        return ("set -e; echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections;"
                " apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
                + " ".join(packages))

    def installed(self, container):
        out = self.sh(container[0], "dpkg-query -W -f '${db:Status-Status} ${Package}\\n'")
        return {line.split()[1] for line in out.splitlines() if line.startswith("installed ")}

    # --- ansible -----------------------------------------------------------------------------
    @staticmethod
    def mitogen_env():
        """The environment that runs a playbook under Mitogen's linear strategy (ansible_mitogen is
        in the venv: requirements/test.in). Mitogen reads no ssh_common_args for host keys: the lab's
        containers are new at every start, so host key checking is off for it as for plain SSH."""
        import ansible_mitogen  # pylint: disable=import-outside-toplevel
        return {"ANSIBLE_STRATEGY_PLUGINS": str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"),
                "ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_HOST_KEY_CHECKING": "False"}

    def playbook(self, label, playbook, limit, mitogen=False, inventory=None, extra_vars=None, records="dns-records"):
        """ansible-playbook as a user runs it, timed from the controller, with the profile.
        limit: one host, or several separated by commas (each must succeed); the recap is the first's."""
        profile = self.out / "profile" / (label + ".json")
        logfile = self.out / "logs" / (label + ".log")
        with tempfile.TemporaryDirectory(prefix="bench-cp-", dir="/tmp") as control:
            env = dict(os.environ,
                       ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
                       ANSIBLE_CALLBACKS_ENABLED="bench_timing",
                       BENCH_TIMING_FILE=str(profile),
                       # a fresh SSH master per run, so every run pays one connection setup
                       ANSIBLE_SSH_CONTROL_PATH_DIR=control, **(self.mitogen_env() if mitogen else {}))
            argv = [str(BIN / "ansible-playbook"), "-i", str(inventory or HERE / "inventory.yml"), "--limit", limit,
                    "-e", "mail_dns_records_dir=%s" % (self.out / records),
                    "-e", "mail_dkim_ed25519=%s" % str(ED25519).lower()]
            argv += ["-e", "@%s" % extra_vars] if extra_vars else []
            argv.append(str(playbook))
            with open(logfile, "w") as handle:
                start = time.monotonic()
                proc = subprocess.run(argv, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, check=False)
                seconds = time.monotonic() - start
            for socket in Path(control).iterdir():
                self.run(["ssh", "-o", "ControlPath=%s" % socket, "-O", "exit", "bench"], check=False)
        data = json.loads(profile.read_text()) if profile.exists() else {}
        recaps = {host: data.get("recap", {}).get(host, {}) for host in limit.split(",")}
        recap = recaps[limit.split(",")[0]]
        if proc.returncode != 0 or any(r.get("failures") or r.get("unreachable") or not r for r in recaps.values()):
            raise BenchError("%s: ansible-playbook failed (exit %d, recap %s); see %s"
                             % (label, proc.returncode, recaps, logfile))
        return {"seconds": round(seconds, 3), "recap": recap, "recaps": recaps, "tasks_seconds": data.get("tasks_seconds"),
                "changed_tasks": sorted({"%s: %s" % (t["role"] or "(play)", t["task"])
                                         for t in data.get("tasks", []) if t["changed"]}),
                "log": self.rel(logfile), "profile": self.rel(profile)}

    # --- P1 ----------------------------------------------------------------------------------
    def p1(self):
        packages = None
        for run in range(1, RUNS + 1):
            self.log("P1 run %d/%d, ours: site.yml on a fresh container" % (run, RUNS))
            self.start(MAIL)
            before = self.installed(MAIL)
            sample = self.playbook("p1-converge-%d" % run, ROOT / "playbooks" / "site.yml", "bench-ssh")
            added = sorted(self.installed(MAIL) - before)
            sample.update(side="ours", run=run, packages_installed=len(added))
            self.results["samples"]["P1"].append(sample)
            self.log("  %.1f s, %d packages installed, changed=%d"
                     % (sample["seconds"], len(added), sample["recap"]["changed"]))
            if packages is None:
                packages = added
                self.results["p1_packages"] = packages
            elif added != packages:
                self.log("  note: this converge installed a different set: +%s -%s"
                         % (sorted(set(added) - set(packages)), sorted(set(packages) - set(added))))

            if MITOGEN:
                self.log("P1 run %d/%d, Mitogen (reference): site.yml on a fresh container" % (run, RUNS))
                self.start(MAIL)
                sample = self.playbook("p1-mitogen-converge-%d" % run, ROOT / "playbooks" / "site.yml", "bench-ssh",
                                       mitogen=True)
                sample.update(side="mitogen", run=run)
                self.results["samples"]["P1"].append(sample)
                self.log("  %.1f s, changed=%d" % (sample["seconds"], sample["recap"]["changed"]))

            self.log("P1 run %d/%d, floor: apt-get update + install of those %d packages" % (run, RUNS, len(packages)))
            self.start(FLOOR)
            before = self.installed(FLOOR)
            script = self.floor_script(packages)
            logfile = self.out / "logs" / ("p1-floor-%d.log" % run)
            with open(logfile, "w") as handle:
                start = time.monotonic()
                proc = self.ssh(FLOOR[1], script, check=False, stdout=handle, stderr=subprocess.STDOUT)
                seconds = time.monotonic() - start
            if proc.returncode != 0:
                raise BenchError("P1 floor: apt-get failed (exit %d); see %s" % (proc.returncode, logfile))
            same = sorted(self.installed(FLOOR) - before) == packages
            self.results["samples"]["P1"].append({"side": "floor", "run": run, "seconds": round(seconds, 3),
                                                  "same_packages": same, "log": self.rel(logfile)})
            self.log("  %.1f s%s" % (seconds, "" if same else " (the installed set differs from the converge's)"))
            self.remove(FLOOR)
        self.figure("P1", "P1 fresh converge (s)", "P1", "ours", "floor", "s")
        if MITOGEN:
            self.figure("P1-mitogen", "P1 fresh converge under Mitogen (s, reference)", "P1", "mitogen", "floor", "s")

    # --- P2 and drift --------------------------------------------------------------------------
    def p2(self):
        site = ROOT / "playbooks" / "site.yml"
        for connection in ("ssh", "podman"):
            for run in range(1, RUNS + 1):
                self.log("P2 %s run %d/%d: site.yml rerun, then facts only" % (connection, run, RUNS))
                ours = self.playbook("p2-%s-rerun-%d" % (connection, run), site, "bench-" + connection)
                ours.update(side="ours", connection=connection, run=run)
                self.results["samples"]["P2"].append(ours)
                if ours["recap"]["changed"] != 0:
                    raise BenchError("P2: the no-op rerun over %s changed %d tasks: %s; see %s"
                                     % (connection, ours["recap"]["changed"], "; ".join(ours["changed_tasks"]), ours["log"]))
                floor = self.playbook("p2-%s-facts-%d" % (connection, run), HERE / "facts.yml", "bench-" + connection)
                floor.update(side="floor", connection=connection, run=run)
                self.results["samples"]["P2"].append(floor)
                self.log("  rerun %.1f s (changed=0), facts %.1f s" % (ours["seconds"], floor["seconds"]))
                if MITOGEN and connection == "ssh":
                    fast = self.playbook("p2-ssh-mitogen-rerun-%d" % run, site, "bench-ssh", mitogen=True)
                    fast.update(side="mitogen", connection=connection, run=run)
                    self.results["samples"]["P2"].append(fast)
                    if fast["recap"]["changed"] != 0:
                        raise BenchError("P2: the no-op rerun under Mitogen changed %d tasks: %s; see %s"
                                         % (fast["recap"]["changed"], "; ".join(fast["changed_tasks"]), fast["log"]))
                    self.log("  rerun under Mitogen %.1f s (changed=0)" % fast["seconds"])
        self.figure("P2", "P2 no-op rerun, SSH (s)", "P2", "ours", "floor", "s", connection="ssh")
        if MITOGEN:
            self.figure("P2-mitogen", "P2 no-op rerun, SSH under Mitogen (s, reference)", "P2", "mitogen", "floor", "s",
                        connection="ssh")
        self.figure("P2-podman", "P2 no-op rerun, podman connection (s, reference)", "P2", "ours", "floor", "s",
                    connection="podman")

    def drift(self):
        name = MAIL[0]
        self.log("Drift: %s edited by hand, then site.yml" % ", ".join(DRIFT_FILES))
        checksums = "sha256sum %s && postconf -nh smtpd_banner" % " ".join(DRIFT_FILES)
        before = self.sh(name, checksums)
        self.sh(name, "postconf -e 'smtpd_banner = $myhostname ESMTP edited by hand'"
                      " && for f in %s; do echo '# edited by hand' >> \"$f\"; done" % " ".join(DRIFT_FILES))
        edited = self.sh(name, checksums)
        run = self.playbook("drift-rerun", ROOT / "playbooks" / "site.yml", "bench-ssh")
        after = self.sh(name, checksums)
        changed_by_hand = [line.split()[1] for line, was in zip(edited.splitlines(), before.splitlines()) if line != was
                           and len(line.split()) == 2]
        restored = after == before and sorted(changed_by_hand) == sorted(DRIFT_FILES)
        passed = restored and run["recap"]["changed"] > 0
        self.results["drift"] = {"passed": passed, "restored": restored, "files": DRIFT_FILES, "before": before,
                                 "edited": edited, "after": after, "rerun": run}
        self.log("  %s: %s, rerun changed=%d (%s), %.1f s"
                 % ("pass" if passed else "FAIL", "all restored" if restored else "NOT restored", run["recap"]["changed"],
                    "; ".join(run["changed_tasks"]), run["seconds"]))
        if not passed:
            raise BenchError("Drift: a hand edit was not undone or the rerun reported no change: %s"
                             % json.dumps(self.results["drift"]))

    # --- P5 ----------------------------------------------------------------------------------
    def p5(self):
        packages = None
        for run in range(1, RUNS + 1):
            self.log("P5 run %d/%d, ours: site.yml on three fresh containers at once" % (run, RUNS))
            for container in FLEET:
                self.start(container)
            before = {container[0]: self.installed(container) for container in FLEET}
            sample = self.playbook("p5-converge-%d" % run, ROOT / "playbooks" / "site.yml", FLEET_HOSTS,
                                   inventory=HERE / "fleet.yml", records="dns-records-p5-%d" % run)
            added = {container[0]: sorted(self.installed(container) - before[container[0]]) for container in FLEET}
            sample.update(side="ours", run=run, packages_installed={name: len(names) for name, names in added.items()})
            self.results["samples"]["P5"].append(sample)
            self.log("  %.1f s, packages installed %s" % (sample["seconds"], sample["packages_installed"]))
            packages = packages or added
            self.log("P5 run %d/%d, floor: apt-get update + install of each host's packages, three at once" % (run, RUNS))
            for floor in FLEET_FLOORS:
                self.start(floor)
            procs = []
            start = time.monotonic()
            for floor, (name, _ip, _hostname) in zip(FLEET_FLOORS, FLEET):
                logfile = self.out / "logs" / ("p5-floor-%d-%s.log" % (run, floor[0]))
                script = self.floor_script(packages[name])
                handle = open(logfile, "w")  # pylint: disable=consider-using-with  # closed below
                procs.append((subprocess.Popen([*SSH, "root@" + floor[1], script], stdout=handle, stderr=subprocess.STDOUT),
                              handle, logfile))
            codes = []
            for proc, handle, logfile in procs:
                codes.append(proc.wait())
                handle.close()
            seconds = time.monotonic() - start
            if any(codes):
                raise BenchError("P5 floor: apt-get failed (exits %s); see %s" % (codes, [str(p[2]) for p in procs]))
            self.results["samples"]["P5"].append({"side": "floor", "run": run, "seconds": round(seconds, 3)})
            self.log("  %.1f s" % seconds)
            for container in FLEET + FLEET_FLOORS:
                self.remove(container)
        self.results["p5_packages"] = packages
        self.figure("P5", "P5 fresh converge of three hosts at once (s)", "P5", "ours", "floor", "s")

    # --- P6 ----------------------------------------------------------------------------------
    def p6_vars(self, side, plain=False):
        """The extra-vars file of one side: its domains and users (hashes unless plain)."""
        domains, per_domain = P6_SIDES[side]
        sys.path.insert(0, str(ROOT / ".cache" / "collections"))
        from ansible_collections.postmaster.mail.plugins.module_utils import _shacrypt  # pylint: disable=import-outside-toplevel
        digest = "{SHA512-CRYPT}" + _shacrypt.sha512_crypt("bench-Pass-1", "benchsaltbench01")
        names = ["bench.test"] + ["d%03d.bench.test" % number for number in range(1, domains)]
        users = [dict({"address": "u%02d@%s" % (number, domain)},
                      **({"password": "bench-Pass-%02d-x" % number} if plain else {"password_hash": digest}))
                 for domain in names for number in range(per_domain)]
        path = self.out / ("p6-%s%s.json" % (side, "-plain" if plain else ""))
        # (The web names of 100 domains are 300: past a certificate's 100, further certificates.)
        path.write_text(json.dumps({"mail_domains": names, "mail_users": users, "mail_aliases": []}))
        return path, len(names), len(users)

    def p6(self):
        for run in range(1, RUNS + 1):
            for side in ("ours", "floor"):
                path, domains, users = self.p6_vars(side)
                self.log("P6 run %d/%d, %s: %d users in %d domains, fresh converge then a no-op rerun"
                         % (run, RUNS, side, users, domains))
                self.start(MAIL)
                records = "dns-records-p6-%s-%d" % (side, run)
                converge = self.playbook("p6-%s-converge-%d" % (side, run), ROOT / "playbooks" / "site.yml", "bench-ssh",
                                         extra_vars=path, records=records)
                rerun = self.playbook("p6-%s-rerun-%d" % (side, run), ROOT / "playbooks" / "site.yml", "bench-ssh",
                                      extra_vars=path, records=records)
                if rerun["recap"]["changed"] != 0:
                    raise BenchError("P6: the no-op rerun (%s) changed %d tasks: %s; see %s"
                                     % (side, rerun["recap"]["changed"], "; ".join(rerun["changed_tasks"]), rerun["log"]))
                self.results["samples"]["P6"].append({
                    "side": side, "run": run, "users": users, "domains": domains, "seconds": round(converge["seconds"] + rerun["seconds"], 3),
                    "converge": converge["seconds"], "rerun": rerun["seconds"], "logs": [converge["log"], rerun["log"]]})
                self.results["samples"]["P6"].append(dict(converge, side=side + "-converge", run=run))
                self.results["samples"]["P6"].append(dict(rerun, side=side + "-rerun", run=run))
                self.log("  converge %.1f s, rerun %.1f s (changed=0)" % (converge["seconds"], rerun["seconds"]))
        self.figure("P6", "P6 converge + no-op rerun, 1,000 users in 100 domains / 10 users in 1 domain (s)", "P6",
                    "ours", "floor", "s")
        self.figure("P6-converge", "P6 fresh converge alone (s, reference)", "P6", "ours-converge", "floor-converge", "s")
        self.figure("P6-rerun", "P6 no-op rerun alone (s, reference)", "P6", "ours-rerun", "floor-rerun", "s")
        # Plain passwords (BENCH_P6_PLAIN=1): the same big side once, its rerun hashing every password on the controller.
        if os.environ.get("BENCH_P6_PLAIN", "0") != "1":
            self.remove(MAIL)
            return
        path, domains, users = self.p6_vars("ours", plain=True)
        self.log("P6 plain: %d users with plain passwords, a no-op rerun (reference)" % users)
        self.playbook("p6-plain-converge", ROOT / "playbooks" / "site.yml", "bench-ssh", extra_vars=path, records="dns-records-p6-plain")
        plain = self.playbook("p6-plain-rerun", ROOT / "playbooks" / "site.yml", "bench-ssh", extra_vars=path,
                              records="dns-records-p6-plain")
        self.results["p6_plain_rerun"] = {"users": users, "seconds": plain["seconds"], "changed": plain["recap"]["changed"],
                                          "log": plain["log"]}
        self.log("  rerun %.1f s, changed=%d" % (plain["seconds"], plain["recap"]["changed"]))
        self.remove(MAIL)

    # --- P3 ----------------------------------------------------------------------------------
    def p3(self):
        name = MAIL[0]
        self.log("P3: a listener without milters on 127.0.0.1:%d" % UNSIGNED_PORT)
        service = "127.0.0.1:%d/inet" % UNSIGNED_PORT
        self.sh(name, "postconf -M '%s=127.0.0.1:%d inet n - y - - smtpd'"
                      " && postconf -P '%s/smtpd_milters=' '%s/non_smtpd_milters=' '%s/smtpd_milter_maps='"
                      " && postfix reload"
                % (service, UNSIGNED_PORT, service, service, service))
        self.sh(name, "for i in $(seq 50); do ss -ltn | grep -q '127.0.0.1:%d ' && exit 0; sleep 0.2; done; exit 1"
                % UNSIGNED_PORT)
        self.results["p3_setup"] = {
            "service": self.sh(name, "postconf -M '%s'" % service).strip(),
            "options": self.sh(name, "postconf -P '%s'" % service).strip(),
            "milters_port_25": self.sh(name, "postconf -h smtpd_milters").strip(),
            "sessions": P3_SESSIONS, "messages": P3_MESSAGES, "length": P3_LENGTH,
        }
        # Warm both paths (processes spawned, keys loaded), then time them alternately.
        for port in (25, UNSIGNED_PORT):
            self.throughput(port, 20)
        for run in range(1, RUNS + 1):
            for side, port in (("ours", 25), ("floor", UNSIGNED_PORT)):
                sample = self.throughput(port, P3_MESSAGES)
                expected = P3_MESSAGES if side == "ours" else 0
                sample.update(side=side, run=run, port=port)
                self.results["samples"]["P3"].append(sample)
                self.log("P3 run %d/%d, %s (port %d): %d messages in %.1f s, %.1f msg/s, %d signed, %d deferred on the way"
                         % (run, RUNS, "signed" if side == "ours" else "unsigned", port, P3_MESSAGES,
                            sample["seconds"], sample["rate"], sample["signed"], sample["deferred"]))
                if sample["signed"] != expected or sample["ed25519"] != (expected if ED25519 else 0):
                    raise BenchError("P3: of %d messages through port %d, %d carry a DKIM-Signature (%d an Ed25519 one),"
                                     " expected %d" % (sample["delivered"], port, sample["signed"], sample["ed25519"], expected))
        self.figure("P3", "P3 mail throughput, signed / unsigned (msg/s)", "P3", "ours", "floor", "msg/s", value="rate")

    def throughput(self, port, messages):
        name = MAIL[0]
        self.sh(name, "rm -rf %s; until [ -z \"$(postqueue -j)\" ]; do sleep 0.2; done" % MAILDIR)
        args = [str(port), str(P3_SESSIONS), str(messages), str(P3_LENGTH), MAIL_USER, MAIL_USER, MAILDIR]
        with open(HERE / "throughput.sh") as script:
            out = self.podman("exec", "-i", name, "bash", "-s", "--", *args, stdin=script).stdout
        data = json.loads(out.strip().splitlines()[-1])
        if data["delivered"] != messages:
            raise BenchError("P3: sent %d messages to port %d, %d arrived in %s" % (messages, port, data["delivered"], MAILDIR))
        seconds = data["drained"] - data["start"]
        return {"seconds": round(seconds, 3), "submit_seconds": round(data["submitted"] - data["start"], 3),
                "messages": messages, "delivered": data["delivered"], "signed": data["signed"], "ed25519": data["ed25519"],
                "deferred": data["deferred"],
                "rate": round(messages / seconds, 2)}

    # --- P4 ----------------------------------------------------------------------------------
    def p4(self):
        name, address = MAIL
        self.log("P4: a listener on %s:%d without postscreen and without milters" % (address, P4_PLAIN_PORT))
        service = "%s:%d/inet" % (address, P4_PLAIN_PORT)
        self.sh(name, "postconf -M '%s=%s:%d inet n - y - - smtpd'"
                      " && postconf -P '%s/smtpd_milters=' '%s/non_smtpd_milters=' '%s/smtpd_milter_maps='"
                      " && postfix reload"
                % (service, address, P4_PLAIN_PORT, service, service, service))
        self.sh(name, "for i in $(seq 50); do ss -ltn | grep -q '%s:%d ' && exit 0; sleep 0.2; done; exit 1" % (address, P4_PLAIN_PORT))
        # rspamd compiles its rules at its first start: wait for its milter.
        self.sh(name, "for i in $(seq 300); do ss -Hlnt 'sport = :11332' | grep -q . && exit 0; sleep 1; done; exit 1")
        self.results["p4_setup"] = {
            "service": self.sh(name, "postconf -M '%s'" % service).strip(),
            "smtp_25": self.sh(name, "postconf -M smtp/inet").strip(),
            "milters_port_25": self.sh(name, "postconf -h smtpd_milters").strip(),
            "sessions": P4_SESSIONS, "messages": P4_MESSAGES, "length": P3_LENGTH, "client": PEER,
        }
        # Warm both paths (postscreen lets the peer through after its first pregreet wait).
        for port in (25, P4_PLAIN_PORT):
            self.inbound(port, 20)
        for run in range(1, RUNS + 1):
            for side, port in (("ours", 25), ("floor", P4_PLAIN_PORT)):
                sample = self.inbound(port, P4_MESSAGES)
                sample.update(side=side, run=run, port=port)
                self.results["samples"]["P4"].append(sample)
                self.log("P4 run %d/%d, %s (port %d): %d messages in %.1f s, %.1f msg/s, %d delivered (%d in Junk)"
                         % (run, RUNS, "filtered" if side == "ours" else "plain", port, P4_MESSAGES, sample["seconds"],
                            sample["rate"], sample["delivered"], sample["junk"]))
        self.figure("P4", "P4 inbound throughput, filtered / plain (msg/s)", "P4", "ours", "floor", "msg/s", value="rate")
        self.results["p4_memory_kib"] = self.memory(name)

    def inbound(self, port, messages):
        """smtp-source in the peer to the mail host's port; timed until the host's queue is empty;
        every message must be delivered (INBOX or Junk)."""
        name, address = MAIL
        self.sh(name, "rm -rf %s; until [ -z \"$(postqueue -j)\" ]; do sleep 0.2; done" % MAILDIR)
        start = time.monotonic()
        self.podman("exec", PEER, "smtp-source", "-s", str(P4_SESSIONS), "-m", str(messages), "-l", str(P3_LENGTH),
                    "-f", P4_SENDER, "-t", MAIL_USER, "%s:%d" % (address, port))
        self.sh(name, "until [ -z \"$(postqueue -j)\" ]; do sleep 0.1; done")
        seconds = time.monotonic() - start
        counts = self.sh(name, "find %s/new %s/cur -type f 2>/dev/null | wc -l; find %s/.Junk/new %s/.Junk/cur -type f 2>/dev/null"
                               " | wc -l" % (MAILDIR, MAILDIR, MAILDIR, MAILDIR)).split()
        inbox, junk = int(counts[0]), int(counts[1])
        if inbox + junk != messages:
            raise BenchError("P4: sent %d messages to port %d, %d arrived (%d in Junk)" % (messages, port, inbox + junk, junk))
        return {"seconds": round(seconds, 3), "messages": messages, "delivered": inbox + junk, "junk": junk,
                "rate": round(messages / seconds, 2)}

    def memory(self, name):
        """Resident memory (KiB, summed over each service's processes) of rspamd, Redis and Unbound."""
        script = ("for u in rspamd redis-server unbound; do t=0; for p in $(cat /sys/fs/cgroup/systemd/system.slice/$u.service/cgroup.procs"
                  " 2>/dev/null || systemctl show -p MainPID --value $u); do r=$(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null);"
                  " t=$((t + ${r:-0})); done; echo $u $t; done")
        return dict((unit, int(kib)) for unit, kib in (line.split() for line in self.sh(name, script).splitlines()))

    # --- figures and the report ------------------------------------------------------------------
    def figure(self, key, title, samples, ours, floor, unit, connection=None, value="seconds"):
        def stats(side):
            values = [s[value] for s in self.results["samples"][samples]
                      if s["side"] == side and (connection is None or s.get("connection") == connection)]
            return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values), "values": values}
        fig = {"title": title, "unit": unit, "ours": stats(ours), "floor": stats(floor)}
        fig["ratio"] = round(fig["ours"]["median"] / fig["floor"]["median"], 3)
        if key in TARGETS:
            op, limit = TARGETS[key]
            fig["target"] = "%s %s" % ("≤" if op == "<=" else "≥", limit)
            fig["met"] = fig["ratio"] <= limit if op == "<=" else fig["ratio"] >= limit
            if key == "P2":
                fig["target"] += ", changed=0"
        self.results["figures"][key] = fig

    def machine(self):
        image = self.podman("image", "inspect", "--format", "{{.Id}}", IMAGE).stdout.strip()
        ansible = self.run([str(BIN / "ansible"), "--version"]).stdout.splitlines()[0]
        git = self.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=False).stdout.strip()
        dirty = self.run(["git", "-C", str(ROOT), "status", "--porcelain"], check=False).stdout.strip() != ""
        self.results["machine"] = {
            "nproc": os.cpu_count(),
            "load_average_start": os.getloadavg(),
            "kernel": platform.release(),
            "memory_kib": int(Path("/proc/meminfo").read_text().split()[1]),
            "podman": self.podman("version", "--format", "{{.Client.Version}}").stdout.strip(),
            "runc": self.run(["runc", "--version"], check=False).stdout.splitlines()[:1],
            "image": {"name": IMAGE, "id": image},
            "ansible": ansible,
            "python": platform.python_version(),
            "git": {"commit": git, "dirty": dirty},
        }

    def mail_versions(self):
        self.results["machine"]["mail_host"] = {
            "postfix": self.sh(MAIL[0], "postconf -h mail_version").strip(),
            "dovecot": self.sh(MAIL[0], "dovecot --version").strip(),
            "opendkim": self.sh(MAIL[0], "opendkim -V | head -1").strip(),
            "debian": self.sh(MAIL[0], "cat /etc/debian_version").strip(),
        }

    def profiles(self):
        """The converge and the rerun whose wall time is the median: slowest tasks, totals per role."""
        summary = {}
        for key, kind, prefix in (("converge", "P1", "p1-converge-"), ("rerun", "P2", "p2-ssh-rerun-")):
            runs = [s for s in self.results["samples"][kind] if s["side"] == "ours" and s["profile"].startswith("profile/" + prefix)]
            if not runs:
                continue
            median = sorted(runs, key=lambda s: s["seconds"])[(len(runs) - 1) // 2]
            tasks = json.loads((self.out / median["profile"]).read_text())["tasks"]
            summary[key] = {
                "profile": median["profile"], "wall_seconds": median["seconds"],
                "tasks_seconds": round(sum(t["seconds"] for t in tasks), 3), "tasks": len(tasks),
                "slowest": sorted(tasks, key=lambda t: -t["seconds"])[:TOP],
                "remote": self.remote_runs(tasks),
                "roles": self.totals(tasks, lambda t: t["role"] or "(site.yml)"),
                "actions": self.totals(tasks, lambda t: t["action"]),
            }
        self.results["profile"] = summary

    @staticmethod
    def remote_runs(tasks):
        """Module runs on the mail host: every task or loop item that is not skipped, not delegated
        to the controller, and not an action that runs on the controller only (a template or copy
        counts once, though it may take more than one round trip)."""
        return sum(task.get("items") or 1 for task in tasks
                   if task["status"] != "skipped" and not task.get("delegated") and task["action"] not in LOCAL_ACTIONS)

    @staticmethod
    def totals(tasks, key):
        """[count, seconds] per key, the largest first."""
        totals = {}
        for task in tasks:
            entry = totals.setdefault(key(task), [0, 0.0])
            entry[0] += 1
            entry[1] = round(entry[1] + task["seconds"], 3)
        return dict(sorted(totals.items(), key=lambda kv: -kv[1][1]))

    def markdown(self):
        lines = ["# make bench, %s" % self.results["started"], "",
                 "BENCH_RUNS=%d; each figure is the median (min–max) of the runs, the two sides alternated. "
                 "%d cores, podman %s, %s, image %s." % (self.results["runs"], self.results["machine"].get("nproc", 0),
                                                         self.results["machine"].get("podman", "?"),
                                                         self.results["machine"].get("ansible", "?"),
                                                         self.results["machine"].get("image", {}).get("id", "?")[:12]),
                 "", "| figure | ours median (min–max) | floor median (min–max) | ratio | target | met |",
                 "|---|---|---|---|---|---|"]
        for fig in self.results["figures"].values():
            def cell(side, fig=fig):
                return "%.2f (%.2f–%.2f)" % (fig[side]["median"], fig[side]["min"], fig[side]["max"])
            lines.append("| %s | %s | %s | %.2f | %s | %s |" % (
                fig["title"], cell("ours"), cell("floor"), fig["ratio"], fig.get("target", "reference"),
                ("yes" if fig["met"] else "no") if "met" in fig else "—"))
        if "drift" in self.results:
            drift = self.results["drift"]
            lines += ["", "Drift: %s edited by hand (a line appended to each, smtpd_banner changed), then site.yml: %s "
                      "(%s, the rerun reported changed=%d: %s)."
                      % (", ".join(DRIFT_FILES), "**pass**" if drift["passed"] else "**FAIL**",
                         "all restored" if drift["restored"] else "NOT restored",
                         drift["rerun"]["recap"]["changed"], "; ".join(drift["rerun"]["changed_tasks"]))]
        if "p1_packages" in self.results:
            lines += ["", "P1 floor: `apt-get update`, `apt-get install --no-install-recommends` of the %d packages the "
                      "converge installed: %s." % (len(self.results["p1_packages"]), " ".join(self.results["p1_packages"]))]
        if "p3_setup" in self.results:
            setup = self.results["p3_setup"]
            deferred = {side: sum(s["deferred"] for s in self.results["samples"]["P3"] if s["side"] == side)
                        for side in ("ours", "floor")}
            lines += ["", "P3: `smtp-source -s %d -m %d -l %d` on the mail host to 127.0.0.1:25 (milters: %s) and to "
                      "127.0.0.1:%d (`%s`), into one Dovecot Maildir by LMTP; timed until the queue is empty. "
                      "Messages deferred on the way and retried at once by the bench (`postqueue -f`): %d signed, "
                      "%d unsigned, over all runs."
                      % (setup["sessions"], setup["messages"], setup["length"], setup["milters_port_25"], UNSIGNED_PORT,
                         " ".join(setup["service"].split()), deferred["ours"], deferred["floor"])]
        if "p4_setup" in self.results:
            setup = self.results["p4_setup"]
            junk = sum(sample["junk"] for sample in self.results["samples"]["P4"])
            memory = self.results.get("p4_memory_kib", {})
            lines += ["", "P4: `smtp-source -s %d -m %d -l %d` in the lab's peer (outside mynetworks) to the host's port 25 "
                      "(`%s`, milters: %s) and to port %d (`%s`), into one Maildir; timed until the host's queue is empty, "
                      "every message delivered (%d into Junk over all runs). Resident memory after the runs: %s."
                      % (setup["sessions"], setup["messages"], setup["length"], " ".join(setup["smtp_25"].split()),
                         setup["milters_port_25"], P4_PLAIN_PORT, " ".join(setup["service"].split()), junk,
                         ", ".join("%s %.0f MiB" % (unit, kib / 1024) for unit, kib in memory.items()))]
        for key, prof in self.results.get("profile", {}).items():
            what = "fresh converge" if key == "converge" else "no-op rerun over SSH"
            lines += ["", "## Profile of the %s (%s)" % (what, prof["profile"]), "",
                      "Wall %.1f s; the %d tasks' own times (start to result on the host, loops included) add up to "
                      "%.1f s; %d module runs on the mail host."
                      % (prof["wall_seconds"], prof["tasks"], prof["tasks_seconds"], prof["remote"]), "",
                      "| seconds | role | task | items | changed |", "|---|---|---|---|---|"]
            for task in prof["slowest"]:
                name = task["task"] + (" (handler)" if task["handler"] else "")
                cells = (task["seconds"], task["role"] or "(site.yml)", name, task.get("items") or "", "yes" if task["changed"] else "")
                lines.append("| %.2f | %s | %s | %s | %s |" % cells)
            lines += ["", "| role | tasks | seconds |", "|---|---|---|"]
            lines += ["| %s | %d | %.2f |" % (role, count, seconds) for role, (count, seconds) in prof["roles"].items()]
            lines += ["", "| module | tasks | seconds |", "|---|---|---|"]
            lines += ["| %s | %d | %.2f |" % (action, count, seconds) for action, (count, seconds) in prof["actions"].items()]
        if self.results.get("error"):
            lines += ["", "**The bench failed:** %s" % self.results["error"]]
        return "\n".join(lines) + "\n"

    def write(self):
        self.results["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.results["machine"]["load_average_end"] = os.getloadavg()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "bench.json").write_text(json.dumps(self.results, indent=1) + "\n")
        text = self.markdown()
        (self.out / "bench.md").write_text(text)
        latest = self.out.parent / "latest"
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(self.out.name)
        print("\n" + text)
        print("Results: %s (and bench-results/latest)" % self.out.relative_to(ROOT))

    def main(self):
        for sub in ("logs", "profile"):
            (self.out / sub).mkdir(parents=True)
        for path in (SSH_KEY, AUTHORIZED_KEYS):
            if not path.exists():
                raise BenchError("%s is missing: run make lab" % path)
        if self.podman("inspect", "--format", "{{.State.Running}}", LAB_RESOLVER, check=False).stdout.strip() != "true":
            raise BenchError("the lab is not running (%s): run make lab" % LAB_RESOLVER)
        self.machine()
        self.log("results in %s; BENCH_RUNS=%d (about %d minutes on 2 cores)" % (self.out.relative_to(ROOT), RUNS, 1 + (7 if MITOGEN else 5) * RUNS))
        self.remove_containers()
        for part, step in (("P1", self.p1), ("P2", self.p2), ("drift", self.drift), ("P3", self.p3), ("P4", self.p4),
                           ("P5", self.p5), ("P6", self.p6)):
            if not ONLY or part in ONLY:
                step()
            if part == "P1" and (not ONLY or part in ONLY):
                self.mail_versions()


def main():
    bench = Bench()
    code = 0
    try:
        bench.main()
        bench.results["status"] = "done"
    except BenchError as error:
        bench.results.update(status="failed", error=str(error))
        code = 1
    except KeyboardInterrupt:
        bench.results.update(status="interrupted", error="interrupted")
        code = 130
    finally:
        bench.remove_containers()
    bench.profiles()
    bench.write()
    if code:
        print("make bench FAILED: %s" % bench.results["error"], file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
