-- Replays prepared requests and times each one by its tag.
--
-- Run with as many threads as connections (wrk -tN -cN): each thread then has
-- one connection, so request() and response() alternate and every response
-- belongs to the request just sent. Thread i reads DIR/thread-i.tsv, one
-- request per line: tag, once (1 = must not be replayed), method, path,
-- headers separated by \x1f, body, accepted statuses (comma-separated).
-- done() prints one JSON line: per tag the count, errors and latencies (µs).

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

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

function init(args)
  local dir = args[1]
  reqs = {}
  for line in io.lines(dir .. "/thread-" .. id .. ".tsv") do
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
  pos = 0
  replayed = 0
  counts, errors, lat, statuses, samples = {}, {}, {}, {}, {}
  t0 = 0
  current = nil
end

function request()
  pos = pos + 1
  if pos > #reqs then pos = 1 end
  current = reqs[pos]
  if current.once and current.sent then replayed = replayed + 1 end
  current.sent = true
  t0 = now_us()
  return current.raw
end

function response(status, headers, body)
  local us = now_us() - t0
  local tag = current.tag
  counts[tag] = (counts[tag] or 0) + 1
  local l = lat[tag]
  if not l then l = {}; lat[tag] = l end
  l[#l + 1] = math.floor(us)
  local key = tag .. " " .. status
  statuses[key] = (statuses[key] or 0) + 1
  if not current.expect[status] then
    errors[tag] = (errors[tag] or 0) + 1
    if #samples < 5 then samples[#samples + 1] = status .. " " .. current.path end
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local out = {}
  local tags = {}
  for _, thread in ipairs(threads) do
    for tag, n in pairs(thread:get("counts") or {}) do
      local t = tags[tag]
      if not t then t = {count = 0, errors = 0, lat = {}}; tags[tag] = t end
      t.count = t.count + n
    end
    for tag, n in pairs(thread:get("errors") or {}) do
      tags[tag].errors = tags[tag].errors + n
    end
    for tag, l in pairs(thread:get("lat") or {}) do
      local dest = tags[tag].lat
      for _, v in ipairs(l) do dest[#dest + 1] = v end
    end
  end
  local parts = {}
  for tag, t in pairs(tags) do
    parts[#parts + 1] = json_string(tag) .. ':{"count":' .. t.count .. ',"errors":' .. t.errors ..
      ',"latency_us":[' .. table.concat(t.lat, ",") .. "]}"
  end
  local status_parts, sample_parts, replays = {}, {}, 0
  local merged = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("statuses") or {}) do merged[key] = (merged[key] or 0) + n end
    for _, s in ipairs(thread:get("samples") or {}) do sample_parts[#sample_parts + 1] = json_string(s) end
    replays = replays + (thread:get("replayed") or 0)
  end
  for key, n in pairs(merged) do status_parts[#status_parts + 1] = json_string(key) .. ":" .. n end
  local e = summary.errors
  io.write("BENCH_JSON {",
    '"duration_us":', summary.duration,
    ',"requests":', summary.requests,
    ',"socket_errors":{"connect":', e.connect, ',"read":', e.read, ',"write":', e.write, ',"timeout":', e.timeout, "}",
    ',"replayed":', replays,
    ',"tags":{', table.concat(parts, ","), "}",
    ',"statuses":{', table.concat(status_parts, ","), "}",
    ',"error_samples":[', table.concat(sample_parts, ","), "]}\n")
end
