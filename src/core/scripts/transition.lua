--[[
transition: a guarded state change of one job and its side effects, atomically on the slot
of the job's target: the record's fields, one event appended to its list, one attempt
appended to its history, the keys' expiry, its entry in the target's dead-letter index, an
outbox entry for the effects on other slots, and a notification on the job channel.
Refused (changing nothing) when the job's current status is not one of the allowed ones, so
that two processes racing (a cancel and a finishing worker, say) cannot both win.

The outbox entry is what makes a change and its effects elsewhere one write: the tenant's
in-flight set lives on the tenant's slot and the webhook queue on its own, so a script
cannot touch them; the entry is written here or not at all, and the OutboxRelay carries it
out (at least once; every effect is idempotent) and only then deletes it.

A job's events are a list of "<seq> <json>" entries, not a stream: every stream
preallocates a 4 KB listpack node (stream-node-max-bytes), which made the event log most of
a finished job's memory; a list of a few entries takes a few hundred bytes.

KEYS[1]  the record               <p>:job:{<tag>}:<id>
KEYS[2]  its events               <p>:job:{<tag>}:<id>:history
KEYS[3]  its attempts             <p>:job:{<tag>}:<id>:attempts
KEYS[4]  (when ARGV[8] or ARGV[9] is set) the target's dead letters  <p>:target:{<tag>}:<t>:dead-letters
KEYS[5]  (likewise) the target's outbox                              <p>:target:{<tag>}:<t>:outbox
ARGV[1]  allowed statuses: ",queued,running," or "*"
ARGV[2]  the job channel          ARGV[3] the job id (published on it)
ARGV[4]  the event's JSON, or ""  ARGV[5] expiry: > 0 ms, 0 leave as is, < 0 persist
ARGV[6]  the attempt's JSON, or "" ARGV[7] events kept at most
ARGV[8]  dead-letter index: "" leave, "-" remove, else the score to add the job with
ARGV[9]  the outbox entry's JSON, or ""
ARGV[10..] field, value, ... to set on the record (a value "" deletes the field)

Returns {applied (1|0), previous status ('' when the job does not exist), tenant}, or a
WRONGTYPE error, having changed nothing, when a key it would write holds another type.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, ''} end
if ARGV[1] ~= '*' and not string.find(ARGV[1], ',' .. status .. ',', 1, true) then return {0, status} end
-- Redis does not roll a script back: a write that fails half-way would leave the others done.
-- Past its first write a script can fail only on a key of another type (a bug or a hand
-- edit), so those are checked before any write.
local function refuses(arg, key, kind)
  if arg == '' then return false end
  local t = redis.call('TYPE', key)['ok']
  return t ~= 'none' and t ~= kind
end
if refuses(ARGV[4], KEYS[2], 'list') or refuses(ARGV[6], KEYS[3], 'list') or refuses(ARGV[8], KEYS[4], 'zset') or refuses(ARGV[9], KEYS[5], 'stream') then
  return redis.error_reply('WRONGTYPE a key job ' .. ARGV[3] .. ' would write holds another type; nothing changed')
end
if ARGV[4] ~= '' then
  -- Each entry is "<seq> <json>": seq counts on from the newest entry, so ids stay stable when old ones are trimmed.
  local newest = redis.call('LINDEX', KEYS[2], -1)
  local seq = newest and (tonumber(string.match(newest, '^%d+')) or 0) + 1 or 1
  redis.call('RPUSH', KEYS[2], seq .. ' ' .. ARGV[4])
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)
end
if ARGV[6] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[6]) end
if ARGV[9] ~= '' then redis.call('XADD', KEYS[5], '*', 'e', ARGV[9]) end
if ARGV[8] == '-' then
  redis.call('ZREM', KEYS[4], ARGV[3])
elseif ARGV[8] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[8], ARGV[3])
end
-- The record keeps no empty fields: a field set to "" is deleted instead.
local set, del = {}, {}
for i = 10, #ARGV - 1, 2 do
  if ARGV[i + 1] == '' then
    del[#del + 1] = ARGV[i]
  else
    set[#set + 1] = ARGV[i]
    set[#set + 1] = ARGV[i + 1]
  end
end
if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
if #del > 0 then redis.call('HDEL', KEYS[1], unpack(del)) end
local ttl = tonumber(ARGV[5])
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
elseif ttl < 0 then
  for i = 1, 3 do redis.call('PERSIST', KEYS[i]) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return {1, status, redis.call('HGET', KEYS[1], 'tenant') or ''}
