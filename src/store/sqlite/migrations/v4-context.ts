/** v4: what alert context needs: edge first-seen and the per-workload index (issue 12). Empty until that feature lands. */
export const V4_CONTEXT = '';
