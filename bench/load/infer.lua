-- wrk script: Open Inference Protocol v2 infer of one [1,4] FP32 tensor against demo-classifier.
-- The key comes from the environment (run.sh exports AIGUARD_BENCH_KEY); the bare proxy
-- ignores it and sets the upstream credential itself, AiGuard authenticates it.
local key = os.getenv("AIGUARD_BENCH_KEY") or error("AIGUARD_BENCH_KEY is not set")

wrk.method = "POST"
wrk.path = "/v2/models/demo-classifier/infer"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.body = [[{"id":"bench-1","inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}]]

-- One machine-readable line for run.sh (latency in microseconds).
function done(summary, latency, requests)
  local s = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    s.status, s.connect + s.read + s.write + s.timeout))
end
