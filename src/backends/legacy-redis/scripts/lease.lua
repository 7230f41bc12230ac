--[[
  Leases the next job to a worker in one round trip: authenticates the worker token, requeues
  expired leases, promotes due retries, pops the oldest job, writes its lease, and returns its
  payload and meta.

  KEYS[1]  zpe:queue
  KEYS[2]  zpe:lease:index
  KEYS[3]  zpe:delay
  KEYS[4]  zpe:revoked_tokens
  KEYS[5]  zpe:token:{sha256(worker token)}

  ARGV[1]  key prefix (zpe:), for the per-job keys found on the way: {prefix}lease:{id},
           {prefix}status:{id}, {prefix}payload:{id}, {prefix}job:meta:{id}
  ARGV[2]  worker token hash
  ARGV[3]  now, epoch seconds
  ARGV[4]  now, ISO 8601
  ARGV[5]  new lease id
  ARGV[6]  lease hash TTL, seconds: longer than the lease, so that a legacy control plane sweeping
           first (it requeues an expired lease only while its hash exists) still finds it
  ARGV[7]  result TTL, seconds (status writes refresh it)
  ARGV[8]  at most this many expired leases and due retries are moved per call
  ARGV[9]  lease expiry, ISO 8601
  ARGV[10] lease expiry, epoch seconds rounded up (the index score: never before the TTL told)

  Returns one of:
    {'revoked'} | {'invalid'} | {'no worker'}  the token is revoked / unknown or expired / has no worker_id
    {'empty'}                                  nothing to lease
    {'payload missing', job_id}                the job was failed with that detail
    {'payload corrupted', job_id}              (not JSON, or not a JSON object)
    {'leased', job_id, payload, meta or false}
]]
local prefix, token_hash = ARGV[1], ARGV[2]
local now, now_iso = tonumber(ARGV[3]), ARGV[4]
local lease_id, hash_ttl, result_ttl, batch = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])

--- @include "authenticate-worker"
local worker_id, refused = authenticate_worker(KEYS[4], KEYS[5], token_hash)
if refused then return refused end

local function set_status(job_id, status, detail)
  local key = prefix .. 'status:' .. job_id
  redis.call('HSET', key, 'status', status, 'detail', detail, 'updated_at', now_iso)
  redis.call('EXPIRE', key, result_ttl)
end

-- 1. Expired leases go back to the queue whether or not their lease hash still exists (its TTL
-- equals the lease time, so it usually does not: the legacy lost those jobs). A job that reached
-- a terminal status meanwhile stays where it is.
for _, job_id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, batch)) do
  redis.call('DEL', prefix .. 'lease:' .. job_id)
  redis.call('ZREM', KEYS[2], job_id)
  local status = redis.call('HGET', prefix .. 'status:' .. job_id, 'status')
  if status ~= 'finished' and status ~= 'failed' then
    redis.call('LPUSH', KEYS[1], job_id)
    set_status(job_id, 'queued', 'lease expired')
  end
end

-- 2. Retries that are due.
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, batch)
for _, job_id in ipairs(due) do
  redis.call('LPUSH', KEYS[1], job_id)
  redis.call('ZREM', KEYS[3], job_id)
end

-- 3. The oldest waiting job.
local job_id = redis.call('RPOP', KEYS[1])
if not job_id then return {'empty'} end

-- A job without a readable payload cannot be worked on: fail it instead of leasing it.
local payload = redis.call('GET', prefix .. 'payload:' .. job_id)
if not payload then
  set_status(job_id, 'failed', 'payload missing')
  return {'payload missing', job_id}
end
local ok, decoded = pcall(cjson.decode, payload)
if not ok or type(decoded) ~= 'table' or not string.find(payload, '^%s*{') then
  set_status(job_id, 'failed', 'payload corrupted')
  return {'payload corrupted', job_id}
end

-- 4. The lease.
local expires = tonumber(ARGV[10])
local lease_key = prefix .. 'lease:' .. job_id
redis.call('HSET', lease_key, 'worker_id', worker_id, 'lease_id', lease_id, 'expires_at', ARGV[9])
redis.call('EXPIRE', lease_key, hash_ttl)
redis.call('ZADD', KEYS[2], expires, job_id)

return {'leased', job_id, payload, redis.call('GET', prefix .. 'job:meta:' .. job_id)}
