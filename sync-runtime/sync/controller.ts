/**
 * The SecretSync controller: informers on SecretSyncs, SecretProviderClasses and managed Secrets feed a
 * per-key serialized work queue; each SecretSync is re-polled every `rotationPollInterval + U[0, jitter]`.
 * Status-only updates never retrigger (generation predicate); our own Secret writes are recognised by
 * fingerprint, while a hand-edited or deleted managed Secret is restored at once.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { systemClock } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { MANAGED_SECRET_LABEL, SECRET_PROVIDER_CLASS, SECRET_SYNC } from "../constants.ts";
import type { KubeClient } from "../kube/client.ts";
import type { SharedInformer, SharedInformers } from "../kube/informers.ts";
import { customKind, secretsKind } from "../kube/kinds.ts";
import { describeError } from "../logger.ts";
import type { RuntimeMetrics } from "../metrics.ts";
import { DEFAULT_QUEUE_BACKOFF, WorkQueue } from "../queue.ts";
import type { ObjectFetcher } from "../vault/types.ts";
import { Reconciler } from "./reconciler.ts";
import { classNameOf } from "./secretsync.ts";
import { nextPollDelayMs, retryDelayMs } from "./schedule.ts";
import type { Random, ScheduleSettings } from "./schedule.ts";
import type { SecretProviderClassResource, SecretResource, SecretSyncResource } from "./types.ts";

/** Options of {@link SecretSyncController}. */
export interface SecretSyncControllerOptions {
  kube: KubeClient;
  /** The process's shared informers (the AKVSync controller reads the same SecretSync/class caches). */
  informers: SharedInformers;
  fetcher: ObjectFetcher;
  metrics: RuntimeMetrics;
  logger: Logger;
  hashKey: Buffer;
  schedule: ScheduleSettings;
  /** Namespaces to serve. Default: all. */
  namespaces?: string[];
  /** `secretSyncControllerName` served. Default "keyfleet" (see constants). */
  controllerName: string;
  /** Also serve SecretSyncs that name no controller. Default true. */
  servesUnnamed?: boolean;
  /** Partial sync. Default true. */
  partialSync?: boolean;
  /** Parallel reconciles. Default 8. */
  concurrency?: number;
  /** Random source of the jitter. Default Math.random. */
  random?: Random;
  /** Time and timers (polls, retries, condition timestamps). Default the system clock. */
  clock?: Clock;
}

interface Work {
  force: boolean;
}

type Cache<T extends k8s.KubernetesObject> = SharedInformer<T>;

/** Serves SecretSyncs. */
export class SecretSyncController {
  /** The reconciler (exposed for tests and the bench). */
  readonly reconciler: Reconciler;
  private readonly o: SecretSyncControllerOptions;
  private readonly logger: Logger;
  private readonly queue: WorkQueue<Work>;
  private readonly syncs = new Map<string, Cache<k8s.KubernetesObject>>();
  private readonly classes = new Map<string, Cache<k8s.KubernetesObject>>();
  private readonly secrets = new Map<string, Cache<k8s.V1Secret>>();
  private readonly generations = new Map<string, number>();
  private synced = false;
  private stopped = false;

  constructor(options: SecretSyncControllerOptions) {
    this.o = options;
    this.logger = options.logger.child({ controller: "secretsync" });
    const all = options.namespaces?.length ? undefined : "";
    const cacheOf = <T extends k8s.KubernetesObject>(m: Map<string, Cache<T>>, ns: string) =>
      m.get(all ?? ns);
    this.reconciler = new Reconciler({
      kube: options.kube,
      fetcher: options.fetcher,
      metrics: options.metrics,
      logger: this.logger,
      hashKey: options.hashKey,
      clock: options.clock ?? systemClock,
      partialSync: options.partialSync ?? true,
      controllerName: options.controllerName,
      servesUnnamed: options.servesUnnamed ?? true,
      lookup: {
        secretSync: (ns, name) => cacheOf(this.syncs, ns)?.get(name, ns) as SecretSyncResource | undefined,
        secretProviderClass: (ns, name) =>
          cacheOf(this.classes, ns)?.get(name, ns) as SecretProviderClassResource | undefined,
        secret: (ns, name) => cacheOf(this.secrets, ns)?.get(name, ns) as SecretResource | undefined,
        classNamespaces: (name) => this.classNamespaces(name),
      },
    });
    this.queue = new WorkQueue<Work>({
      process: (key, work) => this.process(key, work),
      merge: (a, b) => ({ force: a.force || b.force }),
      concurrency: options.concurrency ?? 8,
      clock: options.clock ?? systemClock,
      // A failed status write: never swallowed — logged, counted (metrics), and retried with backoff, at the
      // latest at the next regular poll.
      backoff: {
        baseMs: DEFAULT_QUEUE_BACKOFF.baseMs,
        maxMs: Math.min(DEFAULT_QUEUE_BACKOFF.maxMs, options.schedule.rotationPollIntervalSeconds * 1000),
      },
      onError: (key, error, retryInMs) =>
        this.logger.error(
          {
            secretSync: key,
            err: describeError(error),
            cause: describeError((error as Error).cause),
            retryInMs,
          },
          "status write failed; retrying",
        ),
    });
  }

  /** True once every informer has listed (readiness). */
  get ready(): boolean {
    return this.synced && !this.stopped;
  }

  /** Waits until nothing is queued or running (tests, bench). */
  async idle(): Promise<void> {
    await this.queue.idle();
  }

