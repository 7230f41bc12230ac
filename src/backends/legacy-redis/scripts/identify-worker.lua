--[[
  Authenticates a worker token by the rule every worker script applies first
  (includes/authenticate-worker.lua). Used for the answers the gateway gives without running one of those scripts (a
  flag refusal, which the legacy gives only after authenticating the worker).

  KEYS[1]  zpe:revoked_tokens
  KEYS[2]  zpe:token:{sha256(worker token)}
  ARGV[1]  worker token hash

  Returns {'revoked'} | {'invalid'} | {'no worker'} | {'ok', worker_id}
]]
--- @include "authenticate-worker"
local worker_id, refused = authenticate_worker(KEYS[1], KEYS[2], ARGV[1])
if refused then return refused end
return {'ok', worker_id}
