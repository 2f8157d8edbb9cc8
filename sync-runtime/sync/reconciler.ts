/**
 * Reconciles one SecretSync: read → validate → fetch → hash → server-side apply → status (only if changed),
 * with one Event per condition transition (transitions.ts). Collaborators are injected; the class holds only
 * per-SecretSync memory (last forceSynchronization, fingerprint of the data last written, consecutive failures,
 * the condition last reported) — never values.
 */
import type { Logger } from "pino";
import { withoutUndefined } from "../../common/objects.ts";
import { dateOf, systemClock } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { Message, Reason, SECRET_SYNC, SUCCESS_REASONS } from "../constants.ts";
import type { EventSubject } from "../kube/events.ts";
import { toKubeError } from "../kube/errors.ts";
import { causeCodes, describeError } from "../logger.ts";
import type { RuntimeMetrics } from "../metrics.ts";
import type { ObjectFetcher } from "../vault/types.ts";
import { decide } from "./decide.ts";
import type { DesiredSecret } from "./decide.ts";
import { SyncEvents } from "./events.ts";
import type { EventKube } from "./events.ts";
import { dataFingerprint, secretFingerprint } from "./hash.ts";
import type { Pkcs12Reader } from "./pkcs12.ts";
import { loadPkcs12Reader } from "./pkcs12-reader.ts";
import { assembleItems, planNeedsPkcs12, planRequests } from "./resolve.ts";
import { readInputs } from "./inputs.ts";
import { validateSpc } from "./spc.ts";
import { nextStatus, readyReason } from "./status.ts";
import type { StatusOutcome } from "./status.ts";
import { writeStatusFresh } from "./status-write.ts";
import type { StatusWriteKube } from "./status-write.ts";
import { outcomeHints, transitionKey } from "./transitions.ts";
import type { EventMemory } from "./transitions.ts";
import { writeFailureCodes, writeFailureReason } from "./write-failure.ts";
import type {
  SecretProviderClassResource,
  SecretResource,
  SecretSyncResource,
  SecretSyncStatus,
} from "./types.ts";

/** The Kubernetes calls a reconcile makes (KubeClient implements it; unit tests pass a fake). */
export interface ReconcileKube extends StatusWriteKube, EventKube {
  applySecret(secret: DesiredSecret): Promise<SecretResource>;
  readSecret(namespace: string, name: string): Promise<SecretResource | undefined>;
}

/** Where the reconciler reads current objects (informer caches). */
export interface ObjectLookup {
  secretSync(namespace: string, name: string): SecretSyncResource | undefined;
  secretProviderClass(namespace: string, name: string): SecretProviderClassResource | undefined;
  /** The managed Secret from the cache; undefined when not cached (the reconciler then reads it). */
  secret(namespace: string, name: string): SecretResource | undefined;
  /** Served namespaces holding a SecretProviderClass of this name (diagnostics only). Default none. */
  classNamespaces?(name: string): string[];
}

/** Options of {@link Reconciler}. */
export interface ReconcilerOptions {
  kube: ReconcileKube;
  lookup: ObjectLookup;
  fetcher: ObjectFetcher;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** HMAC key of syncHash and fingerprints. */
  hashKey: Buffer;
  /** Write the items that succeeded when others fail. Default true. */
  partialSync?: boolean;
  /** `secretSyncControllerName` this runtime serves ("" in a SecretSync also matches the default). */
  controllerName: string;
  /** True when this runtime is the default controller (serves SecretSyncs with no controller name). */
  servesUnnamed: boolean;
  /** Time of condition and Event timestamps. Default the system clock. */
  clock?: Clock;
  /**
   * Loads the PKCS#12 reader, called once, on the first item that converts a PKCS#12-stored certificate to PEM.
   * Default {@link loadPkcs12Reader} (node-forge, imported only then).
   */
  loadPkcs12?: () => Promise<Pkcs12Reader>;
}

/** What the controller does next with the key. */
export type ReconcileResult =
  | { kind: "ignored" }
  | {
      kind: "synced";
      written: boolean;
      /** A partial sync whose failed items were all refused locally: when the runtime sends again. */
      exactRetryMs?: number;
    }
  | {
      kind: "failed";
      reason: Reason;
      retryAfterMs?: number;
      /** Every failure was a local refusal: exactly when the runtime sends again (schedule.ts). */
      exactRetryMs?: number;
      attempt: number;
    };

