-- Shared by the wrk scripts of bench/load (loaded with dofile from the repository root, where
-- run.sh runs wrk): one machine-readable line for run.sh (latency in microseconds).
function done(summary, latency, requests)
  local s = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    s.status, s.connect + s.read + s.write + s.timeout))
end
