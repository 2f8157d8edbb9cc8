/**
 * The AKVSync controller: read → validate → expand → plan → apply/delete → aggregate status (written only when it
 * changed, guarded by resourceVersion) → Events. It runs on the per-key work queue with one worker: two AKVSyncs of
 * a namespace may claim the same generated names, and ownership is judged from a fresh list, so reconciles never
 * overlap. A reconcile is triggered by the AKVSync's spec (generation) changing and by any change of the
 * SecretSyncs/SecretProviderClasses it owns, so its status follows their sync state; a failed one is retried with
 * backoff.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { jsonDiffers } from "../canonical-json.ts";
import { dateOf, systemClock } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { KubeClient } from "../kube/client.ts";
import { KubeEventSink } from "../kube/events.ts";
import type { EventSink } from "../kube/events.ts";
import { SharedInformers } from "../kube/informers.ts";
import { customKind } from "../kube/kinds.ts";
import { describeError } from "../logger.ts";
import { WorkQueue } from "../queue.ts";
import type { QueueBackoff } from "../queue.ts";
import { AKVSYNC_FIELD_MANAGER, RESOURCES } from "./constants.ts";
import { akvSyncEvents } from "./events.ts";
import { expandAkvSync } from "./expand.ts";
import { planAkvSync, withApplyFailure } from "./plan.ts";
import type { AkvPlan, ExistingObject } from "./plan.ts";
import { aggregateStatus } from "./status.ts";
import type { SecretSyncState } from "./status.ts";
import type { AkvSync, AkvSyncStatus, ObjectMeta } from "./types.ts";
import { validateAkvSync } from "./validate.ts";

/** Options of {@link AkvSyncController}. */
export interface AkvSyncControllerOptions {
  kubeConfig: k8s.KubeConfig;
  logger: Logger;
  /** The runtime's Kubernetes client. Default: one made from `kubeConfig`. */
  kube?: KubeClient;
  /** The process's shared informers. Default: the controller's own (started and stopped with it). */
  informers?: SharedInformers;
  /** Serve only these namespaces (one watch per namespace and kind). Default (undefined or empty): all namespaces. */
  namespaces?: readonly string[];
  /** Backoff of a reconcile that failed on an API error. Default 1, 2, 4, … s, at most 60 s. */
  backoff?: QueueBackoff;
  /** Event sink. Default: core/v1 Events from component `keyfleet-akvsync`. */
  events?: EventSink;
  /** Time (condition timestamps) and timers (retries). Default the system clock. */
  clock?: Clock;
}

type Owned = k8s.KubernetesObject & { status?: SecretSyncState["status"] };
type AkvObject = AkvSync & k8s.KubernetesObject;
const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Expands AKVSyncs into SecretProviderClasses + SecretSyncs and reports their state. */
export class AkvSyncController {
  /** Name in the runtime's logs (the runtime's `Controller` interface). */
  readonly name = "akvsync";
  private readonly options: AkvSyncControllerOptions;
  private readonly logger: Logger;
  private readonly kube: KubeClient;
  private readonly events: EventSink;
  private readonly clock: Clock;
  private readonly informers: SharedInformers;
  private readonly ownsInformers: boolean;
  private readonly queue: WorkQueue<null>;
  private readonly akvCaches: Array<k8s.ObjectCache<AkvObject>> = [];
  private readonly syncCaches: Array<k8s.ObjectCache<Owned>> = [];
  /** The status this controller last wrote per AKVSync, while the cache still holds the copy it replaced. */
  private readonly written = new Map<
    string,
    { over?: string; resourceVersion: string; status: AkvSyncStatus }
  >();

  constructor(options: AkvSyncControllerOptions) {
    this.options = options;
    this.logger = options.logger.child({ controller: "akvsync" });
    this.kube = options.kube ?? new KubeClient(options.kubeConfig);
    this.ownsInformers = options.informers === undefined;
    this.informers = options.informers ?? new SharedInformers(options.kubeConfig, { logger: this.logger });
    this.events = options.events ?? new KubeEventSink(this.kube, "keyfleet-akvsync", this.logger);
    this.clock = options.clock ?? systemClock;
    this.queue = new WorkQueue<null>({
      process: (id) => this.reconcile(id),
      merge: () => null,
      concurrency: 1,
      clock: this.clock,
      backoff: options.backoff,
      onError: (id, error, retryInMs) =>
        this.logger.error(
          { err: describeError(error), akvsync: id, retryInMs },
          "reconcile failed; retrying",
        ),
    });
  }

