--[[
  Takes or keeps the rollout guards' lease: the one gateway instance holding it evaluates the
  guards and rolls back, so exactly one acts.

  KEYS[1]  the lease (zpe:gw:rollout:leader)

  ARGV[1]  this instance's id
  ARGV[2]  lease lifetime, ms

  Returns 1 when this instance holds the lease (taken or extended), 0 when another does.
]]
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
