/**
 * `keyfleet rollout --stack <s>`: what the merge-to-main pipeline calls per environment. It previews the update
 * with the pack, judges its burst (rollout/plan.ts) and applies it: one `pulumi up` when every vault absorbs it;
 * otherwise one `pulumi up --target …` per wave, at least the wave interval apart, each after the previous wave's
 * SecretSyncs and AKVSyncs are Ready (read back through Pulumi itself: a targeted `pulumi refresh`, then their
 * status from `pulumi stack export`, so the gate needs no credentials the engine does not already have), then a
 * final whole-stack `pulumi up` that converges anything left.
 */
import path from "node:path";
import { clusterOf } from "../fleet/graph.ts";
import { ResourceType } from "../lib/constants.ts";
import type { CommandIo } from "../planner/cli.ts";
import { graphAfter, isChange, type ChangeSet } from "../rollout/changeset.ts";
import { rolloutPlan, type TargetedWave } from "../rollout/plan.ts";
import { ROLLOUT_USAGE, parseRolloutArgs } from "./args.ts";
import { packPolicies, usageFailure, type GitopsDeps } from "./pr-check.ts";
import { judgeSettings, packConfigFile, previewStack } from "./preview.ts";
import { commandRunner, PulumiRunError, type PulumiRunner } from "./runner.ts";
import { counted } from "../../common/text.ts";

/** Clock and sleep of {@link runRollout} (injected so tests do not wait). */
export interface RolloutDeps extends GitopsDeps {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A wave's SecretSyncs did not become Ready in time. */
export class WaveNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WaveNotReadyError";
  }
}

/** Seconds between two looks at a wave's SecretSyncs. */
const READY_POLL_SECONDS = 5;
const SYNC_TYPES: readonly string[] = [ResourceType.secretSync, ResourceType.akvSync];

/**
 * What the gate waits for: every SecretSync and AKVSync on the wave's whole clusters after the update, and for a
 * cluster split by read, the ones this wave applies (the cluster's later parts do not exist yet).
 */
export function syncsOfWave(changes: ChangeSet, wave: TargetedWave): string[] {
  const whole = new Set(wave.units.filter((u) => !u.read).map((u) => u.cluster));
  const targeted = new Set(wave.targets);
  return graphAfter(changes)
    .filter((r) => SYNC_TYPES.includes(r.type) && (whole.has(clusterOf(r)) || targeted.has(r.urn)))
    .map((r) => r.urn);
}

/** A resource's Ready state from its outputs: Ready=True for its current generation. */
export function isReady(outputs: unknown): boolean {
  const o = outputs as {
    metadata?: { generation?: number };
    status?: { conditions?: Array<{ type?: string; status?: string; observedGeneration?: number }> };
  };
  const ready = o?.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return false;
  const generation = o.metadata?.generation;
  return (
    ready.observedGeneration === undefined ||
    generation === undefined ||
    ready.observedGeneration >= generation
  );
}

/** URNs among `urns` that are not Ready in a `pulumi stack export` document. */
export function notReady(exportJson: string, urns: readonly string[]): string[] {
  const doc = JSON.parse(exportJson) as {
    deployment?: { resources?: Array<{ urn: string; outputs?: unknown }> };
  };
  const outputs = new Map((doc.deployment?.resources ?? []).map((r) => [r.urn, r.outputs]));
  return urns.filter((u) => !isReady(outputs.get(u)));
}

async function must(runner: PulumiRunner, args: string[], what: string): Promise<string> {
  const result = await runner.run(args);
  if (result.code !== 0) throw new PulumiRunError(what, result);
  return result.stdout;
}

