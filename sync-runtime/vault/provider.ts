/**
 * The narrow provider interface over the Key Vault SDKs: only the calls keyfleet uses. Every method or
 * `nextPage()` call is exactly one authenticated HTTP request (the SDK's own retries are disabled), so the
 * fetcher can budget, count and retry per request. Failures are thrown as {@link ProviderError}.
 * Implementations: {@link AzureVaultProvider} (SDK) and {@link FakeVaultProvider} (unit tests).
 */
import type { ObjectType, RequestIdentity } from "./types.ts";

/** One object in one vault. */
export interface VaultObjectRef {
  vaultName: string;
  objectType: ObjectType;
  objectName: string;
}

/** Attributes of one version, as listings and GETs report them. */
export interface VersionAttributes {
  /** Key Vault version id. */
  version: string;
  /** Full object id including the version. */
  id: string;
  /** `attributes.created`, unix seconds. */
  createdOnSec?: number;
  /** `attributes.updated`, unix seconds. */
  updatedOnSec?: number;
  /** `attributes.enabled`. */
  enabled?: boolean;
}

/** One version with its content (see FetchedVersion.value for the encoding per object type). */
export interface ObjectVersionRecord extends VersionAttributes {
  value: Buffer;
  contentType?: string;
  /**
   * The provider's {@link VaultProvider.serverTimeWatermarkSec} read immediately before this GET was sent:
   * the vault processed the GET no earlier than this second. Undefined when no response had been seen.
   */
  sentAfterServerSec?: number;
}

/** The current version's attributes of one object, from a vault-wide listing (ids there carry no version). */
export interface ListedObject {
  /** Object name as the vault spells it. */
  objectName: string;
  createdOnSec?: number;
  updatedOnSec?: number;
  enabled?: boolean;
  /** Certificates only: hex SHA-1 thumbprint (x5t) of the current version. */
  thumbprint?: string;
}

/** One page of a listing. */
export interface ListPage<T> {
  items: T[];
  /** True when there are no further pages. */
  done: boolean;
}

/** A listing read one page (= one request) at a time. After a failed page the cursor is finished. */
export interface PageCursor<T> {
  nextPage(): Promise<ListPage<T>>;
}

/** The narrow Key Vault interface. */
export interface VaultProvider {
  /** GET one version (latest when `version` is undefined) with its content. */
  getObject(ref: VaultObjectRef, identity: RequestIdentity, version?: string): Promise<ObjectVersionRecord>;
  /** Lists the versions of one object, 25 per page. */
  listVersions(ref: VaultObjectRef, identity: RequestIdentity): PageCursor<VersionAttributes>;
  /** Lists the objects of one type in a vault with their current version's attributes, 25 per page. */
  listObjects(vaultName: string, objectType: ObjectType, identity: RequestIdentity): PageCursor<ListedObject>;
  /**
   * The latest `Date` (unix seconds) of any response this provider has received from the vault, or undefined.
   * A request sent after reading this value is processed by the vault no earlier than that second.
   */
  serverTimeWatermarkSec(vaultName: string): number | undefined;
  /** The URL a vault name maps to, for diagnostics (e.g. the circuit-breaker message). Optional. */
  vaultUrl?(vaultName: string): string;
  /**
   * Forgets the identity's tokens (vault token and ServiceAccount assertion) so its next request exchanges a
   * fresh assertion. Called by the guard after a token was refused. Optional: providers without tokens omit it.
   */
  discardCredentials?(identity: RequestIdentity): void;
}

/** Listing page size (Key Vault's maximum). */
export const LIST_PAGE_SIZE = 25;

/** Key Vault naming rules (validated before a name is put into a URL). */
export { KeyVaultNamePattern as NamePattern } from "../../common/vocabulary.ts";

/** Cache-key form of an object: names are case-insensitive in Key Vault. */
export function objectKey(ref: VaultObjectRef): string {
  return `${ref.vaultName.toLowerCase()}\u0000${ref.objectType}\u0000${ref.objectName.toLowerCase()}`;
}

/** Cache-key form of an identity (all four fields: a token exchange proves exactly this identity). */
export function identityKey(identity: RequestIdentity): string {
  return [
    identity.namespace,
    identity.serviceAccountName,
    identity.tenantId.toLowerCase(),
    identity.clientId.toLowerCase(),
  ].join("\u0000");
}

/** Key of one SDK client: (vault, object type, identity). */
export function clientKey(vaultName: string, objectType: ObjectType, identity: RequestIdentity): string {
  return `${vaultName.toLowerCase()}\u0000${objectType}\u0000${identityKey(identity)}`;
}
