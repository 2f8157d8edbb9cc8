/**
 * The {@link Pkcs12Reader} of the runtime: node-forge opens the PKCS#12 container (node:crypto cannot), with the
 * empty password Key Vault uses. node-forge reads both kinds Key Vault users meet: the legacy PBE-SHA1-3DES /
 * PBE-SHA1-RC2-40 with a SHA-1 MAC (Key Vault, Windows, `openssl -legacy`) and OpenSSL 3's default PBES2
 * (PBKDF2-HMAC-SHA256, AES-256-CBC) with a SHA-256 MAC. (pkijs was the alternative; it decrypts through
 * WebCrypto, which has neither 3DES nor RC2.)
 *
 * node-forge is loaded by a dynamic import the first time a PKCS#12 item is converted, so a runtime that never
 * meets one never evaluates it. Its key derivation is plain JavaScript on the event loop (~50 ms for OpenSSL's
 * 2,048 iterations), so each reader remembers what it read per PFX (versions are immutable), and refuses
 * iteration counts a crafted PFX could use to stall the runtime.
 */
import { createHash } from "node:crypto";
import type * as NodeForge from "node-forge";
import { Pkcs12Error, Pkcs12Problem } from "./pkcs12.ts";
import type { Pkcs12Contents, Pkcs12Reader } from "./pkcs12.ts";

type Forge = typeof NodeForge;
type Asn1 = NodeForge.asn1.Asn1;
type Bag = NodeForge.pkcs12.Bag;

/**
 * Largest iteration count one key derivation of a PKCS#12 may ask for, and the most all of them together may
 * ask for (counted where visible before decryption: the MAC, encrypted contents, plain key bags). Key Vault,
 * Windows and OpenSSL use about 2,000; 600,000 is OWASP's PBKDF2-HMAC-SHA256 figure for passwords.
 */
export const PKCS12_ITERATION_LIMITS = { each: 600_000, total: 1_000_000 } as const;

/** Options of {@link loadPkcs12Reader}. */
export interface Pkcs12ReaderOptions {
  /** PFX files whose outcome is remembered (by SHA-256 of the bytes), oldest forgotten first. Default 512. */
  cacheEntries?: number;
}

/** Maps a node-forge failure to a fixed problem text (its own messages are not passed on). */
export function problemOfForgeError(error: unknown): Pkcs12Problem {
  const message = error instanceof Error ? error.message : "";
  if (/unsupported|not supported|only .*supported|unknown/i.test(message)) return Pkcs12Problem.unsupported;
  if (/MAC could not be verified|password|decrypt/i.test(message)) return Pkcs12Problem.password;
  return Pkcs12Problem.notPkcs12;
}

const bytes = (forge: Forge, node: Asn1): Buffer => Buffer.from(forge.asn1.toDer(node).getBytes(), "binary");

/** Unsigned value of a DER INTEGER (Infinity when it cannot be a sane iteration count). */
function integerValue(node: Asn1): number {
  const raw = typeof node.value === "string" ? node.value : "";
  if (raw.length === 0 || raw.length > 6) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < raw.length; i++) n = n * 256 + raw.charCodeAt(i);
  return n;
}

/**
 * Iteration counts visible without decrypting: in PKCS#12 (MacData), PBES1 and PBKDF2 parameters the count is the
 * INTEGER right after the salt OCTET STRING. Unencrypted Data contents are OCTET STRINGs holding DER; look inside.
 */
export function visibleIterationCounts(forge: Forge, node: Asn1, depth = 0): number[] {
  const { Class, Type } = forge.asn1;
  const universal = (n: Asn1 | undefined, type: number) =>
    n !== undefined && n.tagClass === Class.UNIVERSAL && n.type === type;
  if (typeof node.value === "string") {
    if (depth >= 6 || !universal(node, Type.OCTETSTRING) || node.value.charCodeAt(0) !== 0x30) return [];
    try {
      return visibleIterationCounts(forge, forge.asn1.fromDer(node.value, false), depth + 1);
    } catch {
      return []; // not DER (a digest, a salt, ciphertext)
    }
  }
  const children = node.value;
  return children.flatMap((child, i) => [
    ...(universal(children[i - 1], Type.OCTETSTRING) && universal(child, Type.INTEGER)
      ? [integerValue(child)]
      : []),
    ...visibleIterationCounts(forge, child, depth),
  ]);
}

