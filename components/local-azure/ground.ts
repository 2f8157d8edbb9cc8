/**
 * The local providers' way into the proving ground's Azure stand-in (test/azure-local/): its management API (the
 * ARM side: identities, federated credentials, role assignments) and the Key Vault REST API (secrets, written as the
 * stand-in's admin client). Loaded only in the dynamic-provider process, never by the Pulumi program.
 *
 * Endpoints and credentials are read from the ground's description file (scripts/local/env.ts) at each operation,
 * the way azure-native reads its credentials from the environment: the state holds only that file's path, so no
 * key or token is ever stored, and a ground restarted on new ports is reached without touching the state.
 */
import { readFileSync } from "node:fs";
import { SecretClient } from "@azure/keyvault-secrets";
import { readLocalEnvironment, type LocalEnvironment } from "../../scripts/local/env.ts";
import { AdminApiError, AzureLocalAdminClient } from "../../test/azure-local/admin-client.ts";
import { adminCredential, localVaultClientOptions } from "../../test/azure-local/sdk.ts";

/** A failed local Azure operation; names the Azure-side resource and the stand-in's answer, never a value. */
export class LocalAzureError extends Error {
  /** e.g. `create`, `read`, `delete`. */
  readonly operation: string;
  /** The Azure-side resource, e.g. `vault secret "db" in vault "local"`. */
  readonly target: string;
  /** HTTP status of the stand-in's answer, when there was one. */
  readonly status: number | undefined;
  /** The stand-in's error code (Key Vault's `error.code`, or a socket error code), when there was one. */
  readonly code: string | undefined;

  constructor(
    operation: string,
    target: string,
    failure: { status?: number; code?: string; detail: string },
    options?: ErrorOptions,
  ) {
    const answer = [
      failure.status !== undefined ? `HTTP ${failure.status}` : undefined,
      failure.code !== undefined ? `(${failure.code})` : undefined,
    ]
      .filter(Boolean)
      .join(" ");
    super(`${operation} ${target} failed: ${answer ? `${answer}: ` : ""}${failure.detail}`, options);
    this.name = "LocalAzureError";
    this.operation = operation;
    this.target = target;
    this.status = failure.status;
    this.code = failure.code;
  }
}

interface RestErrorLike {
  name: string;
  statusCode?: number;
  code?: string;
  message: string;
}

function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === "RestError";
}

/** HTTP status of a stand-in answer carried by an error, if any (pure). */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof AdminApiError) return error.status;
  if (isRestError(error)) return error.statusCode;
  return undefined;
}

/** True when the stand-in answered 404: the resource is not there. */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/**
 * Wraps a failure in a {@link LocalAzureError}. A Key Vault RestError carries the HTTP request, whose body holds the
 * secret value being written: it is summarized (status, code, service message), never attached as the cause.
 */
export function failure(operation: string, target: string, error: unknown, ground?: string): LocalAzureError {
  if (error instanceof LocalAzureError) return error;
  if (isRestError(error)) {
    return new LocalAzureError(operation, target, {
      status: error.statusCode,
      code: error.code,
      detail: error.message.split("\n")[0] ?? "",
    });
  }
  if (error instanceof AdminApiError)
    return new LocalAzureError(
      operation,
      target,
      { status: error.status, detail: error.message },
      { cause: error },
    );
  const code = (error as { code?: unknown } | undefined)?.code;
  const unreachable = code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ENOTFOUND";
  return new LocalAzureError(
    operation,
    target,
    {
      ...(typeof code === "string" ? { code } : {}),
      detail: unreachable
        ? `the proving ground's stand-in does not answer; is the ground described at ${ground ?? "its env.json"} running? (npm run local:up)`
        : error instanceof Error
          ? error.message
          : String(error),
    },
    error instanceof Error ? { cause: error } : undefined,
  );
}

/** What an operation gets: the management API and Key Vault clients of one proving ground. */
export interface Ground {
  /** Path of the description file this ground was opened from (named in errors). */
  envFile: string;
  /** Tenant the stand-in serves. */
  tenantId: string;
  /** The management API (the ARM side). */
  management: AzureLocalAdminClient;
  /** A SecretClient of a served vault, authenticated as the stand-in's admin client. */
  secrets(vaultName: string): SecretClient;
  /** Releases keep-alive connections. */
  close(): void;
}

/** URL of a served vault by name (case-insensitive), from the description (pure). */
export function vaultUrlOf(vault: LocalEnvironment["vault"], vaultName: string): string | undefined {
  const urls = JSON.parse(vault.extra.vaultUrls ?? "{}") as Record<string, string>;
  const byName = Object.entries(urls).find(([name]) => name.toLowerCase() === vaultName.toLowerCase());
  if (byName) return byName[1];
  return vault.vaultName.toLowerCase() === vaultName.toLowerCase() ? vault.url : undefined;
}

/** Opens the ground described by `envFile`. */
export function openGround(envFile: string): Ground {
  const env = readLocalEnvironment(envFile);
  const management = AzureLocalAdminClient.fromLocalIdentity(env.identity);
  const caPem = readFileSync(env.vault.caFile, "utf8");
  const credential = adminCredential(env.identity);
  return {
    envFile,
    tenantId: env.identity.tenantId,
    management,
    secrets(vaultName) {
      const url = vaultUrlOf(env.vault, vaultName);
      if (!url) {
        const served = Object.keys(JSON.parse(env.vault.extra.vaultUrls ?? "{}") as object);
        // Plain: the operation's failure() names the resource it was for.
        throw new Error(
          `vault "${vaultName}" is not served by the proving ground at ${envFile}; served: ${served.join(", ") || env.vault.vaultName}`,
        );
      }
      return new SecretClient(
        url,
        credential,
        localVaultClientOptions(caPem, { retryOptions: { maxRetries: 2 } }),
      );
    },
    close: () => management.close(),
  };
}

/** Runs `work` with a freshly opened ground and closes it afterwards. */
export async function withGround<T>(envFile: string, work: (ground: Ground) => Promise<T>): Promise<T> {
  const ground = openGround(envFile);
  try {
    return await work(ground);
  } finally {
    ground.close();
  }
}
