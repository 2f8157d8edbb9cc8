/**
 * Runs the sync runtime in-process against the proving ground (demo, bench, integration tests): the real
 * KubeClient, the real vault layer pointed at the local vault (through an optional counting/fault proxy), and a
 * log sink that keeps every JSON line so a test can grep them for secret values.
 */
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import type * as k8s from "@kubernetes/client-node";
import type { LocalEnvironment } from "../../scripts/local/env.ts";
import { KubeHelper } from "./kube.ts";
import { createLogger } from "../../sync-runtime/logger.ts";
import { parseRuntimeConfig } from "../../sync-runtime/options.ts";
import { SyncRuntime } from "../../sync-runtime/runtime.ts";
import type { SyncRuntimeDeps } from "../../sync-runtime/runtime.ts";
import type { Random } from "../../sync-runtime/sync/schedule.ts";

/** Options of {@link startRuntime}. */
export interface StartRuntimeOptions {
  env: LocalEnvironment;
  kubeConfig: k8s.KubeConfig;
  /** Namespaces served (always scope tests to their own). */
  namespaces: string[];
  /** Vault base URL to use instead of the env's (e.g. a counting proxy). */
  vaultUrl?: string;
  /** Default 120. */
  rotationPollIntervalSeconds?: number;
  /** Default 0. */
  jitterSeconds?: number;
  /** Default true. */
  partialSync?: boolean;
  /** Default keyfleet. */
  controllerName?: string;
  /** Default 16. */
  concurrency?: number;
  /** Vault budget per 10 s. Default 2000. */
  vaultRequestsPer10s?: number;
  /** Leader election. Default false (tests run one replica). */
  leaderElection?: boolean;
  /** Lease identity. Default "test-runtime". */
  identity?: string;
  /** Runtime namespace (hash-key Secret, Lease). Default keyfleet-system. */
  runtimeNamespace?: string;
  /** Extra lines sink (e.g. stderr for the demo). */
  echo?: (line: string) => void;
  /** Log level. Default info. */
  logLevel?: string;
  random?: Random;
  /** Fast retries for fault tests. */
  fastBackoff?: boolean;
  /** Serve health/metrics on ephemeral ports. Default true. */
  serveHttp?: boolean;
  extraControllers?: SyncRuntimeDeps["extraControllers"];
  /**
   * The runtime namespace exists already (a runtime running as its own ServiceAccount may not create namespaces).
   * Default false: it is created with `kubeConfig`.
   */
  runtimeNamespaceExists?: boolean;
  /** More overrides of the vault layer (e.g. a low circuit-breaker threshold). Default none. */
  vaultWiring?: SyncRuntimeDeps["vaultWiring"];
}

/** A running in-process runtime. */
export interface TestRuntime {
  runtime: SyncRuntime;
  /** Every log line written so far. */
  logs: string[];
  stop(): Promise<void>;
}

/** `name=url` pairs for the local vault (one vault per port): the default vault at `baseUrl`. */
export function localVaultUrls(env: LocalEnvironment, baseUrl = env.vault.url): string {
  return `${env.vault.vaultName}=${baseUrl.replace(/\/$/, "")}`;
}

/** Starts the runtime in-process. */
export async function startRuntime(o: StartRuntimeOptions): Promise<TestRuntime> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        logs.push(line);
        o.echo?.(line);
      }
      done();
    },
  });
  const port = o.serveHttp === false ? "-1" : "0";
  const argv = [
    "--namespaces",
    o.namespaces.join(","),
    "--rotation-poll-interval",
    String(o.rotationPollIntervalSeconds ?? 120),
    "--jitter",
    String(o.jitterSeconds ?? 0),
    "--partial-sync",
    String(o.partialSync ?? true),
    "--controller-name",
    o.controllerName ?? "keyfleet",
    "--concurrency",
    String(o.concurrency ?? 16),
    "--vault-requests-per-10s",
    String(o.vaultRequestsPer10s ?? 2000),
    "--leader-election",
    String(o.leaderElection ?? false),
    "--identity",
    o.identity ?? "test-runtime",
    "--runtime-namespace",
    o.runtimeNamespace ?? "keyfleet-system",
    `--health-port=${port}`,
    `--metrics-port=${port}`,
    "--vault-urls",
    localVaultUrls(o.env, o.vaultUrl),
    "--authority-host",
    o.env.identity.authorityHost,
    "--log-level",
    o.logLevel ?? "info",
  ];
  const config = parseRuntimeConfig(argv, {}, "test");
  // In a cluster the SyncRuntime component creates the runtime namespace; on the proving ground we do.
  if (!o.runtimeNamespaceExists) await new KubeHelper(o.kubeConfig).ensureNamespace(config.runtimeNamespace);
  const ca = [...new Set([o.env.vault.caFile, o.env.identity.caFile])]
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  const runtime = new SyncRuntime(config, {
    kubeConfig: o.kubeConfig,
    logger: createLogger({ level: config.logLevel, destination: sink as never }),
    vaultWiring: {
      caBundlePem: ca,
      ...(o.fastBackoff
        ? {
            backoff: { baseDelayMs: 20, maxDelayMs: 200 },
            maxRetries: 2,
            circuitBreaker: { failureThreshold: 1000, cooldownMs: 200 },
          }
        : {}),
      ...o.vaultWiring,
    },
    ...(o.random ? { random: o.random } : {}),
    ...(o.extraControllers ? { extraControllers: o.extraControllers } : {}),
  });
  await runtime.start();
  return { runtime, logs, stop: () => runtime.stop() };
}
