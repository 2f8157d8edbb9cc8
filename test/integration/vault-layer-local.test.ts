/**
 * The vault layer against the real local parts: the Key Vault emulator (a dedicated vault per run) behind the
 * counting/fault proxy, the identity endpoint exchanging real kube-apiserver ServiceAccount tokens, and the
 * real Azure SDK clients. Proves request savings counted on the vault side, versions, keys, certificates,
 * identity isolation, and that every vault fault yields a typed error and never content.
 */
import assert from "node:assert/strict";
import { createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";
import { rootCertificates } from "node:tls";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import * as k8s from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { startVaultProxy } from "../azure-local/vault-proxy.ts";
import type { ProxyOperation } from "../azure-local/vault-proxy.ts";
import { AzureVaultProvider } from "../../sync-runtime/vault/azure-provider.ts";
import { systemClock } from "../../sync-runtime/clock.ts";
import { createVaultLayer, ProviderErrorKind } from "../../sync-runtime/vault/index.ts";
import { OneGetPerItemFetcher } from "../support/one-get-per-item-fetcher.ts";
import type {
  FetchResult,
  ObjectRequest,
  RequestIdentity,
  VaultLayer,
} from "../../sync-runtime/vault/index.ts";

const env = readLocalEnvironment();
const run = Date.now().toString(36);
const VAULT = `vl${run}`.slice(0, 24);
const TOKEN_AUDIENCE = "api://AzureADTokenExchange";
const localCa = [...new Set([env.vault.caFile, env.identity.caFile])]
  .map((f) => readFileSync(f, "utf8"))
  .join("\n");
const ca = [...rootCertificates, localCa];
const extra = { ...env.identity.extra, ...env.vault.extra };

// ---------- the local Azure side (management API + admin SDK clients) ----------

async function manage(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const headers = {
    "content-type": "application/json",
    [extra.managementKeyHeader ?? "x-keyfleet-management-key"]: readFileSync(
      String(extra.managementKeyFile),
      "utf8",
    ).trim(),
  };
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(`${extra.managementUrl}${path}`, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
  if (answer.status >= 300) throw new Error(`management ${method} ${path}: HTTP ${answer.status}`);
  return (answer.text ? JSON.parse(answer.text) : {}) as Record<string, unknown>;
}

const adminCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    const minted = await manage("POST", "/tokens", {});
    return { token: String(minted.accessToken), expiresOnTimestamp: Date.now() + 240_000 };
  },
};

const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);

async function workload(namespace: string, roles: string[]): Promise<RequestIdentity> {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "app-sa" } } });
  const created = await manage("POST", "/identities", { name: `${namespace}-app-sa` });
  const clientId = String(created.clientId);
  await manage("PUT", `/identities/${clientId}/federated-credentials/${namespace}`, {
    issuer: env.kubernetes.serviceAccountIssuer,
    subject: `system:serviceaccount:${namespace}:app-sa`,
    audiences: [TOKEN_AUDIENCE],
  });
  for (const role of roles)
    await manage("POST", "/role-assignments", { principalId: clientId, role, vaultName: VAULT });
  return { namespace, serviceAccountName: "app-sa", tenantId: env.identity.tenantId, clientId };
}

/** The runtime's token source: TokenRequest on the real kube-apiserver for the identity's own ServiceAccount. */
async function tokenSource(identity: RequestIdentity): Promise<string> {
  const answer = await core.createNamespacedServiceAccountToken({
    namespace: identity.namespace,
    name: identity.serviceAccountName,
    body: { spec: { audiences: [TOKEN_AUDIENCE], expirationSeconds: 600 } },
  });
  return answer.status?.token ?? "";
}

// ---------- fixture ----------

let vaultUrl = "";
let secrets: SecretClient;
let keys: KeyClient;
let certificates: CertificateClient;
let proxy: Awaited<ReturnType<typeof startVaultProxy>>;
let teamA: RequestIdentity;
let teamB: RequestIdentity;
let noAccess: RequestIdentity;
const namespaces: string[] = [];
const NAMES = Array.from({ length: 50 }, (_, i) => `fleet-secret-${i}`);
const valueOf = (name: string, generation = 1) => `v${generation}-${name}-${run}`;

function layer(
  overrides: Parameters<typeof createVaultLayer>[0] extends infer O ? Partial<O> : never = {},
): VaultLayer {
  return createVaultLayer({
    tokenSource,
    registry: new Registry(),
    authorityHost: env.identity.authorityHost,
    disableInstanceDiscovery: true,
    vaultUrls: { [VAULT]: proxy.url },
    caBundlePem: localCa,
    maxObservationAgeMs: 0,
    backoff: { baseDelayMs: 20 },
    ...overrides,
  });
}