/**
 * DER of a certificate bag. node-forge parses RSA certificates and re-encodes them with its own outer
 * signature AlgorithmIdentifier (NULL parameters even where the original has none); rebuild the certificate
 * from the original TBSCertificate, the AlgorithmIdentifier the TBS names (X.509 requires both to be equal)
 * and the signature, so the bytes are the issuer's. Other certificates come back as the original ASN.1.
 */
function certificateDer(forge: Forge, bag: Bag): Buffer {
  const { Class, Type } = forge.asn1;
  if (bag.cert) {
    const tbs = bag.cert.tbsCertificate;
    const fields = Array.isArray(tbs.value) ? tbs.value : [];
    const hasVersion = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC;
    const algorithm = fields[hasVersion ? 2 : 1];
    if (!algorithm) throw new Pkcs12Error(Pkcs12Problem.badCertificate);
    const signature = forge.asn1.create(
      Class.UNIVERSAL,
      Type.BITSTRING,
      false,
      `\u0000${bag.cert.signature as string}`,
    );
    return bytes(forge, forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [tbs, algorithm, signature]));
  }
  return bytes(forge, bag.asn1);
}

/** PKCS#8 DER of a key bag: node-forge parses RSA keys (re-wrapped here); others come back as ASN.1. */
function keyDer(forge: Forge, bag: Bag): Buffer {
  if (bag.key) return bytes(forge, forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)));
  return bytes(forge, bag.asn1);
}

/** Reads one PFX with node-forge (pure apart from the CPU it takes). */
export function readPkcs12WithForge(forge: Forge, pfx: Buffer): Pkcs12Contents {
  let outer: Asn1;
  try {
    outer = forge.asn1.fromDer(pfx.toString("binary"), false);
  } catch {
    throw new Pkcs12Error(Pkcs12Problem.notPkcs12);
  }
  const counts = visibleIterationCounts(forge, outer);
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.some((c) => c > PKCS12_ITERATION_LIMITS.each) || total > PKCS12_ITERATION_LIMITS.total) {
    throw new Pkcs12Error(Pkcs12Problem.tooManyIterations);
  }
  let pfxObject: ReturnType<Forge["pkcs12"]["pkcs12FromAsn1"]>;
  try {
    pfxObject = forge.pkcs12.pkcs12FromAsn1(outer, false, "");
  } catch (error) {
    throw new Pkcs12Error(problemOfForgeError(error));
  }
  const { oids } = forge.pki;
  const contents: Pkcs12Contents = { privateKeys: [], certificates: [] };
  for (const bag of pfxObject.safeContents.flatMap((s) => s.safeBags)) {
    try {
      if (bag.type === oids.certBag) contents.certificates.push(certificateDer(forge, bag));
      else if (bag.type === oids.keyBag || bag.type === oids.pkcs8ShroudedKeyBag)
        contents.privateKeys.push(keyDer(forge, bag));
    } catch (error) {
      if (error instanceof Pkcs12Error) throw error;
      throw new Pkcs12Error(bag.type === oids.certBag ? Pkcs12Problem.badCertificate : Pkcs12Problem.badKey);
    }
  }
  return contents;
}

/**
 * Loads node-forge (dynamic import) and returns a reader that remembers the outcome of each PFX it read, failures
 * included, so a version polled again costs a hash instead of a key derivation. The remembered contents hold
 * private keys, as the vault layer's cached values (the PFX itself, empty password) already do.
 */
export async function loadPkcs12Reader(options: Pkcs12ReaderOptions = {}): Promise<Pkcs12Reader> {
  const module = (await import("node-forge")) as Forge & { default?: Forge };
  const forge = module.default ?? module;
  const capacity = Math.max(1, options.cacheEntries ?? 512);
  const seen = new Map<string, Pkcs12Contents | Pkcs12Error>();
  return (pfx) => {
    const key = createHash("sha256").update(pfx).digest("base64");
    let outcome = seen.get(key);
    if (outcome === undefined) {
      try {
        outcome = readPkcs12WithForge(forge, pfx);
      } catch (error) {
        outcome = error instanceof Pkcs12Error ? error : new Pkcs12Error(Pkcs12Problem.internal);
      }
      if (seen.size >= capacity) seen.delete(seen.keys().next().value!);
      seen.set(key, outcome);
    }
    if (outcome instanceof Pkcs12Error) throw outcome;
    return outcome;
  };
}