/** Waits until every URN is Ready (refresh + export), or throws after `timeoutSeconds`. */
async function waitReady(
  runner: PulumiRunner,
  stack: string,
  urns: readonly string[],
  timeoutSeconds: number,
  clock: { sleep: (ms: number) => Promise<void>; now: () => number },
): Promise<void> {
  const deadline = clock.now() + timeoutSeconds * 1000;
  let waiting = [...urns];
  while (waiting.length > 0) {
    const targets = waiting.flatMap((u) => ["--target", u]);
    await must(
      runner,
      ["refresh", "--stack", stack, "--yes", "--skip-preview", "--non-interactive", ...targets],
      "pulumi refresh",
    );
    waiting = notReady(
      await must(runner, ["stack", "export", "--stack", stack], "pulumi stack export"),
      waiting,
    );
    if (waiting.length === 0) return;
    if (clock.now() >= deadline) {
      throw new WaveNotReadyError(
        `not Ready after ${timeoutSeconds} s: ${waiting.map((u) => u.split("::").pop()).join(", ")}`,
      );
    }
    await clock.sleep(READY_POLL_SECONDS * 1000);
  }
}

/** `keyfleet rollout` with injectable output, runner and clock. */
export async function runRollout(argv: string[], io: CommandIo, deps: RolloutDeps): Promise<number> {
  try {
    const args = parseRolloutArgs(argv);
    if (args.help) {
      io.out(ROLLOUT_USAGE);
      return 0;
    }
    const clock = {
      sleep: deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      now: deps.now ?? Date.now,
    };
    const runner = deps.runner ?? commandRunner(args.pulumi, { cwd: deps.cwd });
    const policies = await packPolicies(deps);
    const pack = {
      packDir: path.resolve(deps.cwd, args.packDir),
      configFile: args.packConfig ? path.resolve(deps.cwd, args.packConfig) : undefined,
    };
    const preview = await previewStack(runner, args.stack, pack, policies);
    const blocking = [
      ...preview.errors,
      ...preview.violations
        .filter((v) => v.enforcementLevel === "mandatory")
        .map((v) => `${v.policyName}: ${v.message}`),
    ];
    if (blocking.length > 0) {
      io.err(`keyfleet rollout: stack ${args.stack} cannot be updated:\n  ${blocking.join("\n  ")}\n`);
      return 1;
    }
    if (!preview.changes.resources.some((r) => isChange(r.op))) {
      io.out(`stack ${args.stack}: nothing to change\n`);
      return 0;
    }
    const plan = rolloutPlan(preview.changes, judgeSettings(pack, args.stack, policies));
    const config = packConfigFile(pack, args.stack);
    const up = [
      "up",
      "--stack",
      args.stack,
      "--yes",
      "--skip-preview",
      "--non-interactive",
      "--policy-pack",
      pack.packDir,
      ...(config ? ["--policy-pack-config", config] : []),
    ];
    io.out(
      plan.safe
        ? `stack ${args.stack}: the vaults absorb the update's burst; one pulumi up\n`
        : `stack ${args.stack}: ${plan.waves.length} waves, ≥ ${plan.waveIntervalSeconds} s apart, each after the previous wave's SecretSyncs are Ready\n`,
    );
    if (args.dryRun) {
      for (const w of plan.waves)
        io.out(`  wave ${w.wave}: ${w.clusters.join(", ")} (${w.targets.length} targets)\n`);
      return 0;
    }
    let lastStart = -Infinity;
    for (const wave of plan.waves) {
      const wait = lastStart + plan.waveIntervalSeconds * 1000 - clock.now();
      if (wait > 0) await clock.sleep(wait);
      lastStart = clock.now();
      io.out(`wave ${wave.wave}/${plan.waves.length}: ${wave.clusters.join(", ")}\n`);
      await must(
        runner,
        [...up, ...wave.targets.flatMap((t) => ["--target", t])],
        `pulumi up of wave ${wave.wave}`,
      );
      const syncs = syncsOfWave(preview.changes, wave);
      await waitReady(runner, args.stack, syncs, args.readyTimeoutSeconds, clock);
      io.out(
        `wave ${wave.wave}/${plan.waves.length}: ${counted(syncs.length, "SecretSync/AKVSync object")} Ready\n`,
      );
    }
    await must(runner, up, plan.safe ? "pulumi up" : "the final pulumi up");
    io.out(`stack ${args.stack}: updated\n`);
    return 0;
  } catch (error) {
    if (error instanceof PulumiRunError || error instanceof WaveNotReadyError) {
      io.err(`keyfleet rollout: ${error.message}\n`);
      return 1;
    }
    return usageFailure("rollout", ROLLOUT_USAGE, error, io);
  }
}
