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

dofile("bench/load/result.lua")
