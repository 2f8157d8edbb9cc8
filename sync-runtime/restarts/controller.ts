/**
 * The restart controller (the Reloader pattern, built in). It watches Secrets (and, when the CSI driver's API is
 * served, SecretProviderClassPodStatus objects) keeping only keyed fingerprints, batches value changes per
 * namespace, and queues every workload of a closed batch on the per-key work queue, where the Restarter patches one
 * pod-template annotation with the hash of the state that caused the restart. The first list after start-up only
 * records the baseline; a change that leaves the value as it was (a no-change poll) is not a change; a workload
 * that already records the hash is left alone; a restart the rate limit postpones is re-queued for when a token is
 * free.
 */
import { createHmac, randomBytes } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { systemClock } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { KubeClient } from "../kube/client.ts";
import { KubeEventSink } from "../kube/events.ts";
import type { EventSink } from "../kube/events.ts";
import { IDENTITY_ONLY, SharedInformers } from "../kube/informers.ts";
import { customKind, secretsKind } from "../kube/kinds.ts";
import { describeError } from "../logger.ts";
import { WorkQueue } from "../queue.ts";
import { ChangeBatcher } from "./batcher.ts";
import { RESTART_COMPONENT, RESTART_DEFAULTS, SPC_POD_STATUS } from "./constants.ts";
import type { SourceChange } from "./decide.ts";
import type { MountedObject } from "./fingerprint.ts";
import { RestartMetrics } from "./metrics.ts";
import { NamespaceRateLimiter } from "./rate-limit.ts";
import { Restarter } from "./restarter.ts";
import { SourceTracker } from "./sources.ts";
import { createWorkloadAdapters } from "./workloads.ts";
import type { Workload, WorkloadAdapter } from "./workloads.ts";

/** Options of {@link RestartController}. */
export interface RestartControllerOptions {
  /** Kubernetes client configuration. */
  kubeConfig: k8s.KubeConfig;
  /** The runtime's Kubernetes client (workloads, discovery, Events). Default: one made from `kubeConfig`. */
  kube?: KubeClient;
  /** The process's shared informers. Default: the controller's own (stopped with it). */
  informers?: SharedInformers;
  /** The runtime's metrics registry. */
  registry: Registry;
  logger: Logger;
  /** Watch only these namespaces (one watch per namespace and kind). Default (undefined or empty): all namespaces. */
  namespaces?: readonly string[];
  /** Batching window in ms. Default 5000. */
  batchWindowMs?: number;
  /** Per-namespace restart burst. Default 10. */
  rateLimitBurst?: number;
  /** Per-namespace restarts per minute. Default 10. */
  rateLimitPerMinute?: number;
  /** Attempts of a restart patch on 409 Conflict. Default 5. */
  conflictRetries?: number;
  /** Workloads handled in parallel (distinct workloads). Default 4. */
  concurrency?: number;
  /**
   * Key for Secret fingerprints (HMAC; a purpose-specific key is derived from it), or a function loading it at
   * start (e.g. the runtime's hash key Secret). Give every replica the same key so the "already restarted for this
   * hash" check holds across replicas and restarts. Default: 32 random bytes per process.
   */
  fingerprintKey?: Buffer | (() => Promise<Buffer>);
  /** Secret annotations holding the Key Vault versions the runtime wrote (shown in Events). Default: none; resourceVersion is shown. */
  versionAnnotations?: readonly string[];
  /** Follow SecretProviderClassPodStatus changes: "auto" (when the API is served), true or false. Default "auto". */
  followSecretProviderClasses?: boolean | "auto";
  /** Time and timers (batch windows, rate limit, retries). Default the system clock. */
  clock?: Clock;
  /** Event sink. Default: core/v1 Events. */
  events?: EventSink;
  /** Workload adapters. Default: Deployment, StatefulSet, DaemonSet. */
  adapters?: WorkloadAdapter[];
}

/** Work for one workload: changes to restart for, and whether its annotations changed (check them). */
interface WorkloadWork {
  changes: SourceChange[];
  check: boolean;
}

interface SpcPodStatusObject extends k8s.KubernetesObject {
  status?: { secretProviderClassName?: string; objects?: MountedObject[] };
}

/** Merges two work items of one workload: changes deduplicated by source and name, in arrival order (pure). */
export function mergeWorkloadWork(a: WorkloadWork, b: WorkloadWork): WorkloadWork {
  const changes = [...a.changes];
  for (const change of b.changes)
    if (!changes.some((c) => c.source === change.source && c.name === change.name)) changes.push(change);
  return { changes, check: a.check || b.check };
}

const workloadKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

