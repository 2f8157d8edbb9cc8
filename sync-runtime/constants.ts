/**
 * Every condition type, reason and message template the SecretSync reconciler writes, and the names it shares with
 * the rest of keyfleet (from common/vocabulary.ts). The reason tables of README.md, docs/sync-runtime.md and
 * docs/troubleshooting.md are tested against these constants (docs.test.ts).
 */
import { MANAGED_SECRET_LABEL } from "../common/vocabulary.ts";

export {
  MANAGED_SECRET_LABEL,
  SECRET_PROVIDER_CLASS,
  SECRET_SYNC,
  TOKEN_EXCHANGE_AUDIENCE,
} from "../common/vocabulary.ts";

/** Field manager of every server-side apply and status write the reconciler makes. */
export const FIELD_MANAGER = "keyfleet" as const;

/** Event/log component name. */
export const COMPONENT = "keyfleet-sync-runtime" as const;

/** `spec.secretSyncControllerName` served when the runtime is given no name (and matched by an empty field). */
export const DEFAULT_CONTROLLER_NAME = "keyfleet" as const;

/** Kubernetes caps a Secret's data at 1 MiB. */
export const SECRET_DATA_LIMIT_BYTES = 1024 * 1024;

/** Condition types on SecretSync status. */
export const ConditionType = {
  /** Outcome of creating the Secret (upstream `SecretCreated`). */
  created: "SecretCreated",
  /** Outcome of the latest update attempt (upstream `SecretUpdated`). */
  updated: "SecretUpdated",
  /** True when the Secret holds every item of the spec as of the latest reconcile. */
  ready: "Ready",
} as const;
/** One of {@link ConditionType}. */
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** Status reasons (the upstream controller's and Microsoft's names). Their meaning is fixed; users look them up. */
export const Reason = {
  /** The Secret was created with every item. */
  createSucceeded: "CreateSucceeded",
  /** A sync ran (spec or class changed) and the Secret already held the right values; nothing was written. */
  updateNoValueChangeSucceeded: "UpdateNoValueChangeSucceeded",
  /** The Secret was updated because a value changed or `forceSynchronization` changed. */
  updateValueChangeOrForceUpdateSucceeded: "UpdateValueChangeOrForceUpdateSucceeded",
  /** Some items were written, others failed; the message is a JSON summary per item. */
  partialSync: "PartialSync",
  /** Key Vault (or the identity exchange) failed; the Secret keeps its last good value. */
  providerError: "ProviderError",
  /** A Secret of that name exists without the `secrets-store.sync.x-k8s.io` label; it is not adopted. */
  invalidClusterSecretLabelError: "InvalidClusterSecretLabelError",
  /** A Secret of that name exists and is owned by something else; it is not adopted. */
  invalidClusterSecretAnnotationError: "InvalidClusterSecretAnnotationError",
  /** The SecretSync spec is invalid; the message names the field and what is allowed. */
  userInputValidationFailed: "UserInputValidationFailed",
  /** The SecretProviderClass is missing or invalid; the message names the field. */
  controllerSpcError: "ControllerSpcError",
  /** A bug or an unexpected state in the runtime. */
  controllerInternalError: "ControllerInternalError",
  /** An admission policy refused the Secret write. */
  validatingAdmissionPolicyCheckFailed: "ValidatingAdmissionPolicyCheckFailed",
  /** The Kubernetes API refused or failed the Secret write for another reason. */
  controllerSyncFailed: "ControllerSyncFailed",
  /** The patch failed in a way not otherwise classified (e.g. someone else modified the Secret). */
  unknownError: "UnknownError",
} as const;
/** One of {@link Reason}. */
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Reasons that mean success (Ready=True). */
export const SUCCESS_REASONS: ReadonlySet<Reason> = new Set([
  Reason.createSucceeded,
  Reason.updateNoValueChangeSucceeded,
  Reason.updateValueChangeOrForceUpdateSucceeded,
]);

/** Older Microsoft status type names and the reason that replaces each (troubleshooting guide). */
export const LEGACY_STATUS_NAMES: Readonly<Record<string, Reason>> = {
  CreateFailedProviderError: Reason.providerError,
  UpdateFailedProviderError: Reason.providerError,
  CreateFailedInvalidLabel: Reason.invalidClusterSecretLabelError,
  UpdateFailedInvalidLabel: Reason.invalidClusterSecretLabelError,
  CreateFailedInvalidAnnotation: Reason.invalidClusterSecretAnnotationError,
  UpdateFailedInvalidAnnotation: Reason.invalidClusterSecretAnnotationError,
  SecretPatchFailedUnknownError: Reason.unknownError,
  CreateFailedUnknownError: Reason.unknownError,
  UpdateFailedUnknownError: Reason.unknownError,
  CreateFailedValidatingAdmissionPolicyCheck: Reason.validatingAdmissionPolicyCheckFailed,
  UpdateFailedValidatingAdmissionPolicyCheck: Reason.validatingAdmissionPolicyCheckFailed,
};

/**
 * What keyfleet reports where another controller reports `name`: one or more keyfleet reasons (when keyfleet tells
 * apart what the other lumps together) and, where the meaning differs, a note for the migration table.
 */
export interface ReasonMapping {
  reasons: readonly Reason[];
  note?: string;
}

