#!/usr/bin/env bash
# End-to-end load benchmark: bare YARP vs the full AiGuard gateway, same upstream, same run.
#
#   bash bench/load/run.sh                 # DURATION=20 s per measured run
#   DURATION=30 ROUNDS=3 PIN=0 bash bench/load/run.sh
#
# Environment:
#   DURATION     seconds per measured wrk run (default 20)
#   WARMUP       seconds of warm-up per target and workload, not measured (default 30: on one
#                saturated core the JIT needs that long to tier up; each run prints the methods
#                it still compiled while measured)
#   ROUNDS       measured rounds per workload; each round runs bare then aiguard (default 2)
#   CONNECTIONS  wrk connections (default 32);  THREADS  wrk threads (default 2)
#   PIN          1: pin with taskset, wrk on $WRK_CPUS, the demo model on $UPSTREAM_CPUS and both
#                proxies on $PROXY_CPUS; 0: no pinning, everything shares all cores (default 1)
#   WRK_CPUS / UPSTREAM_CPUS / PROXY_CPUS   CPU lists for PIN=1 (default 1 / 1 / 0: the proxy
#                under test gets a core of its own, wrk and the upstream share the other)
#   OUT          directory for raw wrk outputs and server logs (default a fresh temp dir)
#   WORKLOADS    which workloads to measure (default "chat infer"; also "conversation": a chat
#                request carrying a resent conversation with a 2 KB report and a tool result,
#                a new short question each request, bench/load/conversation.lua)
#   AIGUARD_BENCH_VARIANT  no-response-stages: the gateway without hardening and header scrubbing;
#                limits: the gateway with a per-client and a per-tenant fixed window on every route;
#                budgets: the gateway with a per-client and a per-tenant token budget on the chat route;
#                anomaly: the gateway with the anomaly engine (shipped model, observe only) on every route
#   COMPARE      a variant (limits, budgets, anomaly, anomaly-unscored, anomaly-every, anomaly-every-inline, text-guards: every text guard on the chat route): also run the gateway with that variant (a third
#                process) in every round, to measure what it costs against the same gateway in
#                the same run. COMPARE_LIMITS=1 is COMPARE=limits.
#   TTFT         1: instead of the wrk runs, measure time to first token of streamed chat answers
#                (the demo model sends TTFT_CHUNK_CHARS-character pieces, default 3, TTFT_DELAY_MS
#                apart, default 0) through bare YARP, AiGuard and the COMPARE variant, TTFT_REQUESTS
#                each (default 200), one request at a time, interleaved
#   REDIS        1: start a redis-server (on the upstream's CPUs) and count the limits or budgets
#                in it (use with the limits or budgets variant)
#
# Three processes of bench/AiGuard.LoadHarness: the demo model (upstream), a bare YARP proxy
# and the AiGuard gateway, each on a free loopback port. Fails if any measured run has a
# non-2xx/3xx response.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"

DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-30}"
ROUNDS="${ROUNDS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PIN="${PIN:-1}"
WRK_CPUS="${WRK_CPUS:-1}"
UPSTREAM_CPUS="${UPSTREAM_CPUS:-1}"
PROXY_CPUS="${PROXY_CPUS:-0}"
OUT="${OUT:-$(mktemp -d /tmp/aiguard-load.XXXXXX)}"
WORKLOADS="${WORKLOADS:-chat infer}"
mkdir -p "$OUT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk not found: installing it from apt"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
fi

wrk_prefix=()
upstream_prefix=()
proxy_prefix=()
if [[ "$PIN" == "1" ]]; then
  if [[ "$(nproc)" -lt 2 ]]; then
    echo "PIN=1 needs at least 2 CPUs; use PIN=0" >&2
    exit 1
  fi
  wrk_prefix=(taskset -c "$WRK_CPUS")
  upstream_prefix=(taskset -c "$UPSTREAM_CPUS")
  proxy_prefix=(taskset -c "$PROXY_CPUS")
