/**
 * A small typed client of the local stand-in's management API (`/_keyfleet/...`), for tests and the demo:
 * register identities and federated credentials, assign Key Vault roles, add vaults, mint tokens directly.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import type { LocalIdentity } from "../../scripts/local/env.ts";
import type { VaultDescription } from "./management-api.ts";
import type { AppIdentity, FederatedCredential, RoleAssignment } from "./registry.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "../../common/vocabulary.ts";

/** Audience of workload identity federation. */

/** Where the management API is and how to authenticate to it. */
export interface AdminClientOptions {
  /** `<authorityHost>/_keyfleet` (the ready line's `identity.extra.managementUrl`). */
  managementUrl: string;
  /** The management key (contents of `extra.managementKeyFile`). */
  managementKey: string;
  /** PEM CA to trust for the endpoint. */
  caPem: string;
  /** Header carrying the key. Default "x-keyfleet-management-key". */
  managementKeyHeader?: string;
}

/** A failed management call; `status` is the HTTP status. */
export class AdminApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "AdminApiError";
    this.status = status;
  }
}

/** See module doc. */
export class AzureLocalAdminClient {
  private readonly options: AdminClientOptions;
  private readonly agent: https.Agent;

  constructor(options: AdminClientOptions) {
    this.options = options;
    this.agent = new https.Agent({ keepAlive: true, ca: options.caPem });
  }

  /** Builds a client from a proving-ground identity description. */
  static fromLocalIdentity(identity: LocalIdentity): AzureLocalAdminClient {
    const { managementUrl, managementKeyFile, managementKeyHeader } = identity.extra;
    if (!managementUrl || !managementKeyFile) {
      throw new Error(
        "identity.extra.managementUrl/managementKeyFile missing: not keyfleet's local identity endpoint",
      );
    }
    return new AzureLocalAdminClient({
      managementUrl,
      managementKey: readFileSync(managementKeyFile, "utf8").trim(),
      caPem: readFileSync(identity.caFile, "utf8"),
      ...(managementKeyHeader ? { managementKeyHeader } : {}),
    });
  }

  /** Registers an app identity (idempotent by clientId; a clientId is generated when absent). */
  createIdentity(input: { clientId?: string; name?: string } = {}): Promise<AppIdentity> {
    return this.call("POST", "/identities", input);
  }

  /** Reads a registered identity. */
  getIdentity(clientId: string): Promise<AppIdentity> {
    return this.call("GET", `/identities/${encodeURIComponent(clientId)}`);
  }

  /** Lists registered identities. */
  async listIdentities(): Promise<AppIdentity[]> {
    return (await this.call<{ value: AppIdentity[] }>("GET", "/identities")).value;
  }

  /** Forgets an identity with its federated credentials (its token requests are refused with AADSTS700016 from now on). */
  deleteIdentity(clientId: string): Promise<void> {
    return this.call("DELETE", `/identities/${encodeURIComponent(clientId)}`);
  }

  /** Rolls the token-signing key over: tokens signed with the old key are refused from now on. */
  rotateSigningKey(): Promise<{ kid: string }> {
    return this.call("POST", "/signing-keys/rotate");
  }

  /** Adds or replaces a federated identity credential (audience defaults to api://AzureADTokenExchange). */
  putFederatedCredential(
    clientId: string,
    credential: { name: string; issuer: string; subject: string; audiences?: string[] },
  ): Promise<FederatedCredential> {
    const { name, ...body } = credential;
    return this.call(
      "PUT",
      `/identities/${encodeURIComponent(clientId)}/federated-credentials/${encodeURIComponent(name)}`,
      body,
    );
  }

  /** Convenience: the federated credential for `system:serviceaccount:<namespace>:<serviceAccount>`. */
  federateServiceAccount(
    clientId: string,
    issuer: string,
    namespace: string,
    serviceAccount: string,
  ): Promise<FederatedCredential> {
    return this.putFederatedCredential(clientId, {
      name: `${namespace}-${serviceAccount}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 120),
      issuer,
      subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
    });
  }

  /** Removes a federated credential. */
  deleteFederatedCredential(clientId: string, name: string): Promise<void> {
    return this.call(
      "DELETE",
      `/identities/${encodeURIComponent(clientId)}/federated-credentials/${encodeURIComponent(name)}`,
    );
  }

  /** Assigns a Key Vault role (name like "Key Vault Secrets User" or GUID) on a vault or one object (`secrets/<name>`). */
  assignRole(input: {
    principalId: string;
    role: string;
    vaultName: string;
    scope?: string;
  }): Promise<RoleAssignment> {
    return this.call("POST", "/role-assignments", input);
  }

  /** Removes a role assignment. */
  deleteRoleAssignment(id: string): Promise<void> {
    return this.call("DELETE", `/role-assignments/${encodeURIComponent(id)}`);
  }

  /** Lists role assignments. */
  async listRoleAssignments(): Promise<RoleAssignment[]> {
    return (await this.call<{ value: RoleAssignment[] }>("GET", "/role-assignments")).value;
  }

  /** Lists served vaults. */
  async listVaults(): Promise<VaultDescription[]> {
    return (await this.call<{ value: VaultDescription[] }>("GET", "/vaults")).value;
  }

  /** Starts another vault on a new port. */
  addVault(name: string): Promise<VaultDescription> {
    return this.call("POST", "/vaults", { name });
  }

  /**
   * Mints an access token directly (default: the admin client, audience https://vault.azure.net, normal lifetime).
   * `lifetimeSeconds` ≤ 0 mints an already expired token for negative tests.
   */
  mintToken(input: { clientId?: string; resource?: string; lifetimeSeconds?: number } = {}): Promise<{
    accessToken: string;
    expiresOn: number;
  }> {
    return this.call("POST", "/tokens", input);
  }

  /** Releases keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.options.managementUrl}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            [this.options.managementKeyHeader ?? "x-keyfleet-management-key"]: this.options.managementKey,
            ...(payload ? { "content-type": "application/json" } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve((text ? JSON.parse(text) : undefined) as T);
              return;
            }
            let message = text;
            try {
              message = (JSON.parse(text) as { error?: string }).error ?? text;
            } catch {
              // not JSON; keep the text
            }
            reject(new AdminApiError(status, `${method} ${path}: HTTP ${status}: ${message}`));
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
}
