/**
 * `npm run demo` — keyfleet's main job on the local proving ground, end to end:
 * brings up (or reuses) the proving ground, installs the CRDs, stores secrets and a certificate in the local
 * vault, registers the namespace's workload identity, applies a SecretProviderClass and SecretSyncs, runs the
 * sync runtime in-process with the controllers `keyfleet run` starts (SecretSync, AKVSync, restarts; real vault
 * layer behind the counting proxy), rotates a secret, and prints a timeline plus a `kubectl describe`-like table
 * (versions and keyed hashes — never values). Then it rotates two vault secrets behind a Reloader-annotated
 * Deployment and shows the runtime's restart controller rolling it exactly once. Exits 0 on success.
 */
import { createHash } from "node:crypto";
import { openAzure } from "../test/support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../test/support/kube.ts";
import { demoControllers, restartsDemo } from "./demo/restarts.ts";
import { startRuntime } from "../test/support/runtime.ts";
import { startProvingGround } from "./local/ground.ts";
import { Reason } from "../sync-runtime/constants.ts";
import { installCrds } from "../sync-runtime/crds/index.ts";

const started = Date.now();
const out = (line = "") => process.stdout.write(`${line}\n`);
const step = (what: string) => out(`  +${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${what}`);
/** Short fingerprint of a value for display: proves change without revealing anything usable. */
const fp = (value: string | undefined) =>
  value === undefined
    ? "-"
    : `sha256:${createHash("sha256").update(`keyfleet-demo:${value}`).digest("hex").slice(0, 12)}`;

