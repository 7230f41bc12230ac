--[[
  Stores a worker's result, atomically with respect to the job's status and lease: the result is
  accepted once, from the worker holding the lease.

  KEYS[1]  zpe:status:{job_id}
  KEYS[2]  zpe:lease:{job_id}
  KEYS[3]  zpe:lease:index
  KEYS[4]  zpe:result:{job_id}
  KEYS[5]  zpe:summary:{job_id}
  KEYS[6]  zpe:freqs:{job_id}
  KEYS[7]  zpe:revoked_tokens
  KEYS[8]  zpe:token:{sha256(worker token)}

  ARGV[1]  job id
  ARGV[2]  worker token hash
  ARGV[3]  lease id
  ARGV[4]  result JSON
  ARGV[5]  summary text
  ARGV[6]  freqs CSV
  ARGV[7]  result TTL, seconds
  ARGV[8]  now, ISO 8601

  Returns one of:
    {'revoked'} | {'invalid'} | {'no worker'}  the token is revoked / unknown or expired / has no worker_id
    {'finished', result, summary, freqs}               already finished: the stored values (false when
                                                       gone), for the caller's idempotency compare
    {'lease not found'} | {'lease mismatch'}
    {'job failed', detail}                             a failed job cannot finish
    {'stored'}
]]
local job_id, token_hash, lease_id = ARGV[1], ARGV[2], ARGV[3]
local ttl = tonumber(ARGV[7])

--- @include "authenticate-worker"
local worker_id, refused = authenticate_worker(KEYS[7], KEYS[8], token_hash)
if refused then return refused end

local status = redis.call('HMGET', KEYS[1], 'status', 'detail')
if status[1] == 'finished' then
  return {'finished', redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5]), redis.call('GET', KEYS[6])}
end

local lease = redis.call('HMGET', KEYS[2], 'worker_id', 'lease_id')
if not lease[1] and not lease[2] then return {'lease not found'} end
if lease[1] ~= worker_id or lease[2] ~= lease_id then return {'lease mismatch'} end
if status[1] == 'failed' then return {'job failed', status[2] or ''} end

redis.call('SET', KEYS[4], ARGV[4], 'EX', ttl)
redis.call('SET', KEYS[5], ARGV[5], 'EX', ttl)
redis.call('SET', KEYS[6], ARGV[6], 'EX', ttl)
redis.call('HSET', KEYS[1], 'status', 'finished', 'detail', '', 'updated_at', ARGV[8])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], job_id)
return {'stored'}
