--[[
  Authenticates a worker token by the rule every worker script applies first (lease.lua, result.lua,
  failure.lua): revoked wins over unknown, and a record without a worker is refused apart from no
  record at all. Used for the answers the gateway gives without running one of those scripts (a
  flag refusal, which the legacy gives only after authenticating the worker).

  KEYS[1]  zpe:revoked_tokens
  KEYS[2]  zpe:token:{sha256(worker token)}
  ARGV[1]  worker token hash

  Returns {'revoked'} | {'invalid'} | {'no worker'} | {'ok', worker_id}
]]
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {'revoked'} end
local token = redis.call('HMGET', KEYS[2], 'worker_id', 'revoked_at')
if token[2] and token[2] ~= '' then return {'revoked'} end
local worker_id = token[1]
if not worker_id or worker_id == '' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'no worker'} end
  return {'invalid'}
end
return {'ok', worker_id}
