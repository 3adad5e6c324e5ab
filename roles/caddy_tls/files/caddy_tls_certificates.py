# Copyright (c) 2025, secure_kubo.rpc maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wait until Caddy serves a certificate for each of its domains.

Runs on the managed host with the Python standard library only. Reads JSON
from stdin: {"port": HTTPS_PORT, "domains": [NAME, ...], "timeout": SECONDS}.
A domain counts as served once a TLS handshake with it as SNI completes on
127.0.0.1:PORT; Caddy aborts the handshake while it has no certificate for
the name. The chain is not verified here (the host need not trust the CA);
clients do that. Tries until every domain is served or the timeout passes
(0: one try). Prints JSON: {"missing": [NAME, ...], "waited": SECONDS}.
Changes nothing on the host.
"""

import json
import socket
import ssl
import sys
import time


def served(port, name):
    """True when a TLS handshake for name completes on the local HTTPS port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # A wildcard name is served for any label in its place.
    sni = "wildcard-probe" + name[1:] if name.startswith("*.") else name
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            with context.wrap_socket(sock, server_hostname=sni):
                return True
    except (OSError, ssl.SSLError):
        return False


def main():
    request = json.load(sys.stdin)
    start = time.monotonic()
    missing = list(request["domains"])
    while True:
        missing = [name for name in missing if not served(request["port"], name)]
        if not missing or time.monotonic() - start >= request["timeout"]:
            break
        time.sleep(2)
    json.dump({"missing": missing, "waited": round(time.monotonic() - start, 1)}, sys.stdout)


if __name__ == "__main__":
    main()
