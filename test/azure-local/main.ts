/**
 * keyfleet's local Azure stand-in — TEST INFRASTRUCTURE, not product code: a Key Vault REST emulator (one HTTPS
 * port per vault; every vault also answers under `/<vaultName>/` on any vault port) and an Entra ID-like identity
 * endpoint (OIDC discovery, token exchange of Kubernetes ServiceAccount tokens, management API), all on loopback.
 *
 *   node test/azure-local/main.ts --config <file.json>
 *
 * prints one line `KEYFLEET_AZURE_LOCAL_READY {"vault":LocalVault,"identity":LocalIdentity}` when listening and
 * exits cleanly on SIGTERM/SIGINT. Everything it holds is kept in `stateDir` (persistence.ts) and restored on the
 * next start, on the same ports when they are free. Tests start isolated instances in-process with
 * {@link startAzureLocal}.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import type { LocalIdentity, LocalVault } from "../../scripts/local/env.ts";
import { loadConfig, parseConfig, type AzureLocalConfig, type AzureLocalConfigInput } from "./config.ts";
import { closeServer, listen, originOf } from "./http.ts";
import { identityRequestListener } from "./identity-server.ts";
import { KubeJwks } from "./kube-jwks.ts";
import { MANAGEMENT_KEY_HEADER, MANAGEMENT_PREFIX, type VaultDescription } from "./management-api.ts";
import { AzureLocalPersistence, STATE_FILES } from "./persistence.ts";
import { ADMIN_CLIENT_ID, Registry, RegistryError } from "./registry.ts";
import { newSigningKey, TokenIssuer } from "./token-issuer.ts";
import { COLLECTIONS, vaultRequestListener, type ServedVault } from "./vault-server.ts";
import { VaultState } from "./vault-state.ts";

/** Prefix of the ready line on stdout. */
export const READY_PREFIX = "KEYFLEET_AZURE_LOCAL_READY ";
/** Key Vault REST API version clients should pin. */
export const SERVICE_VERSION = "7.6";

/** A running instance. */
export interface AzureLocal {
  /** The default (first) vault; undefined when `serveVault` is false. */
  vault: LocalVault | undefined;
  identity: LocalIdentity;
  /** Every served vault by name with its URL. */
  vaults(): VaultDescription[];
  /** Key for the management API header (also in `managementKeyFile`). */
  managementKey: string;
  managementKeyFile: string;
  /** Direct access to the directory/RBAC state (in-process tests). */
  registry: Registry;
  /** Mints an access token directly (in-process tests). */
  issuer: TokenIssuer;
  /** Stops every listener. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startAzureLocal}. */
export interface StartAzureLocalOptions {
  /** Receives log lines (names, versions, statuses — never values or tokens). Default: discard. */
  log?: (line: string) => void;
}

/** Starts the stand-in from a config object (validated; defaults applied). */
export async function startAzureLocal(
  input: AzureLocalConfigInput | AzureLocalConfig,
  options: StartAzureLocalOptions = {},
): Promise<AzureLocal> {
  const config = parseConfig(input);
  const log = options.log ?? (() => {});
  const tls = { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) };
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const managementKeyFile = path.join(config.stateDir, STATE_FILES.managementKey);
  // Kept across restarts: it is also the admin app's client secret, which running clients hold.
  const keptKey = existsSync(managementKeyFile) ? readFileSync(managementKeyFile, "utf8").trim() : "";
  const managementKey = keptKey || randomBytes(32).toString("base64url");
  if (!keptKey) writeFileSync(managementKeyFile, managementKey, { mode: 0o600 });

  const persistence = new AzureLocalPersistence(config.stateDir);
  const registry = new Registry();
  persistence.attachRegistry(registry);
  const jwks = new KubeJwks(config.kubernetes);
  const servers: https.Server[] = [];
  const served = new Map<string, ServedVault>();
  let authorityHost = "";
  let issuer: TokenIssuer | undefined;
  const getIssuer = () => issuer!;

