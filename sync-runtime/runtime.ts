/**
 * The composition root: one KubeClient, logger, metrics registry and vault fetcher, a list of controllers
 * (SecretSync here; AKVSync and restarts are added through `extraControllers`), health/metrics servers and
 * leader election. Controllers run only while this replica leads.
 */
import { readFileSync } from "node:fs";
import type * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { DEFAULT_CONTROLLER_NAME } from "./constants.ts";
import { installCrds } from "./crds/index.ts";
import { loadOrCreateHashKey, parseHashKey } from "./hash-key.ts";
import { serveHealth, serveMetrics } from "./http.ts";
import type { Listening } from "./http.ts";
import { createTokenSource } from "./identity.ts";
import { KubeClient } from "./kube/client.ts";
import { SharedInformers } from "./kube/informers.ts";
import { LeaderElector } from "./leader.ts";
import { describeError } from "./logger.ts";
import { RuntimeMetrics } from "./metrics.ts";
import type { RuntimeConfig } from "./options.ts";
import { SecretSyncController } from "./sync/controller.ts";
import type { Random } from "./sync/schedule.ts";
import { createVaultLayer } from "./vault/index.ts";
import type { VaultLayer, VaultLayerOptions } from "./vault/index.ts";
import type { ObjectFetcher } from "./vault/types.ts";

/** Anything the runtime starts and stops while leading. */
export interface Controller {
  /** For logs. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What extra controllers get to build themselves (shared collaborators: one of each per process). */
export interface RuntimeContext {
  kubeConfig: k8s.KubeConfig;
  kube: KubeClient;
  /** The process's informers: controllers share one cache per kind and namespace. */
  informers: SharedInformers;
  logger: Logger;
  metrics: RuntimeMetrics;
  config: RuntimeConfig;
  /** The process's clock. */
  clock: Clock;
}

/** Collaborators of {@link SyncRuntime}; all but kubeConfig/logger have defaults. */
export interface SyncRuntimeDeps {
  kubeConfig: k8s.KubeConfig;
  logger: Logger;
  /** Default: a new RuntimeMetrics. */
  metrics?: RuntimeMetrics;
  /** Default: the real vault layer built from the config. */
  fetcher?: ObjectFetcher;
  /** Overrides for the real vault layer (tests: fast backoff). */
  vaultWiring?: Partial<VaultLayerOptions>;
  /** More controllers (AKVSync, restarts): built once, started/stopped with leadership. Default none. */
  extraControllers?: (context: RuntimeContext) => Controller[];
  /** Jitter randomness. Default Math.random. */
  random?: Random;
  /** Time and timers of every controller, leader election and the vault layer. Default the system clock. */
  clock?: Clock;
}

/** The running runtime. */
export class SyncRuntime {
  readonly config: RuntimeConfig;
  readonly kube: KubeClient;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The SecretSync controller (after start). */
  secretSyncs: SecretSyncController | undefined;
  /** The vault fetcher in use (after start). */
  fetcher: ObjectFetcher | undefined;
  /** The real vault layer when the runtime built it (stats for the bench). */
  vaultLayer: VaultLayer | undefined;
  private readonly deps: SyncRuntimeDeps;
  private controllers: Controller[] = [];
  private informers: SharedInformers | undefined;
  private servers: Listening[] = [];
  private elector: LeaderElector | undefined;
  private leading = false;
  private transition: Promise<void> = Promise.resolve();
  /** Ports actually bound (0 = not served). */
  readonly ports = { health: 0, metrics: 0 };
  /**
   * Resolves when the runtime cannot go on (leadership lost: controllers are not restartable in-process, so the
   * process exits and Kubernetes restarts it as a fresh candidate).
   */
  readonly finished: Promise<string>;
  private finish: (reason: string) => void = () => {};

