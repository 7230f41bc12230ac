--[[
  Applies one cutover-flag change atomically: value keys, their metadata, route overrides, the
  audit entry, and the invalidation message every gateway instance listens to.

  KEYS[1]    audit stream (zpe:ops:audit)
  KEYS[2..n] keys to write (zpe:ops:{flag}, zpe:ops:meta:{flag}, zpe:ops:override:{operation}, ...)

  ARGV[1]    lifetime of the written keys, seconds
  ARGV[2]    audit stream: approximate maximum length
  ARGV[3]    audit stream: lifetime, seconds
  ARGV[4]    invalidation channel (zpe:ops:changed)
  ARGV[5]    audit entry as JSON (an object of string fields)
  ARGV[6..]  one value per key in KEYS[2..n]; the empty string deletes the key

  Returns the audit entry id.
]]
local ttl = tonumber(ARGV[1])
for i = 2, #KEYS do
  local value = ARGV[i + 4]
  if value == '' then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], value, 'EX', ttl)
  end
end
local entry = cjson.decode(ARGV[5])
local fields = {}
for field, value in pairs(entry) do
  fields[#fields + 1] = field
  fields[#fields + 1] = tostring(value)
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], id)
return id
