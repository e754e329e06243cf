-- traffic-add.lua (ewTrafficAddV1): add raw-point moments to the pending hour slots of traffic
-- keys of ONE shard (README "Anomalous traffic", src/store/traffic-state.ts). Additive and
-- commutative: replicas add their own points' moments without coordination.
--
-- KEYS[1] {p:N}:tr-moments  HASH  traffic key id -> packed state:
--   4 bytes big-endian signed latest hour (the newest of anchor and pending hours; what prune
--   reads without unpacking), then cmsgpack of {anchor | false, then per metric: name,
--   {n, sum, sumSq} | false (the decayed base as of anchor), {latest - hour, n, sum, sumSq, ...}
--   (pending slots, oldest first)}. msgpack keeps every double exact (float64, or float32 /
--   an integer when that is exact).
-- ARGV, per (key, hour, metric), 6 values: key id, hour, metric, n, sum, sumSq
--
-- Returns the number of keys written.

local function decode(v)
  local st = { anchor = false, names = {}, m = {} }
  if not v then return st end
  local latest = struct.unpack('>i4', v)
  local t = cmsgpack.unpack(string.sub(v, 5))
  st.anchor = t[1]
  for i = 2, #t, 3 do
    local slots, flat = {}, t[i + 2]
    for j = 1, #flat, 4 do
      slots[#slots + 1] = { latest - flat[j], flat[j + 1], flat[j + 2], flat[j + 3] }
    end
    st.names[#st.names + 1] = t[i]
    st.m[t[i]] = { base = t[i + 1], slots = slots }
  end
  return st
end

local function encode(st)
  local latest = st.anchor or -2147483648
  for _, name in ipairs(st.names) do
    for _, s in ipairs(st.m[name].slots) do
      if s[1] > latest then latest = s[1] end
    end
  end
  local t = { st.anchor }
  for _, name in ipairs(st.names) do
    local ms, flat = st.m[name], {}
    for _, s in ipairs(ms.slots) do
      flat[#flat + 1] = latest - s[1]
      flat[#flat + 1] = s[2]
      flat[#flat + 1] = s[3]
      flat[#flat + 1] = s[4]
    end
    t[#t + 1] = name
    t[#t + 1] = ms.base
    t[#t + 1] = flat
  end
  return struct.pack('>i4', latest) .. cmsgpack.pack(t)
end

local states, order = {}, {}
for a = 1, #ARGV, 6 do
  local key, hour, metric = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2]
  local n, sum, sq = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local st = states[key]
  if not st then
    st = decode(redis.call('HGET', KEYS[1], key))
    states[key] = st
    order[#order + 1] = key
  end
  local ms = st.m[metric]
  if not ms then
    ms = { base = false, slots = {} }
    st.m[metric] = ms
    st.names[#st.names + 1] = metric
  end
  -- Slots stay sorted by hour: find this hour's, or where it goes.
  local at = #ms.slots + 1
  for j, s in ipairs(ms.slots) do
    if s[1] >= hour then
      at = j
      break
    end
  end
  local s = ms.slots[at]
  if s and s[1] == hour then
    s[2], s[3], s[4] = s[2] + n, s[3] + sum, s[4] + sq
  else
    table.insert(ms.slots, at, { hour, n, sum, sq })
  end
end
for _, key in ipairs(order) do
  redis.call('HSET', KEYS[1], key, encode(states[key]))
end
return #order
