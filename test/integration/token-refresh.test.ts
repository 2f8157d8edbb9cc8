/**
 * Refused tokens against the real parts: a private instance of the local vault/identity stand-in (so rolling its
 * signing key over cannot disturb other test files) that verifies the real kube-apiserver's ServiceAccount
 * tokens, behind the counting proxy, read by the vault layer with real TokenRequest tokens. Proves that
 * - a token refused after a signing-key rollover costs one refused request, then one fresh exchange — the refused
 *   token is never sent again (the issue: 1,867 refused requests over 332 s);
 * - a token endpoint that forgot the client yields AccessDenied naming the exchange, a bounded number of exchanges
 *   while paused, and syncing resumes within the pause once the client is known again;
 * - a restarted stand-in (state kept) is not noticed at all.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { AzureLocalAdminClient } from "../azure-local/admin-client.ts";
import type { AzureLocalConfigInput } from "../azure-local/config.ts";
import { startAzureLocal } from "../azure-local/main.ts";
import type { AzureLocal } from "../azure-local/main.ts";
import { adminCredential, localVaultClients } from "../azure-local/sdk.ts";
import { createTestPki } from "../support/azure-local.ts";
import type { TestPki } from "../support/azure-local.ts";
import { startVaultProxy } from "../azure-local/vault-proxy.ts";
import { KubeClient } from "../../sync-runtime/kube/client.ts";
import { createTokenSource } from "../../sync-runtime/identity.ts";
import { createVaultLayer, ProviderErrorKind } from "../../sync-runtime/vault/index.ts";
import type {
  FetchResult,
  ObjectRequest,
  RequestIdentity,
  VaultLayer,
} from "../../sync-runtime/vault/index.ts";

const env = readLocalEnvironment();
const run = Date.now().toString(36);
const VAULT = "kv-refresh";
const PAUSE_BASE_MS = 500;
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const adminUser = (
  JSON.parse(readFileSync(env.kubernetes.adminKubeconfig, "utf8")) as {
    users: Array<{ user: { "client-certificate": string; "client-key": string } }>;
  }
).users[0]!.user;

let pki: TestPki;
let config: AzureLocalConfigInput;
let local: AzureLocal;
let admin: AzureLocalAdminClient;
let proxy: Awaited<ReturnType<typeof startVaultProxy>>;
let layer: VaultLayer;
let who: RequestIdentity;
const logLines: string[] = [];
const namespace = `tr-${run}`;

async function startLocal(): Promise<AzureLocal> {
  local = await startAzureLocal(config, { log: (line) => logLines.push(line) });
  admin = AzureLocalAdminClient.fromLocalIdentity(local.identity);
  return local;
}

async function register(clientId?: string): Promise<string> {
  const identity = await admin.createIdentity({ ...(clientId ? { clientId } : {}), name: "app" });
  await admin.federateServiceAccount(
    identity.clientId,
    env.kubernetes.serviceAccountIssuer,
    namespace,
    "app-sa",
  );
  return identity.clientId;
}

const req = (objectName: string): ObjectRequest => ({
  vaultName: VAULT,
  objectName,
  objectType: "secret",
  identity: who,
});
function value(result: FetchResult | undefined): string {
  assert.ok(result?.ok, result && !result.ok ? `${result.error.kind}: ${result.error.message}` : "no result");
  return result.versions[0]!.value.toString("utf8");
}
/** 401 answers to requests that carried a token (the SDK's token-less challenge round trips excluded). */
const refusedTokens = () => (proxy.counts().byStatus["401"] ?? 0) - proxy.counts().unauthenticated;

