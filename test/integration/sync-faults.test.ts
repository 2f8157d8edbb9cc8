/**
 * Vault faults injected through the counting/fault proxy (429 storms with and without Retry-After, 5xx,
 * unreachable, 403, object deleted): the Secret keeps its last good value, the status names the failure, and
 * the runtime recovers when the fault clears. Also partial sync on/off, and identity isolation between
 * namespaces (namespace A cannot use namespace B's identity).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure, DemoProxy } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
let azure: DemoAzure;
let proxy: DemoProxy;
let ns = "";
let nsOther = "";
let clientId = "";
let clientOther = "";
let rt: TestRuntime;
let strict: TestRuntime;
const p = `flt${Date.now().toString(36)}`;
const A = `${p}-a`;
const B = `${p}-b`;
const good: Record<string, string> = {};

const spec = (cls = "main") => ({
  serviceAccountName: "app-sa",
  secretProviderClassName: cls,
  secretObject: {
    data: [
      { sourcePath: A, targetKey: "A" },
      { sourcePath: B, targetKey: "B" },
    ],
  },
});

async function keepsLastGood(name: string): Promise<void> {
  assert.deepEqual(
    await kube.secretValues(ns, name),
    { A: good.A, B: good.B },
    "the Secret keeps its last good value",
  );
}

void describe("vault faults (proxy) and identity isolation", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    proxy = await azure.startProxy();
    ns = await kube.namespace("sync-flt");
    nsOther = await kube.namespace("sync-flt-other");
    clientId = await azure.registerWorkload(ns, "app-sa");
    clientOther = await azure.registerWorkload(nsOther, "app-sa");
    good.A = `a-${crypto.randomUUID()}`;
    good.B = `b-${crypto.randomUUID()}`;
    await azure.setSecret(A, good.A);
    await azure.setSecret(B, good.B);
    const params = {
      keyvaultName: env.vault.vaultName,
      tenantID: env.identity.tenantId,
      objects: objectsParameter([{ objectName: A }, { objectName: B }]),
    };
    await kube.applySpc(ns, "main", { ...params, clientID: clientId });
    await kube.applySpc(ns, "stolen", { ...params, clientID: clientOther });
    const common = {
      env,
      kubeConfig: kube.kubeConfig,
      vaultUrl: proxy.url,
      rotationPollIntervalSeconds: 1,
      jitterSeconds: 0,
      fastBackoff: true,
    };
    rt = await startRuntime({ ...common, namespaces: [ns] });
    strict = await startRuntime({ ...common, namespaces: [nsOther], partialSync: false });
    await kube.applySecretSync(ns, "app", spec());
    await waitForReason(kube, ns, "app", Reason.createSucceeded);
    await keepsLastGood("app");
  });
  after(async () => {
    await proxy?.clear();
    await rt?.stop();
    await strict?.stop();
    await proxy?.stop();
    await kube.deleteNamespace(ns);
    await kube.deleteNamespace(nsOther);
    await azure?.close();
  });

  const faults: Array<[string, Parameters<DemoProxy["fail"]>[0]]> = [
    ["a 429 storm without Retry-After", { status: 429 }],
    ["a 429 storm with Retry-After", { status: 429, retryAfterSeconds: 1 }],
    ["5xx", { status: 503 }],
    ["an unreachable vault", { unreachable: true }],
    ["403", { status: 403 }],
  ];
  for (const [what, rule] of faults) {
    void it(`keeps the last good value through ${what}, then recovers`, async () => {
      const rotated = `a-${crypto.randomUUID()}`;
      await proxy.fail(rule);
      await azure.setSecret(A, rotated);
      const ready = await waitForReason(kube, ns, "app", Reason.providerError, 30_000);
      assert.doesNotMatch(ready.message, new RegExp(rotated));
      await keepsLastGood("app");
      await proxy.clear();
      good.A = rotated;
      await waitFor(
        "recovery",
        async () => ((await kube.secretValues(ns, "app"))?.A === rotated ? true : undefined),
        60_000,
      );
      await waitFor(
        "Ready again",
        async () => ((await kube.ready(ns, "app"))?.status === "True" ? true : undefined),
        30_000,
      );
      await keepsLastGood("app");
    });
  }

  void it("partial sync: a deleted object keeps its last value while the other item rotates", async () => {
    await azure.deleteSecret(B);
    const rotated = `a-${crypto.randomUUID()}`;
    await azure.setSecret(A, rotated);
    const ready = await waitForReason(kube, ns, "app", Reason.partialSync, 30_000);
    const summary = JSON.parse(ready.message) as Array<{ targetKey: string; synced: boolean }>;
    assert.deepEqual(
      summary.map((s) => [s.targetKey, s.synced]),
      [
        ["A", true],
        ["B", false],
      ],
    );
    await waitFor(
      "A rotated",
      async () => ((await kube.secretValues(ns, "app"))?.A === rotated ? true : undefined),
      30_000,
    );
    assert.equal((await kube.secretValues(ns, "app"))?.B, good.B, "B keeps its last good value");
    good.A = rotated;
    await azure.recoverSecret(B);
    await waitFor(
      "Ready again",
      async () => ((await kube.ready(ns, "app"))?.status === "True" ? true : undefined),
      30_000,
    );
  });

  void it("all-or-nothing (partial sync off) writes nothing when one item fails", async () => {
    await kube.applySpc(nsOther, "main", {
      keyvaultName: env.vault.vaultName,
      tenantID: env.identity.tenantId,
      clientID: clientOther,
      objects: objectsParameter([{ objectName: A }, { objectName: `${p}-never` }]),
    });
    await kube.applySecretSync(nsOther, "strict", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      secretObject: {
        data: [
          { sourcePath: A, targetKey: "A" },
          { sourcePath: `${p}-never`, targetKey: "N" },
        ],
      },
    });
    const ready = await waitForReason(kube, nsOther, "strict", Reason.providerError, 30_000);
    assert.match(ready.message, /N \(.*-never\)/);
    assert.equal(await kube.secret(nsOther, "strict"), undefined);
  });

  void it("namespace A cannot use namespace B's identity", async () => {
    await kube.applySecretSync(ns, "thief", spec("stolen"));
    const ready = await waitForReason(kube, ns, "thief", Reason.providerError, 30_000);
    assert.match(
      ready.message,
      new RegExp(
        `\\(AADSTS70021\\): client id \\S+ has no federated credential for subject system:serviceaccount:${ns}:`,
      ),
    );
    assert.equal(await kube.secret(ns, "thief"), undefined);
  });
});
