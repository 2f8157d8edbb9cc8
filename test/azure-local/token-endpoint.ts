/**
 * `POST /{tenant}/oauth2/v2.0/token` of the local identity endpoint: the client-credentials grant with a
 * Kubernetes ServiceAccount token as client assertion (workload identity federation), checked like Entra ID does —
 * signature against the kube-apiserver's JWKS, issuer, audience `api://AzureADTokenExchange`, validity window,
 * and a registered federated credential of that client matching issuer/subject/audience. Refusals use Entra's
 * error shape and AADSTS codes; they name issuer/subject/audience but never echo the assertion.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { audiencesOf, checkClaims, decodeJwt, JwtError, verifySignature, type DecodedJwt } from "./jwt.ts";
import type { KubeJwks } from "./kube-jwks.ts";
import { ADMIN_CLIENT_ID, matchFederatedCredential, type Registry } from "./registry.ts";
import { resourceFromScopes, type TokenIssuer } from "./token-issuer.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "../../common/vocabulary.ts";

/** Audience a ServiceAccount token must carry for the exchange. */
/** client_assertion_type of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** What the token endpoint needs. */
export interface TokenEndpointDeps {
  issuer: TokenIssuer;
  registry: Registry;
  jwks: KubeJwks;
  /** Expected `iss` of ServiceAccount tokens. */
  serviceAccountIssuer: string;
  /** The admin client's secret (the management key). */
  adminSecret: string;
  /** Clock, seconds. */
  nowSeconds: () => number;
  /** Receives one line per decision (client id, subject, outcome; never tokens). */
  log?: (line: string) => void;
}

/** An HTTP answer of the endpoint. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Pure: Entra's error body. */
export function entraError(status: number, error: string, aadsts: number, description: string): TokenAnswer {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    },
  };
}

function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function success(deps: TokenEndpointDeps, clientId: string, resource: string): TokenAnswer {
  const minted = deps.issuer.mint({ clientId, resource });
  return {
    status: 200,
    body: {
      token_type: "Bearer",
      expires_in: minted.expiresInSeconds,
      ext_expires_in: minted.expiresInSeconds,
      access_token: minted.accessToken,
    },
  };
}

async function verifyAssertion(
  deps: TokenEndpointDeps,
  decoded: DecodedJwt,
): Promise<TokenAnswer | undefined> {
  const iss = String(decoded.claims.iss ?? "");
  if (iss !== deps.serviceAccountIssuer) {
    return entraError(
      400,
      "invalid_client",
      700211,
      `No matching federated identity record found for presented assertion issuer '${iss}'.`,
    );
  }
  let key;
  try {
    key = await deps.jwks.key(decoded.header.kid);
  } catch (cause) {
    deps.log?.(
      `token: cannot fetch the issuer's signing keys: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    return entraError(
      503,
      "temporarily_unavailable",
      50196,
      "The signing keys of the assertion issuer could not be fetched.",
    );
  }
  if (!key) {
    return entraError(
      401,
      "invalid_client",
      700027,
      "Client assertion failed signature validation. (Reason - The key was not found.)",
    );
  }
  try {
    verifySignature(decoded, key);
  } catch {
    return entraError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
  }
  try {
    checkClaims(decoded.claims, {
      issuer: iss,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
      nowSeconds: deps.nowSeconds(),
      leewaySeconds: 0,
    });
  } catch (error) {
    if (error instanceof JwtError && error.check === "audience") {
      const aud = audiencesOf(decoded.claims).join(",");
      return entraError(
        400,
        "invalid_client",
        700212,
        `No matching federated identity record found for presented assertion audience '${aud}'.`,
      );
    }
    return entraError(400, "invalid_client", 700024, "Client assertion is not within its valid time range.");
  }
  return undefined;
}

/** Pure: checks tenant, grant, client id and scope; returns the refusal or the client id and resource. */
export function checkTokenRequest(
  tenantServed: string,
  tenant: string,
  form: URLSearchParams,
): TokenAnswer | { clientId: string; resource: string } {
  if (tenant.toLowerCase() !== tenantServed.toLowerCase()) {
    return entraError(400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
  }
  const grantType = form.get("grant_type");
  if (grantType !== "client_credentials") {
    const description = `The app requested an unsupported grant type '${grantType ?? ""}'.`;
    return entraError(400, "unsupported_grant_type", 70003, description);
  }
  const clientId = (form.get("client_id") ?? "").toLowerCase();
  if (!clientId) {
    const description = "The request body must contain the following parameter: 'client_id'.";
    return entraError(400, "invalid_request", 900144, description);
  }
  const { resource, error } = resourceFromScopes(form.get("scope") ?? "");
  if (!resource) {
    return entraError(400, "invalid_scope", 1002012, `The provided value for scope is not valid: ${error}.`);
  }
  return { clientId, resource };
}

/** Handles one token request (form fields already parsed). */
export async function exchangeToken(
  deps: TokenEndpointDeps,
  tenant: string,
  form: URLSearchParams,
): Promise<TokenAnswer> {
  const checked = checkTokenRequest(deps.issuer.tenantId, tenant, form);
  if ("status" in checked) return checked;
  const { clientId, resource } = checked;
  const secret = form.get("client_secret");
  if (secret !== null) {
    if (clientId === ADMIN_CLIENT_ID && secretsEqual(secret, deps.adminSecret)) {
      deps.log?.(`token: issued to the admin client for ${resource}`);
      return success(deps, clientId, resource);
    }
    deps.log?.(`token: refused client secret for ${clientId}`);
    return entraError(401, "invalid_client", 7000215, "Invalid client secret provided.");
  }
  const assertion = form.get("client_assertion");
  if (form.get("client_assertion_type") !== JWT_BEARER_ASSERTION_TYPE || !assertion) {
    return entraError(
      400,
      "invalid_client",
      7000216,
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    );
  }
  const identity = deps.registry.identity(clientId);
  if (!identity) {
    deps.log?.(`token: unknown client ${clientId}`);
    return entraError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
    );
  }
  let decoded: DecodedJwt;
  try {
    decoded = decodeJwt(assertion);
  } catch {
    return entraError(400, "invalid_client", 50027, "JWT token is invalid or malformed.");
  }
  const refused = await verifyAssertion(deps, decoded);
  if (refused) {
    deps.log?.(
      `token: refused assertion for ${clientId} (sub ${String(decoded.claims.sub)}): ${String(refused.body.error_codes)}`,
    );
    return refused;
  }
  const iss = String(decoded.claims.iss);
  const sub = String(decoded.claims.sub ?? "");
  const auds = audiencesOf(decoded.claims);
  const { match, failed } = matchFederatedCredential(identity, iss, sub, auds);
  if (!match) {
    deps.log?.(`token: no federated credential of ${clientId} matches sub ${sub} (${failed})`);
    if (failed === "issuer") {
      return entraError(
        400,
        "invalid_client",
        700211,
        `No matching federated identity record found for presented assertion issuer '${iss}'.`,
      );
    }
    if (failed === "audience") {
      return entraError(
        400,
        "invalid_client",
        700212,
        `No matching federated identity record found for presented assertion audience '${auds.join(",")}'.`,
      );
    }
    return entraError(
      400,
      "invalid_client",
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. ` +
        `Assertion Subject: '${sub}'. Assertion Audience: '${auds.join(",")}'.`,
    );
  }
  deps.log?.(`token: issued to ${clientId} for ${sub} via federated credential ${match.name} (${resource})`);
  return success(deps, clientId, resource);
}
