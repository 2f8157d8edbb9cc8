/**
 * The machine-readable description of a running proving ground (local kube-apiserver + etcd +
 * kube-controller-manager, the local vault and the local identity endpoint). `npm run local:up` writes it;
 * tests, the demo and the CLI read it. Everything listens on 127.0.0.1 only.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** Schema version of the description file; bump on incompatible changes. */
export const LOCAL_ENV_VERSION = 1 as const;

/** Where the description lives unless `KEYFLEET_LOCAL_ENV` names another file. */
export const DEFAULT_LOCAL_ENV_PATH = path.resolve(import.meta.dirname, "../../.keyfleet/local/env.json");

/** The local Kubernetes control plane. */
export interface LocalKubernetes {
  /** https://127.0.0.1:<port> */
  apiServerUrl: string;
  /** PEM CA that signed the apiserver serving cert and all client certs. */
  caFile: string;
  /** Kubeconfig of a `system:masters` user (cluster admin). */
  adminKubeconfig: string;
  /** Kubeconfig of a non-admin user (`keyfleet-dev`, group `keyfleet:devs`) with no RBAC grants by default. */
  userKubeconfig: string;
  /** Name and groups of the non-admin user, for RoleBindings in RBAC tests. */
  user: { name: string; groups: string[] };
  /** `--service-account-issuer` of the apiserver (also its discovery base URL). */
  serviceAccountIssuer: string;
  /** True when kube-controller-manager (garbage collector, namespace, serviceaccount controllers) runs. */
  controllerManager: boolean;
  /** Versions of the running binaries. */
  versions: { kubernetes: string; etcd: string };
}

/** The local Key Vault REST endpoint. */
export interface LocalVault {
  /** Which server answers: Lowkey Vault when its jar is available, else keyfleet's own emulator. */
  kind: "lowkey-vault" | "keyfleet-vault-emulator";
  /** Base URL of the default vault (https://127.0.0.1:<port> or as the server defines it). */
  url: string;
  /** The vault's name as a SecretProviderClass would give it in `keyvaultName`. */
  vaultName: string;
  /** PEM CA file that clients must trust explicitly for this endpoint (never disable TLS checks). */
  caFile: string;
  /** Key Vault REST API version to pin in SDK clients. */
  serviceVersion: string;
  /** Extra details the server publishes (e.g. management URL, multi-vault URL template). */
  extra: Record<string, string>;
}

/** The local identity (Entra ID-like) token endpoint that exchanges ServiceAccount tokens for vault tokens. */
export interface LocalIdentity {
  /** Authority host to give @azure/identity (`authorityHost`). */
  authorityHost: string;
  /** Tenant id the local endpoint serves. */
  tenantId: string;
  /** PEM CA file to trust for the authority host. */
  caFile: string;
  /** Extra details (e.g. the management URL for registering identities and federated credentials). */
  extra: Record<string, string>;
}

/** The whole description written by `npm run local:up`. */
export interface LocalEnvironment {
  version: typeof LOCAL_ENV_VERSION;
  /** Directory holding certs, data, logs and kubeconfigs of this proving ground. */
  stateDir: string;
  kubernetes: LocalKubernetes;
  vault: LocalVault;
  identity: LocalIdentity;
  /** Processes started for this ground, for `local:down`. */
  processes: Array<{ name: string; pid: number; logFile: string }>;
  /** ISO time the ground came up. */
  startedAt: string;
}

/** Path of the description file in effect (`KEYFLEET_LOCAL_ENV` or the default). */
export function localEnvPath(): string {
  return process.env.KEYFLEET_LOCAL_ENV ?? DEFAULT_LOCAL_ENV_PATH;
}

/**
 * Reads the description of the running proving ground.
 * @throws Error naming the file and the command to run when it is missing or malformed.
 */
export function readLocalEnvironment(file: string = localEnvPath()): LocalEnvironment {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new Error(`no local proving ground described at ${file}; start one with \`npm run local:up\``, {
      cause,
    });
  }
  const parsed = JSON.parse(text) as Partial<LocalEnvironment>;
  if (parsed.version !== LOCAL_ENV_VERSION) {
    throw new Error(
      `${file}: version ${String(parsed.version)} is not supported (expected ${LOCAL_ENV_VERSION}); ` +
        "run `npm run local:down && npm run local:up`",
    );
  }
  return parsed as LocalEnvironment;
}
