/** v3: the forget log replicas read to drop forgotten edges from their caches (issue 11). Empty until that feature lands. */
export const V3_FORGETS = '';
