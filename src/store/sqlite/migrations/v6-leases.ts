/** v6: named leases shared by processes (grouped sinks, issue 12). Empty until that feature lands. */
export const V6_LEASES = '';
