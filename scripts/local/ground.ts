/**
 * The proving ground: real servers started by the project, on this machine only — etcd, kube-apiserver,
 * kube-controller-manager, the local vault + identity endpoint, and (by default) a worker node so pods run. Each is a
 * part (parts/*.ts) with the same shape; this module starts them in order, records every process in the ledger as it
 * starts, writes the description (env.json) and stops everything again — also after Ctrl-C or a crash.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureBuilt, type Located } from "./build-cache.ts";
import { kubeBuild } from "./parts/kube-build.ts";
import { LOCAL_ENV_VERSION, localEnvPath, type LocalEnvironment } from "./env.ts";
import { readLedger, recordStart, stopLeftovers, writeLedger } from "./ledger.ts";
import { DEFAULT_STATE_DIR } from "./paths.ts";
import { createPki } from "./pki.ts";
import { httpsGet, isAlive, launch, stopProcess, type ProcessRecord, type ProcessSpec } from "./processes.ts";
import { Progress } from "./progress.ts";
import { AZURE_LOCAL_STATE, azureLocalPart } from "./parts/azure-local.ts";
import { etcdPart } from "./parts/etcd.ts";
import { apiserverPart } from "./parts/kube-apiserver.ts";
import { controllerManagerPart } from "./parts/kube-controller-manager.ts";
import { claimNodeNetwork, nodePart } from "./parts/node/index.ts";
import { groundNetwork } from "./parts/node/network.ts";
import { pulumiPart } from "./parts/pulumi.ts";
import type { GroundContext, GroundPart } from "./parts/part.ts";

/** A running ground and how to stop it. */
export interface ProvingGround {
  env: LocalEnvironment;
  /** True when this call started it (false when an already running ground was reused). */
  startedHere: boolean;
  /** Stops what this call started; a no-op for a reused ground. */
  stop(): Promise<void>;
}

/** Options of {@link startProvingGround}. */
export interface StartOptions {
  /** Reuse a live ground described by the env file. Default true. */
  reuse?: boolean;
  /** State directory. Default `<repo>/.keyfleet/local`. */
  stateDir?: string;
  /**
   * Where to write the description. Default: `KEYFLEET_LOCAL_ENV` / `<repo>/.keyfleet/local/env.json` for the
   * default state directory, `<stateDir>/env.json` for any other (so a private ground never replaces the shared one).
   */
  envFile?: string;
  /**
   * Run the worker node. Default: on for the default state directory unless `KEYFLEET_LOCAL_NODE=0`; off for a
   * private ground unless asked (it needs root and costs a few seconds of image import).
   */
  node?: boolean;
  /**
   * Provide the Pulumi engine. Default: on for the default state directory unless `KEYFLEET_LOCAL_PULUMI=0`; off for
   * a private ground.
   */
  pulumi?: boolean;
  /** Progress reporter. Default prints to stderr with label `local:up`. */
  progress?: Progress;
}

type AnyPart = GroundPart<Partial<LocalEnvironment>>;

/** Every part in start order (stopped in reverse). */
export const ALL_PARTS: readonly AnyPart[] = [
  etcdPart,
  apiserverPart,
  controllerManagerPart,
  azureLocalPart,
  nodePart,
  pulumiPart,
] as AnyPart[];

/** Pure: the parts a ground runs. */
export function partsFor(options: { node: boolean; pulumi: boolean }): AnyPart[] {
  return ALL_PARTS.filter(
    (p) => (p.name !== "node" || options.node) && (p.name !== "pulumi" || options.pulumi),
  );
}

/** Returns the env of a live ground, or undefined when none answers. */
export async function findRunningGround(file = localEnvPath()): Promise<LocalEnvironment | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const env = JSON.parse(readFileSync(file, "utf8")) as LocalEnvironment;
    if (env.version !== LOCAL_ENV_VERSION || !env.processes.every((p) => isAlive(p.pid))) return undefined;
    const kc = JSON.parse(readFileSync(env.kubernetes.adminKubeconfig, "utf8")) as {
      users: Array<{ user: { "client-certificate": string; "client-key": string } }>;
    };
    const user = kc.users[0]!.user;
    const res = await httpsGet(`${env.kubernetes.apiServerUrl}/readyz`, {
      ca: readFileSync(env.kubernetes.caFile),
      cert: readFileSync(user["client-certificate"]),
      key: readFileSync(user["client-key"]),
    });
    return res.status === 200 ? env : undefined;
  } catch {
    return undefined;
  }
}

