-- wrk script of the benches (bench/common.py): POST a GraphQL query (ledger.py's `me`,
-- mall.py's `mall`) to /graphql, rotating bearer tokens.
--
-- The bench writes the request body and the tokens to a Lua file and passes its path
-- after `--`:
--   wrk -t2 -c50 -d5s --latency -s bench/me.lua http://127.0.0.1:8099/graphql -- tokens.lua
-- That file returns { body = "<JSON>", tokens = { "<jwt>", ... } }.

local threads = 0

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

local body
local tokens
local next_token

function init(args)
  local generated = dofile(args[1])
  body = generated.body
  tokens = generated.tokens
  -- each thread starts elsewhere in the list, so the threads ask for different users
  next_token = (thread_number * 101) % #tokens
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  next_token = next_token % #tokens + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[next_token]
  return wrk.format("POST", nil, nil, body)
end
