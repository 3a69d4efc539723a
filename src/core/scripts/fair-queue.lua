--[[
fair-queue: round-robin between tenants in front of a target's BullMQ queue (fairness:
tenant), on the target's slot. A due job of a fair target waits in its tenant's lane; jobs
move from the lanes into BullMQ, a few at a time, in weighted round-robin order, so BullMQ's
queue holds only a small window of work and a tenant's backlog waits in its own lane.

Per priority level L (BullMQ's priority: 1 runs first) the keys under ARGV[2] (<base>) are:
  <base>:lane:<L>:<tenant>  sorted set  the tenant's waiting job ids by arrival (a per-target sequence)
  <base>:ring:<L>           sorted set  the tenants with a waiting job at L, by virtual time
  <base>:tenants            hash        tenant -> "<weight> <maxRunning>" (as of its last push)
  <base>:running:<tenant>   sorted set  jobs of a tenant with a running cap, taken and not yet ended
  <base>:scheduled          sorted set  "<L> <tenant> <id>" -> due time, ms: delayed jobs; each take
                                        first moves the due ones (up to 500) into their lanes
KEYS[1]'s fields: seq (arrival counter), queued (jobs in lanes), clock:<L> (virtual time of
the last job taken at L), idle:<L>:<tenant> (virtual time a tenant's lane had when it emptied).

Virtual time: a tenant's lane is served when its time is the smallest of the ring; each job
taken adds 1/weight to it. A lane that comes back after running empty starts at the larger of
its old time and the level's clock, so an idle tenant neither loses its turn nor saves turns
up while away. Ties go by tenant name.

A job taken is recorded in KEYS[2] (id -> time taken) until the caller has added it to
BullMQ and said so (op added); entries older than a lease are handed out again (op recover),
so a process that dies between the take and the add loses nothing. Adding a job to BullMQ
under its id twice is harmless: BullMQ keeps the first.

KEYS[1]  state hash          <base>
KEYS[2]  taken, not yet added <base>:taken   (sorted set id -> ms)
KEYS[3]  BullMQ's prioritized set of the target's queue (its waiting jobs)
ARGV[1]  op: push | take | remove | added | recover | stats | list
ARGV[2]  <base>                 ARGV[3] job record key prefix <p>:job:{<tag>}:
ARGV[4]  now, ms
push:    ARGV[5] window, ARGV[6] levels, ARGV[7] id, ARGV[8] tenant, ARGV[9] level, ARGV[10] weight, ARGV[11] maxRunning (0: none),
         ARGV[12] delay, ms (0: due now; else scheduled, and nothing is taken)
take:    ARGV[5] window, ARGV[6] levels
remove:  ARGV[5] id, ARGV[6] tenant, ARGV[7] level                     -> 1 when it was in its lane or scheduled
added:   ARGV[5..] ids                                                 -> count removed from KEYS[2]
recover: ARGV[5] lease, ms                     -> {id, the record's priority, ...}: still queued, taken again
stats:   ARGV[5] levels, ARGV[6] top (how many tenants to detail)
         -> {queued, taken, active tenants, oldest job id ('' when none), scheduled, the first
            scheduled job's id ('' when none), then per tenant of the
            top by waiting jobs: tenant, waiting, weight, cap (0: none), and with a cap its jobs
            taken and not ended (0 without one)}
list:    ARGV[5] levels, ARGV[6] limit -> {{ids}, {ids}}: up to limit jobs in the lanes by arrival,
         and up to limit scheduled ones by due time (for the admin job list; O(active tenants x limit))
         stats reads every lane head of every level's ring: O(active tenants), for an operator's
         view and the scrape (at most once a second), never on the job path.

push and take return {id, level, id, level, ...}: the jobs to add to BullMQ now, at most
window minus the jobs BullMQ has waiting and the jobs taken but not yet added. A job whose
record has moved on (canceled, expired, running) is dropped from its lane, not returned.
]]
local base, jobPrefix, now = ARGV[2], ARGV[3], tonumber(ARGV[4])

local function laneKey(level, tenant) return base .. ':lane:' .. level .. ':' .. tenant end
local function ringKey(level) return base .. ':ring:' .. level end
local scheduledKey = base .. ':scheduled'
-- Due jobs moved from the scheduled set into their lanes per take: bounds one call's work.
local PROMOTE_BATCH = 500

-- A job joins the tail of its tenant's lane; a lane that was empty (re)joins the ring.
local function enqueue(id, tenant, level)
  local lane = laneKey(level, tenant)
  if redis.call('ZCARD', lane) == 0 then
    local idleField = 'idle:' .. level .. ':' .. tenant
    local vt = math.max(tonumber(redis.call('HGET', KEYS[1], idleField) or '0'), tonumber(redis.call('HGET', KEYS[1], 'clock:' .. level) or '0'))
    redis.call('HDEL', KEYS[1], idleField)
    redis.call('ZADD', ringKey(level), vt, tenant)
  end
  if redis.call('ZADD', lane, 'NX', redis.call('HINCRBY', KEYS[1], 'seq', 1), id) == 1 then
    redis.call('HINCRBY', KEYS[1], 'queued', 1)
  end
end

-- Scheduled jobs that are due join their lanes, in due order (their arrival is their due time).
local function promote()
  local due = redis.call('ZRANGEBYSCORE', scheduledKey, '-inf', now, 'LIMIT', 0, PROMOTE_BATCH)
  for _, member in ipairs(due) do
    redis.call('ZREM', scheduledKey, member)
    local level, tenant, id = string.match(member, '^(%d+) (%S+) (%S+)$')
    if level then enqueue(id, tenant, level) end
  end
end

-- A lane that has run empty leaves the ring and remembers its time.
local function retire(level, tenant, vt)
  redis.call('ZREM', ringKey(level), tenant)
  redis.call('HSET', KEYS[1], 'idle:' .. level .. ':' .. tenant, vt)
end

-- Whether the tenant may have another job taken: under its cap, after dropping the ended jobs.
local function underCap(tenant, cap)
  if cap <= 0 then return true end
  local running = base .. ':running:' .. tenant
  if redis.call('ZCARD', running) < cap then return true end
  for _, id in ipairs(redis.call('ZRANGE', running, 0, -1)) do
    local s = redis.call('HGET', jobPrefix .. id, 'status')
    if s ~= 'queued' and s ~= 'running' then redis.call('ZREM', running, id) end
  end
  return redis.call('ZCARD', running) < cap
end

local function take(window, levels)
  promote()
  local room = window - redis.call('ZCARD', KEYS[3]) - redis.call('ZCARD', KEYS[2])
  local out = {}
  if room <= 0 or tonumber(redis.call('HGET', KEYS[1], 'queued') or '0') <= 0 then return out end
  local meta = {}
  for level = 1, levels do
    local ring = ringKey(level)
    local skipped = 0 -- tenants at their cap stay at the ring's head, in place; look past them
    while room > 0 do
      local head = redis.call('ZRANGE', ring, skipped, skipped, 'WITHSCORES')
      if #head == 0 then break end
      local tenant, vt = head[1], tonumber(head[2])
      if not meta[tenant] then
        local m = redis.call('HGET', base .. ':tenants', tenant) or '1 0'
        local w, c = string.match(m, '^(%S+) (%S+)$')
        meta[tenant] = { weight = tonumber(w) or 1, cap = tonumber(c) or 0 }
      end
      local t = meta[tenant]
      if not underCap(tenant, t.cap) then
        skipped = skipped + 1
      else
        local lane = laneKey(level, tenant)
        local popped = redis.call('ZPOPMIN', lane)
        -- Only a job dispatched costs its tenant a turn: one that had ended in the lane is free.
        local served = false
        if #popped > 0 then
          local id = popped[1]
          redis.call('HINCRBY', KEYS[1], 'queued', -1)
          redis.call('HSET', KEYS[1], 'clock:' .. level, vt)
          -- Only a job that has ended (or is already running) is dropped: a record still on its
          -- way (the submit sends it beside the push) is dispatched, and the executor reads it.
          local status = redis.call('HGET', jobPrefix .. id, 'status')
          if not status or status == 'queued' then
            redis.call('ZADD', KEYS[2], now, id)
            if t.cap > 0 then
              redis.call('ZADD', base .. ':running:' .. tenant, now, id)
              redis.call('PEXPIRE', base .. ':running:' .. tenant, 86400000)
            end
            out[#out + 1] = id
            out[#out + 1] = level
            room = room - 1
            served = true
          end
        end
        local next = served and vt + 1 / t.weight or vt
        if redis.call('ZCARD', lane) == 0 then retire(level, tenant, next) else redis.call('ZADD', ring, next, tenant) end
      end
    end
    if room <= 0 then break end
  end
  return out
end

local op = ARGV[1]
if op == 'push' then
  local id, tenant, level = ARGV[7], ARGV[8], ARGV[9]
  redis.call('HSET', base .. ':tenants', tenant, ARGV[10] .. ' ' .. ARGV[11])
  local delay = tonumber(ARGV[12] or '0')
  if delay > 0 then
    redis.call('ZADD', scheduledKey, now + delay, level .. ' ' .. tenant .. ' ' .. id)
    return {}
  end
  enqueue(id, tenant, level)
  return take(tonumber(ARGV[5]), tonumber(ARGV[6]))
elseif op == 'take' then
  return take(tonumber(ARGV[5]), tonumber(ARGV[6]))
elseif op == 'remove' then
  local id, tenant, level = ARGV[5], ARGV[6], ARGV[7]
  local lane = laneKey(level, tenant)
  if redis.call('ZREM', lane, id) == 0 then return redis.call('ZREM', scheduledKey, level .. ' ' .. tenant .. ' ' .. id) end
  redis.call('HINCRBY', KEYS[1], 'queued', -1)
  if redis.call('ZCARD', lane) == 0 then
    local vt = redis.call('ZSCORE', ringKey(level), tenant)
    if vt then retire(level, tenant, vt) end
  end
  return 1
elseif op == 'added' then
  local n = 0
  for i = 5, #ARGV do n = n + redis.call('ZREM', KEYS[2], ARGV[i]) end
  return n
elseif op == 'recover' then
  local out = {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))) do
    local f = redis.call('HMGET', jobPrefix .. id, 'status', 'priority')
    if f[1] == 'queued' then
      redis.call('ZADD', KEYS[2], now, id)
      out[#out + 1] = id
      out[#out + 1] = f[2] or '0'
    else
      redis.call('ZREM', KEYS[2], id)
    end
  end
  return out
elseif op == 'stats' then
  local levels, top = tonumber(ARGV[5]), tonumber(ARGV[6])
  local waiting, order = {}, {}
  local oldestId, oldestSeq = '', nil
  for level = 1, levels do
    for _, tenant in ipairs(redis.call('ZRANGE', ringKey(level), 0, -1)) do
      local lane = laneKey(level, tenant)
      if not waiting[tenant] then waiting[tenant] = 0; order[#order + 1] = tenant end
      waiting[tenant] = waiting[tenant] + redis.call('ZCARD', lane)
      local head = redis.call('ZRANGE', lane, 0, 0, 'WITHSCORES')
      -- The sequence is the target's arrival order: the smallest is the job that has waited longest.
      if #head > 0 and (oldestSeq == nil or tonumber(head[2]) < oldestSeq) then oldestId, oldestSeq = head[1], tonumber(head[2]) end
    end
  end
  table.sort(order, function(a, b) if waiting[a] ~= waiting[b] then return waiting[a] > waiting[b] end return a < b end)
  local first = redis.call('ZRANGE', scheduledKey, 0, 0)
  local firstScheduled = #first > 0 and string.match(first[1], '(%S+)$') or ''
  local out = { tonumber(redis.call('HGET', KEYS[1], 'queued') or '0'), redis.call('ZCARD', KEYS[2]), #order, oldestId, redis.call('ZCARD', scheduledKey), firstScheduled }
  for i = 1, math.min(top, #order) do
    local tenant = order[i]
    local m = redis.call('HGET', base .. ':tenants', tenant) or '1 0'
    local w, c = string.match(m, '^(%S+) (%S+)$')
    out[#out + 1] = tenant
    out[#out + 1] = waiting[tenant]
    out[#out + 1] = w or '1'
    out[#out + 1] = c or '0'
    -- The cap's set is pruned lazily (at the cap): count only the jobs that have not ended.
    local running = 0
    if tonumber(c or '0') > 0 then
      for _, id in ipairs(redis.call('ZRANGE', base .. ':running:' .. tenant, 0, -1)) do
        local s = redis.call('HGET', jobPrefix .. id, 'status')
        if s == 'queued' or s == 'running' then running = running + 1 end
      end
    end
    out[#out + 1] = running
  end
  return out
elseif op == 'list' then
  local levels, limit = tonumber(ARGV[5]), tonumber(ARGV[6])
  local entries = {}
  for level = 1, levels do
    for _, tenant in ipairs(redis.call('ZRANGE', ringKey(level), 0, -1)) do
      local head = redis.call('ZRANGE', laneKey(level, tenant), 0, limit - 1, 'WITHSCORES')
      for i = 1, #head, 2 do entries[#entries + 1] = { tonumber(head[i + 1]), head[i] } end
    end
  end
  table.sort(entries, function(a, b) return a[1] < b[1] end)
  local waiting, scheduled = {}, {}
  for i = 1, math.min(limit, #entries) do waiting[#waiting + 1] = entries[i][2] end
  for _, member in ipairs(redis.call('ZRANGE', scheduledKey, 0, limit - 1)) do scheduled[#scheduled + 1] = string.match(member, '(%S+)$') end
  return { waiting, scheduled }
end
return redis.error_reply('ERR fair-queue: unknown op ' .. tostring(op))