const req = (
  objectName: string,
  identity: RequestIdentity,
  more: Partial<ObjectRequest> = {},
): ObjectRequest => ({
  vaultName: VAULT,
  objectName,
  objectType: "secret",
  identity,
  ...more,
});

function text(result: FetchResult | undefined, index = 0): string {
  assert.ok(result?.ok, result && !result.ok ? `${result.error.kind}: ${result.error.message}` : "no result");
  return result.versions[index]!.value.toString("utf8");
}
const kind = (result: FetchResult | undefined) => (result?.ok ? "ok" : result?.error.kind);

/** Requests that reached the proxy since the last reset (all, including the SDK's one-time auth challenges). */
function vaultRequests(): number {
  return proxy.counts().total;
}
/** Authenticated requests of one operation since the last reset. */
function authenticated(operation: ProxyOperation): number {
  const op = proxy.counts().operations[operation];
  return op.total - (op.byStatus["401"] ?? 0);
}

before(async () => {
  const created = await manage("POST", "/vaults", { name: VAULT });
  vaultUrl = String(created.url);
  const options = {
    serviceVersion: "7.6" as const,
    disableChallengeResourceVerification: true,
    tlsOptions: { ca },
  };
  secrets = new SecretClient(vaultUrl, adminCredential, options);
  keys = new KeyClient(vaultUrl, adminCredential, options);
  certificates = new CertificateClient(vaultUrl, adminCredential, options);
  const pki = `${env.stateDir}/pki`;
  proxy = await startVaultProxy({
    upstreamUrl: vaultUrl,
    upstreamCaFile: env.vault.caFile,
    tlsCertFile: `${pki}/serving.crt`,
    tlsKeyFile: `${pki}/serving.key`,
  });
  const ns = (s: string) => {
    namespaces.push(`vl-${s}-${run}`);
    return `vl-${s}-${run}`;
  };
  // Reader adds keys/read and certificates/read for the key and certificate reads.
  teamA = await workload(ns("a"), ["Key Vault Secrets User", "Key Vault Reader"]);
  // Least privilege: Secrets User alone reads values and lists metadata (readMetadata) — enough for listings.
  teamB = await workload(ns("b"), ["Key Vault Secrets User"]);
  noAccess = await workload(ns("none"), []);
  for (const name of NAMES) await secrets.setSecret(name, valueOf(name));
  // Let the vault's clock move past the creation second (not a timing assertion: the proof needs a later second).
  await sleep(2100);
});

