// Bounds on what a profile may be: a real one is a few hundred bytes and five levels deep.

export const MAX_PROFILE_BYTES = 1024 * 1024;
/** Depth of YAML's parse stack; an ordinary profile needs under 10. */
export const MAX_NESTING = 64;
