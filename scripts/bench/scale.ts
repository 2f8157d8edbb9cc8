/**
 * The scale part of `npm run bench`: the runtime runs as its own process (the esbuild bundle of
 * sync-runtime/main.ts, exactly what the Deployment runs) serving N SecretSyncs; RSS and CPU are read from /proc
 * for that process only.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DemoAzure } from "../../test/support/azure.ts";
import type { KubeHelper } from "../../test/support/kube.ts";
import { objectsParameter, waitFor } from "../../test/support/kube.ts";
import type { LocalEnvironment } from "../local/env.ts";
import { RUNTIME_NODE_FLAGS, RUNTIME_NODE_OPTIONS } from "../../components/sync-runtime/workload.ts";
import { buildRuntimeBundle } from "../../stacks/runtime-inputs.ts";

/** Inputs of {@link measureScale}. */
export interface ScaleInput {
  env: LocalEnvironment;
  kube: KubeHelper;
  azure: DemoAzure;
  proxyUrl: string;
  objects: string[];
  secretSyncs: number;
  log: (message: string) => void;
  /** Node/V8 flags of the runtime process. Default: the Deployment's (NODE_OPTIONS + command-line flags). */
  nodeFlags?: readonly string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** RSS (MiB) and CPU time (ms) of a process, from /proc. */
export function processUsage(pid: number): { rssMiB: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rssMiB: Math.round((rssKb / 1024) * 10) / 10, cpuMs: Math.round((ticks * 1000) / 100) };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

/** The flags the Deployment starts Node with: NODE_OPTIONS heap bounds + command-line V8 flags. */
export const DEPLOYMENT_NODE_FLAGS: readonly string[] = [
  ...RUNTIME_NODE_OPTIONS.split(" "),
  ...RUNTIME_NODE_FLAGS,
];

/** One runtime process of the bench: the bundle, as the Deployment runs it, serving one namespace. */
interface RuntimeProcess {
  pid: number;
  metricsPort: number;
  stop(): Promise<void>;
}

async function startRuntimeProcess(
  input: ScaleInput,
  files: { main: string; caFile: string },
  namespace: string,
  nodeFlags: readonly string[],
): Promise<RuntimeProcess> {
  const { env } = input;
  const metricsPort = await freePort();
  const args = [
    ...nodeFlags,
    files.main,
    "run",
    ...["--kubeconfig", env.kubernetes.adminKubeconfig, "--namespaces", namespace],
    ...["--rotation-poll-interval", "600", "--leader-election", "false", "--health-port=-1"],
    ...["--metrics-port", String(metricsPort), "--vault-urls", `${env.vault.vaultName}=${input.proxyUrl}`],
    ...["--authority-host", env.identity.authorityHost, "--ca-file", files.caFile],
    ...["--concurrency", "16", "--vault-requests-per-10s", "2000", "--log-level", "warn"],
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  };
  try {
    await waitFor(
      "runtime process metrics",
      async () => ((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok ? true : undefined),
      30_000,
      200,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, metricsPort, stop };
}

/** Waits until a runtime process has reconciled `count` SecretSyncs (first syncs + polls). */
async function waitReconciled(runtime: RuntimeProcess, count: number): Promise<void> {
  await waitFor(
    `${count} SecretSyncs reconciled`,
    async () => {
      const done =
        (await metric(runtime.metricsPort, "total_sync_k8s_secret")) +
        (await metric(runtime.metricsPort, "total_rotation_reconcile"));
      return done >= count ? done : undefined;
    },
    900_000,
    1000,
  );
}

/**
 * Creates N SecretSyncs, runs the runtime process (with the Deployment's Node flags) until all are synced, and
 * measures it. Then, as a comparison in the same run, restarts the runtime over the N synced SecretSyncs: once to
 * settle their statuses, then with plain heap bounds only (no `--lite-mode`) and with the Deployment's flags.
 */
export async function measureScale(input: ScaleInput): Promise<{
  rssMiB: number;
  cpuMsPerSync: number;
  details: Record<string, number | string>;
  cleanup: () => Promise<void>;
}> {
  const { env, kube, azure, log } = input;
  const ns = await kube.namespace("bench-scale", ["app-sa"]);
  const clientId = await azure.registerWorkload(ns, "app-sa");
  await kube.applySpc(ns, "shared", {
    keyvaultName: env.vault.vaultName,
    tenantID: env.identity.tenantId,
    clientID: clientId,
    objects: objectsParameter(input.objects.map((objectName) => ({ objectName }))),
  });
  await kube.ensureNamespace("keyfleet-system");
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-bench-"));
  const caFile = path.join(dir, "ca.pem");
  writeFileSync(
    caFile,
    [...new Set([env.vault.caFile, env.identity.caFile])].map((f) => readFileSync(f, "utf8")).join("\n"),
  );
  // Exactly what the Deployment runs: the esbuild bundle of sync-runtime/main.ts, with the Deployment's flags.
  const files = { main: path.join(dir, "sync-runtime.mjs"), caFile };
  writeFileSync(files.main, buildRuntimeBundle());
  const nodeFlags = input.nodeFlags ?? DEPLOYMENT_NODE_FLAGS;
  let runtime: RuntimeProcess | undefined;
  const cleanup = async () => {
    await runtime?.stop();
    // Remove the 10,000 Secrets directly (the test harness may; the runtime never deletes Secrets) so the
    // namespace deletion does not leave the garbage collector a backlog of dependents to chase.
    await kube.core.deleteCollectionNamespacedSecret({ namespace: ns }).catch(() => {});
    await kube.deleteNamespace(ns);
  };
  try {
    runtime = await startRuntimeProcess(input, files, ns, nodeFlags);
    await sleep(2000);
    const idle = processUsage(runtime.pid);
    const startedAt = performance.now();
    log(`creating ${input.secretSyncs} SecretSyncs`);
    const indexes = Array.from({ length: input.secretSyncs }, (_, i) => i);
    for (let i = 0; i < indexes.length; i += 50) {
      await Promise.all(
        indexes.slice(i, i + 50).map((n) =>
          kube.applySecretSync(ns, `s${n}`, {
            serviceAccountName: "app-sa",
            secretProviderClassName: "shared",
            secretObject: {
              data: [{ sourcePath: input.objects[n % input.objects.length]!, targetKey: "value" }],
            },
          }),
        ),
      );
      if (i % 2000 === 0) log(`  ${i} created`);
    }
    await waitReconciled(runtime, input.secretSyncs);
    const syncedAfterMs = Math.round(performance.now() - startedAt);
    await sleep(3000);
    const usage = processUsage(runtime.pid);
    const heapUsedMiB = Math.round(
      (await metric(runtime.metricsPort, "nodejs_heap_size_used_bytes")) / 1048576,
    );
    const externalMiB = Math.round(
      (await metric(runtime.metricsPort, "nodejs_external_memory_bytes")) / 1048576,
    );
    log(
      `scale: ${input.secretSyncs} synced in ${syncedAfterMs} ms; RSS ${usage.rssMiB} MiB (heap ${heapUsedMiB}, external ${externalMiB}); CPU ${usage.cpuMs} ms`,
    );
    await runtime.stop();
    runtime = undefined;

    // The comparison: a restart over the synced set (list everything, check every SecretSync, write nothing).
    const restart = async (flags: readonly string[]) => {
      const restarted = await startRuntimeProcess(input, files, ns, flags);
      try {
        await waitReconciled(restarted, input.secretSyncs);
        await sleep(3000);
        return processUsage(restarted.pid);
      } finally {
        await restarted.stop();
      }
    };
    const heapOnly = nodeFlags.filter((f) => !RUNTIME_NODE_FLAGS.includes(f));
    // The first restart rewrites every status (the reason moves from CreateSucceeded to UpdateNoValueChange...),
    // so it settles the set unmeasured; the two measured restarts then do the same work: read, check, write nothing.
    log("restart over the synced set: settling pass");
    await restart(nodeFlags);
    const restartHeapOnly = await restart(heapOnly);
    const restartDeployment = await restart(nodeFlags);
    log(
      `restart over ${input.secretSyncs}: RSS ${restartDeployment.rssMiB} MiB (${nodeFlags.join(" ")}) vs ` +
        `${restartHeapOnly.rssMiB} MiB (${heapOnly.join(" ")})`,
    );
    return {
      rssMiB: usage.rssMiB,
      cpuMsPerSync: Math.round((usage.cpuMs / input.secretSyncs) * 100) / 100,
      details: {
        secretSyncs: input.secretSyncs,
        nodeFlags: nodeFlags.join(" "),
        allSyncedAfterMs: syncedAfterMs,
        processCpuMs: usage.cpuMs,
        idleRssMiB: idle.rssMiB,
        heapUsedMiB,
        externalMiB,
        restartRssMiB: restartDeployment.rssMiB,
        restartCpuMs: restartDeployment.cpuMs,
        restartRssMiBWithoutV8Flags: restartHeapOnly.rssMiB,
        restartCpuMsWithoutV8Flags: restartHeapOnly.cpuMs,
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
