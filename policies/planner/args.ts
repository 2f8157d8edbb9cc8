/** Flag parsing for `keyfleet jitter` and `keyfleet plan` (validated once, errors name the flag). */
import { parseArgs } from "node:util";
import { JITTER_MODEL_DEFAULTS } from "../jitter/model.ts";

/** Bad command-line input; the message names the flag and what is allowed. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const JITTER_USAGE = `usage: keyfleet jitter --clusters C --secrets-per-cluster S [--risk P] [--vault-limit N] [--json]

  --clusters C              clusters reading one vault (whole number ≥ 1)
  --secrets-per-cluster S   secrets each cluster reads per poll (whole number ≥ 1)
  --risk P                  acceptable per-second risk of exceeding the limit, a fraction (default 0.0001 = 0.01 %)
  --vault-limit N           vault reads allowed per 10 s (default 4000; older docs: 2000)
  --json                    print one JSON object
`;

export const PLAN_USAGE = `usage: keyfleet plan --stack <name> [--vault <name>] [--risk P] [--vault-limit N] [--out <file.svg>] [--json]

  --stack <name>     stack whose fleet configuration to read (stacks/Pulumi.<name>.yaml)
  --vault <name>     plan only this vault
  --risk P           acceptable per-second risk, a fraction (default 0.0001 = 0.01 %)
  --vault-limit N    vault reads allowed per 10 s (default 4000)
  --out <file.svg>   where to write the request-rate picture (default .keyfleet/plan/<stack>.svg)
  --json             print the plan as JSON (the picture is still written)
`;

function wholeNumber(flag: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`--${flag} is required (a whole number ≥ 1)`);
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`--${flag} must be a whole number ≥ 1, got "${value}"`);
  }
  return Number(value);
}

/** A `--flag` fraction in (0, 0.5), or `fallback` when absent. */
export function fraction(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n >= 0.5) {
    throw new UsageError(
      `--${flag} must be a fraction greater than 0 and less than 0.5 (0.0001 = 0.01 %), got "${value}"`,
    );
  }
  return n;
}

/** A `--flag` number > 0, or `fallback` when absent. */
export function positive(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag} must be a number > 0, got "${value}"`);
  return n;
}

/** Strict `parseArgs` (plus `--help`); unknown flags become a {@link UsageError}; `multiple` flags give lists. */
export function parse(
  argv: string[],
  options: Record<string, { type: "string" | "boolean"; multiple?: boolean }>,
): Record<string, string | boolean | string[] | undefined> {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean" } },
      strict: true,
    });
    return parsed.values as Record<string, string | boolean | string[] | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parsed `keyfleet jitter` flags. */
export interface JitterArgs {
  help: boolean;
  clusters: number;
  secretsPerCluster: number;
  risk: number;
  vaultLimitPer10s: number;
  json: boolean;
}

/** Parses `keyfleet jitter` flags. */
export function parseJitterArgs(argv: string[]): JitterArgs {
  const v = parse(argv, {
    clusters: { type: "string" },
    "secrets-per-cluster": { type: "string" },
    risk: { type: "string" },
    "vault-limit": { type: "string" },
    json: { type: "boolean" },
  });
  if (v.help)
    return { help: true, clusters: 0, secretsPerCluster: 0, risk: 0, vaultLimitPer10s: 0, json: false };
  return {
    help: false,
    clusters: wholeNumber("clusters", v.clusters as string | undefined),
    secretsPerCluster: wholeNumber("secrets-per-cluster", v["secrets-per-cluster"] as string | undefined),
    risk: fraction("risk", v.risk as string | undefined, JITTER_MODEL_DEFAULTS.risk),
    vaultLimitPer10s: positive(
      "vault-limit",
      v["vault-limit"] as string | undefined,
      JITTER_MODEL_DEFAULTS.vaultLimitPer10s,
    ),
    json: v.json === true,
  };
}

/** Parsed `keyfleet plan` flags. */
export interface PlanArgs {
  help: boolean;
  stack: string;
  vault?: string;
  risk: number;
  vaultLimitPer10s: number;
  out?: string;
  json: boolean;
}

/** Parses `keyfleet plan` flags. */
export function parsePlanArgs(argv: string[]): PlanArgs {
  const v = parse(argv, {
    stack: { type: "string" },
    vault: { type: "string" },
    risk: { type: "string" },
    "vault-limit": { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
  });
  if (v.help) return { help: true, stack: "", risk: 0, vaultLimitPer10s: 0, json: false };
  const stack = v.stack as string | undefined;
  if (!stack) throw new UsageError("--stack is required (the name in stacks/Pulumi.<name>.yaml)");
  return {
    help: false,
    stack,
    vault: v.vault !== undefined ? (v.vault as string) : undefined,
    risk: fraction("risk", v.risk as string | undefined, JITTER_MODEL_DEFAULTS.risk),
    vaultLimitPer10s: positive(
      "vault-limit",
      v["vault-limit"] as string | undefined,
      JITTER_MODEL_DEFAULTS.vaultLimitPer10s,
    ),
    out: v.out !== undefined ? (v.out as string) : undefined,
    json: v.json === true,
  };
}