/** Restarts Deployments, StatefulSets and DaemonSets whose Secrets change. */
export class RestartController {
  /** Name in the runtime's logs (the runtime's `Controller` interface). */
  readonly name = "restarts";
  private readonly options: RestartControllerOptions;
  private readonly logger: Logger;
  private readonly adapters: ReadonlyMap<string, WorkloadAdapter>;
  private readonly metrics: RestartMetrics;
  private readonly batcher: ChangeBatcher;
  private readonly queue: WorkQueue<WorkloadWork>;
  private readonly restarter: Restarter;
  private sources: SourceTracker;
  private readonly kube: KubeClient;
  private readonly informers: SharedInformers;
  private readonly ownsInformers: boolean;
  private readonly workloadCaches = new Map<string, Array<k8s.ObjectCache<k8s.KubernetesObject>>>();
  private running = false;

  constructor(options: RestartControllerOptions) {
    this.options = options;
    this.logger = options.logger.child({ controller: "restarts" });
    this.ownsInformers = options.informers === undefined;
    this.informers = options.informers ?? new SharedInformers(options.kubeConfig, { logger: this.logger });
    const clock = options.clock ?? systemClock;
    this.kube = options.kube ?? new KubeClient(options.kubeConfig);
    const events = options.events ?? new KubeEventSink(this.kube, RESTART_COMPONENT, this.logger);
    const adapters = options.adapters ?? createWorkloadAdapters(this.kube);
    this.adapters = new Map(adapters.map((adapter) => [adapter.kind, adapter]));
    this.metrics = new RestartMetrics(options.registry);
    this.sources = new SourceTracker(randomBytes(32), options.versionAnnotations);
    this.restarter = new Restarter({
      events,
      metrics: this.metrics,
      limiter: new NamespaceRateLimiter({
        burst: options.rateLimitBurst ?? RESTART_DEFAULTS.rateLimitBurst,
        perMinute: options.rateLimitPerMinute ?? RESTART_DEFAULTS.rateLimitPerMinute,
      }),
      clock,
      logger: this.logger,
      conflictRetries: options.conflictRetries ?? RESTART_DEFAULTS.conflictRetries,
      sources: (namespace) => this.sources.lookup(namespace),
      hasSecret: (namespace, name) => this.sources.hasSecret(namespace, name),
    });
    this.queue = new WorkQueue<WorkloadWork>({
      process: (key, work) => this.process(key, work),
      merge: mergeWorkloadWork,
      concurrency: options.concurrency ?? 4,
      clock,
      onError: (key, error, retryInMs) =>
        this.logger.error({ err: error, workload: key, retryInMs }, "restart work failed; retrying"),
    });
    this.batcher = new ChangeBatcher({
      windowMs: options.batchWindowMs ?? RESTART_DEFAULTS.batchWindowMs,
      clock,
      onBatch: (namespace, changes) => this.queueNamespace(namespace, changes),
    });
  }

  /** Lists (the baseline: nothing restarts for it) and starts watching. Resolves when the caches are filled. */
  async start(): Promise<void> {
    const configured = this.options.fingerprintKey;
    if (configured !== undefined) {
      const key = typeof configured === "function" ? await configured() : configured;
      const derived = createHmac("sha256", key).update("keyfleet-restart-fingerprints-v1").digest();
      this.sources = new SourceTracker(derived, this.options.versionAnnotations);
    }
    this.running = true;
    const followSpcs = await this.spcPodStatusesServed();
    for (const ns of this.options.namespaces?.length ? this.options.namespaces : [undefined])
      await this.watchScope(ns, followSpcs);
    this.logger.info(
      { namespaces: this.options.namespaces ?? "(all)", secrets: this.sources.secretCount },
      "restart controller started",
    );
  }

  /** Starts the watches of one namespace (or of all namespaces when `ns` is undefined). */
  private async watchScope(ns: string | undefined, followSpcs: boolean): Promise<void> {
    const scope = ns !== undefined ? { namespace: ns } : {};
    const secrets = this.informers.informer(secretsKind(this.options.kubeConfig), {
      ...scope,
      // Fingerprinted on arrival, never read back: the cache keeps no values. This controller's handlers are
      // registered before its own informer starts, so none is ever replayed a Secret without its data.
      retain: IDENTITY_ONLY,
    });
    const onSecret = (secret: k8s.V1Secret, isUpdate: boolean) => {
      const seen = this.sources.secretSeen(secret, isUpdate);
      if (!seen) return;
      this.metrics.changes.inc({ source: "secret" });
      this.logger.info(
        { namespace: seen.namespace, secret: seen.change.name, version: seen.version },
        "secret value changed",
      );
      this.batcher.add(seen.namespace, seen.change);
    };
    secrets.on("add", (s) => onSecret(s, false));
    secrets.on("update", (s) => onSecret(s, true));
    secrets.on("delete", (s) => this.sources.secretDeleted(s));
    await secrets.start();
    if (followSpcs) await this.watchPodStatuses(ns);
    for (const adapter of this.adapters.values()) {
      const informer = this.informers.informer(
        customKind<k8s.KubernetesObject>(this.options.kubeConfig, adapter.resource),
        scope,
      );
      const check = (object: k8s.KubernetesObject) => {
        const { namespace = "", name = "" } = object.metadata ?? {};
        this.queue.add(workloadKey(adapter.kind, namespace, name), { changes: [], check: true });
      };
      informer.on("add", check);
      informer.on("update", check);
      informer.on("delete", (object) => this.restarter.forget(object.metadata?.uid ?? ""));
      this.workloadCaches.set(adapter.kind, [...(this.workloadCaches.get(adapter.kind) ?? []), informer]);
      await informer.start();
    }
  }

