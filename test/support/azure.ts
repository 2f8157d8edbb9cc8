/**
 * The local Azure side for the demo, the bench and the sync integration tests: registers a workload identity
 * (app identity + federated credential for `system:serviceaccount:<ns>:<sa>` + Key Vault Secrets User on the
 * vault) through the local management API, seeds secrets/keys/certificates with the real Key Vault SDK as the
 * admin client, and starts the counting/fault proxy in front of the vault. TLS is verified against the local CA.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import { rootCertificates } from "node:tls";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import type { LocalEnvironment } from "../../scripts/local/env.ts";
import { startVaultProxy } from "../azure-local/vault-proxy.ts";
import type { FaultRule as ProxyFaultRule } from "../azure-local/vault-proxy.ts";

/** The proxy's fault rule, as the sync tests use it. */
export interface FaultRule {
  /** Answer with this status (429, 403, 404, 5xx). */
  status?: number;
  /** Retry-After seconds on a 429. */
  retryAfterSeconds?: number;
  /** Drop connections instead (vault unreachable). */
  unreachable?: boolean;
  /** Only for this object name. Default all. */
  objectName?: string;
}

/** A counting/fault proxy in front of the local vault. */
export interface DemoProxy {
  url: string;
  /** Requests that reached the proxy since the last reset, by operation. */
  counts(): Record<string, number>;
  /** Total requests since the last reset. */
  total(): number;
  reset(): void;
  fail(rule: FaultRule): Promise<void>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link DemoAzure.createCertificate}. */
export interface CertificateOptions {
  /** Content type of the backing secret. Default application/x-pem-file. */
  contentType?: "application/x-pem-file" | "application/x-pkcs12";
  /** Key type. Default RSA (2048 bits); EC is P-256. */
  keyType?: "RSA" | "EC";
}

/** What the demo/tests do on the Azure side. */
export interface DemoAzure {
  /** Registers an identity for `namespace/serviceAccount` with read access to the vault; returns its client id. */
  registerWorkload(namespace: string, serviceAccount: string): Promise<string>;
  /** Sets a secret; returns the new version id. */
  setSecret(name: string, value: string, contentType?: string): Promise<string>;
  /** Deletes a secret (soft delete). */
  deleteSecret(name: string): Promise<void>;
  /** Recovers a soft-deleted secret. */
  recoverSecret(name: string): Promise<void>;
  /** Creates an RSA key; returns its version. */
  createKey(name: string): Promise<string>;
  /**
   * Creates a self-signed certificate; returns its version. Default: RSA 2048, content type
   * application/x-pem-file; `application/x-pkcs12` stores the backing secret as a base64 PFX (Key Vault's default).
   */
  createCertificate(name: string, options?: CertificateOptions): Promise<string>;
  startProxy(): Promise<DemoProxy>;
  close(): Promise<void>;
}

