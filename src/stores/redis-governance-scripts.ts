/**
 * The Lua run by the Redis store. Each script checks and changes one key's counters in one
 * step on the server, which is what keeps replicas from all passing a check only one of them
 * should (a read, then a write, from two replicas would interleave). All keys a script
 * touches share the key's hash tag; the budget period of an older reservation is named from
 * a prefix passed in, because which period it was is only known once its hold is read.
 *
 * The admission rule mirrors firstRefusal() in limit-counters.ts and the buckets of
 * rate-bucket.ts, with the same float operations in the same order, so all stores refuse at
 * the same point. The scripts return raw counters; TypeScript turns them into LimitState.
 * A bucket's time goes back as a string ('%.17g' round-trips a double; Redis would
 * truncate a Lua number to an integer), '' when there is none.
 */

/** Drops reservations whose time is up and releases what they held from their budget period. */
const purgeExpiredReservations = `
local function purgeExpiredReservations(reservationsKey, holdsKey, budgetPrefix, now)
  local expired = redis.call('ZRANGEBYSCORE', reservationsKey, '-inf', now)
  for _, reservationId in ipairs(expired) do
    releaseHold(holdsKey, budgetPrefix, reservationId)
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', reservationsKey, '-inf', now) end
end
`;

/** A period that has already expired is not recreated by a release (it would never expire again). */
const releaseHold = `
local function releaseHold(holdsKey, budgetPrefix, reservationId)
  local hold = redis.call('HGET', holdsKey, reservationId)
  if not hold then return end
  redis.call('HDEL', holdsKey, reservationId)
  local separator = string.find(hold, '|', 1, true)
  local periodId = string.sub(hold, 1, separator - 1)
  local microUsd = tonumber(string.sub(hold, separator + 1))
  if periodId ~= '' and microUsd ~= 0 then
    local periodKey = budgetPrefix .. periodId
    if redis.call('EXISTS', periodKey) == 1 then redis.call('HINCRBY', periodKey, 'reserved', string.format('%d', -microUsd)) end
  end
end
`;

const readCounters = `
local function readCounters()
  local budget = redis.call('HMGET', KEYS[5], 'spent', 'reserved')
  return {
    redis.call('GET', KEYS[1]) or '',
    redis.call('GET', KEYS[2]) or '',
    redis.call('ZCARD', KEYS[3]),
    tonumber(budget[1]) or 0,
    tonumber(budget[2]) or 0,
  }
end
`;

/** rate-bucket.ts in Lua: backlogMs, and writing a bucket's new time with an expiry at the moment it is full again. */
const buckets = `
local windowMs = 60000
local bucketTolerance = 1e-6
local function backlogMs(tat, now)
  if tat == '' then return 0 end
  return math.max(0, tonumber(tat) - now)
end
local function setTat(key, tat, now)
  redis.call('SET', key, string.format('%.17g', tat), 'PX', math.ceil(tat - now) + 1000)
end
`;

/**
 * KEYS: requests bucket, tokens bucket, reservations, holds, budget period.
 * ARGV: now, (unused), requests limit, tokens limit, max parallel, budget limit (micro-dollars)
 * (each '' when absent), reservation id, reservation (micro-dollars), reservation expiry, period id, budget prefix,
 * budget period TTL ms (0: never).
 * Returns: refusal (0 admitted, 1 requests, 2 tokens, 3 parallel, 4 budget), then the counters as readCounters.
 */
