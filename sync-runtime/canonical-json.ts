/** Comparing JSON documents regardless of the order of object keys (status written vs status read back). */

/** JSON with every object's keys sorted; arrays keep their order (pure). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** True when two JSON documents differ in anything but key order (pure). */
export function jsonDiffers(a: unknown, b: unknown): boolean {
  return canonicalJson(a) !== canonicalJson(b);
}
