/**
 * The Lua side of the shared (Redis/Valkey) rate limiter, src/domain/redis-rate-limiter.ts.
 *
 * The scheme is the in-memory limiter's, moved into Redis: one hash per budget (a key's own, or a pool's)
 * holding 60 one-second slots per dimension (`<dim>:<second mod 60>`), running totals (`t0` requests in
 * millionths, `t1` input tokens, `t2` output tokens), the newest second the window advanced to (`n`) and
 * the last second anything was counted in (`a`). Why this and not the alternatives:
 *   - exact to a second, like the in-memory limiter, so both give the same answers (rpm 3 stays 3);
 *   - constant memory per key (at most 184 fields), unlike a sorted-set log that grows with traffic;
 *   - token weights are plain additions, and tokens counted after the call fit in (GCRA would need "debt");
 *   - a check costs O(seconds since the key's last call, at most 60) plus 3 reads, not a scan.
 * The hash expires 61 s after its last write: by then nothing in it is inside the window.
 *
 * Time is Redis's own clock (TIME), so nodes whose clocks disagree still agree on the window. ARGV[1] may
 * carry a clock instead (tests only, to slide the window without waiting); it is '' in production.
 *
 * Admission checks the key's hash and every pool's and counts in all of them in one script: scripts run
 * atomically, so N concurrent calls from any number of nodes against a limit of N admit exactly N.
 */
import { script } from '../store/redis/redis-link';

const COMMON = `
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Moves a window to second sec: slots that left it are subtracted from the totals and removed.
local function advance(key, sec)
  local n = tonumber(redis.call('HGET', key, 'n'))
  if not n or sec <= n then return end
  if sec - n >= 60 then
    redis.call('DEL', key)
    return
  end
  local fields = {}
  for s = n + 1, sec do
    for d = 0, 2 do fields[#fields + 1] = d .. ':' .. (s % 60) end
  end
  local vals = redis.call('HMGET', key, unpack(fields))
  local sub = {0, 0, 0}
  for i = 1, #fields do
    local v = tonumber(vals[i])
    if v then sub[(i - 1) % 3 + 1] = sub[(i - 1) % 3 + 1] + v end
  end
  for d = 0, 2 do
    if sub[d + 1] ~= 0 then redis.call('HINCRBY', key, 't' .. d, -sub[d + 1]) end
  end
  redis.call('HDEL', key, unpack(fields))
  redis.call('HSET', key, 'n', sec)
end

local function add(key, sec, d, amount)
  redis.call('HINCRBY', key, d .. ':' .. (sec % 60), amount)
  redis.call('HINCRBY', key, 't' .. d, amount)
  local n = tonumber(redis.call('HGET', key, 'n'))
  if not n or sec > n then redis.call('HSET', key, 'n', sec) end
  redis.call('HSET', key, 'a', sec)
  redis.call('PEXPIRE', key, 61000)
end
`;

/**
 * KEYS: the budgets' hashes. ARGV: clock ('' = Redis's), the request's cost in millionths, then per budget
 * its request, input-token and output-token limits (-1 = none; requests in millionths).
 * Reply: now ms, 1/0 admitted, then per budget: requests, input tokens, output tokens (after counting),
 * last second counted in (-1 = never), a bit mask of the exceeded dimensions, ms until it could pass.
 */
export const ADMIT = script(`${COMMON}
local now = now_ms()
local sec = math.floor(now / 1000)
local cost = tonumber(ARGV[2])
local rows = {}
local allowed = true
for b = 1, #KEYS do
  local key = KEYS[b]
  advance(key, sec)
  local t = redis.call('HMGET', key, 't0', 't1', 't2', 'a')
  local row = {tonumber(t[1]) or 0, tonumber(t[2]) or 0, tonumber(t[3]) or 0, tonumber(t[4]) or -1, 0, 0}
  for d = 0, 2 do
    local limit = tonumber(ARGV[2 + (b - 1) * 3 + d + 1])
    local total = row[d + 1]
    if limit >= 0 and total >= limit then
      allowed = false
      row[5] = row[5] + 2 ^ d
      -- When enough of the oldest slots leave the window for the total to drop below the limit.
      local fields = {}
      for s = sec - 59, sec do fields[#fields + 1] = d .. ':' .. (s % 60) end
      local vals = redis.call('HMGET', key, unpack(fields))
      for i = 1, 60 do
        total = total - (tonumber(vals[i]) or 0)
        if total < limit then
          row[6] = math.max(row[6], math.max(0, (sec - 60 + i + 60) * 1000 - now))
          break
        end
      end
    end
  end
  rows[b] = row
end
local out = {now, allowed and 1 or 0}
for b = 1, #KEYS do
  local row = rows[b]
  if allowed and tonumber(ARGV[2 + (b - 1) * 3 + 1]) >= 0 then
    add(KEYS[b], sec, 0, cost)
    row[1] = row[1] + cost
    row[4] = sec
  end
  for i = 1, 6 do out[#out + 1] = row[i] end
end
return out
`);

/** KEYS: the budgets' hashes. ARGV: clock ('' = Redis's), input tokens, output tokens. */
export const ADD_TOKENS = script(`${COMMON}
local sec = math.floor(now_ms() / 1000)
local input = tonumber(ARGV[2])
local output = tonumber(ARGV[3])
for b = 1, #KEYS do
  advance(KEYS[b], sec)
  if input > 0 then add(KEYS[b], sec, 1, input) end
  if output > 0 then add(KEYS[b], sec, 2, output) end
end
return 1
`);