  /** Starts watching AKVSyncs and the objects they own; resolves when the caches are filled. */
  async start(): Promise<void> {
    const scopes = this.options.namespaces?.length ? this.options.namespaces : [undefined];
    for (const ns of scopes) await this.watchScope(ns);
    this.logger.info({ namespaces: this.options.namespaces ?? "(all)" }, "akvsync controller started");
  }

  private async watchScope(ns: string | undefined): Promise<void> {
    const syncs = this.informer<Owned>("SecretSync", ns);
    const spcs = this.informer<Owned>("SecretProviderClass", ns);
    for (const informer of [syncs, spcs]) {
      for (const verb of ["add", "update", "delete"] as const) informer.on(verb, (o) => this.queueOwner(o));
    }
    const akvs = this.informer<AkvObject>("AKVSync", ns);
    akvs.on("add", (o) => this.queue.add(key(o.metadata.namespace, o.metadata.name), null));
    akvs.on("update", (o) => {
      const observed = o.status?.observedGeneration;
      if (observed === undefined || observed !== o.metadata.generation)
        this.queue.add(key(o.metadata.namespace, o.metadata.name), null);
    });
    akvs.on("delete", (o) => {
      this.queue.forget(key(o.metadata.namespace, o.metadata.name));
      this.written.delete(key(o.metadata.namespace, o.metadata.name));
    });
    this.syncCaches.push(syncs);
    this.akvCaches.push(akvs);
    await syncs.start();
    await spcs.start();
    await akvs.start();
  }

  /** Stops watching and waits for the reconcile in progress. */
  async stop(): Promise<void> {
    await this.queue.stop();
    if (this.ownsInformers) await this.informers.stop();
  }

  /** Resolves when no reconcile is queued or running (retries may remain scheduled). */
  async idle(): Promise<void> {
    await this.queue.idle();
  }

  private informer<T extends k8s.KubernetesObject>(
    kind: "AKVSync" | "SecretSync" | "SecretProviderClass",
    ns: string | undefined,
  ) {
    const kindOf = customKind<T>(this.options.kubeConfig, RESOURCES[kind]);
    return this.informers.informer(kindOf, ns !== undefined ? { namespace: ns } : {});
  }

  private queueOwner(object: k8s.KubernetesObject): void {
    const owner = object.metadata?.ownerReferences?.find(
      (ref) => ref.kind === RESOURCES.AKVSync.kind && ref.controller === true,
    );
    if (owner && object.metadata?.namespace) this.queue.add(key(object.metadata.namespace, owner.name), null);
  }

  /**
   * The AKVSync from the cache (or fresh, before the cache has it) — or, while the cache still holds the copy this
   * controller's last status write replaced, that write (so a quick re-run neither sees the stale status nor fails
   * on the stale resourceVersion).
   */
  private async read(id: string, namespace: string, name: string): Promise<AkvSync | undefined> {
    const cached =
      this.akvCaches.map((c) => c.get(name, namespace)).find(Boolean) ??
      ((await this.kube.readObject(RESOURCES.AKVSync, namespace, name)) as unknown as AkvSync | undefined);
    const own = this.written.get(id);
    if (!cached || !own || own.over !== cached.metadata.resourceVersion) {
      this.written.delete(id);
      return cached;
    }
    return {
      ...cached,
      metadata: { ...cached.metadata, resourceVersion: own.resourceVersion },
      status: own.status,
    };
  }

