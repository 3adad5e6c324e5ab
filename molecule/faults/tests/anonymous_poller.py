"""Runs inside the instance: anonymous RPC calls through Caddy and straight to
Kubo, ten a second, one JSON line each in /root/poll.jsonl, until
/root/poll.stop exists (at most ten minutes)."""

import json
import os
import ssl
import time
import urllib.error
import urllib.request

CONTEXT = ssl.create_default_context(cafile="/root/pebble-root.pem")
TARGETS = {"proxy": "https://kubo.test/api/v0/id", "direct": "http://127.0.0.1:5001/api/v0/id"}


def call(url):
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5, context=CONTEXT if url.startswith("https") else None) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return "refused"


with open("/root/poll.jsonl", "a", encoding="utf-8") as log:
    deadline = time.monotonic() + 600
    while not os.path.exists("/root/poll.stop") and time.monotonic() < deadline:
        for via, url in TARGETS.items():
            log.write(json.dumps({"t": round(time.time(), 2), "via": via, "answer": call(url)}) + "\n")
        log.flush()
        time.sleep(0.1)
