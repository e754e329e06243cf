/** v5: alert states and stored filter rules (issue 12). Empty until that feature lands. */
export const V5_TRIAGE = '';
