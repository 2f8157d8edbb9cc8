/**
 * One emulated vault's HTTPS request listener: Key Vault's challenge authentication (401 + WWW-Authenticate
 * naming the local authority and tenant), bearer token verification (signature, issuer, audience, expiry, tenant),
 * api-version check (any 7.x), Azure RBAC per request (403 ForbiddenByRbac), then the secrets/keys/certificates
 * handlers. Ids and nextLinks are built on the Host the caller used, so a proxy in front stays in the path.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { KeyVaultError, parseJsonObject, readBody, sendJson } from "./http.ts";
import { JwtError } from "./jwt.ts";
import type { Registry } from "./registry.ts";
import { VAULT_RESOURCE, type AccessTokenClaims } from "./token-issuer.ts";
import { handleCertificates } from "./vault-certificates.ts";
import { handleKeys } from "./vault-keys.ts";
import { badParameter, type VaultAction, type VaultRequest, type VaultResponse } from "./vault-model.ts";
import { handleSecrets } from "./vault-secrets.ts";
import type { VaultState } from "./vault-state.ts";

/** A served vault and its own origin. */
export interface ServedVault {
  state: VaultState;
  /** `https://127.0.0.1:<its port>`. */
  origin: string;
}

/** Collection names a path-prefix vault name may not shadow. */
export const COLLECTIONS = [
  "secrets",
  "keys",
  "certificates",
  "deletedsecrets",
  "deletedkeys",
  "deletedcertificates",
];

/** Collaborators of a vault listener. */
export interface VaultServerDeps {
  /** The vault this port serves at its root. */
  vault: VaultState;
  /** Any served vault by (case-insensitive) name, for `/<vaultName>/...` path-prefix addressing. */
  lookup: (name: string) => ServedVault | undefined;
  tenantId: string;
  /** The identity endpoint's origin (authority host) for the challenge. */
  authorityHost: () => string;
  /** Verifies an access token; throws JwtError. */
  verifyToken: (token: string) => AccessTokenClaims;
  registry: Registry;
  /** This listener's own origin, used when the Host header is not a loopback host:port. */
  ownOrigin: () => string;
  /** One line per request (method, path without query, status); never values or tokens. */
  log?: (line: string) => void;
}

/** Pure: api-versions accepted (7.0 … 7.6 and 7.x previews). */
export function isSupportedApiVersion(version: string | null): boolean {
  return version !== null && /^7\.\d+(-preview(\.\d+)?)?$/.test(version);
}

/** Pure: the base URL for ids/nextLinks from the Host header, when it is an IP literal or localhost with a port. */
export function baseUrlFromHost(host: string | undefined, fallback: string): string {
  // Any IPv4 literal, not just loopback: the listener is on loopback only, so another address means the caller came
  // through the proving ground's service proxy (a pod dials the node's bridge address), and ids must name the
  // address the caller used, as Key Vault's ids name the vault's own host.
  if (host && /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{1,5}$/.test(host))
    return `https://${host}`;
  return fallback;
}

/** Pure: the challenge header value. */
export function challengeHeader(authorityHost: string, tenantId: string): string {
  return `Bearer authorization="${authorityHost}/${tenantId}", resource="${VAULT_RESOURCE}"`;
}

function unauthorized(deps: VaultServerDeps, message: string): KeyVaultError {
  return new KeyVaultError(401, "Unauthorized", message, undefined, {
    "www-authenticate": challengeHeader(deps.authorityHost(), deps.tenantId),
  });
}

function authenticate(deps: VaultServerDeps, header: string | undefined): AccessTokenClaims {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw unauthorized(deps, "AKV10000: Request is missing a Bearer or PoP token.");
  let claims: AccessTokenClaims;
  try {
    claims = deps.verifyToken(match[1]!);
  } catch (error) {
    if (!(error instanceof JwtError)) throw error;
    const messages: Record<JwtError["check"], string> = {
      malformed: "AKV10000: Request is missing a Bearer or PoP token.",
      signature: "AKV10001: Token signature validation failed.",
      unknownKey: "AKV10001: Token signature validation failed (unknown signing key).",
      issuer: "AKV10032: Invalid issuer.",
      audience: "AKV10022: Invalid audience.",
      expired: "AKV10010: Token is expired.",
      notYetValid: "AKV10010: Token is not valid yet.",
    };
    throw unauthorized(deps, messages[error.check]);
  }
  if (claims.tid.toLowerCase() !== deps.tenantId.toLowerCase()) {
    throw unauthorized(deps, `AKV10032: Invalid issuer. Expected tenant ${deps.tenantId}.`);
  }
  return claims;
}

