/**
 * The SyncRuntime component's ValidatingAdmissionPolicies, enforced by the real kube-apiserver: the runtime runs as
 * its own ServiceAccount with the component's RBAC and policies (from the same pure builders). Its ordinary work
 * goes through; a Secret it must not write is refused even though RBAC allows it, and the refusal reaches the
 * SecretSync's status as ValidatingAdmissionPolicyCheckFailed with the apiserver's message intact.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { MANAGED_SECRET_LABEL, Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { RUNTIME_NAME } from "../../components/sync-runtime/workload.ts";
import { duplicateKeys } from "../support/log-lines.ts";
import { createRuntimeIdentity } from "../support/runtime-identity.ts";
import type { RuntimeIdentity } from "../support/runtime-identity.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const DENIED = "example.com/api-credentials";
let azure: DemoAzure;
let identity: RuntimeIdentity;
let rt: TestRuntime;
let ns = "";
const obj = `vap${Date.now().toString(36)}`;
const spec = (secretObject: Record<string, unknown> = {}) => ({
  serviceAccountName: "app-sa",
  secretProviderClassName: "main",
  secretObject: { data: [{ sourcePath: obj, targetKey: "bar" }], ...secretObject },
});

/** Runs `write` and returns the apiserver's refusal (status code and message), or undefined when it was allowed. */
async function refusal(
  write: () => Promise<unknown>,
): Promise<{ code: number; message: string } | undefined> {
  try {
    await write();
    return undefined;
  } catch (error) {
    if (!(error instanceof k8s.ApiException)) throw error;
    const body = (typeof error.body === "string" ? JSON.parse(error.body) : error.body) as {
      message?: string;
    };
    return { code: error.code, message: String(body.message) };
  }
}

