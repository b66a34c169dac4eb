"""systemd's answers about a service's units, as the configuration modules report them."""

from ansible_collections.postmaster.mail.plugins.module_utils import _units


def test_only_active_and_enabled_is_ready():
    states = _units.parse_states(["postfix.service", "dovecot.service", "opendkim.service"],
                                 "active\ninactive\nactivating\n", "enabled\nenabled\nstatic\n")
    assert states["postfix.service"] == {"active": True, "enabled": True, "ready": True}
    assert states["dovecot.service"] == {"active": False, "enabled": True, "ready": False}
    assert states["opendkim.service"] == {"active": False, "enabled": False, "ready": False}


def test_a_unit_systemctl_says_nothing_about_is_not_ready():
    states = _units.parse_states(["a.service", "b.service"], "active\n", "")
    assert not states["a.service"]["ready"]
    assert states["b.service"] == {"active": False, "enabled": False, "ready": False}


class FakeModule:
    def __init__(self, systemctl="/usr/bin/systemctl"):
        self.systemctl = systemctl
        self.commands = []

    def get_bin_path(self, name):
        return self.systemctl if name == "systemctl" else None

    def run_command(self, argv):
        self.commands.append(argv)
        return (3, "active\nfailed\n", "") if argv[1] == "is-active" else (1, "enabled\ndisabled\n", "")


def test_two_calls_whatever_the_number_of_units():
    module = FakeModule()
    states = _units.unit_states(module, ["a.service", "b.service"])
    assert module.commands == [["/usr/bin/systemctl", "is-active", "a.service", "b.service"],
                               ["/usr/bin/systemctl", "is-enabled", "a.service", "b.service"]]
    assert states["a.service"]["ready"] and not states["b.service"]["ready"]


def test_no_units_no_call_and_no_systemctl_nothing_ready():
    module = FakeModule()
    assert _units.unit_states(module, []) == {} and module.commands == []
    assert _units.unit_states(FakeModule(systemctl=None), ["a.service"])["a.service"]["ready"] is False


LIB = "/usr/lib/systemd/system/"
ETC = "/etc/systemd/system/"


def test_systemd_reads_again_a_changed_unit_file_or_one_it_never_read():
    units = ["postfix.service", "opendkim.service", "opendkim-ed25519.service"]
    out = ("NeedDaemonReload=no\nLoadState=loaded\nFragmentPath=%spostfix.service\nDropInPaths=\n\n"
           "NeedDaemonReload=yes\nLoadState=loaded\nFragmentPath=%sopendkim.service\nDropInPaths=\n\n"
           "NeedDaemonReload=no\nLoadState=not-found\nFragmentPath=\nDropInPaths=\n") % (LIB, ETC)
    shown = _units.parse_show(units, out)
    assert shown["postfix.service"]["FragmentPath"] == LIB + "postfix.service"
    on_disk = {"postfix.service": (LIB + "postfix.service", set()), "opendkim.service": (ETC + "opendkim.service", set()),
               "opendkim-ed25519.service": (ETC + "opendkim-ed25519.service", set())}
    assert _units.needs_daemon_reload(shown, on_disk) == ["opendkim.service", "opendkim-ed25519.service"]
    # systemctl said nothing of a unit: read again rather than start a stale one.
    assert _units.needs_daemon_reload(_units.parse_show(["a.service"], ""), {}) == ["a.service"]


def test_a_new_override_in_etc_or_a_new_drop_in_is_noticed_though_systemd_does_not_say_so():
    out = "NeedDaemonReload=no\nLoadState=loaded\nFragmentPath=%sopendkim.service\nDropInPaths=\n" % LIB
    shown = _units.parse_show(["opendkim.service"], out)
    assert _units.needs_daemon_reload(shown, {"opendkim.service": (LIB + "opendkim.service", set())}) == []
    assert _units.needs_daemon_reload(shown, {"opendkim.service": (ETC + "opendkim.service", set())}) == ["opendkim.service"]
    dropin = {ETC + "opendkim.service.d/override.conf"}
    assert _units.needs_daemon_reload(shown, {"opendkim.service": (LIB + "opendkim.service", dropin)}) == ["opendkim.service"]
    loaded = _units.parse_show(["opendkim.service"], out.replace("DropInPaths=", "DropInPaths=" + ETC + "opendkim.service.d/override.conf"))
    assert _units.needs_daemon_reload(loaded, {"opendkim.service": (LIB + "opendkim.service", dropin)}) == []


def test_the_start_plan_leaves_a_ready_unit_alone():
    states = _units.parse_states(["postfix.service", "dovecot.service", "opendkim.service"],
                                 "active\ninactive\nactive\n", "enabled\nenabled\ndisabled\n")
    assert _units.start_plan(states) == (["dovecot.service"], ["opendkim.service"])