function forbiddenByRbac(
  claims: AccessTokenClaims,
  vaultName: string,
  action: string,
  objectPath?: string,
): KeyVaultError {
  return new KeyVaultError(
    403,
    "Forbidden",
    "Caller is not authorized to perform action on resource.\r\n" +
      "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
      `Caller: appid=${claims.appid};oid=${claims.oid};iss=${claims.iss}\r\n` +
      `Action: 'Microsoft.KeyVault/vaults/${action}'\r\n` +
      `Resource: '/vaults/${vaultName}${objectPath ? `/${objectPath}` : ""}'\r\n` +
      "Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null\r\n" +
      `Vault: ${vaultName};location=local\r\n`,
    "ForbiddenByRbac",
  );
}

async function dispatch(deps: VaultServerDeps, req: IncomingMessage): Promise<VaultResponse> {
  const url = new URL(req.url ?? "/", "https://local");
  const claims = authenticate(deps, req.headers.authorization);
  const apiVersion = url.searchParams.get("api-version");
  if (!isSupportedApiVersion(apiVersion)) {
    throw badParameter(
      apiVersion === null
        ? "The 'api-version' query parameter is missing."
        : `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (7.6).`,
    );
  }
  const method = (req.method ?? "GET").toUpperCase();
  const body = ["PUT", "POST", "PATCH"].includes(method) ? parseJsonObject(await readBody(req)) : {};
  let segments: string[];
  try {
    segments = url.pathname.split("/").slice(1).map(decodeURIComponent);
  } catch {
    throw badParameter("The request URI is not valid.");
  }
  const callerBase = baseUrlFromHost(req.headers.host, deps.ownOrigin());
  let vault = deps.vault;
  let baseUrl = callerBase;
  let listBaseUrl = callerBase;
  const prefixed =
    segments[0] && !COLLECTIONS.includes(segments[0].toLowerCase()) ? deps.lookup(segments[0]) : undefined;
  if (prefixed) {
    vault = prefixed.state;
    baseUrl = prefixed.origin;
    listBaseUrl = `${callerBase}/${vault.name}`;
    segments = segments.slice(1);
  }
  const vaultName = vault.name;
  const request: VaultRequest = {
    method,
    segments,
    query: url.searchParams,
    body,
    baseUrl,
    listBaseUrl,
    authorize(action: VaultAction, objectPath?: string) {
      if (
        !deps.registry.authorize(claims.oid, vaultName, `Microsoft.KeyVault/vaults/${action}`, objectPath)
      ) {
        throw forbiddenByRbac(claims, vaultName, action, objectPath);
      }
    },
  };
  const answer =
    handleSecrets(vault, request) ?? handleKeys(vault, request) ?? (await handleCertificates(vault, request));
  if (!answer)
    throw new KeyVaultError(
      404,
      "NotFound",
      `The operation ${method} ${url.pathname} is not supported by the local vault.`,
    );
  return answer;
}

/** The request listener of one vault. */
export function vaultRequestListener(
  deps: VaultServerDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = randomUUID();
    const headers = { "x-ms-request-id": requestId, "x-ms-keyvault-service-version": "keyfleet-local" };
    const path = (req.url ?? "/").split("?")[0];
    dispatch(deps, req)
      .then((answer) => {
        sendJson(res, answer.status, answer.body, headers);
        deps.log?.(`vault ${deps.vault.name}: ${req.method} ${path} ${answer.status}`);
      })
      .catch((error: unknown) => {
        if (error instanceof KeyVaultError) {
          req.resume();
          sendJson(res, error.status, error.body(), { ...headers, ...error.headers });
          deps.log?.(
            `vault ${deps.vault.name}: ${req.method} ${path} ${error.status} ${error.innerCode ?? error.code}`,
          );
          return;
        }
        deps.log?.(
          `vault ${deps.vault.name}: ${req.method} ${path} 500 ${error instanceof Error ? error.message : String(error)}`,
        );
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: "InternalServerError", message: "internal error" } }, headers);
        else res.destroy();
      });
  };
}
