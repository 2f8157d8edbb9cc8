/**
 * The proving ground: etcd + kube-apiserver + kube-controller-manager (real binaries) and the local Azure endpoints
 * (vault + identity), all on 127.0.0.1, described by an env.json file that tests, the demo and the CLI read.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { startAzureLocal } from "./azure-local.ts";
import { ensureBinaries } from "./binaries.ts";
import { LEDGER_FILE, stopLeftovers } from "./ledger.ts";
import { LOCAL_ENV_VERSION, localEnvPath, type LocalEnvironment } from "./env.ts";
import { ETCD_VERSION, KUBERNETES_VERSION, DEFAULT_STATE_DIR } from "./paths.ts";
import { CLIENT_IDENTITIES, createPki, kubeconfigFor, type GroundPki } from "./pki.ts";
import {
  freePort,
  httpsGet,
  isAlive,
  startDetached,
  stopProcess,
  waitFor,
  type Started,
} from "./processes.ts";
import { Progress } from "./progress.ts";

/** A running ground and how to stop it. */
export interface ProvingGround {
  env: LocalEnvironment;
  /** True when this call started it (false when an already running ground was reused). */
  startedHere: boolean;
  /** Stops what this call started; a no-op for a reused ground. */
  stop(): Promise<void>;
}

/** Options of {@link startProvingGround}. */
export interface StartOptions {
  /** Reuse a live ground described by the env file. Default true. */
  reuse?: boolean;
  /** State directory. Default `<repo>/.keyfleet/local`. */
  stateDir?: string;
  /**
   * Where to write the description. Default: `KEYFLEET_LOCAL_ENV` / `<repo>/.keyfleet/local/env.json` for the
   * default state directory, `<stateDir>/env.json` for any other (so a private ground never replaces the shared one).
   */
  envFile?: string;
  /** Progress reporter. Default prints to stderr with label `local:up`. */
  progress?: Progress;
}

/** Returns the env of a live ground, or undefined when none answers. */
export async function findRunningGround(file = localEnvPath()): Promise<LocalEnvironment | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const env = JSON.parse(readFileSync(file, "utf8")) as LocalEnvironment;
    if (env.version !== LOCAL_ENV_VERSION || !env.processes.every((p) => isAlive(p.pid))) return undefined;
    const kc = JSON.parse(readFileSync(env.kubernetes.adminKubeconfig, "utf8")) as {
      users: Array<{ user: { "client-certificate": string; "client-key": string } }>;
    };
    const user = kc.users[0]!.user;
    const res = await httpsGet(`${env.kubernetes.apiServerUrl}/readyz`, {
      ca: readFileSync(env.kubernetes.caFile),
      cert: readFileSync(user["client-certificate"]),
      key: readFileSync(user["client-key"]),
    });
    return res.status === 200 ? env : undefined;
  } catch {
    return undefined;
  }
}

