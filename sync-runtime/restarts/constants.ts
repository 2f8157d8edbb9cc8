/**
 * Annotations, event reasons, metric names and defaults of the restart controller (the Reloader pattern).
 * The annotation names are Stakater Reloader's, so workloads annotated for Reloader move over unchanged.
 */

/** Annotations read on workloads (metadata first, then the pod template) and on Secrets. */
export const ReloaderAnnotation = {
  /** Workload: restart when a referenced Secret annotated {@link ReloaderAnnotation.match} changes. */
  search: "reloader.stakater.com/search",
  /** Secret: changes to this Secret restart `search` workloads that reference it. */
  match: "reloader.stakater.com/match",
  /** Workload: restart when any referenced Secret (or CSI SecretProviderClass) changes. */
  auto: "reloader.stakater.com/auto",
  /** Workload: like `auto`, for Secrets only. */
  secretAuto: "secret.reloader.stakater.com/auto",
  /** Workload: comma-separated Secret names (same namespace) whose changes restart it. */
  secretReload: "secret.reloader.stakater.com/reload",
  /** Workload: comma-separated SecretProviderClass names whose mounted versions' changes restart it. */
  spcReload: "secretproviderclass.reloader.stakater.com/reload",
} as const;

/** The one pod-template annotation a restart writes: the hash of the secret state that caused it. */
export const RESTARTED_FOR_ANNOTATION = "keyfleet.io/restarted-for" as const;

/** Why a workload is watching a source (metric label `reason`). */
export const TriggerReason = {
  /** `search` + the Secret's `match` annotation. */
  search: "search",
  /** `auto` (or `secret.reloader.stakater.com/auto`). */
  auto: "auto",
  /** Named in `secret.reloader.stakater.com/reload`. */
  named: "named",
  /** Named in `secretproviderclass.reloader.stakater.com/reload` (file-based CSI mount). */
  secretProviderClass: "secretproviderclass",
} as const;
/** One of {@link TriggerReason}. */
export type TriggerReason = (typeof TriggerReason)[keyof typeof TriggerReason];

/** Event reasons written on workloads. */
export const RestartEventReason = {
  /** Normal: the workload was restarted; the message names each Secret and version (never values). */
  restarted: "SecretsChangedRestart",
  /** Normal: a restart was postponed by the per-namespace rate limit. */
  rateLimited: "RestartRateLimited",
  /** Warning: a reload annotation names a Secret that does not exist in the workload's namespace. */
  secretNotFound: "ReloadSecretNotFound",
  /** Warning: a reload annotation value cannot be used (e.g. names another namespace). */
  invalidAnnotation: "ReloadAnnotationInvalid",
  /** Warning: patching the workload failed after retries. */
  failed: "RestartFailed",
} as const;

/** Workload kinds the controller restarts. */
export const WorkloadKind = {
  deployment: "Deployment",
  statefulSet: "StatefulSet",
  daemonSet: "DaemonSet",
} as const;
/** One of {@link WorkloadKind}. */
export type WorkloadKind = (typeof WorkloadKind)[keyof typeof WorkloadKind];

/** Field manager name on restart patches and the Event source component. */
export const RESTART_COMPONENT = "keyfleet-restarts" as const;

/** Metric names (registered on the runtime's registry). */
export const RestartMetric = {
  restarts: "keyfleet_workload_restarts_total",
  skipped: "keyfleet_workload_restarts_skipped_total",
  errors: "keyfleet_workload_restart_errors_total",
  changes: "keyfleet_restart_source_changes_total",
} as const;

/** Why a restart did not happen (metric label `reason` of the skipped counter). */
export const SkipReason = {
  /** The pod template already records this hash. */
  alreadyRestarted: "already_restarted",
  /** Postponed by the per-namespace rate limit (retried later). */
  rateLimited: "rate_limited",
} as const;

/** Defaults of the restart controller's options. */
export const RESTART_DEFAULTS = {
  /** Changes seen within this window after the first one form one batch (one rollout per workload). */
  batchWindowMs: 5_000,
  /** Restarts allowed in a burst per namespace. */
  rateLimitBurst: 10,
  /** Restarts per minute refilled per namespace. */
  rateLimitPerMinute: 10,
  /** Attempts of a restart patch on 409 Conflict. */
  conflictRetries: 5,
} as const;

/** SecretProviderClassPodStatus API (the CSI driver's record of the versions mounted in each pod). */
export { SPC_POD_STATUS } from "../../common/vocabulary.ts";
