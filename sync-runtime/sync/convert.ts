/**
 * Pure conversions from raw Key Vault content to Secret bytes: objectEncoding (utf-8 | hex | base64),
 * objectFormat (pem | pfx) for certificate-backed secrets, and the tls split (tls.crt = certificate chain,
 * tls.key = private key). Errors name the object and what was expected, never the content.
 */
import type { FetchedVersion } from "../vault/types.ts";
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

/**
 * Converts one fetched version of an SPC object into the bytes the object stands for (pure).
 * secret: the value after objectEncoding; a certificate-backed secret stored as PEM yields chain + key (pem) and
 * one stored as PKCS#12 yields the PFX bytes (objectFormat pfx). key/cert: the PEM the vault layer returned.
 */
export function convertObject(object: SpcObject, version: FetchedVersion, objectId: string): Converted {
  if (object.objectType !== "secret") return { ok: true, value: version.value };
  const contentType = version.contentType?.toLowerCase();
  if (contentType === CONTENT_TYPE.pkcs12) {
    if (object.objectFormat === "pfx") {
      return decodeObjectEncoding(version.value, "base64", objectId);
    }
    return {
      ok: false,
      message:
        `object ${objectId}: the certificate is stored as PKCS#12; set objectFormat: pfx ` +
        "(PEM output needs the certificate stored with contentType application/x-pem-file)",
    };
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
