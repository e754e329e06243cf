-- traffic-read.lua (ewTrafficReadV1): traffic keys' baselines as of the start of an hour, for
-- keys of ONE shard (README "Anomalous traffic", src/store/traffic-state.ts, which this mirrors
-- step for step so the stores round alike). Per key, atomically: fold every pending slot with
-- hour h < H into the base with weight decay^(B' - 1 - h), B' = max(anchor, H), after decaying the
-- base by decay^(B' - anchor); delete those slots; write the key back; answer its bases. Slots
-- with h >= H stay pending. Reading twice at H changes nothing the second time.
--
-- KEYS[1] {p:N}:tr-moments  HASH  traffic key id -> packed state (layout: traffic-add.lua)
-- ARGV[1] H (clock hour)
-- ARGV[2] decay per hour, in (0, 1]
-- ARGV[3..] key ids
--
-- Returns, per key in order: the number M of metrics with a base (0: nothing before H, or no
-- such key), then M times: metric, n, sum, sumSq (strings, %.17g: exact doubles).

local function decode(v)
  local st = { anchor = false, names = {}, m = {} }
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

-- Returns whether the state changed.
local function fold(st, hour, decay)
  local folding = false
  for _, name in ipairs(st.names) do
    local first = st.m[name].slots[1]
    if first and first[1] < hour then folding = true end
  end
  if not st.anchor and not folding then return false end
  local anchor = st.anchor and math.max(st.anchor, hour) or hour
  if anchor == st.anchor and not folding then return false end
  local scale = st.anchor and decay ^ (anchor - st.anchor) or 1
  for _, name in ipairs(st.names) do
    local ms = st.m[name]
    local b = ms.base
    if b and scale ~= 1 then b = { b[1] * scale, b[2] * scale, b[3] * scale } end
    local keep = {}
    for _, s in ipairs(ms.slots) do
      if s[1] < hour then
        if not b then b = { 0, 0, 0 } end
        local w = decay ^ (anchor - 1 - s[1])
        b[1], b[2], b[3] = b[1] + w * s[2], b[2] + w * s[3], b[3] + w * s[4]
      else
        keep[#keep + 1] = s
      end
    end
    ms.base, ms.slots = b, keep
  end
  st.anchor = anchor
  return true
end

local hour, decay = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if not v then
    out[#out + 1] = 0
  else
    local st = decode(v)
    if fold(st, hour, decay) then redis.call('HSET', KEYS[1], ARGV[i], encode(st)) end
    local at = #out + 1
    out[at] = 0
    for _, name in ipairs(st.names) do
      local b = st.m[name].base
      if b then
        out[at] = out[at] + 1
        out[#out + 1] = name
        out[#out + 1] = string.format('%.17g', b[1])
        out[#out + 1] = string.format('%.17g', b[2])
        out[#out + 1] = string.format('%.17g', b[3])
      end
    end
  end
end
return out
