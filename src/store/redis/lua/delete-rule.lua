-- delete-rule.lua (ewDeleteRuleV1): delete a rule and, when there was one, bump the rules
-- version, atomically.
--
-- KEYS[1] {p:0}:rules          HASH    rule id -> rule JSON
-- KEYS[2] {p:0}:rules-version  STRING  counter
-- ARGV[1] rule id
--
-- Returns 1 when the rule existed (and is gone now), else 0.

if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('INCR', KEYS[2])
return 1
