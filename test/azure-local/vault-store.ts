/**
 * Versioned object store of one vault collection (secrets, keys or certificates) with Key Vault's soft-delete
 * semantics: delete moves the object (all versions) to the deleted collection, from which it can be recovered or
 * purged; a deleted name cannot be reused until then. Names are case-insensitive, as in Key Vault. Held in memory;
 * every change is reported to `onChange` (persistence.ts makes it durable) and {@link VersionedStore.entry} /
 * {@link VersionedStore.restore} move one name's state in and out as plain JSON.
 */
import { randomBytes } from "node:crypto";
import { KeyVaultNamePattern } from "../../common/vocabulary.ts";

/** Object attributes as Key Vault returns them (times in seconds since the epoch). */
export interface ObjectAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

/** One version of an object. `data` is the collection-specific payload. */
export interface VersionRecord<T> {
  version: string;
  attributes: ObjectAttributes;
  tags?: Record<string, string>;
  data: T;
}

/** An object (all its versions, oldest first). `managed` marks a certificate's backing secret or key. */
export interface StoredObject<T> {
  name: string;
  managed: boolean;
  versions: Array<VersionRecord<T>>;
}

/** A soft-deleted object. */
export interface DeletedObject<T> {
  object: StoredObject<T>;
  deletedDate: number;
  scheduledPurgeDate: number;
}

/** Soft-delete retention the store reports (Azure's default). */
export const RECOVERABLE_DAYS = 90;

/** Pure: a new 32-hex-digit version id (Key Vault's format). */
export function newVersionId(): string {
  return randomBytes(16).toString("hex");
}

/** Pure: Key Vault's object-name rule. */
export function isValidObjectName(name: string): boolean {
  return KeyVaultNamePattern.object.test(name);
}

/** Pure: one page of `items` starting at `skip`, and the skip of the next page if any. */
export function paginate<T>(
  items: readonly T[],
  skip: number,
  maxResults: number,
): { page: T[]; nextSkip?: number } {
  const page = items.slice(skip, skip + maxResults);
  const next = skip + maxResults;
  return next < items.length ? { page, nextSkip: next } : { page };
}

/** What a version is created with. */
export interface NewVersion<T> {
  data: T;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
  managed?: boolean;
  /** Version id to use (a certificate's backing secret and key share its version). Default: new id. */
  version?: string;
}

/** Attribute/tag changes of an update (PATCH); `undefined` leaves a field as is. */
export interface VersionPatch<T> {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
  data?: (current: T) => T;
}

/** Everything the store holds under one name (live or soft-deleted), as plain JSON. */
export interface StoreEntry<T> {
  live?: StoredObject<T>;
  deleted?: DeletedObject<T>;
}

/** See module doc. */
export class VersionedStore<T> {
  private readonly live = new Map<string, StoredObject<T>>();
  private readonly deleted = new Map<string, DeletedObject<T>>();
  private readonly nowSeconds: () => number;
  /** Called after every change with the (lower-case) name that changed. */
  onChange: ((name: string) => void) | undefined;

