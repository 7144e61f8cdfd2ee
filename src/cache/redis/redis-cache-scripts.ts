/**
 * The Lua scripts of the Redis cache store: each one round trip, atomic, so instances never see half an entry or
 * an index that disagrees with the entries. Keys: the entry (`…cache:e:<key>`, a string `<expiresAt>|<json>`
 * with a TTL), the recency index (`…cache:lru`, a sorted set of entry keys by last use), the sizes
 * (`…cache:sizes`, a hash of entry key → bytes), the byte total (`…cache:bytes`) and one set per tag
 * (`…cache:t:<tag>`). One Redis (or a primary with replicas), not Redis Cluster: the scripts touch evicted
 * entries' keys that they are not given.
 */

/** KEYS: entry, lru, sizes, bytes. ARGV: now. Returns the stored string or nil; a hit moves to the newest end. */
export const getScript = `
local value = redis.call('GET', KEYS[1])
if value then redis.call('ZADD', KEYS[2], ARGV[1], KEYS[1]) end
return value`;

/** Removes one entry key from the store and its indexes (a Lua helper, shared by the scripts below). */
const removeEntry = `
local function remove(entry, lru, sizes, bytes)
  local size = redis.call('HGET', sizes, entry)
  if size then
    redis.call('HDEL', sizes, entry)
    redis.call('DECRBY', bytes, size)
  end
  redis.call('ZREM', lru, entry)
  return redis.call('DEL', entry)
end`;

/**
 * KEYS: entry, lru, sizes, bytes, tag sets…. ARGV: value, ttlMs, now, size, maxEntries, maxBytes, tagTtlMs.
 * Keeps the entry, indexes it, then drops the least recently used until the store fits. Returns
 * {evicted, entries, bytes}.
 */
export const setScript = `${removeEntry}
local entry, lru, sizes, bytes = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
remove(entry, lru, sizes, bytes)
redis.call('SET', entry, ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', lru, ARGV[3], entry)
redis.call('HSET', sizes, entry, ARGV[4])
redis.call('INCRBY', bytes, ARGV[4])
for i = 5, #KEYS do
  redis.call('SADD', KEYS[i], entry)
  redis.call('PEXPIRE', KEYS[i], ARGV[7])
end
local evicted = 0
local maxEntries, maxBytes = tonumber(ARGV[5]), tonumber(ARGV[6])
while redis.call('ZCARD', lru) > maxEntries or tonumber(redis.call('GET', bytes) or '0') > maxBytes do
  local oldest = redis.call('ZRANGE', lru, 0, 0)[1]
  if not oldest or oldest == entry then break end
  evicted = evicted + remove(oldest, lru, sizes, bytes)
end
return {evicted, redis.call('ZCARD', lru), tonumber(redis.call('GET', bytes) or '0')}`;

/** KEYS: tag set, lru, sizes, bytes. Drops every entry of the tag and the tag; returns how many entries there were. */
export const invalidateScript = `${removeEntry}
local dropped = 0
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  dropped = dropped + remove(entry, KEYS[2], KEYS[3], KEYS[4])
end
redis.call('DEL', KEYS[1])
return dropped`;

/** KEYS: lru, sizes, bytes. Drops every entry (and leaves tag sets to expire). Returns how many. */
export const clearScript = `${removeEntry}
local dropped = 0
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  dropped = dropped + remove(entry, KEYS[1], KEYS[2], KEYS[3])
end
return dropped`;
