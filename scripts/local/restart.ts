/**
 * Restarting one part of a running proving ground on purpose (fault tests, users): stop its process (SIGTERM, SIGKILL
 * after a grace period), start it again exactly as `local:up` did — same command, flags, ports and state — wait for
 * its probe, and update env.json and the ledger. Processes are named as in env.json: etcd, kube-apiserver,
 * kube-controller-manager, azure-local and, with the worker node, containerd, service-proxy, kube-scheduler, kubelet.
 */
import { writeFileSync } from "node:fs";
import { readLedger, recordStart, writeLedger } from "./ledger.ts";
import { launch, stopProcess, type ProcessRecord } from "./processes.ts";
import type { LocalEnvironment } from "./env.ts";

/** Names of the ground's processes `local:restart` accepts. */
export const GROUND_PROCESSES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "azure-local",
  "containerd",
  "service-proxy",
  "kube-scheduler",
  "kubelet",
] as const;
/** A restartable process of the ground. */
export type GroundPartName = (typeof GROUND_PROCESSES)[number];

/** Short names people use for the ground's processes (the vault and the identity endpoint are one process). */
export const PART_ALIASES: Readonly<Record<string, GroundPartName>> = {
  vault: "azure-local",
  identity: "azure-local",
  apiserver: "kube-apiserver",
  "controller-manager": "kube-controller-manager",
  scheduler: "kube-scheduler",
};

/** The process a name or alias means (pure), or undefined. */
export function groundPartNamed(name: string): GroundPartName | undefined {
  return (GROUND_PROCESSES as readonly string[]).includes(name)
    ? (name as GroundPartName)
    : PART_ALIASES[name];
}

function recordOf(env: LocalEnvironment, part: GroundPartName): ProcessRecord {
  const record = env.processes.find((p) => p.name === part);
  if (!record) {
    const running = env.processes.map((p) => p.name).join(", ");
    throw new Error(`this proving ground runs no ${part} (it runs: ${running})`);
  }
  return record;
}

/** Stops one process of the ground (the env keeps its record, so {@link startPart} can bring it back). */
export async function stopPart(env: LocalEnvironment, part: GroundPartName): Promise<void> {
  await stopProcess(recordOf(env, part).pid);
}

/** Starts one stopped process again as it was started; returns the updated description (also written to disk). */
export async function startPart(env: LocalEnvironment, part: GroundPartName): Promise<LocalEnvironment> {
  const { pid: _old, ...spec } = recordOf(env, part);
  const record = await launch(spec, (r) =>
    writeLedger(env.stateDir, recordStart(readLedger(env.stateDir), r)),
  );
  const updated: LocalEnvironment = { ...env, processes: recordStart(env.processes, record) };
  writeFileSync(env.envFile, JSON.stringify(updated, null, 2));
  return updated;
}

/** {@link stopPart} then {@link startPart}. */
export async function restartPart(env: LocalEnvironment, part: GroundPartName): Promise<LocalEnvironment> {
  await stopPart(env, part);
  return startPart(env, part);
}
