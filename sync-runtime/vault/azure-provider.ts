/**
 * {@link VaultProvider} over the Azure SDK (@azure/keyvault-secrets, -keys, -certificates, API 7.6). Only the
 * calls keyfleet uses; every SDK failure leaves this file as a {@link ProviderError} whose message names the
 * vault, object and version and never a value.
 */
import type { Clock } from "../clock.ts";
import { VaultClientFactory } from "./client-factory.ts";
import type { VaultClientFactoryOptions, VaultResponseInfo } from "./client-factory.ts";
import { ProviderError, mapProviderError } from "./errors.ts";
import { AllowedValue, ProviderMessage } from "./messages.ts";
import type { MessageSubject } from "./messages.ts";
import { NoPublicKeyError, derCertificateToPem, jwkToSpkiPem } from "./pem.ts";
import { LruCache } from "./lru.ts";
import { LIST_PAGE_SIZE, NamePattern, clientKey } from "./provider.ts";
import type {
  ListPage,
  ListedObject,
  ObjectVersionRecord,
  PageCursor,
  VaultObjectRef,
  VaultProvider,
  VersionAttributes,
} from "./provider.ts";
import { ObjectType, ProviderErrorKind } from "./types.ts";
import type { RequestIdentity } from "./types.ts";

/** Properties every SDK model shares (SecretProperties, KeyProperties, CertificateProperties). */
interface SdkProperties {
  name?: string;
  id?: string;
  version?: string;
  createdOn?: Date;
  updatedOn?: Date;
  enabled?: boolean;
  contentType?: string;
  x509Thumbprint?: Uint8Array;
}

const toSec = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : Math.floor(date.getTime() / 1000);

function attributesOf(p: SdkProperties): VersionAttributes {
  return {
    version: p.version ?? "",
    id: p.id ?? "",
    createdOnSec: p.createdOn ? toSec(p.createdOn) : undefined,
    updatedOnSec: p.updatedOn ? toSec(p.updatedOn) : undefined,
    enabled: p.enabled,
  };
}

function listedOf(p: SdkProperties): ListedObject {
  return {
    objectName: p.name ?? "",
    createdOnSec: p.createdOn ? toSec(p.createdOn) : undefined,
    updatedOnSec: p.updatedOn ? toSec(p.updatedOn) : undefined,
    enabled: p.enabled,
    thumbprint: p.x509Thumbprint ? Buffer.from(p.x509Thumbprint).toString("hex") : undefined,
  };
}

/** Rejects names that Key Vault would refuse (and that must never be spliced into a URL). */
export function validateRef(ref: VaultObjectRef, version: string | undefined): void {
  const subject: MessageSubject = { ...ref, version: version || undefined };
  const invalid = (field: string, allowed: string): never => {
    throw new ProviderError({
      kind: ProviderErrorKind.invalidRequest,
      message: ProviderMessage.invalidName(subject, field, allowed),
    });
  };
  if (!NamePattern.vault.test(ref.vaultName)) invalid("keyvaultName", AllowedValue.vaultName);
  if (!NamePattern.object.test(ref.objectName)) invalid("objectName", AllowedValue.objectName);
  if (version !== undefined && version !== "" && !NamePattern.version.test(version))
    invalid("objectVersion", AllowedValue.objectVersion);
  if (!Object.values(ObjectType).includes(ref.objectType))
    invalid("objectType", Object.values(ObjectType).join(", "));
}

/** Wraps an SDK page iterator as a one-request-per-call cursor with error mapping. */
function cursorOver<T, R>(
  open: () => AsyncIterator<T[]>,
  map: (item: T) => R,
  subject: MessageSubject,
  clock: Clock,
): PageCursor<R> {
  let iterator: AsyncIterator<T[]> | undefined;
  let finished = false;
  return {
    async nextPage(): Promise<ListPage<R>> {
      if (finished) return { items: [], done: true };
      try {
        iterator ??= open();
        const result = await iterator.next();
        if (result.done) {
          finished = true;
          return { items: [], done: true };
        }
        return { items: result.value.map(map), done: false };
      } catch (error) {
        finished = true;
        throw new ProviderError(mapProviderError(error, subject, clock.nowMs()), { cause: error });
      }
    },
  };
}

