-- scan-edges.lua (ewScanEdgesV1): one page of ONE shard's edges after a boundary, in the order
-- of ZREVRANGE: last-seen descending, then member descending (bytes). Read-only.
--
-- KEYS[1] {p:N}:edges  ZSET  edge id -> last-seen ms
-- ARGV[1] boundary score ('' on the first call: start at the top), as returned by this script
-- ARGV[2] boundary member: the last member returned by the previous call
-- ARGV[3] least score to return ('-inf' for all)
-- ARGV[4] members to return at most
--
-- Returns {member, score, member, score, ...}: the next members strictly after (score, member),
-- fewer than ARGV[4] only when the shard has no more at or above ARGV[3]. When the boundary
-- member has moved or gone, its place among the members of the boundary score is found again by
-- binary search, so members that did not change are neither skipped nor repeated.

local key, bscore, bmember, least, count = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

if bscore == '' then
  return redis.call('ZRANGE', key, '+inf', least, 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES')
end

-- Byte order, as Redis orders members of equal score (Lua's own < follows the locale).
local function less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local start
local score = redis.call('ZSCORE', key, bmember)
if score and tonumber(score) == tonumber(bscore) then
  start = redis.call('ZREVRANK', key, bmember) + 1
else
  -- Ranks [lo, hi) hold the members of the boundary score, descending: find the first one below.
  local lo = redis.call('ZCOUNT', key, '(' .. bscore, '+inf')
  local hi = lo + redis.call('ZCOUNT', key, bscore, bscore)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if less(redis.call('ZREVRANGE', key, mid, mid)[1], bmember) then hi = mid else lo = mid + 1 end
  end
  start = lo
end

local flat = redis.call('ZREVRANGE', key, start, start + count - 1, 'WITHSCORES')
if least == '-inf' then return flat end
local min = tonumber(least)
for i = 2, #flat, 2 do
  if tonumber(flat[i]) < min then
    local out = {}
    for j = 1, i - 2 do out[j] = flat[j] end
    return out
  end
end
return flat
