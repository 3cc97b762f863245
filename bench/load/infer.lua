-- wrk script: Open Inference Protocol v2 infer of one [1,4] FP32 tensor against demo-classifier.
-- The key comes from the environment (run.sh exports AIGUARD_BENCH_KEY); the bare proxy
-- ignores it and sets the upstream credential itself, AiGuard authenticates it.
local key = os.getenv("AIGUARD_BENCH_KEY") or error("AIGUARD_BENCH_KEY is not set")

wrk.method = "POST"
wrk.path = "/v2/models/demo-classifier/infer"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.body = [[{"id":"bench-1","inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}]]

dofile("bench/load/result.lua")
