/**
 * The fault suite: the runtime as its own process (`keyfleet run`) keeping 21 SecretSyncs over 10 vault secrets in
 * step on a private proving ground (so restarting its parts disturbs no other test file), while the faults of
 * test/faults/fault-table.ts run one after another and secrets rotate. A monitor samples every Secret each second:
 * no sample may be missing, empty, foreign or older than one seen before, and after each fault every Secret must
 * hold the vault's current values within one poll + jitter. At the end a secrecy sweep looks for every seeded and
 * rotated value (plain, base64, hex) in every log, Event, status and metrics text of the run. The figures go to
 * a bench JSON (`KEYFLEET_FAULTS_JSON`, default .keyfleet/bench/faults.json, plus one line per run in
 * faults-history.jsonl beside it); bench/faults.json is the reference run the README's reliability section quotes.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SecretClient } from "@azure/keyvault-secrets";
import { KubeHelper, objectsParameter, waitFor } from "../support/kube.ts";
import type { LocalEnvironment } from "../../scripts/local/env.ts";
import { startProvingGround, stopProvingGround } from "../../scripts/local/ground.ts";
import type { ProvingGround } from "../../scripts/local/ground.ts";
import { Progress } from "../../scripts/local/progress.ts";
import { REPO_ROOT } from "../../scripts/local/paths.ts";
import { startPart, stopPart } from "../../scripts/local/restart.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { AzureLocalAdminClient } from "../azure-local/admin-client.ts";
import { localVaultClientOptions } from "../azure-local/sdk.ts";
import { startVaultProxy } from "../azure-local/vault-proxy.ts";
import type { VaultProxy } from "../azure-local/vault-proxy.ts";
import { FAULTS } from "../faults/fault-table.ts";
import type { FaultContext } from "../faults/fault-table.ts";
import { SecretMonitor, ValueHistory } from "../faults/monitor.ts";
import type { SecretLayout } from "../faults/monitor.ts";
import { freeLoopbackPort, RuntimeProcess } from "../faults/runtime-process.ts";
import { sweep } from "../faults/secrecy.ts";

const POLL_SECONDS = 15;
const JITTER_SECONDS = 5;
/** Sampling period plus scheduling noise on a loaded 2-core machine. */
const RESUME_SLACK_MS = 5000;
const VAULT_SECRETS = 10;
const SECRET_SYNCS = 20;
const run = Date.now().toString(36);

let ground: ProvingGround;
let env: LocalEnvironment;
let stateDir = "";
let kube: KubeHelper;
let admin: AzureLocalAdminClient;
let vault: SecretClient;
let proxy: VaultProxy;
let runtime: RuntimeProcess;
let monitor: SecretMonitor;
let clientId = "";
let rotations = 0;
const history = new ValueHistory();
const names = Array.from({ length: VAULT_SECRETS }, (_, j) => `flt-${run}-${j}`);
const layouts = new Map<string, SecretLayout>();
const metricsTexts: string[] = [];
const results: Array<{ fault: string; faultMs: number; resumeMs: number; notes: Record<string, number> }> =
  [];
const namespace = `faults-${run}`;
const wallStart = Date.now();

async function setSecret(j: number): Promise<void> {
  const value = `fv-${j}-${rotations++}-${randomUUID()}`;
  await vault.setSecret(names[j]!, value);
  history.add(names[j]!, value);
}

let next = 0;
const context = (): FaultContext => ({
  proxy,
  runtime,
  ground: {
    stop: (part) => stopPart(env, part),
    async start(part) {
      env = await startPart(env, part);
    },
  },
  async rotate(count) {
    for (let i = 0; i < count; i++) await setSecret(next++ % VAULT_SECRETS);
  },
  readyMessages,
  async waitForMessage(pattern, timeoutMs) {
    await waitFor(
      `a status message matching ${pattern}`,
      async () => ((await readyMessages()).some((m) => pattern.test(m)) ? true : undefined),
      timeoutMs,
      500,
    );
  },
  async pointMovableClassAt(vaultName) {
    await kube.applySpc(namespace, "movable", spcParameters(vaultName, [names[0]!]));
  },
  vaults: { good: env.vault.vaultName, wrong: "kf-nowhere" },
  identity: {
    async rotateSigningKey() {
      await admin.rotateSigningKey();
    },
    async forgetClient() {
      await admin.deleteIdentity(clientId);
    },
    async registerClient() {
      await admin.createIdentity({ clientId, name: "faults-app" });
      await admin.federateServiceAccount(clientId, env.kubernetes.serviceAccountIssuer, namespace, "app-sa");
    },
  },
  async events() {
    const list = await kube.core.listNamespacedEvent({ namespace });
    return list.items.map((e) => ({
      object: e.involvedObject.name ?? "",
      reason: e.reason ?? "",
      message: e.message ?? "",
      count: e.count ?? 1,
    }));
  },
  async metrics() {
    const text = await runtime.metrics();
    if (text) metricsTexts.push(text);
    return text;
  },
  notes: {},
});

