--[[
start-attempt: the common start of an attempt in one step on the job's hash slot, for a job
that is plainly queued (not canceled, not a first attempt past its expiry): the record
becomes running with its attempt count raised, a "running" event is appended and the change
is published. The executor then needs no separate read of the record.

KEYS[1]  the record            <p>:job:{<tag>}:<id>
KEYS[2]  its events            <p>:job:{<tag>}:<id>:history
KEYS[3]  its target's outbox   <p>:target:{<tag>}:<t>:outbox (a route's step's first attempt tells its route there)
ARGV[1]  now, ms (startedAt of a first attempt, and the event's time)
ARGV[2]  the job channel       ARGV[3] the job id (published on it)
ARGV[4]  events kept at most

Returns the record's fields as they were before the change (HGETALL's flat list), or an
empty list when nothing changed because the job is missing or needs a decision (running
after a lost attempt, canceled, cancel requested, expired): the caller then reads the
record and decides, as workers/executor/attempt-decision.ts says.
]]
local before = redis.call('HGETALL', KEYS[1])
if #before == 0 then return {} end
local f = {}
for i = 1, #before, 2 do f[before[i]] = before[i + 1] end
if f.status ~= 'queued' or f.cancelRequested == '1' then return {} end
local attempts = tonumber(f.attempts) or 0
if attempts == 0 and tonumber(ARGV[1]) > tonumber(f.expiresAt) then return {} end
local attempt = attempts + 1
redis.call('HSET', KEYS[1], 'status', 'running', 'attempts', attempt)
redis.call('HDEL', KEYS[1], 'runAt')
if not f.startedAt or f.startedAt == '' then redis.call('HSET', KEYS[1], 'startedAt', ARGV[1]) end
-- The event as transition.lua appends it: "<seq> <json>", seq counting on from the newest.
local newest = redis.call('LINDEX', KEYS[2], -1)
local seq = newest and (tonumber(string.match(newest, '^%d+')) or 0) + 1 or 1
redis.call('RPUSH', KEYS[2], seq .. ' {"type":"status","status":"running","attempt":' .. attempt .. ',"at":' .. ARGV[1] .. '}')
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
if attempts == 0 and f.parent then
  -- "<route job id> <route> <index>": the step's route hears that it started (OutboxRelay).
  local parent, route, step = string.match(f.parent, '^(%S+) (%S+) (%d+)$')
  if parent then
    redis.call('XADD', KEYS[3], '*', 'e', '{"kind":"stepStarted","id":"' .. ARGV[3] .. '","parent":{"id":"' .. parent .. '","route":"' .. route .. '","step":' .. step .. '},"at":' .. ARGV[1] .. '}')
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return before