/** Options of {@link AzureVaultProvider}: the client factory's options plus a clock. */
export interface AzureVaultProviderOptions extends Omit<VaultClientFactoryOptions, "onVaultResponse"> {
  /** Time source (Retry-After dates). */
  clock: Clock;
}

/** See module doc. */
export class AzureVaultProvider implements VaultProvider {
  private readonly factory: VaultClientFactory;
  private readonly clock: Clock;
  private readonly watermarks = new Map<string, number>();
  /** Clients whose Key Vault challenge (first, token-less request) has been done. */
  private readonly warmed = new LruCache<string, true>(4096);
  private readonly warming = new Map<string, Promise<void>>();
  /** Clients whose exclusive first request is in flight → Date of the auth challenge it received. */
  private readonly challengeWatch = new Map<string, number | undefined>();

  constructor(options: AzureVaultProviderOptions) {
    this.clock = options.clock;
    this.factory = new VaultClientFactory({
      ...options,
      onVaultResponse: (response) => this.observe(response),
    });
  }

  /** The URL a vault name maps to (for diagnostics). */
  vaultUrl(vaultName: string): string {
    return this.factory.vaultUrl(vaultName);
  }

  serverTimeWatermarkSec(vaultName: string): number | undefined {
    return this.watermarks.get(vaultName.toLowerCase());
  }

  discardCredentials(identity: RequestIdentity): void {
    this.factory.discard(identity);
  }

  /** First-request gate key: new SDK clients after a discard need their own auth challenge. */
  private gateKey(vaultName: string, objectType: ObjectType, identity: RequestIdentity): string {
    return `${clientKey(vaultName, objectType, identity)}\u0000${this.factory.generation(identity)}`;
  }

  private observe(response: VaultResponseInfo): void {
    const date = response.headers.get("date");
    if (!date) return;
    const ms = Date.parse(date);
    if (Number.isNaN(ms)) return;
    const key = response.vaultName.toLowerCase();
    const sec = Math.floor(ms / 1000);
    if (sec > (this.watermarks.get(key) ?? 0)) this.watermarks.set(key, sec);
    if (response.status === 401 && this.challengeWatch.has(response.clientKey)) {
      this.challengeWatch.set(response.clientKey, sec);
    }
  }

