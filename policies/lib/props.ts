/** Small readers over plain resource properties (inputs or outputs as the policy engine passes them). */

/** A plain JSON-like object. */
export type Props = Record<string, unknown>;

/** The value at a dotted path (`spec.parameters.objects`), or undefined. */
export function at(props: unknown, path: string): unknown {
  let value: unknown = props;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Props)[key];
  }
  return value;
}

/** The value at a path when it is a string. */
export function stringAt(props: unknown, path: string): string | undefined {
  const value = at(props, path);
  return typeof value === "string" ? value : undefined;
}

/** The value at a path when it is a plain object. */
export function objectAt(props: unknown, path: string): Props | undefined {
  const value = at(props, path);
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : undefined;
}

/** The value at a path when it is an array. */
export function arrayAt(props: unknown, path: string): unknown[] | undefined {
  const value = at(props, path);
  return Array.isArray(value) ? value : undefined;
}

/** "true"/true → true, "false"/false → false, anything else → undefined (Azure settings are strings). */
export function booleanSetting(value: unknown): boolean | undefined {
  if (value === true || value === "true" || value === "True") return true;
  if (value === false || value === "false" || value === "False") return false;
  return undefined;
}
