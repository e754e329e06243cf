/** v2: storm guard windows shared by every process on the file (issue 11). Empty until that feature lands. */
export const V2_STORM = '';
