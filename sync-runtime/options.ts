/**
 * `keyfleet run` configuration: flags first, then environment variables (what the Pulumi SyncRuntime component
 * sets on the Deployment), then defaults. Validated once here; every error names the flag/variable and what is
 * allowed.
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_VAULT_REQUESTS_PER_10S,
  DNS_LABEL_PATTERN,
  KeyVaultNamePattern,
  RuntimeEnv,
} from "../common/vocabulary.ts";
import { DEFAULT_CONTROLLER_NAME } from "./constants.ts";
import { LOG_FORMATS } from "./logger.ts";
import type { LogFormat } from "./logger.ts";

/** The runtime's configuration. */
export interface RuntimeConfig {
  /** Kubeconfig file. Default: $KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeconfig?: string;
  /** Namespaces to serve. Default [] = all. */
  namespaces: string[];
  /** `secretSyncControllerName` served. Default "keyfleet"; the default name also serves SecretSyncs naming none. */
  controllerName: string;
  /** Seconds between polls of one SecretSync. Default 120. */
  rotationPollIntervalSeconds: number;
  /** Upper bound of the random delay added to each poll, seconds. Default 0. */
  jitterSeconds: number;
  /** Write successful items when others fail. Default true. */
  partialSync: boolean;
  /** Port of /healthz and /readyz (0 = pick, -1 = off). Default 8081. */
  healthPort: number;
  /** Port of /metrics (0 = pick, -1 = off). Default 9090. */
  metricsPort: number;
  /** Leader election on a Lease. Default true. */
  leaderElection: boolean;
  /** Namespace of the runtime (Lease, hash-key Secret). Default $POD_NAMESPACE or "keyfleet-system". */
  runtimeNamespace: string;
  /** Identity in the Lease. Default $POD_NAME or the host name. */
  identity: string;
  /** Vault URL rule with `{name}`. Default https://{name}.vault.azure.net. */
  vaultUrlTemplate: string;
  /** Explicit URL per vault name (wins over the template), e.g. one vault per port locally. Default {}. */
  vaultUrls: Record<string, string>;
  /** Extra CA (PEM file) to trust for vault and authority. Default none. */
  caFile?: string;
  /** Entra ID authority host. Default @azure/identity's. */
  authorityHost?: string;
  /** Vault read budget per 10 s per vault for this runtime. Default 200. */
  vaultRequestsPer10s: number;
  /** Base64 HMAC key for syncHash; default: kept in Secret keyfleet-sync-hash-key of the runtime namespace. */
  syncHashKey?: string;
  /** Parallel reconciles. Default 8. */
  concurrency: number;
  /** Install/upgrade the CRDs at start. Default false. */
  installCrds: boolean;
  /** pino level. Default info. */
  logLevel: string;
  /** `json` (one object per line) or `text` (for people reading `kubectl logs`). Default json. */
  logFormat: LogFormat;
}

