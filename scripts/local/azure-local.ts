/** Starting the local vault + identity endpoint process of the proving ground. */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LocalIdentity, LocalVault } from "./env.ts";
import { REPO_ROOT } from "./paths.ts";
import type { GroundPki } from "./pki.ts";
import { startDetached, tail, waitFor, type Started } from "./processes.ts";

/** Tenant the local identity endpoint serves. */
export const TENANT_ID = "00000000-0000-4000-8000-00000000a1a1";
/** Name of the proving ground's default vault. */
export const DEFAULT_VAULT_NAME = "keyfleet-local";

const READY_PREFIX = "KEYFLEET_AZURE_LOCAL_READY ";

/**
 * Starts the local Azure stand-in (test/azure-local/main.ts) detached, with the ground's serving certificate and the
 * identity endpoint's client certificate, and returns what its ready line publishes.
 */
export async function startAzureLocal(
  stateDir: string,
  pki: GroundPki,
  apiServerUrl: string,
  logFile: string,
  track: (p: Started) => Started,
): Promise<{ vault: LocalVault; identity: LocalIdentity }> {
  const entry = path.join(REPO_ROOT, "test/azure-local/main.ts");
  const configFile = path.join(stateDir, "azure-local.json");
  writeFileSync(
    configFile,
    JSON.stringify(
      {
        host: "127.0.0.1",
        vaultPort: 0,
        identityPort: 0,
        tlsCertFile: pki.serving.certFile,
        tlsKeyFile: pki.serving.keyFile,
        caFile: pki.caFile,
        stateDir: path.join(stateDir, "azure-local"),
        serveVault: true,
        vaultNames: [DEFAULT_VAULT_NAME],
        tenantId: TENANT_ID,
        kubernetes: {
          apiServerUrl,
          caFile: pki.caFile,
          clientCertFile: pki.clients.identityEndpoint.certFile,
          clientKeyFile: pki.clients.identityEndpoint.keyFile,
          serviceAccountIssuer: apiServerUrl,
        },
      },
      null,
      2,
    ),
  );
  const child = startDetached("azure-local", process.execPath, [entry, "--config", configFile], logFile);
  track(child);
  return waitFor(
    child,
    async () => {
      const line = readFileSync(logFile, "utf8")
        .split("\n")
        .find((l) => l.startsWith(READY_PREFIX));
      return line
        ? (JSON.parse(line.slice(READY_PREFIX.length)) as { vault: LocalVault; identity: LocalIdentity })
        : undefined;
    },
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`the local Azure endpoints did not start; log ${logFile}:\n${tail(logFile)}`, {
      cause: error,
    });
  });
}
