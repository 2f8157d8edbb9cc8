/**
 * Diagnostics a user can act on, end to end on the proving ground: each identity failure (unknown client id, no
 * federated credential for the subject, wrong tenant, wrong audience, missing ServiceAccount) reaches the
 * SecretSync's status with the client id, the subject and the identity endpoint's AADSTS code; an open circuit
 * states the last underlying failure and the vault URL; before the first success no "last good value" is claimed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { AzureLocalAdminClient } from "../azure-local/admin-client.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const UNKNOWN_CLIENT = "0f0f0f0f-0000-4000-8000-00000000dead";
const UNKNOWN_TENANT = "0f0f0f0f-0000-4000-8000-00000000beef";
let azure: DemoAzure;
let admin: AzureLocalAdminClient;
let rt: TestRuntime;
let ns = "";
let clientId = "";
const obj = `id${Date.now().toString(36)}`;

const sync = (serviceAccountName: string, secretProviderClassName: string) => ({
  serviceAccountName,
  secretProviderClassName,
  secretObject: { data: [{ sourcePath: obj, targetKey: "value" }] },
});

void describe("identity and vault diagnostics (proving ground)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    admin = AzureLocalAdminClient.fromLocalIdentity(env.identity);
    ns = await kube.namespace("ident", ["app-sa", "other-sa", "aud-sa"]);
    clientId = await azure.registerWorkload(ns, "app-sa");
    // An identity whose only federated credential expects another audience.
    const wrongAudience = await admin.createIdentity({ name: `${ns}-aud` });
    await admin.putFederatedCredential(wrongAudience.clientId, {
      name: "aud",
      issuer: env.kubernetes.serviceAccountIssuer,
      subject: `system:serviceaccount:${ns}:aud-sa`,
      audiences: ["api://SomethingElse"],
    });
    await azure.setSecret(obj, `v-${crypto.randomUUID()}`);
    const spc = (name: string, tenantID: string, clientID: string) =>
      kube.applySpc(ns, name, {
        keyvaultName: env.vault.vaultName,
        tenantID,
        clientID,
        objects: objectsParameter([{ objectName: obj }]),
      });
    await spc("main", env.identity.tenantId, clientId);
    await spc("unknown-client", env.identity.tenantId, UNKNOWN_CLIENT);
    await spc("wrong-tenant", UNKNOWN_TENANT, clientId);
    await spc("wrong-audience", env.identity.tenantId, wrongAudience.clientId);
    rt = await startRuntime({ env, kubeConfig: kube.kubeConfig, namespaces: [ns], fastBackoff: true });
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
    admin?.close();
    await azure?.close();
  });

  const subject = () => `system:serviceaccount:${ns}:`;
  const cases: Array<[string, string, string, () => RegExp[]]> = [
    [
      "unknown client id",
      "app-sa",
      "unknown-client",
      () => [
        /\(AADSTS700016\)/,
        new RegExp(`client id ${UNKNOWN_CLIENT} is not an application in tenant ${env.identity.tenantId}`),
        new RegExp(`${subject()}app-sa`),
      ],
    ],
    [
      "no federated credential for this ServiceAccount",
      "other-sa",
      "main",
      () => [
        /\(AADSTS70021\)/,
        new RegExp(`client id ${clientId} has no federated credential for subject ${subject()}other-sa`),
      ],
    ],
    [
      "wrong tenant (the vault's challenge names its own; the Azure SDK stops before any exchange)",
      "app-sa",
      "wrong-tenant",
      () => [
        new RegExp(
          `tenantID ${UNKNOWN_TENANT} of the SecretProviderClass is not the vault's tenant: its authentication challenge names tenant ${env.identity.tenantId}; set tenantID to it`,
        ),
        new RegExp(`client id ${clientId}`),
      ],
    ],
    [
      "wrong audience",
      "aud-sa",
      "wrong-audience",
      () => [
        /\(AADSTS700212\)/,
        new RegExp(`for subject ${subject()}aud-sa accepts the audience api://AzureADTokenExchange`),
      ],
    ],
    [
      "a ServiceAccount that does not exist",
      "ghost-sa",
      "main",
      () => [
        new RegExp(`ServiceAccount ${ns}/ghost-sa does not exist \\(spec\\.serviceAccountName\\)`),
        new RegExp(`client id ${clientId}`),
      ],
    ],
  ];
  for (const [name, serviceAccount, spcName, expected] of cases) {
    void it(`${name}: its own message, and no claim of a last good value`, async (t) => {
      const secretSync = `id-${name
        .split(" ")
        .at(-1)!
        .toLowerCase()
        .replace(/[^a-z]/g, "")}-${serviceAccount}`;
      await kube.applySecretSync(ns, secretSync, sync(serviceAccount, spcName));
      const ready = await waitForReason(kube, ns, secretSync, Reason.providerError, 30_000);
      t.diagnostic(ready.message);
      assert.match(
        ready.message,
        /^no item could be fetched; no Secret was written \(there is no earlier value to keep\): value \(/,
      );
      for (const pattern of expected()) assert.match(ready.message, pattern);
    });
  }

  void it("an open circuit states the last underlying failure and the vault URL", async (t) => {
    // A port nothing listens on: bind and close it, so the vault URL answers "connection refused".
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const deadUrl = `https://127.0.0.1:${port}`;
    const broken = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [ns],
      controllerName: "broken-vault",
      vaultUrl: deadUrl,
      serveHttp: false,
      vaultWiring: {
        maxRetries: 0,
        backoff: { baseDelayMs: 20, maxDelayMs: 100 },
        circuitBreaker: { failureThreshold: 2, cooldownMs: 600_000 },
        caBundlePem: readFileSync(env.vault.caFile, "utf8"),
      },
    });
    try {
      await kube.applySecretSync(ns, "circuit", {
        ...sync("app-sa", "main"),
        secretSyncControllerName: "broken-vault",
      });
      let last = "";
      const ready = await waitForReason(kube, ns, "circuit", Reason.providerError, 30_000);
      last = ready.message;
      for (let i = 0; i < 100 && !last.includes("circuit open"); i++) {
        await new Promise((r) => setTimeout(r, 200));
        last = (await kube.ready(ns, "circuit"))?.message ?? "";
      }
      t.diagnostic(last);
      assert.match(
        last,
        new RegExp(
          `requests to vault "${env.vault.vaultName}" \\(${deadUrl.replace(/\./g, "\\.")}\\) are paused after repeated failures \\(circuit open\\)`,
        ),
      );
      assert.match(
        last,
        /last failure: Key Vault did not answer for secret "[^"]+" \(latest version\) in vault "[^"]+" \(connection refused, ECONNREFUSED\)/,
      );
    } finally {
      await broken.stop();
    }
  });
});
