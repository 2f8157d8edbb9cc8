/**
 * CONTRACT used by policies/ (fleet planner, CrossGuard rules) and by the program: the one fleet config loader.
 * `loadFleetConfig(stack)` reads `stacks/Pulumi.<stack>.yaml` (key `keyfleet:fleet`) and validates it once;
 * `validateFleetConfig(raw)` is the pure validator. Both throw {@link FleetConfigError}, whose message lists
 * every problem as `keyfleet:fleet.<key path>: <what is wrong and what is allowed>`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import type { z } from "zod";
import { expandFleet, type ConfigProblem } from "./expand.ts";
import { fleetSchema } from "./schema.ts";
import type { FleetConfig, VaultLoad } from "./types.ts";

export type * from "./types.ts";
export type { ConfigProblem } from "./expand.ts";

/** The stack config key holding the fleet (project `keyfleet`, key `fleet`). */
export const FLEET_CONFIG_KEY = "keyfleet:fleet";
/** Directory of the stack config files (`stackConfigDir` in Pulumi.yaml). */
export const STACKS_DIR = path.resolve(import.meta.dirname, "..");

/** Thrown for any invalid fleet configuration; `problems` carries each key path and message. */
export class FleetConfigError extends Error {
  /** Every problem found, in document order. */
  readonly problems: ConfigProblem[];
  constructor(source: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  ${FLEET_CONFIG_KEY}.${p.path}: ${p.message}`);
    super(`invalid fleet configuration in ${source}:\n${lines.join("\n")}`);
    this.name = "FleetConfigError";
    this.problems = problems;
  }
}

/** Formats a zod issue path as `a.b[0].c`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out ? `.${String(s)}` : String(s);
  return out || "(root)";
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.input === undefined) return `is required (${issue.expected})`;
  if (issue.code === "invalid_value")
    return `invalid value; allowed: ${issue.values.map((v) => String(v)).join(" | ")}`;
  if (issue.code === "unrecognized_keys")
    return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  if (issue.code === "invalid_union") return "does not match any allowed form (see docs/iac.md)";
  return issue.message;
}

/**
 * One issue → problems. For a union (e.g. namespaces: list | set name) the branch that got furthest (its
 * issues are not a type mismatch at the union itself) is reported with full paths, not "no form matched".
 */
function toProblems(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ConfigProblem[] {
  const here = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const deep = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
    if (deep.length > 0) {
      const best = deep.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((i) => toProblems(i, here));
    }
  }
  return [{ path: formatPath(here), message: issueMessage(issue) }];
}

/**
 * Validates and expands a raw `keyfleet:fleet` value (pure, no I/O).
 * @param source named in the error message (file or "input"); default "input".
 * @throws FleetConfigError listing every problem with its key path.
 */
export function validateFleetConfig(raw: unknown, source = "input"): FleetConfig {
  const parsed = fleetSchema.safeParse(raw);
  if (!parsed.success)
    throw new FleetConfigError(
      source,
      parsed.error.issues.flatMap((i) => toProblems(i, [])),
    );
  const { config, problems } = expandFleet(parsed.data);
  if (problems.length > 0) throw new FleetConfigError(source, problems);
  return config;
}

/** Path of a stack's config file. */
export function stackConfigPath(stackName: string, dir: string = STACKS_DIR): string {
  return path.join(dir, `Pulumi.${stackName}.yaml`);
}

/** Reads the raw `keyfleet:fleet` value of a stack file (no validation). */
export function readRawFleet(stackName: string, dir: string = STACKS_DIR): unknown {
  const file = stackConfigPath(stackName, dir);
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw = doc?.config?.[FLEET_CONFIG_KEY];
  if (raw === undefined)
    throw new FleetConfigError(file, [
      { path: "(root)", message: `missing; add config: { ${FLEET_CONFIG_KEY}: {...} }` },
    ]);
  return raw;
}

/**
 * Reads `stacks/Pulumi.<stack>.yaml` and validates its `keyfleet:fleet` once.
 * @throws FleetConfigError naming the file, each key path and what is allowed.
 */
export function loadFleetConfig(stackName: string, dir: string = STACKS_DIR): FleetConfig {
  return validateFleetConfig(readRawFleet(stackName, dir), stackConfigPath(stackName, dir));
}

/** Per-vault load a planner needs: clusters, objects per cluster, poll and jitter per engine (pure). */
export function vaultLoads(config: FleetConfig): VaultLoad[] {
  return config.vaults.map((v) => {
    const clusters = config.clusters.filter((c) => c.vault === v.name);
    const engines = [...new Set(clusters.map((c) => c.engine))].sort();
    return {
      vault: v.name,
      clusterCount: clusters.length,
      byEngine: engines.map((engine) => {
        const cs = clusters.filter((c) => c.engine === engine);
        return {
          engine,
          clusterCount: cs.length,
          maxObjectsPerCluster: Math.max(...cs.map((c) => c.objectCount)),
          totalObjects: cs.reduce((n, c) => n + c.objectCount, 0),
          rotationPollIntervalSeconds: Math.min(...cs.map((c) => c.sync.rotationPollIntervalSeconds)),
          jitterSeconds: Math.min(...cs.map((c) => c.sync.jitterSeconds)),
        };
      }),
    };
  });
}