  private async reconcile(id: string): Promise<void> {
    const [namespace, name] = id.split("/") as [string, string];
    const akv = await this.read(id, namespace, name);
    if (!akv || akv.metadata.deletionTimestamp || !akv.metadata.uid) return;
    const cachedVersion = this.written.get(id)?.over ?? akv.metadata.resourceVersion;
    const validation = validateAkvSync(akv.spec);
    const ref = { name, namespace, uid: akv.metadata.uid };
    const expansions = validation.spec ? expandAkvSync(ref, validation.spec, validation.valid) : [];
    const existing = await this.existingObjects(namespace);
    const planned = planAkvSync(akv.metadata.uid, validation, expansions, existing);
    const { plan, created } = await this.applyPlan(
      planned,
      new Set(existing.map((o) => `${o.kind}/${o.metadata.name}`)),
    );
    for (const object of plan.delete) {
      const { namespace: ns, name: objectName, uid } = object.metadata;
      await this.kube.deleteObject(RESOURCES[object.kind], ns, objectName, uid);
    }
    const status = aggregateStatus({
      plan,
      specIssues: validation.specIssues,
      secretSyncs: this.secretSyncStates(plan, namespace),
      generation: akv.metadata.generation,
      previous: akv.status,
      now: dateOf(this.clock).toISOString(),
    });
    if (jsonDiffers(status, akv.status ?? {})) {
      const resourceVersion = await this.kube.writeStatus(
        RESOURCES.AKVSync,
        namespace,
        name,
        status,
        AKVSYNC_FIELD_MANAGER,
        akv.metadata.resourceVersion,
      );
      if (resourceVersion) this.written.set(id, { over: cachedVersion, resourceVersion, status });
    }
    const subject = {
      apiVersion: RESOURCES.AKVSync.apiVersion,
      kind: RESOURCES.AKVSync.kind,
      name,
      namespace,
      uid: akv.metadata.uid,
    };
    for (const event of akvSyncEvents(plan, akv.status, status, created))
      await this.events.emit(subject, event.type, event.reason, event.message);
  }

  /** The derived SecretSyncs' state from the cache, by name. */
  private secretSyncStates(plan: AkvPlan, namespace: string): Map<string, SecretSyncState> {
    const states = new Map<string, SecretSyncState>();
    for (const sync of plan.applied.flatMap((expansion) => expansion.secretSyncs)) {
      const found = this.syncCaches.map((c) => c.get(sync.metadata.name, namespace)).find(Boolean);
      if (found)
        states.set(sync.metadata.name, {
          name: sync.metadata.name,
          generation: found.metadata?.generation,
          status: found.status,
        });
    }
    return states;
  }

  /** The SecretProviderClasses and SecretSyncs of a namespace, fresh from the apiserver (missing CRDs: none). */
  private async existingObjects(namespace: string): Promise<ExistingObject[]> {
    const out: ExistingObject[] = [];
    for (const kind of ["SecretProviderClass", "SecretSync"] as const) {
      for (const item of await this.kube.listObjects(RESOURCES[kind], namespace)) {
        const spec = item.spec as { secretObject?: { type?: string } } | undefined;
        const secretType = kind === "SecretSync" ? (spec?.secretObject?.type ?? "Opaque") : undefined;
        const metadata = item.metadata as ObjectMeta; // JSON from the apiserver: timestamps are strings
        out.push({ kind, metadata, secretType });
      }
    }
    return out;
  }

  /**
   * Applies each item's objects; an item whose apply fails is reported on its own (the returned plan blocks it)
   * and does not stop the others.
   */
  private async applyPlan(
    planned: AkvPlan,
    existed: ReadonlySet<string>,
  ): Promise<{ plan: AkvPlan; created: string[] }> {
    let plan = planned;
    const created: string[] = [];
    for (const expansion of planned.applied) {
      try {
        for (const object of [expansion.secretProviderClass, ...expansion.secretSyncs]) {
          await this.kube.applyObject(RESOURCES[object.kind], object, AKVSYNC_FIELD_MANAGER);
          if (!existed.has(`${object.kind}/${object.metadata.name}`))
            created.push(`${object.kind}/${object.metadata.name}`);
        }
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        plan = withApplyFailure(plan, expansion.index, `applying generated objects failed: ${detail}`);
      }
    }
    return { plan, created };
  }
}
