/**
 * The machine-readable description of a running proving ground (etcd, kube-apiserver, kube-controller-manager, the
 * local vault and identity endpoint, the worker node, the Pulumi engine). `npm run local:up` writes it; tests, the
 * demo, the `local` stack and the CLI read it. Servers listen on 127.0.0.1; the node's pods reach them through the
 * addresses in `node.endpoints`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { ProcessRecord } from "./processes.ts";

/** Schema version of the description file; bump on incompatible changes. */
export const LOCAL_ENV_VERSION = 2 as const;

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
  /** Kubeconfig of every client identity of the ground (admin, developer, controller manager, scheduler, ...). */
  kubeconfigs?: Record<string, string>;
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

/** The worker node (kube-scheduler, kubelet, containerd, runc, CNI bridge): pods run. */
export interface LocalNode {
  /** The Node object's name (resolves to loopback on this machine; the apiserver dials its InternalIP only). */
  name: string;
  /** Local image references, imported into containerd (never pulled): `node` has the pinned Node on PATH. */
  images: { node: string; pause: string };
  /** Pod addresses, the node's InternalIP (the bridge), and the Service range. */
  network: { podSubnet: string; nodeIp: string; serviceSubnet: string; bridge: string };
  /** How pods reach the ground's servers (through the service proxy on the bridge); TLS verifies against the CA. */
  endpoints: { apiServerUrl: string; vaultUrl: string; authorityHost: string };
  /** `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt` in every pod is the ground's CA, which also signs the vault's certificate. */
  podCaFile: string;
  /** containerd's socket, for `ctr --address <socket> -n k8s.io ...`. */
  containerdSocket: string;
  /** cgroup mode the node runs with (a sandbox may only offer v1). */
  cgroupMode: "v1" | "v2";
}

/** The Pulumi engine built for the ground: run it with `npm run local:pulumi -- <args>`. */
export interface LocalPulumi {
  /** The CLI binary. */
  cli: string;
  /** Folder with the CLI, the Node.js language host and the provider launchers. */
  binDir: string;
  /** Folders to put first on PATH when running the CLI: the engine's folder and the pinned Node's. */
  pathPrefix: string[];
  /** Environment to run the CLI with (backend, secrets passphrase, PULUMI_HOME, no downloads, no update check). */
  env: Record<string, string>;
  versions: { cli: string; languageHost: string; kubernetesProvider: string };
}

/** The whole description written by `npm run local:up`. */
export interface LocalEnvironment {
  version: typeof LOCAL_ENV_VERSION;
  /** Directory holding certs, data, logs and kubeconfigs of this proving ground. */
  stateDir: string;
  /** This file. */
  envFile: string;
  etcd: { url: string };
  kubernetes: LocalKubernetes;
  vault: LocalVault;
  identity: LocalIdentity;
  /** Present when the ground runs a worker node (the default; `KEYFLEET_LOCAL_NODE=0` leaves it out). */
  node?: LocalNode;
  /** Present once the engine is built (the default; `KEYFLEET_LOCAL_PULUMI=0` leaves it out). */
  pulumi?: LocalPulumi;
  /** Processes started for this ground, in start order, with how to start each again (`local:restart`). */
  processes: ProcessRecord[];
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
