--[[
  Records a worker's failure report: the job is retried after a backoff (10 s × 2^(n−1) by default,
  capped) until the retry limit, then dead-lettered. Either way the lease is dropped.

  KEYS[1]  zpe:status:{job_id}
  KEYS[2]  zpe:lease:{job_id}
  KEYS[3]  zpe:lease:index
  KEYS[4]  zpe:retry_count:{job_id}
  KEYS[5]  zpe:delay
  KEYS[6]  zpe:dlq
  KEYS[7]  zpe:revoked_tokens
  KEYS[8]  zpe:token:{sha256(worker token)}

  ARGV[1]  job id
  ARGV[2]  worker token hash
  ARGV[3]  lease id
  ARGV[4]  retry limit (failures before dead-letter)
  ARGV[5]  base retry delay, seconds
  ARGV[6]  maximum retry delay, seconds
  ARGV[7]  now, epoch seconds
  ARGV[8]  now, ISO 8601
  ARGV[9]  error code
  ARGV[10] error message
  ARGV[11] result TTL, seconds

  Returns one of:
    {'revoked'} | {'invalid'} | {'no worker'}  the token is revoked / unknown or expired / has no worker_id
    {'lease not found'} | {'lease mismatch'}
    {'requeued', retry_count, delay}
    {'dead', retry_count}
]]
local job_id, token_hash, lease_id = ARGV[1], ARGV[2], ARGV[3]
local retry_max, base, max_delay = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local now, now_iso, ttl = tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[11])
local reason = ARGV[9] .. ': ' .. ARGV[10]

--- @include "authenticate-worker"
local worker_id, refused = authenticate_worker(KEYS[7], KEYS[8], token_hash)
if refused then return refused end

-- A finished job has no lease to fail (as the legacy answers: 'lease not found').
if redis.call('HGET', KEYS[1], 'status') == 'finished' then return {'lease not found'} end
local lease = redis.call('HMGET', KEYS[2], 'worker_id', 'lease_id')
if not lease[1] and not lease[2] then return {'lease not found'} end
if lease[1] ~= worker_id or lease[2] ~= lease_id then return {'lease mismatch'} end

redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], job_id)
local count = redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ttl)

local status, detail, delay
if count <= retry_max then
  -- Doubling stops at the cap, so a large count cannot overflow.
  delay = base
  for _ = 2, count do
    if delay >= max_delay then break end
    delay = delay * 2
  end
  delay = math.min(delay, max_delay)
  redis.call('ZADD', KEYS[5], now + delay, job_id)
  status, detail = 'queued', string.format('requeue in %ds (%s)', delay, reason)
else
  redis.call('LPUSH', KEYS[6], job_id)
  status, detail = 'failed', reason
end
redis.call('HSET', KEYS[1], 'status', status, 'detail', detail, 'updated_at', now_iso)
redis.call('EXPIRE', KEYS[1], ttl)

if status == 'queued' then return {'requeued', count, delay} end
return {'dead', count}
