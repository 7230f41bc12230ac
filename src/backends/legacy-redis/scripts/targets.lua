--[[
  Reads one user's queue targets in one round trip (read only): every target id, its record, and
  the active id with whether its record still exists. The caller pages and leaves out missing
  records, as the legacy does.

  KEYS[1]  zpe:queue:targets:{user_id}
  KEYS[2]  zpe:queue:active:{user_id}

  ARGV[1]  key prefix (zpe:), for {prefix}queue:target:{target_id}

  Returns {active_id or false, 1 when the active record exists else 0, record_1 or false, ...} in
  list order.
]]
local prefix = ARGV[1]
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local active = redis.call('GET', KEYS[2])
local active_exists = 0
if active and redis.call('EXISTS', prefix .. 'queue:target:' .. active) == 1 then active_exists = 1 end
local reply = { active, active_exists }
if #ids == 0 then return reply end
local keys = {}
for i, id in ipairs(ids) do keys[i] = prefix .. 'queue:target:' .. id end
-- MGET in slices: unpack has a limit on how many values it spreads.
for start = 1, #keys, 1000 do
  local stop = math.min(start + 999, #keys)
  local records = redis.call('MGET', unpack(keys, start, stop))
  for i = 1, stop - start + 1 do reply[#reply + 1] = records[i] end
end
return reply
