--[[
  Accepts a job: payload, queue entry, status `queued`, owner and meta in one step, so a worker
  never leases a job whose status or owner is not written yet. With an Idempotency-Key, the key is
  claimed in the same step: of two concurrent submissions with one key, one creates the job and the
  other is told which.

  KEYS[1]  zpe:payload:{job_id}
  KEYS[2]  zpe:queue
  KEYS[3]  zpe:status:{job_id}
  KEYS[4]  zpe:job:owner:{job_id}
  KEYS[5]  zpe:job:meta:{job_id}
  KEYS[6]  (optional) zpe:gw:idempotency:submit:{user_id}:{sha256(key)}

  ARGV[1]  job id
  ARGV[2]  payload JSON
  ARGV[3]  owner (user id)
  ARGV[4]  meta JSON
  ARGV[5]  now, ISO 8601
  ARGV[6]  result TTL, seconds
  ARGV[7]  (with KEYS[6]) request fingerprint

  Returns {'queued'}, or {'replay', job_id, fingerprint} when KEYS[6] already names a job (nothing
  written).
]]
local ttl = tonumber(ARGV[6])
if KEYS[6] then
  local seen = redis.call('HMGET', KEYS[6], 'job_id', 'fingerprint')
  if seen[1] then return {'replay', seen[1], seen[2] or ''} end
  redis.call('HSET', KEYS[6], 'job_id', ARGV[1], 'fingerprint', ARGV[7])
  redis.call('EXPIRE', KEYS[6], ttl)
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ttl)
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'status', 'queued', 'detail', '', 'updated_at', ARGV[5])
redis.call('EXPIRE', KEYS[3], ttl)
redis.call('SET', KEYS[4], ARGV[3], 'EX', ttl)
redis.call('SET', KEYS[5], ARGV[4], 'EX', ttl)
return {'queued'}
