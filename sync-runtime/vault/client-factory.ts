/**
 * Builds and caches the SDK clients the provider uses: one `ClientAssertionCredential` per workload identity
 * (its assertion is the identity's own ServiceAccount token from the injected source, so a SecretSync can
 * only ever act as an identity of its own namespace; there is no cluster-wide credential), and one
 * Secret/Key/Certificate client per (vault, identity). Both caches are bounded LRUs.
 *
 * A vault's 401 to a request that carried a token surfaces as {@link VaultTokenRejectedError} (before the SDK
 * re-sends the same token), and {@link VaultClientFactory.discard} drops an identity's credential and clients so
 * the next request exchanges a fresh ServiceAccount assertion: the SDK and MSAL would otherwise keep a refused
 * token until it nears its own expiry.
 */
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { ClientAssertionCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { KeyClient } from "@azure/keyvault-keys";
import { CertificateClient } from "@azure/keyvault-certificates";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { ObjectType } from "./types.ts";
import type { RequestIdentity, ServiceAccountTokenSource } from "./types.ts";
import { ServiceAccountTokenError, VaultTokenRejectedError } from "./errors.ts";
import { LruCache } from "./lru.ts";
import { clientKey, identityKey } from "./provider.ts";

/** Key Vault REST API version every client is pinned to. */
export const KEY_VAULT_SERVICE_VERSION = "7.6" as const;

/** Default vault URL rule (Azure public cloud). */
export const DEFAULT_VAULT_URL_TEMPLATE = "https://{name}.vault.azure.net";

/** Options of {@link VaultClientFactory}. */
export interface VaultClientFactoryOptions {
  /** Supplies each identity's ServiceAccount token (the client assertion). Required. */
  tokenSource: ServiceAccountTokenSource;
  /** Entra ID authority, e.g. the local identity endpoint. Default: @azure/identity's (login.microsoftonline.com). */
  authorityHost?: string;
  /** Skip Entra instance discovery (needed for non-Microsoft authorities such as the local one). Default false. */
  disableInstanceDiscovery?: boolean;
  /**
   * Vault URL rule: `{name}` is replaced by the vault name. Default `https://{name}.vault.azure.net`.
   * Must be https. For the local proving ground use the rule its env file publishes.
   */
  vaultUrlTemplate?: string;
  /**
   * Explicit URL per vault name (case-insensitive), taking precedence over `vaultUrlTemplate` — for endpoints
   * that serve one vault per port, such as the local emulator. Each must be https. Default none.
   */
  vaultUrls?: Readonly<Record<string, string>>;
  /**
   * PEM CA certificate(s) to trust in addition to Node's bundled roots, for both the vault and the authority
   * (e.g. the local endpoints' CA). TLS verification is never disabled. Default: none.
   */
  caBundlePem?: string;
  /** Most identities (credentials) kept. Default 256. */
  maxCachedIdentities?: number;
  /** Most (vault, identity) client sets kept. Default 512. */
  maxCachedClients?: number;
  /** Called with every HTTP response from a vault (the provider uses it to track the server's Date). */
  onVaultResponse?: (response: VaultResponseInfo) => void;
}

/** What the factory reports about each HTTP response from a vault. */
export interface VaultResponseInfo {
  vaultName: string;
  /** {@link clientKey} of the SDK client that received it. */
  clientKey: string;
  status: number;
  headers: { get(name: string): string | undefined };
}

/** The SDK clients for one (vault, identity); created lazily. */
export interface VaultClients {
  readonly vaultUrl: string;
  secrets(): SecretClient;
  keys(): KeyClient;
  certificates(): CertificateClient;
}

/** Expands the vault URL rule; rejects anything that is not an https URL. */
export function vaultUrlFor(template: string, vaultName: string): string {
  const url = new URL(template.replaceAll("{name}", vaultName));
  if (url.protocol !== "https:")
    throw new Error(`vaultUrlTemplate must produce an https URL, got ${url.protocol}`);
  return url.toString().replace(/\/$/, "");
}

/**
 * True for hosts without a domain the SDK's challenge-resource check could compare with the challenge's resource
 * (`vault.azure.net`): loopback names (localhost, *.localhost) and IP literals (e.g. a local vault reached from a
 * pod through its node's address). The check is skipped for them; every vault under a domain name keeps it.
 */
export function isHostWithoutDomain(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || isIP(host) !== 0;
}

/**
 * True for a Continuous Access Evaluation challenge (`error="insufficient_claims"`), which the SDK answers itself
 * with a token carrying the claims; every other 401 to a token means the token was refused.
 */
export function isClaimsChallenge(wwwAuthenticate: string | undefined): boolean {
  return wwwAuthenticate !== undefined && /error="?insufficient_claims"?/i.test(wwwAuthenticate);
}

/** The `error.code` of a Key Vault error body, when it is identifier-like (never echo anything else). */
export function keyVaultErrorCodeOf(body: string | null | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Validates factory options once, naming the option and what is allowed. */
export function validateFactoryOptions(options: VaultClientFactoryOptions): void {
  const template = options.vaultUrlTemplate ?? DEFAULT_VAULT_URL_TEMPLATE;
  if (!template.includes("{name}")) throw new Error("vaultUrlTemplate must contain {name}");
  vaultUrlFor(template, "probe");
  for (const [name, url] of Object.entries(options.vaultUrls ?? {})) {
    if (new URL(url).protocol !== "https:") throw new Error(`vaultUrls.${name} must be an https URL`);
  }
  if (options.authorityHost !== undefined && new URL(options.authorityHost).protocol !== "https:") {
    throw new Error("authorityHost must be an https URL");
  }
  if (options.caBundlePem !== undefined && !options.caBundlePem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error("caBundlePem must hold PEM certificates");
  }
}

/** See module doc. */
export class VaultClientFactory {
  private readonly options: VaultClientFactoryOptions;
  private readonly template: string;
  private readonly explicitUrls: ReadonlyMap<string, string>;
  private readonly tlsOptions: { ca: string[] } | undefined;
  private readonly credentials: LruCache<string, TokenCredential>;
  private readonly clients: LruCache<string, VaultClients>;
  /** Per identity: how often its credentials were discarded (the provider keys its first-request gate on it). */
  private readonly generations: LruCache<string, number>;
  /** Identities whose next credential must start from a fresh ServiceAccount token. */
  private readonly wantFresh = new Set<string>();

  constructor(options: VaultClientFactoryOptions) {
    validateFactoryOptions(options);
    this.options = options;
    this.template = options.vaultUrlTemplate ?? DEFAULT_VAULT_URL_TEMPLATE;
    this.explicitUrls = new Map(
      Object.entries(options.vaultUrls ?? {}).map(([name, url]) => [
        name.toLowerCase(),
        url.replace(/\/$/, ""),
      ]),
    );
    // One shared object: the HTTP client caches its TLS agent per settings object.
    this.tlsOptions = options.caBundlePem ? { ca: [...rootCertificates, options.caBundlePem] } : undefined;
    this.credentials = new LruCache(options.maxCachedIdentities ?? 256);
    this.clients = new LruCache(options.maxCachedClients ?? 512);
    this.generations = new LruCache(options.maxCachedIdentities ?? 256);
  }

  /** How often `identity`'s credentials were discarded (0 at first): new clients after each discard. */
  generation(identity: RequestIdentity): number {
    return this.generations.peek(identityKey(identity)) ?? 0;
  }

  /**
   * Drops the identity's credential (with its cached vault token) and its clients for every vault; the next
   * request builds new ones, whose first token exchange uses a fresh ServiceAccount token.
   */
  discard(identity: RequestIdentity): void {
    const key = identityKey(identity);
    this.credentials.delete(key);
    const suffix = `\u0000${key}`;
    for (const clientSetKey of [...this.clients.keys()]) {
      if (clientSetKey.endsWith(suffix)) this.clients.delete(clientSetKey);
    }
    this.generations.set(key, this.generation(identity) + 1);
    this.wantFresh.add(key);
    if (this.wantFresh.size > 4096) this.wantFresh.delete(this.wantFresh.values().next().value!);
  }

  /** The URL the vault name maps to. */
  vaultUrl(vaultName: string): string {
    const explicit = this.explicitUrls.get(vaultName.toLowerCase());
    return explicit ?? vaultUrlFor(this.template, vaultName);
  }

  /** The credential of one identity (cached). */
  credential(identity: RequestIdentity): TokenCredential {
    const key = identityKey(identity);
    const cached = this.credentials.get(key);
    if (cached) return cached;
    const tokenSource = this.options.tokenSource;
    let fresh = this.wantFresh.delete(key);
    const credential = new ClientAssertionCredential(
      identity.tenantId,
      identity.clientId,
      async () => {
        try {
          const token = await tokenSource(identity, fresh ? { fresh: true } : undefined);
          fresh = false;
          return token;
        } catch (cause) {
          throw new ServiceAccountTokenError(
            `ServiceAccount token request failed for ${identity.namespace}/${identity.serviceAccountName}`,
            { cause },
          );
        }
      },
      {
        authorityHost: this.options.authorityHost || undefined,
        disableInstanceDiscovery: this.options.disableInstanceDiscovery ?? false,
        tlsOptions: this.tlsOptions,
      },
    );
    this.credentials.set(key, credential);
    return credential;
  }

  /** The clients of one (vault, identity) (cached). */
  clientsFor(vaultName: string, identity: RequestIdentity): VaultClients {
    const key = `${vaultName.toLowerCase()}\u0000${identityKey(identity)}`;
    const cached = this.clients.get(key);
    if (cached) return cached;
    const vaultUrl = this.vaultUrl(vaultName);
    const credential = this.credential(identity);
    const clientOptions = (objectType: ObjectType) => ({
      serviceVersion: KEY_VAULT_SERVICE_VERSION,
      // Retries are the fetcher's job (budget, Retry-After, breaker); the SDK must not add hidden requests.
      retryOptions: { maxRetries: 0 },
      disableChallengeResourceVerification: isHostWithoutDomain(new URL(vaultUrl).hostname),
      additionalPolicies: [
        {
          policy: this.responsePolicy(vaultName, clientKey(vaultName, objectType, identity)),
          position: "perRetry" as const,
        },
      ],
      tlsOptions: this.tlsOptions,
    });
    let secrets: SecretClient | undefined;
    let keys: KeyClient | undefined;
    let certificates: CertificateClient | undefined;
    const set: VaultClients = {
      vaultUrl,
      secrets: () => (secrets ??= new SecretClient(vaultUrl, credential, clientOptions(ObjectType.secret))),
      keys: () => (keys ??= new KeyClient(vaultUrl, credential, clientOptions(ObjectType.key))),
      certificates: () =>
        (certificates ??= new CertificateClient(vaultUrl, credential, clientOptions(ObjectType.cert))),
    };
    this.clients.set(key, set);
    return set;
  }

  private responsePolicy(vaultName: string, key: string): PipelinePolicy {
    const observe = this.options.onVaultResponse;
    return {
      name: "keyfleetVaultResponseObserver",
      sendRequest: async (request, next) => {
        const response = await next(request);
        observe?.({
          vaultName,
          clientKey: key,
          status: response.status,
          headers: { get: (name) => response.headers.get(name) },
        });
        // A 401 to a request without a token is the challenge the SDK's first request asks for.
        if (
          response.status === 401 &&
          request.headers.has("authorization") &&
          !isClaimsChallenge(response.headers.get("www-authenticate"))
        ) {
          throw new VaultTokenRejectedError(vaultName, keyVaultErrorCodeOf(response.bodyAsText));
        }
        return response;
      },
    };
  }
}