export const admitScript = `${releaseHold}${purgeExpiredReservations}${readCounters}${buckets}
local now = tonumber(ARGV[1])
local requestsLimit = tonumber(ARGV[3])
local tokensLimit = tonumber(ARGV[4])
local maxParallel = tonumber(ARGV[5])
local budgetLimit = tonumber(ARGV[6])
local reservationId = ARGV[7]
local reservationMicroUsd = tonumber(ARGV[8])
local periodId = ARGV[10]
local budgetPrefix = ARGV[11]
local budgetTtlMs = tonumber(ARGV[12])

purgeExpiredReservations(KEYS[3], KEYS[4], budgetPrefix, ARGV[1])
local counters = readCounters()
local refusal = 0
if requestsLimit and not (requestsLimit > 0 and backlogMs(counters[1], now) + windowMs / requestsLimit <= windowMs + bucketTolerance) then
  refusal = 1
elseif tokensLimit and not (tokensLimit > 0 and backlogMs(counters[2], now) < windowMs - bucketTolerance) then
  refusal = 2
elseif maxParallel and counters[3] >= maxParallel then
  refusal = 3
elseif budgetLimit and counters[4] + counters[5] + reservationMicroUsd > budgetLimit then
  refusal = 4
end

if refusal == 0 then
  if requestsLimit then
    local start = now
    if counters[1] ~= '' then start = math.max(tonumber(counters[1]), now) end
    local tat = start + windowMs / requestsLimit
    setTat(KEYS[1], tat, now)
    counters[1] = string.format('%.17g', tat)
  end
  if maxParallel or budgetLimit then
    -- Amounts go to Redis as the strings they came in: Lua would print a large number as 1e+15.
    local heldMicroUsd = '0'
    if budgetLimit then heldMicroUsd = ARGV[8] end
    redis.call('ZADD', KEYS[3], ARGV[9], reservationId)
    redis.call('HSET', KEYS[4], reservationId, periodId .. '|' .. heldMicroUsd)
    counters[3] = counters[3] + 1
    if budgetLimit then
      counters[5] = redis.call('HINCRBY', KEYS[5], 'reserved', heldMicroUsd)
      if budgetTtlMs > 0 then redis.call('PEXPIRE', KEYS[5], budgetTtlMs) end
    end
  end
end
return { refusal, counters[1], counters[2], counters[3], counters[4], counters[5] }
`;

/**
 * KEYS: as admitScript. ARGV: now, budget prefix.
 * Returns the counters as readCounters; changes nothing but purging expired reservations.
 */
export const stateScript = `${releaseHold}${purgeExpiredReservations}${readCounters}
purgeExpiredReservations(KEYS[3], KEYS[4], ARGV[2], ARGV[1])
return readCounters()
`;

/**
 * KEYS: settled marker, reservations, holds, budget period of now, tokens bucket, spend day.
 * ARGV: reservation id, budget prefix, cost (micro-dollars, '' when unknown), tokens, model, '1' when the key has a budget,
 * budget period TTL ms (0: never), the tokens limit ('' without one), now, spend TTL s, marker TTL ms,
 * '1' for a release (the hold is freed, nothing is recorded), the most a tokens bucket may owe (ms).
 * Returns 1 when recorded, 0 when this reservation was settled before.
 */
export const settleScript = `${releaseHold}${buckets}
local reservationId = ARGV[1]
-- '' for a model with no price: the cost is unknown, counted as unpriced, and adds nothing.
local costKnown = ARGV[3] ~= ''
local costMicroUsd = ARGV[3]
if not costKnown then costMicroUsd = '0' end
local tokens = ARGV[4]
local model = ARGV[5]
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[11]) then return 0 end

releaseHold(KEYS[3], ARGV[2], reservationId)
redis.call('ZREM', KEYS[2], reservationId)
if ARGV[12] == '1' then return 1 end
if ARGV[6] == '1' then
  redis.call('HINCRBY', KEYS[4], 'spent', costMicroUsd)
  local budgetTtlMs = tonumber(ARGV[7])
  if budgetTtlMs > 0 then redis.call('PEXPIRE', KEYS[4], budgetTtlMs) end
end
local tokensLimit = tonumber(ARGV[8])
if tokensLimit and tonumber(tokens) > 0 then
  local now = tonumber(ARGV[9])
  local tat = redis.call('GET', KEYS[5])
  local start = now
  if tat then start = math.max(tonumber(tat), now) end
  setTat(KEYS[5], math.min(start + tonumber(tokens) * (windowMs / tokensLimit), now + tonumber(ARGV[13])), now)
end
redis.call('HINCRBY', KEYS[6], 'usd:' .. model, costMicroUsd)
redis.call('HINCRBY', KEYS[6], 'tokens:' .. model, tokens)
redis.call('HINCRBY', KEYS[6], 'requests:' .. model, 1)
if not costKnown then redis.call('HINCRBY', KEYS[6], 'unpriced:' .. model, 1) end
redis.call('EXPIRE', KEYS[6], ARGV[10])
return 1
`;
