"""Stand-in for get-pip.py, which ansible-test downloads from a host that CI
cannot reach. It installs pip from the interpreter's own ensurepip, then
installs the requested packages (pip==X) from PyPI as get-pip.py would."""

import subprocess
import sys

# get-pip.py-only switches that pip itself does not know.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
# In a child process: ensurepip blanks pip's config (PIP_CONFIG_FILE=/dev/null)
# in its own environment, which would drop the machine's CA settings here.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
