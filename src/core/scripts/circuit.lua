--[[
circuit: one target's circuit breaker, shared by every executor of the target. One hash on
the target's slot (src/core/keys.ts, `circuit`), changed only by this script, so that two
executors never both decide a transition.

Fields: state (closed | open | half_open; absent = closed), since (ms of the last change),
until (open: ms its open time ends; absent while forced), forced ('1': held open by an
operator), opens (consecutive opens, for the doubling open time), s:<bucket> / f:<bucket>
(counted successes and retryable failures per window bucket, a tenth of the window each),
p:<token> (a half-open probe in flight: its lease's end, ms).

KEYS[1]  the breaker
ARGV[1]  operation: admit | record | force | read
ARGV[2]  now, ms

admit   ARGV[3] probes let through at once  ARGV[4] a probe's lease, ms  ARGV[5] the attempt's token
        -> { verdict, waitMs, transition }: verdict run (closed) | probe (half-open, the token
           holds a probe lease) | wait (open, or every probe taken: defer for waitMs);
           transition 'half_open' when this call ended the open time, else ''.
record  ARGV[3] ok | fail | neutral  ARGV[4] the probe's token, or ''  ARGV[5] window, ms
        ARGV[6] minAttempts  ARGV[7] failureRatio  ARGV[8] openMs  ARGV[9] maxOpenMs
        -> { transition ('opened' | 'closed' | ''), failures, counted, untilMs }
force   ARGV[3] open | closed  -> { the state before }
read    ARGV[3] window, ms  -> { state, since, until, forced, failures, counted, ratio }: the
        window's counts (empty while open: it starts afresh on closing) and, while open or
        half-open, the failure share that opened it ('' if an operator did)
]]
local key = KEYS[1]
local op = ARGV[1]
local now = tonumber(ARGV[2])

local raw = redis.call('HGETALL', key)
local h = {}
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
local state = h.state or 'closed'

-- Sums the buckets inside the window ending now; with `prune`, drops the ones before it.
local function window(windowMs, prune)
  local bucketMs = math.ceil(windowMs / 10)
  local oldest = math.floor(now / bucketMs) - 9
  local ok, failed, stale = 0, 0, {}
  for field, value in pairs(h) do
    local kind, bucket = string.match(field, '^([sf]):(%d+)$')
    if kind then
      if tonumber(bucket) < oldest then
        stale[#stale + 1] = field
      elseif kind == 's' then
        ok = ok + tonumber(value)
      else
        failed = failed + tonumber(value)
      end
    end
  end
  if prune and #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  return failed, ok + failed, math.floor(now / bucketMs)
end

-- Everything but the open-time count: a fresh window, no probes.
local function resetCounts()
  local drop = {}
  for field in pairs(h) do
    if string.match(field, '^[sfp]:') then drop[#drop + 1] = field end
  end
  if #drop > 0 then redis.call('HDEL', key, unpack(drop)) end
end

-- `ratio`: the failure share that opened it, kept for the operator's view while it is open.
local function open(openMs, maxOpenMs, ratio)
  local opens = (tonumber(h.opens) or 0) + 1
  local length = math.min(openMs * 2 ^ (opens - 1), maxOpenMs)
  local untilMs = math.floor(now + length)
  resetCounts()
  redis.call('HSET', key, 'state', 'open', 'since', now, 'until', untilMs, 'opens', opens, 'ratio', ratio)
  return untilMs
end

if op == 'admit' then
  if state == 'closed' then return { 'run', 0, '' } end
  if state == 'open' then
    if h.forced == '1' then return { 'wait', 1000, '' } end
    local untilMs = tonumber(h['until']) or now
    if now < untilMs then return { 'wait', untilMs - now, '' } end
  end
  local transition = ''
  if state == 'open' then
    redis.call('HSET', key, 'state', 'half_open', 'since', now)
    transition = 'half_open'
  end
  -- Half-open: a probe whose lease ran out died with its executor; its place is free again.
  local taken, nextFree = 0, nil
  for field, value in pairs(h) do
    if string.sub(field, 1, 2) == 'p:' then
      local leaseEnd = tonumber(value)
      if leaseEnd <= now then
        redis.call('HDEL', key, field)
      else
        taken = taken + 1
        if not nextFree or leaseEnd < nextFree then nextFree = leaseEnd end
      end
    end
  end
  if taken < tonumber(ARGV[3]) then
    redis.call('HSET', key, 'p:' .. ARGV[5], now + tonumber(ARGV[4]))
    return { 'probe', 0, transition }
  end
  -- Every probe is out: look again within a second (a probe's answer usually comes sooner).
  return { 'wait', math.max(50, math.min(1000, nextFree - now)), transition }
end

if op == 'record' then
  local outcome, token = ARGV[3], ARGV[4]
  local windowMs, minAttempts, ratio = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
  local openMs, maxOpenMs = tonumber(ARGV[8]), tonumber(ARGV[9])
  if token ~= '' and h['p:' .. token] then
    redis.call('HDEL', key, 'p:' .. token)
    if state == 'half_open' then
      if outcome == 'ok' then
        h['p:' .. token] = nil
        resetCounts()
        redis.call('HSET', key, 'state', 'closed', 'since', now, 'opens', 0)
        redis.call('HDEL', key, 'ratio')
        return { 'closed', 0, 0, 0 }
      elseif outcome == 'fail' then
        return { 'opened', 1, 1, open(openMs, maxOpenMs, 1) }
      end
    end
    return { '', 0, 0, 0 }
  end
  -- Attempts still in flight when it opened end later: they neither extend nor close it.
  if state ~= 'closed' or outcome == 'neutral' then return { '', 0, 0, 0 } end
  local failures, counted, bucket = window(windowMs, true)
  local field = (outcome == 'ok' and 's:' or 'f:') .. bucket
  redis.call('HINCRBY', key, field, 1)
  counted = counted + 1
  if outcome == 'fail' then failures = failures + 1 end
  if outcome == 'fail' and counted >= minAttempts and failures >= ratio * counted then
    return { 'opened', failures, counted, open(openMs, maxOpenMs, string.format('%.3f', failures / counted)) }
  end
  return { '', failures, counted, 0 }
end

if op == 'force' then
  if ARGV[3] == 'open' then
    resetCounts()
    redis.call('HSET', key, 'state', 'open', 'since', now, 'forced', '1')
    redis.call('HDEL', key, 'until', 'ratio')
  else
    resetCounts()
    redis.call('HDEL', key, 'forced', 'until', 'ratio')
    redis.call('HSET', key, 'state', 'closed', 'since', now, 'opens', 0)
  end
  return { state }
end

if op == 'read' then
  local failures, counted = window(tonumber(ARGV[3]), false)
  return { state, h.since or '', h['until'] or '', h.forced or '', failures, counted, h.ratio or '' }
end

return redis.error_reply('circuit: unknown operation ' .. tostring(op))
