-- wrk script: an OpenAI chat completion that carries a conversation, as chat clients send it on
-- every turn: a system prompt, an earlier user message holding a 2 KB incident report, the
-- model's earlier answer, a tool result (search results, about 500 characters), and a new short question that differs on
-- every request. The earlier messages are the same on every request (the same client resending
-- its history); the last one is new each time.
-- The key comes from the environment (run.sh exports AIGUARD_BENCH_KEY); the bare proxy
-- ignores it and sets the upstream credential itself, AiGuard authenticates it.
local key = os.getenv("AIGUARD_BENCH_KEY") or error("AIGUARD_BENCH_KEY is not set")

local report = {}
for i = 0, 15 do
  report[#report + 1] = string.format(
    "Step %d of the incident: the nightly build on runner %d failed after the dependency upgrade, and the team rolled back within the hour.", i, 40 + i)
end
local tool = {}
local topics = { "pinning transitive dependencies", "lock files in CI", "reproducible builds", "dependency review",
  "semantic versioning", "cache keys for CI", "rollback playbooks", "build provenance" }
for i = 1, #topics do
  tool[#tool + 1] = string.format("%d. A guide to %s - docs%d.example.org, updated this year.", i, topics[i], i)
end

local head = [[{"model":"demo-chat","max_tokens":16,"temperature":0.2,"messages":[]]
  .. [[{"role":"system","content":"You are a concise assistant for a support team."},]]
  .. [[{"role":"user","content":"Here is our incident report, keep it in mind: ]] .. table.concat(report, " ") .. [["},]]
  .. [[{"role":"assistant","content":"Noted. What would you like to know about it?"},]]
  .. [[{"role":"tool","tool_call_id":"call_1","content":"]] .. table.concat(tool, " ") .. [["},]]
  .. [[{"role":"user","content":"Question ]]
local tail = [[: which step failed first, and why?"}]}]]

local counter = 0

function request()
  counter = counter + 1
  return wrk.format("POST", "/v1/chat/completions",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key },
    head .. counter .. tail)
end

dofile("bench/load/result.lua")
