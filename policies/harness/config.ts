/**
 * Policy pack configuration for the harness, in the format `pulumi preview --policy-pack-config <file>` takes:
 * `{ "<policy>": "<level>" | { "enforcementLevel"?: level, <property>: value } }`, checked against each rule's
 * configSchema so a typo fails loudly instead of silently using a default.
 */
import type { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";
import type { KeyfleetPolicy } from "../lib/rule.ts";

/** Normalised config of one policy. */
export interface PolicySettings {
  enforcementLevel?: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** One property schema of a policy config. */
type PolicyConfigJSONSchema = PolicyConfigSchema["properties"][string];

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** Bad policy configuration; the message names the policy and property and what is allowed. */
export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

function fail(path: string, value: unknown, allowed: string): never {
  throw new PolicyConfigError(`${path}: got ${JSON.stringify(value)}; allowed: ${allowed}`);
}

function checkNumber(path: string, value: unknown, schema: PolicyConfigJSONSchema, integer: boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(path, value, integer ? "integer" : "number");
  if (integer && !Number.isInteger(value)) fail(path, value, "a whole number");
  const bounds: Array<[number | undefined, (n: number, b: number) => boolean, string]> = [
    [schema.minimum, (n, b) => n >= b, "≥"],
    [schema.maximum, (n, b) => n <= b, "≤"],
    [schema.exclusiveMinimum, (n, b) => n > b, ">"],
    [schema.exclusiveMaximum, (n, b) => n < b, "<"],
  ];
  for (const [bound, ok, sign] of bounds) {
    if (bound !== undefined && !ok(value, bound)) fail(path, value, `${sign} ${bound}`);
  }
}

function checkValue(path: string, value: unknown, schema: PolicyConfigJSONSchema): void {
  if (typeof schema !== "object") return;
  const type = schema.type;
  if (type === "number" || type === "integer") checkNumber(path, value, schema, type === "integer");
  else if (type === "boolean" && typeof value !== "boolean") fail(path, value, "true | false");
  else if (type === "string" && typeof value !== "string") fail(path, value, "a string");
  else if (type === "array") {
    if (!Array.isArray(value)) fail(path, value, "a list");
    const items = schema.items;
    if (items && typeof items === "object" && !Array.isArray(items)) {
      value.forEach((item, i) => checkValue(`${path}[${i}]`, item, items));
    }
  }
}

/** Validates and normalises a policy pack config object against the rules' schemas. */
export function normalisePackConfig(
  raw: unknown,
  policies: readonly KeyfleetPolicy[],
): Map<string, PolicySettings> {
  const out = new Map<string, PolicySettings>();
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new PolicyConfigError('policy config must be an object: { "<policy name>": <level> | { ... } }');
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const policy = byName.get(name);
    if (!policy && name !== "all") {
      throw new PolicyConfigError(`unknown policy "${name}"; allowed: all, ${[...byName.keys()].join(", ")}`);
    }
    const settings: PolicySettings = { properties: {} };
    const entries: Record<string, unknown> =
      typeof value === "string" ? { enforcementLevel: value } : ((value ?? {}) as Record<string, unknown>);
    for (const [key, v] of Object.entries(entries)) {
      if (key === "enforcementLevel") {
        if (!LEVELS.includes(v as EnforcementLevel)) {
          throw new PolicyConfigError(
            `${name}.enforcementLevel: got ${JSON.stringify(v)}; allowed: ${LEVELS.join(" | ")}`,
          );
        }
        settings.enforcementLevel = v as EnforcementLevel;
        continue;
      }
      const schema = policy?.configSchema?.properties[key];
      if (!schema) {
        const known = Object.keys(policy?.configSchema?.properties ?? {});
        throw new PolicyConfigError(
          `${name}.${key}: unknown property; allowed: enforcementLevel${known.map((k) => `, ${k}`).join("")}`,
        );
      }
      checkValue(`${name}.${key}`, v, schema as PolicyConfigJSONSchema);
      settings.properties[key] = v;
    }
    out.set(name, settings);
  }
  return out;
}
