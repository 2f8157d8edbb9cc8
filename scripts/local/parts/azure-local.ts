/**
 * The local Azure stand-in (test/azure-local/main.ts): Key Vault REST + Entra ID-like identity endpoint, one process
 * on the pinned Node, on ports chosen once (written into its config, so `local:restart -- azure-local` brings it
 * back on the same URLs). Its state folder (`<stateDir>/azure-local`) outlives the ground, as a real vault is durable.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LocalEnvironment, LocalIdentity, LocalVault } from "../env.ts";
import { PINNED_NODE, REPO_ROOT } from "../paths.ts";
import { freePort } from "../processes.ts";
import { logFileIn, type GroundPart } from "./part.ts";

/** Tenant the local identity endpoint serves. */
export const TENANT_ID = "00000000-0000-4000-8000-00000000a1a1";
/** Name of the proving ground's default vault. */
export const DEFAULT_VAULT_NAME = "keyfleet-local";
/** Folder of the stand-in's durable state inside the ground's state folder. */
export const AZURE_LOCAL_STATE = "azure-local";

const READY_PREFIX = "KEYFLEET_AZURE_LOCAL_READY ";

/** What the stand-in adds to the description. */
export type AzureLocalDescription = Pick<LocalEnvironment, "vault" | "identity">;

export const azureLocalPart: GroundPart<AzureLocalDescription> = {
  name: "azure-local",
  locate: () =>
    Promise.resolve({ paths: { node: PINNED_NODE }, sources: { node: `pinned: ${PINNED_NODE}` } }),
  async start(ctx) {
    const kube = ctx.env.kubernetes;
    if (!kube) throw new Error("the local Azure endpoints need kube-apiserver started first");
    const configFile = path.join(ctx.stateDir, "azure-local.json");
    writeFileSync(
      configFile,
      JSON.stringify(
        {
          host: "127.0.0.1",
          vaultPort: await freePort(),
          identityPort: await freePort(),
          tlsCertFile: ctx.pki.serving.certFile,
          tlsKeyFile: ctx.pki.serving.keyFile,
          caFile: ctx.pki.caFile,
          stateDir: path.join(ctx.stateDir, AZURE_LOCAL_STATE),
          serveVault: true,
          vaultNames: [DEFAULT_VAULT_NAME],
          tenantId: TENANT_ID,
          kubernetes: {
            apiServerUrl: kube.apiServerUrl,
            caFile: ctx.pki.caFile,
            clientCertFile: ctx.pki.clients.identityEndpoint.certFile,
            clientKeyFile: ctx.pki.clients.identityEndpoint.keyFile,
            serviceAccountIssuer: kube.serviceAccountIssuer,
          },
        },
        null,
        2,
      ),
    );
    const logFile = logFileIn(ctx.stateDir, "azure-local");
    const record = await ctx.progress.step("starting the local vault and identity endpoint", () =>
      ctx.launch({
        name: "azure-local",
        command: PINNED_NODE,
        args: [path.join(REPO_ROOT, "test/azure-local/main.ts"), "--config", configFile],
        logFile,
        probe: { kind: "log-line", prefix: READY_PREFIX },
        readySeconds: 60,
      }),
    );
    const lines = readFileSync(record.logFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith(READY_PREFIX));
    return JSON.parse(lines.at(-1)!.slice(READY_PREFIX.length)) as {
      vault: LocalVault;
      identity: LocalIdentity;
    };
  },
};
