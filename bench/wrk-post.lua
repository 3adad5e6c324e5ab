-- wrk script of scripts/bench.sh: every request is a POST (Kubo's RPC API
-- accepts nothing else) with the Authorization header from BENCH_AUTH
-- ("Basic base64(user:pass)"), sent over keep-alive connections.
-- done() prints one line "BENCH_JSON {...}" that bench/rpc.sh picks up:
-- request count, duration, errors (non-2xx/3xx answers count as status
-- errors) and latency percentiles, all times in microseconds.
wrk.method = "POST"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
