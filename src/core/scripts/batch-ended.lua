--[[
batch-ended: one of a batch's jobs has ended (the outbox relay carries out its end's effects).
Takes the job off the batch's pending set; the first time the set is empty, stamps the batch
completed. Idempotent: an end carried out twice changes nothing the second time.

KEYS[1]  the batch's hash      KEYS[2]  its pending set (job ids not ended yet)
ARGV[1]  the job id            ARGV[2]  now, ms
Returns 1 when the batch has no pending job, has a callback, and its webhook is not queued
yet (the caller queues it, then says so with HSET callbackQueued 1); else 0.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
if not redis.call('HGET', KEYS[1], 'completedAt') then redis.call('HSET', KEYS[1], 'completedAt', ARGV[2]) end
if redis.call('HGET', KEYS[1], 'callback') and redis.call('HGET', KEYS[1], 'callbackQueued') ~= '1' then return 1 end
return 0
