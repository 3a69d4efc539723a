--[[
free-stale-in-flight: takes jobs out of a tenant's in-flight set only while their entry is
still older than a cutoff, in one step on the tenant's slot. The audit read the entries and
checked their records in between; an entry renewed meanwhile (a replay takes the slot again
with a fresh score) is left alone.

KEYS[1]  the tenant's unfinished jobs   <p>:tenant:{t}:in-flight  (zset id -> admitted at)
ARGV[1]  the cutoff, ms: entries scored at or below it are removed
ARGV[2..] job ids

Returns how many entries it removed.
]]
local cutoff = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= cutoff then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