  const addVault = async (name: string, port: number): Promise<VaultDescription> => {
    parseConfig({ ...config, vaultNames: [name] }, "vault");
    if (COLLECTIONS.includes(name.toLowerCase())) throw new RegistryError(400, `name: ${name} is reserved`);
    if (served.has(name.toLowerCase())) throw new RegistryError(409, `name: vault ${name} already exists`);
    const state = new VaultState(name, { purgeProtection: config.purgeProtection });
    const persistedPort = persistence.persistedVault(name)?.port;
    let origin = "";
    const server = https.createServer(
      { ...tls, keepAlive: true, keepAliveTimeout: 30_000 },
      vaultRequestListener({
        vault: state,
        lookup: (n) => served.get(n.toLowerCase()),
        tenantId: config.tenantId,
        authorityHost: () => authorityHost,
        verifyToken: (token) => getIssuer().verify(token),
        registry,
        ownOrigin: () => origin,
        log,
      }),
    );
    servers.push(server);
    const listening = await listenPreferring(server, config.host, port, persistedPort);
    origin = originOf(config.host, listening);
    persistence.attachVault(state, listening);
    served.set(name.toLowerCase(), { state, origin });
    log(`vault ${name} listening on ${origin}`);
    return { name, url: origin };
  };
  const listVaults = () => [...served.values()].map((v) => ({ name: v.state.name, url: v.origin }));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    jwks.close();
    await Promise.all(servers.map((s) => closeServer(s)));
    persistence.compact();
  };

  try {
    const identityServer = https.createServer(
      { ...tls, keepAlive: true },
      identityRequestListener({
        authorityHost: () => authorityHost,
        log,
        token: {
          get issuer() {
            return getIssuer();
          },
          registry,
          jwks,
          serviceAccountIssuer: config.kubernetes.serviceAccountIssuer,
          adminSecret: managementKey,
          nowSeconds: () => Math.floor(Date.now() / 1000),
          log,
        },
        management: {
          registry,
          get issuer() {
            return getIssuer();
          },
          managementKey,
          rotateSigningKey: () => {
            const key = getIssuer().rotate();
            persistence.saveSigningKey(key);
            log(`identity: signing key rolled over (new kid ${key.kid})`);
            return key.kid;
          },
          ...(config.serveVault
            ? { vaults: { list: listVaults, add: (name: string) => addVault(name, 0) } }
            : {}),
        },
      }),
    );
    servers.push(identityServer);
    const identityPort = await listenPreferring(
      identityServer,
      config.host,
      config.identityPort,
      persistence.loaded.identityPort,
    );
    persistence.identityListening(identityPort);
    authorityHost = originOf(config.host, identityPort);
    issuer = new TokenIssuer({
      authorityHost,
      tenantId: config.tenantId,
      lifetimeSeconds: config.accessTokenLifetimeSeconds,
      signingKey: persistence.signingKey(newSigningKey),
    });
    log(`identity endpoint listening on ${authorityHost} (tenant ${config.tenantId})`);
    if (config.serveVault) {
      for (const [i, name] of config.vaultNames.entries()) {
        await addVault(name, config.vaultPort === 0 ? 0 : config.vaultPort + i);
      }
      // Vaults added through the management API exist until a reset, like created Azure resources.
      for (const persisted of persistence.loaded.vaults) {
        if (!served.has(persisted.name.toLowerCase())) await addVault(persisted.name, 0);
      }
    }
    persistence.compact();
  } catch (error) {
    await stop();
    throw error;
  }

  const managementUrl = `${authorityHost}${MANAGEMENT_PREFIX}`;
  const common = {
    managementUrl,
    managementKeyFile,
    managementKeyHeader: MANAGEMENT_KEY_HEADER,
    adminClientId: ADMIN_CLIENT_ID,
  };
  const first = config.serveVault ? served.get(config.vaultNames[0]!.toLowerCase())! : undefined;
  const vault: LocalVault | undefined = first
    ? {
        kind: "keyfleet-vault-emulator",
        url: first.origin,
        vaultName: first.state.name,
        caFile: config.caFile,
        serviceVersion: SERVICE_VERSION,
        extra: {
          ...common,
          urlTemplate: `${first.origin}/{name}`,
          vaultUrls: JSON.stringify(Object.fromEntries(listVaults().map((v) => [v.name, v.url]))),
          authorityHost,
          tenantId: config.tenantId,
        },
      }
    : undefined;
  const identity: LocalIdentity = {
    authorityHost,
    tenantId: config.tenantId,
    caFile: config.caFile,
    extra: { ...common, serviceAccountIssuer: config.kubernetes.serviceAccountIssuer },
  };
  return {
    vault,
    identity,
    vaults: listVaults,
    managementKey,
    managementKeyFile,
    registry,
    issuer: issuer!,
    stop,
  };
}

/**
 * Listens on `port` when given; otherwise on the port a previous run used (when still free), so a restarted
 * stand-in keeps its URLs; otherwise on any free port.
 */
async function listenPreferring(
  server: https.Server,
  host: string,
  port: number,
  previous: number | undefined,
): Promise<number> {
  if (port !== 0 || previous === undefined) return listen(server, host, port);
  try {
    return await listen(server, host, previous);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    return listen(server, host, 0);
  }
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${flag}=`));
  return eq?.slice(flag.length + 1);
}

async function cli(): Promise<void> {
  const file = argValue(process.argv.slice(2), "--config");
  if (!file) {
    process.stderr.write("usage: node test/azure-local/main.ts --config <file.json>\n");
    process.exit(2);
  }
  const config = loadConfig(file);
  const stamp = () => new Date().toISOString();
  const local = await startAzureLocal(config, {
    log: (line) => process.stderr.write(`${stamp()} ${line}\n`),
  });
  const shutdown = (signal: string) => {
    process.stderr.write(`${stamp()} ${signal}: stopping\n`);
    local.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  // Announce readiness only after the handlers exist: a signal arriving earlier would kill the process outright.
  process.stdout.write(
    `${READY_PREFIX}${JSON.stringify({ vault: local.vault, identity: local.identity })}\n`,
  );
}

if (import.meta.main) {
  cli().catch((error: unknown) => {
    process.stderr.write(
      `azure-local failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
