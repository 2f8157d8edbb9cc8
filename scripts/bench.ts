/**
 * `npm run bench` — prints one JSON object (stdout; progress on stderr):
 *   secretSyncs, distinctObjects              the fleet-like set: 50 objects shared by 500 SecretSyncs (3 items each)
 *   vaultRequestsPerSteadyRefresh            vault-side requests (counting proxy) for one refresh with nothing changed
 *   vaultRequestsOneGetPerItem               vault-side requests of one GET per item per SecretSync on the same set
 *   k8sWritesPerNoopRefresh                  Secret applies + status writes during that refresh
 *   rotationLatencyMs {p50, p99}             new version in the vault → Secret updated (poll 2 s, jitter 1 s)
 *   scale {secretSyncs, rssMiB, cpuMsPerSync} the runtime as its own process serving 10,000 SecretSyncs
 */
import { setTimeout as sleep } from "node:timers/promises";
import { openAzure } from "../test/support/azure.ts";
import { KubeHelper, objectsParameter, waitFor } from "../test/support/kube.ts";
import { startRuntime } from "../test/support/runtime.ts";
import { measureScale } from "./bench/scale.ts";
import { startProvingGround } from "./local/ground.ts";
import { installCrds } from "../sync-runtime/crds/index.ts";
import { KubeClient } from "../sync-runtime/kube/client.ts";
import { createTokenSource } from "../sync-runtime/identity.ts";
import { OneGetPerItemFetcher } from "../test/support/one-get-per-item-fetcher.ts";
import type { ObjectRequest } from "../sync-runtime/vault/types.ts";
import { createVaultLayer } from "../sync-runtime/vault/index.ts";
import { readFileSync } from "node:fs";

const log = (m: string) => process.stderr.write(`[bench +${(performance.now() / 1000).toFixed(0)}s] ${m}\n`);
const FLEET_SYNCS = Number(process.env.KEYFLEET_BENCH_SYNCS ?? 500);
const DISTINCT = 50;
const ITEMS = 3;
const SCALE_SYNCS = Number(process.env.KEYFLEET_BENCH_SCALE ?? 10_000);
const ROTATIONS = 20;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