/** Starts (or reuses) the proving ground. Cleans up everything it started if any step fails or on Ctrl-C. */
export async function startProvingGround(options: StartOptions = {}): Promise<ProvingGround> {
  const progress = options.progress ?? new Progress("local:up");
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const envFile = options.envFile ?? (options.stateDir ? path.join(stateDir, "env.json") : localEnvPath());
  if (options.reuse !== false) {
    const running = await findRunningGround(envFile);
    if (running) {
      progress.log(`reusing the running proving ground (${running.kubernetes.apiServerUrl})`);
      return { env: running, startedHere: false, stop: async () => {} };
    }
  }
  const binaries = await progress.step("locating control-plane binaries", () => ensureBinaries(progress), {
    heartbeatSeconds: 60,
  });
  for (const [name, source] of Object.entries(binaries.sources)) progress.log(`${name}: ${source}`);

  const leftovers = await stopLeftovers(stateDir, envFile);
  if (leftovers > 0)
    progress.log(`stopped ${leftovers} process(es) left over from an earlier ground in ${stateDir}`);
  rmSync(stateDir, { recursive: true, force: true });
  for (const sub of ["logs", "etcd", "kube"]) mkdirSync(path.join(stateDir, sub), { recursive: true });
  const started: Started[] = [];
  const ledger = path.join(stateDir, LEDGER_FILE);
  // Every start is recorded at once, so a ground whose description was lost can still be stopped later.
  const track = (p: Started): Started => {
    started.push(p);
    writeFileSync(ledger, JSON.stringify(started));
    return p;
  };
  const stopAll = async () => {
    for (const p of [...started].reverse()) await stopProcess(p.pid);
    rmSync(envFile, { force: true });
  };
  const onSignal = () => {
    progress.log("interrupted: stopping what was started");
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const pki = createPki(stateDir);
    const log = (name: string) => path.join(stateDir, "logs", `${name}.log`);

    const etcdPort = await freePort();
    const etcdPeerPort = await freePort();
    const etcd = startDetached(
      "etcd",
      binaries.etcd,
      [
        "--name=keyfleet",
        `--data-dir=${path.join(stateDir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=keyfleet=http://127.0.0.1:${etcdPeerPort}`,
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      log("etcd"),
    );
    track(etcd);
    await progress.step("starting etcd", () =>
      waitFor(etcd, () => httpGetOk(`http://127.0.0.1:${etcdPort}/health`), 30_000),
    );

    const apiPort = await freePort();
    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    const apiserver = startDetached(
      "kube-apiserver",
      binaries.kubeApiserver,
      apiserverArgs(pki, apiPort, etcdPort, stateDir),
      log("kube-apiserver"),
    );
    track(apiserver);
    const admin = {
      ca: readFileSync(pki.caFile),
      cert: readFileSync(pki.clients.admin.certFile),
      key: readFileSync(pki.clients.admin.keyFile),
    };
    await progress.step("starting kube-apiserver", () =>
      waitFor(
        apiserver,
        async () => ((await httpsGet(`${apiServerUrl}/readyz`, admin)).status === 200 ? true : undefined),
        90_000,
      ),
    );

    const kubeconfigs = writeKubeconfigs(stateDir, apiServerUrl, pki);
    await apiPost(apiServerUrl, admin, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "keyfleet-identity-endpoint-issuer-discovery" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:service-account-issuer-discovery",
      },
      subjects: [
        {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "User",
          name: CLIENT_IDENTITIES.identityEndpoint.user,
        },
      ],
    });

    const kcm = startDetached(
      "kube-controller-manager",
      binaries.kubeControllerManager,
      [
        `--kubeconfig=${kubeconfigs.controllerManager}`,
        "--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token",
        `--service-account-private-key-file=${pki.serviceAccountKeyFile}`,
        `--root-ca-file=${pki.caFile}`,
        "--leader-elect=false",
        "--secure-port=0",
        "--use-service-account-credentials=true",
        "--v=1",
      ],
      log("kube-controller-manager"),
    );
    track(kcm);
    // The serviceaccount controller creating `default` in namespace default proves the controller manager works.
    await progress.step("starting kube-controller-manager", () =>
      waitFor(
        kcm,
        async () =>
          (await httpsGet(`${apiServerUrl}/api/v1/namespaces/default/serviceaccounts/default`, admin))
            .status === 200
            ? true
            : undefined,
        60_000,
      ),
    );

    const azure = await progress.step("starting the local vault and identity endpoint", () =>
      startAzureLocal(stateDir, pki, apiServerUrl, log("azure-local"), track),
    );

    const env: LocalEnvironment = {
      version: LOCAL_ENV_VERSION,
      stateDir,
      kubernetes: {
        apiServerUrl,
        caFile: pki.caFile,
        adminKubeconfig: kubeconfigs.admin,
        userKubeconfig: kubeconfigs.developer,
        user: { name: CLIENT_IDENTITIES.developer.user, groups: [...CLIENT_IDENTITIES.developer.groups] },
        serviceAccountIssuer: apiServerUrl,
        controllerManager: true,
        versions: { kubernetes: KUBERNETES_VERSION, etcd: ETCD_VERSION },
      },
      vault: azure.vault,
      identity: azure.identity,
      processes: started.map((p) => ({ ...p })),
      startedAt: new Date().toISOString(),
    };
    mkdirSync(path.dirname(envFile), { recursive: true });
    writeFileSync(envFile, JSON.stringify(env, null, 2));
    progress.log(`proving ground up: ${apiServerUrl}, vault ${env.vault.url}; described in ${envFile}`);
    return { env, startedHere: true, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

/**
 * Stops the ground described by the env file (started by another process, e.g. `local:up`), and any process the
 * state directory's ledger still lists. Returns how many processes were stopped.
 */
export async function stopProvingGround(
  file = localEnvPath(),
  stateDir = DEFAULT_STATE_DIR,
): Promise<number> {
  let stopped = 0;
  if (existsSync(file)) {
    const env = JSON.parse(readFileSync(file, "utf8")) as LocalEnvironment;
    for (const p of [...env.processes].reverse()) {
      if (isAlive(p.pid)) stopped += 1;
      await stopProcess(p.pid);
    }
    rmSync(file, { force: true });
  }
  return stopped + (await stopLeftovers(stateDir, file));
}

/** Pure: kube-apiserver flags for the ground. */
export function apiserverArgs(pki: GroundPki, apiPort: number, etcdPort: number, stateDir: string): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${path.join(stateDir, "kube")}`,
    `--tls-cert-file=${pki.serving.certFile}`,
    `--tls-private-key-file=${pki.serving.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--service-account-issuer=https://127.0.0.1:${apiPort}`,
    `--service-account-key-file=${pki.serviceAccountPubFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    "--authorization-mode=RBAC",
    "--service-cluster-ip-range=10.96.0.0/24",
    "--allow-privileged=true",
    "--profiling=false",
    "--endpoint-reconciler-type=none",
    "--v=1",
  ];
}

function writeKubeconfigs(
  stateDir: string,
  server: string,
  pki: GroundPki,
): Record<keyof typeof CLIENT_IDENTITIES, string> {
  return Object.fromEntries(
    Object.entries(CLIENT_IDENTITIES).map(([name, id]) => {
      const file = path.join(stateDir, "kube", `${name}.kubeconfig`);
      writeFileSync(
        file,
        kubeconfigFor(server, pki.caFile, id.user, pki.clients[name as keyof typeof CLIENT_IDENTITIES]),
        { mode: 0o600 },
      );
      return [name, file];
    }),
  ) as Record<keyof typeof CLIENT_IDENTITIES, string>;
}

async function httpGetOk(url: string): Promise<true | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok ? true : undefined;
}

function apiPost(
  base: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  pathName: string,
  body: unknown,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${base}${pathName}`,
      { method: "POST", ...tls, headers: { "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 201 || res.statusCode === 409
            ? resolve()
            : reject(new Error(`POST ${pathName}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
