--[[
  Accepts a job: payload, queue entry, status `queued`, owner and meta in one step, so a worker
  never leases a job whose status or owner is not written yet.

  KEYS[1]  zpe:payload:{job_id}
  KEYS[2]  zpe:queue
  KEYS[3]  zpe:status:{job_id}
  KEYS[4]  zpe:job:owner:{job_id}
  KEYS[5]  zpe:job:meta:{job_id}

  ARGV[1]  job id
  ARGV[2]  payload JSON
  ARGV[3]  owner (user id)
  ARGV[4]  meta JSON
  ARGV[5]  now, ISO 8601
  ARGV[6]  result TTL, seconds

  Returns 1.
]]
local ttl = tonumber(ARGV[6])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ttl)
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'status', 'queued', 'detail', '', 'updated_at', ARGV[5])
redis.call('EXPIRE', KEYS[3], ttl)
redis.call('SET', KEYS[4], ARGV[3], 'EX', ttl)
redis.call('SET', KEYS[5], ARGV[4], 'EX', ttl)
return 1
