package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts. Each declares every key it touches in KEYS, all sharing
// one hash tag, so that Redis Cluster routes it to the node holding them and
// redirects it (ASK, TRYAGAIN) while their slot migrates; a key name built
// inside a script would be read on the old node and found missing. A script
// whose keys depend on a value it reads (the identity links) takes the value
// the caller read, and returns "changed, read again" if it differs. The
// snapshot's scripts are in snapshot.go.
// Scripts return only integers and strings ("" for a missing value), which
// read the same over RESP2 and RESP3.
var (
	// flipScript sets KEYS[1] to ARGV[1] if that is greater than its
	// current value, and returns the value KEYS[1] holds afterwards.
	flipScript = newScript("flipScript", `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
if cur >= n then return cur end
redis.call('SET', KEYS[1], ARGV[1])
return n
`)

	// linkScript links Slack user ARGV[1] (key KEYS[1]) and rep ARGV[2]
	// (key KEYS[2]) both ways for ARGV[3] ms, first removing the links of
	// the user's previous rep ARGV[4] (key KEYS[3]) and the rep's previous
	// user ARGV[5] (key KEYS[4]) where they still point here, so no one is
	// left linked to someone else's rep. ARGV[4] and ARGV[5] are what the
	// caller read from KEYS[1] and KEYS[2] ("" for none; KEYS[3] or KEYS[4]
	// is then unused): if either changed since, the script changes nothing
	// and returns 0 for the caller to read again; else it returns 1. Every
	// key is declared, so Redis Cluster can route and redirect it.
	linkScript = newScript("linkScript", `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[4] or (redis.call('GET', KEYS[2]) or '') ~= ARGV[5] then
  return 0
end
if ARGV[4] ~= '' and ARGV[4] ~= ARGV[2] and redis.call('GET', KEYS[3]) == ARGV[1] then
  redis.call('DEL', KEYS[3])
end
if ARGV[5] ~= '' and ARGV[5] ~= ARGV[1] and redis.call('GET', KEYS[4]) == ARGV[2] then
  redis.call('DEL', KEYS[4])
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return 1
`)

	// claimScript claims delivery record KEYS[1] with lease key KEYS[2] for
	// owner ARGV[1], lease ARGV[2] ms, record retention ARGV[3] ms. It
	// returns {state, detail}: 1 claimed, 2 reclaimed (detail: previous
	// owner), 3 already sent (detail: message ts), 4 held by other
	// (detail: holder).
	claimScript = newScript("claimScript", `
if redis.call('HGET', KEYS[1], 'state') == 'sent' then
  return {3, redis.call('HGET', KEYS[1], 'ts') or ''}
end
local holder = redis.call('GET', KEYS[2])
if holder then
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    return {1, ''}
  end
  return {4, holder}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local prev = redis.call('HGET', KEYS[1], 'owner')
redis.call('HSET', KEYS[1], 'state', 'claimed', 'owner', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'claims', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if prev then return {2, prev} end
return {1, ''}
`)

	// markScript marks delivery record KEYS[1] (lease KEYS[2]) sent with
	// message ts ARGV[2] if owner ARGV[1] holds the lease, or its lease
	// lapsed and nobody claimed since; retention ARGV[3] ms. It returns 1 on
	// success (also when this owner already marked it), 0 otherwise.
	markScript = newScript("markScript", `
local owner = redis.call('HGET', KEYS[1], 'owner')
if redis.call('HGET', KEYS[1], 'state') == 'sent' then
  if owner == ARGV[1] then return 1 end
  return 0
end
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] or (not holder and owner == ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'sent', 'ts', ARGV[2])
  redis.call('DEL', KEYS[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
`)

	// releaseScript gives up owner ARGV[1]'s live lease KEYS[2] on delivery
	// record KEYS[1]. With ARGV[2] = "1" (a post may have landed) the
	// record keeps the owner, so the next claim is a reclaim; otherwise the
	// owner is cleared and the next claim is new. It returns 1 if released.
	releaseScript = newScript("releaseScript", `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if ARGV[2] ~= '1' and redis.call('HGET', KEYS[1], 'state') == 'claimed' then
  redis.call('HDEL', KEYS[1], 'owner')
end
return 1
`)

	// enqueueScript adds ARGV[4..] to outbox KEYS[1] (pending ZSET) with
	// scores from ARGV[3], skipping items in KEYS[2] (done SET), unless
	// KEYS[3] (sealed) exists; ARGV[1] is the TTL in ms and ARGV[2] = "1"
	// seals the run. It returns 0 if the run was already sealed, else 1.
	enqueueScript = newScript("enqueueScript", `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local base = tonumber(ARGV[3])
for i = 4, #ARGV do
  if redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then
    redis.call('ZADD', KEYS[1], 'NX', base + i - 4, ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return 1
`)

	// lockScript takes or renews lock KEYS[1] for owner ARGV[1] for ARGV[2]
	// ms: 1 if the owner holds it now, 0 if someone else does.
	lockScript = newScript("lockScript", `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if v then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

	// unlockScript deletes lock KEYS[1] if owner ARGV[1] holds it: 1 if
	// deleted, else 0.
	unlockScript = newScript("unlockScript", `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

	allScripts = []*redis.Script{indexScript, membersScript, currentScript, flipScript, flipFromScript,
		linkScript, claimScript, markScript, releaseScript, enqueueScript, lockScript, unlockScript}
)

// scriptSources holds the source of every script of the package by name,
// for the test that checks each declares the keys it touches.
var scriptSources = map[string]string{}

// newScript returns the script with source src, recorded as name.
func newScript(name, src string) *redis.Script {
	scriptSources[name] = src
	return redis.NewScript(src)
}
