--[[
admit: lets one job in for a tenant, or refuses it, in one step on the tenant's hash slot:
the tenant's request-rate window, its in-flight quota and its job-index entry.

KEYS[1]  request counter of the current rate window  <p>:tenant:{t}:rate:<windowStartMs>
KEYS[2]  the tenant's unfinished jobs                <p>:tenant:{t}:in-flight  (zset id -> admitted at)
KEYS[3]  the tenant's job index                      <p>:tenant:{t}:jobs       (zset id -> created at)
ARGV[1]  requests allowed per window
ARGV[2]  window length, ms (the counter expires with its window, plus a margin)
ARGV[3]  unfinished jobs allowed
ARGV[4]  job id
ARGV[5]  now, ms: the job's score in both sets
ARGV[6]  index horizon, ms: index entries older than now minus this are trimmed

Returns {code, count}: code 1 admitted, 0 over the request rate, -1 over the in-flight
quota; count is the window's requests with this one (for RateLimit-Remaining). A refused
request still counts against the rate, as every other request does.
]]
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then return {0, count} end
if not redis.call('ZSCORE', KEYS[2], ARGV[4]) then
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {-1, count} end
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
end
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[5]) - tonumber(ARGV[6]))
return {1, count}
