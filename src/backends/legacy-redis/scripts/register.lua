--[[
  Registers a compute server with a single-use enrollment token: consumes the token, creates the
  server, adds a queue target for the token's owner (made active if the owner had none, or the
  active id names a target record that is gone), and issues a worker token labelled with the
  server name. One step, so concurrent registrations with one token have exactly one winner.

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
  ARGV[11] the target's JSON up to the owner: `{"target_id": "qt-…", "user_id": ` (Python json.dumps)
  ARGV[12] the target's JSON after the owner: `, "queue_name": …}`

  Returns {'invalid'} when the enrollment token does not exist (never did, used, or expired),
  else {'registered', owner_id ('' for none), target_id ('' for none)}.
]]
local prefix, server_id, now_iso, name = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

-- A string as Python's json.dumps writes it (ASCII only: \uXXXX for the rest, surrogate pairs
-- above U+FFFF), so the target record is byte for byte the legacy's.
local short = { [34] = '\\"', [92] = '\\\\', [10] = '\\n', [13] = '\\r', [9] = '\\t', [8] = '\\b', [12] = '\\f' }
local function py_json_string(s)
  local out, i, n = { '"' }, 1, #s
  while i <= n do
    local b = string.byte(s, i)
    local cp, len = b, 1
    if b >= 0xF0 then cp, len = b % 0x08, 4
    elseif b >= 0xE0 then cp, len = b % 0x10, 3
    elseif b >= 0xC0 then cp, len = b % 0x20, 2 end
    for j = 1, len - 1 do cp = cp * 64 + (string.byte(s, i + j) or 0x80) % 0x40 end
    i = i + len
    if short[cp] then out[#out + 1] = short[cp]
    elseif cp >= 0x20 and cp <= 0x7e then out[#out + 1] = string.char(cp)
    elseif cp > 0xFFFF then
      cp = cp - 0x10000
      out[#out + 1] = string.format('\\u%04x\\u%04x', 0xD800 + math.floor(cp / 0x400), 0xDC00 + cp % 0x400)
    else out[#out + 1] = string.format('\\u%04x', cp) end
  end
  out[#out + 1] = '"'
  return table.concat(out)
end

local enroll = redis.call('HMGET', KEYS[1], 'owner_id')
if redis.call('DEL', KEYS[1]) == 0 then return {'invalid'} end
local owner_id = enroll[1] or ''

redis.call('HSET', KEYS[2], 'registered_at', now_iso, 'name', name)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'meta', ARGV[5]) end

local target_id = ''
if owner_id ~= '' then
  target_id = ARGV[9]
  redis.call('SET', prefix .. 'queue:target:' .. target_id, ARGV[11] .. py_json_string(owner_id) .. ARGV[12])
  redis.call('RPUSH', prefix .. 'queue:targets:' .. owner_id, target_id)
  -- A dangling active id (its record gone) is repaired, as the legacy does.
  local active_key = prefix .. 'queue:active:' .. owner_id
  local active = redis.call('GET', active_key)
  if not active or redis.call('EXISTS', prefix .. 'queue:target:' .. active) == 0 then
    redis.call('SET', active_key, target_id)
  end
end

-- The worker token is labelled with the server name, not the enrollment label (as the legacy does).
local label = name
local token_ttl = tonumber(ARGV[8])
redis.call('HSET', KEYS[3], 'worker_id', server_id, 'created_at', now_iso, 'expires_at', ARGV[7],
  'label', label, 'revoked_at', '')
redis.call('EXPIRE', KEYS[3], token_ttl)
redis.call('SADD', KEYS[4], ARGV[6])
redis.call('EXPIRE', KEYS[4], token_ttl)

return {'registered', owner_id, target_id}
