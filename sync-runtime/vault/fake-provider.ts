/**
 * An in-memory {@link VaultProvider} for unit tests of pure fetcher logic: versions with Key Vault's
 * semantics (immutable, "current" = newest, second-granularity `created`), pages of 25, per-identity access
 * rules, injectable faults that surface as SDK-shaped errors so the real error mapping runs, and refused tokens
 * (a client's cached token, every token of a client, or its token exchange) recovered by `discardCredentials`.
 * Integration tests use the real SDK against the local vault instead.
 */
import type { Clock } from "./clock.ts";
import { ProviderError, VaultTokenRejectedError, mapProviderError } from "./errors.ts";
import { LIST_PAGE_SIZE, objectKey } from "./provider.ts";
import type {
  ListPage,
  ListedObject,
  ObjectVersionRecord,
  PageCursor,
  VaultObjectRef,
  VaultProvider,
  VersionAttributes,
} from "./provider.ts";
import type { ObjectType, RequestIdentity } from "./types.ts";

/** A fault returned instead of the next answer(s). */
export interface FakeFault {
  /** HTTP status to answer with; omit for a network error (ECONNREFUSED). */
  status?: number;
  /** Retry-After seconds header on the answer. */
  retryAfterSec?: number;
}

/**
 * How a client's tokens fare: `stale` = its current token is refused (401) until the next `discardCredentials`
 * (a key rollover or revocation); `refused` = every token is refused; `exchange` = the token endpoint refuses to
 * exchange its assertion (a forgotten client: nothing reaches the vault, but the call is recorded).
 */
export type FakeTokenFault = "stale" | "refused" | "exchange";

/** One request the fake received. */
export interface FakeCall {
  operation: "get" | "listVersions" | "listObjects";
  vaultName: string;
  objectType: ObjectType;
  objectName?: string;
  version?: string;
  clientId: string;
  namespace: string;
}

interface FakeVersion extends ObjectVersionRecord {
  createdOnSec: number;
  updatedOnSec: number;
  enabled: boolean;
}

/** See module doc. */
export class FakeVaultProvider implements VaultProvider {
  /** Every request received, in order. */
  readonly calls: FakeCall[] = [];
  /** Faults to answer with, consumed one per request. */
  readonly faults: FakeFault[] = [];
  /** Client ids whose tokens were discarded, in order. */
  readonly discards: string[] = [];
  private readonly tokenFaults = new Map<string, FakeTokenFault>();
  private readonly clock: Clock;
  private readonly objects = new Map<string, { ref: VaultObjectRef; versions: FakeVersion[] }>();
  private readonly denied = new Set<string>();
  private sequence = 0;
  private watermarkSec: number | undefined;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Stores a new version (it becomes current) and returns its version id. */
  setObject(ref: VaultObjectRef, value: string, contentType?: string): string {
    const key = objectKey(ref);
    const entry = this.objects.get(key) ?? { ref, versions: [] };
    this.objects.set(key, entry);
    const version = (++this.sequence).toString(16).padStart(32, "0");
    const sec = Math.floor(this.clock.nowMs() / 1000);
    entry.versions.push({
      version,
      id: `https://${ref.vaultName}.vault.azure.net/${ref.objectType}s/${ref.objectName}/${version}`,
      value: Buffer.from(value, "utf8"),
      ...(contentType ? { contentType } : {}),
      createdOnSec: sec,
      updatedOnSec: sec,
      enabled: true,
    });
    return version;
  }

  /** Enables/disables one version (bumps its `updated`). */
  setEnabled(ref: VaultObjectRef, version: string, enabled: boolean): void {
    const v = this.objects.get(objectKey(ref))?.versions.find((x) => x.version === version);
    if (!v) throw new Error(`no version ${version}`);
    v.enabled = enabled;
    v.updatedOnSec = Math.floor(this.clock.nowMs() / 1000);
  }

  /** Deletes an object with all its versions. */
  deleteObject(ref: VaultObjectRef): void {
    this.objects.delete(objectKey(ref));
  }

  /** Denies (or re-allows) a client id access to an object. */
  setDenied(ref: VaultObjectRef, clientId: string, denied: boolean): void {
    const key = `${objectKey(ref)}\u0000${clientId}`;
    if (denied) this.denied.add(key);
    else this.denied.delete(key);
  }

  /** Sets (or clears) how a client's tokens fare. */
  setTokenFault(clientId: string, fault: FakeTokenFault | undefined): void {
    if (fault) this.tokenFaults.set(clientId, fault);
    else this.tokenFaults.delete(clientId);
  }

  discardCredentials(identity: RequestIdentity): void {
    this.discards.push(identity.clientId);
    if (this.tokenFaults.get(identity.clientId) === "stale") this.tokenFaults.delete(identity.clientId);
  }

  /** Number of requests received (optionally of one operation). */
  count(operation?: FakeCall["operation"]): number {
    return operation ? this.calls.filter((c) => c.operation === operation).length : this.calls.length;
  }

  serverTimeWatermarkSec(): number | undefined {
    return this.watermarkSec;
  }

