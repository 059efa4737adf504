-- Shared helpers for the tokenvault wrk scripts (loaded with dofile by each scenario).
--
-- Environment (set by bench/run.sh; never written to a file):
--   TV_TOKEN          bearer token of the merchant client (tokenize, payments, read)
--   TV_ADMIN_TOKEN    bearer token of the admin client (detokenize)
--   TV_TOKENS_FILE    file with one vault token (tok_...) a line, for detokenize/payments/mixed
--   TV_PHASE          digit 1-9 that keeps synthetic PANs distinct between wrk runs
--   TV_SEED_OUT       (seeding only) prefix of the files the collected tokens are appended to
--   TV_SEED_LIMIT     (seeding only) stop after this many tokens in total
--   TV_PAYMENT_ID     (ceiling only) id of an existing payment
local M = {}

function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default ~= nil then return default end
    error("environment variable " .. name .. " is not set")
  end
  return v
end

-- ---- per-thread identity, so every thread makes distinct PANs and keys ----
-- setup() runs in the main Lua state once per thread; done() reads the threads back.
M.threads = {}
local next_tid = 0

function M.setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(M.threads, thread)
end

function M.init_thread()
  -- tid is set by setup() before init() runs in the thread
  local id = tid or 0
  math.randomseed(os.time() * 1000 + id * 7919 + tonumber(M.env("TV_PHASE", "1")))
  for _ = 1, 10 do math.random() end
  return id
end

-- ---- synthetic, Luhn-valid PANs (never real cards) ----
-- 16 digits: 400000 + phase (1-9) + thread (0-9) + 7-digit counter + Luhn check digit.
local function luhn_digit(body)
  local sum, double = 0, true
  for i = #body, 1, -1 do
    local d = body:byte(i) - 48
    if double then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum = sum + d
    double = not double
  end
  return (10 - sum % 10) % 10
end
M.luhn_digit = luhn_digit

local pan_counter = 0
function M.next_pan()
  pan_counter = pan_counter + 1
  local body = string.format("400000%d%d%07d", tonumber(M.env("TV_PHASE", "1")) % 10,
    (tid or 0) % 10, pan_counter % 10000000)
  return body .. luhn_digit(body)
end

-- ---- the token list and Zipf sampling over it ----
function M.load_tokens()
  local list = {}
  local f = assert(io.open(M.env("TV_TOKENS_FILE"), "r"))
  for line in f:lines() do
    if line:match("^tok_%w+$") then list[#list + 1] = line end
  end
  f:close()
  assert(#list > 0, "no tokens in TV_TOKENS_FILE")
  return list
end

-- Cumulative distribution of Zipf(s) over ranks 1..n (rank 1 the most requested).
function M.zipf_cdf(n, s)
  local cdf, total = {}, 0
  for k = 1, n do
    total = total + 1 / (k ^ s)
    cdf[k] = total
  end
  for k = 1, n do cdf[k] = cdf[k] / total end
  return cdf
end

function M.zipf_pick(cdf)
  local u, lo, hi = math.random(), 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

-- ---- requests ----
function M.headers(bearer, extra)
  local h = { ["Authorization"] = "Bearer " .. bearer, ["Content-Type"] = "application/json" }
  if extra then for k, v in pairs(extra) do h[k] = v end end
  return h
end

function M.tokenize_request(bearer)
  return wrk.format("POST", "/v1/tokens", M.headers(bearer),
    '{"type":"card","value":"' .. M.next_pan() .. '"}')
end

function M.detokenize_request(bearer, token)
  return wrk.format("POST", "/v1/detokenize", M.headers(bearer), '{"token":"' .. token .. '"}')
end

local key_counter = 0
local run_id = string.format("%x", os.time())
function M.payment_request(bearer, token)
  key_counter = key_counter + 1
  -- unique per run, phase, thread and request (the vault stores only a keyed reference of it)
  local key = string.format("bench-%s-p%d-t%d-n%d", run_id, tonumber(M.env("TV_PHASE", "1")),
    tid or 0, key_counter)
  -- 25.00 USD: not a decline trigger (amounts ending in 51 minor units are)
  return wrk.format("POST", "/v1/payments", M.headers(bearer, { ["Idempotency-Key"] = key }),
    '{"token":"' .. token .. '","amount":2500,"currency":"USD"}')
end

-- ---- the result line run.sh parses (latencies in microseconds) ----
-- Non-2xx: wrk counts every status > 399 in summary.errors.status; no 1xx/3xx are expected here.
function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "TV_RESULT requests=%d duration_us=%d p50_us=%d p75_us=%d p90_us=%d p99_us=%d p999_us=%d "
      .. "max_us=%d non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end

return M