after(async () => {
  await proxy?.stop();
  for (const namespace of namespaces) await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

void describe("vault layer on the local vault: request savings (counted by the proxy)", () => {
  void it("50 objects shared by 500 requests: cold = one GET per (object, identity); steady ≥10x below one GET per item", async () => {
    const registry = new Registry();
    const vault = layer({ registry });
    // 500 requests: both identities ask for every object five times (five SecretSyncs per namespace).
    const requests = [teamA, teamB].flatMap((who) =>
      NAMES.flatMap((name) => Array.from({ length: 5 }, () => req(name, who))),
    );
    assert.equal(requests.length, 500);
    proxy.reset();
    const cold = await vault.fetcher.fetch(requests);
    cold.forEach((r, i) => assert.equal(text(r), valueOf(requests[i]!.objectName)));
    assert.equal(authenticated("getSecret"), 100, "one GET per distinct (object, identity)");

    await sleep(1100); // a later vault second, so the GETs' anchors prove the listing
    proxy.reset();
    const steady = await vault.fetcher.fetch(requests);
    steady.forEach((r, i) => assert.equal(text(r), valueOf(requests[i]!.objectName)));
    const steadyCount = vaultRequests();
    assert.equal(authenticated("listSecrets"), 2, "50 objects = 2 listing pages of 25");
    assert.equal(steadyCount, 2, "nothing else: no GET, no challenge");
    const metrics = await registry.metrics();
    assert.match(
      metrics,
      /keyvault_requests_total\{vault="[^"]+",operation="list_objects",outcome="success"\} 2/,
    );
    assert.ok(!NAMES.some((name) => metrics.includes(valueOf(name))), "no value in any metric");

    proxy.reset();
    const upstream = new OneGetPerItemFetcher(
      new AzureVaultProvider({
        clock: systemClock,
        tokenSource,
        authorityHost: env.identity.authorityHost,
        disableInstanceDiscovery: true,
        vaultUrls: { [VAULT]: proxy.url },
        caBundlePem: localCa,
      }),
    );
    (await upstream.fetch(requests)).forEach((r, i) =>
      assert.equal(text(r), valueOf(requests[i]!.objectName)),
    );
    const oneGetPerItem = authenticated("getSecret");
    assert.equal(oneGetPerItem, 500);
    assert.ok(
      oneGetPerItem / steadyCount >= 10,
      `steady ${steadyCount} vs one GET per item ${oneGetPerItem}`,
    );
  });

  void it("a rotated secret is detected by the listing and only that object is read again", async () => {
    const vault = layer();
    const requests = NAMES.slice(0, 10).map((name) => req(name, teamA));
    await vault.fetcher.fetch(requests);
    await sleep(1100);
    await secrets.setSecret(NAMES[3]!, valueOf(NAMES[3]!, 2));
    await sleep(1100);
    proxy.reset();
    const results = await vault.fetcher.fetch(requests);
    assert.equal(text(results[3]), valueOf(NAMES[3]!, 2));
    assert.equal(text(results[4]), valueOf(NAMES[4]!));
    assert.equal(authenticated("getSecret"), 1, "only the rotated object is read");
  });

  void it("coalesces concurrent fetch calls into one GET", async () => {
    const vault = layer();
    await secrets.setSecret("shared-one", "shared");
    proxy.reset();
    const all = await Promise.all(
      Array.from({ length: 25 }, () => vault.fetcher.fetch([req("shared-one", teamA)])),
    );
    all.forEach(([r]) => assert.equal(text(r), "shared"));
    assert.equal(authenticated("getSecret"), 1);
  });
});

void describe("vault layer on the local vault: versions, keys, certificates", () => {
  void it("returns version history newest first and pinned versions", async () => {
    const v1 = (await secrets.setSecret("rotating", "one")).properties.version!;
    await secrets.setSecret("rotating", "two");
    await sleep(1100); // distinct `created` seconds keep the order unambiguous
    const v3 = (await secrets.setSecret("rotating", "three")).properties.version!;
    const vault = layer();
    const [history, pinned] = await vault.fetcher.fetch([
      req("rotating", teamA, { versionHistory: 3 }),
      req("rotating", teamA, { objectVersion: v1 }),
    ]);
    assert.ok(history?.ok);
    assert.equal(history.versions[0]!.version, v3);
    assert.deepEqual(history.versions.map((v) => v.value.toString()).sort(), ["one", "three", "two"]);
    assert.equal(history.versions[0]!.value.toString(), "three");
    assert.equal(text(pinned), "one");
    proxy.reset();
    await vault.fetcher.fetch([req("rotating", teamA, { objectVersion: v1 })]);
    assert.equal(vaultRequests(), 0, "an immutable pinned version is served from the cache");
  });

  void it("reads a key as SPKI PEM and a certificate as PEM", async () => {
    const key = await keys.createRsaKey("signing-key", { keySize: 2048 });
    const poller = await certificates.beginCreateCertificate("tls-cert", {
      issuerName: "Self",
      subject: "CN=tls-cert.example",
      contentType: "application/x-pem-file",
    });
    const cert = await poller.pollUntilDone();
    const vault = layer();
    const [k, c] = await vault.fetcher.fetch([
      { ...req("signing-key", teamA), objectType: "key" },
      { ...req("tls-cert", teamA), objectType: "cert" },
    ]);
    const pem = createPublicKey(text(k));
    assert.equal(pem.asymmetricKeyType, "rsa");
    assert.equal(pem.export({ format: "jwk" }).n, Buffer.from(key.key!.n!).toString("base64url"));
    const x509 = new X509Certificate(text(c));
    assert.deepEqual(x509.raw, Buffer.from(cert.cer!));
  });
});

void describe("vault layer on the local vault: identity and errors", () => {
  void it("never serves another identity's cached content: no role → AccessDenied", async () => {
    const vault = layer();
    const [a, none] = await vault.fetcher.fetch([req(NAMES[0]!, teamA), req(NAMES[0]!, noAccess)]);
    assert.equal(text(a), valueOf(NAMES[0]!));
    assert.equal(kind(none), ProviderErrorKind.accessDenied);
    assert.ok(none && !none.ok && !none.error.message.includes(valueOf(NAMES[0]!)));
  });

  void it("namespace B's ServiceAccount cannot use namespace A's identity (token exchange refused)", async () => {
    const vault = layer();
    const [stolen] = await vault.fetcher.fetch([req(NAMES[0]!, { ...teamB, clientId: teamA.clientId })]);
    assert.equal(kind(stolen), ProviderErrorKind.accessDenied);
  });

  void it("a deleted secret answers NotFound, and nothing that could blank a Secret", async () => {
    await secrets.setSecret("short-lived", "here");
    const vault = layer();
    assert.equal(text((await vault.fetcher.fetch([req("short-lived", teamA)]))[0]), "here");
    await (await secrets.beginDeleteSecret("short-lived")).pollUntilDone();
    const [gone] = await vault.fetcher.fetch([req("short-lived", teamA)]);
    assert.equal(kind(gone), ProviderErrorKind.notFound);
    assert.ok(gone && !gone.ok && !("versions" in gone));
  });
});

void describe("vault layer on the local vault: injected faults (proxy)", () => {
  const target = NAMES[7]!;
  const fresh = () => layer({ maxRetries: 3, circuitBreaker: { failureThreshold: 4, cooldownMs: 60_000 } });

  void it("429 with Retry-After: waits as told, then succeeds", async () => {
    const vault = fresh();
    await proxy.setFaults([
      {
        operation: "getSecret",
        objectName: target,
        fault: { kind: "status", status: 429, retryAfterSeconds: 1 },
        times: 2,
      },
    ]);
    proxy.reset();
    const [r] = await vault.fetcher.fetch([req(target, teamA)]);
    await proxy.clearFaults();
    assert.equal(text(r), valueOf(target));
    assert.equal(proxy.counts().operations.getSecret.byStatus["429"], 2);
    assert.equal(vault.stats().throttled, 2);
  });

  void it("429 storm without Retry-After: backs off, gives up with Throttled and no content", async () => {
    const vault = fresh();
    await proxy.setFaults([{ operation: "getSecret", fault: { kind: "status", status: 429 } }]);
    proxy.reset();
    const [r] = await vault.fetcher.fetch([req(target, teamA)]);
    assert.equal(kind(r), ProviderErrorKind.throttled);
    assert.ok(r && !r.ok && r.error.retryAfterMs !== undefined);
    assert.equal(proxy.counts().operations.getSecret.byStatus["429"], 4, "1 try + 3 retries, no more");
    const [blocked] = await vault.fetcher.fetch([req(target, teamA)]);
    assert.equal(kind(blocked), ProviderErrorKind.circuitOpen);
    assert.equal(proxy.counts().operations.getSecret.byStatus["429"], 4, "an open circuit sends nothing");
    assert.equal(vault.circuitState(VAULT), "open");
    await proxy.clearFaults();
  });

  void it("5xx: retried, then Unavailable", async () => {
    const vault = fresh();
    await proxy.setFaults([{ operation: "getSecret", fault: { kind: "status", status: 503 } }]);
    proxy.reset();
    const [r] = await vault.fetcher.fetch([req(target, teamA)]);
    await proxy.clearFaults();
    assert.equal(kind(r), ProviderErrorKind.unavailable);
    assert.equal(r && !r.ok && r.error.httpStatus, 503);
  });

  void it("connection reset and unreachable vault: Unavailable", async () => {
    const vault = fresh();
    await proxy.setFaults([{ fault: { kind: "reset" } }]);
    const [reset] = await vault.fetcher.fetch([req(target, teamA)]);
    assert.equal(kind(reset), ProviderErrorKind.unavailable);
    const other = fresh();
    await proxy.setFaults([{ fault: { kind: "unreachable" } }]);
    const [refused] = await other.fetcher.fetch([req(target, teamA)]);
    await proxy.clearFaults();
    assert.equal(kind(refused), ProviderErrorKind.unavailable);
  });

  void it("403 and 404 answers map to AccessDenied and NotFound without retries", async () => {
    const vault = fresh();
    await proxy.setFaults([
      { operation: "getSecret", objectName: target, fault: { kind: "status", status: 403 }, times: 1 },
    ]);
    proxy.reset();
    const [denied] = await vault.fetcher.fetch([req(target, teamA)]);
    assert.equal(kind(denied), ProviderErrorKind.accessDenied);
    await proxy.setFaults([
      { operation: "getSecret", objectName: target, fault: { kind: "status", status: 404 }, times: 1 },
    ]);
    const [missing] = await vault.fetcher.fetch([req(target, teamA)]);
    await proxy.clearFaults();
    assert.equal(kind(missing), ProviderErrorKind.notFound);
    assert.equal(proxy.counts().injected, 2, "no retries of 403/404");
  });
});
