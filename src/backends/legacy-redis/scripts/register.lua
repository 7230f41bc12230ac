--[[
  Registers a compute server with a single-use enrollment token: consumes the token, creates the
  server, adds a queue target for the token's owner (active if the owner had none), and issues a
  worker token. One step, so concurrent registrations with one token have exactly one winner.

  KEYS[1]  zpe:enroll:{enrollment token}
  KEYS[2]  zpe:compute:server:{server_id}
  KEYS[3]  zpe:token:{sha256(worker token)}
  KEYS[4]  zpe:worker_tokens:{server_id}

  ARGV[1]  key prefix (zpe:), for the owner's keys: {prefix}queue:target:{target_id},
           {prefix}queue:targets:{owner_id}, {prefix}queue:active:{owner_id}
  ARGV[2]  server id (compute-…), also the worker id
  ARGV[3]  now, ISO 8601
  ARGV[4]  server name ('' for none)
  ARGV[5]  server meta JSON ('' for none)
  ARGV[6]  worker token hash
  ARGV[7]  worker token expiry, ISO 8601
  ARGV[8]  worker token TTL, seconds
  ARGV[9]  queue target id (qt-…), used when the enrollment token has an owner
  ARGV[10] queue name for that target

  Returns {'invalid'} when the enrollment token does not exist (never did, used, or expired),
  else {'registered', owner_id ('' for none), target_id ('' for none)}.
]]
local prefix, server_id, now_iso, name = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local enroll = redis.call('HMGET', KEYS[1], 'owner_id', 'label')
if redis.call('DEL', KEYS[1]) == 0 then return {'invalid'} end
local owner_id, label = enroll[1] or '', enroll[2] or ''

redis.call('HSET', KEYS[2], 'registered_at', now_iso, 'name', name)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'meta', ARGV[5]) end

local target_id = ''
if owner_id ~= '' then
  target_id = ARGV[9]
  -- Built field by field so the JSON keeps the layout's key order.
  local json_name = cjson.null
  if name ~= '' then json_name = name end
  local target = '{"target_id":' .. cjson.encode(target_id)
    .. ',"user_id":' .. cjson.encode(owner_id)
    .. ',"queue_name":' .. cjson.encode(ARGV[10])
    .. ',"server_id":' .. cjson.encode(server_id)
    .. ',"registered_at":' .. cjson.encode(now_iso)
    .. ',"name":' .. cjson.encode(json_name) .. '}'
  redis.call('SET', prefix .. 'queue:target:' .. target_id, target)
  redis.call('RPUSH', prefix .. 'queue:targets:' .. owner_id, target_id)
  redis.call('SET', prefix .. 'queue:active:' .. owner_id, target_id, 'NX')
end

-- The worker token is labelled like the enrollment token that admitted it, else by the server name.
if label == '' then label = name end
local token_ttl = tonumber(ARGV[8])
redis.call('HSET', KEYS[3], 'worker_id', server_id, 'created_at', now_iso, 'expires_at', ARGV[7],
  'label', label, 'revoked_at', '')
redis.call('EXPIRE', KEYS[3], token_ttl)
redis.call('SADD', KEYS[4], ARGV[6])
redis.call('EXPIRE', KEYS[4], token_ttl)

return {'registered', owner_id, target_id}
