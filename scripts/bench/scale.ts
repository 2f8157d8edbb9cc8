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
import type { DemoAzure } from "../demo/azure.ts";
import type { KubeHelper } from "../demo/kube.ts";
import { objectsParameter, waitFor } from "../demo/kube.ts";
import type { LocalEnvironment } from "../local/env.ts";
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
  /** V8 old-space bound of the runtime process, MiB. Default 128. */
  maxOldSpaceMiB?: number;
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

/** Creates N SecretSyncs, runs the runtime process until all are synced, and measures it. */
export async function measureScale(input: ScaleInput): Promise<{
  rssMiB: number;
  cpuMsPerSync: number;
  details: Record<string, number>;
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
  const port = await freePort();
  // Exactly what the Deployment runs: the esbuild bundle of sync-runtime/main.ts.
  const main = path.join(dir, "sync-runtime.mjs");
  writeFileSync(main, buildRuntimeBundle());
  // The heap bound a 256 MiB container limit implies (Node sizes its heap from the cgroup limit in a pod; this
  // machine has far more memory, so the bound is given explicitly to measure what the Deployment would see).
  const heapFlags = [`--max-old-space-size=${input.maxOldSpaceMiB ?? 128}`, "--max-semi-space-size=2"];
  const child = spawn(
    process.execPath,
    [
      ...heapFlags,
      main,
      "run",
      "--kubeconfig",
      env.kubernetes.adminKubeconfig,
      "--namespaces",
      ns,
      "--rotation-poll-interval",
      "600",
      "--leader-election",
      "false",
      "--health-port=-1",
      "--metrics-port",
      String(port),
      "--vault-urls",
      `${env.vault.vaultName}=${input.proxyUrl}`,
      "--authority-host",
      env.identity.authorityHost,
      "--ca-file",
      caFile,
      "--concurrency",
      "16",
      "--vault-requests-per-10s",
      "2000",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const cleanup = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    // Remove the 10,000 Secrets directly (the test harness may; the runtime never deletes Secrets) so the
    // namespace deletion does not leave the garbage collector a backlog of dependents to chase.
    await kube.core.deleteCollectionNamespacedSecret({ namespace: ns }).catch(() => {});
    await kube.deleteNamespace(ns);
  };
  try {
    await waitFor(
      "runtime process metrics",
      async () => ((await fetch(`http://127.0.0.1:${port}/metrics`)).ok ? true : undefined),
      30_000,
      200,
    );
    await sleep(2000);
    const idle = processUsage(child.pid!);
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
    await waitFor(
      "all synced",
      async () => {
        const synced = await metric(port, "total_sync_k8s_secret");
        return synced >= input.secretSyncs ? synced : undefined;
      },
      900_000,
      2000,
    );
    const syncedAfterMs = Math.round(performance.now() - startedAt);
    await sleep(3000);
    const usage = processUsage(child.pid!);
    const heapUsedMiB = Math.round((await metric(port, "nodejs_heap_size_used_bytes")) / 1048576);
    const externalMiB = Math.round((await metric(port, "nodejs_external_memory_bytes")) / 1048576);
    log(
      `scale: ${input.secretSyncs} synced in ${syncedAfterMs} ms; RSS ${usage.rssMiB} MiB (heap ${heapUsedMiB}, external ${externalMiB}); CPU ${usage.cpuMs} ms`,
    );
    return {
      rssMiB: usage.rssMiB,
      cpuMsPerSync: Math.round((usage.cpuMs / input.secretSyncs) * 100) / 100,
      details: {
        secretSyncs: input.secretSyncs,
        allSyncedAfterMs: syncedAfterMs,
        processCpuMs: usage.cpuMs,
        idleRssMiB: idle.rssMiB,
        heapUsedMiB,
        externalMiB,
        maxOldSpaceMiB: input.maxOldSpaceMiB ?? 128,
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
