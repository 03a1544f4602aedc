-- wrk script: UpdateUser on one of 10,000 pre-created users, chosen at random.
math.randomseed(os.time())
local users = tonumber(os.getenv("BENCH_USERS") or "10000")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  local id = math.random(0, users - 1)
  local body = '{"type":"UpdateUser","data":{"name":"User ' .. math.random(1, 1000000) .. '"}}'
  return wrk.format(nil, "/v1/commands/User/bench-u" .. id, nil, body)
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.errors.status))
end
