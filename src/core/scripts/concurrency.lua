--[[
concurrency: one target's adaptive concurrency limit, shared by every executor of the target.
One hash on the target's slot (src/core/keys.ts, `concurrency`), changed only by this script.

AIMD on what the upstream shows. Each executor reports, every 50 ms or so, the answers it
got since its last report: how many 2xx and the fastest of them (the fastest, because an
executor short of CPU handles some answers late, which inflates their measured time but
seldom all of them, while an upstream past its knee slows every answer), and how many
signs of overload (429, 503, timeouts). A report is "slow" when its fastest answer took
longer than the reference (the lowest such time seen, drifting up slowly) times the
tolerance. An
overloaded or slow report cuts the limit by a tenth, the first one by half (at most once
per 100 ms, so that the reports of several executors about the same moment cut it once); a
healthy one grows it by one per limit² answers (four times slower within one of the level
it was last cut from), or, until the first cut, by one per answer (a slow start, doubling it
per round trip). It grows only while at least half of it is in use.

Fields: limit (a float between min and max), ref (the reference latency, ms), cutAt (ms of
the last cut), cutFrom (the limit it was cut from), grown ('1' after the first cut), w:<executor> ("<in flight>:<ms>": each
executor's last report).

KEYS[1]  the limiter
ARGV[1]  operation: report | read
ARGV[2]  now, ms

report  ARGV[3] the executor's id  ARGV[4] its attempts in flight now  ARGV[5] 2xx answers
        since its last report  ARGV[6] the fastest of them, ms  ARGV[7] signs of overload
        ARGV[8] min  ARGV[9] max  ARGV[10] latency tolerance
        -> { limit, ref ('' before any answer), executors reporting, in flight across them,
             this executor's share, the last cut's time (ms, 0 before any) }: answers to
             attempts that started before the last cut are not reported (they show the load
             before it, and would cut it again for the same cause)
read    ARGV[3] min  -> { limit, ref, executors reporting, in flight across them }

An executor's share is the limit (rounded down) split over the executors that reported in
the last 5 s, by the rank of their ids, so the shares add up to the limit; every executor
gets at least one (with more executors than the limit allows, the total is their number).
]]
local key = KEYS[1]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local STALE_MS = 5000
local CUT_EVERY_MS = 100

local raw = redis.call('HGETALL', key)
local h = {}
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end

-- The executors that reported recently, their in-flight total, and the rank of `me` among them.
local function fleet(prune, me)
  local ids, inFlight, stale = {}, 0, {}
  for field, value in pairs(h) do
    if string.sub(field, 1, 2) == 'w:' then
      local n, at = string.match(value, '^(%d+):(%d+)$')
      if at and now - tonumber(at) <= STALE_MS then
        ids[#ids + 1] = string.sub(field, 3)
        inFlight = inFlight + tonumber(n)
      else
        stale[#stale + 1] = field
      end
    end
  end
  if prune and #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  table.sort(ids)
  local rank = 0
  for i, id in ipairs(ids) do
    if id == me then rank = i - 1 end
  end
  return #ids, inFlight, rank
end

local fmt = function(x) return string.format('%.3f', x) end

if op == 'read' then
  local executors, inFlight = fleet(false, nil)
  return { h.limit or ARGV[3], h.ref or '', executors, inFlight }
end

if op == 'report' then
  local me, mine = ARGV[3], tonumber(ARGV[4])
  local answers, fastest, overloads = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
  local min, max, tolerance = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
  h['w:' .. me] = mine .. ':' .. now
  redis.call('HSET', key, 'w:' .. me, mine .. ':' .. now)
  local executors, inFlight, rank = fleet(true, me)

  local limit = math.max(min, math.min(max, tonumber(h.limit) or min))
  local ref = tonumber(h.ref)
  local typical = answers > 0 and fastest or nil
  local slow = typical ~= nil and ref ~= nil and typical > ref * tolerance
  if overloads > 0 or slow then
    if not h.cutAt or now - tonumber(h.cutAt) >= CUT_EVERY_MS then
      -- The first cut ends the slow start, which overshoots by up to twice: halve. Then a tenth.
      redis.call('HSET', key, 'cutAt', now, 'grown', '1', 'cutFrom', fmt(limit))
      limit = math.max(min, limit * (h.grown == '1' and 0.9 or 0.5))
    end
  elseif answers > 0 and inFlight * 2 >= limit then
    -- One more per limit² answers, and a quarter of that within one of the level that was
    -- last found too high: it probes past the knee seldom, and comes back at once.
    if h.grown == '1' then
      local step = answers / (limit * limit)
      if h.cutFrom and limit + 1 >= tonumber(h.cutFrom) then step = step / 4 end
      limit = limit + step
    else
      limit = limit + answers
    end
    limit = math.min(max, limit)
  end
  if typical ~= nil then
    -- The reference is the lowest seen; reports that stay slower without being slow (a bigger
    -- payload, a slower upstream after a deploy) raise it slowly.
    if ref == nil or typical < ref then ref = typical elseif not slow then ref = ref + (typical - ref) * 0.02 end
    redis.call('HSET', key, 'ref', fmt(ref))
  end
  redis.call('HSET', key, 'limit', fmt(limit))

  local whole = math.floor(limit)
  local share = math.floor(whole / executors)
  if rank < whole % executors then share = share + 1 end
  return { fmt(limit), ref and fmt(ref) or '', executors, inFlight, math.max(1, share), redis.call('HGET', key, 'cutAt') or '0' }
end

return redis.error_reply('concurrency: unknown operation ' .. tostring(op))