  private answer(call: FakeCall): void {
    this.calls.push(call);
    this.watermarkSec = Math.floor(this.clock.nowMs() / 1000);
    const subject = {
      vaultName: call.vaultName,
      objectType: call.objectType,
      ...(call.objectName ? { objectName: call.objectName } : {}),
    };
    const tokenFault = this.tokenFaults.get(call.clientId);
    if (tokenFault) {
      const cause =
        tokenFault === "exchange"
          ? Object.assign(new Error("AADSTS700016"), { name: "AuthenticationError", statusCode: 400 })
          : new VaultTokenRejectedError(call.vaultName, "Unauthorized");
      throw new ProviderError(mapProviderError(cause, subject, this.clock.nowMs()), { cause });
    }
    const fault = this.faults.shift();
    if (!fault) return;
    const headers = new Map<string, string>();
    if (fault.retryAfterSec !== undefined) headers.set("retry-after", String(fault.retryAfterSec));
    const sdkError =
      fault.status === undefined
        ? Object.assign(new Error("connect ECONNREFUSED"), { name: "RestError", code: "ECONNREFUSED" })
        : Object.assign(new Error(`status ${fault.status}`), {
            name: "RestError",
            statusCode: fault.status,
            response: { headers: { get: (n: string) => headers.get(n.toLowerCase()) } },
          });
    throw new ProviderError(mapProviderError(sdkError, subject, this.clock.nowMs()), { cause: sdkError });
  }

  private check(
    ref: VaultObjectRef,
    identity: RequestIdentity,
  ): { ref: VaultObjectRef; versions: FakeVersion[] } {
    const subject = { ...ref };
    if (this.denied.has(`${objectKey(ref)}\u0000${identity.clientId}`)) {
      throw new ProviderError(
        mapProviderError({ name: "RestError", statusCode: 403 }, subject, this.clock.nowMs()),
      );
    }
    const entry = this.objects.get(objectKey(ref));
    if (!entry)
      throw new ProviderError(
        mapProviderError({ name: "RestError", statusCode: 404 }, subject, this.clock.nowMs()),
      );
    return entry;
  }

  async getObject(
    ref: VaultObjectRef,
    identity: RequestIdentity,
    version?: string,
  ): Promise<ObjectVersionRecord> {
    await Promise.resolve();
    const sentAfterServerSec = this.watermarkSec;
    this.answer({
      operation: "get",
      ...ref,
      ...(version ? { version } : {}),
      clientId: identity.clientId,
      namespace: identity.namespace,
    });
    const entry = this.check(ref, identity);
    const found = version ? entry.versions.find((v) => v.version === version) : entry.versions.at(-1);
    if (!found)
      throw new ProviderError(
        mapProviderError({ name: "RestError", statusCode: 404 }, { ...ref }, this.clock.nowMs()),
      );
    if (!found.enabled)
      throw new ProviderError(
        mapProviderError({ name: "RestError", statusCode: 403 }, { ...ref }, this.clock.nowMs()),
      );
    return {
      ...found,
      value: Buffer.from(found.value),
      ...(sentAfterServerSec !== undefined ? { sentAfterServerSec } : {}),
    };
  }

  private cursor<T>(call: FakeCall, items: () => T[]): PageCursor<T> {
    let offset = 0;
    let done = false;
    return {
      nextPage: async (): Promise<ListPage<T>> => {
        await Promise.resolve();
        if (done) return { items: [], done: true };
        this.answer(call);
        const all = items();
        const page = all.slice(offset, offset + LIST_PAGE_SIZE);
        offset += LIST_PAGE_SIZE;
        done = offset >= all.length;
        return { items: page, done };
      },
    };
  }

  listVersions(ref: VaultObjectRef, identity: RequestIdentity): PageCursor<VersionAttributes> {
    const call: FakeCall = {
      operation: "listVersions",
      ...ref,
      clientId: identity.clientId,
      namespace: identity.namespace,
    };
    return this.cursor(call, () =>
      this.check(ref, identity).versions.map(({ version, id, createdOnSec, updatedOnSec, enabled }) => ({
        version,
        id,
        createdOnSec,
        updatedOnSec,
        enabled,
      })),
    );
  }

  listObjects(
    vaultName: string,
    objectType: ObjectType,
    identity: RequestIdentity,
  ): PageCursor<ListedObject> {
    const call: FakeCall = {
      operation: "listObjects",
      vaultName,
      objectType,
      clientId: identity.clientId,
      namespace: identity.namespace,
    };
    return this.cursor(call, () =>
      [...this.objects.values()]
        .filter(
          (o) => o.ref.vaultName.toLowerCase() === vaultName.toLowerCase() && o.ref.objectType === objectType,
        )
        .map((o) => {
          const current = o.versions.at(-1) as FakeVersion;
          return {
            objectName: o.ref.objectName,
            createdOnSec: current.createdOnSec,
            updatedOnSec: current.updatedOnSec,
            enabled: current.enabled,
          };
        }),
    );
  }
}
