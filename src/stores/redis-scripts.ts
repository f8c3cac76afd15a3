/**
 * The Lua scripts of the Redis store. Each runs atomically on the server (no other command
 * interleaves) in one round trip.
 *
 * Redis does NOT roll a script back when it fails partway: writes made before an error stay.
 * So the commit script reads and checks everything first (idempotency, version, quantity, key
 * types, outbox bound), computes every value, and writes only in its last step, with the
 * stream append first (the one write whose id could be refused) and plain HSET/SET after it,
 * which cannot fail on keys whose types were already checked. The `#!lua` shebang (Redis 7+)
 * declares the script as writing, so the server refuses it up front when it is out of memory
 * instead of failing at a write. A fault injected at a step (tests) raises an error before
 * any write: nothing is written.
 */

/** Keys: levels, idempotency key, outbox stream, seq counter. */
export const COMMIT_LUA = `#!lua
-- ARGV: 1 sku, 2 effect, 3 expectedVersion, 4 quantity, 5 nowMs, 6 expiresAtMs, 7 ttlPx,
--       8 sourceChannel, 9 committedAtMs, 10 mutationId, 11 failAt, 12 maxOutboxLength,
--       13 payloadDigest ('' for none), 14 origin
-- The idempotency record is "expiresAtMs", or "expiresAtMs|A|digest|origin" with A 1 (applied)
-- or 0 (recorded as rejected) when the caller sent a digest.
local function fault(step)
  if ARGV[11] == step then error({err = 'ERR injected fault at ' .. step}) end
end

fault('check')
local recorded = redis.call('GET', KEYS[2])
if recorded and tonumber(string.match(recorded, '^[^|]*')) > tonumber(ARGV[5]) then return {0, 'duplicate', recorded} end
local current = redis.call('HGET', KEYS[1], ARGV[1])
local quantity, version = 0, 0
if current then
  local sep = string.find(current, ':', 1, true)
  quantity = tonumber(string.sub(current, 1, sep - 1))
  version = tonumber(string.sub(current, sep + 1))
end
if version ~= tonumber(ARGV[3]) then return {0, 'version_conflict'} end
local newQuantity = tonumber(ARGV[4])
if newQuantity == nil or newQuantity < 0 or newQuantity ~= math.floor(newQuantity) then return {0, 'bad_quantity'} end
local apply = ARGV[2] == 'apply'

fault('level')
local newVersion = version
local level = quantity
if apply then
  newVersion = version + 1
  level = newQuantity
end

fault('idempotency')
local expiresAt = ARGV[6]
if ARGV[13] ~= '' then expiresAt = expiresAt .. (apply and '|1|' or '|0|') .. ARGV[13] .. '|' .. ARGV[14] end

fault('outbox')
local seq = 0
if apply then
  if redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[12]) then return {0, 'outbox_full'} end
  seq = tonumber(redis.call('GET', KEYS[4]) or '0') + 1
end

fault('apply')
if apply then
  redis.call('XADD', KEYS[3], string.format('%d-0', seq),
    'sku', ARGV[1], 'quantity', string.format('%d', level), 'version', string.format('%d', newVersion),
    'mutationId', ARGV[10], 'sourceChannel', ARGV[8], 'committedAtMs', ARGV[9])
  redis.call('SET', KEYS[4], string.format('%d', seq))
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d:%d', level, newVersion))
end
redis.call('SET', KEYS[2], expiresAt, 'PX', ARGV[7])
return {1, level, newVersion, seq}
`;

/** Keys: cursor, outbox stream. ARGV: seq. Moves the cursor forward and trims what it passed. */
export const ACK_LUA = `#!lua
local cursor = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if seq <= cursor then return cursor end
redis.call('SET', KEYS[1], string.format('%d', seq))
redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d-0', seq + 1))
return seq
`;

/** Keys: dlq hash, dlq order zset, dlq counter. ARGV: id, JSON. Re-parking keeps the position. */
export const PARK_LUA = `#!lua
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
return 1
`;

/** Keys: dlq hash, dlq order zset. Every letter, in parking order. */
export const LIST_DLQ_LUA = `#!lua flags=no-writes
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[1], id)
  if json then table.insert(out, json) end
end
return out
`;

/** Keys: dlq hash, dlq order zset. ARGV: id. */
export const REMOVE_DLQ_LUA = `#!lua
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`;

/** Keys: outbox stream. ARGV: group, ids…. Acknowledges and deletes. */
export const ACK_ENTRIES_LUA = `#!lua
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
return acked
`;

/** Keys: outbox stream. ARGV: group, consumer, ids…. Resets the idle time of entries the consumer still owns. */
export const RENEW_LUA = `#!lua
local renewed = 0
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  local entry = pending[1]
  if entry and entry[2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    renewed = renewed + 1
  end
end
return renewed
`;
