# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container-free RPC bench: Kubo, Caddy and nginx on this host's loopback.

Run by scripts/bench-local.sh (`make bench-local`, or `BENCH_MODE=local make
bench`), which finds the binaries. Each variant is one front (or none) started
on its own port, measured with wrk (POST /api/v0/version, keep-alive, the
Authorization header of bench/wrk-post.lua) for SECONDS after a warm-up, then
stopped. CPU time per call of the front (and of Kubo, and of the client) comes
from /proc/PID/stat utime+stime before and after the measured run. The rounds
alternate the order of the variants against drift; a variant's figures sum its
rounds. Prints a Markdown report on stdout; raw JSON lines go to RUN/results.jsonl.

Variants (BENCH_LOCAL_VARIANTS, space-separated; an unknown name is an error):
  direct            wrk straight to Kubo (its own auth check only)
  role              the role's Caddyfile (the secure_kubo.rpc.caddyfile filter, `tls internal`,
                    access log to a file) on the current Caddy
  role-nolog        the same without the access log (caddy_tls_log_output: none)
  role-json         the access log without the filter encoder (plain `format json`; NOT safe:
                    the api-auth query parameter would be logged; measures what the filter costs)
  role-all          the role's Caddyfile logging every call (log_calls: all)
  role-failed       the access log of refused and failed calls only (log_calls: failed: Kubo's
                    2xx answers set log_skip / skip_log in handle_response)
  role-lean, role-failed-lean
                    role-all / role-failed, the log without request headers, TLS details and
                    response headers (filter: delete), the rest as before
  role-gogc400, role-gogc800, role-memlimit
                    the role's Caddyfile with GOGC=400, GOGC=800, GOGC=off+GOMEMLIMIT=256MiB
  role-ka           the role's Caddyfile with keepalive/buffer transport settings to Kubo
  guide             the guide's minimal site: `reverse_proxy localhost:PORT` (plus `tls internal`)
  nginx             Debian's nginx: TLS with HTTP/2 on, /api/v0/ to Kubo over keep-alive, 404
                    elsewhere, its default access log
  old:NAME          NAME on the old Caddy (Debian's 2.6.2, the role's default package)
  NAME@h2           the same front, with h2load as client over HTTP/2 (TLS fronts only); p50 is
                    h2load's mean; h2load POSTs a 1-byte body, so compare with NAME@h1
  NAME@h1           the same, h2load over HTTP/1.1 (--h1): the same client and request as @h2
                    (not direct@h1: h2load --h1 stalls against Kubo itself)
  bulk:NAME         `ipfs add` of a fresh BENCH_BULK_MIB MiB file through NAME (the ipfs client
                    speaks HTTP/2 to a TLS front); bulk:NAME@h1 holds the client to HTTP/1.1