async function readyMessages(): Promise<string[]> {
  const messages: string[] = [];
  for (const name of layouts.keys()) {
    const ready = await kube.ready(namespace, name).catch(() => undefined);
    if (ready) messages.push(ready.message);
  }
  return messages;
}

function spcParameters(vaultName: string, objects: string[]): Record<string, string> {
  return {
    keyvaultName: vaultName,
    tenantID: env.identity.tenantId,
    clientID: clientId,
    objects: objectsParameter(objects.map((objectName) => ({ objectName }))),
  };
}

before(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), "kf-faults-"));
  ground = await startProvingGround({ stateDir, reuse: false, progress: new Progress("faults") });
  env = ground.env;
  kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
  await installCrds(kube.client);
  admin = AzureLocalAdminClient.fromLocalIdentity(env.identity);
  const caPem = readFileSync(env.vault.caFile, "utf8");
  // A fresh admin token per request: the suite rolls the signing key over and restarts the stand-in.
  const credential = {
    getToken: async () => ({ token: (await admin.mintToken()).accessToken, expiresOnTimestamp: Date.now() }),
  };
  vault = new SecretClient(
    env.vault.url,
    credential,
    localVaultClientOptions(caPem, { retryOptions: { maxRetries: 0 } }),
  );
  proxy = await startVaultProxy({
    upstreamUrl: env.vault.url,
    upstreamCaFile: env.vault.caFile,
    tlsCertFile: path.join(env.stateDir, "pki", "serving.crt"),
    tlsKeyFile: path.join(env.stateDir, "pki", "serving.key"),
  });
  await kube.ensureNamespace(namespace);
  await kube.ensureNamespace("keyfleet-system");
  await kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "app-sa" } } });
  clientId = (await admin.createIdentity({ name: "faults-app" })).clientId;
  await admin.federateServiceAccount(clientId, env.kubernetes.serviceAccountIssuer, namespace, "app-sa");
  await admin.assignRole({
    principalId: clientId,
    role: "Key Vault Secrets User",
    vaultName: env.vault.vaultName,
  });
  for (let j = 0; j < VAULT_SECRETS; j++) await setSecret(j);
  await kube.applySpc(namespace, "main", spcParameters(env.vault.vaultName, names));
  await kube.applySpc(namespace, "movable", spcParameters(env.vault.vaultName, [names[0]!]));
  for (let i = 0; i < SECRET_SYNCS; i++) {
    const layout = { a: names[i % VAULT_SECRETS]!, b: names[(i + 3) % VAULT_SECRETS]! };
    layouts.set(`s${i}`, layout);
    await kube.applySecretSync(namespace, `s${i}`, {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      secretObject: {
        data: Object.entries(layout).map(([targetKey, sourcePath]) => ({ sourcePath, targetKey })),
      },
    });
  }
  layouts.set("wrongvault", { a: names[0]! });
  await kube.applySecretSync(namespace, "wrongvault", {
    serviceAccountName: "app-sa",
    secretProviderClassName: "movable",
    secretObject: { data: [{ sourcePath: names[0]!, targetKey: "a" }] },
  });
  const deadPort = await freeLoopbackPort(); // nothing listens there: a vault that does not exist
  runtime = new RuntimeProcess(
    [
      ...["--kubeconfig", env.kubernetes.adminKubeconfig, "--namespaces", namespace],
      ...["--rotation-poll-interval", String(POLL_SECONDS), "--jitter", String(JITTER_SECONDS)],
      ...["--leader-election", "false", "--runtime-namespace", "keyfleet-system"],
      ...["--vault-urls", `${env.vault.vaultName}=${proxy.url}`],
      ...["--vault-url-template", `https://127.0.0.1:${deadPort}/{name}`],
      ...["--authority-host", env.identity.authorityHost, "--ca-file", env.vault.caFile],
    ],
    path.join(env.stateDir, "logs", "runtime.log"),
    { metrics: await freeLoopbackPort(), health: await freeLoopbackPort() },
  );
  await runtime.start();
  monitor = new SecretMonitor({ core: kube.core, namespace, secrets: layouts, history });
  await waitFor(
    "the first sync of every SecretSync",
    async () => {
      for (const [name, layout] of layouts) {
        const data = await kube.secretValues(namespace, name);
        if (!data || Object.entries(layout).some(([k, source]) => data[k] !== history.current(source)))
          return undefined;
      }
      return true;
    },
    120_000,
    500,
  );
  monitor.start();
});

