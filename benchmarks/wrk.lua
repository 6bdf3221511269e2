-- wrk script of benchmarks/run.py, which writes `config = {...}` above this text (wrk.py).
--
-- config.request                  a fixed scenario: wrk sends this request over and over (wrk's
--                                 static path: no Lua call per request).
-- config.create, config.read,     a create-then-read scenario: POST create; when its reply has
-- config.id_field                 the create status, take the first "<id_field>": value of the
--                                 body and GET read.path with {id} replaced by it; reads never
--                                 outnumber creates, so each read is of something created.
--
-- Every thread counts replies outside 2xx (and creates whose reply had no id); done() prints one
-- line `WRK_JSON {...}` that run.py reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function apply(request)
  wrk.method = request.method
  wrk.path = request.path
  wrk.body = request.body
  for name, value in pairs(request.headers) do
    wrk.headers[name] = value
  end
end

function init(args)
  non2xx = 0
  no_id = 0
  if config.request then
    apply(config.request)
  end
end

if config.create then
  local created, creates, reads = {}, 0, 0
  local id_pattern = '"' .. config.id_field .. '"%s*:%s*"?([^",}%s]+)'

  function request()
    if #created > 0 and reads < creates then
      reads = reads + 1
      local id = table.remove(created, 1)
      local path = config.read.path:gsub("{id}", function() return id end)
      return wrk.format(config.read.method, path, config.read.headers, config.read.body)
    end
    creates = creates + 1
    return wrk.format(config.create.method, config.create.path, config.create.headers, config.create.body)
  end

  function response(status, headers, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    elseif status == config.create.status then
      local id = body:match(id_pattern)
      if id then
        table.insert(created, id)
      else
        no_id = no_id + 1
      end
    end
  end
else
  function response(status, headers, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    end
  end
end

function done(summary, latency, requests)
  local non2xx_total, no_id_total = 0, 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    no_id_total = no_id_total + thread:get("no_id")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, "no_id": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, non2xx_total, no_id_total,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
