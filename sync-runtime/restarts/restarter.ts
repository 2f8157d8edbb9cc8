/**
 * Restarts one workload for one set of source changes: decide (pure, decide.ts) → take a per-namespace rate-limit
 * token → patch the pod-template annotation, re-reading and deciding again on 409 Conflict → Event and metrics.
 * A workload whose annotations point nowhere gets one Warning per distinct problem. The restart controller calls
 * it from its work queue, one workload key at a time.
 */
import type { Logger } from "pino";
import type { Clock } from "../clock.ts";
import { isConflict } from "../kube/errors.ts";
import type { EventSink } from "../kube/events.ts";
import { RESTARTED_FOR_ANNOTATION, RestartEventReason, SkipReason } from "./constants.ts";
import { annotationProblems, decideRestart, restartMessage } from "./decide.ts";
import type { RestartCause, SourceChange, SourceLookup } from "./decide.ts";
import type { RestartMetrics } from "./metrics.ts";
import type { NamespaceRateLimiter } from "./rate-limit.ts";
import { eventSubject, workloadView } from "./workloads.ts";
import type { Workload, WorkloadAdapter } from "./workloads.ts";

/** Collaborators of {@link Restarter}. */
export interface RestarterOptions {
  events: EventSink;
  metrics: RestartMetrics;
  limiter: NamespaceRateLimiter;
  clock: Clock;
  logger: Logger;
  /** Attempts of a restart patch on 409 Conflict. */
  conflictRetries: number;
  /** What the controller knows of a namespace's sources (fingerprints and versions, never values). */
  sources: (namespace: string) => SourceLookup;
  /** True when the namespace holds a Secret of that name (annotation checks). */
  hasSecret: (namespace: string, name: string) => boolean;
}

/** What {@link Restarter.restartIfNeeded} did. */
export type RestartOutcome =
  | { kind: "done" }
  /** The rate limit postponed the restart: try again after `retryAfterMs` with the same changes. */
  | { kind: "postponed"; retryAfterMs: number };

/** See module doc. */
export class Restarter {
  private readonly o: RestarterOptions;
  /** Problems already reported per workload uid (one Warning per distinct problem). */
  private readonly reported = new Map<string, Set<string>>();

  constructor(options: RestarterOptions) {
    this.o = options;
  }

  /** Forgets a deleted workload's reported problems. */
  forget(uid: string): void {
    this.reported.delete(uid);
  }

  /** Emits a Warning for each new problem of the workload's reload annotations. */
  async reportAnnotationProblems(workload: Workload): Promise<void> {
    const { namespace, name } = workload.metadata;
    const uid = workload.metadata.uid ?? `${namespace}/${name}`;
    const problems = annotationProblems(workloadView(workload), (secret) =>
      this.o.hasSecret(namespace, secret),
    );
    const seen = this.reported.get(uid) ?? new Set<string>();
    this.reported.set(uid, new Set(problems.map((p) => p.message)));
    for (const problem of problems) {
      if (seen.has(problem.message)) continue;
      await this.o.events.emit(eventSubject(workload), "Warning", problem.reason, problem.message);
    }
  }

  /** Restarts `workload` when `changes` touch what it watches and it does not already record the new state. */
  async restartIfNeeded(
    adapter: WorkloadAdapter,
    workload: Workload,
    changes: readonly SourceChange[],
  ): Promise<RestartOutcome> {
    const { namespace, name } = workload.metadata;
    const lookup = this.o.sources(namespace);
    let current = workload;
    for (let attempt = 1; ; attempt++) {
      const decision = decideRestart(workloadView(current), [...changes], lookup);
      if (!decision.restart) {
        if (decision.why === "already-restarted")
          this.o.metrics.skipped.inc({ kind: adapter.kind, reason: SkipReason.alreadyRestarted });
        return { kind: "done" };
      }
      if (attempt === 1) {
        const taken = this.o.limiter.take(namespace, this.o.clock.nowMs());
        if (!taken.ok) {
          await this.postponed(adapter, current, decision.causes, taken.retryAfterMs);
          return { kind: "postponed", retryAfterMs: taken.retryAfterMs };
        }
      }
      try {
        await adapter.patchTemplateAnnotation(current, RESTARTED_FOR_ANNOTATION, decision.hash);
      } catch (error) {
        if (isConflict(error) && attempt < this.o.conflictRetries) {
          const fresh = await adapter.read(namespace, name);
          if (!fresh) return { kind: "done" }; // deleted meanwhile: nothing to restart
          current = fresh;
          continue;
        }
        await this.failed(adapter, current, error);
        return { kind: "done" };
      }
      await this.restarted(adapter, current, decision.causes, decision.hash);
      return { kind: "done" };
    }
  }

  private async restarted(
    adapter: WorkloadAdapter,
    workload: Workload,
    causes: RestartCause[],
    hash: string,
  ): Promise<void> {
    const { namespace, name } = workload.metadata;
    for (const reason of new Set(causes.flatMap((c) => c.reasons)))
      this.o.metrics.restarts.inc({ kind: adapter.kind, reason });
    const caveat = adapter.rolloutCaveat(workload);
    const message = restartMessage(causes, hash) + (caveat ? `; note: ${caveat}` : "");
    this.o.logger.info(
      {
        kind: adapter.kind,
        namespace,
        name,
        hash,
        causes: causes.map((c) => `${c.source}/${c.name}@${c.version}`),
      },
      "workload restarted",
    );
    await this.o.events.emit(eventSubject(workload), "Normal", RestartEventReason.restarted, message);
  }

  private async failed(adapter: WorkloadAdapter, workload: Workload, error: unknown): Promise<void> {
    const { namespace, name } = workload.metadata;
    this.o.metrics.errors.inc({ kind: adapter.kind });
    this.o.logger.error({ err: error, kind: adapter.kind, namespace, name }, "restart patch failed");
    await this.o.events.emit(
      eventSubject(workload),
      "Warning",
      RestartEventReason.failed,
      `restart for changed Secrets failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  private async postponed(
    adapter: WorkloadAdapter,
    workload: Workload,
    causes: RestartCause[],
    retryAfterMs: number,
  ): Promise<void> {
    this.o.metrics.skipped.inc({ kind: adapter.kind, reason: SkipReason.rateLimited });
    const names = causes
      .map((c) => `${c.source === "secret" ? "Secret" : "SecretProviderClass"} "${c.name}"`)
      .join(", ");
    await this.o.events.emit(
      eventSubject(workload),
      "Normal",
      RestartEventReason.rateLimited,
      `restart for changed ${names} postponed by the namespace restart rate limit; retrying in ${Math.ceil(retryAfterMs / 1000)}s`,
    );
  }
}