fi

echo "== building bench/AiGuard.LoadHarness (Release)"
dotnet build bench/AiGuard.LoadHarness/AiGuard.LoadHarness.csproj -c Release -nologo -v q -o "$OUT/bin" >"$OUT/build.log" 2>&1 \
  || { cat "$OUT/build.log"; exit 1; }
harness="$OUT/bin/AiGuard.LoadHarness"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "${REDIS:-0}" == "1" ]]; then
  command -v redis-server >/dev/null 2>&1 || { apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; }
  redis_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${upstream_prefix[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$OUT/redis.log" 2>&1 &
  pids+=("$!")
  for ((i = 0; i < 100; i++)); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export AIGUARD_BENCH_REDIS="127.0.0.1:$redis_port"
  echo "redis-server on $AIGUARD_BENCH_REDIS"
fi

# Fresh keys every run: the upstream credential (both proxies add it) and one AiGuard client key.
while IFS='=' read -r name value; do
  [[ "$name" == AIGUARD_BENCH_* ]] && export "$name=$value"
done < <("$harness" --role keygen)
: "${AIGUARD_BENCH_KEY:?keygen failed}"

# start <role> [args...]: starts one harness process, waits for its READY line (bounded) and
# sets started_url. Not called in a subshell, so the pid reaches the cleanup trap.
started_url=""
declare -A role_pid=()
start() {
  local role="$1"
  shift
  local log="$OUT/$role.log"
  local -a prefix=("${proxy_prefix[@]}")
  [[ "$role" == upstream ]] && prefix=("${upstream_prefix[@]}")
  "${prefix[@]}" "$harness" --role "$role" --port 0 "$@" >"$log" 2>&1 &
  pids+=("$!")
  role_pid[$role]="$!"
  local i url=""
  for ((i = 0; i < 300; i++)); do
    url="$(awk '$1 == "READY" { print $3; exit }' "$log" 2>/dev/null || true)"
    [[ -n "$url" ]] && break
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "$role exited before it was ready:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  [[ -n "$url" ]] || { echo "$role not ready after 30 s" >&2; cat "$log" >&2; return 1; }
  started_url="$url"
}

# wait_http <url> [curl args...]: polls until the URL answers 200, bounded.
wait_http() {
  local url="$1"
  shift
  local i code
  for ((i = 0; i < 100; i++)); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" || true)"
    [[ "$code" == "200" ]] && return 0
    sleep 0.1
  done
  echo "$url did not answer 200 (last: $code)" >&2
  return 1
}

echo "== starting servers (raw output in $OUT)"
start upstream
upstream_url="$started_url"
wait_http "$upstream_url/v2/health/ready"
start bare --upstream "$upstream_url"
bare_url="$started_url"
start gateway --upstream "$upstream_url"
gateway_url="$started_url"
targets=(bare aiguard)
COMPARE="${COMPARE:-}"
if [[ "${COMPARE_LIMITS:-0}" == "1" ]]; then COMPARE=limits; fi
if [[ -n "$COMPARE" ]]; then
  start gateway-variant --upstream "$upstream_url" --variant "$COMPARE"
  variant_url="$started_url"
  targets+=(variant)
fi
wait_http "$bare_url/v2/health/ready"
wait_http "$gateway_url/v2/health/ready" -H "Authorization: Bearer $AIGUARD_BENCH_KEY"
echo "upstream $upstream_url   bare $bare_url   aiguard $gateway_url"

declare -A target_url=([bare]="$bare_url" [aiguard]="$gateway_url" [variant]="${variant_url:-}")
declare -A workload_body=(
  [chat]='{"model":"demo-chat","max_tokens":16,"messages":[{"role":"user","content":"ping"}]}'
  [infer]='{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
)
workload_body[conversation]='{"model":"demo-chat","max_tokens":16,"messages":[{"role":"user","content":"ping"},{"role":"assistant","content":"pong"},{"role":"user","content":"ping again"}]}'
declare -A workload_path=([chat]=/v1/chat/completions [infer]=/v2/models/demo-classifier/infer [conversation]=/v1/chat/completions)

# Sanity: both targets answer 200 to each workload; AiGuard refuses a request without a key,
# so the pipeline under test is really in the path.
for workload in $WORKLOADS; do
  for target in "${targets[@]}"; do
    code="$(curl -s -o "$OUT/sanity-$target-$workload.json" -w '%{http_code}' --max-time 5 \
      "${target_url[$target]}${workload_path[$workload]}" -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $AIGUARD_BENCH_KEY" -d "${workload_body[$workload]}")"
    [[ "$code" == "200" ]] || { echo "sanity: $target $workload answered $code" >&2; cat "$OUT/sanity-$target-$workload.json" >&2; exit 1; }
  done
done
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$gateway_url/v1/chat/completions" \
  -H 'Content-Type: application/json' -d "${workload_body[chat]}")"
[[ "$code" == "401" ]] || { echo "sanity: AiGuard without a key answered $code, expected 401" >&2; exit 1; }

if [[ "${TTFT:-0}" == "1" ]]; then
  ttft_targets=(--target "bare=$bare_url" --target "aiguard=$gateway_url")
  [[ -n "${variant_url:-}" ]] && ttft_targets+=(--target "aiguard+$COMPARE=$variant_url")
  "${wrk_prefix[@]}" "$harness" --role ttft "${ttft_targets[@]}" --requests "${TTFT_REQUESTS:-200}" \
    --chunk-chars "${TTFT_CHUNK_CHARS:-3}" --delay-ms "${TTFT_DELAY_MS:-0}"
  exit $?
fi

# stats <role> <key>: asks the process for its counters (SIGUSR1) and prints one of them.
stats() {
  local log="$OUT/$1.log" before
  before="$(grep -c '^STATS' "$log" || true)"
  kill -USR1 "${role_pid[$1]}"
  local i
  for ((i = 0; i < 50; i++)); do
    [[ "$(grep -c '^STATS' "$log" || true)" -gt "$before" ]] && break
    sleep 0.1
  done
  grep '^STATS' "$log" | tail -1 | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

# cpu_ticks <pid>: user+system CPU time of a process, in clock ticks; user_ticks: user time only.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
user_ticks() { awk '{ print $14 }' "/proc/$1/stat"; }
clk_tck="$(getconf CLK_TCK)"
declare -A target_role=([bare]=bare [aiguard]=gateway [variant]=gateway-variant)

# run_wrk <target> <workload> <seconds> <file>
run_wrk() {
  "${wrk_prefix[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${3}s" --timeout 5s --latency \
    -s "$root/bench/load/$2.lua" "${target_url[$1]}" >"$4" 2>&1
}

echo "== warm-up: ${WARMUP}s per target and workload"
for workload in $WORKLOADS; do
  for target in "${targets[@]}"; do
    run_wrk "$target" "$workload" "$WARMUP" "$OUT/warmup-$target-$workload.txt"
  done
done

pinning="PIN=0 (no pinning)"
[[ "$PIN" == "1" ]] && pinning="PIN=1 (wrk on CPU $WRK_CPUS, upstream on CPU $UPSTREAM_CPUS, proxies on CPU $PROXY_CPUS)"
echo "== measuring: ${ROUNDS} round(s) x ${DURATION}s, ${CONNECTIONS} connections, ${THREADS} threads, $pinning"
results="$OUT/results.tsv"
printf 'workload\ttarget\tround\trps\tp50_us\tp99_us\tproxy_cpu_us_per_req\tupstream_cpu_us_per_req\talloc_bytes_per_req\tjit_methods_during_run\n' >"$results"
for workload in $WORKLOADS; do
  for ((round = 1; round <= ROUNDS; round++)); do
    for target in "${targets[@]}"; do
      file="$OUT/$workload-$target-$round.txt"
      load="$(cut -d' ' -f1 /proc/loadavg)"
      proxy_pid="${role_pid[${target_role[$target]}]}"
      alloc_before="$(stats "${target_role[$target]}" allocated)"
      jit_before="$(stats "${target_role[$target]}" jit_methods)"
      proxy_before="$(cpu_ticks "$proxy_pid")"
      proxy_user_before="$(user_ticks "$proxy_pid")"
      upstream_before="$(cpu_ticks "${role_pid[upstream]}")"
      run_wrk "$target" "$workload" "$DURATION" "$file"
      proxy_after="$(cpu_ticks "$proxy_pid")"
      proxy_user_after="$(user_ticks "$proxy_pid")"
      upstream_after="$(cpu_ticks "${role_pid[upstream]}")"
      alloc_after="$(stats "${target_role[$target]}" allocated)"
      jit_after="$(stats "${target_role[$target]}" jit_methods)"
      line="$(grep '^BENCH_RESULT' "$file" || true)"
      [[ -n "$line" ]] || { echo "no result from wrk:" >&2; cat "$file" >&2; exit 1; }
      rps="$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")"
      p50="$(sed -E 's/.* p50_us=([0-9.]+).*/\1/' <<<"$line")"
      p99="$(sed -E 's/.* p99_us=([0-9.]+).*/\1/' <<<"$line")"
      errors="$(sed -E 's/.* socket_errors=([0-9]+).*/\1/' <<<"$line")"
      requests="$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")"
      # CPU microseconds each server spent per request during the run (10 ms tick resolution).
      proxy_cpu="$(awk -v a="$proxy_before" -v b="$proxy_after" -v t="$clk_tck" -v n="$requests" 'BEGIN { printf "%.0f", (b - a) * 1e6 / t / n }')"
      upstream_cpu="$(awk -v a="$upstream_before" -v b="$upstream_after" -v t="$clk_tck" -v n="$requests" 'BEGIN { printf "%.0f", (b - a) * 1e6 / t / n }')"
      proxy_user="$(awk -v a="$proxy_user_before" -v b="$proxy_user_after" -v t="$clk_tck" -v n="$requests" 'BEGIN { printf "%.0f", (b - a) * 1e6 / t / n }')"
      alloc="$(awk -v a="$alloc_before" -v b="$alloc_after" -v n="$requests" 'BEGIN { printf "%.0f", (b - a) / n }')"
      jit=$((jit_after - jit_before))
      printf '  %-6s %-8s round %d: %9.1f req/s  p50 %7.0f us  p99 %7.0f us  proxy CPU %4s us/req (user %3s)  upstream CPU %4s us/req  alloc %6s B/req  JIT %4s methods  socket errors %s  load %s\n' \
        "$workload" "$target" "$round" "$rps" "$p50" "$p99" "$proxy_cpu" "$proxy_user" "$upstream_cpu" "$alloc" "$jit" "$errors" "$load"
      if grep -q 'Non-2xx or 3xx responses' "$file"; then
        grep 'Non-2xx or 3xx responses' "$file"
        echo "FAIL: $target answered non-2xx/3xx during $workload round $round (see $file)" >&2
        exit 1
      fi
      printf '%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$target" "$round" "$rps" "$p50" "$p99" "$proxy_cpu" "$upstream_cpu" "$alloc" "$jit" >>"$results"
    done
  done
