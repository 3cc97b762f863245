-- wrk script: OpenAI non-streamed chat completion (small prompt, max_tokens 16).
-- The key comes from the environment (run.sh exports AIGUARD_BENCH_KEY); the bare proxy
-- ignores it and sets the upstream credential itself, AiGuard authenticates it.
local key = os.getenv("AIGUARD_BENCH_KEY") or error("AIGUARD_BENCH_KEY is not set")

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.body = [[{"model":"demo-chat","max_tokens":16,"temperature":0.2,"messages":[]]
  .. [[{"role":"system","content":"You are a concise assistant for a support team."},]]
  .. [[{"role":"user","content":"Summarise in one sentence why our nightly build failed after the dependency upgrade."}]]
  .. [[]}]]

-- One machine-readable line for run.sh (latency in microseconds).
function done(summary, latency, requests)
  local s = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    s.status, s.connect + s.read + s.write + s.timeout))
end