const ground = await startProvingGround();
const env = ground.env;
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const cleanups: Array<() => Promise<void>> = [];
let exit = 1;
try {
  await installCrds(kube.client);
  const azure = await openAzure(env);
  const proxy = await azure.startProxy();
  cleanups.push(() => proxy.stop());
  const tag = Date.now().toString(36);
  const objects = Array.from({ length: DISTINCT }, (_, i) => `bench-${tag}-${i}`);
  log(`seeding ${DISTINCT} secrets`);
  await inBatches(objects, 10, (o) => azure.setSecret(o, `value-${crypto.randomUUID()}`));

  // ---- fleet set: 500 SecretSyncs sharing 50 objects --------------------------------------------------------
  const ns = await kube.namespace("bench-fleet", ["app-sa"]);
  cleanups.push(() => kube.deleteNamespace(ns));
  const clientId = await azure.registerWorkload(ns, "app-sa");
  const spcParams = {
    keyvaultName: env.vault.vaultName,
    tenantID: env.identity.tenantId,
    clientID: clientId,
    objects: objectsParameter(objects.map((objectName) => ({ objectName }))),
  };
  await kube.applySpc(ns, "shared", spcParams);
  const rt = await startRuntime({
    env,
    kubeConfig: kube.kubeConfig,
    namespaces: [ns],
    vaultUrl: proxy.url,
    rotationPollIntervalSeconds: 10,
    jitterSeconds: 2,
    logLevel: "warn",
    concurrency: 16,
  });
  cleanups.unshift(() => rt.stop());
  const itemsOf = (i: number) =>
    Array.from({ length: ITEMS }, (_, k) => ({
      sourcePath: objects[(i + k * 7) % DISTINCT]!,
      targetKey: `k${k}`,
    }));
  log(`creating ${FLEET_SYNCS} SecretSyncs`);
  await inBatches(
    Array.from({ length: FLEET_SYNCS }, (_, i) => i),
    25,
    (i) =>
      kube.applySecretSync(ns, `s${i}`, {
        serviceAccountName: "app-sa",
        secretProviderClassName: "shared",
        secretObject: { data: itemsOf(i) },
      }),
  );
  await waitFor(
    "initial sync",
    async () => ((await rt.runtime.metrics.total("total_sync_k8s_secret")) >= FLEET_SYNCS ? true : undefined),
    300_000,
    500,
  );
  log("initial sync done; measuring one steady refresh");
  await sleep(1000);
  const writes = async () =>
    (await rt.runtime.metrics.total("keyfleet_secret_writes_total")) +
    (await rt.runtime.metrics.total("keyfleet_status_writes_total"));
  const w0 = await writes();
  const r0 = await rt.runtime.metrics.total("total_rotation_reconcile");
  proxy.reset();
  await waitFor(
    "one full refresh",
    async () =>
      (await rt.runtime.metrics.total("total_rotation_reconcile")) >= r0 + FLEET_SYNCS ? true : undefined,
    120_000,
    200,
  );
  const refreshRequests = proxy.total();
  const reconciles = (await rt.runtime.metrics.total("total_rotation_reconcile")) - r0;
  const k8sWrites = (await writes()) - w0;
  const vaultRequestsPerSteadyRefresh = Math.round((refreshRequests * FLEET_SYNCS) / reconciles);
  log(
    `steady refresh: ${refreshRequests} vault requests over ${reconciles} reconciles, ${k8sWrites} k8s writes`,
  );

  // The upstream behaviour on the same set, counted at the same proxy: one GET per item per SecretSync.
  const kubeClient = new KubeClient(kube.kubeConfig, "bench");
  const upstream = new OneGetPerItemFetcher(
    createVaultLayer({
      tokenSource: createTokenSource(kubeClient),
      vaultUrls: { [env.vault.vaultName]: proxy.url },
      authorityHost: env.identity.authorityHost,
      caBundlePem: readFileSync(env.vault.caFile, "utf8"),
      vaultRequestsPer10s: 100_000,
    }).provider,
  );
  const identity = { namespace: ns, serviceAccountName: "app-sa", tenantId: env.identity.tenantId, clientId };
  const upstreamRequests: ObjectRequest[] = Array.from({ length: FLEET_SYNCS }, (_, i) => itemsOf(i))
    .flat()
    .map((item) => ({
      vaultName: env.vault.vaultName,
      objectName: item.sourcePath,
      objectType: "secret",
      identity,
    }));
  await upstream.fetch(upstreamRequests.slice(0, 1)); // warm the credential (auth challenge)
  proxy.reset();
  for (let i = 0; i < upstreamRequests.length; i += 100)
    await upstream.fetch(upstreamRequests.slice(i, i + 100));
  const vaultRequestsOneGetPerItem = proxy.counts().getSecret ?? proxy.total();
  log(`one GET per item: ${vaultRequestsOneGetPerItem} vault requests`);
  await rt.stop();
  cleanups.shift();

  // ---- rotation latency ---------------------------------------------------------------------------------------
  const nsRot = await kube.namespace("bench-rot", ["app-sa"]);
  cleanups.push(() => kube.deleteNamespace(nsRot));
  const rotClient = await azure.registerWorkload(nsRot, "app-sa");
  const rotObjects = objects.slice(0, 10);
  await kube.applySpc(nsRot, "rot", {
    ...spcParams,
    clientID: rotClient,
    objects: objectsParameter(rotObjects.map((objectName) => ({ objectName }))),
  });
  const rot = await startRuntime({
    env,
    kubeConfig: kube.kubeConfig,
    namespaces: [nsRot],
    vaultUrl: proxy.url,
    rotationPollIntervalSeconds: 2,
    jitterSeconds: 1,
    logLevel: "warn",
  });
  cleanups.unshift(() => rot.stop());
  for (const [i, o] of rotObjects.entries()) {
    await kube.applySecretSync(nsRot, `r${i}`, {
      serviceAccountName: "app-sa",
      secretProviderClassName: "rot",
      secretObject: { data: [{ sourcePath: o, targetKey: "v" }] },
    });
  }
  await waitFor(
    "rotation set synced",
    async () =>
      (await rot.runtime.metrics.total("total_sync_k8s_secret")) >= rotObjects.length ? true : undefined,
    60_000,
  );
  log(`measuring ${ROTATIONS} rotations (poll 2 s, jitter 1 s)`);
  const latencies: number[] = [];
  for (let n = 0; n < ROTATIONS; n++) {
    const i = n % rotObjects.length;
    const value = `rotated-${crypto.randomUUID()}`;
    await azure.setSecret(rotObjects[i]!, value);
    const t0 = performance.now();
    await waitFor(
      "rotation",
      async () => ((await kube.secretValues(nsRot, `r${i}`))?.v === value ? true : undefined),
      30_000,
      25,
    );
    latencies.push(Math.round(performance.now() - t0));
  }
  await rot.stop();
  cleanups.shift();

  // ---- scale: the runtime as its own process at 10,000 SecretSyncs -------------------------------------------
  log(`scale: ${SCALE_SYNCS} SecretSyncs served by a separate runtime process`);
  const scale = await measureScale({
    env,
    kube,
    azure,
    proxyUrl: proxy.url,
    objects,
    secretSyncs: SCALE_SYNCS,
    log,
  });
  cleanups.push(scale.cleanup);

  const result = {
    secretSyncs: FLEET_SYNCS,
    distinctObjects: DISTINCT,
    itemsPerSecretSync: ITEMS,
    vaultRequestsPerSteadyRefresh,
    vaultRequestsOneGetPerItem,
    vaultRequestReduction: Number(
      (vaultRequestsOneGetPerItem / Math.max(1, vaultRequestsPerSteadyRefresh)).toFixed(1),
    ),
    k8sWritesPerNoopRefresh: k8sWrites,
    rotationLatencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      samples: latencies.length,
      pollSeconds: 2,
      jitterSeconds: 1,
    },
    rssMiB: scale.rssMiB,
    cpuMsPerSync: scale.cpuMsPerSync,
    scale: scale.details,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  exit = 0;
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
} finally {
  for (const c of cleanups) await c().catch(() => {});
  await ground.stop();
}
process.exit(exit);
