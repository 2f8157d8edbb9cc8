import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import assert from "node:assert/strict";
import { test } from "node:test";
import { at, harness } from "../shared/test-harness.ts";

const h = await harness();
const { SyncRuntime, clusterRules, tokenRequestRules, crdsToDeclare, bundleTooLarge, CONFIGMAP_LIMIT_BYTES } =
  await import("./index.ts");
const k8s = await import("@pulumi/kubernetes");
const provider = new k8s.Provider("c", { kubeconfig: "unused" });

const crd = (name: string) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name },
  spec: { group: name.split(".").slice(1).join(".") },
});
const CRDS = [
  crd("secretproviderclasses.secrets-store.csi.x-k8s.io"),
  crd("secretsyncs.secret-sync.x-k8s.io"),
  crd("akvsyncs.secret-sync.x-k8s.io"),
];
const settings = {
  rotationPollIntervalSeconds: 300,
  jitterSeconds: 30,
  enablePartialSecretSync: true,
  vaultRequestsPer10s: 4000,
};

void test("bundle delivery: CRDs not preinstalled, namespace, RBAC, ConfigMap bundle on a stock Node image, probes, PDB, metrics", async () => {
  new SyncRuntime(
    "rt",
    {
      crds: CRDS,
      preinstalledCrds: ["secretproviderclasses.secrets-store.csi.x-k8s.io"],
      delivery: { bundle: "console.log(1)", nodeImage: "node:26-alpine" },
      servedServiceAccounts: [
        { namespace: "payments", name: "payments-sync" },
        { namespace: "web", name: "web-sync" },
      ],
      settings,
    },
    { provider },
  );
  await h.settle();
  const crds = h
    .ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    .map((r) => at(r.inputs, "metadata.name"));
  assert.deepEqual(crds.sort(), ["akvsyncs.secret-sync.x-k8s.io", "secretsyncs.secret-sync.x-k8s.io"]);
  const role = h.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "rt-role");
  const secretsRule = (role.inputs.rules as Array<{ resources: string[]; verbs: string[] }>).find((r) =>
    r.resources.includes("secrets"),
  )!;
  assert.deepEqual(secretsRule.verbs, ["get", "list", "watch", "create", "patch"]);
  const deletable = (role.inputs.rules as Array<{ resources: string[]; verbs: string[] }>)
    .filter((r) => r.verbs.includes("delete"))
    .flatMap((r) => r.resources)
    .sort();
  // Only the objects an AKVSync generates (it deletes the ones it owns when an item is removed); never Secrets.
  assert.deepEqual(deletable, ["secretproviderclasses", "secretsyncs"]);
  assert.equal(
    JSON.stringify(role.inputs).includes("serviceaccounts/token"),
    false,
    "TokenRequest is never cluster-wide",
  );
  const tokens = h.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "rt-tokens-payments");
  assert.deepEqual(tokens.inputs.rules, [
    {
      apiGroups: [""],
      resources: ["serviceaccounts/token"],
      verbs: ["create"],
      resourceNames: ["payments-sync"],
    },
  ]);
  assert.equal(at(tokens.inputs, "metadata.namespace"), "payments");
  const leases = h.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "rt-leases");
  assert.equal(JSON.stringify(leases.inputs.rules).includes("coordination.k8s.io"), true);
  const dep = h.one("kubernetes:apps/v1:Deployment", "rt-deployment");
  const container = (at(dep.inputs, "spec.template.spec.containers") as Array<Record<string, unknown>>)[0]!;
  assert.equal(container.image, "node:26-alpine");
  assert.deepEqual(container.command, ["node", "--lite-mode", "/runtime/sync-runtime.mjs", "run"]);
  const init = (at(dep.inputs, "spec.template.spec.initContainers") as Array<Record<string, unknown>>)[0]!;
  assert.equal(init.image, "node:26-alpine");
  assert.match(String((init.command as string[])[2]), /gunzipSync/);
  assert.equal(at(container as never, "livenessProbe.httpGet.path"), "/healthz");
  assert.equal(at(container as never, "readinessProbe.httpGet.path"), "/readyz");
  assert.equal(at(container as never, "securityContext.readOnlyRootFilesystem"), true);
  const env = Object.fromEntries(
    (container.env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]),
  );
  assert.equal(env.KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS, "300");
  assert.equal(env.KEYFLEET_JITTER_SECONDS, "30");
  assert.equal(env.NODE_OPTIONS, "--max-old-space-size=128 --max-semi-space-size=2");
  const cm = h.one("kubernetes:core/v1:ConfigMap", "rt-bundle");
  const packed = (cm.inputs.binaryData as Record<string, string>)["sync-runtime.mjs.gz"]!;
  assert.equal(gunzipSync(Buffer.from(packed, "base64")).toString("utf8"), "console.log(1)");
  assert.equal(
    at(h.one("kubernetes:policy/v1:PodDisruptionBudget", "rt-pdb").inputs, "spec.minAvailable"),
    1,
  );
  assert.equal(h.one("kubernetes:core/v1:Service", "rt-metrics").inputs.spec !== undefined, true);
  for (const r of h.registrations.filter((x) => x.name.startsWith("rt-")))
    assert.ok(r.parent.endsWith("::rt"), `${r.name} is parented`);
});

