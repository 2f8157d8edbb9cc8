/**
 * The `local` stack under the real Pulumi engine on the proving ground, as a user runs it: `pulumi up` provisions the
 * vault's seed secrets, the identity, its role assignment and federated credentials, the cluster side and the runtime
 * (as pods on the node); the declared Secrets then hold the vault's values; with two replicas, deleting the leader's
 * pod hands the Lease over and syncing continues with no Secret ever missing, empty or set back (the fault suite's
 * monitor) and no value in the runtime's logs, Events or status (its secrecy sweep); a second preview shows no changes;
 * CrossGuard judges the real graph exactly as `npm run policy:check` does; `destroy` removes everything and the
 * garbage collector takes the Secrets; and a runtime that cannot become ready fails `up` fast, saying why.
 * Secret values are compared, never printed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { waitFor } from "../support/kube.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { runPulumi, selectLocalStack } from "../../scripts/local/pulumi-run.ts";
import { loadFleetConfig } from "../../stacks/config/load.ts";
import { adminCredential, localVaultClients, localVaultUrl } from "../azure-local/sdk.ts";
import { SecretMonitor, ValueHistory } from "../faults/monitor.ts";
import { sweep } from "../faults/secrecy.ts";
import {
  engineViolations,
  mockViolations,
  POLICY_CONFIG,
  policyPreview,
  variantStack,
} from "../support/local-stack-policies.ts";

const env = readLocalEnvironment();
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const vault = localVaultClients(
  localVaultUrl(env.vault),
  adminCredential(env.identity),
  readFileSync(env.vault.caFile, "utf8"),
).secrets;
const fleet = loadFleetConfig("local");
const RUNTIME_NS = fleet.syncRuntime.namespace;
const fingerprint = (value: string | undefined) =>
  value === undefined ? "absent" : createHash("sha256").update(value).digest("hex").slice(0, 12);
const work = mkdtempSync(path.join(os.tmpdir(), "kf-pulumi-"));

/** The Secrets the stack declares whose items map one vault object to one key (no version history). */
function declaredItems(): Array<{ namespace: string; secret: string; key: string; objectName: string }> {
  const items = [];
  for (const cluster of fleet.clusters)
    for (const ns of cluster.namespaces)
      for (const secret of ns.secrets)
        for (const object of secret.objects)
          if (!object.versionHistory || object.versionHistory <= 1)
            items.push({
              namespace: ns.name,
              secret: secret.name,
              key: object.key,
              objectName: object.objectName,
            });
  return items;
}

async function secretValue(namespace: string, name: string, key: string): Promise<string | undefined> {
  const secret = await core.readNamespacedSecret({ namespace, name }).catch(() => undefined);
  const data = secret?.data?.[key];
  return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
}

