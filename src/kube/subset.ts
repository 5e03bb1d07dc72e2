// Decides whether a live object already has everything a desired apply body
// says, so that a reconcile with nothing to change makes no request at all.

/** True when every field of desired is present and equal in live (lists element-wise, same length). */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => isSubset(d, live[i]));
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => isSubset(v, l[k]));
  }
  // The API server turns integer-valued strings of some fields into numbers and back.
  if (typeof desired !== typeof live && (typeof desired === 'number' || typeof live === 'number')) {
    return String(desired) === String(live);
  }
  return desired === live;
}
