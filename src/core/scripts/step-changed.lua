--[[
step-changed: a step of a route's job changed status (it was created, started or ended), told
on the route's slot. Records the step's status in the route's record, appends a `step` event
to the route's events and asks the route to move on: an `advance` entry in the route's outbox,
which a gateway's RouteConductor carries out. One script, so the status, the event and the
request to move are written together or not at all.

A status only moves forward (pending < queued < running < ended), but for a replay: the relay carries a step's
entries out in order, but the conductor's "queued" for a chain step it just created may land
after the step has already started, and an entry carried out twice must change nothing.

KEYS[1]  the route's record        KEYS[2]  its events        KEYS[3]  the route's outbox
ARGV[1]  the step's index          ARGV[2]  its new status    ARGV[3]  now, ms
ARGV[4]  the job channel           ARGV[5]  the route job's id (published on it)
ARGV[6]  events kept at most
ARGV[7]  "reopen": the step was replayed (an admin replay of its dead letter), so it moves back
         to queued, from failed or canceled only; else "" (forward only)
Returns 1 when the status changed, 0 when the route's job is gone or the step was already there.
]]
local plan = redis.call('HGET', KEYS[1], 'plan')
if not plan then return 0 end
local field = 's' .. ARGV[1]
local rank = { pending = 0, skipped = 0, queued = 1, running = 2, succeeded = 3, failed = 3, canceled = 3 }
local current = redis.call('HGET', KEYS[1], field) or 'pending'
if ARGV[7] == 'reopen' then
  if current ~= 'failed' and current ~= 'canceled' then return 0 end
elseif (rank[ARGV[2]] or -1) <= (rank[current] or 0) then
  return 0
end
local step = cjson.decode(plan).steps[tonumber(ARGV[1]) + 1]
if not step then return 0 end
redis.call('HSET', KEYS[1], field, ARGV[2])
-- The event as transition.lua appends it: "<seq> <json>", seq counting on from the newest.
local newest = redis.call('LINDEX', KEYS[2], -1)
local seq = newest and (tonumber(string.match(newest, '^%d+')) or 0) + 1 or 1
-- Built by hand: every part is a name, a status, an id or a number (cjson would print a time in %.14g).
local event = '{"type":"step","step":"' .. step.name .. '","status":"' .. ARGV[2] .. '","at":' .. ARGV[3] .. '}'
redis.call('RPUSH', KEYS[2], seq .. ' ' .. event)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
redis.call('XADD', KEYS[3], '*', 'e', '{"kind":"advance","id":"' .. ARGV[5] .. '","at":' .. ARGV[3] .. '}')
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
