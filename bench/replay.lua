-- wrk replays pre-signed Twilio webhooks, each MessageSid once: wrk -s replay.lua URL -- FILE THREADS
-- FILE holds one request a line: the form body, a tab, its X-Twilio-Signature. Thread k of
-- THREADS sends lines k, k+THREADS, ...; a thread that runs out starts again and says so in done().
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[2])
  reqs, sent, wrapped = {}, 0, 0
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then
      local body, sig = line:match("^([^\t]*)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/twilio/inbound", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = sig,
      }, body)
    end
    i = i + 1
  end
end

function request()
  sent = sent + 1
  if sent > #reqs then
    sent, wrapped = 1, wrapped + 1
  end
  return reqs[sent]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
  end
  io.write(string.format("replayed-wraps: %d\n", wraps))
end
