import assert from "node:assert/strict";
import { test } from "node:test";
import { at, harness } from "../../test/support/pulumi-harness.ts";

const h = await harness();
const { SyncRuntime, admissionPolicies, deniedSecretTypes, RUNTIME_NAME } = await import("./index.ts");
const { keyfleetCrds } = await import("../../sync-runtime/crds/index.ts");
const { renderCrdsYaml, selectCrds } = await import("../../sync-runtime/crds/render.ts");
const { parseAllDocuments } = await import("yaml");
const k8s = await import("@pulumi/kubernetes");
const provider = new k8s.Provider("c", { kubeconfig: "unused" });
const settings = {
  rotationPollIntervalSeconds: 300,
  jitterSeconds: 30,
  enablePartialSecretSync: true,
  vaultRequestsPer10s: 4000,
};
const base = {
  crds: keyfleetCrds(),
  delivery: { image: "registry/keyfleet:1" },
  servedServiceAccounts: [],
  settings,
};
const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const VAPB = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

void test("by default: three policies, each bound cluster-wide, guarding the runtime's own identity", async () => {
  new SyncRuntime("rt", { ...base, namespace: "kf" }, { provider });
  await h.settle();
  const policies = h.ofType(VAP).filter((r) => r.name.startsWith("rt-"));
  const bindings = h.ofType(VAPB).filter((r) => r.name.startsWith("rt-"));
  assert.deepEqual(policies.map((p) => at(p.inputs, "metadata.name")).sort(), [
    `${RUNTIME_NAME}-secret-deletes`,
    `${RUNTIME_NAME}-secret-writes`,
    `${RUNTIME_NAME}-secretsync-metadata`,
  ]);
  assert.deepEqual(
    bindings.map((b) => [at(b.inputs, "spec.policyName"), at(b.inputs, "spec.validationActions")]).sort(),
    [
      [`${RUNTIME_NAME}-secret-deletes`, ["Deny"]],
      [`${RUNTIME_NAME}-secret-writes`, ["Deny"]],
      [`${RUNTIME_NAME}-secretsync-metadata`, ["Deny"]],
    ],
  );
  assert.equal(
    bindings.every((b) => at(b.inputs, "spec.matchResources") === undefined),
    true,
    "every namespace",
  );
  const writes = policies.find((p) => at(p.inputs, "metadata.name") === `${RUNTIME_NAME}-secret-writes`)!;
  const conditions = JSON.stringify(at(writes.inputs, "spec.matchConditions"));
  assert.match(conditions, /request\.userInfo\.username == 'system:serviceaccount:kf:keyfleet-sync-runtime'/);
  assert.match(conditions, /object\.metadata\.name == 'keyfleet-sync-hash-key'/);
  assert.match(
    JSON.stringify(at(writes.inputs, "spec.variables")),
    /\['bootstrap\.kubernetes\.io\/token', 'kubernetes\.io\/service-account-token'\]/,
  );
  const deletes = policies.find((p) => at(p.inputs, "metadata.name") === `${RUNTIME_NAME}-secret-deletes`)!;
  assert.deepEqual(at(deletes.inputs, "spec.matchConstraints.resourceRules"), [
    { apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["secrets"] },
  ]);
  assert.match(
    JSON.stringify(at(deletes.inputs, "spec.matchConditions")),
    /request\.userInfo\.username == 'system:serviceaccount:kf:keyfleet-sync-runtime'/,
  );
  for (const r of [...policies, ...bindings]) assert.ok(r.parent.endsWith("::rt"), `${r.name} is parented`);
});

void test("the declared objects are exactly the pure builder's (the integration test applies those)", async () => {
  new SyncRuntime(
    "same",
    { ...base, namespace: "kf2", admissionPolicies: { deniedSecretTypes: ["example.com/api-credentials"] } },
    { provider },
  );
  await h.settle();
  const expected = admissionPolicies({
    name: RUNTIME_NAME,
    runtimeServiceAccount: { namespace: "kf2", name: RUNTIME_NAME },
    hashKeySecretName: "keyfleet-sync-hash-key",
    labels: { "app.kubernetes.io/name": "keyfleet-sync-runtime", "app.kubernetes.io/managed-by": "keyfleet" },
    settings: { deniedSecretTypes: ["example.com/api-credentials"] },
  });
  const declared = [...h.ofType(VAP), ...h.ofType(VAPB)].filter((r) => r.name.startsWith("same-"));
  assert.deepEqual(
    declared
      .map((r) => ({ metadata: r.inputs.metadata, spec: r.inputs.spec }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    expected
      .map((m) => ({ metadata: m.metadata, spec: m.spec }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
  assert.deepEqual(
    deniedSecretTypes({
      deniedSecretTypes: ["example.com/api-credentials", "kubernetes.io/service-account-token"],
    }),
    ["bootstrap.kubernetes.io/token", "example.com/api-credentials", "kubernetes.io/service-account-token"],
  );
});

void test("{ enabled: false } declares none; a namespace selector scopes the bindings", async () => {
  new SyncRuntime("off", { ...base, admissionPolicies: { enabled: false } }, { provider });
  new SyncRuntime(
    "scoped",
    { ...base, namespace: "kf3", admissionPolicies: { namespaceSelector: { matchLabels: { team: "a" } } } },
    { provider },
  );
  await h.settle();
  assert.equal(
    h.registrations.some((r) => r.name.startsWith("off-vap")),
    false,
  );
  const scoped = h.ofType(VAPB).filter((r) => r.name.startsWith("scoped-"));
  assert.equal(scoped.length, 3);
  for (const b of scoped)
    assert.deepEqual(at(b.inputs, "spec.matchResources.namespaceSelector"), { matchLabels: { team: "a" } });
});

void test("a denied type that is no Secret type fails naming the option", () => {
  assert.throws(
    () =>
      new SyncRuntime(
        "bad",
        { ...base, admissionPolicies: { deniedSecretTypes: ["not a type"] } },
        { provider },
      ),
    /admissionPolicies\.deniedSecretTypes\[0\]: "not a type" is not a Secret type/,
  );
});

void test("the CRDs declared are the ones `keyfleet crds --exclude <preinstalled>` prints", async () => {
  const preinstalled = ["secretproviderclasses.secrets-store.csi.x-k8s.io"];
  new SyncRuntime("crds", { ...base, preinstalledCrds: preinstalled }, { provider });
  await h.settle();
  const declared = h
    .ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    .filter((r) => r.name.startsWith("crds-"))
    .map((r) => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: r.inputs.metadata,
      spec: r.inputs.spec,
    }));
  const printed = parseAllDocuments(renderCrdsYaml(selectCrds(preinstalled))).map(
    (d) => d.toJSON() as unknown,
  );
  const byName = (a: unknown, b: unknown) =>
    String((a as { metadata: { name: string } }).metadata.name).localeCompare(
      String((b as { metadata: { name: string } }).metadata.name),
    );
  assert.deepEqual(declared.sort(byName), printed.sort(byName));
});
