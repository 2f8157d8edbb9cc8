/**
 * Key Vault keys REST operations (api-version 7.x): create (RSA/EC), import (JWK), get (latest/version, public
 * JWK only), list, list versions, update, delete (soft), deleted get/list, recover, purge. Cryptographic
 * operations (sign, wrap, ...) are not emulated.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  type webcrypto,
} from "node:crypto";
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
import type { KeyData, VaultState } from "./vault-state.ts";
import { isValidObjectName, type StoredObject, type VersionRecord } from "./vault-store.ts";

const RSA_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
const EC_OPS = ["sign", "verify"];
const CURVES: Record<string, string> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
  "P-256K": "secp256k1",
};
const PUBLIC_FIELDS = { RSA: ["n", "e"], EC: ["crv", "x", "y"] } as const;

/** Pure: the public JWK Key Vault returns (kid, kty, key_ops and public parameters only). */
export function publicJwk(data: KeyData, kid: string): Record<string, unknown> {
  const family = data.kty.startsWith("EC") ? "EC" : "RSA";
  const fields: Record<string, unknown> = { kid, kty: data.kty, key_ops: data.keyOps };
  for (const f of PUBLIC_FIELDS[family]) {
    const v = (data.jwk as Record<string, unknown>)[f];
    fields[f] = f === "crv" && v === "secp256k1" ? "P-256K" : v;
  }
  return fields;
}

/** Pure: a KeyBundle. */
export function keyBundle(
  vault: VaultState,
  baseUrl: string,
  object: StoredObject<KeyData>,
  record: VersionRecord<KeyData>,
): Record<string, unknown> {
  return {
    key: publicJwk(record.data, `${baseUrl}/keys/${object.name}/${record.version}`),
    attributes: { ...wireAttributes(record.attributes, vault.purgeProtection), exportable: false },
    tags: record.tags ?? {},
    ...(object.managed ? { managed: true } : {}),
  };
}

function keyItem(
  vault: VaultState,
  baseUrl: string,
  object: StoredObject<KeyData>,
  record: VersionRecord<KeyData>,
  withVersion: boolean,
): Record<string, unknown> {
  return {
    kid: `${baseUrl}/keys/${object.name}${withVersion ? `/${record.version}` : ""}`,
    attributes: { ...wireAttributes(record.attributes, vault.purgeProtection), exportable: false },
    tags: record.tags ?? {},
    ...(object.managed ? { managed: true } : {}),
  };
}

/** Pure: KeyData for a private key object (used for created keys and certificates' backing keys). */
export function keyDataFromPrivateKey(privateKey: KeyObject, keyOps?: string[], hsm = false): KeyData {
  const jwk = privateKey.export({ format: "jwk" });
  const family = privateKey.asymmetricKeyType === "ec" ? "EC" : "RSA";
  return { jwk, kty: hsm ? `${family}-HSM` : family, keyOps: keyOps ?? (family === "EC" ? EC_OPS : RSA_OPS) };
}

function parseKeyOps(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw badParameter("key_ops must be an array of strings");
  }
  return value as string[];
}

function generate(body: Record<string, unknown>): KeyData {
  const kty = body.kty;
  if (typeof kty !== "string" || !["RSA", "RSA-HSM", "EC", "EC-HSM"].includes(kty)) {
    throw badParameter("kty must be one of RSA, RSA-HSM, EC, EC-HSM");
  }
  const keyOps = parseKeyOps(body.key_ops);
  const hsm = kty.endsWith("-HSM");
  if (kty.startsWith("RSA")) {
    const size = body.key_size ?? 2048;
    if (size !== 2048 && size !== 3072 && size !== 4096)
      throw badParameter("key_size must be 2048, 3072 or 4096");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: size as number });
    return keyDataFromPrivateKey(privateKey, keyOps, hsm);
  }
  const crv = body.crv ?? "P-256";
  const curve = typeof crv === "string" ? CURVES[crv] : undefined;
  if (!curve) throw badParameter(`crv must be one of ${Object.keys(CURVES).join(", ")}`);
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return keyDataFromPrivateKey(privateKey, keyOps, hsm);
}

function importJwk(body: Record<string, unknown>): KeyData {
  const key = body.key;
  if (typeof key !== "object" || key === null || Array.isArray(key))
    throw badParameter("key must be a JWK object");
  const jwk = { ...(key as Record<string, unknown>) };
  const kty = typeof jwk.kty === "string" ? jwk.kty.replace(/-HSM$/, "") : "";
  if (kty !== "RSA" && kty !== "EC") throw badParameter("key.kty must be RSA, RSA-HSM, EC or EC-HSM");
  if (jwk.crv === "P-256K") jwk.crv = "secp256k1";
  const clean = { ...jwk, kty } as webcrypto.JsonWebKey;
  delete (clean as Record<string, unknown>).key_ops;
  delete (clean as Record<string, unknown>).kid;
  let keyObject: KeyObject;
  try {
    keyObject = clean.d
      ? createPrivateKey({ key: clean, format: "jwk" })
      : createPublicKey({ key: clean, format: "jwk" });
  } catch {
    throw badParameter("key is not a valid RSA or EC JWK");
  }
  const hsm = body.Hsm === true || body.hsm === true || String(jwk.kty).endsWith("-HSM");
  const keyOps = parseKeyOps(jwk.key_ops);
  const data = keyDataFromPrivateKey(keyObject, keyOps, hsm);
  return keyObject.type === "private" ? data : { ...data, jwk: keyObject.export({ format: "jwk" }) };
}