void describe("the local stack under the real Pulumi engine", () => {
  before(async () => {
    assert.ok(env.pulumi, "the proving ground provides the Pulumi engine");
    assert.ok(env.node, "the proving ground runs a worker node");
    await selectLocalStack(env);
  });
  after(async () => {
    await runPulumi(env, ["destroy", "--stack", "local", "--yes", "--non-interactive"]);
    rmSync(work, { recursive: true, force: true });
  });

  void it("pulumi up provisions everything, and the runtime's pods sync the declared Secrets from the vault", async () => {
    const up = await runPulumi(env, [
      "up",
      "--stack",
      "local",
      "--yes",
      "--non-interactive",
      "--skip-preview",
    ]);
    assert.equal(up.code, 0, `pulumi up failed:\n${up.stdout.slice(-3000)}\n${up.stderr.slice(-2000)}`);
    for (const item of declaredItems()) {
      const expected = (await vault.getSecret(item.objectName)).value;
      await waitFor(
        `${item.namespace}/${item.secret}[${item.key}] to hold vault object ${item.objectName} (${fingerprint(expected)})`,
        async () =>
          (await secretValue(item.namespace, item.secret, item.key)) === expected ? true : undefined,
        60_000,
      );
    }
    const pods = await core.listNamespacedPod({ namespace: RUNTIME_NS });
    const ready = pods.items.filter((p) =>
      p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    assert.equal(ready.length, fleet.syncRuntime.replicas, "every runtime replica is Ready (probes green)");
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: RUNTIME_NS });
    const endpoints = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
    assert.equal(
      endpoints.length,
      fleet.syncRuntime.replicas,
      "the metrics Service has an endpoint per replica",
    );
  });

  void it("hands the Lease to the other replica when the leader's pod is deleted: no Secret missing, empty or set back, and no value in any text", async () => {
    assert.ok(fleet.syncRuntime.replicas >= 2, "the local stack runs two replicas");
    const leaseName = { namespace: RUNTIME_NS, name: "keyfleet-sync-runtime" };
    const leader = (await coordination.readNamespacedLease(leaseName)).spec?.holderIdentity;
    assert.ok(leader, "a replica holds the Lease");
    // The fault suite's monitor: every declared Secret of the first namespace, judged each 200 ms against every
    // value its vault objects have held (missing, empty, foreign or older values are bad samples).
    const items = declaredItems();
    const namespace = items[0]!.namespace;
    const history = new ValueHistory();
    const layouts = new Map<string, Record<string, string>>();
    for (const item of items.filter((i) => i.namespace === namespace)) {
      history.add(item.objectName, (await vault.getSecret(item.objectName)).value!);
      layouts.set(item.secret, { ...layouts.get(item.secret), [item.key]: item.objectName });
    }
    const monitor = new SecretMonitor({ core, namespace, secrets: layouts, history, periodMs: 200 });
    monitor.start();
    const [item] = items;
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ namespace: RUNTIME_NS, name: leader });
    const rotated = `rotated-${crypto.randomUUID()}`;
    history.add(item!.objectName, rotated);
    await vault.setSecret(item!.objectName, rotated);
    const newLeader = await waitFor(
      "another replica to take the Lease",
      async () => {
        const holder = (await coordination.readNamespacedLease(leaseName)).spec?.holderIdentity;
        return holder && holder !== leader ? holder : undefined;
      },
      90_000,
    );
    const handoverMs = Date.now() - deletedAt;
    const syncGapMs = await monitor.waitAllCurrent(deletedAt, 120_000);
    const report = await monitor.stop();
    assert.notEqual(newLeader, leader);
    assert.ok(report.samples > 0, "the monitor sampled the Secrets");
    assert.deepEqual(report.badSamples, [], "no Secret was missing, empty, foreign or set back");
    // Secrecy: the runtime pods' logs, the Events and the SecretSyncs' status hold no value in any form.
    // The deleted pod's logs went with it; its replacement is read once its container runs (before that the
    // apiserver answers 400 "waiting to start"), which also shows the Deployment back at full strength.
    const runningPods = await waitFor(
      "every runtime replica running again",
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: RUNTIME_NS })).items.filter(
          (pod) =>
            !pod.metadata?.deletionTimestamp &&
            pod.status?.containerStatuses?.some((c) => c.name === "sync-runtime" && c.state?.running),
        );
        return pods.length >= fleet.syncRuntime.replicas ? pods : undefined;
      },
      120_000,
    );
    const texts: Array<{ source: string; text: string }> = [];
    for (const pod of runningPods) {
      const name = pod.metadata!.name!;
      texts.push({
        source: `logs ${name}`,
        text: await core.readNamespacedPodLog({ namespace: RUNTIME_NS, name, container: "sync-runtime" }),
      });
    }
    for (const ns of new Set([RUNTIME_NS, ...items.map((i) => i.namespace)])) {
      texts.push({
        source: `events ${ns}`,
        text: JSON.stringify(await core.listNamespacedEvent({ namespace: ns })),
      });
      const syncs = await custom.listNamespacedCustomObject({
        group: "secret-sync.x-k8s.io",
        version: "v1alpha1",
        namespace: ns,
        plural: "secretsyncs",
      });
      texts.push({ source: `secretsyncs ${ns}`, text: JSON.stringify(syncs) });
    }
    assert.deepEqual(sweep(texts, history.values()), [], "no value in logs, Events or status");
    process.stderr.write(
      `leader failover: Lease handed over after ${handoverMs} ms; every Secret current ${syncGapMs} ms after the leader's pod was deleted (${report.samples} samples, 0 bad)\n`,
    );
  });

  void it("a second preview shows no changes; no seed value is in the state or the engine's event stream", async () => {
    const preview = await runPulumi(
      env,
      ["preview", "--stack", "local", "--expect-no-changes", "--non-interactive", "--json"],
      { env: { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } },
    );
    assert.equal(preview.code, 0, "the preview found changes");
    // Generated seeds live only in the vault (the SDK's debug events print whole RegisterResource responses).
    const state = await runPulumi(env, ["stack", "export", "--stack", "local", "--show-secrets"]);
    const names = fleet.vaults.flatMap((v) => v.seedSecrets.map((s) => s.name));
    const seeds = await Promise.all(names.map(async (name) => (await vault.getSecret(name)).value!));
    assert.ok(seeds.length > 0 && state.stdout.includes("local-seed-"), "the state holds the seed resources");
    const texts = [
      { source: "preview --json (streamed)", text: preview.stdout },
      { source: "stack export --show-secrets", text: state.stdout },
    ];
    assert.deepEqual(sweep(texts, seeds), [], "no seed value in the engine's events or the state");
  });

  void it("CrossGuard judges the real graph as npm run policy:check does: local passes", async () => {
    const preview = await policyPreview(env, []);
    assert.equal(
      preview.code,
      0,
      `policy preview of local failed:\n${preview.stdout.slice(-3000)}\n${preview.stderr.slice(-2000)}`,
    );
    assert.deepEqual(engineViolations(preview.stdout), await mockViolations(env));
  });

  void it("a copy polling below the pack's minimum is stopped by the rule, and the mocks agree", async () => {
    // 1 s is below what the fleet configuration accepts: the program refuses it before any policy runs.
    const tooFast = variantStack(work, "poll-1s", (config) => {
      (config.engines as Record<string, Record<string, unknown>>).bundled!.rotationPollInterval = "1s";
    });
    const refused = await policyPreview(env, ["--config-file", tooFast.configFile]);
    assert.notEqual(refused.code, 0);
    assert.match(
      `${refused.stdout}\n${refused.stderr}`,
      /keyfleet:fleet\.engines\.bundled\.rotationPollInterval: out of range: 1s = 1s; allowed 5s to 86400s/,
    );
    // 5 s is valid configuration, but this pack's configuration asks for at least 10 s.
    const variant = variantStack(work, "poll-5s", (config) => {
      (config.engines as Record<string, Record<string, unknown>>).bundled!.rotationPollInterval = "5s";
    });
    const policyConfig = path.join(variant.stacksDir, "policy-config.json");
    writeFileSync(
      policyConfig,
      JSON.stringify({ "keyfleet-poll-interval-bounds": { minPollIntervalSeconds: 10 } }),
    );
    const preview = await policyPreview(env, ["--config-file", variant.configFile], policyConfig);
    assert.notEqual(preview.code, 0, "a mandatory violation fails the preview");
    const engine = engineViolations(preview.stdout);
    assert.ok(
      engine.some((v) => v.startsWith("keyfleet-poll-interval-bounds|")),
      `violations: ${engine.join(", ") || "none"}\n${preview.stderr.slice(-2000)}`,
    );
    assert.deepEqual(engine, await mockViolations(env, variant.stacksDir, policyConfig));
  });

  void it("a copy whose jitter is too small for its vault's limit is stopped by the rule, and the mocks agree", async () => {
    const variant = variantStack(work, "no-jitter", (config) => {
      (config.engines as Record<string, Record<string, unknown>>).bundled!.jitterSeconds = 0;
    });
    // The ground's vault is given a small read limit: three secrets read at the same instant exceed it.
    const policyConfig = path.join(variant.stacksDir, "policy-config.json");
    writeFileSync(
      policyConfig,
      JSON.stringify({
        ...JSON.parse(readFileSync(POLICY_CONFIG, "utf8")),
        "keyfleet-jitter-sufficient": { vaultLimitPer10s: 8 },
      }),
    );
    const preview = await policyPreview(env, ["--config-file", variant.configFile], policyConfig);
    assert.notEqual(preview.code, 0, "a mandatory violation fails the preview");
    const engine = engineViolations(preview.stdout);
    assert.ok(
      engine.some((v) => v.startsWith("keyfleet-jitter-sufficient|")),
      engine.join(", "),
    );
    assert.deepEqual(engine, await mockViolations(env, variant.stacksDir, policyConfig));
  });

  void it("destroy removes everything and the garbage collector takes the Secrets", async () => {
    const destroy = await runPulumi(env, [
      "destroy",
      "--stack",
      "local",
      "--yes",
      "--non-interactive",
      "--skip-preview",
    ]);
    assert.equal(destroy.code, 0, `destroy failed:\n${destroy.stdout.slice(-3000)}`);
    for (const item of declaredItems())
      await waitFor(
        `Secret ${item.namespace}/${item.secret} to be gone`,
        async () =>
          (await core
            .readNamespacedSecret({ namespace: item.namespace, name: item.secret })
            .catch(() => undefined))
            ? undefined
            : true,
        120_000,
      );
  });

  void it("a runtime that cannot become ready fails up within its ready timeout, saying why", async () => {
    // An image the node does not have and no registry can serve (the node reaches none): the pods never start.
    const variant = variantStack(work, "unready-runtime", (config) => {
      Object.assign(config.syncRuntime as Record<string, unknown>, {
        delivery: "image",
        image: "keyfleet.local/absent:0",
        readyTimeoutSeconds: 15,
      });
    });
    const started = Date.now();
    const up = await runPulumi(env, [
      "up",
      "--stack",
      "local",
      "--yes",
      "--non-interactive",
      "--skip-preview",
      "--config-file",
      variant.configFile,
    ]);
    const elapsedS = Math.round((Date.now() - started) / 1000);
    assert.notEqual(up.code, 0, "up fails");
    const output = `${up.stdout}\n${up.stderr}`;
    assert.match(output, /local-runtime-deployment/, "the failing resource is named");
    assert.match(output, /ErrImage|ImagePull|image/i, "the pods' problem is named");
    // Not the provider's 10-minute default await: the stack's ready timeout (plus the rest of the update).
    assert.ok(elapsedS < 300, `up took ${elapsedS} s`);
    process.stderr.write(`unready runtime: up failed after ${elapsedS} s\n`);
  });
});
