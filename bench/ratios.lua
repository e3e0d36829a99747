-- wrk script of bench/ratios.py: POST a GraphQL body to /graphql with a bearer token,
-- a per-request unique value substituted into the body, and every answer checked.
--
--   wrk -t2 -c50 -d5s --latency -s bench/ratios.lua http://127.0.0.1:8095/graphql \
--       -- data.lua TAG THREADS FIRST
--
-- data.lua returns {
--   body = "<JSON>",      -- may hold @@UNIQUE@@ (TAG-<request number>: unique in the run)
--                         -- and @@SLOT@@ (string.format(slot_format, slot_base + n % slot_count))
--   tokens = { "<jwt>", ... },
--   once = false,         -- true: each token serves one request only (a user's first
--                         -- check-in); when they run out the thread stops
--   expect = "<text>",    -- every good answer holds it (plain text, not a pattern)
--   slot_format = "%d", slot_base = 0, slot_count = 1,
-- }
-- Request number n of thread t is t + k * THREADS (k = 0, 1, ...): no two threads share one.
-- A `once` run takes token FIRST + n (0-based): FIRST is where the previous run stopped.
-- A good answer is a 200 holding `expect` and no "extensions" (GraphQL errors carry one;
-- the benches' payload errors ask for `code` only). At the end it prints
--   ratios.lua: unexpected <N> used <M> exhausted <E>
--   ratios.lua: seconds <unix second>:<answers>,...
-- M: how many tokens a `once` run went through from FIRST (the next run starts after them);
-- the answers received in each second of the clock (os.time), so that the bench can count
-- a steady window: wrk's own rate also counts the start, when all the connections wait for
-- their first answer together, and leaves out the work on the answers still on their way.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

local body
local tokens
local once
local expect
local tag
local stride
local first
local slot_format
local slot_base
local slot_count
local dynamic
local k = 0
-- read by done() through thread:get, so global
unexpected = 0
used = 0
exhausted = 0
seconds = {}
local shown = false

function init(args)
  local data = dofile(args[1])
  tag = args[2]
  stride = tonumber(args[3])
  first = tonumber(args[4] or "0")
  body = data.body
  tokens = data.tokens
  once = data.once
  expect = data.expect
  slot_format = data.slot_format or "%d"
  slot_base = data.slot_base or 0
  slot_count = data.slot_count or 1
  dynamic = body:find("@@", 1, true) ~= nil
  if not once then
    -- each thread starts elsewhere in the list, so the threads ask for different users
    k = (thread_number * 101) % #tokens
  end
  wrk.headers["Content-Type"] = "application/json"
end

local function substitute(n)
  local values = {
    UNIQUE = tag .. "-" .. n,
    SLOT = string.format(slot_format, slot_base + n % slot_count),
  }
  return (body:gsub("@@(%u+)@@", values))
end

function request()
  local n = thread_number + k * stride
  k = k + 1
  local token
  if once then
    if first + n >= #tokens then
      exhausted = exhausted + 1
      wrk.thread:stop()
      n = #tokens - 1 - first -- a repeat, counted as exhausted: the thread stops with it
    end
    token = tokens[first + n + 1]
    if n + 1 > used then
      used = n + 1
    end
  else
    token = tokens[n % #tokens + 1]
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  return wrk.format("POST", nil, nil, dynamic and substitute(n) or body)
end

function response(status, headers, answer)
  local now = os.time()
  seconds[now] = (seconds[now] or 0) + 1
  if status ~= 200 or not answer:find(expect, 1, true) or answer:find('"extensions"', 1, true) then
    unexpected = unexpected + 1
    if not shown then
      shown = true
      io.stderr:write("ratios.lua: unexpected answer " .. status .. ": " .. answer:sub(1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local bad, most, out = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    most = math.max(most, thread:get("used"))
    out = out + thread:get("exhausted")
  end
  io.write(string.format("ratios.lua: unexpected %d used %d exhausted %d\n", bad, most, out))
  local answers = {}
  for _, thread in ipairs(threads) do
    for second, count in pairs(thread:get("seconds")) do
      answers[second] = (answers[second] or 0) + count
    end
  end
  local parts = {}
  for second, count in pairs(answers) do
    table.insert(parts, string.format("%d:%d", second, count))
  end
  io.write("ratios.lua: seconds " .. table.concat(parts, ",") .. "\n")
end
