/**
 * The soft-delete collections (`/deletedsecrets`, `/deletedkeys`, `/deletedcertificates`): list, get, purge and
 * recover behave the same for every object kind; each kind supplies its store, its RBAC actions and how its item and
 * bundle bodies look.
 */
import {
  deletedFields,
  deletedNotFound,
  forbiddenOperation,
  KINDS,
  listPage,
  type ObjectKind,
  type VaultAction,
  type VaultRequest,
  type VaultResponse,
} from "./vault-model.ts";
import type { DeletedObject, StoredObject, VersionRecord, VersionedStore } from "./vault-store.ts";

/** What a kind contributes to its soft-delete collection. */
export interface DeletedCollection<T> {
  kind: ObjectKind;
  store: VersionedStore<T>;
  /** RBAC actions for reading, purging and recovering. */
  actions: { read: VaultAction; purge: VaultAction; recover: VaultAction };
  /** Object path prefix for per-object authorization, e.g. "secrets". */
  objectPrefix: string;
  /** The kind's list-item body for an object's latest version. */
  item(baseUrl: string, object: StoredObject<T>, latest: VersionRecord<T>): Record<string, unknown>;
  /** The kind's full body for an object's latest version. */
  bundle(baseUrl: string, object: StoredObject<T>, latest: VersionRecord<T>): Record<string, unknown>;
  /** Stores whose same-named objects are purged and recovered together (a certificate's key and secret). */
  companions?: Array<{ purge(name: string): boolean; recover(name: string): unknown }>;
  /** The vault's purge protection. */
  purgeProtection: boolean;
}

const latestOf = <T>(object: StoredObject<T>): VersionRecord<T> =>
  object.versions[object.versions.length - 1]!;

/** The body of a soft-deleted object: the kind's item or bundle plus recoveryId and the deletion dates. */
export function deletedBody<T>(
  c: DeletedCollection<T>,
  baseUrl: string,
  deleted: DeletedObject<T>,
  asItem: boolean,
): Record<string, unknown> {
  const latest = latestOf(deleted.object);
  return {
    ...(asItem ? c.item(baseUrl, deleted.object, latest) : c.bundle(baseUrl, deleted.object, latest)),
    ...deletedFields(c.kind, baseUrl, deleted.object.name, deleted.deletedDate, deleted.scheduledPurgeDate),
  };
}

/** Serves `GET /deleted<kind>s`, `GET|DELETE /deleted<kind>s/<name>` and `POST /deleted<kind>s/<name>/recover`. */
export function handleDeletedCollection<T>(
  c: DeletedCollection<T>,
  req: VaultRequest,
): VaultResponse | undefined {
  const [, name, action, extra] = req.segments;
  if (req.method === "GET" && name === undefined) {
    req.authorize(c.actions.read);
    return {
      status: 200,
      body: listPage(c.store.listDeleted(), req, `/${KINDS[c.kind].deletedCollection}`, (d) =>
        deletedBody(c, req.baseUrl, d, true),
      ),
    };
  }
  if (name === undefined || extra !== undefined) return undefined;
  const objectPath = `${c.objectPrefix}/${name}`;
  if (req.method === "GET" && action === undefined) {
    req.authorize(c.actions.read, objectPath);
    const deleted = c.store.getDeleted(name);
    if (!deleted) throw deletedNotFound(c.kind, name);
    return { status: 200, body: deletedBody(c, req.baseUrl, deleted, false) };
  }
  if (req.method === "DELETE" && action === undefined) {
    req.authorize(c.actions.purge, objectPath);
    if (!c.store.getDeleted(name)) throw deletedNotFound(c.kind, name);
    if (c.purgeProtection) {
      throw forbiddenOperation(
        `Operation purge is not allowed on ${KINDS[c.kind].noun} ${name}: the vault has purge protection.`,
      );
    }
    c.store.purge(name);
    for (const companion of c.companions ?? []) companion.purge(name);
    return { status: 204 };
  }
  if (req.method === "POST" && action === "recover") {
    req.authorize(c.actions.recover, objectPath);
    const object = c.store.recover(name);
    if (!object) throw deletedNotFound(c.kind, name);
    for (const companion of c.companions ?? []) companion.recover(name);
    return { status: 200, body: c.bundle(req.baseUrl, object, latestOf(object)) };
  }
  return undefined;
}