function writeKey(vault: VaultState, req: VaultRequest, name: string, data: KeyData): VaultResponse {
  if (vault.keys.isDeleted(name)) throw deletedButRecoverable("key", name);
  if (vault.keys.object(name)?.managed)
    throw forbiddenOperation(`Operation is not allowed on a managed key: ${name}`);
  const attributes = parseAttributes(req.body.attributes);
  const tags = parseTags(req.body.tags);
  const { object, record } = vault.keys.addVersion(name, { data, ...attributes, ...(tags ? { tags } : {}) });
  return { status: 200, body: keyBundle(vault, req.baseUrl, object, record) };
}

/** The kind's soft-delete collection. */
function deletedKeys(vault: VaultState): DeletedCollection<KeyData> {
  return {
    kind: "key",
    store: vault.keys,
    actions: { read: ACTIONS.keyRead, purge: ACTIONS.keyPurge, recover: ACTIONS.keyRecover },
    objectPrefix: "keys",
    item: (baseUrl, object, latest) => keyItem(vault, baseUrl, object, latest, false),
    bundle: (baseUrl, object, latest) => keyBundle(vault, baseUrl, object, latest),
    purgeProtection: vault.purgeProtection,
  };
}

function handleDeletedKeys(vault: VaultState, req: VaultRequest): VaultResponse | undefined {
  return handleDeletedCollection(deletedKeys(vault), req);
}

function readKey(vault: VaultState, req: VaultRequest, name: string, sub: string | undefined): VaultResponse {
  req.authorize(ACTIONS.keyRead, `keys/${name}`);
  if (sub === "versions") {
    const object = vault.keys.object(name);
    if (!object) throw notFound("key", name);
    return {
      status: 200,
      body: listPage(object.versions, req, `/keys/${object.name}/versions`, (r) =>
        keyItem(vault, req.baseUrl, object, r, true),
      ),
    };
  }
  const found = vault.keys.get(name, sub ?? "");
  if (!found) throw notFound("key", name, sub || undefined);
  return { status: 200, body: keyBundle(vault, req.baseUrl, found.object, found.record) };
}

function updateKey(
  vault: VaultState,
  req: VaultRequest,
  name: string,
  sub: string | undefined,
): VaultResponse {
  req.authorize(ACTIONS.keyUpdate, `keys/${name}`);
  const found = vault.keys.get(name, sub ?? "");
  if (!found) throw notFound("key", name, sub || undefined);
  if (found.object.managed)
    throw forbiddenOperation(`Operation update is not allowed on a managed key: ${name}`);
  const keyOps = parseKeyOps(req.body.key_ops);
  const tags = parseTags(req.body.tags);
  const record = vault.keys.update(name, found.record.version, {
    ...parseAttributes(req.body.attributes),
    ...(tags ? { tags } : {}),
    ...(keyOps ? { data: (d: KeyData) => ({ ...d, keyOps }) } : {}),
  })!;
  return { status: 200, body: keyBundle(vault, req.baseUrl, found.object, record) };
}

function deleteKey(vault: VaultState, req: VaultRequest, name: string): VaultResponse {
  req.authorize(ACTIONS.keyDelete, `keys/${name}`);
  const object = vault.keys.object(name);
  if (!object) throw notFound("key", name);
  if (object.managed) throw forbiddenOperation(`Operation delete is not allowed on a managed key: ${name}`);
  return { status: 200, body: deletedBody(deletedKeys(vault), req.baseUrl, vault.keys.delete(name)!, false) };
}

function handleKeyObject(
  vault: VaultState,
  req: VaultRequest,
  name: string,
  sub: string | undefined,
): VaultResponse | undefined {
  if (!isValidObjectName(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
  switch (req.method) {
    case "POST":
      if (sub !== "create") return undefined;
      req.authorize(ACTIONS.keyCreate, `keys/${name}`);
      return writeKey(vault, req, name, generate(req.body));
    case "PUT":
      if (sub !== undefined) return undefined;
      req.authorize(ACTIONS.keyImport, `keys/${name}`);
      return writeKey(vault, req, name, importJwk(req.body));
    case "GET":
      return readKey(vault, req, name, sub);
    case "PATCH":
      return updateKey(vault, req, name, sub);
    case "DELETE":
      return sub === undefined ? deleteKey(vault, req, name) : undefined;
    default:
      return undefined;
  }
}

/** Routes `/keys...` and `/deletedkeys...`; undefined when the route is not a keys operation. */
export function handleKeys(vault: VaultState, req: VaultRequest): VaultResponse | undefined {
  const [collection, name, sub, extra] = req.segments;
  if (collection === "deletedkeys") return handleDeletedKeys(vault, req);
  if (collection !== "keys") return undefined;
  if (name === undefined || name === "") {
    if (req.method !== "GET") return undefined;
    req.authorize(ACTIONS.keyRead);
    return {
      status: 200,
      body: listPage(vault.keys.list(), req, "/keys", (o) =>
        keyItem(vault, req.baseUrl, o, o.versions[o.versions.length - 1]!, false),
      ),
    };
  }
  return extra === undefined ? handleKeyObject(vault, req, name, sub) : undefined;
}
