/**
 * Key Vault certificates REST operations (api-version 7.x): create (self-signed from a policy, completes at once),
 * import (PEM or PFX), get (latest/version), policy, pending operation, list, list versions, update, delete (soft,
 * with the backing secret and key), deleted get/list, recover, purge. Every version also writes the managed
 * backing key (`/keys/<name>/<version>`) and secret (`/secrets/<name>/<version>`, PEM or base64 PFX) with the
 * same version id, as Key Vault does.
 */
import { randomUUID } from "node:crypto";
import { KeyVaultError } from "./http.ts";
import { CERT_CONTENT_TYPES, normalizePolicy, selfSignedOptionsFrom } from "./certificate-policy.ts";
import {
  certificateFacts,
  createSelfSigned,
  materialFromPem,
  materialFromPfx,
  materialToPem,
  materialToPfx,
  type CertificateMaterial,
} from "./certs.ts";
import { keyDataFromPrivateKey } from "./vault-keys.ts";
import {
  ACTIONS,
  badParameter,
  deletedButRecoverable,
  listPage,
  notFound,
  parseAttributes,
  parseTags,
  wireAttributes,
  type VaultRequest,
  type VaultResponse,
} from "./vault-model.ts";
import { deletedBody, handleDeletedCollection, type DeletedCollection } from "./vault-deleted.ts";
import type { CertificateData, VaultState } from "./vault-state.ts";
import { isValidObjectName, newVersionId, type StoredObject, type VersionRecord } from "./vault-store.ts";

/** Pure: a CertificateBundle. */
export function certificateBundle(
  vault: VaultState,
  baseUrl: string,
  object: StoredObject<CertificateData>,
  record: VersionRecord<CertificateData>,
): Record<string, unknown> {
  const { name } = object;
  return {
    id: `${baseUrl}/certificates/${name}/${record.version}`,
    kid: `${baseUrl}/keys/${name}/${record.version}`,
    sid: `${baseUrl}/secrets/${name}/${record.version}`,
    x5t: record.data.x5t,
    cer: record.data.cerBase64,
    attributes: wireAttributes(record.attributes, vault.purgeProtection),
    tags: record.tags ?? {},
    policy: { id: `${baseUrl}/certificates/${name}/policy`, ...record.data.policy },
  };
}

function certificateItem(
  vault: VaultState,
  baseUrl: string,
  object: StoredObject<CertificateData>,
  record: VersionRecord<CertificateData>,
  withVersion: boolean,
): Record<string, unknown> {
  return {
    id: `${baseUrl}/certificates/${object.name}${withVersion ? `/${record.version}` : ""}`,
    x5t: record.data.x5t,
    attributes: wireAttributes(record.attributes, vault.purgeProtection),
    tags: record.tags ?? {},
  };
}

function operationBody(baseUrl: string, name: string, op: Record<string, unknown>): Record<string, unknown> {
  return {
    id: `${baseUrl}/certificates/${name}/pending`,
    issuer: { name: "Self" },
    cancellation_requested: false,
    status: "completed",
    status_details: "",
    target: `${baseUrl}/certificates/${name}`,
    ...op,
  };
}

