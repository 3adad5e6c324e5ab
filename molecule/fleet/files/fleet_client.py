"""Client side of the fleet tests, run on the client container.

  fleet_client.py load  CONFIG OUT   RPC calls against every server until CONFIG's stop file exists
  fleet_client.py burst CONFIG OUT   wrong credentials in parallel, plus one client with good ones
  fleet_client.py scan  IP OUT       which TCP ports of IP accept a connection

CONFIG is JSON: {"servers": {NAME: IP}, "domain": D, "cafile": PEM,
"credentials": {LABEL: AUTHORIZATION}, "stop_file": PATH, ...}. Every
request is POST /api/v0/version over TLS to IP:443 with SNI and Host D,
verified against cafile, on a kept-alive connection (a new one after an
error). OUT gets one JSON object per request or, for scan, the open ports.
Bounded: load stops after max_seconds, burst after its count.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Connection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP, with the certificate checked for the domain."""

    def __init__(self, ip: str, domain: str, context: ssl.SSLContext):
        super().__init__(domain, 443, context=context, timeout=10)
        self.ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self.ip, 443), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def call(conn: Connection, authorization: str | None) -> tuple[int, str]:
    """One RPC call; (status, "") or (0, error) when it did not complete."""
    headers = {"Authorization": authorization} if authorization else {}
    try:
        conn.request("POST", "/api/v0/version", body=b"", headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, ""
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return 0, f"{type(exc).__name__}: {exc}"


def load(config: dict, out) -> None:
    context = ssl.create_default_context(cafile=config["cafile"])
    lock = threading.Lock()
    deadline = time.monotonic() + config.get("max_seconds", 300)
    start = time.time()

    def run(name: str, ip: str) -> None:
        conn = Connection(ip, config["domain"], context)
        while not os.path.exists(config["stop_file"]) and time.monotonic() < deadline:
            for label, authorization in config["credentials"].items():
                t = time.time()
                status, error = call(conn, authorization)
                record = {"t": round(t - start, 4), "ms": round((time.time() - t) * 1000, 1),
                          "server": name, "credential": label, "status": status, "error": error}
                with lock:
                    out.write(json.dumps(record) + "\n")
            time.sleep(config.get("interval", 0.05))

    threads = [threading.Thread(target=run, args=item) for item in config["servers"].items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.write(json.dumps({"t0": start}) + "\n")


def burst(config: dict, out) -> None:
    """config["count"] calls with wrong passwords for config["wrong_username"]
    on config["workers"] connections, while one client with
    credentials["good"] keeps calling; bounded by the count."""
    context = ssl.create_default_context(cafile=config["cafile"])
    ip = next(iter(config["servers"].values()))
    done = threading.Event()
    good: list[dict] = []

    def good_client() -> None:
        conn = Connection(ip, config["domain"], context)
        while not done.is_set():
            t = time.time()
            status, error = call(conn, config["credentials"]["good"])
            good.append({"kind": "good", "status": status, "error": error, "ms": round((time.time() - t) * 1000, 1)})
            time.sleep(0.05)

    def wrong_batch(worker: int) -> list[dict]:
        conn = Connection(ip, config["domain"], context)
        results = []
        for i in range(worker, config["count"], config["workers"]):
            pair = f"{config['wrong_username']}:wrong-password-{i}".encode()
            status, error = call(conn, "Basic " + base64.b64encode(pair).decode())
            results.append({"kind": "wrong", "status": status, "error": error})
        return results

    watcher = threading.Thread(target=good_client)
    watcher.start()
    started = time.monotonic()
    with ThreadPoolExecutor(config["workers"]) as pool:
        batches = list(pool.map(wrong_batch, range(config["workers"])))
    seconds = time.monotonic() - started
    done.set()
    watcher.join()
    for record in [r for batch in batches for r in batch] + good:
        out.write(json.dumps(record) + "\n")
    out.write(json.dumps({"seconds": round(seconds, 2)}) + "\n")


def scan(ip: str, out) -> None:
    def is_open(port: int) -> bool:
        try:
            with socket.create_connection((ip, port), timeout=1):
                return True
        except OSError:
            return False

    with ThreadPoolExecutor(256) as pool:
        opened = [port for port, ok in zip(range(1, 65536), pool.map(is_open, range(1, 65536))) if ok]
    json.dump(opened, out)


def main() -> None:
    command, argument, path = sys.argv[1:4]
    with open(path, "w", encoding="utf-8") as out:
        if command == "scan":
            scan(argument, out)
            return
        with open(argument, encoding="utf-8") as f:
            config = json.load(f)
        {"load": load, "burst": burst}[command](config, out)


if __name__ == "__main__":
    main()
