/**
 * Pure conversions from raw Key Vault content to Secret bytes: objectEncoding (utf-8 | hex | base64),
 * objectFormat (pem | pfx) for certificate-backed secrets, and the tls split (tls.crt = certificate chain,
 * tls.key = private key). Errors name the object and what was expected, never the content.
 */
import type { FetchedVersion } from "../vault/types.ts";
import { Pkcs12Error, Pkcs12Problem, pemFromPkcs12 } from "./pkcs12.ts";
import type { Pkcs12Reader } from "./pkcs12.ts";
import type { SpcObject } from "./types.ts";

/** Content types Key Vault reports for certificate-backed secrets. */
export const CONTENT_TYPE = { pem: "application/x-pem-file", pkcs12: "application/x-pkcs12" } as const;

/** Conversion outcome. */
export type Converted = { ok: true; value: Buffer } | { ok: false; message: string };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** PEM blocks of a text, with their labels, in order. */
export function pemBlocks(text: string): Array<{ label: string; block: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, block: m[0] }));
}

/** Keeps blocks whose label passes `keep`, joined with newlines (ends in a newline), or "" when none. */
function selectBlocks(text: string, keep: (label: string) => boolean): string {
  const blocks = pemBlocks(text).filter((b) => keep(b.label));
  return blocks.length ? `${blocks.map((b) => b.block).join("\n")}\n` : "";
}

const isKey = (label: string) => /PRIVATE KEY$/.test(label);
const isCert = (label: string) => label === "CERTIFICATE";

/** Decodes `objectEncoding` of a secret value (pure). */
export function decodeObjectEncoding(
  raw: Buffer,
  encoding: SpcObject["objectEncoding"],
  objectId: string,
): Converted {
  if (encoding === "utf-8") return { ok: true, value: raw };
  const text = raw.toString("utf8").trim();
  if (encoding === "hex") {
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) {
      return { ok: false, message: `object ${objectId}: objectEncoding hex, but the value is not hex` };
    }
    return { ok: true, value: Buffer.from(text, "hex") };
  }
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(text)) {
    return { ok: false, message: `object ${objectId}: objectEncoding base64, but the value is not base64` };
  }
  return { ok: true, value: Buffer.from(text, "base64") };
}

/** True when converting this version needs a {@link Pkcs12Reader}: PEM output of a PKCS#12-stored secret (pure). */
export function needsPkcs12Reader(object: SpcObject, version: FetchedVersion): boolean {
  return (
    object.objectType === "secret" &&
    object.objectFormat === "pem" &&
    version.contentType?.toLowerCase() === CONTENT_TYPE.pkcs12
  );
}

/** PEM (key, then chain leaf first) of a base64 PFX; failures name the object and a fixed problem (pure). */
function pkcs12ToPem(stored: Buffer, readPkcs12: Pkcs12Reader | undefined, objectId: string): Converted {
  const failed = (problem: Pkcs12Problem): Converted => ({
    ok: false,
    message: `object ${objectId}: the PKCS#12 certificate could not be read: ${problem}`,
  });
  if (!readPkcs12) return failed(Pkcs12Problem.internal); // the caller did not load one: a bug
  const pfx = decodeObjectEncoding(stored, "base64", objectId);
  if (!pfx.ok || pfx.value.length === 0) return failed(Pkcs12Problem.notBase64);
  try {
    return { ok: true, value: Buffer.from(pemFromPkcs12(readPkcs12(pfx.value)), "utf8") };
  } catch (error) {
    return failed(error instanceof Pkcs12Error ? error.problem : Pkcs12Problem.internal);
  }
}

/**
 * Converts one fetched version of an SPC object into the bytes the object stands for (pure).
 * secret: the value after objectEncoding. A certificate-backed secret stored as PEM yields key + chain as
 * stored; one stored as PKCS#12 yields key + chain converted to PEM (objectFormat pem, needs `readPkcs12`) or
 * the PFX bytes (objectFormat pfx). For PKCS#12 the stored encoding is base64 by definition, so objectEncoding
 * is not applied. key/cert: the PEM the vault layer returned.
 */
export function convertObject(
  object: SpcObject,
  version: FetchedVersion,
  objectId: string,
  readPkcs12?: Pkcs12Reader,
): Converted {
  if (object.objectType !== "secret") return { ok: true, value: version.value };
  const contentType = version.contentType?.toLowerCase();
  if (contentType === CONTENT_TYPE.pkcs12) {
    if (object.objectFormat === "pfx") {
      return decodeObjectEncoding(version.value, "base64", objectId);
    }
    return pkcs12ToPem(version.value, readPkcs12, objectId);
  }
  if (object.objectFormat === "pfx") {
    return {
      ok: false,
      message: `object ${objectId}: objectFormat pfx needs a certificate stored as PKCS#12 (contentType ${CONTENT_TYPE.pkcs12})`,
    };
  }
  return decodeObjectEncoding(version.value, object.objectEncoding, objectId);
}

/**
 * For `kubernetes.io/tls` Secrets: tls.crt keeps only the CERTIFICATE blocks, tls.key only the private key
 * (pure). Other keys and other Secret types pass through unchanged.
 */
export function tlsPart(secretType: string, targetKey: string, value: Buffer, objectId: string): Converted {
  if (secretType !== "kubernetes.io/tls" || (targetKey !== "tls.crt" && targetKey !== "tls.key")) {
    return { ok: true, value };
  }
  const text = value.toString("utf8");
  const part = targetKey === "tls.crt" ? selectBlocks(text, isCert) : selectBlocks(text, isKey);
  if (!part) {
    const wanted = targetKey === "tls.crt" ? "a CERTIFICATE" : "a PRIVATE KEY";
    return { ok: false, message: `object ${objectId}: ${targetKey} needs ${wanted} PEM block, none found` };
  }
  return { ok: true, value: Buffer.from(part, "utf8") };
}
