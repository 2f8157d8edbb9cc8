/**
 * CONTRACT used by policies/ (fleet planner, CrossGuard rules) and by the program: the one fleet config loader.
 * `loadFleetConfig(stack)` reads `stacks/Pulumi.<stack>.yaml` (key `keyfleet:fleet`) and validates it once;
 * `validateFleetConfig(raw)` is the pure validator. Both throw {@link FleetConfigError}, whose message lists
 * every problem as `keyfleet:fleet.<key path>: <what is wrong and what is allowed>`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, YAMLError } from "yaml";
import { expandFleet, type ConfigProblem } from "./expand.ts";
import { toProblems } from "./issues.ts";
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

export { formatPath } from "./issues.ts";

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
      parsed.error.issues.flatMap((i) => toProblems(i, [], raw, fleetSchema)),
    );
  const { config, problems } = expandFleet(parsed.data);
  if (problems.length > 0) throw new FleetConfigError(source, problems);
  return config;
}

/** Path of a stack's config file. */
export function stackConfigPath(stackName: string, dir: string = STACKS_DIR): string {
  return path.join(dir, `Pulumi.${stackName}.yaml`);
}

/** A stack file that is missing or not valid YAML; the message names the file (and line:column) or the stacks. */
export class StackFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StackFileError";
  }
}

/** Stack names with a `Pulumi.<name>.yaml` in `dir`, sorted. */
export function listStacks(dir: string = STACKS_DIR): string[] {
  try {
    return readdirSync(dir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort();
  } catch {
    return [];
  }
}

/** Reads and parses a stack file. @throws StackFileError naming a missing stack or the YAML error's position. */
function readStackDocument(stackName: string, dir: string): unknown {
  const file = stackConfigPath(stackName, dir);
  const relative = path.relative(process.cwd(), file);
  const shown = relative && !relative.startsWith("..") ? relative : file;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    const stacks = listStacks(dir);
    throw new StackFileError(
      `no stack "${stackName}": ${shown} does not exist; stacks: ${stacks.length ? stacks.join(", ") : "none"}`,
      { cause: error },
    );
  }
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof YAMLError)) throw error;
    const at = error.linePos?.[0];
    const what = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${shown}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${what}`, {
      cause: error,
    });
  }
}

/** Reads the raw `keyfleet:fleet` value of a stack file (no validation). */
export function readRawFleet(stackName: string, dir: string = STACKS_DIR): unknown {
  const file = stackConfigPath(stackName, dir);
  const doc = readStackDocument(stackName, dir) as { config?: Record<string, unknown> } | null;
  const raw = doc?.config?.[FLEET_CONFIG_KEY];
  if (raw === undefined)
    throw new FleetConfigError(file, [
      { path: "(root)", message: `missing; add config: { ${FLEET_CONFIG_KEY}: {...} }` },
    ]);
  return raw;
}

/**
 * Reads `stacks/Pulumi.<stack>.yaml` and validates its `keyfleet:fleet` once.
 * @throws StackFileError for a missing stack (listing the stacks) or invalid YAML (file:line:column);
 *   FleetConfigError naming the file, each key path and what is allowed.
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