interface Memory {
  /**
   * The status this runtime last wrote and the resourceVersion it got, while the cache still holds the object it
   * was written over (so a quick re-run neither sees the stale status nor fails on the stale resourceVersion).
   * Kept here, not written into the cached object: that cache is shared, and bumping its resourceVersion would hide
   * the watch's update from every other reader (the AKVSync controller aggregates SecretSync status from it).
   */
  written?: { over: string | undefined; resourceVersion: string; status: SecretSyncStatus };
  force?: string;
  fingerprint?: string;
  failures: number;
  /** The condition last reported by an Event. */
  events?: EventMemory;
}

const secretSubject = (sync: SecretSyncResource): EventSubject => ({
  apiVersion: SECRET_SYNC.apiVersion,
  kind: SECRET_SYNC.kind,
  name: sync.metadata.name,
  namespace: sync.metadata.namespace,
  uid: sync.metadata.uid || undefined,
});

/** What one sync concluded, before status and Events. */
interface SyncResult {
  outcome: StatusOutcome;
  written: boolean;
  /** When to try again, if the vault (or the runtime's own refusal) said. */
  retryAfterMs?: number;
  /** Every failed item was refused locally: exactly when the runtime sends again (localRefusalRetryMs). */
  exactRetryMs?: number;
  /** The failure kinds behind the outcome (transitions.ts). */
  messageClass?: string;
  /** The cause chain's codes of a failure (logged, never a value). */
  codes?: string[];
}

/** The retry hints of a sync, as a ReconcileResult carries them (pure). */
function retryOf(result: SyncResult): { retryAfterMs?: number; exactRetryMs?: number } {
  return withoutUndefined({ retryAfterMs: result.retryAfterMs, exactRetryMs: result.exactRetryMs });
}

/** The cached SecretSync, or — while the cache still holds the copy our last status write replaced — our write. */
function withOwnWrite(cached: SecretSyncResource, memory: Memory): SecretSyncResource {
  const written = memory.written;
  if (!written || written.over !== cached.metadata.resourceVersion) {
    memory.written = undefined;
    return cached;
  }
  return {
    ...cached,
    metadata: { ...cached.metadata, resourceVersion: written.resourceVersion },
    status: written.status,
  };
}

/** Reconciles SecretSyncs one at a time (the work queue serializes per key). */
export class Reconciler {
  private readonly o: ReconcilerOptions;
  private readonly memory = new Map<string, Memory>();
  /** Validated classes by uid/resourceVersion: parsing the objects YAML once, not once per SecretSync. */
  private readonly classes = new Map<
    string,
    { resourceVersion: string | undefined; result: ReturnType<typeof validateSpc> }
  >();
  private readonly clock: Clock;
  private readonly events: SyncEvents;
  private pkcs12?: Promise<Pkcs12Reader>;

  constructor(options: ReconcilerOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.events = new SyncEvents(options.kube, options.logger, this.clock);
  }

  /** True when this runtime serves the SecretSync (its `secretSyncControllerName` matches). */
  serves(sync: SecretSyncResource): boolean {
    const name = (sync.spec as { secretSyncControllerName?: unknown } | undefined)?.secretSyncControllerName;
    if (name === undefined || name === "") return this.o.servesUnnamed;
    return name === this.o.controllerName;
  }

  /**
   * True when a Secret event shows content other than what this runtime last wrote for `key` (hand edit),
   * so a reconcile must restore it. Our own writes come back with the same fingerprint and are ignored.
   */
  secretDiffers(key: string, secret: SecretResource): boolean {
    const fingerprint = this.memory.get(key)?.fingerprint;
    if (fingerprint === undefined) return true;
    return secretFingerprint(this.o.hashKey, secret) !== fingerprint;
  }

  /** The cache now holds `resourceVersion` of `key`: a status write it replaced need not be remembered any more. */
  cacheUpdated(key: string, resourceVersion: string | undefined): void {
    const memory = this.memory.get(key);
    if (memory?.written && memory.written.over !== resourceVersion) memory.written = undefined;
  }

  /** Forgets a deleted SecretSync. */
  forget(key: string): void {
    this.memory.delete(key);
  }