before(async () => {
  pki = createTestPki();
  config = {
    host: "127.0.0.1",
    tlsCertFile: pki.certFile,
    tlsKeyFile: pki.keyFile,
    caFile: pki.caFile,
    stateDir: path.join(pki.dir, "state"),
    tenantId: env.identity.tenantId,
    vaultNames: [VAULT],
    kubernetes: {
      apiServerUrl: env.kubernetes.apiServerUrl,
      caFile: env.kubernetes.caFile,
      clientCertFile: adminUser["client-certificate"],
      clientKeyFile: adminUser["client-key"],
      serviceAccountIssuer: env.kubernetes.serviceAccountIssuer,
    },
  };
  await startLocal();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "app-sa" } } });
  const clientId = await register();
  await admin.assignRole({ principalId: clientId, role: "Key Vault Secrets User", vaultName: VAULT });
  who = { namespace, serviceAccountName: "app-sa", tenantId: env.identity.tenantId, clientId };
  const clients = localVaultClients(local.vault!.url, adminCredential(local.identity), pki.caPem, {
    retryOptions: { maxRetries: 0 },
  });
  await clients.secrets.setSecret("db", `db-${run}`);
  proxy = await startVaultProxy({
    upstreamUrl: local.vault!.url,
    upstreamCaFile: pki.caFile,
    tlsCertFile: pki.certFile,
    tlsKeyFile: pki.keyFile,
  });
  layer = createVaultLayer({
    tokenSource: createTokenSource(new KubeClient(kc)),
    registry: new Registry(),
    authorityHost: local.identity.authorityHost,
    disableInstanceDiscovery: true,
    vaultUrls: { [VAULT]: proxy.url },
    caBundlePem: pki.caPem,
    maxObservationAgeMs: 0,
    backoff: { baseDelayMs: PAUSE_BASE_MS },
  });
  assert.equal(value((await layer.fetcher.fetch([req("db")]))[0]), `db-${run}`);
});

after(async () => {
  await proxy?.stop();
  admin?.close();
  await local?.stop();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  pki?.remove();
});

void describe("refused tokens on the local stand-in", () => {
  void it("after a signing-key rollover the refused token is sent once, then one fresh exchange resumes at once", async () => {
    proxy.reset();
    const before = layer.stats().tokenRefreshes;
    await admin.rotateSigningKey();
    assert.equal(value((await layer.fetcher.fetch([req("db")], { force: true }))[0]), `db-${run}`);
    assert.equal(refusedTokens(), 1, "the refused token was sent exactly once");
    assert.equal(layer.stats().tokenRefreshes - before, 1);
    assert.equal(value((await layer.fetcher.fetch([req("db")], { force: true }))[0]), `db-${run}`);
    assert.equal(refusedTokens(), 1, "and never again");
  });

  void it("a token endpoint that forgot the client: AccessDenied naming the exchange, bounded, resumes when it is back", async () => {
    await admin.deleteIdentity(who.clientId);
    await admin.rotateSigningKey(); // the cached token must go, so the next request needs an exchange
    proxy.reset();
    const exchangesBefore = logLines.filter((l) => l.includes(`unknown client ${who.clientId}`)).length;
    const [first] = await layer.fetcher.fetch([req("db")], { force: true });
    assert.ok(first && !first.ok);
    assert.equal(first.error.kind, ProviderErrorKind.accessDenied);
    assert.match(
      first.error.message,
      new RegExp(
        `identity exchange was refused \\(AADSTS700016\\): client id ${who.clientId} is not an application`,
      ),
    );
    assert.equal(first.error.retryAfterMs, PAUSE_BASE_MS);
    for (let i = 0; i < 20; i++) await layer.fetcher.fetch([req("db")], { force: true });
    const exchanges =
      logLines.filter((l) => l.includes(`unknown client ${who.clientId}`)).length - exchangesBefore;
    assert.ok(exchanges <= 2, `at most one exchange and one fresh retry while paused (saw ${exchanges})`);
    assert.equal(refusedTokens(), 1, "only the token signed with the retired key reached the vault refused");

    await register(who.clientId);
    const back = Date.now();
    for (;;) {
      const [result] = await layer.fetcher.fetch([req("db")], { force: true });
      if (result?.ok) break;
      assert.ok(Date.now() - back < 16 * PAUSE_BASE_MS + 5000, "resumes within the longest pause");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  void it("a restarted stand-in keeps its signing key: the cached token keeps working, nothing is refused", async () => {
    assert.equal(value((await layer.fetcher.fetch([req("db")], { force: true }))[0]), `db-${run}`);
    admin.close();
    await local.stop();
    await startLocal();
    proxy.reset();
    const refreshes = layer.stats().tokenRefreshes;
    assert.equal(value((await layer.fetcher.fetch([req("db")], { force: true }))[0]), `db-${run}`);
    assert.equal(refusedTokens(), 0);
    assert.equal(layer.stats().tokenRefreshes, refreshes);
  });
});
