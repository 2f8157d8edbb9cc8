/**
 * The management API of the local Azure stand-in (`/_keyfleet/...` on the identity port): what Azure Resource
 * Manager would do for tests and the demo — register app identities and their federated identity credentials,
 * assign Key Vault roles, list or add vaults — plus minting tokens directly (admin tokens to seed data; expired or
 * wrong-audience tokens for negative tests), and two faults Entra can cause: forgetting an identity (its token
 * requests are refused) and rolling the token-signing key over (tokens signed with the old key are refused). Every call except `health` needs the header
 * `x-keyfleet-management-key` with the key from the file the ready line publishes.
 */
import { timingSafeEqual } from "node:crypto";
import { ADMIN_CLIENT_ID, RegistryError, type Registry } from "./registry.ts";
import { VAULT_RESOURCE, type TokenIssuer } from "./token-issuer.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "../../common/vocabulary.ts";

/** Header carrying the management key. */
export const MANAGEMENT_KEY_HEADER = "x-keyfleet-management-key";
/** Path prefix of the management API. */
export const MANAGEMENT_PREFIX = "/_keyfleet";

/** A vault as the management API lists it. */
export interface VaultDescription {
  name: string;
  url: string;
}

/** Collaborators of the management API. */
export interface ManagementDeps {
  registry: Registry;
  issuer: TokenIssuer;
  managementKey: string;
  /** Rolls the token-signing key over (and keeps the new one); returns the new key id. */
  rotateSigningKey: () => string;
  /** Absent when the vault emulator is not served. */
  vaults?: { list(): VaultDescription[]; add(name: string): Promise<VaultDescription> };
}

/** A management request. */
export interface ManagementRequest {
  method: string;
  /** Segments after `/_keyfleet`. */
  segments: string[];
  body: Record<string, unknown>;
  managementKey: string | undefined;
}

function keyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function str(body: Record<string, unknown>, field: string, required: true): string;
function str(body: Record<string, unknown>, field: string, required: false): string | undefined;
function str(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) throw new RegistryError(400, `${field}: required`);
    return undefined;
  }
  if (typeof v !== "string") throw new RegistryError(400, `${field}: must be a string`);
  return v;
}

/** `GET|DELETE /identities/{clientId}` (DELETE: Entra forgets the identity; its token requests are refused). */
function oneIdentityRoute(
  deps: ManagementDeps,
  method: string,
  clientId: string,
): { status: number; body?: unknown } | undefined {
  const notFound = { status: 404, body: { error: `identity ${clientId} not found` } };
  if (method === "GET") {
    const identity = deps.registry.identity(clientId);
    return identity ? { status: 200, body: identity } : notFound;
  }
  if (method === "DELETE") return deps.registry.deleteIdentity(clientId) ? { status: 204 } : notFound;
  return undefined;
}

function identityRoutes(
  deps: ManagementDeps,
  req: ManagementRequest,
): { status: number; body?: unknown } | undefined {
  const [, clientId, sub, name, extra] = req.segments;
  if (extra !== undefined) return undefined;
  if (clientId === undefined) {
    if (req.method === "GET") return { status: 200, body: { value: deps.registry.listIdentities() } };
    if (req.method === "POST") {
      const clientIdIn = str(req.body, "clientId", false);
      const nameIn = str(req.body, "name", false);
      const identity = deps.registry.upsertIdentity({
        ...(clientIdIn ? { clientId: clientIdIn } : {}),
        ...(nameIn ? { name: nameIn } : {}),
      });
      return { status: 201, body: identity };
    }
    return undefined;
  }
  if (sub === undefined) return oneIdentityRoute(deps, req.method, clientId);
  if (sub !== "federated-credentials" || name === undefined) return undefined;
  if (req.method === "PUT") {
    const audiences = req.body.audiences ?? [TOKEN_EXCHANGE_AUDIENCE];
    if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== "string")) {
      throw new RegistryError(400, "audiences: must be an array of strings");
    }
    const credential = deps.registry.putFederatedCredential(clientId, {
      name,
      issuer: str(req.body, "issuer", true),
      subject: str(req.body, "subject", true),
      audiences: audiences as string[],
    });
    return { status: 200, body: credential };
  }
  if (req.method === "DELETE") {
    return deps.registry.deleteFederatedCredential(clientId, name)
      ? { status: 204 }
      : { status: 404, body: { error: "not found" } };
  }
  return undefined;
}

