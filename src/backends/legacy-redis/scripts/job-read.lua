--[[
  Reads what a job read needs, in one command: the owner record (for the owner rule), the status
  hash and, when asked, one more key of the job (its result or a file). Changes nothing. One script
  instead of GET + HGETALL (+ GET): the same single round trip, with a third less client work per read.

  KEYS[1]  zpe:job:owner:{job_id}
  KEYS[2]  zpe:status:{job_id}
  KEYS[3]  (optional) one more string key of the job, e.g. zpe:result:{job_id}

  Returns {owner | nil, {field, value, ...}, extra | nil}
]]
local extra = false
if KEYS[3] then extra = redis.call('GET', KEYS[3]) end
return {redis.call('GET', KEYS[1]), redis.call('HGETALL', KEYS[2]), extra}
