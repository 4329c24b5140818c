/**
 * The Lua run by the Redis store. Each script checks and changes one key's counters in one
 * step on the server, which is what keeps replicas from all passing a check only one of them
 * should (a read, then a write, from two replicas would interleave). All keys a script
 * touches share the key's hash tag; the budget period of an older reservation is named from
 * a prefix passed in, because which period it was is only known once its hold is read.
 *
 * The admission rule mirrors firstRefusal() in limit-counters.ts, with the same float
 * operations in the same order, so both stores refuse at the same point. The scripts
 * return raw counters; TypeScript turns them into LimitState.
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
  local budget = redis.call('HMGET', KEYS[7], 'spent', 'reserved')
  return {
    tonumber(redis.call('GET', KEYS[1])) or 0,
    tonumber(redis.call('GET', KEYS[2])) or 0,
    tonumber(redis.call('GET', KEYS[3])) or 0,
    tonumber(redis.call('GET', KEYS[4])) or 0,
    redis.call('ZCARD', KEYS[5]),
    tonumber(budget[1]) or 0,
    tonumber(budget[2]) or 0,
  }
end
`;

/**
 * KEYS: requests previous, requests current, tokens previous, tokens current, reservations, holds, budget period.
 * ARGV: now, elapsed fraction of the window, requests limit, tokens limit, max parallel, budget limit (micro-dollars)
 * (each '' when absent), reservation id, reservation (micro-dollars), reservation expiry, period id, budget prefix,
 * budget period TTL ms (0: never), window TTL ms.
 * Returns: refusal (0 admitted, 1 requests, 2 tokens, 3 parallel, 4 budget), then the counters as readCounters.
 */
export const admitScript = `${releaseHold}${purgeExpiredReservations}${readCounters}
local fraction = tonumber(ARGV[2])
local requestsLimit = tonumber(ARGV[3])
local tokensLimit = tonumber(ARGV[4])
local maxParallel = tonumber(ARGV[5])
local budgetLimit = tonumber(ARGV[6])
local reservationId = ARGV[7]
local reservationMicroUsd = tonumber(ARGV[8])
local periodId = ARGV[10]
local budgetPrefix = ARGV[11]
local budgetTtlMs = tonumber(ARGV[12])
local windowTtlMs = tonumber(ARGV[13])

purgeExpiredReservations(KEYS[5], KEYS[6], budgetPrefix, ARGV[1])
local counters = readCounters()
local refusal = 0
if requestsLimit and not (counters[1] * (1 - fraction) + counters[2] + 1 <= requestsLimit + 1e-9) then
  refusal = 1
elseif tokensLimit and not (counters[3] * (1 - fraction) + counters[4] < tokensLimit - 1e-9) then
  refusal = 2
elseif maxParallel and counters[5] >= maxParallel then
  refusal = 3
elseif budgetLimit and counters[6] + counters[7] + reservationMicroUsd > budgetLimit then
  refusal = 4
end

if refusal == 0 then
  if requestsLimit then
    counters[2] = redis.call('INCR', KEYS[2])
    redis.call('PEXPIRE', KEYS[2], windowTtlMs)
  end
  if maxParallel or budgetLimit then
    -- Amounts go to Redis as the strings they came in: Lua would print a large number as 1e+15.
    local heldMicroUsd = '0'
    if budgetLimit then heldMicroUsd = ARGV[8] end
    redis.call('ZADD', KEYS[5], ARGV[9], reservationId)
    redis.call('HSET', KEYS[6], reservationId, periodId .. '|' .. heldMicroUsd)
    counters[5] = counters[5] + 1
    if budgetLimit then
      counters[7] = redis.call('HINCRBY', KEYS[7], 'reserved', heldMicroUsd)
      if budgetTtlMs > 0 then redis.call('PEXPIRE', KEYS[7], budgetTtlMs) end
    end
  end
end
return { refusal, counters[1], counters[2], counters[3], counters[4], counters[5], counters[6], counters[7] }
`;

/**
 * KEYS: as admitScript. ARGV: now, budget prefix.
 * Returns the counters as readCounters; changes nothing but purging expired reservations.
 */
export const stateScript = `${releaseHold}${purgeExpiredReservations}${readCounters}
purgeExpiredReservations(KEYS[5], KEYS[6], ARGV[2], ARGV[1])
return readCounters()
`;

/**
 * KEYS: settled marker, reservations, holds, budget period of now, tokens current window, spend day.
 * ARGV: reservation id, budget prefix, cost (micro-dollars), tokens, model, '1' when the key has a budget,
 * budget period TTL ms (0: never), '1' when the key has a tokens limit, window TTL ms, spend TTL s, marker TTL ms,
 * '1' for a release (the hold is freed, nothing is recorded).
 * Returns 1 when recorded, 0 when this reservation was settled before.
 */
export const settleScript = `${releaseHold}
local reservationId = ARGV[1]
local costMicroUsd = ARGV[3]
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
if ARGV[8] == '1' and tonumber(tokens) > 0 then
  redis.call('INCRBY', KEYS[5], tokens)
  redis.call('PEXPIRE', KEYS[5], ARGV[9])
end
redis.call('HINCRBY', KEYS[6], 'usd:' .. model, costMicroUsd)
redis.call('HINCRBY', KEYS[6], 'tokens:' .. model, tokens)
redis.call('HINCRBY', KEYS[6], 'requests:' .. model, 1)
redis.call('EXPIRE', KEYS[6], ARGV[10])
return 1
`;
