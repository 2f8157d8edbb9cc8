/**
 * Key Vault secrets REST operations (api-version 7.x): set, get (latest/version), list, list versions, update,
 * delete (soft), deleted get/list, recover, purge. Certificate-backing secrets are `managed` and read-only.
 */
import { KeyVaultError } from "./http.ts";
import {
  ACTIONS,
  badParameter,
  deletedButRecoverable,
  forbiddenOperation,
  listPage,
  notFound,
  parseAttributes,
  parseTags,
  wireAttributes,
  type VaultRequest,
  type VaultResponse,
} from "./vault-model.ts";
import { deletedBody, handleDeletedCollection, type DeletedCollection } from "./vault-deleted.ts";
import type { SecretData, VaultState } from "./vault-state.ts";
import { isValidObjectName, type StoredObject, type VersionRecord } from "./vault-store.ts";

/** Largest secret value Key Vault accepts (25 KiB). */
export const MAX_SECRET_VALUE_BYTES = 25 * 1024;

/** Pure: a SecretBundle (value only when `withValue`). */
export function secretBundle(
  vault: VaultState,
  baseUrl: string,
  object: StoredObject<SecretData>,
  record: VersionRecord<SecretData>,
  withValue: boolean,
): Record<string, unknown> {
  return {
    ...(withValue ? { value: record.data.value } : {}),
    ...(record.data.contentType !== undefined ? { contentType: record.data.contentType } : {}),
    id: `${baseUrl}/secrets/${object.name}/${record.version}`,
    attributes: wireAttributes(record.attributes, vault.purgeProtection),
    tags: record.tags ?? {},
    ...(record.data.kidPath ? { kid: `${baseUrl}/${record.data.kidPath}` } : {}),
    ...(object.managed ? { managed: true } : {}),
  };
}

/** Pure: a SecretItem (list entry); `withVersion` for version listings. */
function secretItem(
  vault: VaultState,
  baseUrl: string,
  object: StoredObject<SecretData>,
  record: VersionRecord<SecretData>,
  withVersion: boolean,
): Record<string, unknown> {
  return {
    id: `${baseUrl}/secrets/${object.name}${withVersion ? `/${record.version}` : ""}`,
    attributes: wireAttributes(record.attributes, vault.purgeProtection),
    tags: record.tags ?? {},
    ...(record.data.contentType !== undefined ? { contentType: record.data.contentType } : {}),
    ...(object.managed ? { managed: true } : {}),
  };
}

function checkName(name: string): void {
  if (!isValidObjectName(name)) {
    throw badParameter(`The request URI contains an invalid name: ${name}`);
  }
}

function setSecret(vault: VaultState, req: VaultRequest, name: string): VaultResponse {
  checkName(name);
  req.authorize(ACTIONS.secretSet, `secrets/${name}`);
  if (vault.secrets.isDeleted(name)) throw deletedButRecoverable("secret", name);
  if (vault.secrets.object(name)?.managed) {
    throw forbiddenOperation(`Operation set is not allowed on a managed secret: ${name}`);
  }
  const { value, contentType } = req.body;
  if (typeof value !== "string") throw badParameter("value must be a string");
  if (Buffer.byteLength(value) > MAX_SECRET_VALUE_BYTES) {
    throw badParameter(`value exceeds the maximum secret size of ${MAX_SECRET_VALUE_BYTES} bytes`);
  }
  if (contentType !== undefined && contentType !== null && typeof contentType !== "string") {
    throw badParameter("contentType must be a string");
  }
  const attributes = parseAttributes(req.body.attributes);
  const tags = parseTags(req.body.tags);
  const { object, record } = vault.secrets.addVersion(name, {
    data: { value, ...(typeof contentType === "string" ? { contentType } : {}) },
    ...attributes,
    ...(tags ? { tags } : {}),
  });
  return { status: 200, body: secretBundle(vault, req.baseUrl, object, record, true) };
}

function getSecret(vault: VaultState, req: VaultRequest, name: string, version: string): VaultResponse {
  req.authorize(ACTIONS.secretGet, `secrets/${name}`);
  const found = vault.secrets.get(name, version);
  if (!found) throw notFound("secret", name, version || undefined);
  if (!found.record.attributes.enabled) {
    throw forbiddenOperation("Operation get is not allowed on a disabled secret.", "SecretDisabled");
  }
  return { status: 200, body: secretBundle(vault, req.baseUrl, found.object, found.record, true) };
}