  constructor(config: RuntimeConfig, deps: SyncRuntimeDeps) {
    this.config = config;
    this.deps = deps;
    this.logger = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.kube = new KubeClient(deps.kubeConfig, config.identity);
    this.metrics = deps.metrics ?? new RuntimeMetrics();
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Ready: every controller has synced its caches (a standby replica is ready too). */
  ready(): boolean {
    if (this.config.leaderElection && !this.leading) return true;
    return this.leading && (this.secretSyncs?.ready ?? false);
  }

  /** Starts servers, loads the hash key, builds controllers and starts them (at once, or when leading). */
  async start(): Promise<void> {
    const c = this.config;
    if (c.healthPort >= 0) {
      const sameAsMetrics = c.metricsPort === c.healthPort && c.healthPort > 0;
      const health = await serveHealth(
        { live: () => true, ready: () => this.ready() },
        c.healthPort,
        "0.0.0.0",
        sameAsMetrics ? this.metrics.registry : undefined,
      );
      this.servers.push(health);
      this.ports.health = health.port;
      if (sameAsMetrics) this.ports.metrics = health.port;
    }
    if (c.metricsPort >= 0 && this.ports.metrics === 0) {
      const metrics = await serveMetrics(this.metrics.registry, c.metricsPort);
      this.servers.push(metrics);
      this.ports.metrics = metrics.port;
    }
    if (c.installCrds) await installCrds(this.kube, undefined, undefined, this.clock);
    const hashKey = c.syncHashKey
      ? parseHashKey(c.syncHashKey, "--sync-hash-key")
      : await loadOrCreateHashKey(this.kube, c.runtimeNamespace);
    if (!this.deps.fetcher) {
      this.vaultLayer = createVaultLayer({
        registry: this.metrics.registry,
        tokenSource: createTokenSource(this.kube, { clock: this.clock }),
        clock: this.clock,
        vaultUrlTemplate: c.vaultUrlTemplate,
        vaultUrls: Object.keys(c.vaultUrls).length ? c.vaultUrls : undefined,
        authorityHost: c.authorityHost || undefined,
        caBundlePem: c.caFile ? readFileSync(c.caFile, "utf8") : undefined,
        vaultRequestsPer10s: c.vaultRequestsPer10s,
        rotationPollIntervalSeconds: c.rotationPollIntervalSeconds,
        ...this.deps.vaultWiring,
      });
    }
    this.fetcher = this.deps.fetcher ?? this.vaultLayer!.fetcher;
    const informers = new SharedInformers(this.deps.kubeConfig, { logger: this.logger });
    this.informers = informers;
    this.secretSyncs = new SecretSyncController({
      kube: this.kube,
      informers,
      fetcher: this.fetcher,
      metrics: this.metrics,
      logger: this.logger,
      hashKey,
      schedule: {
        rotationPollIntervalSeconds: c.rotationPollIntervalSeconds,
        jitterSeconds: c.jitterSeconds,
      },
      namespaces: c.namespaces,
      controllerName: c.controllerName,
      servesUnnamed: c.controllerName === DEFAULT_CONTROLLER_NAME,
      partialSync: c.partialSync,
      concurrency: c.concurrency,
      random: this.deps.random,
      clock: this.clock,
    });
    const secretSyncs = this.secretSyncs;
    const context: RuntimeContext = {
      kubeConfig: this.deps.kubeConfig,
      kube: this.kube,
      informers,
      logger: this.logger,
      metrics: this.metrics,
      config: c,
      clock: this.clock,
    };
    this.controllers = [
      { name: "secretsync", start: () => secretSyncs.start(), stop: () => secretSyncs.stop() },
      ...(this.deps.extraControllers?.(context) ?? []),
    ];
    if (!c.leaderElection) {
      await this.startControllers();
      return;
    }
    this.elector = new LeaderElector({
      kube: this.kube,
      logger: this.logger,
      namespace: c.runtimeNamespace,
      identity: c.identity,
      clock: this.clock,
    });
    this.elector.run(
      () => void this.queueTransition(() => this.startControllers()),
      () =>
        void this.queueTransition(async () => {
          await this.stopControllers();
          this.finish("lost leadership");
        }),
    );
  }

  /** Graceful shutdown: stop leading (release the Lease), stop controllers, close servers. */
  async stop(): Promise<void> {
    await this.elector?.stop();
    await this.queueTransition(() => this.stopControllers());
    await Promise.all(this.servers.map((s) => s.close()));
    this.servers = [];
  }

  private queueTransition(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step).catch((error: unknown) => {
      this.logger.error({ err: describeError(error) }, "controller start/stop failed");
    });
    return this.transition;
  }

  private async startControllers(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    this.metrics.setLeader(true);
    for (const controller of this.controllers) {
      await controller.start();
      this.logger.info({ controller: controller.name }, "controller started");
    }
  }

  private async stopControllers(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.metrics.setLeader(false);
    for (const controller of [...this.controllers].reverse()) {
      await controller.stop();
    }
    await this.informers?.stop();
  }
}