after(async () => {
  await monitor?.stop();
  await runtime?.kill("SIGTERM");
  await proxy?.stop();
  admin?.close();
  await ground?.stop();
  // The parts restarted by the faults run under new process ids, which only env.json and the ledger know.
  if (env) await stopProvingGround(env.envFile, stateDir, new Progress("faults"));
  // KEYFLEET_FAULTS_KEEP=1 keeps the private ground's state (logs/runtime.log, logs of every part) to look into.
  if (stateDir && !process.env.KEYFLEET_FAULTS_KEEP) rmSync(stateDir, { recursive: true, force: true });
  else if (stateDir) process.stderr.write(`fault suite state kept in ${stateDir}\n`);
});

void describe("fault suite: no Secret is ever missing, empty or set back, and syncing resumes within one poll", () => {
  for (const fault of FAULTS) {
    void it(fault.name, async () => {
      const ctx = context();
      monitor.fault = fault.name;
      const started = Date.now();
      // A fault that fails to show what it should is still ended, and recovery awaited, for the next one.
      const injected = await fault.inject(ctx).then(
        () => undefined,
        (error: unknown) => error,
      );
      await fault.end(ctx);
      const ended = Date.now();
      const resumeMs = await monitor.waitAllCurrent(
        ended,
        (POLL_SECONDS + JITTER_SECONDS) * 1000 + RESUME_SLACK_MS,
      );
      monitor.fault = "";
      if (injected) throw injected;
      await fault.check?.(ctx);
      await ctx.metrics();
      results.push({ fault: fault.name, faultMs: ended - started, resumeMs, notes: ctx.notes });
      const bad = monitor.figures().badSamples.filter((b) => b.fault === fault.name);
      assert.deepEqual(bad, [], "no Secret missing, empty, foreign or set back");
    });
  }

  void it("Events: one per transition, repeats counted, no flood; the secrecy sweep finds nothing; figures recorded", async () => {
    const figures = await monitor.stop();
    const ctx = context();
    await ctx.metrics();
    const events = await ctx.events();
    const transitions = events.filter((e) => e.reason !== "UpdateValueChangeOrForceUpdateSucceeded");
    const perSync = new Map<string, number>();
    for (const e of transitions) perSync.set(e.object, (perSync.get(e.object) ?? 0) + 1);
    const maxTransitionEvents = Math.max(0, ...perSync.values());
    const ranFaults = results.length;
    assert.ok(
      maxTransitionEvents <= 3 * Math.max(1, ranFaults) + 1,
      `at most ~3 transition Events per fault per SecretSync (saw ${maxTransitionEvents} over ${ranFaults} faults)`,
    );

    const statuses = [];
    for (const name of layouts.keys()) statuses.push(await kube.secretSync(namespace, name));
    const logDir = path.join(env.stateDir, "logs");
    const texts = [
      ...readdirSync(logDir).map((f) => ({
        source: `log ${f}`,
        text: readFileSync(path.join(logDir, f), "utf8"),
      })),
      { source: "events", text: JSON.stringify(await kube.core.listNamespacedEvent({ namespace })) },
      { source: "statuses", text: JSON.stringify(statuses) },
      ...metricsTexts.map((text, i) => ({ source: `metrics #${i}`, text })),
    ];
    const leaks = sweep(texts, history.values());
    assert.deepEqual(leaks, [], "no seeded or rotated value in any log, Event, status or metrics output");

    const report = {
      date: new Date().toISOString(),
      pollSeconds: POLL_SECONDS,
      jitterSeconds: JITTER_SECONDS,
      secretSyncs: layouts.size,
      vaultSecrets: VAULT_SECRETS,
      rotations,
      faults: results,
      samples: figures.samples,
      badSamples: figures.badSamples.length,
      unobservableSeconds: figures.unobservableTicks,
      maxResumeMs: Math.max(0, ...results.map((r) => r.resumeMs)),
      transitionEvents: transitions.length,
      maxTransitionEventsPerSecretSync: maxTransitionEvents,
      repeatsFoldedIntoEvents: transitions.reduce((n, e) => n + e.count - 1, 0),
      sweptTexts: texts.length,
      sweptValues: history.values().length,
      leaks: leaks.length,
      wallSeconds: Math.round((Date.now() - wallStart) / 1000),
    };
    const out = process.env.KEYFLEET_FAULTS_JSON ?? path.join(REPO_ROOT, ".keyfleet", "bench", "faults.json");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    // One line per run beside it, for trends.
    appendFileSync(out.replace(/\.json$/, "-history.jsonl"), `${JSON.stringify(report)}\n`);
    assert.equal(figures.badSamples.length, 0);
  });
});