  /** Reconciles `namespace/name`. Throws only when the status write (or an unexpected bug) fails. */
  async reconcile(namespace: string, name: string, force: boolean): Promise<ReconcileResult> {
    const key = `${namespace}/${name}`;
    const cached = this.o.lookup.secretSync(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp || !this.serves(cached)) {
      if (!cached) this.forget(key);
      return { kind: "ignored" };
    }
    const started = performance.now();
    const memory = this.memory.get(key) ?? { failures: 0 };
    this.memory.set(key, memory);
    const sync = withOwnWrite(cached, memory);
    const result = await this.attempt(key, sync, memory, force);
    const { outcome, written, codes } = result;
    const generation = sync.metadata.generation ?? 0;
    const next = await this.writeStatus(key, cached, sync, memory, (prev) =>
      nextStatus(prev, outcome, generation, dateOf(this.clock)),
    );
    const failed = outcome.kind === "failure";
    const warning = failed || outcome.reason === Reason.partialSync;
    // The condition is the status's Ready reason (a steady refresh keeps the reason of the last change).
    const reason = readyReason(next) ?? outcome.reason;
    await this.events.report(secretSubject(sync), memory, {
      key: transitionKey(reason, result.messageClass ?? ""),
      previousReason: readyReason(sync.status),
      reason,
      written,
      warning,
      type: warning ? "Warning" : "Normal",
      message: outcome.message,
    });
    this.o.metrics.reconciled(
      written,
      (performance.now() - started) / 1000,
      failed ? outcome.reason : undefined,
    );
    if (failed) {
      // Failures at warn with what a reader needs to act: the reason, the (value-free) message, the cause codes.
      this.o.logger.warn(
        { secretSync: key, reason: outcome.reason, message: outcome.message, codes, force, generation },
        "sync failed",
      );
      memory.failures += 1;
      return { kind: "failed", reason: outcome.reason, attempt: memory.failures, ...retryOf(result) };
    }
    this.o.logger.info({ secretSync: key, reason: outcome.reason, written, force, generation }, "sync done");
    memory.failures = 0;
    return withoutUndefined({ kind: "synced", written, exactRetryMs: result.exactRetryMs });
  }

  /** One sync; an unexpected exception becomes ControllerInternalError (with its cause codes). */
  private async attempt(
    key: string,
    sync: SecretSyncResource,
    memory: Memory,
    force: boolean,
  ): Promise<SyncResult> {
    try {
      return await this.sync(sync, memory, force);
    } catch (error) {
      this.o.logger.error({ secretSync: key, err: describeError(error) }, "reconcile failed unexpectedly");
      const outcome: StatusOutcome = {
        kind: "failure",
        reason: Reason.controllerInternalError,
        message: Message.internal(describeError(error).name),
      };
      return { outcome, written: false, codes: causeCodes(error) };
    }
  }

  /**
   * Writes the status `next` computes (only if it changed; from a fresh read after a lost 409) and returns the
   * status the object has now. A failed write is never swallowed: it throws and the controller retries the key.
   */
  private async writeStatus(
    key: string,
    cached: SecretSyncResource,
    sync: SecretSyncResource,
    memory: Memory,
    next: (previous: SecretSyncStatus | undefined) => SecretSyncStatus,
  ): Promise<SecretSyncStatus> {
    let result;
    try {
      result = await writeStatusFresh(this.o.kube, sync, next);
    } catch (error) {
      this.o.metrics.statusWritten(false);
      throw new Error(`status write of SecretSync ${key} failed`, { cause: error });
    }
    if (result.kind !== "written") return next(sync.status);
    this.o.metrics.statusWritten(true);
    // A quick re-run must see what we wrote, not the stale cached copy (see Memory.written).
    memory.written = result.resourceVersion
      ? {
          over: cached.metadata.resourceVersion,
          resourceVersion: result.resourceVersion,
          status: result.status,
        }
      : undefined;
    if (result.conflicts > 0)
      this.o.logger.info(
        { secretSync: key, conflicts: result.conflicts },
        "status write lost a conflict; written again from a fresh read",
      );
    return result.status;
  }

  /** The PKCS#12 reader, loaded on first use (a failed load is retried next time). */
  private pkcs12Reader(): Promise<Pkcs12Reader> {
    this.pkcs12 ??= (this.o.loadPkcs12 ?? (() => loadPkcs12Reader()))().catch((error: unknown) => {
      this.pkcs12 = undefined;
      throw error;
    });
    return this.pkcs12;
  }