/** Empties the state directory for a new ground, keeping the vault stand-in's durable state. */
function resetStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  for (const entry of readdirSync(stateDir))
    if (entry !== AZURE_LOCAL_STATE) rmSync(path.join(stateDir, entry), { recursive: true, force: true });
  for (const sub of ["logs", "etcd", "kube"]) mkdirSync(path.join(stateDir, sub), { recursive: true });
}

/** Runs every part's cleanup (after all processes stopped). */
async function cleanupParts(stateDir: string, progress: Progress): Promise<void> {
  for (const part of [...ALL_PARTS].reverse()) await part.cleanup?.(stateDir, progress);
}

/** Starts (or reuses) the proving ground. Cleans up everything it started if any step fails or on Ctrl-C. */
export async function startProvingGround(options: StartOptions = {}): Promise<ProvingGround> {
  const progress = options.progress ?? new Progress("local:up");
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const envFile = options.envFile ?? (options.stateDir ? path.join(stateDir, "env.json") : localEnvPath());
  const withNode = options.node ?? (!options.stateDir && process.env.KEYFLEET_LOCAL_NODE !== "0");
  const withPulumi = options.pulumi ?? (!options.stateDir && process.env.KEYFLEET_LOCAL_PULUMI !== "0");
  if (options.reuse !== false) {
    const running = await findRunningGround(envFile);
    if (running) {
      progress.log(`reusing the running proving ground (${running.kubernetes.apiServerUrl})`);
      return { env: running, startedHere: false, stop: async () => {} };
    }
  }
  const parts = partsFor({ node: withNode, pulumi: withPulumi });
  await ensureBuilt(kubeBuild([...new Set(parts.flatMap((p) => p.kubeCommands ?? []))], true), progress);
  const binaries = new Map<string, Located>();
  for (const part of parts) {
    const located = await part.locate(progress);
    binaries.set(part.name, located);
  }
  const leftovers = await stopLeftovers(stateDir, envFile);
  if (leftovers > 0)
    progress.log(`stopped ${leftovers} process(es) left over from an earlier ground in ${stateDir}`);
  await cleanupParts(stateDir, progress);
  resetStateDir(stateDir);
  const network = withNode ? await claimNodeNetwork(stateDir, progress) : groundNetwork(0);

  let started: ProcessRecord[] = [];
  const stopAll = async () => {
    // The ledger, not `started`: a part restarted since (local:restart, the fault suite) runs under a new pid.
    for (const p of [...readLedger(stateDir)].reverse()) await stopProcess(p.pid);
    for (const p of [...started].reverse()) await stopProcess(p.pid);
    await cleanupParts(stateDir, progress);
    rmSync(envFile, { force: true });
  };
  const onSignal = () => {
    progress.log("interrupted: stopping what was started");
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const ctx: GroundContext = {
      stateDir,
      progress,
      pki: createPki(stateDir, network),
      network,
      env: {},
      launch: async (spec: ProcessSpec) => {
        // Recorded before the probe passes, so a start that hangs is still stopped by the next `local:down`.
        const record = await launch(spec, (r) => {
          started = recordStart(started, r);
          writeLedger(stateDir, started);
        });
        return record;
      },
    };
    for (const part of parts) Object.assign(ctx.env, await part.start(ctx, binaries.get(part.name)!));
    const env = {
      ...ctx.env,
      version: LOCAL_ENV_VERSION,
      stateDir,
      envFile,
      processes: started,
      startedAt: new Date().toISOString(),
    } as LocalEnvironment;
    mkdirSync(path.dirname(envFile), { recursive: true });
    writeFileSync(envFile, JSON.stringify(env, null, 2));
    progress.log(
      `proving ground up: ${env.kubernetes.apiServerUrl}, vault ${env.vault.url}` +
        `${env.node ? `, node ${env.node.name}` : ""}; described in ${envFile}`,
    );
    return { env, startedHere: true, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

/**
 * Stops the ground described by the env file (started by another process, e.g. `local:up`), any process the state
 * directory's ledger still lists, and what the parts leave on the host. Returns how many processes were stopped.
 */
export async function stopProvingGround(
  file = localEnvPath(),
  stateDir?: string,
  progress = new Progress("local:down"),
): Promise<number> {
  let dir = stateDir ?? DEFAULT_STATE_DIR;
  let stopped = 0;
  if (existsSync(file)) {
    const env = JSON.parse(readFileSync(file, "utf8")) as Partial<LocalEnvironment>;
    dir = stateDir ?? env.stateDir ?? dir;
    for (const p of [...(env.processes ?? [])].reverse()) {
      if (isAlive(p.pid)) stopped += 1;
      await stopProcess(p.pid);
    }
    rmSync(file, { force: true });
  }
  stopped += await stopLeftovers(dir, file);
  await cleanupParts(dir, progress);
  return stopped;
}
