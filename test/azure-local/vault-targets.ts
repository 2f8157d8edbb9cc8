/**
 * Vault targets for tests that must pass against both an isolated in-process stand-in and the running proving
 * ground (`KEYFLEET_LOCAL_ENV`): the same SDK scenarios run against each.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/identity";
import type { LocalEnvironment, LocalIdentity, LocalVault } from "../../scripts/local/env.ts";
import { AzureLocalAdminClient } from "./admin-client.ts";
import { adminCredential, localVaultClients, type LocalClientExtras, type LocalVaultClients } from "./sdk.ts";
import { startTestInstance } from "../support/azure-local.ts";

/** One vault endpoint to test against. */
export interface VaultTarget {
  label: string;
  vault: LocalVault;
  identity: LocalIdentity;
  caPem: string;
  admin: AzureLocalAdminClient;
  adminCredential: TokenCredential;
  /** Clients for the default vault with any credential. */
  clients(credential: TokenCredential, extras?: LocalClientExtras): LocalVaultClients;
  /** Everything the stand-in logged so far (to prove no secret value leaks). */
  logText(): string;
  stop(): Promise<void>;
}

function target(
  label: string,
  vault: LocalVault,
  identity: LocalIdentity,
  logText: () => string,
  stop: () => Promise<void>,
): VaultTarget {
  const caPem = readFileSync(vault.caFile, "utf8");
  const admin = AzureLocalAdminClient.fromLocalIdentity(identity);
  return {
    label,
    vault,
    identity,
    caPem,
    admin,
    adminCredential: adminCredential(identity),
    clients: (credential, extras = { retryOptions: { maxRetries: 0 } }) =>
      localVaultClients(vault.url, credential, caPem, extras),
    logText,
    async stop() {
      admin.close();
      await stop();
    },
  };
}

/** A fresh in-process instance (own PKI, free ports). */
export async function inProcessTarget(): Promise<VaultTarget> {
  const instance = await startTestInstance();
  return target(
    "in-process",
    instance.local.vault!,
    instance.local.identity,
    () => instance.logLines.join("\n"),
    () => instance.stop(),
  );
}

/** The running proving ground's stand-in (not stopped by `stop()`). */
export function groundTarget(env: LocalEnvironment): VaultTarget {
  if (env.vault.kind !== "keyfleet-vault-emulator") {
    throw new Error(
      `the proving ground's vault is ${env.vault.kind}; these tests need keyfleet's vault emulator`,
    );
  }
  const logFile = env.processes.find((p) => p.name === "azure-local")?.logFile;
  return target(
    "proving ground",
    env.vault,
    env.identity,
    () => (logFile ? readFileSync(logFile, "utf8") : ""),
    async () => {},
  );
}
