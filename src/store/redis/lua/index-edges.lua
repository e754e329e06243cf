-- index-edges.lua (ewIndexEdgesV1): the per-workload index of alert context for the workloads of
-- ONE shard (layout: src/store/edge-ends.ts, keys.ts). For each end of a sighting, in order:
-- answer what the workload's index held before it (this edge itself never counts), then record
-- the edge there. Idempotent: a member already there keeps min(first-seen), its peer its count.
--
-- Called with a variable number of keys (numkeys first), two per workload:
-- KEYS[i]     {p:N}:wl-edges:<workload id>  ZSET  "<protocol><dir>|<peer>" -> first-seen ms
-- KEYS[i + 1] {p:N}:wl-peers:<workload id>  HASH  peer -> members of the ZSET with that peer
-- ARGV[1] '1': answer the facts; '0': only record (the one-time back-fill of old edges)
-- ARGV[2..], per end, 5 values: i (index of the workload's ZSET in KEYS), protocol (tcp|udp),
--   dirs ('>' the workload is the source, '<' the dest, '><' a self-loop: both), peer, first ms
--
-- Returns, per end in order, 3 values (none when ARGV[1] is '0'): earliest first-seen of the
-- workload's other members ('' if none); its distinct peers not counting this edge; 1 if dirs
-- has '>' and the other protocol's "<other>>|<peer>" member exists, else 0.

local answer = ARGV[1] == '1'
local out = {}

for a = 2, #ARGV, 5 do
  local ki = tonumber(ARGV[a])
  local z, h = KEYS[ki], KEYS[ki + 1]
  local proto, dirs, peer, first = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]

  local selves = {}
  for d in string.gmatch(dirs, '[<>]') do selves[proto .. d .. '|' .. peer] = true end

  if answer then
    -- At most two members are this edge's, so the earliest other one is among the first three.
    local earliest, peers, other = '', 0, 0
    local head = redis.call('ZRANGE', z, 0, 2, 'WITHSCORES')
    -- An empty ZSET is a workload never indexed (a first deploy's usual case): no member, so no
    -- peer either (the HASH counts the ZSET's members) and nothing on the other protocol.
    if #head > 0 then
      -- This edge's member(s) at this end that are there already.
      local present = 0
      for m, _ in pairs(selves) do
        if redis.call('ZSCORE', z, m) then present = present + 1 end
      end

      for j = 1, #head, 2 do
        if selves[head[j]] == nil then
          earliest = head[j + 1]
          break
        end
      end

      peers = redis.call('HLEN', h)
      if present > 0 then
        local refs = tonumber(redis.call('HGET', h, peer) or '0')
        if refs <= present then peers = peers - 1 end
      end

      if string.find(dirs, '>', 1, true) then
        local op = 'tcp'
        if proto == 'tcp' then op = 'udp' end
        if redis.call('ZSCORE', z, op .. '>|' .. peer) then other = 1 end
      end
    end

    out[#out + 1] = earliest
    out[#out + 1] = peers
    out[#out + 1] = other
  end

  for m, _ in pairs(selves) do
    -- LT: an existing member only moves to an earlier first-seen; 1 = added, so one more link to peer.
    if redis.call('ZADD', z, 'LT', first, m) == 1 then redis.call('HINCRBY', h, peer, 1) end
  end
end

return out
