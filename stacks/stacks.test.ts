/**
 * Whole-stack tests for dev and local under mocks: the properties that matter, no secret in plain text, and a
 * snapshot of the graph compared with stacks/__snapshots__/<stack>.json (refresh: KEYFLEET_UPDATE_SNAPSHOTS=1).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { LocalAzureType } from "../components/local-azure/index.ts";
import { LOCAL_ENV_VERSION, type LocalEnvironment } from "../scripts/local/env.ts";
import { FleetConfigError } from "./config/load.ts";
import { MissingSecretConfigError } from "./config/secrets.ts";
import { localInputsFrom } from "./runtime-inputs.ts";
import { captureStackDetailed, REDACTED, type CaptureResult } from "./synth/capture.ts";
import { snapshotOf } from "./synth/snapshot.ts";

const SECRET_MARK = "PLAINTEXT-MUST-NOT-LEAK";
const CRDS = [
  "secretproviderclasses.secrets-store.csi.x-k8s.io",
  "secretsyncs.secret-sync.x-k8s.io",
  "akvsyncs.secret-sync.x-k8s.io",
].map((name) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name },
  spec: { group: name.split(".").slice(1).join(".") },
}));
const tmp = mkdtempSync(path.join(os.tmpdir(), "keyfleet-stacks-"));
writeFileSync(
  path.join(tmp, "admin.kubeconfig"),
  `apiVersion: v1\nkind: Config\n# ${SECRET_MARK}-kubeconfig\n`,
);
/** A ground with a worker node, as env.json describes it (version 2's `node`; only what the program reads). */
const GROUND = {
  version: LOCAL_ENV_VERSION,
  envFile: "/ground/.keyfleet/local/env.json",
  kubernetes: {
    adminKubeconfig: path.join(tmp, "admin.kubeconfig"),
    serviceAccountIssuer: "https://127.0.0.1:6443",
  },
  vault: { vaultName: "local", url: "https://127.0.0.1:8443" },
  identity: { tenantId: "00000000-0000-0000-0000-000000000000", authorityHost: "https://127.0.0.1:8444" },
  node: {
    images: { node: "keyfleet.local/node:26.10.0", pause: "keyfleet.local/pause:1.0" },
    endpoints: { vaultUrl: "https://10.244.0.1:8443", authorityHost: "https://10.244.0.1:8444" },
    podCaFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
  },
} as unknown as LocalEnvironment;
const LOCAL = localInputsFrom(GROUND);
const options = {
  runtimeBundle: "stub" as const,
  crds: CRDS,
  local: LOCAL,
  secretConfig: (key: string) => `${SECRET_MARK}-${key}`,
};

const dev = await captureStackDetailed("dev", options);
const local = await captureStackDetailed("local", options);

function ofType(result: CaptureResult, type: string) {
  return result.resources.filter((r) => r.type === type);
}
function get(value: unknown, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      value,
    );
}

function compareSnapshot(stack: string, result: CaptureResult) {
  const file = path.join(import.meta.dirname, "__snapshots__", `${stack}.json`);
  const actual = `${JSON.stringify({ resources: snapshotOf(result.resources), outputs: result.outputs }, null, 2)}\n`;
  if (process.env.KEYFLEET_UPDATE_SNAPSHOTS === "1") writeFileSync(file, actual);
  assert.ok(existsSync(file), `${file} missing; create it with KEYFLEET_UPDATE_SNAPSHOTS=1`);
  assert.equal(
    actual,
    readFileSync(file, "utf8"),
    `graph of ${stack} changed; review, then KEYFLEET_UPDATE_SNAPSHOTS=1`,
  );
}

void test("no secret value appears in plain text in any stack graph or output", () => {
  for (const result of [dev, local]) assert.equal(JSON.stringify(result).includes(SECRET_MARK), false);
  const seed = ofType(dev, "azure-native:keyvault:Secret")[0]!;
  assert.deepEqual(seed.secretPaths, ["properties.value"]);
  assert.equal(get(seed.inputs, "properties.value"), REDACTED);
  for (const p of [
    ...ofType(dev, "pulumi:providers:kubernetes"),
    ...ofType(local, "pulumi:providers:kubernetes"),
  ])
    assert.ok(p.secretPaths.includes("kubeconfig"));
});

