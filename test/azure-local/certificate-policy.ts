/**
 * Certificate policies of the certificate emulation: Key Vault's defaults, validation of a requested policy
 * (errors name the field), and the X.509 options a self-signed issuance takes from it.
 */
import { badParameter } from "./vault-model.ts";
import type { SelfSignedOptions } from "./certs.ts";

/** Secret content types Key Vault supports for a certificate's backing secret. */
export const CERT_CONTENT_TYPES = { pem: "application/x-pem-file", pfx: "application/x-pkcs12" } as const;

/** Key Vault's default extended key usages (server + client auth). */
const DEFAULT_EKUS = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];
/** Key Vault's default key usages. */
const DEFAULT_KEY_USAGE = ["digitalSignature", "keyEncipherment"];

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw badParameter(`${field} must be an object`);
  return value as Record<string, unknown>;
}

function strings(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw badParameter(`${field} must be an array of strings`);
  }
  return value as string[];
}

/** Fallbacks taken from an imported certificate. */
interface PolicyFallback {
  subject?: string;
  contentType?: string;
  validityMonths?: number;
}

function normalizeKeyProps(keyProps: Record<string, unknown>): Record<string, unknown> {
  const kty = (keyProps.kty as string | undefined) ?? "RSA";
  if (!["RSA", "RSA-HSM", "EC", "EC-HSM"].includes(kty)) {
    throw badParameter("policy.key_props.kty must be RSA, RSA-HSM, EC or EC-HSM");
  }
  const isEc = kty.startsWith("EC");
  const keySize = keyProps.key_size ?? 2048;
  if (!isEc && ![2048, 3072, 4096].includes(keySize as number)) {
    throw badParameter("policy.key_props.key_size must be 2048, 3072 or 4096");
  }
  const crv = keyProps.crv ?? "P-256";
  if (isEc && !["P-256", "P-384", "P-521"].includes(crv as string)) {
    throw badParameter("policy.key_props.crv must be P-256, P-384 or P-521");
  }
  return {
    exportable: keyProps.exportable ?? true,
    kty,
    ...(isEc ? { crv } : { key_size: keySize }),
    reuse_key: keyProps.reuse_key ?? false,
  };
}

function normalizeSans(x509: Record<string, unknown>): Record<string, unknown> {
  const sans = object(x509.sans, "policy.x509_props.sans");
  const out: Record<string, string[]> = {};
  for (const field of ["dns_names", "emails", "uris"]) {
    const list = strings(sans[field], `policy.x509_props.sans.${field}`);
    if (list) out[field] = list;
  }
  return Object.keys(out).length ? { sans: out } : {};
}

function normalizeX509Props(
  x509: Record<string, unknown>,
  fallback: PolicyFallback,
): Record<string, unknown> {
  const subject = x509.subject ?? fallback.subject;
  if (subject !== undefined && typeof subject !== "string") {
    throw badParameter("policy.x509_props.subject must be a string");
  }
  const validity = x509.validity_months ?? fallback.validityMonths ?? 12;
  if (!Number.isInteger(validity) || (validity as number) < 1 || (validity as number) > 1200) {
    throw badParameter("policy.x509_props.validity_months must be an integer from 1 to 1200");
  }
  return {
    ...(subject !== undefined ? { subject } : {}),
    ...normalizeSans(x509),
    ekus: strings(x509.ekus, "policy.x509_props.ekus") ?? DEFAULT_EKUS,
    key_usage: strings(x509.key_usage, "policy.x509_props.key_usage") ?? DEFAULT_KEY_USAGE,
    validity_months: validity,
  };
}

/**
 * Pure: a complete policy (wire JSON) from a requested one, with Key Vault's defaults: RSA 2048 exportable key,
 * PKCS#12 secret, 12 months, server+client auth, auto-renew at 80 %, issuer Self. `fallback` comes from an
 * imported certificate.
 */
export function normalizePolicy(
  requested: unknown,
  nowSeconds: number,
  fallback: PolicyFallback = {},
): Record<string, unknown> {
  const policy = object(requested, "policy");
  const secretProps = object(policy.secret_props, "policy.secret_props");
  const issuer = object(policy.issuer, "policy.issuer");
  const contentType = secretProps.contentType ?? fallback.contentType ?? CERT_CONTENT_TYPES.pfx;
  if (!Object.values(CERT_CONTENT_TYPES).includes(contentType as never)) {
    const allowed = Object.values(CERT_CONTENT_TYPES).join(" or ");
    throw badParameter(`policy.secret_props.contentType must be ${allowed}`);
  }
  return {
    key_props: normalizeKeyProps(object(policy.key_props, "policy.key_props")),
    secret_props: { contentType },
    x509_props: normalizeX509Props(object(policy.x509_props, "policy.x509_props"), fallback),
    lifetime_actions: Array.isArray(policy.lifetime_actions)
      ? policy.lifetime_actions
      : [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "AutoRenew" } }],
    issuer: { name: typeof issuer.name === "string" ? issuer.name : "Self" },
    attributes: { enabled: true, created: nowSeconds, updated: nowSeconds },
  };
}

/** Pure: self-signed issuance options from a normalized policy; only issuer "Self" can be issued locally. */
export function selfSignedOptionsFrom(policy: Record<string, unknown>): SelfSignedOptions {
  const issuer = policy.issuer as { name: string };
  if (issuer.name.toLowerCase() !== "self") {
    throw badParameter(
      `policy.issuer.name: only "Self" is supported by the local vault, got ${JSON.stringify(issuer.name)}`,
    );
  }
  const keyProps = policy.key_props as { kty: string; key_size?: number; crv?: string };
  const x509 = policy.x509_props as {
    subject?: string;
    sans?: { dns_names?: string[]; emails?: string[]; uris?: string[] };
    ekus: string[];
    key_usage: string[];
    validity_months: number;
  };
  if (!x509.subject && !x509.sans?.dns_names?.length) {
    throw badParameter("policy.x509_props: subject or sans.dns_names is required");
  }
  return {
    subject: x509.subject ?? `CN=${x509.sans!.dns_names![0]}`,
    ...(x509.sans?.dns_names ? { dnsNames: x509.sans.dns_names } : {}),
    ...(x509.sans?.emails ? { emails: x509.sans.emails } : {}),
    ...(x509.sans?.uris ? { uris: x509.sans.uris } : {}),
    ekus: x509.ekus,
    keyUsage: x509.key_usage,
    validityMonths: x509.validity_months,
    keyType: keyProps.kty.startsWith("EC") ? "EC" : "RSA",
    ...(keyProps.key_size ? { keySize: keyProps.key_size } : {}),
    ...(keyProps.crv ? { curve: keyProps.crv } : {}),
  };
}
