/**
 * The AKVSync controller: read → validate → expand → plan → apply/delete → aggregate status (written only when it
 * changed). One serialized queue; a reconcile is triggered by the AKVSync's spec (generation) changing and by any
 * change of the SecretSyncs/SecretProviderClasses it owns, so its status follows their sync state.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  AKVSYNC_API_VERSION,
  AKVSYNC_KIND,
  AkvEventReason,
  AkvReason,
  AkvConditionType,
  AKVSYNC_FIELD_MANAGER,
  ItemState,
  RESOURCES,
} from "./constants.ts";
import { expandAkvSync } from "./expand.ts";
import { planAkvSync } from "./plan.ts";
import type { AkvPlan, ExistingObject } from "./plan.ts";
import { aggregateStatus } from "./status.ts";
import type { SecretSyncState } from "./status.ts";
import type { AkvSync, ObjectMeta } from "./types.ts";
import { validateAkvSync } from "./validate.ts";
import { SharedInformers } from "../kube/informers.ts";
import { KubeClient } from "../kube/client.ts";
import { customKind } from "../kube/kinds.ts";
import { KubeEventSink } from "../restarts/events.ts";
import type { EventSink } from "../restarts/events.ts";

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
  /** Delay before retrying a reconcile that failed on an API error, ms. Default 5000. */
  retryDelayMs?: number;
  /** Event sink. Default: core/v1 Events from component `keyfleet-akvsync`. */
  events?: EventSink;
  /** Current time (condition timestamps). Default `() => new Date()`. */
  now?: () => Date;
}

type Owned = k8s.KubernetesObject & { status?: SecretSyncState["status"] };
const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Expands AKVSyncs into SecretProviderClasses + SecretSyncs and reports their state. */
export class AkvSyncController {
  /** Name in the runtime's logs (the runtime's `Controller` interface). */
  readonly name = "akvsync";
  private readonly options: AkvSyncControllerOptions;
  private readonly logger: Logger;
  private readonly kube: KubeClient;
  private readonly events: EventSink;
  private readonly informers: SharedInformers;
  private readonly ownsInformers: boolean;
  private readonly akvCaches: Array<k8s.ObjectCache<AkvSync & k8s.KubernetesObject>> = [];
  private readonly syncCaches: Array<k8s.ObjectCache<Owned>> = [];
  private readonly dirty = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private queue: Promise<void> = Promise.resolve();
  private running = false;

  constructor(options: AkvSyncControllerOptions) {
    this.options = options;
    this.logger = options.logger.child({ controller: "akvsync" });
    this.kube = options.kube ?? new KubeClient(options.kubeConfig);
    this.ownsInformers = options.informers === undefined;
    this.informers = options.informers ?? new SharedInformers(options.kubeConfig, { logger: this.logger });
    this.events = options.events ?? new KubeEventSink(this.kube, "keyfleet-akvsync", this.logger);
  }

  /** Starts watching AKVSyncs and the objects they own; resolves when the caches are filled. */
  async start(): Promise<void> {
    this.running = true;
    const scopes = this.options.namespaces?.length ? this.options.namespaces : [undefined];
    for (const ns of scopes) await this.watchScope(ns);
    this.logger.info({ namespaces: this.options.namespaces ?? "(all)" }, "akvsync controller started");
  }

  private async watchScope(ns: string | undefined): Promise<void> {
    const syncs = this.informer<Owned>("SecretSync", ns);
    const spcs = this.informer<Owned>("SecretProviderClass", ns);
    for (const informer of [syncs, spcs]) {
      for (const verb of ["add", "update", "delete"] as const) informer.on(verb, (o) => this.enqueueOwner(o));
    }
    const akvs = this.informer<AkvSync & k8s.KubernetesObject>("AKVSync", ns);
    akvs.on("add", (o) => this.enqueue(key(o.metadata.namespace, o.metadata.name)));
    akvs.on("update", (o) => {
      const observed = o.status?.observedGeneration;
      if (observed === undefined || observed !== o.metadata.generation)
        this.enqueue(key(o.metadata.namespace, o.metadata.name));
    });
    this.syncCaches.push(syncs);
    this.akvCaches.push(akvs);
    await syncs.start();
    await spcs.start();
    await akvs.start();
  }

  /** Stops watching and waits for the reconcile in progress. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    if (this.ownsInformers) await this.informers.stop();
    await this.queue;
  }

  /** Resolves when no reconcile is queued or running. */
  async whenIdle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  /** Queues a reconcile of `namespace/name` (also used by tests and the demo). */
  enqueue(id: string): void {
    if (!this.running || this.dirty.has(id)) return;
    this.dirty.add(id);
    this.queue = this.queue.then(async () => {
      this.dirty.delete(id);
      try {
        await this.reconcile(id);
      } catch (error) {
        this.logger.error({ err: error, akvsync: id }, "reconcile failed; retrying");
        this.scheduleRetry(id);
      }
    });
  }

  private scheduleRetry(id: string): void {
    if (!this.running || this.retries.has(id)) return;
    const timer = setTimeout(() => {
      this.retries.delete(id);
      this.enqueue(id);
    }, this.options.retryDelayMs ?? 5_000);
    timer.unref();
    this.retries.set(id, timer);
  }

  private informer<T extends k8s.KubernetesObject>(
    kind: "AKVSync" | "SecretSync" | "SecretProviderClass",
    ns: string | undefined,
  ) {
    const kindOf = customKind<T>(this.options.kubeConfig, RESOURCES[kind]);
    return this.informers.informer(kindOf, ns !== undefined ? { namespace: ns } : {});
  }