void test("dev: vault RBAC on, roles are Secrets User/Reader scoped to the vault, federated credentials exact", () => {
  const vault = ofType(dev, "azure-native:keyvault:Vault")[0]!;
  assert.equal(get(vault.inputs, "properties.enableRbacAuthorization"), true);
  assert.equal(get(vault.inputs, "properties.enablePurgeProtection"), true);
  const vaultId =
    "/subscriptions/66666666-7777-8888-9999-000000000000/resourceGroups/rg-keyfleet-dev/providers/Microsoft.KeyVault/vaults/kf-dev-weu";
  const roles = ofType(dev, "azure-native:authorization:RoleAssignment");
  assert.equal(roles.length, 4);
  for (const r of roles) {
    assert.match(
      String(r.inputs.roleDefinitionId),
      /\/roleDefinitions\/(4633458b-17de-408a-b874-0445c86b69e6|21090545-7ca7-4776-b22c-e363652d74d2)$/,
    );
    assert.equal(r.inputs.scope, vaultId);
  }
  const fics = ofType(dev, "azure-native:managedidentity:FederatedIdentityCredential");
  assert.deepEqual(
    fics.map((f) => [f.name, f.inputs.subject, f.inputs.issuer]),
    [
      [
        "aks-dev-weu-wi-fic-payments-payments-sync",
        "system:serviceaccount:payments:payments-sync",
        "https://oidc.mock.azure.example/aks-dev-weu/",
      ],
      [
        "aks-dev-weu-wi-fic-web-web-sync",
        "system:serviceaccount:web:web-sync",
        "https://oidc.mock.azure.example/aks-dev-weu/",
      ],
      [
        "arc-dev-lab-wi-fic-payments-payments-sync",
        "system:serviceaccount:payments:payments-sync",
        "https://oidc.example.net/arc-dev-lab",
      ],
      [
        "arc-dev-lab-wi-fic-web-web-sync",
        "system:serviceaccount:web:web-sync",
        "https://oidc.example.net/arc-dev-lab",
      ],
    ],
  );
  for (const f of fics) assert.deepEqual(f.inputs.audiences, ["api://AzureADTokenExchange"]);
});

void test("dev: add-on config strings and extension settings", () => {
  const mc = ofType(dev, "azure-native:containerservice:ManagedCluster")[0]!;
  assert.deepEqual(get(mc.inputs, "addonProfiles.azureKeyvaultSecretsProvider.config"), {
    enableSecretRotation: "true",
    rotationPollInterval: "2m",
  });
  const ext = ofType(dev, "azure-native:kubernetesconfiguration:Extension")[0]!;
  assert.deepEqual(ext.inputs.configurationSettings, {
    enablePartialSecretSync: "true",
    jitterSeconds: "60",
    rotationPollIntervalInSeconds: "600",
  });
  assert.equal(ext.inputs.autoUpgradeMinorVersion, false);
});

void test("dev: outputs carry vault URI, client ids, engine and poll/jitter per cluster", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading nested JSON outputs
  const out = dev.outputs as Record<string, any>;
  assert.equal(out.vaults["kf-dev-weu"].vaultUri, "https://kf-dev-weu.vault.azure.net/");
  assert.equal(out.clusters["aks-dev-weu"].engine, "aks-addon");
  assert.equal(out.clusters["arc-dev-lab"].rotationPollIntervalSeconds, 600);
  assert.equal(out.clusters["arc-dev-lab"].jitterSeconds, 60);
  assert.match(out.clusters["arc-dev-lab"].identityClientIds.cluster, /^[0-9a-f-]{36}$/);
});

