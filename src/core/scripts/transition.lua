--[[
transition: a guarded state change of one job, atomically on the job's hash slot: the
record's fields, one event appended to its list, one attempt appended to its history, the
keys' expiry, and a notification on the job channel. Refused when the job's current status
is not one of the allowed ones, so that two processes racing (a cancel and a finishing
worker, say) cannot both win.

A job's events are a list of "<seq> <json>" entries, not a stream: every stream
preallocates a 4 KB listpack node (stream-node-max-bytes), which made the event log most of
a finished job's memory; a list of a few entries takes a few hundred bytes.

KEYS[1]  the record               <p>:job:{<id>}
KEYS[2]  its events               <p>:job:{<id>}:history
KEYS[3]  its attempts             <p>:job:{<id>}:attempts
ARGV[1]  allowed statuses: ",queued,running," or "*"
ARGV[2]  the job channel          ARGV[3] the job id (published on it)
ARGV[4]  the event's JSON, or ""  ARGV[5] expiry: > 0 ms, 0 leave as is, < 0 persist
ARGV[6]  the attempt's JSON, or "" ARGV[7] events kept at most
ARGV[8..] field, value, ... to set on the record

Returns {applied (1|0), previous status ('' when the job does not exist), tenant}.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, ''} end
if ARGV[1] ~= '*' and not string.find(ARGV[1], ',' .. status .. ',', 1, true) then return {0, status} end
-- Appends first: Redis does not roll a script back, so the status changes only after they succeeded.
if ARGV[4] ~= '' then
  -- Each entry is "<seq> <json>": seq counts on from the newest entry, so ids stay stable when old ones are trimmed.
  local newest = redis.call('LINDEX', KEYS[2], -1)
  local seq = newest and (tonumber(string.match(newest, '^%d+')) or 0) + 1 or 1
  redis.call('RPUSH', KEYS[2], seq .. ' ' .. ARGV[4])
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)
end
if ARGV[6] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[6]) end
if #ARGV >= 8 then redis.call('HSET', KEYS[1], unpack(ARGV, 8)) end
local ttl = tonumber(ARGV[5])
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
elseif ttl < 0 then
  for i = 1, 3 do redis.call('PERSIST', KEYS[i]) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return {1, status, redis.call('HGET', KEYS[1], 'tenant') or ''}
