-- wrk script of wrk.sh's failure route: a unique id per request as the last path segment
-- (NONCE-THREAD-N, the nonce passed after --), so that the simulator can tie together the
-- upstream requests of one client request.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  nonce = args[1] or "x"
  n = 0
end
function request()
  n = n + 1
  return wrk.format("GET", "/api/fail/" .. nonce .. "-" .. tid .. "-" .. n)
end
