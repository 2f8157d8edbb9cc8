/**
 * AKVSync end to end, the way `keyfleet run` composes it: the SecretSync controller plus the AKVSync and restart
 * controllers in one runtime, the local vault and identity endpoint, a real kube-apiserver. An AKVSync with a
 * single secret and a compound secret becomes Secrets holding the vault's values; a rotation in the vault reaches
 * the compound Secret and rolls the Deployment that reads it once; the AKVSync's status says everything is synced;
 * no value leaks into the runtime's logs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, waitFor } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { RESOURCES } from "../../sync-runtime/akvsync/constants.ts";
import { defaultExtraControllers } from "../../sync-runtime/controllers.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import * as k8s from "@kubernetes/client-node";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const custom = kube.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
const tag = `akve2e${Date.now().toString(36)}`;
const values: string[] = [];
const secretValue = (label: string) => {
  const v = `${label}-${crypto.randomUUID()}`;
  values.push(v);
  return v;
};
let azure: DemoAzure;
let rt: TestRuntime;
let ns = "";

type AkvStatus = {
  syncedSecrets?: string;
  conditions?: Array<{ type: string; status: string; reason: string }>;
};

async function akvStatus(name: string): Promise<AkvStatus | undefined> {
  const obj = (await custom.getNamespacedCustomObject({ ...RESOURCES.AKVSync, namespace: ns, name })) as {
    status?: AkvStatus;
  };
  return obj.status;
}

void describe("AKVSync end to end (runtime with AKVSync + restart controllers, local vault)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("akv-e2e", ["akv-sa"]);
    rt = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [ns],
      rotationPollIntervalSeconds: 2,
      jitterSeconds: 1,
      extraControllers: defaultExtraControllers,
    });
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
    await azure?.close();
  });

  void it("syncs a single and a compound secret, follows a rotation, rolls the workload once and reports AllSecretsSynced", async () => {
    const clientId = await azure.registerWorkload(ns, "akv-sa");
    const single = `${tag}-api-key`;
    const part = `${tag}-db-user`;
    await azure.setSecret(single, secretValue("api"));
    await azure.setSecret(part, secretValue("user"));
    await custom.createNamespacedCustomObject({
      ...RESOURCES.AKVSync,
      namespace: ns,
      body: {
        apiVersion: "secret-sync.x-k8s.io/v1alpha1",
        kind: "AKVSync",
        metadata: { name: "app" },
        spec: {
          keyvaultName: env.vault.vaultName,
          clientID: clientId,
          tenantID: env.identity.tenantId,
          serviceAccountName: "akv-sa",
          objects: [
            { secretInAKV: single },
            {
              kubernetesSecretName: "db",
              annotations: { "reloader.stakater.com/match": "true" },
              mapping: [
                { dataKey: "API", secretInAKV: single },
                { dataKey: "USER", secretInAKV: part },
              ],
            },
          ],
        },
      },
    });

    let lastSeen = "";
    const synced = await waitFor(
      "the AKVSync to report every Secret synced",
      async () => {
        const status = await akvStatus("app");
        const ready = status?.conditions?.find((c) => c.type === "Ready");
        lastSeen = JSON.stringify(status ?? null); // names, counts and reasons only
        return status?.syncedSecrets === "2/2" && ready?.status === "True" ? { status, ready } : undefined;
      },
      90_000,
    ).catch(async (error: unknown) => {
      // Say what was seen (value-free: statuses and reasons), so a failure here can be diagnosed from CI output.
      const syncs = await Promise.all(
        ["db", single].map(async (n) => [n, (await kube.secretSync(ns, n))?.status?.conditions] as const),
      );
      throw new Error(
        `${(error as Error).message}; AKVSync status ${lastSeen}; SecretSyncs ${JSON.stringify(syncs)}`,
        {
          cause: error,
        },
      );
    });
    assert.equal(synced.ready.reason, "AllSecretsSynced");
    const apiSecret = await kube.secretValues(ns, single);
    assert.ok(apiSecret, "the single-object Secret is named after the vault object");
    assert.equal(Object.values(apiSecret).includes(values[0]!), true);
    const db = await kube.secretValues(ns, "db");
    assert.equal(db?.API, values[0]);
    assert.equal(db?.USER, values[1]);

    // A workload that reads the compound Secret and asks for restarts (Reloader's search + match).
    const apps = kube.kubeConfig.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "web", annotations: { "reloader.stakater.com/search": "true" } },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [
                { name: "web", image: "registry.invalid/web:1", envFrom: [{ secretRef: { name: "db" } }] },
              ],
            },
          },
        },
      },
    });

    const rotated = secretValue("user-rotated");
    await azure.setSecret(part, rotated);
    const after = await waitFor(
      "the rotation to reach the compound Secret",
      async () => {
        const v = await kube.secretValues(ns, "db");
        return v?.USER === rotated ? v : undefined;
      },
      60_000,
    );
    assert.equal(after.API, values[0], "the unchanged item keeps its value");
    const restarted = await waitFor(
      "the Deployment to roll after its Secret rotated",
      async () => {
        const d = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
        const mark = d.spec?.template.metadata?.annotations?.["keyfleet.io/restarted-for"];
        return mark ? d : undefined;
      },
      60_000,
    );
    assert.equal(restarted.metadata?.generation, 2, "exactly one rollout: the pod template changed once");
  });

  void it("never writes a value into the runtime's logs", () => {
    const logText = rt.logs.join("\n");
    for (const v of values) assert.equal(logText.includes(v), false, "a secret value appeared in a log line");
  });
});
