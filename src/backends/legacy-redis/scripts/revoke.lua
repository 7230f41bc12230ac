--[[
  Emergency revoke: marks every token of a compute server revoked and records the revocations.

  KEYS[1]  zpe:worker_tokens:{server_id}
  KEYS[2]  zpe:revoked_tokens

  ARGV[1]  key prefix (zpe:), for {prefix}token:{hash}
  ARGV[2]  now, epoch seconds
  ARGV[3]  now, ISO 8601
  ARGV[4]  worker token TTL, seconds

  Returns the number of tokens in the server's set.
]]
local prefix, now, now_iso, token_ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])

local hashes = redis.call('SMEMBERS', KEYS[1])
for _, hash in ipairs(hashes) do
  local token_key = prefix .. 'token:' .. hash
  -- HSET on an expired token would recreate it without a TTL; its revocation entry suffices.
  local revoked_at = redis.call('HGET', token_key, 'revoked_at')
  if (not revoked_at or revoked_at == '') and redis.call('EXISTS', token_key) == 1 then
    redis.call('HSET', token_key, 'revoked_at', now_iso)
  end
  -- NX keeps the first revocation's time.
  redis.call('ZADD', KEYS[2], 'NX', now, hash)
end
redis.call('EXPIRE', KEYS[2], 2 * token_ttl)
-- A token revoked more than one token lifetime ago has expired anyway.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - token_ttl))
return #hashes
