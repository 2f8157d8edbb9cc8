/**
 * The local identity endpoint (Entra ID-like, HTTPS): OIDC discovery for MSAL (`/{tenant}/v2.0/.well-known/
 * openid-configuration`), the signing keys, the token endpoint (see token-endpoint.ts) and the management API
 * (`/_keyfleet/...`). @azure/identity callers set `authorityHost` to this server and `disableInstanceDiscovery`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  handleManagement,
  MANAGEMENT_KEY_HEADER,
  MANAGEMENT_PREFIX,
  type ManagementDeps,
} from "./management-api.ts";
import { parseJsonObject, readBody, sendJson, KeyVaultError } from "./http.ts";
import { exchangeToken, type TokenEndpointDeps } from "./token-endpoint.ts";

/** Collaborators of the identity endpoint. */
export interface IdentityServerDeps {
  token: TokenEndpointDeps;
  management: ManagementDeps;
  /** `https://127.0.0.1:<port>` of this server. */
  authorityHost: () => string;
  log: (line: string) => void;
}

/** Pure: the OIDC discovery document MSAL reads (Entra v2 shape, on the local authority). */
export function openIdConfiguration(authorityHost: string, tenant: string): Record<string, unknown> {
  const base = `${authorityHost}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${authorityHost}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid"],
    tenant_region_scope: null,
    cloud_instance_name: "keyfleet.local",
    cloud_graph_host_name: "graph.keyfleet.local",
    msgraph_host: "graph.keyfleet.local",
  };
}

/**
 * Pure: the authority a caller reached — `https://<Host header>` — so a pod that dials this server through the
 * proving ground's service proxy (another address) is sent on to the same address, as Entra ID answers on its own
 * name; the configured authority when the request has no Host.
 */
export function requestAuthority(hostHeader: string | undefined, configured: string): string {
  return hostHeader && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(hostHeader)
    ? `https://${hostHeader}`
    : configured;
}

/** The GET documents: OIDC discovery (v2 and v1 paths), signing keys, instance discovery. */
function discoveryDocument(
  deps: IdentityServerDeps,
  segments: string[],
  hostHeader: string | undefined,
): Record<string, unknown> | undefined {
  const [tenant, a, b, c] = segments;
  const authority = requestAuthority(hostHeader, deps.authorityHost());
  if (!tenant) return undefined;
  const v2 = a === "v2.0" && b === ".well-known" && c === "openid-configuration";
  const v1 = a === ".well-known" && b === "openid-configuration";
  if (v2 || v1) return openIdConfiguration(authority, tenant);
  if (a === "discovery" && segments.at(-1) === "keys") return deps.token.issuer.jwks();
  if (tenant === "common" && a === "discovery" && b === "instance") {
    const host = new URL(authority).host;
    return {
      tenant_discovery_endpoint: `${authority}/{tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }
  return undefined;
}

async function route(deps: IdentityServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "https://local");
  const method = req.method ?? "GET";
  if (url.pathname.startsWith(`${MANAGEMENT_PREFIX}/`)) {
    const body = parseJsonObject(await readBody(req));
    const header = req.headers[MANAGEMENT_KEY_HEADER];
    const answer = await handleManagement(deps.management, {
      method,
      segments: url.pathname
        .slice(MANAGEMENT_PREFIX.length + 1)
        .split("/")
        .map(decodeURIComponent),
      body,
      managementKey: typeof header === "string" ? header : undefined,
    });
    sendJson(res, answer.status, answer.body);
    return;
  }
  const segments = url.pathname.split("/").filter(Boolean);
  const [tenant, a, b, c] = segments;
  if (method === "GET") {
    const body = discoveryDocument(deps, segments, req.headers.host);
    if (body) {
      sendJson(res, 200, body);
      return;
    }
  }
  if (method === "POST" && tenant && a === "oauth2" && b === "v2.0" && c === "token") {
    const form = new URLSearchParams((await readBody(req)).toString("utf8"));
    const answer = await exchangeToken(deps.token, tenant, form);
    sendJson(res, answer.status, answer.body, { "cache-control": "no-store", pragma: "no-cache" });
    return;
  }
  sendJson(res, 404, { error: "not_found", error_description: `no endpoint ${method} ${url.pathname}` });
}

/** The request listener of the identity endpoint. */
export function identityRequestListener(
  deps: IdentityServerDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((error: unknown) => {
      if (error instanceof KeyVaultError) {
        sendJson(res, error.status, { error: "invalid_request", error_description: error.message });
        return;
      }
      deps.log(
        `identity: internal error on ${req.method} ${req.url?.split("?")[0]}: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!res.headersSent)
        sendJson(res, 500, { error: "server_error", error_description: "internal error" });
      else res.destroy();
    });
  };
}