  private validClass(resource: SecretProviderClassResource): ReturnType<typeof validateSpc> {
    const key = resource.metadata.uid ?? `${resource.metadata.namespace}/${resource.metadata.name}`;
    const cached = this.classes.get(key);
    if (
      cached &&
      cached.resourceVersion !== undefined &&
      cached.resourceVersion === resource.metadata.resourceVersion
    )
      return cached.result;
    const result = validateSpc(resource);
    if (this.classes.size > 10_000) this.classes.clear();
    this.classes.set(key, { resourceVersion: resource.metadata.resourceVersion, result });
    return result;
  }

  /** Applies the Secret; returns the refusal (reason from the apiserver's structured answer) or undefined. */
  private async apply(
    secret: DesiredSecret,
    success: Reason,
  ): Promise<{ reason: Reason; message: string; codes: string[] } | undefined> {
    const { namespace, name } = secret.metadata;
    const started = performance.now();
    try {
      await this.o.kube.applySecret(secret);
    } catch (error) {
      const kubeError = toKubeError(`apply of Secret ${namespace}/${name}`, error);
      const reason = writeFailureReason(kubeError);
      this.o.metrics.secretWritten(namespace, reason, 0, false);
      const message = Message.writeRefused(
        `${namespace}/${name}`,
        kubeError.status,
        kubeError.statusReason,
        kubeError.apiMessage ?? kubeError.message,
      );
      return { reason, message, codes: writeFailureCodes(kubeError) };
    }
    this.o.metrics.secretWritten(namespace, success, (performance.now() - started) / 1000, true);
    return undefined;
  }

  private async sync(sync: SecretSyncResource, memory: Memory, force: boolean): Promise<SyncResult> {
    const fail = (reason: Reason, message: string, retry?: number, codes?: string[]) => ({
      outcome: { kind: "failure" as const, reason, message },
      written: false,
      retryAfterMs: retry,
      codes: codes?.length ? codes : undefined,
    });
    const { namespace, name } = sync.metadata;
    const inputs = readInputs(sync, {
      secretProviderClass: (ns, className) => this.o.lookup.secretProviderClass(ns, className),
      validClass: (resource) => this.validClass(resource),
      classNamespaces: (className) => this.o.lookup.classNamespaces?.(className) ?? [],
    });
    if (!inputs.ok) return fail(inputs.reason, inputs.message);
    const { valid, spc } = inputs;
    const plan = planRequests(valid, spc);
    const results = await this.o.fetcher.fetch(plan.requests, { force });
    const readPkcs12 = planNeedsPkcs12(plan, results) ? await this.pkcs12Reader() : undefined;
    const outcomes = assembleItems(valid, plan, results, readPkcs12);
    const hints = outcomeHints(outcomes);
    const existing = this.o.lookup.secret(namespace, name) ?? (await this.o.kube.readSecret(namespace, name));
    const decision = decide({
      sync: valid,
      spc,
      outcomes,
      existing,
      previousObjects: sync.status?.objects ?? [],
      previousSyncHash: sync.status?.syncHash,
      previousForce: memory.force ?? (sync.status?.syncHash ? valid.forceSynchronization : undefined),
      partialSync: this.o.partialSync ?? true,
      hashKey: this.o.hashKey,
    });
    if (decision.kind === "fail")
      return { ...fail(decision.reason, decision.message, decision.retryAfterMs, decision.codes), ...hints };
    let written = false;
    if (decision.kind === "write" && decision.secret) {
      const refused = await this.apply(decision.secret, decision.reason);
      if (refused) return fail(refused.reason, refused.message, undefined, refused.codes);
      written = true;
    }
    memory.force = valid.forceSynchronization;
    memory.fingerprint = dataFingerprint(this.o.hashKey, decision.data, valid.secretType);
    const succeeded = SUCCESS_REASONS.has(decision.reason) || decision.reason === Reason.partialSync;
    if (!succeeded)
      return fail(Reason.controllerInternalError, Message.internal(`unexpected reason ${decision.reason}`));
    return {
      outcome: {
        kind: "success",
        ready: decision.ready,
        reason: decision.reason,
        message: decision.message,
        syncHash: decision.syncHash,
        objects: decision.objects,
        synced: written,
        created: decision.creating,
      },
      written,
      ...hints,
    };
  }
}
