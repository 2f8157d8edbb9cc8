/** Flag parsing for `keyfleet pr-check`, `keyfleet drift` and `keyfleet rollout` (validated once; errors name the flag). */
import { parse, positive, UsageError } from "../planner/args.ts";
import { defaultPulumiCommand } from "./runner.ts";

export const PR_CHECK_USAGE = `usage: keyfleet pr-check --base <ref> [--stacks a,b] [--all] [--out <dir>] [--pulumi "<command>"]
                         [--policy-pack <dir>] [--policy-config <file>]

  --base <ref>          git ref the change is compared with (the pull request's target, e.g. origin/main)
  --stacks a,b          only these stacks (default: every stacks/Pulumi.<stack>.yaml)
  --all                 preview every stack considered, changed or not
  --out <dir>           where pr-check.md, pr-check.json and plan-<stack>.svg go (default .keyfleet/pr-check)
  --pulumi "<command>"  how to run Pulumi (default $KEYFLEET_PULUMI, else "pulumi" on PATH);
                        on the proving ground: "npm run --silent local:pulumi --"
  --policy-pack <dir>   the CrossGuard pack (default policies; config per stack: <dir>/config.<stack>.json);
                        policies/keyfleet-analyzer for a Node.js language host that cannot run plugins
  --policy-config <f>   one pack config file for every stack instead

Exit codes: 0 passed; 1 a mandatory policy failed, a rollout burst does not fit, or a preview failed; 2 bad input.
`;

/** The environment variable with field managers `keyfleet drift` ignores, comma-separated (set once per project). */
export const DRIFT_IGNORE_MANAGERS_ENV = "KEYFLEET_DRIFT_IGNORE_MANAGERS";

export const DRIFT_USAGE = `usage: keyfleet drift --stack <name> [--out <dir>] [--pulumi "<command>"] [--ignore-manager <name>]…

  --stack <name>          the stack to check (its resources are refreshed from the clouds and clusters first)
  --out <dir>             where drift-<stack>.md and drift-<stack>.json go (default .keyfleet/drift)
  --pulumi "<command>"    how to run Pulumi (as for pr-check)
  --ignore-manager <name> a field manager whose added labels and annotations are not drift (another controller:
                          Argo CD, Flux, Reloader…): an exact name, or a prefix ending in "*"; repeatable; added to
                          $${DRIFT_IGNORE_MANAGERS_ENV} (comma-separated, for the whole project)

Resources not ready at refresh (a rollout in progress) are reported apart and are not drift.
Exit codes: 0 no drift; 1 resources changed outside Pulumi; 2 bad input or the refresh failed.
`;

export const ROLLOUT_USAGE = `usage: keyfleet rollout --stack <name> [--pulumi "<command>"] [--policy-pack <dir>] [--policy-config <file>]
                        [--ready-timeout <s>] [--dry-run]

  --stack <name>         the stack to update
  --pulumi "<command>"   how to run Pulumi (as for pr-check)
  --policy-pack <dir>    the CrossGuard pack enforced on every update (default policies)
  --policy-config <f>    its config (default <dir>/config.<stack>.json when present)
  --ready-timeout <s>    how long to wait for a wave's SecretSyncs to be Ready (default 600)
  --dry-run              print the plan, apply nothing

One \`pulumi up\` when every vault absorbs the update's burst; otherwise one \`pulumi up --target …\` per wave, at
least the wave interval apart and each once the previous wave's SecretSyncs are Ready, then a final whole-stack
\`pulumi up\` that converges anything left. Exit codes: 0 applied; 1 an update or a Ready gate failed; 2 bad input.
`;

/** Flags every command shares. */
interface Common {
  help: boolean;
  pulumi: string;
  packDir: string;
  /** One pack config for every stack (default: `<packDir>/config.<stack>.json` when present). */
  packConfig?: string;
}

/** Parsed `keyfleet pr-check` flags. */
export interface PrCheckArgs extends Common {
  base: string;
  /** Undefined: every stack file. */
  stacks?: string[];
  all: boolean;
  outDir: string;
}

/** Parsed `keyfleet drift` flags. */
export interface DriftArgs extends Common {
  stack: string;
  outDir: string;
  /** Field manager names and `prefix*` patterns, from the environment and `--ignore-manager` (default none). */
  ignoreManagers: string[];
}

/** Parsed `keyfleet rollout` flags. */
export interface RolloutArgs extends Common {
  stack: string;
  readyTimeoutSeconds: number;
  dryRun: boolean;
}

