// The limiter's Redis scripts. Each decision is one atomic call on Redis's clock, so the limits
// hold across every worker process (docs/ARCHITECTURE.md, "Invariants"). The arithmetic mirrors pure code that
// is unit-tested: allotment.ts (sharing a ceiling), gcra.ts (spacing permits) and
// backpressure.ts (a provider's pauses and its AIMD ceiling); test/limiter.e2e-spec.ts checks
// the scripts against it on a real Redis.
//
// Two scopes hold every permit. The global scope (PROVIDER_MAX_MPS, counted in messages) has one
// sorted set of running batches per tier (score: last time each asked, µs) and a log of recent
// permits per tier (score: permit time, µs). Each provider's scope (its own ceiling, counted in
// segments) has the same sets for the batches sending to it (its log holds one member per
// segment, so ZCOUNT counts segments) and a state hash, the only place rate-limit answers act:
//   paused_until  µs; nothing goes to this provider before it (Retry-After, backoff)
//   ceiling, at   its effective ceiling after rate-limit answers (AIMD) and when it was set, µs
//   not_before    µs; its next send waits for it when it reported little left
//   throttles, last_throttle   consecutive rate-limit answers, for the backoff without Retry-After
//   spm           segments per message of the last ask (the throttle's and the share's estimate)
//   hold, hold_until   a batch whose message is longer than the ceiling waits for an empty
//                 window, and until hold_until (µs) no other batch takes a permit there

/** Shared Lua: the clock, whole-millisecond intervals (gcra.ts), running batches and demand. */
const PRELUDE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local function interval(rate)
  if rate <= 1000 then return math.ceil(1000 / rate) * 1000 end
  return math.ceil(1000000 / rate)
end

-- KEYS[first..first+2]: the running sets of high, normal, low; stale members leave first.
local function running(first, ttl)
  local counts = {}
  for i = 0, 2 do
    redis.call('ZREMRANGEBYSCORE', KEYS[first + i], '-inf', now - ttl)
    counts[i + 1] = redis.call('ZCARD', KEYS[first + i])
  end
  return counts
end

local function hnum(key, field)
  local value = redis.call('HGET', key, field)
  if value then return tonumber(value) end
  return nil
end

-- A provider's effective ceiling now: the configured one (0 = none), lowered by rate-limit
-- answers and recovering additively towards its target.
local function effective(state, configured, target, recovery)
  local ceiling = configured
  local lowered = hnum(state, 'ceiling')
  if lowered then
    local recovered = math.min(target, lowered + recovery * (now - hnum(state, 'at')) / 1000000)
    if recovered >= target then
      redis.call('HDEL', state, 'ceiling', 'at')
    else
      ceiling = recovered
    end
  end
  return ceiling
end

-- What a provider's lowered ceiling starts from and recovers to (segments per second): its own
-- ceiling, else the global one in segments, else what its running batches ask for.
local function aimdTarget(configured, global, counts, rates, spm)
  if configured > 0 then return configured end
  if global > 0 then return global * spm end
  return (counts[1] * rates[1] + counts[2] * rates[2] + counts[3] * rates[3]) * spm
end
`;

/** allotment.ts's allot(), for one tier. */
const ALLOT = `
local function allot(counts, rates, ceiling, floor, tier)
  local total = counts[1] + counts[2] + counts[3]
  local demand = counts[1] * rates[1] + counts[2] * rates[2] + counts[3] * rates[3]
  if ceiling <= 0 or total == 0 or demand <= ceiling then return rates[tier] end
  local floors = {}
  local floorsTotal = 0
  for i = 1, 3 do
    floors[i] = math.min(floor, rates[i])
    floorsTotal = floorsTotal + counts[i] * floors[i]
  end
  if floorsTotal >= ceiling then return math.min(rates[tier], ceiling / total) end
  local left = ceiling - floorsTotal
  for i = 1, 3 do
    if counts[i] > 0 then
      local given = math.min(counts[i] * (rates[i] - floors[i]), left)
      if i == tier then return floors[i] + given / counts[i] end
      left = left - given
    end
  end
  return floors[tier]
end
`;

/** allotment.ts's windowBudgets(): what each tier may have in a window, highest tier first. */
const BUDGETS = `
local function budgets(counts, allotted, limit, unit)
  local result = {}
  local reserved = 0
  for i = 1, 3 do
    result[i] = limit - reserved
    local below = 0
    for j = i + 1, 3 do below = below + counts[j] end
    local perWindow = math.ceil(1000000 / interval(allotted[i]))
    reserved = reserved + math.max(0, math.min(counts[i] * perWindow * unit, limit - reserved - below * unit))
  end
  return result