void describe("admission policies (real kube-apiserver)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("vap");
    const clientId = await azure.registerWorkload(ns, "app-sa");
    await azure.setSecret(obj, `v-${crypto.randomUUID()}`);
    await kube.applySpc(ns, "main", {
      keyvaultName: env.vault.vaultName,
      tenantID: env.identity.tenantId,
      clientID: clientId,
      objects: objectsParameter([{ objectName: obj }]),
    });
    identity = await createRuntimeIdentity(kube, {
      prefix: "kf-vap",
      servedServiceAccounts: [{ namespace: ns, name: "app-sa" }],
      admission: { deniedSecretTypes: [DENIED] },
    });
    rt = await startRuntime({
      env,
      kubeConfig: identity.kubeConfig,
      namespaces: [ns],
      runtimeNamespace: identity.namespace,
      runtimeNamespaceExists: true,
    });
  });
  after(async () => {
    await rt?.stop();
    await identity?.cleanup();
    await kube.deleteNamespace(ns);
    await azure?.close();
  });

  void it("lets the runtime, as its own identity, do its work (its hash key, a synced Secret)", async () => {
    await kube.applySecretSync(ns, "ok", spec());
    const ready = await waitForReason(kube, ns, "ok", Reason.createSucceeded, 30_000);
    assert.equal(ready.status, "True");
    const secret = await kube.secret(ns, "ok");
    assert.equal(secret?.metadata?.ownerReferences?.length, 1);
  });

  void it("a denied type reaches the status as ValidatingAdmissionPolicyCheckFailed, the apiserver's words intact", async () => {
    await kube.applySecretSync(ns, "my-custom-api-secret", spec({ type: DENIED }));
    const ready = await waitForReason(
      kube,
      ns,
      "my-custom-api-secret",
      Reason.validatingAdmissionPolicyCheckFailed,
      30_000,
    );
    const policy = identity.policyNames.find((n) => n.endsWith("-secret-writes"))!;
    assert.match(
      ready.message,
      new RegExp(
        `^the apiserver refused to write Secret ${ns}/my-custom-api-secret \\(HTTP 403 Forbidden\\): `,
      ),
    );
    assert.ok(
      ready.message.includes(`ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request`),
      ready.message,
    );
    assert.ok(
      ready.message.includes(
        `${identity.username} may not create Secret ${ns}/my-custom-api-secret: type ${DENIED} is on the deny-list`,
      ),
      ready.message,
    );
    assert.equal(await kube.secret(ns, "my-custom-api-secret"), undefined);
    for (const line of rt.logs) assert.deepEqual(duplicateKeys(line), [], line);
    const warn = rt.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reason === Reason.validatingAdmissionPolicyCheckFailed);
    assert.equal(warn?.level, "warn");
    assert.deepEqual(warn?.codes, ["HTTP 403", "Forbidden", "ValidatingAdmissionPolicy"]);
  });

  void describe("writes the runtime's identity may not make, though RBAC allows them", () => {
    const owner = (name: string, kind = "SecretSync", apiVersion = "secret-sync.x-k8s.io/v1alpha1") => [
      { apiVersion, kind, name, uid: "00000000-0000-4000-8000-000000000001", controller: true },
    ];
    const cases: Array<[string, () => k8s.V1Secret, RegExp]> = [
      [
        "a Secret without the managed label",
        () => ({ metadata: { name: "plain", ownerReferences: owner("plain") } }),
        /it lacks the label secrets-store\.sync\.x-k8s\.io/,
      ],
      [
        "a labelled Secret without an owner",
        () => ({ metadata: { name: "orphan", labels: { [MANAGED_SECRET_LABEL]: "" } } }),
        /its only ownerReference must be the SecretSync of the same name/,
      ],
      [
        "a labelled Secret owned by something else",
        () => ({
          metadata: {
            name: "cm-owned",
            labels: { [MANAGED_SECRET_LABEL]: "" },
            ownerReferences: owner("cm-owned", "ConfigMap", "v1"),
          },
        }),
        /its only ownerReference must be the SecretSync of the same name/,
      ],
      [
        "a service-account token, even labelled and owned",
        () => ({
          metadata: {
            name: "sa-token",
            labels: { [MANAGED_SECRET_LABEL]: "" },
            ownerReferences: owner("sa-token"),
            annotations: { "kubernetes.io/service-account.name": "default" },
          },
          type: "kubernetes.io/service-account-token",
        }),
        /type kubernetes\.io\/service-account-token is on the deny-list/,
      ],
    ];
    for (const [name, body, expected] of cases) {
      void it(`refuses ${name}`, async () => {
        const asRuntime = identity.kubeConfig.makeApiClient(k8s.CoreV1Api);
        const refused = await refusal(() =>
          asRuntime.createNamespacedSecret({ namespace: ns, body: body() }),
        );
        assert.equal(refused?.code, 403, refused?.message ?? "allowed");
        assert.match(refused!.message, /ValidatingAdmissionPolicy '[^']+-secret-writes'/);
        assert.match(refused!.message, expected);
        // Not the policy's business when anyone else writes it.
        const asAdmin = await refusal(() =>
          kube.core.createNamespacedSecret({ namespace: ns, body: body(), dryRun: "All" }),
        );
        assert.equal(asAdmin, undefined);
      });
    }

    void it("refuses taking over an existing Secret that is neither labelled nor controlled by its SecretSync", async () => {
      await kube.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: "theirs" }, stringData: { mine: "keep" } },
      });
      const objects = k8s.KubernetesObjectApi.makeApiClient(identity.kubeConfig);
      const takeover = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "theirs",
          namespace: ns,
          labels: { [MANAGED_SECRET_LABEL]: "" },
          ownerReferences: owner("theirs"),
        },
      };
      const refused = await refusal(() =>
        objects.patch(takeover, undefined, undefined, "keyfleet", true, k8s.PatchStrategy.ServerSideApply),
      );
      assert.equal(refused?.code, 403, refused?.message ?? "allowed");
      assert.match(
        refused!.message,
        /the existing Secret is neither labelled secrets-store\.sync\.x-k8s\.io nor controlled by that SecretSync/,
      );
      assert.deepEqual(await kube.secretValues(ns, "theirs"), { mine: "keep" });
    });

    void it("never deletes a Secret: RBAC grants no delete, and the policy refuses one when RBAC is widened", async () => {
      const asRuntime = identity.kubeConfig.makeApiClient(k8s.CoreV1Api);
      const denied = await refusal(() => asRuntime.deleteNamespacedSecret({ namespace: ns, name: "ok" }));
      assert.equal(denied?.code, 403);
      assert.match(denied!.message, /cannot delete resource "secrets"/);
      // As upstream's e2e does: grant delete (a widened role), and the admission policy still refuses.
      const rbac = kube.kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
      const meta = { name: "widened", namespace: ns };
      await rbac.createNamespacedRole({
        namespace: ns,
        body: { metadata: meta, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["delete"] }] },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: meta,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "widened" },
          subjects: [{ kind: "ServiceAccount", name: RUNTIME_NAME, namespace: identity.namespace }],
        },
      });
      const policy = identity.policyNames.find((n) => n.endsWith("-secret-deletes"))!;
      // A dry run goes through admission and deletes nothing; repeat while RBAC still refuses (the new binding
      // reaches the authorizer's cache a moment later). Allowed (undefined) counts as a refusal still to come.
      const refused = await waitFor(
        "the runtime's delete to be refused by the admission policy",
        async () => {
          const r = await refusal(() =>
            asRuntime.deleteNamespacedSecret({ namespace: ns, name: "ok", dryRun: "All" }),
          );
          return r && !/cannot delete resource/.test(r.message) ? r : undefined;
        },
        30_000,
        200,
      );
      assert.equal(refused.code, 403, refused.message);
      assert.ok(refused.message.includes(`ValidatingAdmissionPolicy '${policy}'`), refused.message);
      assert.match(
        refused.message,
        new RegExp(`${identity.username} may not delete Secret ${ns}/ok: keyfleet never deletes a Secret`),
      );
      assert.ok(await kube.secret(ns, "ok"), "the Secret is still there");
      // Not the policy's business when anyone else deletes it.
      assert.equal(
        await refusal(() => kube.core.deleteNamespacedSecret({ namespace: ns, name: "ok", dryRun: "All" })),
        undefined,
      );
    });
  });

  void it("refuses a SecretSync whose Secret labels or annotations are invalid, naming the keys (bound namespace)", async () => {
    const bound = await kube.namespace("vap-bound");
    try {
      await identity.bindNamespace(bound);
      const policy = identity.policyNames.find((n) => n.endsWith("-secretsync-metadata"))!;
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [
          { labels: { "invalid/key_with_invalid_characters!": "validValue" } },
          /spec\.secretObject\.labels: invalid or reserved \(secrets-store\.sync\.x-k8s\.io\) keys or invalid values: invalid\/key_with_invalid_characters!/,
        ],
        [
          { annotations: { "my.annotation/with_invalid_characters!": "default" } },
          /spec\.secretObject\.annotations: invalid or reserved \(secrets-store\.sync\.x-k8s\.io\) keys: my\.annotation\/with_invalid_characters!/,
        ],
        [{ labels: { team: "a value with spaces" } }, /invalid values: team/],
      ];
      for (const [secretObject, expected] of cases) {
        const refused = await refusal(() => kube.applySecretSync(bound, "bad", spec(secretObject)));
        assert.equal(refused?.code, 422, refused?.message ?? "allowed");
        assert.ok(refused!.message.includes(`ValidatingAdmissionPolicy '${policy}'`), refused!.message);
        assert.match(refused!.message, expected);
      }
      assert.equal(
        await refusal(() => kube.applySecretSync(bound, "good", spec({ labels: { team: "a" } }))),
        undefined,
      );
    } finally {
      await kube.deleteNamespace(bound);
    }
  });
});