/** Flags of `keyfleet run`, their environment variables and help. */
export const FLAGS = {
  kubeconfig: { env: RuntimeEnv.kubeconfig, help: "kubeconfig file (default: in-cluster or ~/.kube/config)" },
  namespaces: { env: RuntimeEnv.namespaces, help: "comma-separated namespaces to serve (default: all)" },
  "controller-name": {
    env: RuntimeEnv.controllerName,
    help: `secretSyncControllerName served (default ${DEFAULT_CONTROLLER_NAME})`,
  },
  "rotation-poll-interval": {
    env: RuntimeEnv.rotationPollIntervalSeconds,
    help: "seconds between polls, or 2m/1h (default 120)",
  },
  jitter: {
    env: RuntimeEnv.jitterSeconds,
    help: "max random delay added to each poll, seconds (default 0)",
  },
  "partial-sync": { env: RuntimeEnv.partialSync, help: "true|false (default true)" },
  "health-port": { env: RuntimeEnv.healthPort, help: "port of /healthz /readyz; -1 = off (default 8081)" },
  "metrics-port": { env: RuntimeEnv.metricsPort, help: "port of /metrics; -1 = off (default 9090)" },
  "leader-election": { env: RuntimeEnv.leaderElection, help: "true|false (default true)" },
  "runtime-namespace": {
    env: RuntimeEnv.runtimeNamespace,
    help: "namespace of the Lease and hash key (default keyfleet-system)",
  },
  identity: { env: RuntimeEnv.identity, help: "leader election identity (default host name)" },
  "vault-url-template": {
    env: RuntimeEnv.vaultUrlTemplate,
    help: "vault URL rule with {name} (default https://{name}.vault.azure.net)",
  },
  "vault-urls": {
    env: RuntimeEnv.vaultUrls,
    help: "explicit vault URLs: name=https://host:port,name2=... (default none)",
  },
  "ca-file": { env: RuntimeEnv.caFile, help: "extra PEM CA to trust for vault and authority" },
  "authority-host": { env: RuntimeEnv.authorityHost, help: "Entra ID authority host" },
  "vault-requests-per-10s": {
    env: RuntimeEnv.vaultRequestsPer10s,
    help: `vault read budget per vault (default ${DEFAULT_VAULT_REQUESTS_PER_10S})`,
  },
  "sync-hash-key": {
    env: RuntimeEnv.syncHashKey,
    help: "base64 HMAC key (default: Secret keyfleet-sync-hash-key)",
  },
  concurrency: { env: RuntimeEnv.concurrency, help: "parallel reconciles (default 8)" },
  "install-crds": { env: RuntimeEnv.installCrds, help: "install the CRDs at start (default false)" },
  "log-level": { env: RuntimeEnv.logLevel, help: "trace|debug|info|warn|error (default info)" },
  "log-format": {
    env: RuntimeEnv.logFormat,
    help: "json (one object per line) | text (for people reading kubectl logs) (default json)",
  },
} as const;

type FlagName = keyof typeof FLAGS;

/** A configuration error naming the flag and its environment variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses a duration: plain seconds, or `<n>s|m|h` (pure). */
export function parseSeconds(value: string, label: string, min: number): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new ConfigError(`${label}: "${value}" is not a duration (seconds, or e.g. 30s, 2m, 1h)`);
  const seconds = Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
  if (seconds < min) throw new ConfigError(`${label}: must be at least ${min} seconds`);
  return seconds;
}

function parseBool(value: string, label: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(`${label}: "${value}" must be true or false`);
}

function parseIntIn(value: string, label: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${label}: "${value}" must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/** Parses `name=https://...` pairs (pure). */
export function parseVaultUrls(input: { value: string; label: string } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input) return out;
  for (const pair of input.value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    const url = pair.slice(eq + 1);
    if (eq <= 0 || !KeyVaultNamePattern.vault.test(name) || !url.startsWith("https://")) {
      throw new ConfigError(`${input.label}: "${pair}" must be <vault name>=https://<host>[:port]`);
    }
    out[name] = url;
  }
  return out;
}

/** Parses the flags (strict: unknown flags name the allowed ones). */
function parseFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: "string" as const }]));
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    const flags = Object.keys(FLAGS)
      .map((f) => `--${f}`)
      .join(" ");
    throw new ConfigError(`${(error as Error).message}; flags: ${flags}`);
  }
}

/** The vault URL template: https, with a `{name}` placeholder. */
function vaultUrlTemplateOf(template: { value: string; label: string } | undefined): string {
  const value = template?.value ?? "https://{name}.vault.azure.net";
  if (!value.includes("{name}") || !value.startsWith("https://")) {
    throw new ConfigError(
      `${template?.label ?? "--vault-url-template"}: must be an https URL containing {name}`,
    );
  }
  return value;
}

/** Comma-separated namespace names (empty = all). */
function namespacesOf(value: string | undefined): string[] {
  const namespaces = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const ns of namespaces) {
    if (!DNS_LABEL_PATTERN.test(ns)) throw new ConfigError(`--namespaces: "${ns}" is not a namespace name`);
  }
  return namespaces;
}