const COMMON = {
  pulumi: { type: "string" },
  "policy-pack": { type: "string" },
  "policy-config": { type: "string" },
} as const;

function common(v: Record<string, string | boolean | string[] | undefined>, env: NodeJS.ProcessEnv): Common {
  const pulumi = (v.pulumi as string | undefined) ?? defaultPulumiCommand(env);
  if (!pulumi.trim()) throw new UsageError('--pulumi must name a command, e.g. "pulumi"');
  const packConfig = v["policy-config"] as string | undefined;
  return {
    help: v.help === true,
    pulumi,
    packDir: (v["policy-pack"] as string | undefined) ?? "policies",
    packConfig: packConfig || undefined,
  };
}

function stackName(flag: string, value: string | undefined): string {
  if (!value) throw new UsageError(`--${flag} is required (the name in stacks/Pulumi.<name>.yaml)`);
  if (!/^[A-Za-z0-9_.-]+$/.test(value))
    throw new UsageError(`--${flag} must be a stack name, got "${value}"`);
  return value;
}

/** Parses `keyfleet pr-check` flags. */
export function parsePrCheckArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): PrCheckArgs {
  const v = parse(argv, {
    ...COMMON,
    base: { type: "string" },
    stacks: { type: "string" },
    all: { type: "boolean" },
    out: { type: "string" },
  });
  const c = common(v, env);
  if (c.help) return { ...c, base: "", all: false, outDir: "" };
  const base = v.base as string | undefined;
  if (!base)
    throw new UsageError("--base is required (the git ref the change is compared with, e.g. origin/main)");
  const stacks =
    v.stacks === undefined
      ? undefined
      : (v.stacks as string).split(",").map((s) => stackName("stacks", s.trim()));
  return {
    ...c,
    base,
    stacks,
    all: v.all === true,
    outDir: (v.out as string | undefined) ?? ".keyfleet/pr-check",
  };
}

/**
 * A field manager rule: an exact name, or a prefix ending in `*`. A bare `*` is refused: it would hide every hand
 * edit of labels and annotations, `kubectl`'s included.
 */
export function managerPattern(source: string, value: string): string {
  const pattern = value.trim();
  const problem = !pattern
    ? "is empty"
    : /[\s,]/.test(pattern)
      ? "has a space or comma"
      : pattern.indexOf("*") !== -1 && pattern.indexOf("*") !== pattern.length - 1
        ? 'has "*" before its end'
        : pattern === "*"
          ? "would ignore every field manager, kubectl's too"
          : undefined;
  if (problem)
    throw new UsageError(
      `${source}: "${value}" ${problem}; give a field manager's name (e.g. argocd-controller) or a prefix ending in "*" (e.g. flux-*)`,
    );
  return pattern;
}

/** Parses `keyfleet drift` flags. */
export function parseDriftArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DriftArgs {
  const v = parse(argv, {
    pulumi: COMMON.pulumi,
    stack: { type: "string" },
    out: { type: "string" },
    "ignore-manager": { type: "string", multiple: true },
  });
  const c = common(v, env);
  if (c.help) return { ...c, stack: "", outDir: "", ignoreManagers: [] };
  const fromEnv = (env[DRIFT_IGNORE_MANAGERS_ENV] ?? "")
    .split(",")
    .filter((m) => m.trim())
    .map((m) => managerPattern(DRIFT_IGNORE_MANAGERS_ENV, m));
  const fromFlags = ((v["ignore-manager"] as string[] | undefined) ?? []).map((m) =>
    managerPattern("--ignore-manager", m),
  );
  return {
    ...c,
    stack: stackName("stack", v.stack as string | undefined),
    outDir: (v.out as string | undefined) ?? ".keyfleet/drift",
    ignoreManagers: [...new Set([...fromEnv, ...fromFlags])].sort(),
  };
}

/** Parses `keyfleet rollout` flags. */
export function parseRolloutArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RolloutArgs {
  const v = parse(argv, {
    ...COMMON,
    stack: { type: "string" },
    "ready-timeout": { type: "string" },
    "dry-run": { type: "boolean" },
  });
  const c = common(v, env);
  if (c.help) return { ...c, stack: "", readyTimeoutSeconds: 0, dryRun: false };
  return {
    ...c,
    stack: stackName("stack", v.stack as string | undefined),
    readyTimeoutSeconds: positive("ready-timeout", v["ready-timeout"] as string | undefined, 600),
    dryRun: v["dry-run"] === true,
  };
}