/** Upstream secrets-store-sync-controller v0.0.4 reasons (condition types `Create`/`Update`). */
export const UPSTREAM_V004_REASONS: Readonly<Record<string, ReasonMapping>> = {
  CreateSucceeded: { reasons: [Reason.createSucceeded] },
  UpdateNoValueChangeSucceeded: { reasons: [Reason.updateNoValueChangeSucceeded] },
  UpdateValueChangeOrForceUpdateSucceeded: { reasons: [Reason.updateValueChangeOrForceUpdateSucceeded] },
  ProviderError: { reasons: [Reason.providerError] },
  InvalidClusterSecretLabelError: {
    reasons: [Reason.invalidClusterSecretLabelError],
    note: "upstream: a reserved label in the spec (keyfleet refuses that at admission); keyfleet: an existing Secret without the managed label",
  },
  InvalidClusterSecretAnnotationError: {
    reasons: [Reason.invalidClusterSecretAnnotationError],
    note: "upstream: a reserved annotation in the spec (refused at admission); keyfleet: a Secret controlled by someone else",
  },
  UnknownError: { reasons: [Reason.unknownError] },
  ValidatingAdmissionPolicyCheckFailed: { reasons: [Reason.validatingAdmissionPolicyCheckFailed] },
  ControllerInternalError: { reasons: [Reason.controllerInternalError] },
  ControllerSPCError: {
    reasons: [Reason.controllerSpcError],
    note: "spelled ControllerSpcError in keyfleet",
  },
  UserInputValidationFailed: { reasons: [Reason.userInputValidationFailed] },
};

/** Upstream main's reasons after the 2026 rework (condition types `SecretCreated`/`SecretUpdated`, main at 3186f13). */
export const UPSTREAM_MAIN_REASONS: Readonly<Record<string, ReasonMapping>> = {
  CreateSuccessful: { reasons: [Reason.createSucceeded] },
  SecretUpToDate: {
    reasons: [Reason.updateNoValueChangeSucceeded, Reason.updateValueChangeOrForceUpdateSucceeded],
    note: "keyfleet says whether a value changed",
  },
  SecretProviderClassMisconfigured: { reasons: [Reason.controllerSpcError] },
  ProviderError: { reasons: [Reason.providerError] },
  RemoteSecretStoreFetchFailed: {
    reasons: [Reason.userInputValidationFailed, Reason.providerError],
    note: "keyfleet checks sourcePaths against the class before fetching",
  },
  ControllerPatchError: {
    reasons: [Reason.validatingAdmissionPolicyCheckFailed, Reason.controllerSyncFailed, Reason.unknownError],
    note: "chosen from the apiserver's answer: admission refusal, other refusal, conflict",
  },
  ControllerSyncError: {
    reasons: [Reason.providerError, Reason.controllerInternalError],
    note: "a failed ServiceAccount token is a ProviderError naming the ServiceAccount",
  },
  InvalidClusterSecretLabelError: {
    reasons: [Reason.invalidClusterSecretLabelError],
    note: "upstream: a reserved label in the spec (keyfleet refuses that at admission); keyfleet: an existing Secret without the managed label",
  },
  InvalidClusterSecretAnnotationError: {
    reasons: [Reason.invalidClusterSecretAnnotationError],
    note: "upstream: a reserved annotation in the spec (refused at admission); keyfleet: a Secret controlled by someone else",
  },
  SyncStarting: { reasons: [], note: "keyfleet writes no condition before its first reconcile" },
  NoUpdatesAttemptedYet: { reasons: [], note: "keyfleet writes no condition before its first reconcile" },
};

/** Value-free message templates. */
export const Message = {
  created: "secret created with all items",
  updatedValue: "secret updated (a value changed or forceSynchronization changed)",
  noValueChange: "sync ran; the secret already held the current values",
  foreignLabel: (secret: string) =>
    `Secret ${secret} exists without label ${MANAGED_SECRET_LABEL}; keyfleet does not adopt it. ` +
    `Delete it or add the label ${MANAGED_SECRET_LABEL}: "" to let this SecretSync manage it`,
  foreignOwner: (secret: string, owner: string) =>
    `Secret ${secret} is owned by ${owner}; keyfleet does not take over a Secret another controller owns`,
  spcNotFound: (name: string, namespace: string, elsewhere: readonly string[] = []) =>
    `spec.secretProviderClassName: SecretProviderClass ${name} not found in namespace ${namespace}` +
    (elsewhere.length
      ? `; a class of that name exists in namespace ${elsewhere.slice(0, 3).join(", ")}, but a SecretSync may only use a class of its own namespace`
      : " (a SecretSync may only use a class of its own namespace)"),
  /** Every item failed; `kept` = a Secret of ours already holds a last good value. */
  allFailed: (kept: boolean) =>
    kept
      ? "no item could be fetched; the Secret keeps its last good value"
      : "no item could be fetched; no Secret was written (there is no earlier value to keep)",
  /** Partial sync is off and some items failed. */
  partialSyncOff: (kept: boolean) =>
    kept
      ? "partial sync is off and an item failed; the Secret keeps its last good value"
      : "partial sync is off and an item failed; no Secret was written (there is no earlier value to keep)",
  /** The apiserver refused the Secret write; `apiMessage` is its own (value-free) explanation. */
  writeRefused: (
    secret: string,
    status: number | undefined,
    statusReason: string | undefined,
    apiMessage: string,
  ) =>
    `the apiserver refused to write Secret ${secret}` +
    (status ? ` (HTTP ${status}${statusReason ? ` ${statusReason}` : ""})` : "") +
    `: ${apiMessage}`,
  internal: (what: string) => `internal error: ${what}`,
} as const;