done

echo
echo "== summary (median over ${ROUNDS} round(s); bars: RPS ratio >= 0.90, proxy CPU per request <= 1.15x bare, p99 delta <= +1.00 ms)"
# Median per target of RPS, p50, p99 and proxy CPU; the ratio and delta compare the medians.
# "ratio per round" pairs each AiGuard run with the bare run just before it (min..max).
awk -F'\t' '
  function median(list,    a, m, i, j, t) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  # A 95% bootstrap interval of the median of a list (2,000 resamples, fixed seed): sets lo and hi.
  function bootstrap(list,    a, m, r, i, s, meds, t, j) {
    m = split(list, a, " ")
    srand(1)
    for (r = 1; r <= 2000; r++) {
      s = ""
      for (i = 1; i <= m; i++) s = s " " a[int(rand() * m) + 1]
      meds[r] = median(s)
    }
    for (i = 2; i <= 2000; i++) { t = meds[i]; for (j = i - 1; j >= 1 && meds[j] > t; j--) meds[j + 1] = meds[j]; meds[j + 1] = t }
    lo = meds[50]; hi = meds[1951]
    return m
  }
  NR > 1 {
    k = $1 SUBSEP $2
    rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $7; alloc[k] = alloc[k] " " $9
    if ($2 == "bare") last[$1] = $4
    else if ($2 == "aiguard") { r = $4 / last[$1]; if (!($1 in rmin) || r < rmin[$1]) rmin[$1] = r; if (!($1 in rmax) || r > rmax[$1]) rmax[$1] = r; lastcpu[$1] = $7 }
    else if ($2 == "variant" && lastcpu[$1] > 0) paired[$1] = paired[$1] " " ($7 / lastcpu[$1] - 1) * 100
  }
  END {
    printf "| workload | target | RPS | p50 (ms) | p99 (ms) | proxy CPU (us/req) | alloc (B/req) | RPS ratio AiGuard/bare | ratio per round | CPU ratio | p99 delta (ms) | bars |\n"
    printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    n = split(workloads, ws, " ")
    for (i = 1; i <= n; i++) {
      w = ws[i]; b = w SUBSEP "bare"; a = w SUBSEP "aiguard"
      if (!(b in rps) || !(a in rps)) continue
      br = median(rps[b]); ar = median(rps[a])
      bp99 = median(p99[b]) / 1000; ap99 = median(p99[a]) / 1000
      ratio = ar / br; delta = ap99 - bp99; cpuratio = median(cpu[a]) / median(cpu[b])
      verdict = (ratio >= 0.90 ? "RPS met" : "RPS MISSED") ", " (cpuratio <= 1.15 ? "CPU met" : "CPU MISSED") ", " (delta <= 1.0 ? "p99 met" : "p99 MISSED")
      printf "| %s | bare YARP | %.0f | %.2f | %.2f | %.0f | %.0f | | | | | |\n", w, br, median(p50[b]) / 1000, bp99, median(cpu[b]), median(alloc[b])
      printf "| %s | AiGuard | %.0f | %.2f | %.2f | %.0f | %.0f | %.1f%% | %.0f%%..%.0f%% | %.2fx | %+.2f | %s |\n", w, ar, median(p50[a]) / 1000, ap99, median(cpu[a]), median(alloc[a]), ratio * 100, rmin[w] * 100, rmax[w] * 100, cpuratio, delta, verdict
      l = w SUBSEP "variant"
      if (l in rps) {
        lr = median(rps[l]); lcpu = median(cpu[l])
        rounds = bootstrap(paired[w])
        spread = rounds >= 5 ? sprintf(" (95%% bootstrap interval %+.1f..%+.1f%%, %d rounds)", lo, hi, rounds) : ""
        printf "| %s | AiGuard + %s | %.0f | %.2f | %.2f | %.0f | %.0f | %.1f%% | | %.2fx | %+.2f | %s: %+.1f%% CPU per request against AiGuard without it (medians); paired in each round: median %+.1f%%%s |\n", w, variant, lr, median(p50[l]) / 1000, median(p99[l]) / 1000, lcpu, median(alloc[l]), lr / br * 100, lcpu / median(cpu[b]), median(p99[l]) / 1000 - bp99, variant, (lcpu / median(cpu[a]) - 1) * 100, median(paired[w]), spread
      }
    }
  }' workloads="$WORKLOADS" variant="$COMPARE" "$results"
echo
echo "raw wrk output: $OUT"