  constructor(nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {
    this.nowSeconds = nowSeconds;
  }

  private changed(key: string): void {
    this.onChange?.(key);
  }

  /** The state under a name (case-insensitive). */
  entry(name: string): StoreEntry<T> {
    const key = name.toLowerCase();
    const live = this.live.get(key);
    const deleted = this.deleted.get(key);
    return { ...(live ? { live } : {}), ...(deleted ? { deleted } : {}) };
  }

  /** Replaces the state under a name (loading persisted state; no change is reported). */
  restore(name: string, entry: StoreEntry<T>): void {
    const key = name.toLowerCase();
    if (entry.live) this.live.set(key, entry.live);
    else this.live.delete(key);
    if (entry.deleted) this.deleted.set(key, entry.deleted);
    else this.deleted.delete(key);
  }

  /** Every name with state (lower-case). */
  names(): string[] {
    return [...new Set([...this.live.keys(), ...this.deleted.keys()])];
  }

  /** True when the name is soft-deleted (it cannot be reused until recovered or purged). */
  isDeleted(name: string): boolean {
    return this.deleted.has(name.toLowerCase());
  }

  /** Adds a version (creating the object when new). The caller checks {@link isDeleted} first. */
  addVersion(name: string, input: NewVersion<T>): { object: StoredObject<T>; record: VersionRecord<T> } {
    const key = name.toLowerCase();
    const now = this.nowSeconds();
    let object = this.live.get(key);
    if (!object) {
      object = { name, managed: input.managed ?? false, versions: [] };
      this.live.set(key, object);
    }
    const record: VersionRecord<T> = {
      version: input.version ?? newVersionId(),
      attributes: {
        enabled: input.enabled ?? true,
        ...(input.nbf !== undefined ? { nbf: input.nbf } : {}),
        ...(input.exp !== undefined ? { exp: input.exp } : {}),
        created: now,
        updated: now,
      },
      ...(input.tags ? { tags: { ...input.tags } } : {}),
      data: input.data,
    };
    object.versions.push(record);
    this.changed(key);
    return { object, record };
  }

  /** The live object, if any. */
  object(name: string): StoredObject<T> | undefined {
    return this.live.get(name.toLowerCase());
  }

  /** A version (latest when `version` is empty or undefined). */
  get(name: string, version?: string): { object: StoredObject<T>; record: VersionRecord<T> } | undefined {
    const object = this.object(name);
    if (!object) return undefined;
    const record = version
      ? object.versions.find((v) => v.version === version.toLowerCase())
      : object.versions[object.versions.length - 1];
    return record ? { object, record } : undefined;
  }

  /** Live objects sorted by name (stable paging order). */
  list(): Array<StoredObject<T>> {
    return [...this.live.values()].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  /** Applies a patch to a version; returns undefined when the version does not exist. */
  update(name: string, version: string, patch: VersionPatch<T>): VersionRecord<T> | undefined {
    const found = this.get(name, version);
    if (!found) return undefined;
    const { record } = found;
    if (patch.enabled !== undefined) record.attributes.enabled = patch.enabled;
    if (patch.nbf !== undefined) record.attributes.nbf = patch.nbf;
    if (patch.exp !== undefined) record.attributes.exp = patch.exp;
    if (patch.tags !== undefined) record.tags = { ...patch.tags };
    if (patch.data) record.data = patch.data(record.data);
    record.attributes.updated = this.nowSeconds();
    this.changed(name.toLowerCase());
    return record;
  }

  /** Soft-deletes an object with all its versions; undefined when not live. */
  delete(name: string): DeletedObject<T> | undefined {
    const key = name.toLowerCase();
    const object = this.live.get(key);
    if (!object) return undefined;
    this.live.delete(key);
    const now = this.nowSeconds();
    const deleted = { object, deletedDate: now, scheduledPurgeDate: now + RECOVERABLE_DAYS * 86_400 };
    this.deleted.set(key, deleted);
    this.changed(key);
    return deleted;
  }

  /** A soft-deleted object, if any. */
  getDeleted(name: string): DeletedObject<T> | undefined {
    return this.deleted.get(name.toLowerCase());
  }

  /** Soft-deleted objects sorted by name. */
  listDeleted(): Array<DeletedObject<T>> {
    return [...this.deleted.values()].sort((a, b) =>
      a.object.name.toLowerCase().localeCompare(b.object.name.toLowerCase()),
    );
  }

  /** Moves a soft-deleted object back; undefined when not deleted. */
  recover(name: string): StoredObject<T> | undefined {
    const key = name.toLowerCase();
    const deleted = this.deleted.get(key);
    if (!deleted) return undefined;
    this.deleted.delete(key);
    this.live.set(key, deleted.object);
    this.changed(key);
    return deleted.object;
  }

  /** Permanently removes a soft-deleted object; false when not deleted. */
  purge(name: string): boolean {
    const key = name.toLowerCase();
    const purged = this.deleted.delete(key);
    if (purged) this.changed(key);
    return purged;
  }
}
