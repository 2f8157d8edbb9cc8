/**
 * Zod issues → the documented problem form `keyfleet:fleet.<key path>: <what is wrong; allowed: …>` (pure).
 * Never the schema library's own wording ("Too small: expected number to be >=0"), and never "is required" for
 * a key that is there with the wrong type: the raw value at the issue's path tells the two apart.
 */
import type { z } from "zod";
import type { ConfigProblem } from "./expand.ts";
import { nounFor } from "../../common/text.ts";

/** Formats a zod issue path as `a.b[0].c`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out ? `.${String(s)}` : String(s);
  return out || "(root)";
}

/** The raw value at `path`, or undefined when any step is missing (pure). */
export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `a list`, `a map`, ... for a zod type name. */
const EXPECTED: Readonly<Record<string, string>> = {
  array: "a list",
  object: "a map (key: value)",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

/** How a value reads in a message: `a string ("kv")`, `-1`, `a list`. Short strings are quoted. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return value.length <= 64 ? JSON.stringify(value) : "a long string";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "a map" : typeof value;
}

function sizeWord(origin: string, count: number | bigint): string {
  if (origin === "array" || origin === "set") return `${count} item${count === 1 ? "" : "s"}`;
  if (origin === "string") return `${count} character${count === 1 ? "" : "s"}`;
  return String(count);
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, value: unknown): string {
  const sized = issue.origin === "array" || issue.origin === "set" || issue.origin === "string";
  const have = sized
    ? sizeWord(issue.origin, (value as { length?: number } | undefined)?.length ?? 0)
    : describeValue(value);
  const bound = `${issue.inclusive ? "" : "more than "}${sizeWord(issue.origin, issue.minimum)}${issue.inclusive ? " or more" : ""}`;
  return `got ${have}; allowed: ${bound}`;
}

/** The message of one issue, given the raw value it is about (pure). */
export function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type": {
      const allowed = EXPECTED[issue.expected] ?? issue.expected;
      if (value === undefined) return `is required (${allowed})`;
      return `got ${describeValue(value)}; allowed: ${allowed}`;
    }
    case "too_small":
      return tooSmall(issue, value);
    case "too_big": {
      const bound = `${issue.inclusive ? "" : "less than "}${sizeWord(issue.origin, issue.maximum)}${issue.inclusive ? " or less" : ""}`;
      return `got ${describeValue(value)}; allowed: ${bound}`;
    }
    case "invalid_value":
      return `got ${describeValue(value)}; allowed: ${issue.values.map((v) => String(v)).join(" | ")}`;
    case "unrecognized_keys":
      return `unknown ${nounFor(issue.keys.length, "key")} ${issue.keys.map((k) => `"${k}"`).join(", ")}; check the spelling (docs/iac.md lists every key)`;
    case "invalid_union":
      return `got ${describeValue(value)}; allowed: one of the forms in docs/iac.md`;
    case "invalid_format":
      // Our regexes say "must be <what is allowed>": turned into the documented form with what was given.
      return issue.message.startsWith("must be ")
        ? `got ${describeValue(value)}; allowed: ${issue.message.slice("must be ".length)}`
        : `${issue.message}; got ${describeValue(value)}`;
    default:
      return issue.message;
  }
}

/**
 * One issue → problems (pure). For a union (e.g. namespaces: list | set name) the branch that got furthest (its
 * issues are not a type mismatch at the union itself) is reported with full paths, not "no form matched".
 */
export function toProblems(
  issue: z.core.$ZodIssue,
  prefix: readonly PropertyKey[],
  raw: unknown,
): ConfigProblem[] {
  const here = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const deep = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
    if (deep.length > 0) {
      const best = deep.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((i) => toProblems(i, here, raw));
    }
  }
  return [{ path: formatPath(here), message: issueMessage(issue, valueAt(raw, here)) }];
}
