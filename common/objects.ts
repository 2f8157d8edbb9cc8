/**
 * Object helpers every part of keyfleet may use (pure, no dependencies). keyfleet builds objects with plain
 * properties — an option that is not set is `undefined` — rather than spreading `...(x ? { x } : {})`; where the
 * absence of a key is itself observable (a result compared as a whole, a Record of labels, a query string), the
 * literal goes through {@link withoutUndefined}.
 */

/** Removes the keys whose value is `undefined` (one level deep; pure). */
export function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
