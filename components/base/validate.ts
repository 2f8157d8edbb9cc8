/** Small input checks shared by components; each throws `pulumi.ResourceError` naming the option. */
import * as pulumi from "@pulumi/pulumi";

export { DNS_LABEL_PATTERN, GUID_PATTERN } from "../../common/vocabulary.ts";

/** Package-style type prefix of every keyfleet component. */
export const COMPONENT_PREFIX = "keyfleet:index";

/** Throws a ResourceError `<component> "<name>": <option>: <message>` when `ok` is false. */
export function check(ok: boolean, resource: pulumi.Resource, option: string, message: string): asserts ok {
  if (!ok) throw new pulumi.ResourceError(`${option}: ${message}`, resource);
}

/** Checks a value is one of the allowed ones. */
export function requireOneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  resource: pulumi.Resource,
  option: string,
): asserts value is T {
  check(
    value !== undefined && (allowed as readonly string[]).includes(value),
    resource,
    option,
    `got ${JSON.stringify(value)}; allowed: ${allowed.join(" | ")}`,
  );
}

/** A short, stable, name-safe slug for Pulumi child names (lower-case, '-' separated). */
export function slug(...parts: string[]): string {
  return parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
}
