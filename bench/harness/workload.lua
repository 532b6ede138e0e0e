-- One wrk script for every built-in workload; bench/harness/load.py passes its options as
-- key=value arguments and reads the BENCH_RESULT line that done() prints.
--
-- kind=get        GET path
-- kind=start      POST start_path {"pipeline_id": random in [lo, hi]}
-- kind=end        POST end_path {"id": first, first + 1, ... last} (wraps, and counts it)
-- kind=lifecycle  start, then end with the id the start answered, for every run
-- kind=pipeline   POST path {"name": prefix .. random in [lo, hi], "pipeline_type_name": type}
--
-- authorization=...  sent as the Authorization header of every request (an API key)

local opt = {}
local pending, head, tail = {}, 1, 0
local next_id, first_id, last_id
local threads = {}

-- Globals, so that done() can read them from each thread.
bad, ends, wrapped, bad_status = 0, 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then opt[key] = value end
  end
  math.randomseed(tonumber(opt.seed) or os.time())
  first_id = tonumber(opt.first or "1")
  last_id = tonumber(opt.last or "1")
  next_id = first_id
  wrk.headers["Content-Type"] = "application/json"
  if opt.authorization then wrk.headers["Authorization"] = opt.authorization end
end

local function post(path, body)
  return wrk.format("POST", path, nil, body)
end

local function start_request()
  local pipeline_id = math.random(tonumber(opt.lo), tonumber(opt.hi))
  return post(opt.start_path, string.format('{"pipeline_id":%d}', pipeline_id))
end

local function end_request(id)
  local inserts = math.random(0, 1000)
  local body = string.format(
    '{"id":%d,"completed_successfully":true,"inserts":%d,"updates":%d,"soft_deletes":0,"total_rows":%d}',
    id, inserts, inserts % 7, inserts + inserts % 7)
  return post(opt.end_path, body)
end

local function next_end_id()
  local id = next_id
  next_id = next_id + 1
  if next_id > last_id then
    next_id = first_id
    wrapped = wrapped + 1
  end
  return id
end

function request()
  local kind = opt.kind
  if kind == "get" then
    return wrk.format("GET", opt.path)
  elseif kind == "start" then
    return start_request()
  elseif kind == "end" then
    return end_request(next_end_id())
  elseif kind == "lifecycle" then
    if head <= tail then
      local id = pending[head]
      pending[head] = nil
      head = head + 1
      return end_request(id)
    end
    return start_request()
  elseif kind == "pipeline" then
    local number = math.random(tonumber(opt.lo), tonumber(opt.hi))
    return post(opt.path, string.format('{"name":"%s%d","pipeline_type_name":"%s"}',
      opt.prefix, number, opt.type))
  end
  error("unknown workload kind " .. tostring(kind))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    bad_status = status
    return
  end
  if opt.kind == "lifecycle" then
    if status == 201 then
      local id = body:match('"id"%s*:%s*(%d+)')
      if id then
        tail = tail + 1
        pending[tail] = tonumber(id)
      end
    else
      ends = ends + 1
    end
  elseif opt.kind == "end" then
    ends = ends + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_ends, total_wrapped, status = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    total_ends = total_ends + thread:get("ends")
    total_wrapped = total_wrapped + thread:get("wrapped")
    if thread:get("bad_status") ~= 0 then status = thread:get("bad_status") end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"seconds":%.6f,"requests":%d,"non2xx":%d,"bad_status":%d,"ends":%d,' ..
    '"wrapped":%d,"socket_errors":%d,"timeouts":%d,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.duration / 1e6, summary.requests, total_bad, status, total_ends, total_wrapped,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3))
end
