--[[
  The worker-token rule every worker script applies before anything else: revoked wins over unknown,
  and a record without a worker is refused apart from no record at all.

  authenticate_worker(revoked_key, token_key, token_hash)
    revoked_key  zpe:revoked_tokens
    token_key    zpe:token:{sha256(worker token)}
    token_hash   sha256 hex of the worker token
  Returns worker_id, nil when the token is good; nil and the refusal to answer otherwise:
  {'revoked'} | {'invalid'} | {'no worker'}.
]]
local function authenticate_worker(revoked_key, token_key, token_hash)
  if redis.call('ZSCORE', revoked_key, token_hash) then return nil, {'revoked'} end
  local token = redis.call('HMGET', token_key, 'worker_id', 'revoked_at')
  if token[2] and token[2] ~= '' then return nil, {'revoked'} end
  local worker_id = token[1]
  if not worker_id or worker_id == '' then
    if redis.call('EXISTS', token_key) == 1 then return nil, {'no worker'} end
    return nil, {'invalid'}
  end
  return worker_id, nil
end
