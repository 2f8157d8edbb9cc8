/**
 * Zod issues → the documented problem form `keyfleet:fleet.<key path>: <what is wrong; allowed: …>` (pure).
 * Never the schema library's own wording ("Too small: expected number to be >=0"), and never "is required" for
 * a key that is there with the wrong type: the raw value at the issue's path tells the two apart.
 */
import type { z } from "zod";
import type { ConfigProblem } from "./expand.ts";
import { counted, nounFor } from "../../common/text.ts";

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
  if (origin === "array" || origin === "set") return counted(Number(count), "item");
  if (origin === "string") return counted(Number(count), "character");
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

/** A number schema's range, so a problem can state all of it ("a whole number from 10 to 3600"). */
export interface NumberRange {
  whole: boolean;
  min?: number;
  max?: number;
}

/** `schema` without its default/optional/nullable/pipe wrappers. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    const inner = def.type === "pipe" ? def.in : def.innerType;
    if (!inner) return current;
    current = inner;
  }
}

/**
 * The range of the number schema at `path` inside `schema` (pure), or undefined when no number schema is there
 * (unions are not followed). The fleet schema states ranges with inclusive `.min()`/`.max()` only; the integer
 * type's own safe-integer limits are no range a user set.
 */
export function numberRangeAt(schema: z.ZodType, path: readonly PropertyKey[]): NumberRange | undefined {
  let current: z.ZodType | undefined = unwrapped(schema);
  for (const key of path) {
    const def = current._zod.def as {
      type: string;
      shape?: Record<string, z.ZodType>;
      element?: z.ZodType;
      valueType?: z.ZodType;
    };
    const next: z.ZodType | undefined =
      def.type === "object"
        ? def.shape?.[String(key)]
        : def.type === "array"
          ? def.element
          : def.type === "record"
            ? def.valueType
            : undefined;
    if (!next) return undefined;
    current = unwrapped(next);
  }
  if (current._zod.def.type !== "number") return undefined;
  const n = current as z.ZodNumber;
  const bound = (v: number | null) =>
    v !== null && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined;
  return { whole: n.isInt === true, min: bound(n.minValue), max: bound(n.maxValue) };
}

/** "a whole number from 10 to 3600", "a number, 0 or more", "a whole number". */
export function describeRange(range: NumberRange): string {
  const kind = range.whole ? "a whole number" : "a number";
  if (range.min !== undefined && range.max !== undefined) return `${kind} from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return `${kind}, ${range.min} or more`;
  if (range.max !== undefined) return `${kind}, ${range.max} or less`;
  return kind;
}

/**
 * The message of one issue, given the raw value it is about (pure); `range` is the number schema's range at the
 * issue's path, when there is one, so a wrong value is answered with the whole range.
 */
export function issueMessage(issue: z.core.$ZodIssue, value: unknown, range?: NumberRange): string {
  if (range && (issue.code === "invalid_type" || issue.code === "too_small" || issue.code === "too_big")) {
    const allowed = describeRange(range);
    return value === undefined
      ? `is required (${allowed})`
      : `got ${describeValue(value)}; allowed: ${allowed}`;
  }
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
  schema?: z.ZodType,
): ConfigProblem[] {
  const here = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const deep = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
    if (deep.length > 0) {
      const best = deep.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((i) => toProblems(i, here, raw, schema));
    }
  }
  const range = schema ? numberRangeAt(schema, here) : undefined;
  return [{ path: formatPath(here), message: issueMessage(issue, valueAt(raw, here), range) }];
}
