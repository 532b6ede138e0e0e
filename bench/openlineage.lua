-- OpenLineage START + COMPLETE pairs for bench/openlineage.py, in the BENCH_RESULT format of
-- bench/harness/workload.lua. Each pair is a new run of a job picked at random in [lo, hi],
-- reading two tables and writing one; the COMPLETE is sent once its START was answered, with
-- the runId the answer gives back. setup() and done(), and the counters they read, are those
-- of workload.lua, loaded first.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "harness/workload.lua")

local opt = {}
local pending, head, tail = {}, 1, 0

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then opt[key] = value end
  end
  math.randomseed(tonumber(opt.seed) or os.time())
  wrk.headers["Content-Type"] = "application/json"
end

-- A random UUID whose last group is the job's number, read back when the START is answered.
local function run_id_of(job)
  return string.format("%08x-%04x-4%03x-%04x-%012x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), job)
end

local function event(event_type, run_id, job, rows)
  local output = string.format('{"namespace":"postgres://db:5432","name":"bench.mart.out_%d"', job)
  if rows then
    output = output .. string.format(',"outputFacets":{"outputStatistics":{"rowCount":%d}}', rows)
  end
  return string.format(
    '{"eventType":"%s","eventTime":"%s","producer":"bench","schemaURL":"bench",' ..
    '"run":{"runId":"%s"},"job":{"namespace":"bench","name":"job_%d"},' ..
    '"inputs":[{"namespace":"postgres://db:5432","name":"bench.raw.a_%d"},' ..
    '{"namespace":"postgres://db:5432","name":"bench.raw.b_%d"}],"outputs":[%s}]}',
    event_type, os.date("!%Y-%m-%dT%H:%M:%SZ"), run_id, job, job, job, output)
end

function request()
  if head <= tail then
    local started = pending[head]
    pending[head] = nil
    head = head + 1
    return wrk.format("POST", opt.path, nil,
      event("COMPLETE", started.run_id, started.job, math.random(0, 1000)))
  end
  local job = math.random(tonumber(opt.lo), tonumber(opt.hi))
  return wrk.format("POST", opt.path, nil, event("START", run_id_of(job), job, nil))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    bad_status = status
    return
  end
  if body:find('"START recorded"', 1, true) then
    local run_id = body:match('"run_id"%s*:%s*"([%x%-]+)"')
    if run_id then
      tail = tail + 1
      pending[tail] = {run_id = run_id, job = tonumber(run_id:sub(-12), 16)}
    end
  else
    ends = ends + 1
  end
end