"""

import argparse
import base64
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TCK = os.sysconf("SC_CLK_TCK")
KUBO_PORT = 15101
PORT_BASE = 15200


def ticks(pid: int) -> int:
    """utime+stime of one process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def tree_ticks(pid: int) -> int:
    """A process and its direct children (nginx: master and workers)."""
    total = ticks(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(ticks(int(child)) for child in children)


def wait_http(url: str, auth: str, seconds: float = 20) -> None:
    end = time.time() + seconds
    while True:
        req = urllib.request.Request(url, method="POST", headers={"Authorization": auth})
        try:
            import ssl

            ctx = ssl._create_unverified_context()  # noqa: S323 (a throw-away local CA)
            with urllib.request.urlopen(req, timeout=2, context=ctx) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.time() > end:
            raise RuntimeError(f"{url} does not answer")
        time.sleep(0.2)


def status_of(url: str, auth: str | None) -> int:
    import ssl

    headers = {"Authorization": auth} if auth else {}
    req = urllib.request.Request(url, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5, context=ssl._create_unverified_context()) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run = Path(args.run)
        self.run.mkdir(parents=True, exist_ok=True)
        self.password = secrets.token_hex(16)
        self.auth = "Basic " + base64.b64encode(f"bench:{self.password}".encode()).decode()
        self.procs: list[subprocess.Popen] = []
        self.port = PORT_BASE
        self.results: list[dict] = []
        self.bulk_results: list[dict] = []
        self.client_cpus = args.client_cpus
        self.server_cpus = args.server_cpus

    # ------------------------------------------------------------ processes
    def pinned(self, cmd: list[str], cpus: str) -> list[str]:
        return ["taskset", "-c", cpus] + cmd if cpus else cmd

    def start(self, cmd: list[str], log: str, env: dict | None = None) -> subprocess.Popen:
        with open(self.run / log, "ab") as out:
            proc = subprocess.Popen(self.pinned(cmd, self.server_cpus), stdout=out, stderr=subprocess.STDOUT,
                                    env={**os.environ, **(env or {})}, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)

    # ------------------------------------------------------------ Kubo
    def kubo(self) -> None:
        repo = self.run / "kubo"
        env = {"IPFS_PATH": str(repo)}
        subprocess.run([self.args.kubo, "init", "--profile", "test"], env={**os.environ, **env},
                       check=True, stdout=subprocess.DEVNULL)
        config_path = repo / "config"
        config = json.loads(config_path.read_text())
        config["Addresses"]["API"] = f"/ip4/127.0.0.1/tcp/{KUBO_PORT}"
        config["Addresses"]["Gateway"] = f"/ip4/127.0.0.1/tcp/{KUBO_PORT + 1}"
        config["Addresses"]["Swarm"] = []
        config["API"]["Authorizations"] = {
            "bench": {"AuthSecret": f"basic:bench:{self.password}", "AllowedPaths": ["/api/v0"]}
        }
        config_path.write_text(json.dumps(config, indent=2))
        self.kubo_proc = self.start([self.args.kubo, "daemon", "--offline"], "kubo.log", env)
        wait_http(f"http://127.0.0.1:{KUBO_PORT}/api/v0/version", self.auth, 60)

    # ------------------------------------------------------------ fronts
    def role_caddyfile(self, port: int, version: str, **settings) -> str:
        sys.path.insert(0, str(self.collections))
        from ansible_collections.secure_kubo.rpc.plugins.filter.caddyfile import render_caddyfile

        base = {
            "domains": ["localhost"], "mode": "internal", "upstream": f"127.0.0.1:{KUBO_PORT}",
            "https_port": port, "http_port": port + 1, "log_output": "file",
            "log_file": str(self.run / f"access-{port}.log"), "caddy_version": version,
        }
        base.update(settings)
        return render_caddyfile(base)

    def caddy(self, name: str, binary: str, version: str, port: int) -> tuple[str, dict]:
        """Caddyfile text and environment of a Caddy variant."""
        env: dict[str, str] = {}
        base = name.split("@")[0].removeprefix("old:")
        if base == "guide":
            text = f"localhost:{port} {{\n\ttls internal\n\treverse_proxy localhost:{KUBO_PORT}\n}}\n"
            text = "{\n\thttp_port %d\n}\n" % (port + 1) + text
        elif base == "role-nolog":
            text = self.role_caddyfile(port, version, log_output="none")
        elif base == "role-json":
            text = self.role_caddyfile(port, version, log_calls="all")
        elif base in ("role-all", "role-failed", "role-lean", "role-failed-lean"):
            calls = "failed" if "failed" in base else "all"
            text = self.role_caddyfile(port, version, log_calls=calls)
        else:
            text = self.role_caddyfile(port, version)
        if base == "role-json":
            text = re.sub(r"\tformat filter \{\n(?:\t\t\t.*\n)*\t\t\}\n", "\t\tformat json\n", text)
        if base.endswith("-lean"):
            text = text.replace("\t\t\tfields {\n", "\t\t\tfields {\n\t\t\t\trequest>headers delete\n"
                                "\t\t\t\trequest>tls delete\n\t\t\t\tresp_headers delete\n", 1)
        if base == "role-ka":
            text = text.replace(
                f'reverse_proxy "127.0.0.1:{KUBO_PORT}"\n',
                f'reverse_proxy "127.0.0.1:{KUBO_PORT}" {{\n\t\t\t\ttransport http {{\n'
                "\t\t\t\t\tkeepalive 5m\n\t\t\t\t\tkeepalive_idle_conns 64\n"
                "\t\t\t\t\tkeepalive_idle_conns_per_host 64\n"
                "\t\t\t\t\tread_buffer 64KiB\n\t\t\t\t\twrite_buffer 64KiB\n\t\t\t\t}\n\t\t\t}\n",
            )
        env_of = {"role-gogc400": {"GOGC": "400"}, "role-gogc800": {"GOGC": "800"},
                  "role-memlimit": {"GOGC": "off", "GOMEMLIMIT": "256MiB"}}
        env.update(env_of.get(base, {}))
        # Local only: no admin endpoint to collide on, no trust store to touch.
        local = "\tadmin off\n\tskip_install_trust\n"
        if text.startswith("{\n"):
            text = "{\n" + local + text[2:]
        elif "\n{\n" in text:
            text = text.replace("\n{\n", "\n{\n" + local, 1)
        else:
            text = "{\n" + local + "}\n" + text
        home = self.run / f"caddy-{port}"
        home.mkdir(exist_ok=True)
        env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")})
        return text, env

    def nginx_conf(self, port: int) -> str:
        run = self.run / f"nginx-{port}"
        run.mkdir(exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(run / "key.pem"),
                        "-addext", "subjectAltName=DNS:localhost",
                        "-out", str(run / "cert.pem")], check=True, capture_output=True)
        return f"""worker_processes auto;
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    upstream kubo {{
        server 127.0.0.1:{KUBO_PORT};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port} ssl http2;
        server_name localhost;
        ssl_certificate {run}/cert.pem;
        ssl_certificate_key {run}/key.pem;
        add_header Strict-Transport-Security "max-age=31536000" always;
        location /api/v0/ {{
            proxy_pass http://kubo;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            client_max_body_size 0;
        }}
        location / {{ return 404; }}
    }}
}}
"""

    def front(self, name: str) -> tuple[subprocess.Popen | None, str, str]:
        """Start the variant's front; (process, URL, log file or '')."""
        if name.split("@")[0] == "direct":
            return None, f"http://127.0.0.1:{KUBO_PORT}/api/v0/version", ""
        self.port += 10
        port = self.port
        base = name.split("@")[0]
        if base == "nginx":
            conf = self.run / f"nginx-{port}.conf"
            conf.write_text(self.nginx_conf(port))
            proc = self.start([self.args.nginx, "-c", str(conf), "-g", "daemon off;"], f"nginx-{port}.out")
            log = str(self.run / f"nginx-{port}" / "access.log")
        else:
            old = base.startswith("old:")
            binary = self.args.caddy_old if old else self.args.caddy
            version = self.old_version if old else self.new_version
            text, env = self.caddy(name, binary, version, port)
            caddyfile = self.run / f"Caddyfile-{port}"
            caddyfile.write_text(text)
            proc = self.start([binary, "run", "--adapter", "caddyfile", "--config", str(caddyfile)],
                              f"caddy-{port}.out", env)
            log = str(self.run / f"access-{port}.log") if "log {" in text else ""
        url = f"https://localhost:{port}/api/v0/version"
        wait_http(url, self.auth)
        return proc, url, log

    # ------------------------------------------------------------ clients
    def wrk(self, url: str, seconds: int) -> tuple[dict, float]:
        conns = self.args.connections
        threads = max(1, min(conns, self.args.client_threads))
        cmd = self.pinned(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s",
                           str(ROOT / "bench" / "wrk-post.lua"), url], self.client_cpus)
        env = {**os.environ, "BENCH_AUTH": self.auth}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        found = re.search(r"^BENCH_JSON (.*)$", out, re.M)
        if not found:
            raise RuntimeError(f"wrk printed no result:\n{out}")
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return json.loads(found.group(1)), cpu

    def h2load(self, url: str, seconds: int, h1: bool = False) -> tuple[dict, float]:
        conns = self.args.connections
        threads = max(1, min(conns, self.args.client_threads))
        body = self.run / "h2load-body"  # -d makes h2load POST; it cannot map an empty file
        body.write_text("\n")
        cmd = self.pinned(["h2load", f"-t{threads}", f"-c{conns}", "-m1", f"-D{seconds}", "-d", str(body),
                           "-H", f"Authorization: {self.auth}", *(["--h1"] if h1 else []), url], self.client_cpus)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                         r"(\d+) errored", out)
        mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
        if not done or not mean:
            raise RuntimeError(f"h2load printed no result:\n{out}")
        value = float(re.sub(r"[a-z]+", "", mean.group(1)))
        unit = re.sub(r"[0-9.]+", "", mean.group(1))
        mean_us = value * {"us": 1, "ms": 1000, "s": 1e6}[unit]
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        result = {"requests": int(done.group(1)), "duration_us": seconds * 1_000_000,
                  "errors": {"status": int(done.group(3)) + int(done.group(4))},
                  "latency_us": {"p50": mean_us, "mean": mean_us}}
        return result, cpu

    # ------------------------------------------------------------ one variant
    def bulk(self, name: str, round_no: int) -> None:
        front = name.removeprefix("bulk:")
        proc, url, _log = self.front(front.removesuffix("@h1"))
        port = url.split(":")[2].split("/")[0]
        env = dict(os.environ, IPFS_PATH=str(self.run / "client"))
        if front.startswith("direct"):
            api = f"/ip4/127.0.0.1/tcp/{KUBO_PORT}"
        else:
            api = f"/dns/localhost/tcp/{port}/https"
            if front.startswith("nginx"):
                env["SSL_CERT_FILE"] = str(self.run / f"nginx-{port}" / "cert.pem")
            else:
                env["SSL_CERT_FILE"] = str(next((self.run / f"caddy-{port}").rglob("root.crt")))
        if front.endswith("@h1"):
            env["GODEBUG"] = "http2client=0"
        data = self.run / "bulk.bin"
        with open(data, "wb") as out:
            out.write(os.urandom(self.args.bulk_mib << 20))
        auth = ["--api-auth", f"basic:bench:{self.password}"]
        try:
            pid = proc.pid if proc else 0
            f0, k0 = (tree_ticks(pid) if pid else 0), ticks(self.kubo_proc.pid)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            cid = subprocess.run(self.pinned([self.args.kubo, "--api", api, *auth, "add", "-Q", str(data)],
                                             self.client_cpus), env=env, capture_output=True, text=True,
                                 check=True).stdout.strip()
            seconds = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            f1, k1 = (tree_ticks(pid) if pid else 0), ticks(self.kubo_proc.pid)
        finally:
            if proc:
                self.stop(proc)
            data.unlink()
        local = [self.args.kubo, "--api", f"/ip4/127.0.0.1/tcp/{KUBO_PORT}", *auth]
        subprocess.run(local + ["pin", "rm", cid], env=env, check=True, capture_output=True)
        subprocess.run(local + ["repo", "gc"], env=env, check=True, capture_output=True)
        gib = (self.args.bulk_mib << 20) / (1 << 30)
        row = {"variant": name, "round": round_no, "kind": "bulk", "mb_s": (self.args.bulk_mib << 20) / 1e6 / seconds,
               "cpu_s_per_gib": {"front": (f1 - f0) / TCK / gib, "kubo": (k1 - k0) / TCK / gib,
                                 "client": ((after.ru_utime + after.ru_stime)
                                            - (before.ru_utime + before.ru_stime)) / gib}}
        self.bulk_results.append(row)
        with open(self.run / "results.jsonl", "a") as out:
            out.write(json.dumps(row) + "\n")
        print(f"  {name}: {row['mb_s']:.0f} MB/s", file=sys.stderr)

    def measure(self, name: str, round_no: int) -> None:
        if name.startswith("bulk:"):
            self.bulk(name, round_no)
            return
        proc, url, log = self.front(name)
        client = self.wrk
        if name.endswith("@h2"):
            client = self.h2load
        elif name.endswith("@h1"):
            def client(url: str, seconds: int) -> tuple[dict, float]:
                return self.h2load(url, seconds, h1=True)
        try:
            if self.args.warmup:
                client(url, self.args.warmup)
            pid = proc.pid if proc else 0
            lines0 = self.log_lines(log)
            f0, k0 = (tree_ticks(pid) if pid else 0), ticks(self.kubo_proc.pid)
            result, client_cpu = client(url, self.args.seconds)
            f1, k1 = (tree_ticks(pid) if pid else 0), ticks(self.kubo_proc.pid)
            time.sleep(0.3)  # what the log writer still had in hand
            lines = self.log_lines(log) - lines0
            check = {**self.log_check(url, log), "lines": lines} if log else {}
        finally:
            if proc:
                self.stop(proc)
        row = {"variant": name, "round": round_no, "url": url, **result,
               "cpu_s": {"front": (f1 - f0) / TCK, "kubo": (k1 - k0) / TCK, "client": client_cpu},
               "log": check}
        self.results.append(row)
        with open(self.run / "results.jsonl", "a") as out:
            out.write(json.dumps(row) + "\n")
        print(f"  {name}: {result['requests'] / result['duration_us'] * 1e6:.0f} req/s", file=sys.stderr)

    @staticmethod
    def log_lines(log: str) -> int:
        if not log or not Path(log).exists():
            return 0
        with open(log, "rb") as data:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: data.read(1 << 20), b""))

    def log_check(self, url: str, log: str) -> dict:
        """Whether the access log keeps a refused call (403), and no secret."""
        lines_before = self.log_lines(log)
        secret = "sekrit" + secrets.token_hex(4)
        refused = status_of(url + f"?api-auth={secret}", f"Basic {secret}")
        ok = status_of(url, self.auth)
        time.sleep(0.5)
        text = Path(log).read_text(errors="replace") if Path(log).exists() else ""
        new = text.splitlines()[lines_before:]
        refused_lines = [line for line in new if '"status":403' in line or '" 403 ' in line]
        return {
            "refused_status": refused, "ok_status": ok,
            "refused_logged": bool(refused_lines),
            "ok_logged": any('"status":200' in line or '" 200 ' in line for line in new),
            "secret_in_log": secret in text or self.password in text,
            "refused_line": refused_lines[0] if refused_lines else "",
        }

    # ------------------------------------------------------------ the run
    def main(self) -> None:
        self.collections = self.run / "collections"
        (self.collections / "ansible_collections" / "secure_kubo").mkdir(parents=True, exist_ok=True)
        link = self.collections / "ansible_collections" / "secure_kubo" / "rpc"
        if not link.exists():
            link.symlink_to(ROOT)
        self.new_version = subprocess.run([self.args.caddy, "version"], capture_output=True,
                                          text=True, check=True).stdout.split()[0]
        self.old_version = ""
        if self.args.caddy_old:
            self.old_version = subprocess.run([self.args.caddy_old, "version"], capture_output=True,
                                              text=True, check=True).stdout.split()[0]
        load_start = Path("/proc/loadavg").read_text().split()[:3]
        self.kubo()
        variants = self.args.variants.split()
        try:
            for round_no in range(self.args.rounds):
                order = variants if round_no % 2 == 0 else list(reversed(variants))
                print(f"round {round_no + 1} of {self.args.rounds}", file=sys.stderr)
                for name in order:
                    if name.startswith("old:") and not self.args.caddy_old:
                        continue
                    self.measure(name, round_no)
        finally:
            self.stop_all()
        load_end = Path("/proc/loadavg").read_text().split()[:3]
        self.report(variants, load_start, load_end)

    def report(self, variants: list[str], load_start: list[str], load_end: list[str]) -> None:
        kubo_version = subprocess.run([self.args.kubo, "version", "--number"], capture_output=True,
                                      text=True, check=True).stdout.strip()
        sums: dict[str, dict] = {}
        for row in self.results:
            s = sums.setdefault(row["variant"], {
                "req": 0, "us": 0, "front": 0.0, "kubo": 0.0, "client": 0.0, "p50": [], "errors": 0, "log": {},
                "lines": 0})
            s["req"] += row["requests"]
            s["us"] += row["duration_us"]
            for key in ("front", "kubo", "client"):
                s[key] += row["cpu_s"][key]
            s["p50"].append(row["latency_us"]["p50"])
            s["errors"] += sum(row["errors"].values())
            s["log"] = row["log"] or s["log"]
            s["lines"] += row["log"].get("lines", 0) if row["log"] else 0
        rate = {name: s["req"] / s["us"] * 1e6 for name, s in sums.items()}
        direct = rate.get("direct")
        print(f"Container-free bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
              f"{os.cpu_count()} cores ({self.cpu_model()}), load average {' '.join(load_start)} at the start, "
              f"{' '.join(load_end)} at the end; client CPUs {self.client_cpus or 'any'}, "
              f"servers {self.server_cpus or 'any'}.")
        small = (f"; {self.args.connections} connections, {self.args.seconds} s per variant and round, "
                 f"{self.args.rounds} round(s) in alternating order; POST /api/v0/version") if self.results else (
                     f"; {self.args.rounds} round(s) in alternating order")
        print(f"Kubo {kubo_version}; Caddy {self.new_version}"
              + (f" (old: {self.old_version})" if self.old_version else "") + small + ".")
        if self.results:
            self.report_small(sums, rate, direct)
        self.report_bulk()

    def report_small(self, sums: dict, rate: dict, direct: float | None) -> None:
        print()
        print("| variant | req/s | ratio to direct | p50 ms | front CPU us/call | Kubo us/call | client us/call "
              "| errors | log lines/call | 403 logged | secret in log |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for name in dict.fromkeys(row["variant"] for row in self.results):
            s = sums[name]
            log = s["log"]

            def per(key: str, s: dict = s) -> float:
                return s[key] / s["req"] * 1e6 if s["req"] else 0
            lines = f"{s['lines'] / s['req']:.2f}" if log and s["req"] else "-"
            ratio = f"{rate[name] / direct:.2f}" if direct else "-"
            print(f"| {name} | {rate[name]:.0f} | {ratio} | "
                  f"{sum(s['p50']) / len(s['p50']) / 1000:.2f} | {per('front'):.0f} | {per('kubo'):.0f} | "
                  f"{per('client'):.0f} | {s['errors']} | {lines} | "
                  f"{('yes' if log.get('refused_logged') else '**no**') if log else '-'} | "
                  f"{('**yes**' if log.get('secret_in_log') else 'no') if log else '-'} |")
        print()
        cpu = {name: s["front"] / s["req"] for name, s in sums.items() if s["req"]}
        pairs = [("role", "guide"), ("role-failed", "guide"), ("role-all", "guide"), ("role-nolog", "guide"),
                 ("role", "nginx"), ("role@h2", "role@h1"), ("guide@h2", "guide@h1"),
                 ("nginx@h2", "nginx@h1"), ("role@h2", "guide@h2"), ("role@h1", "guide@h1")]
        pairs += [(f"old:{a}", f"old:{b}") for a, b in pairs[:4]]
        for a, b in pairs:
            if cpu.get(a) and cpu.get(b):
                print(f"- front CPU per call, {a} / {b}: {cpu[a] / cpu[b]:.2f}")

    def report_bulk(self) -> None:
        if not self.bulk_results:
            return
        print()
        print(f"Bulk: `ipfs add` of {self.args.bulk_mib} MiB (MB/s = 10^6 B/s; CPU s per GiB). Ratio: "
              "median MB/s over direct's median.")
        print()
        print("| path | runs MB/s | median MB/s | ratio to direct | front CPU s/GiB | Kubo | client |")
        print("|---|---|---|---|---|---|---|")
        rows: dict[str, list[dict]] = {}
        for row in self.bulk_results:
            rows.setdefault(row["variant"], []).append(row)

        def median(values: list[float]) -> float:
            values = sorted(values)
            mid = len(values) // 2
            return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

        direct = median([r["mb_s"] for r in rows.get("bulk:direct", [])] or [0])
        for name, runs in rows.items():
            med = median([r["mb_s"] for r in runs])
            cpu = {key: sum(r["cpu_s_per_gib"][key] for r in runs) / len(runs) for key in ("front", "kubo", "client")}
            ratio = f"{med / direct:.2f}" if direct else "-"
            speeds = ", ".join(f"{r['mb_s']:.0f}" for r in runs)
            print(f"| {name} | {speeds} | {med:.0f} | {ratio} | "
                  f"{cpu['front']:.2f} | {cpu['kubo']:.2f} | {cpu['client']:.2f} |")
        print()

    @staticmethod
    def cpu_model() -> str:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
        return "unknown CPU"


def parse() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubo", required=True)
    parser.add_argument("--caddy", required=True)
    parser.add_argument("--caddy-old", default="")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--run", required=True)
    parser.add_argument("--seconds", type=int, default=int(env("BENCH_SECONDS", "5")))
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", "1")))
    parser.add_argument("--rounds", type=int, default=int(env("BENCH_ROUNDS", "2")))
    parser.add_argument("--bulk-mib", type=int, default=int(env("BENCH_BULK_MIB", "256")))
    parser.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", "8")))
    parser.add_argument("--client-threads", type=int, default=int(env("BENCH_CLIENT_THREADS", "2")))
    parser.add_argument("--client-cpus", default=env("BENCH_CLIENT_CPUS", ""))
    parser.add_argument("--server-cpus", default=env("BENCH_SERVER_CPUS", ""))
    parser.add_argument("--variants", default=env("BENCH_LOCAL_VARIANTS", "direct role role-nolog guide nginx direct"))
    return parser.parse_args()


if __name__ == "__main__":
    Bench(parse()).main()