const ground = await startProvingGround();
const cleanups: Array<() => Promise<void>> = [];
let exitCode = 1;
try {
  const env = ground.env;
  out("");
  out("keyfleet demo — Key Vault → Kubernetes Secrets on the local proving ground");
  out(
    `  kube-apiserver ${env.kubernetes.apiServerUrl}   vault ${env.vault.vaultName} (${env.vault.kind}) ${env.vault.url}`,
  );
  out("");
  out("timeline");
  const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
  await installCrds(kube.kubeConfig);
  step("installed CRDs: SecretSync, SecretProviderClass, AKVSync");
  const azure = await openAzure(env);
  const proxy = await azure.startProxy();
  cleanups.push(() => proxy.stop());
  const ns = await kube.namespace("demo", ["payments-sa"]);
  cleanups.push(() => kube.deleteNamespace(ns));
  const clientId = await azure.registerWorkload(ns, "payments-sa");
  step(
    `namespace ${ns}: ServiceAccount payments-sa federated with identity ${clientId} (Key Vault Secrets User)`,
  );
  const tag = Date.now().toString(36);
  const names = {
    db: `payments-db-password-${tag}`,
    api: `payments-api-key-${tag}`,
    tls: `payments-web-${tag}`,
  };
  const dbV1 = await azure.setSecret(names.db, `db-${crypto.randomUUID()}`);
  await azure.setSecret(names.api, `api-${crypto.randomUUID()}`);
  await azure.createCertificate(names.tls);
  step(`vault: stored ${names.db} (v ${dbV1.slice(0, 8)}), ${names.api}, certificate ${names.tls}`);

  const controllers = demoControllers();
  const rt = await startRuntime({
    env,
    kubeConfig: kube.kubeConfig,
    namespaces: [ns],
    vaultUrl: proxy.url,
    rotationPollIntervalSeconds: 3,
    jitterSeconds: 1,
    logLevel: "warn",
    echo: (line) => process.stderr.write(`runtime: ${line}\n`),
    extraControllers: controllers.extraControllers,
  });
  cleanups.unshift(() => rt.stop());
  step(
    "sync runtime started in-process as `keyfleet run` composes it: SecretSync, AKVSync and restart controllers (poll 3 s + jitter ≤ 1 s, partial sync on)",
  );

  await kube.applySpc(ns, "payments", {
    keyvaultName: env.vault.vaultName,
    tenantID: env.identity.tenantId,
    clientID: clientId,
    objects: objectsParameter([
      { objectName: names.db, objectAlias: "db-password" },
      { objectName: names.api, objectAlias: "api-key" },
      { objectName: names.tls, objectAlias: "web", objectType: "secret" },
    ]),
  });
  await kube.applySecretSync(ns, "payments-config", {
    serviceAccountName: "payments-sa",
    secretProviderClassName: "payments",
    secretObject: {
      data: [
        { sourcePath: "db-password", targetKey: "DB_PASSWORD" },
        { sourcePath: "api-key", targetKey: "API_KEY" },
      ],
    },
  });
  await kube.applySecretSync(ns, "payments-tls", {
    serviceAccountName: "payments-sa",
    secretProviderClassName: "payments",
    secretObject: {
      type: "kubernetes.io/tls",
      data: [
        { sourcePath: "web", targetKey: "tls.crt" },
        { sourcePath: "web", targetKey: "tls.key" },
      ],
    },
  });
  step("applied SecretProviderClass payments and SecretSyncs payments-config, payments-tls");
  await waitForReason(kube, ns, "payments-config", Reason.createSucceeded);
  await waitForReason(kube, ns, "payments-tls", Reason.createSucceeded);
  const first = await kube.secretValues(ns, "payments-config");
  step(
    `Secrets created: payments-config DB_PASSWORD ${fp(first?.DB_PASSWORD)}; payments-tls (kubernetes.io/tls)`,
  );

  const afterCreate = proxy.total();
  const reconciles = await rt.runtime.metrics.total("total_rotation_reconcile");
  await waitFor(
    "a steady refresh",
    async () =>
      (await rt.runtime.metrics.total("total_rotation_reconcile")) >= reconciles + 4 ? true : undefined,
    30_000,
  );
  step(
    `steady refresh of both SecretSyncs: ${proxy.total() - afterCreate} vault requests, Secrets untouched`,
  );

  const dbV2 = await azure.setSecret(names.db, `db-${crypto.randomUUID()}`);
  const rotatedAt = Date.now();
  step(`vault: rotated ${names.db} → v ${dbV2.slice(0, 8)}`);
  const rotated = await waitFor(
    "rotation",
    async () => {
      const v = await kube.secretValues(ns, "payments-config");
      return v?.DB_PASSWORD !== first?.DB_PASSWORD ? v : undefined;
    },
    30_000,
  );
  step(
    `Secret payments-config updated after ${((Date.now() - rotatedAt) / 1000).toFixed(1)} s: DB_PASSWORD ${fp(first?.DB_PASSWORD)} → ${fp(rotated.DB_PASSWORD)}`,
  );
  await waitForReason(kube, ns, "payments-config", Reason.updateValueChangeOrForceUpdateSucceeded);

  out("");
  out("kubectl describe secretsync (keyfleet view)");
  for (const name of ["payments-config", "payments-tls"]) {
    const sync = await kube.secretSync(ns, name);
    const secret = await kube.secret(ns, name);
    const ready = sync?.status?.conditions?.find((c) => c.type === "Ready");
    out(`  ${ns}/${name}`);
    out(`    Ready:          ${ready?.status} (${ready?.reason})`);
    out(`    Message:        ${ready?.message}`);
    out(`    Sync hash:      ${sync?.status?.syncHash?.slice(0, 16)}… (keyed HMAC, not a digest of values)`);
    out(`    Last sync:      ${sync?.status?.lastSuccessfulSyncTime}`);
    for (const o of sync?.status?.objects ?? [])
      out(`    Object:         ${o.id.padEnd(14)} version ${o.version}`);
    const keys = Object.entries(secret?.data ?? {}).map(
      ([k, v]) => `${k} (${Buffer.from(v, "base64").length} B)`,
    );
    out(
      `    Secret:         type ${secret?.type}; keys ${keys.join(", ")}; owner ${secret?.metadata?.ownerReferences?.[0]?.kind}/${secret?.metadata?.ownerReferences?.[0]?.name}`,
    );
    const events = (await kube.events(ns, name))
      .sort((a, b) => Number(a.metadata.resourceVersion ?? 0) - Number(b.metadata.resourceVersion ?? 0))
      .map((e) => e.reason)
      .join(" → ");
    out(`    Events:         ${events}`);
  }
  const counts = proxy.counts();
  out("");
  out(
    `vault requests spent (counted at the vault proxy): ${proxy.total()} total — ${Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([op, n]) => `${op} ${n}`)
      .join(", ")}`,
  );
  out(
    `kubernetes writes by the runtime: ${await rt.runtime.metrics.total("keyfleet_secret_writes_total")} Secret applies, ${await rt.runtime.metrics.total("keyfleet_status_writes_total")} status writes`,
  );
  out("");
  out(
    "workload restarts (Reloader pattern: Key Vault → sync runtime → Secrets → the runtime's restart controller)",
  );
  await restartsDemo({
    kube,
    azure,
    runtime: rt.runtime,
    restarts: controllers.restartController(),
    namespace: ns,
    identity: { serviceAccountName: "payments-sa", clientID: clientId, tenantID: env.identity.tenantId },
    keyvaultName: env.vault.vaultName,
    tag,
    log: (line) => out(`  ${line}`),
  });
  out("");
  out(
    "demo finished: the Secret followed the rotation, the Deployment rolled once; no secret value was printed.",
  );
  exitCode = 0;
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  await ground.stop();
}
process.exit(exitCode);