  /** Stops watching; open batches and postponed restarts are dropped. */
  async stop(): Promise<void> {
    this.running = false;
    this.batcher.discardAll();
    await this.queue.stop();
    if (this.ownsInformers) await this.informers.stop();
  }

  /** Closes every open batch window now and waits until the resulting restarts are done (tests, demo, shutdown). */
  async flush(): Promise<void> {
    this.batcher.closeAll();
    await this.idle();
  }

  /** Resolves when no workload is queued or being handled (postponed restarts may remain scheduled). */
  async idle(): Promise<void> {
    await this.queue.idle();
  }

  /** The resourceVersion of a Secret as last seen by the controller (lets callers wait until it saw a write). */
  observedSecretVersion(namespace: string, name: string): string | undefined {
    return this.sources.secretResourceVersion(namespace, name);
  }

  /** Changes waiting in open batch windows, per namespace. */
  pendingChanges(): Map<string, SourceChange[]> {
    return this.batcher.pending();
  }

  private async spcPodStatusesServed(): Promise<boolean> {
    const follow = this.options.followSecretProviderClasses ?? "auto";
    if (follow !== "auto") return follow;
    const served = await this.kube.servesResource(SPC_POD_STATUS).catch((error: unknown) => {
      this.logger.warn({ err: describeError(error) }, "API discovery failed");
      return false;
    });
    if (!served)
      this.logger.info("SecretProviderClassPodStatus API not served: file-based (CSI) restarts are off");
    return served;
  }

  private async watchPodStatuses(ns: string | undefined): Promise<void> {
    const informer = this.informers.informer(
      customKind<SpcPodStatusObject>(this.options.kubeConfig, SPC_POD_STATUS),
      ns !== undefined ? { namespace: ns } : {},
    );
    const onStatus = (object: SpcPodStatusObject, isUpdate: boolean) => {
      const seen = this.sources.podStatusSeen(object, isUpdate);
      if (!seen) return;
      this.metrics.changes.inc({ source: "spc" });
      this.logger.info(
        { namespace: seen.namespace, secretProviderClass: seen.change.name },
        "mounted versions changed",
      );
      this.batcher.add(seen.namespace, seen.change);
    };
    informer.on("add", (o) => onStatus(o, false));
    informer.on("update", (o) => onStatus(o, true));
    informer.on("delete", (o) => this.sources.podStatusDeleted(o));
    await informer.start();
  }

  /** A closed batch: every workload of the namespace is queued with the batch's changes. */
  private queueNamespace(namespace: string, changes: SourceChange[]): void {
    if (!this.running) return;
    for (const [kind, caches] of this.workloadCaches) {
      for (const object of caches.flatMap((cache) => cache.list(namespace)))
        this.queue.add(workloadKey(kind, namespace, object.metadata?.name ?? ""), { changes, check: false });
    }
  }

  /** Handles one workload: checks its annotations when they changed, restarts it when the changes touch it. */
  private async process(key: string, work: WorkloadWork): Promise<void> {
    if (!this.running) return;
    const [kind = "", namespace = "", name = ""] = key.split("/");
    const adapter = this.adapters.get(kind);
    const cached = (this.workloadCaches.get(kind) ?? []).map((c) => c.get(name, namespace)).find(Boolean);
    if (!adapter || !cached) return; // deleted meanwhile
    const workload = { ...(cached as Workload), kind: adapter.kind };
    if (work.check) await this.restarter.reportAnnotationProblems(workload);
    if (work.changes.length === 0) return;
    const outcome = await this.restarter.restartIfNeeded(adapter, workload, work.changes);
    if (outcome.kind === "postponed")
      this.queue.addAfter(key, { changes: work.changes, check: false }, outcome.retryAfterMs);
  }
}