  /**
   * The SDK's Key Vault policy sends a client's first request without a token to learn the challenge, and
   * does so for every request that starts before the challenge completed. Letting one request go first per
   * client keeps that to one extra (unauthenticated) request per client instead of one per concurrent call.
   */
  private async firstRequestGate<T>(key: string, send: (exclusive: boolean) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.warmed.peek(key)) return send(false);
      const pending = this.warming.get(key);
      if (!pending) break;
      await pending;
    }
    const run = send(true);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.warming.set(key, settled);
    void settled.then(() => {
      this.warmed.set(key, true);
      this.warming.delete(key);
    });
    return run;
  }

  async getObject(
    ref: VaultObjectRef,
    identity: RequestIdentity,
    version?: string,
  ): Promise<ObjectVersionRecord> {
    validateRef(ref, version);
    const subject: MessageSubject = { ...ref, version: version || undefined, identity };
    let record: ObjectVersionRecord;
    try {
      const key = clientKey(ref.vaultName, ref.objectType, identity);
      const gate = this.gateKey(ref.vaultName, ref.objectType, identity);
      record = await this.firstRequestGate(gate, async (exclusive) => {
        let sentAfterServerSec = this.serverTimeWatermarkSec(ref.vaultName);
        if (exclusive) this.challengeWatch.set(key, undefined);
        try {
          const raw = await this.getRaw(ref, identity, version || undefined, subject);
          // A client's first request is sent alone: its auth challenge (401) was answered before the
          // authenticated GET went out, so that answer's Date is a valid lower bound too.
          const challengeSec = exclusive ? this.challengeWatch.get(key) : undefined;
          if (challengeSec !== undefined)
            sentAfterServerSec = Math.max(sentAfterServerSec ?? 0, challengeSec);
          return sentAfterServerSec === undefined ? raw : { ...raw, sentAfterServerSec };
        } finally {
          if (exclusive) this.challengeWatch.delete(key);
        }
      });
    } catch (error) {
      throw new ProviderError(mapProviderError(error, subject, this.clock.nowMs()), { cause: error });
    }
    return record;
  }

  private async getRaw(
    ref: VaultObjectRef,
    identity: RequestIdentity,
    version: string | undefined,
    subject: MessageSubject,
  ): Promise<ObjectVersionRecord> {
    const clients = this.factory.clientsFor(ref.vaultName, identity);
    const empty = (): never => {
      throw new ProviderError({
        kind: ProviderErrorKind.internal,
        message: ProviderMessage.emptyObject(subject),
      });
    };
    switch (ref.objectType) {
      case ObjectType.secret: {
        const secret = await clients.secrets().getSecret(ref.objectName, version ? { version } : {});
        if (secret.value === undefined) return empty();
        return {
          ...attributesOf(secret.properties),
          value: Buffer.from(secret.value, "utf8"),
          contentType: secret.properties.contentType || undefined,
        };
      }
      case ObjectType.key: {
        const key = await clients.keys().getKey(ref.objectName, version ? { version } : {});
        if (!key.key) return empty();
        let pem: string;
        try {
          pem = jwkToSpkiPem(key.key);
        } catch (error) {
          if (error instanceof NoPublicKeyError) {
            throw new ProviderError({
              kind: ProviderErrorKind.invalidRequest,
              message: ProviderMessage.noPublicKey(subject, error.keyType),
            });
          }
          throw error;
        }
        return {
          ...attributesOf(key.properties),
          value: Buffer.from(pem, "utf8"),
          contentType: "application/x-pem-file",
        };
      }
      case ObjectType.cert: {
        const certs = clients.certificates();
        const cert = version
          ? await certs.getCertificateVersion(ref.objectName, version)
          : await certs.getCertificate(ref.objectName);
        if (!cert.cer) return empty();
        return {
          ...attributesOf(cert.properties),
          value: Buffer.from(derCertificateToPem(cert.cer), "utf8"),
          contentType: "application/x-pem-file",
        };
      }
    }
  }

  listVersions(ref: VaultObjectRef, identity: RequestIdentity): PageCursor<VersionAttributes> {
    validateRef(ref, undefined);
    const subject: MessageSubject = { ...ref, identity };
    const clients = this.factory.clientsFor(ref.vaultName, identity);
    const settings = { maxPageSize: LIST_PAGE_SIZE };
    const open = (): AsyncIterator<SdkProperties[]> => {
      switch (ref.objectType) {
        case ObjectType.secret:
          return clients.secrets().listPropertiesOfSecretVersions(ref.objectName).byPage(settings);
        case ObjectType.key:
          return clients.keys().listPropertiesOfKeyVersions(ref.objectName).byPage(settings);
        case ObjectType.cert:
          return clients.certificates().listPropertiesOfCertificateVersions(ref.objectName).byPage(settings);
      }
    };
    return this.gatedCursor(
      this.gateKey(ref.vaultName, ref.objectType, identity),
      cursorOver(open, attributesOf, subject, this.clock),
    );
  }

  listObjects(
    vaultName: string,
    objectType: ObjectType,
    identity: RequestIdentity,
  ): PageCursor<ListedObject> {
    validateRef({ vaultName, objectType, objectName: "listing" }, undefined);
    const subject: MessageSubject = { vaultName, objectType, identity };
    const clients = this.factory.clientsFor(vaultName, identity);
    const settings = { maxPageSize: LIST_PAGE_SIZE };
    const open = (): AsyncIterator<SdkProperties[]> => {
      switch (objectType) {
        case ObjectType.secret:
          return clients.secrets().listPropertiesOfSecrets().byPage(settings);
        case ObjectType.key:
          return clients.keys().listPropertiesOfKeys().byPage(settings);
        case ObjectType.cert:
          return clients
            .certificates()
            .listPropertiesOfCertificates({ includePending: false })
            .byPage(settings);
      }
    };
    return this.gatedCursor(
      this.gateKey(vaultName, objectType, identity),
      cursorOver(open, listedOf, subject, this.clock),
    );
  }

  private gatedCursor<T>(key: string, cursor: PageCursor<T>): PageCursor<T> {
    return { nextPage: () => this.firstRequestGate(key, async () => cursor.nextPage()) };
  }
}