function roleRoutes(
  deps: ManagementDeps,
  req: ManagementRequest,
): { status: number; body?: unknown } | undefined {
  const [, id, extra] = req.segments;
  if (extra !== undefined) return undefined;
  if (id === undefined && req.method === "GET")
    return { status: 200, body: { value: deps.registry.listRoleAssignments() } };
  if (id === undefined && req.method === "POST") {
    const vaultName = str(req.body, "vaultName", true);
    if (deps.vaults && !deps.vaults.list().some((v) => v.name.toLowerCase() === vaultName.toLowerCase())) {
      throw new RegistryError(404, `vaultName: no vault named ${vaultName} is served`);
    }
    const scope = str(req.body, "scope", false);
    const assignment = deps.registry.assignRole({
      principalId: str(req.body, "principalId", true),
      role: str(req.body, "role", true),
      vaultName,
      ...(scope !== undefined ? { scope } : {}),
    });
    return { status: 201, body: assignment };
  }
  if (id !== undefined && req.method === "DELETE") {
    return deps.registry.deleteRoleAssignment(id)
      ? { status: 204 }
      : { status: 404, body: { error: "not found" } };
  }
  return undefined;
}

/** `POST /signing-keys/rotate`: a key rollover; tokens signed with the old key are refused from now on. */
function signingKeyRoute(
  deps: ManagementDeps,
  req: ManagementRequest,
): { status: number; body?: unknown } | undefined {
  const rotate = req.method === "POST" && req.segments.length === 2 && req.segments[1] === "rotate";
  return rotate ? { status: 200, body: { kid: deps.rotateSigningKey() } } : undefined;
}

async function route(
  deps: ManagementDeps,
  req: ManagementRequest,
): Promise<{ status: number; body?: unknown } | undefined> {
  const [top, name] = req.segments;
  switch (top) {
    case "identities":
      return identityRoutes(deps, req);
    case "role-assignments":
      return roleRoutes(deps, req);
    case "tokens": {
      if (req.method !== "POST" || name !== undefined) return undefined;
      const lifetime = req.body.lifetimeSeconds;
      if (lifetime !== undefined && (typeof lifetime !== "number" || !Number.isInteger(lifetime))) {
        throw new RegistryError(400, "lifetimeSeconds: must be an integer");
      }
      const minted = deps.issuer.mint({
        clientId: (str(req.body, "clientId", false) ?? ADMIN_CLIENT_ID).toLowerCase(),
        resource: str(req.body, "resource", false) ?? VAULT_RESOURCE,
        ...(lifetime !== undefined ? { lifetimeSeconds: lifetime as number } : {}),
      });
      return { status: 200, body: { accessToken: minted.accessToken, expiresOn: minted.expiresOn } };
    }
    case "signing-keys":
      return signingKeyRoute(deps, req);
    case "vaults": {
      if (!deps.vaults) throw new RegistryError(404, "the vault emulator is not served by this instance");
      if (req.method === "GET" && name === undefined)
        return { status: 200, body: { value: deps.vaults.list() } };
      if (req.method === "POST" && name === undefined) {
        const vault = await deps.vaults.add(str(req.body, "name", true));
        return { status: 201, body: vault };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Handles one management request. */
export async function handleManagement(
  deps: ManagementDeps,
  req: ManagementRequest,
): Promise<{ status: number; body?: unknown }> {
  if (req.segments[0] === "health" && req.method === "GET") return { status: 200, body: { ok: true } };
  if (!keyMatches(req.managementKey, deps.managementKey)) {
    return { status: 401, body: { error: `missing or wrong ${MANAGEMENT_KEY_HEADER} header` } };
  }
  try {
    const answer = await route(deps, req);
    return (
      answer ?? {
        status: 404,
        body: { error: `no management operation ${req.method} /${req.segments.join("/")}` },
      }
    );
  } catch (error) {
    if (error instanceof RegistryError) return { status: error.status, body: { error: error.message } };
    if (error instanceof Error && /vaultNames|name/.test(error.message))
      return { status: 400, body: { error: error.message } };
    throw error;
  }
}
