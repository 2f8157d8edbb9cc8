/**
 * Pure restart decision for one workload and one batch of observed changes. A workload restarts when a source
 * it watches changed in the batch and its pod template does not already record the hash of the current state
 * of everything it watches (so a repeated batch, a replayed event or a second controller never restarts twice).
 */
import {
  RESTARTED_FOR_ANNOTATION,
  ReloaderAnnotation,
  RestartEventReason,
  TriggerReason,
} from "./constants.ts";
import type { WorkloadKind } from "./constants.ts";
import { restartHash } from "./fingerprint.ts";
import type { HashEntry } from "./fingerprint.ts";
import { watchList } from "./references.ts";
import type { AnnotationProblem, PodTemplateLike } from "./references.ts";

/** What the controller knows of a Secret (never its values). */
export interface SecretState {
  name: string;
  /** Keyed fingerprint of type + data. */
  fingerprint: string;
  /** The Secret carries `reloader.stakater.com/match: "true"`. */
  match: boolean;
  /** Version shown in Events: the Key Vault versions the runtime recorded on the Secret, else its resourceVersion. */
  version: string;
}

/** What the controller knows of a SecretProviderClass's mounted versions (from SecretProviderClassPodStatus). */
export interface SpcState {
  name: string;
  fingerprint: string;
  /** `id@version` of the newest mounted objects (shown in Events). */
  versions: string[];
}

/** One source that changed value in the batch. */
export interface SourceChange {
  source: "secret" | "spc";
  name: string;
}

/** A workload as the decision reads it. */
export interface WorkloadView {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
  template?: PodTemplateLike;
}

/** One cause of a restart, for the Event and the metric. */
export interface RestartCause {
  source: "secret" | "spc";
  name: string;
  version: string;
  reasons: TriggerReason[];
}

/** Outcome of {@link decideRestart}. */
export type RestartDecision =
  | { restart: false; why: "unaffected" }
  | { restart: false; why: "already-restarted"; hash: string }
  | { restart: true; hash: string; causes: RestartCause[] };

/** Lookup of the namespace's known sources. */
export interface SourceLookup {
  secret(name: string): SecretState | undefined;
  spc(name: string): SpcState | undefined;
}

/** Sources a workload watches that exist now (a `search`-only Secret counts only with the match annotation). */
export function watchedSources(
  workload: WorkloadView,
  sources: SourceLookup,
): { entries: HashEntry[]; reasons: Map<string, TriggerReason[]> } {
  const list = watchList(workload.annotations, workload.template);
  const entries: HashEntry[] = [];
  const reasons = new Map<string, TriggerReason[]>();
  for (const [name, why] of list.secrets) {
    const state = sources.secret(name);
    if (!state) continue;
    const effective = why.filter((reason) => reason !== TriggerReason.search || state.match);
    if (effective.length === 0) continue;
    entries.push({ source: "secret", name, fingerprint: state.fingerprint });
    reasons.set(`secret/${name}`, effective);
  }
  for (const [name, why] of list.secretProviderClasses) {
    const state = sources.spc(name);
    if (!state) continue;
    entries.push({ source: "spc", name, fingerprint: state.fingerprint });
    reasons.set(`spc/${name}`, why);
  }
  return { entries, reasons };
}

/** Decides whether `workload` restarts for `changes`. */
export function decideRestart(
  workload: WorkloadView,
  changes: readonly SourceChange[],
  sources: SourceLookup,
): RestartDecision {
  const { entries, reasons } = watchedSources(workload, sources);
  const causes: RestartCause[] = [];
  for (const change of changes) {
    const why = reasons.get(`${change.source}/${change.name}`);
    if (!why || causes.some((c) => c.source === change.source && c.name === change.name)) continue;
    const version =
      change.source === "secret"
        ? (sources.secret(change.name)?.version ?? "")
        : (sources.spc(change.name)?.versions.join(",") ?? "");
    causes.push({ source: change.source, name: change.name, version, reasons: why });
  }
  if (causes.length === 0) return { restart: false, why: "unaffected" };
  const hash = restartHash(entries);
  if (workload.template?.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION] === hash) {
    return { restart: false, why: "already-restarted", hash };
  }
  causes.sort((a, b) => `${a.source}/${a.name}`.localeCompare(`${b.source}/${b.name}`));
  return { restart: true, hash, causes };
}

/** Problems to report on a workload: unusable annotation values and named Secrets that do not exist. */
export function annotationProblems(
  workload: WorkloadView,
  secretExists: (name: string) => boolean,
): AnnotationProblem[] {
  const list = watchList(workload.annotations, workload.template);
  const missing = list.namedSecrets
    .filter((name) => !secretExists(name))
    .map((name) => ({
      annotation: ReloaderAnnotation.secretReload,
      value: name,
      reason: RestartEventReason.secretNotFound,
      message: `${ReloaderAnnotation.secretReload} names Secret "${name}", which does not exist in namespace "${workload.namespace}"; the workload restarts when it appears and then changes`,
    }));
  return [...list.problems, ...missing];
}

/** The Event message of a restart: Secret names and versions, never values. */
export function restartMessage(causes: readonly RestartCause[], hash: string): string {
  const parts = causes.map((c) =>
    c.source === "secret"
      ? `Secret "${c.name}" (version ${c.version}, ${c.reasons.join("+")})`
      : `SecretProviderClass "${c.name}" (mounted ${c.version})`,
  );
  return `rolling restart for changed ${parts.join(", ")}; ${RESTARTED_FOR_ANNOTATION}=${hash}`;
}
