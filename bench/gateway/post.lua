-- wrk script of the sidecar comparison (bench/gateway/run.ts):
--
--   wrk -t1 -c32 -d15s --timeout 10s -s bench/gateway/post.lua http://127.0.0.1:PORT/topics/TOPIC
--
-- Every request is a POST of the same 200-byte body with a key from 1000 (so the
-- partitioner spreads them, as real keys would). Each thread counts the answers by
-- status; done() sums the threads and prints one line, "WRKJSON {...}", that the
-- runner parses: latency percentiles in microseconds (wrk's unit), the 202s, the
-- other statuses, and wrk's own socket error counts.
--
-- wrk is a closed loop (each connection waits for its answer before sending the
-- next request), so the percentiles are the service time under 32 concurrent
-- callers, not the latency at a fixed arrival rate.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  accepted = 0   -- 202: produced and acknowledged
  unavailable = 0 -- 503: the sink reported a produce error
  other = 0      -- anything else
  counter = 0
  body = string.rep("x", 200)
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/octet-stream",
    ["x-kafka-key"] = "user-" .. (counter % 1000),
  }, body)
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status == 503 then
    unavailable = unavailable + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, u, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    u = u + t:get("unavailable")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us":%d,"requests":%d,"bytes":%d,"accepted":%d,"unavailable":%d,"other":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.duration, summary.requests, summary.bytes, a, u, o,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