  private enqueueOwner(object: k8s.KubernetesObject): void {
    const owner = object.metadata?.ownerReferences?.find(
      (ref) => ref.kind === AKVSYNC_KIND && ref.controller === true,
    );
    if (owner && object.metadata?.namespace) this.enqueue(key(object.metadata.namespace, owner.name));
  }

  private async reconcile(id: string): Promise<void> {
    const [namespace, name] = id.split("/") as [string, string];
    const akv =
      this.akvCaches.map((c) => c.get(name, namespace)).find(Boolean) ??
      ((await this.kube.readObject(RESOURCES.AKVSync, namespace, name)) as unknown as AkvSync | undefined);
    if (!akv || akv.metadata.deletionTimestamp || !akv.metadata.uid) return;
    const validation = validateAkvSync(akv.spec);
    const ref = { name, namespace, uid: akv.metadata.uid };
    const expansions = validation.spec ? expandAkvSync(ref, validation.spec, validation.valid) : [];
    const existing = await this.existingObjects(namespace);
    const plan = planAkvSync(akv.metadata.uid, validation, expansions, existing);
    const created = await this.applyPlan(plan, new Set(existing.map((o) => `${o.kind}/${o.metadata.name}`)));
    for (const object of plan.delete) {
      const { namespace: ns, name: objectName, uid } = object.metadata;
      await this.kube.deleteObject(RESOURCES[object.kind], ns, objectName, uid);
    }
    const secretSyncs = new Map<string, SecretSyncState>();
    for (const expansion of plan.applied) {
      for (const sync of expansion.secretSyncs) {
        const found = this.syncCaches.map((c) => c.get(sync.metadata.name, namespace)).find(Boolean);
        if (found)
          secretSyncs.set(sync.metadata.name, {
            name: sync.metadata.name,
            generation: found.metadata?.generation,
            status: found.status,
          });
      }
    }
    const status = aggregateStatus({
      plan,
      specIssues: validation.specIssues,
      secretSyncs,
      generation: akv.metadata.generation,
      previous: akv.status,
      now: (this.options.now?.() ?? new Date()).toISOString(),
    });
    if (JSON.stringify(status) !== JSON.stringify(akv.status ?? {}))
      await this.kube.writeStatus(RESOURCES.AKVSync, namespace, name, status, AKVSYNC_FIELD_MANAGER);
    await this.emitEvents(akv, plan, status, created);
  }

  /** The SecretProviderClasses and SecretSyncs of a namespace, fresh from the apiserver (missing CRDs: none). */
  private async existingObjects(namespace: string): Promise<ExistingObject[]> {
    const out: ExistingObject[] = [];
    for (const kind of ["SecretProviderClass", "SecretSync"] as const) {
      for (const item of await this.kube.listObjects(RESOURCES[kind], namespace)) {
        const spec = item.spec as { secretObject?: { type?: string } } | undefined;
        const secretType = kind === "SecretSync" ? (spec?.secretObject?.type ?? "Opaque") : undefined;
        const metadata = item.metadata as ObjectMeta; // JSON from the apiserver: timestamps are strings
        out.push({ kind, metadata, ...(secretType !== undefined ? { secretType } : {}) });
      }
    }
    return out;
  }

  /** Applies each item's objects; an item whose apply fails is reported on its own and does not stop the others. */
  private async applyPlan(plan: AkvPlan, existed: ReadonlySet<string>): Promise<string[]> {
    const created: string[] = [];
    for (const expansion of [...plan.applied]) {
      try {
        for (const object of [expansion.secretProviderClass, ...expansion.secretSyncs]) {
          await this.kube.applyObject(RESOURCES[object.kind], object, AKVSYNC_FIELD_MANAGER);
          if (!existed.has(`${object.kind}/${object.metadata.name}`))
            created.push(`${object.kind}/${object.metadata.name}`);
        }
      } catch (error) {
        plan.applied.splice(plan.applied.indexOf(expansion), 1);
        plan.blocked.push({
          index: expansion.index,
          state: ItemState.failed,
          reason: AkvReason.applyFailed,
          message: `applying generated objects failed: ${error instanceof Error ? error.message : String(error)}`,
          secretNames: expansion.secretSyncs.map((s) => s.metadata.name),
        });
        plan.blocked.sort((a, b) => a.index - b.index);
      }
    }
    return created;
  }

  private async emitEvents(
    akv: AkvSync,
    plan: AkvPlan,
    status: ReturnType<typeof aggregateStatus>,
    created: string[],
  ): Promise<void> {
    const target = {
      apiVersion: AKVSYNC_API_VERSION,
      kind: AKVSYNC_KIND,
      name: akv.metadata.name,
      namespace: akv.metadata.namespace,
      uid: akv.metadata.uid,
    };
    if (created.length > 0)
      await this.events.emit(target, "Normal", AkvEventReason.generated, `created ${created.join(", ")}`);
    if (plan.delete.length > 0) {
      await this.events.emit(
        target,
        "Normal",
        AkvEventReason.removed,
        `deleted ${plan.delete.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")} (no longer in spec.objects)`,
      );
    }
    const valid = status.conditions?.find((c) => c.type === AkvConditionType.valid);
    const before = akv.status?.conditions?.find((c) => c.type === AkvConditionType.valid);
    if (
      valid &&
      valid.status === "False" &&
      (before?.message !== valid.message || before.status !== valid.status)
    ) {
      const reason =
        valid.reason === AkvReason.notOwned
          ? AkvEventReason.conflict
          : valid.reason === AkvReason.secretTypeImmutable
            ? AkvEventReason.immutable
            : valid.reason === AkvReason.applyFailed
              ? AkvEventReason.applyFailed
              : AkvEventReason.invalid;
      await this.events.emit(target, "Warning", reason, valid.message);
    }
  }
}