end
`;

/**
 * Permits for one batch at one provider. KEYS: the batch's TAT at the provider; the global permit
 * log of high, normal, low (sorted sets of permit times, µs); global running high, normal, low;
 * the provider's permit log of high, normal, low (one member per segment); the provider's running
 * high, normal, low; the provider's state; the batch's TAT of its tier's rate. ARGV: batch id, tier (1 high, 2 normal, 3 low), wanted permits (0: only report
 * the allotment), horizon µs, rate high, normal, low, global ceiling (messages, 0 = none), the
 * provider's ceiling (segments, 0 = none), floor, recovery per second, running TTL µs, state TTL
 * ms, then each wanted message's segment count. Answers { granted, wait µs, now µs, allotted rate
 * × 1000, the provider's effective ceiling × 1000, permit times µs... }.
 *
 * A batch's permits are spaced by its allotted rate (gcra.ts): the smaller of its share of the
 * global ceiling and of the provider's (allotment.ts's scopedRate()); one that a window held back
 * catches up on that schedule, spaced by its tier's rate at least. Each permit must also fit both
 * sliding 1-second windows: for the batch's tier and every tier above it, the permits (globally) or
 * segments (at the provider) of that tier and the ones below stay under that tier's budget, so a
 * lower tier never takes what a higher one needs, and all of them together stay under the ceiling.
 * A message with more segments than the provider's ceiling goes when its window is empty: until
 * then it holds the provider, so that other batches' permits cannot keep the window busy forever.
 */
export const ACQUIRE_LUA = `${PRELUDE}${ALLOT}${BUDGETS}
local tier = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local horizon = tonumber(ARGV[4])
local rates = { tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]) }
local globalCeiling = tonumber(ARGV[8])
local providerCeiling = tonumber(ARGV[9])
local floor = tonumber(ARGV[10])
local ttl = tonumber(ARGV[12])
local state = KEYS[14]
local segments = {}
local spm = 0
for i = 1, want do
  segments[i] = math.max(1, tonumber(ARGV[13 + i]))
  spm = spm + segments[i] / want
end
if want > 0 then
  redis.call('ZADD', KEYS[4 + tier], now, ARGV[1])
  redis.call('ZADD', KEYS[10 + tier], now, ARGV[1])
  for i = 5, 7 do redis.call('PEXPIRE', KEYS[i], 3600000) end
  for i = 11, 13 do redis.call('PEXPIRE', KEYS[i], 3600000) end
  redis.call('HSET', state, 'spm', tostring(spm))
  redis.call('PEXPIRE', state, tonumber(ARGV[13]))
else
  spm = hnum(state, 'spm') or 1
end
local counts = running(5, ttl)
local providerCounts = running(11, ttl)
if want == 0 and counts[tier] == 0 then counts[tier] = 1 end
if want == 0 and providerCounts[tier] == 0 then providerCounts[tier] = 1 end

local globalLimit = 0
if globalCeiling > 0 then globalLimit = math.max(1, math.floor(globalCeiling)) end
local target = aimdTarget(providerCeiling, globalCeiling, providerCounts, rates, spm)
local ceiling = effective(state, providerCeiling, target, tonumber(ARGV[11]))
local providerLimit = 0
if ceiling > 0 then providerLimit = math.max(1, math.floor(ceiling)) end
-- The provider's share is worked out in messages as if every batch there had this ask's segments
-- per message (an approximation); its windows below count the real segments of every permit.
local globalAllotted, providerAllotted, allotted = {}, {}, {}
for i = 1, 3 do
  globalAllotted[i] = allot(counts, rates, globalLimit, floor, i)
  providerAllotted[i] = allot(providerCounts, rates, providerLimit / spm, floor, i)
  allotted[i] = math.min(globalAllotted[i], providerAllotted[i])
end
local reply = { 0, 0, now, math.floor(allotted[tier] * 1000), math.floor(ceiling * 1000) }
if want == 0 then return reply end

local pausedUntil = hnum(state, 'paused_until') or 0
if pausedUntil > now then
  redis.call('ZADD', KEYS[10 + tier], pausedUntil, ARGV[1])
  reply[2] = pausedUntil - now
  return reply