void test("image delivery: no ConfigMap, the image runs", async () => {
  new SyncRuntime(
    "img",
    {
      crds: [],
      delivery: { image: "registry/keyfleet:1" },
      servedServiceAccounts: [],
      settings,
      replicas: 1,
    },
    { provider },
  );
  await h.settle();
  assert.equal(
    h.registrations.some((r) => r.name === "img-bundle"),
    false,
  );
  const dep = h.one("kubernetes:apps/v1:Deployment", "img-deployment");
  assert.equal(at(dep.inputs, "spec.template.spec.containers") !== undefined, true);
  assert.equal(
    (at(dep.inputs, "spec.template.spec.containers") as Array<{ image: string }>)[0]!.image,
    "registry/keyfleet:1",
  );
  assert.equal(
    at(h.one("kubernetes:policy/v1:PodDisruptionBudget", "img-pdb").inputs, "spec.maxUnavailable"),
    1,
  );
});

void test("a bundle over 1 MiB fails clearly, before any child exists", async () => {
  // Incompressible content: the limit applies to the gzip-compressed bundle.
  const big = randomBytes(CONFIGMAP_LIMIT_BYTES).toString("base64");
  assert.throws(
    () =>
      new SyncRuntime(
        "big",
        {
          crds: [],
          delivery: { bundle: big, nodeImage: "node:26-alpine" },
          servedServiceAccounts: [],
          settings,
        },
        { provider },
      ),
    /delivery\.bundle: the runtime bundle is \d+ bytes gzip-compressed; a ConfigMap holds at most 1048576 bytes/,
  );
  await h.settle();
  assert.deepEqual(
    h.registrations.filter((r) => r.name.startsWith("big-")),
    [],
    "no child was created",
  );
});

void test("pure: token rules per namespace, sorted and deduplicated; CRD filter; size check", () => {
  const rules = tokenRequestRules([
    { namespace: "b", name: "y" },
    { namespace: "a", name: "x" },
    { namespace: "b", name: "y" },
    { namespace: "b", name: "w" },
  ]);
  assert.deepEqual([...rules.keys()], ["a", "b"]);
  assert.deepEqual(rules.get("b")![0]!.resourceNames, ["w", "y"]);
  assert.equal(crdsToDeclare(CRDS, ["akvsyncs.secret-sync.x-k8s.io"]).length, 2);
  assert.equal(bundleTooLarge("small"), undefined);
  assert.ok(clusterRules().every((r) => !r.verbs.includes("deletecollection")));
  assert.ok(
    clusterRules()
      .filter((r) => r.resources.includes("secrets"))
      .every((r) => !r.verbs.includes("delete") && !r.verbs.includes("update")),
  );
});

void test("readiness: pulumi up waits for the Deployment at most readyTimeoutSeconds, never on the metrics Service; pull policy passes through", async () => {
  new SyncRuntime(
    "ready",
    {
      namespace: "ready-ns",
      crds: [],
      delivery: { bundle: "console.log(1)", nodeImage: "node:imported", imagePullPolicy: "Never" },
      servedServiceAccounts: [],
      settings,
      readyTimeoutSeconds: 45,
    },
    { provider },
  );
  await h.settle();
  const deployment = h.one("kubernetes:apps/v1:Deployment", "ready-deployment");
  assert.deepEqual(at(deployment.inputs, "metadata.annotations"), { "pulumi.com/timeoutSeconds": "45" });
  const spec = at(deployment.inputs, "spec.template.spec") as {
    containers: Array<{ imagePullPolicy?: string }>;
    initContainers: Array<{ imagePullPolicy?: string }>;
  };
  assert.deepEqual(
    [...spec.containers, ...spec.initContainers].map((c) => c.imagePullPolicy),
    ["Never", "Never"],
  );
  const service = h.one("kubernetes:core/v1:Service", "ready-metrics");
  assert.deepEqual(at(service.inputs, "metadata.annotations"), { "pulumi.com/skipAwait": "true" });
  const standard = h.one("kubernetes:apps/v1:Deployment", "rt-deployment");
  assert.deepEqual(at(standard.inputs, "metadata.annotations"), { "pulumi.com/timeoutSeconds": "300" });
  assert.equal(
    (at(standard.inputs, "spec.template.spec.containers") as Array<{ imagePullPolicy?: string }>)[0]!
      .imagePullPolicy,
    undefined,
    "Kubernetes' own default unless asked",
  );
  assert.throws(
    () =>
      new SyncRuntime(
        "too-short",
        { crds: [], delivery: { image: "i" }, servedServiceAccounts: [], settings, readyTimeoutSeconds: 3 },
        { provider },
      ),
    /readyTimeoutSeconds: got 3; allowed 10-3600/,
  );
});