function checkWritable(vault: VaultState, name: string): void {
  if (!isValidObjectName(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
  if (vault.certificates.isDeleted(name)) throw deletedButRecoverable("certificate", name);
  const secret = vault.secrets.object(name);
  const key = vault.keys.object(name);
  if (
    (secret && !secret.managed) ||
    (key && !key.managed) ||
    vault.secrets.isDeleted(name) ||
    vault.keys.isDeleted(name)
  ) {
    throw new KeyVaultError(
      409,
      "Conflict",
      `Certificate ${name} conflicts with an existing secret or key of that name.`,
    );
  }
}

/** Writes one certificate version with its managed key and secret (same version id). */
async function writeVersion(
  vault: VaultState,
  req: VaultRequest,
  name: string,
  material: CertificateMaterial,
  policy: Record<string, unknown>,
): Promise<{ object: StoredObject<CertificateData>; record: VersionRecord<CertificateData> }> {
  const attributes = parseAttributes(req.body.attributes);
  const tags = parseTags(req.body.tags);
  const facts = certificateFacts(material.chainPem[0]!);
  const contentType = (policy.secret_props as { contentType: string }).contentType;
  const secretValue =
    contentType === CERT_CONTENT_TYPES.pem ? materialToPem(material) : await materialToPfx(material);
  const version = newVersionId();
  const enabled = attributes.enabled ?? true;
  const validity = { enabled, nbf: facts.notBefore, exp: facts.notAfter, managed: true, version };
  vault.keys.addVersion(name, { ...validity, data: keyDataFromPrivateKey(material.privateKey) });
  vault.secrets.addVersion(name, {
    ...validity,
    data: { value: secretValue, contentType, kidPath: `keys/${name}/${version}` },
  });
  return vault.certificates.addVersion(name, {
    enabled,
    nbf: facts.notBefore,
    exp: facts.notAfter,
    version,
    ...(tags ? { tags } : {}),
    data: {
      cerBase64: facts.cerBase64,
      x5t: facts.x5t,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      policy,
    },
  });
}

async function createCertificate(vault: VaultState, req: VaultRequest, name: string): Promise<VaultResponse> {
  req.authorize(ACTIONS.certCreate, `certificates/${name}`);
  checkWritable(vault, name);
  const policy = normalizePolicy(req.body.policy, Math.floor(Date.now() / 1000));
  let material: CertificateMaterial;
  try {
    material = await createSelfSigned(selfSignedOptionsFrom(policy));
  } catch (cause) {
    if (cause instanceof KeyVaultError) throw cause;
    throw badParameter(`policy: ${cause instanceof Error ? cause.message : "cannot issue the certificate"}`);
  }
  await writeVersion(vault, req, name, material, policy);
  const op = { request_id: randomUUID().replaceAll("-", "") };
  vault.certificateOperations.set(name.toLowerCase(), op);
  return { status: 202, body: operationBody(req.baseUrl, name, op) };
}

async function importCertificate(vault: VaultState, req: VaultRequest, name: string): Promise<VaultResponse> {
  req.authorize(ACTIONS.certImport, `certificates/${name}`);
  checkWritable(vault, name);
  const { value, pwd } = req.body;
  if (typeof value !== "string" || value.length === 0)
    throw badParameter("value must be a PEM or base64 PFX string");
  if (pwd !== undefined && pwd !== null && typeof pwd !== "string")
    throw badParameter("pwd must be a string");
  const isPem = value.includes("-----BEGIN");
  let material: CertificateMaterial;
  try {
    material = isPem
      ? materialFromPem(value)
      : await materialFromPfx(value, typeof pwd === "string" ? pwd : "");
  } catch (cause) {
    throw badParameter(`value: ${cause instanceof Error ? cause.message : "cannot be read"}`);
  }
  const facts = certificateFacts(material.chainPem[0]!);
  const policy = normalizePolicy(req.body.policy, Math.floor(Date.now() / 1000), {
    subject: facts.subject,
    contentType: isPem ? CERT_CONTENT_TYPES.pem : CERT_CONTENT_TYPES.pfx,
  });
  const { object, record } = await writeVersion(vault, req, name, material, policy);
  return { status: 200, body: certificateBundle(vault, req.baseUrl, object, record) };
}

/** The kind's soft-delete collection. */
function deletedCertificates(vault: VaultState): DeletedCollection<CertificateData> {
  return {
    kind: "certificate",
    store: vault.certificates,
    actions: { read: ACTIONS.certRead, purge: ACTIONS.certPurge, recover: ACTIONS.certRecover },
    objectPrefix: "certificates",
    item: (baseUrl, object, latest) => certificateItem(vault, baseUrl, object, latest, false),
    bundle: (baseUrl, object, latest) => certificateBundle(vault, baseUrl, object, latest),
    // A certificate's managed key and secret share its name and its lifecycle.
    companions: [vault.secrets, vault.keys],
    purgeProtection: vault.purgeProtection,
  };
}

function handleDeleted(vault: VaultState, req: VaultRequest): VaultResponse | undefined {
  return handleDeletedCollection(deletedCertificates(vault), req);
}

function readRoutes(vault: VaultState, req: VaultRequest, name: string, sub: string): VaultResponse {
  req.authorize(ACTIONS.certRead, `certificates/${name}`);
  const object = vault.certificates.object(name);
  if (sub === "pending") {
    const op = vault.certificateOperations.get(name.toLowerCase());
    if (!object || !op) {
      throw new KeyVaultError(404, "PendingCertificateNotFound", `Pending certificate not found: ${name}`);
    }
    return { status: 200, body: operationBody(req.baseUrl, object.name, op) };
  }
  if (!object) throw notFound("certificate", name);
  if (sub === "policy") {
    const latest = object.versions[object.versions.length - 1]!;
    return {
      status: 200,
      body: { id: `${req.baseUrl}/certificates/${object.name}/policy`, ...latest.data.policy },
    };
  }
  if (sub === "versions") {
    return {
      status: 200,
      body: listPage(object.versions, req, `/certificates/${object.name}/versions`, (r) =>
        certificateItem(vault, req.baseUrl, object, r, true),
      ),
    };
  }
  const found = vault.certificates.get(name, sub);
  if (!found) throw notFound("certificate", name, sub || undefined);
  return { status: 200, body: certificateBundle(vault, req.baseUrl, found.object, found.record) };
}

function updateCertificate(
  vault: VaultState,
  req: VaultRequest,
  name: string,
  sub: string | undefined,
): VaultResponse {
  req.authorize(ACTIONS.certUpdate, `certificates/${name}`);
  const found = vault.certificates.get(name, sub ?? "");
  if (!found) throw notFound("certificate", name, sub || undefined);
  const tags = parseTags(req.body.tags);
  const { enabled } = parseAttributes(req.body.attributes);
  const record = vault.certificates.update(name, found.record.version, {
    ...(enabled !== undefined ? { enabled } : {}),
    ...(tags ? { tags } : {}),
  })!;
  if (enabled !== undefined) {
    vault.secrets.update(name, record.version, { enabled });
    vault.keys.update(name, record.version, { enabled });
  }
  return { status: 200, body: certificateBundle(vault, req.baseUrl, found.object, record) };
}

function deleteCertificate(vault: VaultState, req: VaultRequest, name: string): VaultResponse {
  req.authorize(ACTIONS.certDelete, `certificates/${name}`);
  if (!vault.certificates.object(name)) throw notFound("certificate", name);
  const deleted = vault.certificates.delete(name)!;
  vault.secrets.delete(name);
  vault.keys.delete(name);
  vault.certificateOperations.delete(name.toLowerCase());
  return { status: 200, body: deletedBody(deletedCertificates(vault), req.baseUrl, deleted, false) };
}

/** Routes `/certificates...` and `/deletedcertificates...`; undefined when not a certificates operation. */
export async function handleCertificates(
  vault: VaultState,
  req: VaultRequest,
): Promise<VaultResponse | undefined> {
  const [collection, name, sub, extra] = req.segments;
  if (collection === "deletedcertificates") return handleDeleted(vault, req);
  if (collection !== "certificates") return undefined;
  if (name === undefined || name === "") {
    if (req.method !== "GET") return undefined;
    req.authorize(ACTIONS.certRead);
    return {
      status: 200,
      body: listPage(vault.certificates.list(), req, "/certificates", (o) =>
        certificateItem(vault, req.baseUrl, o, o.versions[o.versions.length - 1]!, false),
      ),
    };
  }
  if (extra !== undefined || name === "issuers" || name === "contacts") return undefined;
  if (req.method === "POST" && sub === "create") return createCertificate(vault, req, name);
  if (req.method === "POST" && sub === "import") return importCertificate(vault, req, name);
  if (req.method === "GET") return readRoutes(vault, req, name, sub ?? "");
  if (req.method === "PATCH" && sub !== "policy" && sub !== "pending")
    return updateCertificate(vault, req, name, sub);
  if (req.method === "DELETE" && sub === undefined) return deleteCertificate(vault, req, name);
  return undefined;
}