/** A pino level. */
function logLevelOf(value: string | undefined): string {
  const level = value ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)) {
    throw new ConfigError(`--log-level: "${level}" must be one of trace, debug, info, warn, error`);
  }
  return level;
}

/** A log format. */
function logFormatOf(input: { value: string; label: string } | undefined): LogFormat {
  const format = input?.value ?? "json";
  if (!(LOG_FORMATS as readonly string[]).includes(format))
    throw new ConfigError(
      `${input?.label ?? "--log-format"}: "${format}" must be one of ${LOG_FORMATS.join(", ")}`,
    );
  return format as LogFormat;
}

/**
 * Builds the configuration from argv (flags after `run`) and env (pure given its inputs).
 * @throws ConfigError naming the flag/variable.
 */
export function parseRuntimeConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  hostname = "keyfleet",
): RuntimeConfig {
  const values = parseFlags(argv);
  const get = (flag: FlagName): { value: string; label: string } | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return { value: fromFlag, label: `--${flag}` };
    const fromEnv = env[FLAGS[flag].env];
    return fromEnv !== undefined && fromEnv !== ""
      ? { value: fromEnv, label: `$${FLAGS[flag].env}` }
      : undefined;
  };
  const str = (flag: FlagName) => get(flag)?.value;
  const num = (flag: FlagName, fallback: number, min: number, max: number) => {
    const v = get(flag);
    return v ? parseIntIn(v.value, v.label, min, max) : fallback;
  };
  const bool = (flag: FlagName, fallback: boolean) => {
    const v = get(flag);
    return v ? parseBool(v.value, v.label) : fallback;
  };
  const poll = get("rotation-poll-interval");
  const jitter = get("jitter");
  const vaultUrlTemplate = vaultUrlTemplateOf(get("vault-url-template"));
  const authority = get("authority-host");
  if (authority && !authority.value.startsWith("https://"))
    throw new ConfigError(`${authority.label}: must be an https URL`);
  const vaultUrls = parseVaultUrls(get("vault-urls"));
  const namespaces = namespacesOf(str("namespaces"));
  const level = logLevelOf(str("log-level"));
  const config: RuntimeConfig = {
    namespaces,
    controllerName: str("controller-name") || DEFAULT_CONTROLLER_NAME,
    rotationPollIntervalSeconds: poll ? parseSeconds(poll.value, poll.label, 1) : 120,
    jitterSeconds: jitter ? parseSeconds(jitter.value, jitter.label, 0) : 0,
    partialSync: bool("partial-sync", true),
    healthPort: num("health-port", 8081, -1, 65535),
    metricsPort: num("metrics-port", 9090, -1, 65535),
    leaderElection: bool("leader-election", true),
    runtimeNamespace: str("runtime-namespace") ?? "keyfleet-system",
    identity: str("identity") ?? hostname,
    vaultUrlTemplate,
    vaultUrls,
    vaultRequestsPer10s: num("vault-requests-per-10s", DEFAULT_VAULT_REQUESTS_PER_10S, 1, 100_000),
    concurrency: num("concurrency", 8, 1, 256),
    installCrds: bool("install-crds", false),
    logLevel: level,
    logFormat: logFormatOf(get("log-format")),
  };
  const kubeconfig = str("kubeconfig");
  if (kubeconfig) config.kubeconfig = kubeconfig;
  const caFile = str("ca-file");
  if (caFile) config.caFile = caFile;
  if (authority) config.authorityHost = authority.value;
  const key = str("sync-hash-key");
  if (key) config.syncHashKey = key;
  return config;
}

/** Help text of `keyfleet run`. */
export function runHelp(): string {
  const lines = Object.entries(FLAGS).map(([flag, f]) => `  --${flag.padEnd(24)} ${f.help} [$${f.env}]`);
  return `usage: keyfleet run [flags]\n\nRuns the sync runtime: SecretSync + SecretProviderClass reconcile, AKVSync expansion and workload restarts.\n\n${lines.join("\n")}\n`;
}