function requestJson(
  url: string,
  method: string,
  headers: Record<string, string>,
  ca: string[],
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, headers: { "content-type": "application/json", ...headers }, ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Opens the local Azure side described by the proving ground's env. */
export async function openAzure(env: LocalEnvironment): Promise<DemoAzure> {
  const extra = { ...env.identity.extra, ...env.vault.extra };
  const managementUrl = extra.managementUrl;
  const keyFile = extra.managementKeyFile;
  if (!managementUrl || !keyFile)
    throw new Error("the proving ground publishes no management API (identity.extra.managementUrl)");
  const headers = {
    [extra.managementKeyHeader ?? "x-keyfleet-management-key"]: readFileSync(keyFile, "utf8").trim(),
  };
  const localCa = [...new Set([env.vault.caFile, env.identity.caFile])].map((f) => readFileSync(f, "utf8"));
  const ca = [...rootCertificates, ...localCa];
  const manage = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const answer = await requestJson(`${managementUrl}${path}`, method, headers, ca, body);
    if (answer.status >= 300)
      throw new Error(`management ${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
    return (answer.json ?? {}) as Record<string, unknown>;
  };
  const admin: TokenCredential = {
    async getToken(): Promise<AccessToken> {
      const minted = await manage("POST", "/tokens", {});
      return {
        token: String(minted.accessToken),
        expiresOnTimestamp: Date.parse(String(minted.expiresOn)) || Date.now() + 300_000,
      };
    },
  };
  const options = {
    serviceVersion: "7.6" as const,
    disableChallengeResourceVerification: true,
    tlsOptions: { ca },
  };
  const secrets = new SecretClient(env.vault.url, admin, options);
  const keys = new KeyClient(env.vault.url, admin, options);
  const certificates = new CertificateClient(env.vault.url, admin, options);
  const issuer = env.kubernetes.serviceAccountIssuer;

  return {
    async registerWorkload(namespace, serviceAccount) {
      const identity = await manage("POST", "/identities", { name: `${namespace}-${serviceAccount}` });
      const clientId = String(identity.clientId);
      await manage("PUT", `/identities/${clientId}/federated-credentials/${namespace}-${serviceAccount}`, {
        issuer,
        subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
        audiences: ["api://AzureADTokenExchange"],
      });
      await manage("POST", "/role-assignments", {
        principalId: clientId,
        role: "Key Vault Secrets User",
        vaultName: env.vault.vaultName,
      });
      await manage("POST", "/role-assignments", {
        principalId: clientId,
        role: "Key Vault Reader",
        vaultName: env.vault.vaultName,
      });
      return clientId;
    },
    async setSecret(name, value, contentType) {
      const set = await secrets.setSecret(name, value, contentType ? { contentType } : {});
      return set.properties.version ?? "";
    },
    async deleteSecret(name) {
      const poller = await secrets.beginDeleteSecret(name);
      await poller.pollUntilDone();
    },
    async recoverSecret(name) {
      const poller = await secrets.beginRecoverDeletedSecret(name);
      await poller.pollUntilDone();
    },
    async createKey(name) {
      const key = await keys.createRsaKey(name, { keySize: 2048 });
      return key.properties.version ?? "";
    },
    async createCertificate(name, options = {}) {
      const poller = await certificates.beginCreateCertificate(name, {
        issuerName: "Self",
        subject: `CN=${name}.example`,
        contentType: options.contentType ?? "application/x-pem-file",
        ...(options.keyType === "EC"
          ? { keyType: "EC", keyCurveName: "P-256" }
          : { keyType: "RSA", keySize: 2048 }),
      });
      const cert = await poller.pollUntilDone();
      return cert.properties.version ?? "";
    },
    async startProxy() {
      return startDemoProxy(env);
    },
    async close() {
      // Clients hold no sockets worth closing; kept for symmetry with startProxy/stop.
    },
  };
}

/** Starts the counting/fault proxy (test/azure-local/vault-proxy.ts) in front of the local vault. */
export async function startDemoProxy(env: LocalEnvironment): Promise<DemoProxy> {
  const pki = `${env.stateDir}/pki`;
  const proxy = await startVaultProxy({
    upstreamUrl: env.vault.url,
    upstreamCaFile: env.vault.caFile,
    tlsCertFile: `${pki}/serving.crt`,
    tlsKeyFile: `${pki}/serving.key`,
  });
  return {
    url: proxy.url,
    counts: () =>
      Object.fromEntries(Object.entries(proxy.counts().operations).map(([op, c]) => [op, c.total])),
    total: () => proxy.counts().total,
    reset: () => proxy.reset(),
    fail: (rule) => proxy.setFaults([toProxyRule(rule)]),
    clear: () => proxy.clearFaults(),
    stop: () => proxy.stop(),
  };
}

/** Maps the sync tests' fault rule to the proxy's rule shape (pure). */
export function toProxyRule(rule: FaultRule): ProxyFaultRule {
  const fault: ProxyFaultRule["fault"] = rule.unreachable
    ? { kind: "unreachable" }
    : {
        kind: "status",
        status: rule.status ?? 503,
        ...(rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : {}),
      };
  return { fault, ...(rule.objectName ? { objectName: rule.objectName } : {}) };
}