function updateSecret(vault: VaultState, req: VaultRequest, name: string, version: string): VaultResponse {
  req.authorize(ACTIONS.secretUpdate, `secrets/${name}`);
  const found = vault.secrets.get(name, version);
  if (!found) throw notFound("secret", name, version || undefined);
  if (found.object.managed)
    throw forbiddenOperation(`Operation update is not allowed on a managed secret: ${name}`);
  const { contentType } = req.body;
  if (contentType !== undefined && contentType !== null && typeof contentType !== "string") {
    throw badParameter("contentType must be a string");
  }
  const attributes = parseAttributes(req.body.attributes);
  const tags = parseTags(req.body.tags);
  const record = vault.secrets.update(name, found.record.version, {
    ...attributes,
    ...(tags ? { tags } : {}),
    ...(typeof contentType === "string" ? { data: (d: SecretData) => ({ ...d, contentType }) } : {}),
  })!;
  return { status: 200, body: secretBundle(vault, req.baseUrl, found.object, record, false) };
}

function deleteSecret(vault: VaultState, req: VaultRequest, name: string): VaultResponse {
  req.authorize(ACTIONS.secretDelete, `secrets/${name}`);
  const object = vault.secrets.object(name);
  if (!object) throw notFound("secret", name);
  if (object.managed)
    throw forbiddenOperation(`Operation delete is not allowed on a managed secret: ${name}`);
  const deleted = vault.secrets.delete(name)!;
  return { status: 200, body: deletedBody(deletedSecrets(vault), req.baseUrl, deleted, false) };
}

/** The kind's soft-delete collection. */
function deletedSecrets(vault: VaultState): DeletedCollection<SecretData> {
  return {
    kind: "secret",
    store: vault.secrets,
    actions: { read: ACTIONS.secretMetadata, purge: ACTIONS.secretPurge, recover: ACTIONS.secretRecover },
    objectPrefix: "secrets",
    item: (baseUrl, object, latest) => secretItem(vault, baseUrl, object, latest, false),
    bundle: (baseUrl, object, latest) => secretBundle(vault, baseUrl, object, latest, false),
    purgeProtection: vault.purgeProtection,
  };
}

function handleDeletedSecrets(vault: VaultState, req: VaultRequest): VaultResponse | undefined {
  return handleDeletedCollection(deletedSecrets(vault), req);
}

/** Routes `/secrets...` and `/deletedsecrets...`; undefined when the route is not a secrets operation. */
export function handleSecrets(vault: VaultState, req: VaultRequest): VaultResponse | undefined {
  const [collection, name, version, extra] = req.segments;
  if (collection === "deletedsecrets") return handleDeletedSecrets(vault, req);
  if (collection !== "secrets") return undefined;
  if (name === undefined || name === "") {
    if (req.method !== "GET") return undefined;
    req.authorize(ACTIONS.secretMetadata);
    const objects = vault.secrets.list();
    return {
      status: 200,
      body: listPage(objects, req, "/secrets", (o) =>
        secretItem(vault, req.baseUrl, o, o.versions[o.versions.length - 1]!, false),
      ),
    };
  }
  if (extra !== undefined) return undefined;
  if (version === "versions" && req.method === "GET") {
    req.authorize(ACTIONS.secretMetadata, `secrets/${name}`);
    const object = vault.secrets.object(name);
    if (!object) throw notFound("secret", name);
    return {
      status: 200,
      body: listPage(object.versions, req, `/secrets/${object.name}/versions`, (r) =>
        secretItem(vault, req.baseUrl, object, r, true),
      ),
    };
  }
  switch (req.method) {
    case "PUT":
      return version === undefined ? setSecret(vault, req, name) : undefined;
    case "GET":
      return getSecret(vault, req, name, version ?? "");
    case "PATCH":
      return updateSecret(vault, req, name, version ?? "");
    case "DELETE":
      return version === undefined ? deleteSecret(vault, req, name) : undefined;
    default:
      throw new KeyVaultError(405, "MethodNotAllowed", `${req.method} is not allowed on /secrets/{name}`);
  }
}
