-- wrk script for `safeguard bench flags`: FHIR flag lookups, a share of them (BENCH_HIT_SHARE,
-- default 0.8) for NHS numbers that hold a flag and the rest for valid numbers that hold none,
-- each as unscheduled care (the LA is told of every hit). With BENCH_MODE=healthz it asks for
-- /healthz instead, the static ceiling.
--
-- Env: BENCH_MODE (flags | healthz), BENCH_TOKEN (a flags:read API token), BENCH_HITS and
-- BENCH_MISSES (files of NHS numbers, one a line), BENCH_HIT_SHARE.
--
-- done() prints one line, `BENCH_JSON {...}`: requests, duration, rate, latency percentiles
-- (microseconds), wrk's socket errors, the responses that were not 200 (any is a failure), and
-- per kind the lookups sent and the 200 answers that had flags (hits) or none (misses).

local mode = os.getenv("BENCH_MODE") or "flags"
local hit_share = tonumber(os.getenv("BENCH_HIT_SHARE") or "0.8")
local prefix = "/fhir/Flag?patient.identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C"

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

function init(args)
  sent_hits, sent_misses, answered_hits, answered_misses, not_ok = 0, 0, 0, 0, 0
  first_bad = ""
  math.randomseed(os.time() * 1000 + id)
  if mode == "flags" then
    hits = read_lines(os.getenv("BENCH_HITS"))
    misses = read_lines(os.getenv("BENCH_MISSES"))
    headers = {
      ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
      ["X-Unscheduled-Access"] = "true",
      ["Accept"] = "application/fhir+json",
    }
  end
end

function request()
  if mode ~= "flags" then
    return wrk.format("GET", "/healthz")
  end
  local nhs
  if math.random() < hit_share then
    sent_hits = sent_hits + 1
    nhs = hits[math.random(#hits)]
  else
    sent_misses = sent_misses + 1
    nhs = misses[math.random(#misses)]
  end
  return wrk.format("GET", prefix .. nhs, headers)
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 200)
    end
  elseif mode == "flags" then
    -- A searchset Bundle: "total":0 when the number holds no flag.
    if string.find(body, '"total":0', 1, true) then
      answered_misses = answered_misses + 1
    else
      answered_hits = answered_hits + 1
    end
  end
end

function done(summary, latency, requests)
  local sum = { sent_hits = 0, sent_misses = 0, answered_hits = 0, answered_misses = 0, not_ok = 0 }
  local bad = ""
  for _, t in ipairs(threads) do
    for k, _ in pairs(sum) do
      sum[k] = sum[k] + (t:get(k) or 0)
    end
    if bad == "" then bad = t:get("first_bad") or "" end
  end
  bad = string.gsub(bad, '[%c"\\]', " ")
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rate":%.1f,' ..
    '"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,' ..
    '"socket_errors":%d,"non_2xx":%d,"not_200":%d,' ..
    '"sent_hits":%d,"sent_misses":%d,"answered_hits":%d,"answered_misses":%d,"first_bad":"%s"}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, sum.not_ok,
    sum.sent_hits, sum.sent_misses, sum.answered_hits, sum.answered_misses, bad))
end