  /** Starts the informers; resolves when their caches are filled and every SecretSync is queued. */
  async start(): Promise<void> {
    const scopes = this.o.namespaces?.length ? this.o.namespaces : [undefined];
    const starts: Array<Promise<void>> = [];
    const kubeConfig = this.o.kube.kubeConfig;
    const kinds = {
      syncs: customKind(kubeConfig, SECRET_SYNC),
      classes: customKind(kubeConfig, SECRET_PROVIDER_CLASS),
      secrets: secretsKind(kubeConfig),
    };
    for (const ns of scopes) {
      const scope = ns ?? "";
      const namespace = ns !== undefined ? { namespace: ns } : {};
      const syncs = this.o.informers.informer(kinds.syncs, namespace);
      const classes = this.o.informers.informer(kinds.classes, namespace);
      // Only the Secrets keyfleet manages (a foreign Secret of a SecretSync's name is read on demand, and refused).
      const secrets = this.o.informers.informer(kinds.secrets, {
        ...namespace,
        labelSelector: MANAGED_SECRET_LABEL,
      });
      this.syncs.set(scope, syncs);
      this.classes.set(scope, classes);
      this.secrets.set(scope, secrets);
      syncs.on("add", (o) => this.onSync(o as SecretSyncResource));
      syncs.on("update", (o) => this.onSync(o as SecretSyncResource));
      syncs.on("delete", (o) => this.onSyncDeleted(o as SecretSyncResource));
      for (const verb of ["add", "update", "delete"] as const) {
        classes.on(verb, (o) => this.onClass(o as SecretProviderClassResource, verb));
      }
      secrets.on("update", (o) => this.onSecret(o as unknown as SecretResource, false));
      secrets.on("delete", (o) => this.onSecret(o as unknown as SecretResource, true));
      // Secrets and classes first, so the first reconciles find them in the caches.
      starts.push(
        secrets
          .start()
          .then(() => classes.start())
          .then(() => syncs.start()),
      );
    }
    await Promise.all(starts);
    this.synced = true;
    this.logger.info({ namespaces: this.o.namespaces ?? "all" }, "secretsync controller started");
  }

  /** Stops reconciling and waits for running reconciles (the shared informers are the runtime's to stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.stop();
  }

  /** Served namespaces holding a SecretProviderClass named `name` (for "exists in another namespace" hints). */
  private classNamespaces(name: string): string[] {
    const found = new Set<string>();
    for (const [scope, cache] of this.classes) {
      const candidates = scope === "" ? cache.list() : [cache.get(name, scope)];
      for (const spc of candidates) {
        if (spc?.metadata?.name === name && spc.metadata.namespace) found.add(spc.metadata.namespace);
      }
    }
    return [...found].sort();
  }

  private key(o: { metadata: { namespace?: string; name?: string } }): string {
    return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
  }

  private onSync(sync: SecretSyncResource): void {
    if (this.stopped) return;
    const key = this.key(sync);
    this.reconciler.cacheUpdated(key, sync.metadata.resourceVersion);
    const generation = sync.metadata.generation ?? 0;
    const seen = this.generations.get(key);
    if (seen === generation) return; // status-only update (or a resync): no reconcile
    this.generations.set(key, generation);
    // A spec change after the first sighting bypasses vault-side change detection.
    this.queue.add(key, { force: seen !== undefined });
    this.gauges();
  }

  private onSyncDeleted(sync: SecretSyncResource): void {
    const key = this.key(sync);
    this.generations.delete(key);
    this.queue.forget(key);
    this.reconciler.forget(key);
    this.gauges();
  }

  private onClass(spc: SecretProviderClassResource, verb: "add" | "update" | "delete"): void {
    if (this.stopped) return;
    const ns = spc.metadata.namespace;
    const cache = this.syncs.get(this.o.namespaces?.length ? ns : "");
    for (const sync of (cache?.list(ns) ?? []) as SecretSyncResource[]) {
      if (classNameOf(sync) === spc.metadata.name)
        this.queue.add(this.key(sync), { force: verb === "update" });
    }
  }

  private onSecret(secret: SecretResource, deleted: boolean): void {
    if (this.stopped) return;
    const owner = secret.metadata.ownerReferences?.find((r) => r.kind === SECRET_SYNC.kind && r.controller);
    if (!owner || owner.name !== secret.metadata.name) return;
    const key = this.key(secret);
    if (!this.generations.has(key)) return;
    if (deleted || this.reconciler.secretDiffers(key, secret)) {
      this.logger.info({ secretSync: key, deleted }, "managed Secret changed outside keyfleet; restoring");
      this.queue.add(key, { force: false });
    }
  }

  /** Reconciles one SecretSync and schedules its next poll or retry; a failed status write throws (queue backoff). */
  private async process(key: string, work: Work): Promise<void> {
    const slash = key.indexOf("/");
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const random = this.o.random ?? Math.random;
    try {
      const result = await this.reconciler.reconcile(namespace, name, work.force);
      if (result.kind === "failed") {
        this.queue.addAfter(
          key,
          { force: false },
          result.exactRetryMs ?? retryDelayMs(result.attempt, this.o.schedule, result.retryAfterMs),
        );
      } else if (result.kind === "synced") {
        // A partial sync whose failed items the runtime itself refused tries them again when it sends again.
        const poll = nextPollDelayMs(this.o.schedule, random);
        this.queue.addAfter(key, { force: false }, Math.min(poll, result.exactRetryMs ?? poll));
      }
    } finally {
      this.gauges();
    }
  }

  private gauges(): void {
    this.o.metrics.queue(this.queue.depth, this.queue.scheduled, this.generations.size);
  }
}
