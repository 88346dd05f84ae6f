-- Replays prepared requests and records each response by its tag.
--
--   wrk -tN -cN -d10s -s replay.lua URL -- REQUEST_DIR RESULT_DIR
--
-- Run with as many threads as connections: each thread then has one
-- connection, so request() and response() alternate and every response
-- belongs to the request just sent. Thread i replays REQUEST_DIR/thread-i.tsv,
-- one request per line: tag, once (1 = must not be replayed), method, path,
-- headers separated by \x1f, body, accepted statuses (comma-separated), and
-- appends one line per response to RESULT_DIR/result-i.tsv:
--   tag \t status \t microseconds \t 1 if the status was accepted else 0 [\t path]
-- and "replay \t tag" whenever a once-only request had to be sent again.
-- Results go to files rather than through thread:get(), which copies tables
-- between Lua states unreliably; done() prints the run's totals as JSON.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec[1]")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts[0].tv_sec) * 1000000 + tonumber(ts[0].tv_nsec) / 1000
end

local function split(line, sep)
  local out, start = {}, 1
  while true do
    local i = string.find(line, sep, start, true)
    if not i then
      out[#out + 1] = string.sub(line, start)
      return out
    end
    out[#out + 1] = string.sub(line, start, i - 1)
    start = i + #sep
  end
end

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  reqs = {}
  for line in io.lines(args[1] .. "/thread-" .. id .. ".tsv") do
    local f = split(line, "\t")
    local headers = {}
    if f[5] ~= "" then
      for _, h in ipairs(split(f[5], "\x1f")) do
        local colon = string.find(h, ": ", 1, true)
        headers[string.sub(h, 1, colon - 1)] = string.sub(h, colon + 2)
      end
    end
    local body = nil
    if f[6] ~= "" then body = f[6] end
    local expect = {}
    for _, s in ipairs(split(f[7], ",")) do expect[tonumber(s)] = true end
    reqs[#reqs + 1] = {
      tag = f[1], once = f[2] == "1", raw = wrk.format(f[3], f[4], headers, body), expect = expect, path = f[4],
    }
  end
  out = assert(io.open(args[2] .. "/result-" .. id .. ".tsv", "w"))
  pos = 0
  t0 = 0
  current = nil
end

function request()
  -- wrk calls thread 0's request() once before the run to check the script
  -- (script_verify_request); that request is never sent, so it must not use up a row.
  if id == 0 and not verified then
    verified = true
    return reqs[1].raw
  end
  pos = pos + 1
  if pos > #reqs then pos = 1 end
  current = reqs[pos]
  if current.once and current.sent then out:write("replay\t", current.tag, "\n") end
  current.sent = true
  t0 = now_us()
  return current.raw
end

function response(status, headers, body)
  local us = math.floor(now_us() - t0)
  if current.expect[status] then
    out:write(current.tag, "\t", status, "\t", us, "\t1\n")
  else
    out:write(current.tag, "\t", status, "\t", us, "\t0\t", current.path, "\n")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write("BENCH_JSON {",
    '"duration_us":', summary.duration,
    ',"requests":', summary.requests,
    ',"socket_errors":{"connect":', e.connect, ',"read":', e.read, ',"write":', e.write, ',"timeout":', e.timeout,
    "}}\n")
end