end

-- The ceilings' windows are a second and the late tolerance long (rate-limiter.ts's
-- lateToleranceMs, from the same ceilings): a permit's successor in the next window comes at least
-- that much more than a second after it, so a send up to the tolerance late (a later one takes a
-- new permit) cannot put one more message into a second at the provider.
local lowestCeiling = 0
for _, c in ipairs({ globalCeiling, providerCeiling }) do
  if c > 0 and (lowestCeiling == 0 or c < lowestCeiling) then lowestCeiling = c end
end
local span = 1000000
if lowestCeiling > 0 then
  span = 1000000 + math.floor(math.max(2, math.min(20, 500 / lowestCeiling)) * 1000)
end

local globalBudget, providerBudget = nil, nil
if globalLimit > 0 then
  globalBudget = budgets(counts, globalAllotted, globalLimit, 1)
  for i = 2, 4 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - span) end
end
if providerLimit > 0 then
  providerBudget = budgets(providerCounts, providerAllotted, providerLimit, spm)
  for i = 8, 10 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - span) end
end

-- Whether one more permit of the tier, using \`units\`, fits every window (\`span\` long) of the
-- scope whose logs start at KEYS[first] at this time; if not, the earliest time worth trying next.
-- Counting from at - span to the end covers every window holding \`at\`. A window holding nothing
-- of the tiers a budget covers takes one permit whatever its size, so a long message is never stuck.
local function fits(first, budget, at, units)
  for u = 1, tier do
    local used = 0
    for j = u, 3 do used = used + redis.call('ZCOUNT', KEYS[first + j - 1], at - span + 1, '+inf') end
    if used > 0 and used + units > budget[u] then
      local oldest = nil
      for j = u, 3 do
        local head = redis.call('ZRANGEBYSCORE', KEYS[first + j - 1], at - span + 1, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        if head[2] and (not oldest or tonumber(head[2]) < oldest) then oldest = tonumber(head[2]) end
      end
      return false, oldest + span
    end
  end
  return true, at
end

-- Another batch's long message is waiting for the provider's window to empty: stay out of it.
local hold = redis.call('HGET', state, 'hold')
local holdUntil = hnum(state, 'hold_until') or 0
local heldByOther = hold and hold ~= ARGV[1] and holdUntil > now

local batchInterval = interval(allotted[tier])
-- A batch held back by a window catches up on its schedule, never faster than its tier's rate.
local tierInterval = interval(rates[tier])
-- Two schedules: the batch's share at this provider (KEYS[1], one per batch and provider, so a
-- slow provider does not hold back its messages to another), and its tier's rate across every
-- provider (KEYS[15]).
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local tierTat = tonumber(redis.call('GET', KEYS[15]) or '0')
local granted = 0
-- At most one interval of catching up: a batch back from idle or a pause does not burst.
local slot = math.max(tat, now - batchInterval)
local next = math.max(now, slot, tierTat)
-- Little left at the provider: one send at a time, spaced as its report asked.
local notBefore = hnum(state, 'not_before') or 0
if notBefore > now then
  next = math.max(next, notBefore)
  want = 1
end
while granted < want and next <= now + horizon do
  local units = segments[granted + 1]
  local ok, at = true, next
  if globalBudget then ok, at = fits(2, globalBudget, next, 1) end
  if ok and providerBudget then
    if heldByOther then
      -- The holder's time is a second before hold_until; try then (always a little later).
      ok, at = false, math.max(next + 10000, holdUntil - 1000000)
    else
      ok, at = fits(8, providerBudget, next, units)
      if not ok and units > providerLimit then
        redis.call('HSET', state, 'hold', ARGV[1], 'hold_until', string.format('%.0f', at + 1000000))
        hold = ARGV[1]
      elseif ok and hold == ARGV[1] then
        redis.call('HDEL', state, 'hold', 'hold_until')
        hold = nil
      end
    end
  end
  if ok then
    granted = granted + 1
    reply[5 + granted] = at
    tat = math.max(slot + batchInterval, at + tierInterval)
    tierTat = at + tierInterval
    local member = ARGV[1] .. ':' .. string.format('%.0f', at)
    if globalBudget then
      redis.call('ZADD', KEYS[1 + tier], at, member)
      redis.call('PEXPIRE', KEYS[1 + tier], 2000)
    end
    if providerBudget then
      for s = 1, units do redis.call('ZADD', KEYS[7 + tier], at, member .. ':' .. s) end
      redis.call('PEXPIRE', KEYS[7 + tier], 2000)
    end
    slot = tat
    next = math.max(now, slot, tierTat)
  else
    next = at
  end
end
reply[1] = granted
-- The batch runs until its next ask: a slow batch waiting for its slot keeps its share.
redis.call('ZADD', KEYS[4 + tier], math.max(now, next), ARGV[1])
redis.call('ZADD', KEYS[10 + tier], math.max(now, next), ARGV[1])
if granted == 0 then
  reply[2] = next - horizon - now
  return reply
end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
redis.call('SET', KEYS[15], string.format('%.0f', tierTat), 'PX',
  math.ceil((tierTat - now) / 1000) + 1000)
return reply
`;

