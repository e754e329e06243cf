/**
 * v9: a held-back new edge's storm decision lives in its edge row (issue 14): `held_alert` is the
 * alert id the storm guard held back for the edge's current appearance (NULL: none). observe
 * writes the edge row anyway, so a first deploy's held-back edges cost no row (and no B-tree page)
 * of their own in storm_decisions, which a random alert id scattered over the table. forgetEdge
 * moves the id into storm_decisions before the row goes, so a forgotten edge seen again with the
 * same appearance is still decided once. Rows already in storm_decisions keep working as they are.
 */
export const V9_HELD_IN_EDGE = `
  ALTER TABLE edges ADD COLUMN held_alert TEXT;
  `;
