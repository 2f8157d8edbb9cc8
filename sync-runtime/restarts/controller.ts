/**
 * The restart controller (the Reloader pattern, built in). It watches Secrets (and, when the CSI driver's API is
 * served, SecretProviderClassPodStatus objects) keeping only keyed fingerprints, batches value changes per
 * namespace, and for every workload that watches a changed source patches one pod-template annotation with the
 * hash of the state that caused the restart. The first list after start-up only records the baseline; a change
 * that leaves the value as it was (a no-change poll) is not a change; a workload that already records the hash
 * is left alone.
 */
import { createHmac, randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { KubeClient } from "../kube/client.ts";
import { IDENTITY_ONLY, SharedInformers } from "../kube/informers.ts";
import { customKind, listedKind, secretsKind } from "../kube/kinds.ts";
import { createWorkloadAdapters, eventTarget, isConflict, workloadView } from "./adapters.ts";
import type { Workload, WorkloadAdapter } from "./adapters.ts";
import { ChangeBatcher } from "./batcher.ts";
import {
  RESTART_COMPONENT,
  RESTART_DEFAULTS,
  RESTARTED_FOR_ANNOTATION,
  RestartEventReason,
  SPC_POD_STATUS,
  SkipReason,
} from "./constants.ts";
import { annotationProblems, decideRestart, restartMessage } from "./decide.ts";
import type { RestartCause, SourceChange } from "./decide.ts";
import { KubeEventSink } from "./events.ts";
import type { EventSink } from "./events.ts";
import type { MountedObject } from "./fingerprint.ts";
import { RestartMetrics } from "./metrics.ts";
import { NamespaceRateLimiter } from "./rate-limit.ts";
import { createSystemScheduler } from "./scheduler.ts";
import { SourceTracker } from "./sources.ts";
import type { Scheduler } from "./scheduler.ts";

/** Options of {@link RestartController}. */
export interface RestartControllerOptions {
  /** Kubernetes client configuration. */
  kubeConfig: k8s.KubeConfig;
  /** The runtime's Kubernetes client (Events). Default: one made from `kubeConfig`. */
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
  /** Time and timers. Default: the system scheduler. */
  scheduler?: Scheduler;
  /** Event sink. Default: core/v1 Events. */
  events?: EventSink;
  /** Workload adapters. Default: Deployment, StatefulSet, DaemonSet. */
  adapters?: WorkloadAdapter[];
}

interface SpcPodStatusObject extends k8s.KubernetesObject {
  status?: { secretProviderClassName?: string; objects?: MountedObject[] };
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Restarts Deployments, StatefulSets and DaemonSets whose Secrets change. */
export class RestartController {
  /** Name in the runtime's logs (the runtime's `Controller` interface). */
  readonly name = "restarts";
  private readonly options: RestartControllerOptions;
  private readonly logger: Logger;
  private readonly scheduler: Scheduler;
  private readonly events: EventSink;
  private readonly adapters: WorkloadAdapter[];
  private readonly metrics: RestartMetrics;
  private readonly limiter: NamespaceRateLimiter;
  private readonly batcher: ChangeBatcher;
  private sources: SourceTracker;
  private readonly reported = new Map<string, Set<string>>();
  private readonly deferred = new Map<string, { changes: SourceChange[]; cancel: () => void }>();
  private readonly informers: SharedInformers;
  private readonly ownsInformers: boolean;
  private readonly workloadCaches = new Map<string, Array<k8s.ObjectCache<k8s.KubernetesObject>>>();
  private queue: Promise<void> = Promise.resolve();
  private running = false;

  constructor(options: RestartControllerOptions) {
    this.options = options;
    this.logger = options.logger.child({ controller: "restarts" });
    this.ownsInformers = options.informers === undefined;
    this.informers = options.informers ?? new SharedInformers(options.kubeConfig, { logger: this.logger });
    this.scheduler = options.scheduler ?? createSystemScheduler();
    this.events =
      options.events ??
      new KubeEventSink(options.kube ?? new KubeClient(options.kubeConfig), RESTART_COMPONENT, this.logger);
    this.adapters = options.adapters ?? createWorkloadAdapters(options.kubeConfig);
    this.metrics = new RestartMetrics(options.registry);
    this.limiter = new NamespaceRateLimiter({
      burst: options.rateLimitBurst ?? RESTART_DEFAULTS.rateLimitBurst,
      perMinute: options.rateLimitPerMinute ?? RESTART_DEFAULTS.rateLimitPerMinute,
    });
    this.sources = new SourceTracker(randomBytes(32), options.versionAnnotations);
    this.batcher = new ChangeBatcher({
      windowMs: options.batchWindowMs ?? RESTART_DEFAULTS.batchWindowMs,
      scheduler: this.scheduler,
      onBatch: (namespace, changes) => this.enqueue(() => this.processBatch(namespace, changes)),
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
    for (const adapter of this.adapters) {
      const workloads = listedKind<k8s.KubernetesObject>(
        `workloads.${adapter.kind}`,
        (namespace) => adapter.watchPath(namespace),
        (namespace) => adapter.list(namespace),
      );
      const informer = this.informers.informer(workloads, scope);
      const check = (object: k8s.KubernetesObject) =>
        this.enqueue(() => this.reportAnnotationProblems({ ...(object as Workload), kind: adapter.kind }));
      informer.on("add", check);
      informer.on("update", check);
      informer.on("delete", (object) => this.reported.delete(object.metadata?.uid ?? ""));
      this.workloadCaches.set(adapter.kind, [...(this.workloadCaches.get(adapter.kind) ?? []), informer]);
      await informer.start();
    }
  }

  /** Stops watching; open batches and deferred restarts are dropped. */
  async stop(): Promise<void> {
    this.running = false;
    this.batcher.discardAll();
    for (const entry of this.deferred.values()) entry.cancel();
    this.deferred.clear();
    if (this.ownsInformers) await this.informers.stop();
    await this.queue;
  }

  /** Closes every open batch window now and waits until the resulting restarts are done (tests, demo, shutdown). */
  async flush(): Promise<void> {
    this.batcher.closeAll();
    await this.whenIdle();
  }

  /** Resolves when all queued work is done. */
  async whenIdle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
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
    try {
      const resources = await this.options.kubeConfig
        .makeApiClient(k8s.CustomObjectsApi)
        .getAPIResources({ group: SPC_POD_STATUS.group, version: SPC_POD_STATUS.version });
      return resources.resources.some((r) => r.name === SPC_POD_STATUS.plural);
    } catch {
      this.logger.info("SecretProviderClassPodStatus API not served: file-based (CSI) restarts are off");
      return false;
    }
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

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue
      .then(work)
      .catch((error: unknown) => this.logger.error({ err: error }, "restart work failed"));
  }

  private async reportAnnotationProblems(workload: Workload): Promise<void> {
    const uid = workload.metadata.uid ?? key(workload.metadata.namespace, workload.metadata.name);
    const problems = annotationProblems(workloadView(workload), (name) =>
      this.sources.hasSecret(workload.metadata.namespace, name),
    );
    const seen = this.reported.get(uid) ?? new Set<string>();
    this.reported.set(uid, new Set(problems.map((p) => p.message)));
    for (const problem of problems) {
      if (seen.has(problem.message)) continue;
      const reason = problem.message.includes("does not exist")
        ? RestartEventReason.secretNotFound
        : RestartEventReason.invalidAnnotation;
      await this.events.emit(eventTarget(workload), "Warning", reason, problem.message);
    }
  }

  private async processBatch(namespace: string, changes: SourceChange[]): Promise<void> {
    if (!this.running) return;
    for (const adapter of this.adapters) {
      const cached = (this.workloadCaches.get(adapter.kind) ?? []).flatMap((cache) =>
        cache.list(namespace),
      ) as Workload[];
      for (const object of cached) {
        const workload: Workload = { ...object, kind: adapter.kind };
        await this.restartIfNeeded(adapter, workload, changes);
      }
    }
  }

  private async restartIfNeeded(
    adapter: WorkloadAdapter,
    workload: Workload,
    changes: SourceChange[],
  ): Promise<void> {
    const { namespace, name } = workload.metadata;
    const lookup = this.sources.lookup(namespace);
    let current = workload;
    for (let attempt = 1; ; attempt++) {
      const decision = decideRestart(workloadView(current), changes, lookup);
      if (!decision.restart) {
        if (decision.why === "already-restarted")
          this.metrics.skipped.inc({ kind: adapter.kind, reason: SkipReason.alreadyRestarted });
        return;
      }
      if (attempt === 1 && !this.takeToken(adapter, current, changes, decision.causes)) return;
      try {
        await adapter.patchTemplateAnnotation(current, RESTARTED_FOR_ANNOTATION, decision.hash);
      } catch (error) {
        if (
          isConflict(error) &&
          attempt < (this.options.conflictRetries ?? RESTART_DEFAULTS.conflictRetries)
        ) {
          current = await adapter.read(namespace, name);
          continue;
        }
        this.metrics.errors.inc({ kind: adapter.kind });
        this.logger.error({ err: error, kind: adapter.kind, namespace, name }, "restart patch failed");
        await this.events.emit(
          eventTarget(current),
          "Warning",
          RestartEventReason.failed,
          `restart for changed Secrets failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return;
      }
      for (const reason of new Set(decision.causes.flatMap((c) => c.reasons)))
        this.metrics.restarts.inc({ kind: adapter.kind, reason });
      const caveat = adapter.rolloutCaveat(current);
      const message = restartMessage(decision.causes, decision.hash) + (caveat ? `; note: ${caveat}` : "");
      this.logger.info(
        {
          kind: adapter.kind,
          namespace,
          name,
          hash: decision.hash,
          causes: decision.causes.map((c) => `${c.source}/${c.name}@${c.version}`),
        },
        "workload restarted",
      );
      await this.events.emit(eventTarget(current), "Normal", RestartEventReason.restarted, message);
      return;
    }
  }

  /** Takes a rate-limit token, or defers the restart until one is available. */
  private takeToken(
    adapter: WorkloadAdapter,
    workload: Workload,
    changes: SourceChange[],
    causes: RestartCause[],
  ): boolean {
    const { namespace, name } = workload.metadata;
    const taken = this.limiter.take(namespace, this.scheduler.nowMs());
    if (taken.ok) return true;
    const id = `${adapter.kind}/${key(namespace, name)}`;
    const earlier = this.deferred.get(id);
    earlier?.cancel();
    const merged = [
      ...(earlier?.changes ?? []),
      ...changes.filter((c) => !earlier?.changes.some((e) => e.source === c.source && e.name === c.name)),
    ];
    const cancel = this.scheduler.schedule(taken.retryAfterMs, () => {
      this.deferred.delete(id);
      this.enqueue(async () => {
        if (!this.running) return;
        await this.restartIfNeeded(adapter, await adapter.read(namespace, name), merged);
      });
    });
    this.deferred.set(id, { changes: merged, cancel });
    this.metrics.skipped.inc({ kind: adapter.kind, reason: SkipReason.rateLimited });
    const names = causes
      .map((c) => `${c.source === "secret" ? "Secret" : "SecretProviderClass"} "${c.name}"`)
      .join(", ");
    void this.events.emit(
      eventTarget(workload),
      "Normal",
      RestartEventReason.rateLimited,
      `restart for changed ${names} postponed by the namespace restart rate limit; retrying in ${Math.ceil(taken.retryAfterMs / 1000)}s`,
    );
    return false;
  }
}