/**
 * A rate-limit answer from one provider: its scope pauses (Retry-After, else a backoff that grows
 * with consecutive answers) and its effective ceiling is cut (once per pause); other providers'
 * batches go on. KEYS: the provider's state, its running high, normal, low. ARGV: Retry-After ms
 * (-1: none), the provider's ceiling (segments), the global ceiling (messages), rate high, normal,
 * low, decrease, minimum, recovery per second, backoff base ms, backoff max ms, a random number in
 * [0, 1), running TTL µs, state TTL ms.
 * Answers { pause added µs, the provider's effective ceiling × 1000 }.
 */
export const THROTTLE_LUA = `${PRELUDE}
local state = KEYS[1]
local retryAfter = tonumber(ARGV[1])
local configured = tonumber(ARGV[2])
local rates = { tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]) }
local decrease = tonumber(ARGV[7])
local minimum = tonumber(ARGV[8])
local counts = running(2, tonumber(ARGV[13]))
local spm = hnum(state, 'spm') or 1
local target = aimdTarget(configured, tonumber(ARGV[3]), counts, rates, spm)
local ceiling = effective(state, configured, target, tonumber(ARGV[9]))
if ceiling <= 0 then ceiling = target end
if ceiling <= 0 then ceiling = minimum end

local pausedUntil = hnum(state, 'paused_until') or 0
local throttles = 1
local last = hnum(state, 'last_throttle')
if last and now - last < 10000000 then throttles = (hnum(state, 'throttles') or 0) + 1 end
local pause
if retryAfter >= 0 then
  pause = retryAfter * 1000
else
  -- Equal jitter: half the backoff for sure, the other half at random.
  local cap = math.min(tonumber(ARGV[11]), tonumber(ARGV[10]) * 2 ^ (throttles - 1)) * 1000
  pause = math.floor(cap / 2 + tonumber(ARGV[12]) * cap / 2)
end
-- One cut per pause: answers to calls already in flight do not cut it again.
if pausedUntil <= now then
  ceiling = math.max(minimum, ceiling * decrease)
  redis.call('HSET', state, 'ceiling', tostring(ceiling), 'at', string.format('%.0f', now))
end
local newPause = math.max(pausedUntil, now + pause)
redis.call('HSET', state, 'paused_until', string.format('%.0f', newPause),
  'throttles', throttles, 'last_throttle', string.format('%.0f', now))
redis.call('PEXPIRE', state, tonumber(ARGV[14]))
return { newPause - math.max(pausedUntil, now), math.floor(ceiling * 1000) }
`;

/**
 * The limits a provider reported with an answer (X-RateLimit-*): with little left, the next send
 * waits its share of the time to the reset; with nothing left, the provider scope pauses until it.
 * KEYS: provider state. ARGV: gap ms (-1: no constraint), 0 or 1 (nothing left), reset ms, state
 * TTL ms.
 */
export const REPORT_LUA = `${PRELUDE}
local state = KEYS[1]
local gap = tonumber(ARGV[1])
if tonumber(ARGV[2]) == 1 then
  local untilUs = now + tonumber(ARGV[3]) * 1000
  if untilUs > (hnum(state, 'paused_until') or 0) then
    redis.call('HSET', state, 'paused_until', string.format('%.0f', untilUs))
  end
elseif gap > 0 then
  local notBefore = now + gap * 1000
  if notBefore > (hnum(state, 'not_before') or 0) then
    redis.call('HSET', state, 'not_before', string.format('%.0f', notBefore))
  end
end
redis.call('PEXPIRE', state, tonumber(ARGV[4]))
return 1
`;
