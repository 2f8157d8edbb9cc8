/**
 * Configuration of the local Azure stand-in (`node test/azure-local/main.ts --config <file.json>`), validated
 * once with zod; errors name the key path and what is allowed.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { KeyVaultNamePattern } from "../../common/vocabulary.ts";

const VAULT_NAME = KeyVaultNamePattern.vault;
/** Names that would shadow a collection in `/<vaultName>/...` addressing. */
const RESERVED = ["secrets", "keys", "certificates", "deletedsecrets", "deletedkeys", "deletedcertificates"];

/** Schema of the config file. */
export const azureLocalConfigSchema = z.object({
  /** Address every listener binds to. Loopback only. Default "127.0.0.1". */
  host: z
    .string()
    .refine((h) => h === "127.0.0.1" || h === "localhost" || h === "::1", "must be a loopback address")
    .default("127.0.0.1"),
  /** Port of the first vault (following vaults take the next free ports); 0 = pick free ports. Default 0. */
  vaultPort: z.number().int().min(0).max(65535).default(0),
  /** Port of the identity endpoint (token + management API); 0 = pick. Default 0. */
  identityPort: z.number().int().min(0).max(65535).default(0),
  /** PEM serving certificate (SAN 127.0.0.1 + localhost), signed by `caFile`. */
  tlsCertFile: z.string().min(1),
  /** PEM private key of `tlsCertFile`. */
  tlsKeyFile: z.string().min(1),
  /** PEM CA that clients trust for both endpoints. */
  caFile: z.string().min(1),
  /** Directory for the management key file (mode 0600). Created when missing. */
  stateDir: z.string().min(1),
  /** Serve the Key Vault emulator (false = identity endpoint only). Default true. */
  serveVault: z.boolean().default(true),
  /** Vault names, one HTTPS port each; the first is the default. Default ["keyfleet-local"]. */
  vaultNames: z
    .array(
      z
        .string()
        .regex(VAULT_NAME, "3-24 characters: letters, digits and '-', starting with a letter")
        .refine((n) => !RESERVED.includes(n.toLowerCase()), "must not be a Key Vault collection name"),
    )
    .min(1)
    .default(["keyfleet-local"]),
  /** Tenant id the identity endpoint serves and the vaults trust. */
  tenantId: z.string().regex(/^[0-9a-fA-F-]{8,64}$/, "must be a GUID"),
  /** Lifetime of minted access tokens, seconds. Default 600. */
  accessTokenLifetimeSeconds: z.number().int().min(1).max(86_400).default(600),
  /** Purge protection on the vaults (purge then answers 403 like Azure). Default false. */
  purgeProtection: z.boolean().default(false),
  /** The kube-apiserver whose ServiceAccount tokens the identity endpoint accepts as client assertions. */
  kubernetes: z.object({
    /** https://127.0.0.1:<port>; JWKS is read from `<apiServerUrl>/openid/v1/jwks`. */
    apiServerUrl: z.url({ protocol: /^https$/ }),
    /** PEM CA of the apiserver. */
    caFile: z.string().min(1),
    /** PEM client certificate allowed to read the JWKS (system:service-account-issuer-discovery). */
    clientCertFile: z.string().min(1),
    /** PEM key of `clientCertFile`. */
    clientKeyFile: z.string().min(1),
    /** Expected `iss` of ServiceAccount tokens (`--service-account-issuer`). */
    serviceAccountIssuer: z.string().min(1),
  }),
});

/** Validated configuration (defaults applied). */
export type AzureLocalConfig = z.output<typeof azureLocalConfigSchema>;
/** Configuration as written (defaults optional). */
export type AzureLocalConfigInput = z.input<typeof azureLocalConfigSchema>;

/** Pure: validates a parsed config; the error lists every bad key path. */
export function parseConfig(raw: unknown, source = "config"): AzureLocalConfig {
  const result = azureLocalConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${source}: invalid azure-local config:\n  ${problems.join("\n  ")}`);
  }
  const names = result.data.vaultNames.map((n) => n.toLowerCase());
  if (new Set(names).size !== names.length) throw new Error(`${source}: vaultNames: names must be unique`);
  return result.data;
}

/** Reads and validates a config file. */
export function loadConfig(file: string): AzureLocalConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`${file}: cannot read the azure-local config as JSON`, { cause });
  }
  return parseConfig(raw, file);
}