void test("local: the Azure side as local twins with dev's names: seeds, identity, Secrets User on the vault, credentials", () => {
  const names = (type: string) => ofType(local, type).map((r) => r.name);
  assert.deepEqual(names(LocalAzureType.vaultSecret), [
    "local-seed-api-token",
    "local-seed-app-password",
    "local-seed-db-password",
  ]);
  assert.deepEqual(names(LocalAzureType.userAssignedIdentity), ["local-wi-identity"]);
  assert.deepEqual(names(LocalAzureType.roleAssignment), ["local-wi-secrets-user"]);
  assert.deepEqual(names(LocalAzureType.federatedIdentityCredential), [
    "local-wi-fic-demo-akv-demo-akv-sync",
    "local-wi-fic-demo-demo-sync",
  ]);
  assert.deepEqual(
    ofType(dev, "azure-native:managedidentity:UserAssignedIdentity").map((r) => r.name),
    ["aks-dev-weu-wi-identity", "arc-dev-lab-wi-identity"],
    "the same naming as the Azure stacks",
  );
  for (const r of ofType(local, LocalAzureType.federatedIdentityCredential)) {
    assert.equal(r.inputs.issuer, "https://127.0.0.1:6443", "the ground's ServiceAccount issuer");
    assert.deepEqual(r.inputs.audiences, ["api://AzureADTokenExchange"]);
  }
  const role = ofType(local, LocalAzureType.roleAssignment)[0]!;
  assert.match(
    String(role.inputs.roleDefinitionId),
    /\/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6$/,
  );
  assert.match(String(role.inputs.scope), /\/providers\/Microsoft\.KeyVault\/vaults\/local$/);
  for (const r of local.resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/")))
    assert.equal(r.inputs.ground, "/ground/.keyfleet/local/env.json");
  const spc = ofType(local, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")[0]!;
  const clientId = get(spc.inputs, "spec.parameters.clientID");
  assert.match(String(clientId), /^[0-9a-f-]{36}$/, "the created identity's client id");
  const seeds = ofType(local, LocalAzureType.vaultSecret);
  assert.ok(
    spc.dependsOn.some((d) => d.endsWith("::local-seed-app-password")) && seeds.length === 3,
    "objects wait for the vault's seeds",
  );
});

void test("local: the runtime runs the node's imported image, reaches the ground through the node, fails fast", () => {
  const deployment = ofType(local, "kubernetes:apps/v1:Deployment")[0]!;
  const spec = get(deployment.inputs, "spec.template.spec") as {
    containers: Array<{
      image: string;
      imagePullPolicy: string;
      env: Array<{ name: string; value?: string }>;
    }>;
    initContainers: Array<{ image: string; imagePullPolicy: string }>;
  };
  for (const c of [...spec.containers, ...spec.initContainers]) {
    assert.equal(c.image, "keyfleet.local/node:26.10.0");
    assert.equal(c.imagePullPolicy, "Never");
  }
  const env = Object.fromEntries(spec.containers[0]!.env.map((e) => [e.name, e.value]));
  assert.equal(env.KEYFLEET_VAULT_URLS, "local=https://10.244.0.1:8443");
  assert.equal(env.AZURE_AUTHORITY_HOST, "https://10.244.0.1:8444");
  assert.equal(env.KEYFLEET_CA_FILE, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
  assert.deepEqual(get(deployment.inputs, "metadata.annotations"), { "pulumi.com/timeoutSeconds": "60" });
});

void test("local: no azure-native resources; bundled runtime with least-privilege RBAC", () => {
  assert.deepEqual(
    local.resources.filter((r) => r.type.startsWith("azure-native:")),
    [],
  );
  const role = ofType(local, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")[0]!;
  const secretVerbs = (role.inputs.rules as Array<{ resources: string[]; verbs: string[] }>)
    .filter((r) => r.resources.includes("secrets"))
    .flatMap((r) => r.verbs);
  assert.equal(secretVerbs.includes("delete"), false, "the runtime never deletes Secrets");
  const tokenRoles = ofType(local, "kubernetes:rbac.authorization.k8s.io/v1:Role").filter((r) =>
    r.name.includes("-tokens-"),
  );
  assert.deepEqual(
    tokenRoles.map((r) => (r.inputs.rules as Array<{ resourceNames: string[] }>)[0]!.resourceNames),
    [["demo-sync"], ["demo-akv-sync"]],
  );
  assert.equal(ofType(local, "kubernetes:secret-sync.x-k8s.io/v1alpha1:AKVSync").length, 1);
});

void test("snapshots of the dev and local graphs", () => {
  compareSnapshot("dev", dev);
  compareSnapshot("local", local);
});

void test("docs: the dev and local resource counts in docs/iac.md are the graphs' sizes", () => {
  const doc = readFileSync(path.join(import.meta.dirname, "..", "docs", "iac.md"), "utf8").split("\n");
  for (const [stack, result] of [
    ["dev", dev],
    ["local", local],
  ] as const) {
    const row = doc.find((line) => line.startsWith(`| \`${stack}\``)) ?? "";
    assert.match(row, new RegExp(` ${result.resources.length} resources\\.`), `docs/iac.md, stack ${stack}`);
  }
});

/** A copy of a stack file with secret keys set as `pulumi config set --secret` writes them (encrypted values). */
function stackDirWithSecrets(stack: string, keys: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-secrets-"));
  const text = readFileSync(path.join(import.meta.dirname, `Pulumi.${stack}.yaml`), "utf8");
  const secure = keys
    .map((k) => `  keyfleet:${k}:\n    secure: v1:dGVzdA==:ZW5jcnlwdGVkLWluLXRoZS1zdGFjay1maWxl\n`)
    .join("");
  writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text.replace(/^config:\n/m, `config:\n${secure}`));
  return dir;
}

void test("dev without its secret config fails synth, naming every key and the command that sets it", async () => {
  const { secretConfig: _given, ...withoutSecrets } = options;
  await assert.rejects(captureStackDetailed("dev", withoutSecrets), (e: unknown) => {
    assert.ok(e instanceof MissingSecretConfigError);
    assert.deepEqual(
      e.missing.map((m) => m.key),
      ["seedDbPassword", "kubeconfigArcDevLab"],
    );
    assert.match(e.message, /pulumi config set --secret --stack dev keyfleet:seedDbPassword {3}# prompts/);
    assert.match(
      e.message,
      /pulumi config set --secret --stack dev keyfleet:kubeconfigArcDevLab < arc-dev-lab\.kubeconfig/,
    );
    return true;
  });
  const partly = stackDirWithSecrets("dev", ["seedDbPassword"]);
  await assert.rejects(
    captureStackDetailed("dev", { ...withoutSecrets, stacksDir: partly }),
    (e: unknown) => {
      assert.deepEqual(
        (e as MissingSecretConfigError).missing.map((m) => m.key),
        ["kubeconfigArcDevLab"],
      );
      return true;
    },
  );
  const set = stackDirWithSecrets("dev", ["seedDbPassword", "kubeconfigArcDevLab"]);
  const result = await captureStackDetailed("dev", { ...withoutSecrets, stacksDir: set });
  assert.equal(result.resources.length, dev.resources.length);
  assert.deepEqual(result.missingSecrets, []);
  const allowed = await captureStackDetailed("dev", { ...withoutSecrets, allowMissingSecrets: true });
  assert.deepEqual(allowed.missingSecrets, ["seedDbPassword", "kubeconfigArcDevLab"]);
});

void test("bad stack config fails before any resource is created, naming the key path", async () => {
  const { mkdtempSync, writeFileSync: write } = await import("node:fs");
  const os = await import("node:os");
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-stack-"));
  const text = readFileSync(path.join(import.meta.dirname, "Pulumi.dev.yaml"), "utf8").replace(
    "engine: arc-extension\n        vault",
    "engine: flux\n        vault",
  );
  write(path.join(dir, "Pulumi.bad.yaml"), text);
  await assert.rejects(captureStackDetailed("bad", { ...options, stacksDir: dir }), (e: unknown) => {
    assert.ok(e instanceof FleetConfigError);
    assert.match(
      e.message,
      /keyfleet:fleet\.clusters\[1\]\.engine: got "flux"; allowed: aks-addon \| arc-extension \| bundled/,
    );
    return true;
  });
});
