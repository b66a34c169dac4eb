"""Stand-in for the get-pip.py that ansible-test downloads from a host unreachable here.

ansible-test runs it in a fresh virtual environment with pip's install arguments. ensurepip runs
in a subprocess, because run in-process it drops pip's configured certificate settings.
"""

import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
