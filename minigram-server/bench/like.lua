-- Request 2k likes photo p with token t, request 2k+1 unlikes it again, so
-- every request changes state: each one is a durable write.
local tokens = {}
for line in io.lines("/tmp/minigram-tokens.txt") do tokens[#tokens + 1] = line end
local n = 0
request = function()
  local k = math.floor(n / 2)
  local token = tokens[(k % #tokens) + 1]
  local photo = ((k * 7919) % 200) + 1
  local method = (n % 2 == 0) and "POST" or "DELETE"
  n = n + 1
  return wrk.format(method, "/api/photos/" .. photo .. "/like",
    { ["authorization"] = "Bearer " .. token })
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d, socket errors: %d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
