#!/bin/sh
# What the operator's own sites answer: one line per request with the status,
# the X-Site header and the body. prepare.yml saves it before the roles run;
# the verify step compares it afterwards.
set -u
ask() { # URL
  curl -sk --max-time 10 --resolve other.test:443:127.0.0.1 --resolve plain.test:8081:127.0.0.1 \
    -D /tmp/operator-head -o /tmp/operator-body -w '%{http_code}' "$1" >/tmp/operator-code 2>/dev/null
  printf '%s %s x-site=%s body=%s\n' "$1" "$(cat /tmp/operator-code)" \
    "$(tr -d '\r' </tmp/operator-head | sed -n 's/^[Xx]-[Ss]ite: //p')" "$(cat /tmp/operator-body)"
}
ask https://other.test/
ask https://other.test/api/v0/version
ask http://plain.test:8081/
ask http://plain.test:8081/api/v0/version
