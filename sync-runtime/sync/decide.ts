/**
 * The reconcile decision, pure: given the validated SecretSync and class, the per-item fetch outcomes and the
 * Secret that exists now, decide what (if anything) to write and which reason the status reports.
 * Invariants: a provider failure never removes or blanks a key (failed items keep the Secret's last good value,
 * or nothing is written); a foreign Secret is never adopted.
 */
import { MANAGED_SECRET_LABEL, Message, Reason, SECRET_DATA_LIMIT_BYTES, SECRET_SYNC } from "../constants.ts";
import type { ItemOutcome } from "./resolve.ts";
import { partialSummary } from "./resolve.ts";
import type {
  OwnerReference,
  SecretResource,
  SyncedObjectVersion,
  ValidSecretSync,
  ValidSpc,
} from "./types.ts";
import { syncHash } from "./hash.ts";

/** How an existing Secret of the SecretSync's name relates to it. */
export type Ownership =
  | { kind: "absent" }
  | { kind: "ours" }
  | { kind: "adoptable" }
  | { kind: "foreignLabel" }
  | { kind: "foreignOwner"; owner: string };

/**
 * Classifies an existing Secret (pure): ours = controller ownerReference to this SecretSync's uid;
 * adoptable = carries the managed label and no controller owner; otherwise foreign.
 */
export function classifyOwnership(secret: SecretResource | undefined, syncUid: string): Ownership {
  if (!secret) return { kind: "absent" };
  const refs = secret.metadata.ownerReferences ?? [];
  if (refs.some((r) => r.uid === syncUid && r.kind === SECRET_SYNC.kind)) return { kind: "ours" };
  const hasLabel = secret.metadata.labels?.[MANAGED_SECRET_LABEL] !== undefined;
  if (!hasLabel) return { kind: "foreignLabel" };
  const controller = refs.find((r) => r.controller) ?? refs.find((r) => r.kind === SECRET_SYNC.kind);
  if (controller)
    return { kind: "foreignOwner", owner: `${controller.kind}/${controller.name} (uid ${controller.uid})` };
  return { kind: "adoptable" };
}

/** The Secret body keyfleet applies (server-side apply). */
export interface DesiredSecret {
  apiVersion: "v1";
  kind: "Secret";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
  type: string;
  data: Record<string, string>;
}

/** Builds the applied Secret (pure): exactly one ownerReference (controller) and the managed label. */
export function desiredSecret(sync: ValidSecretSync, data: Readonly<Record<string, Buffer>>): DesiredSecret {
  const encoded: Record<string, string> = {};
  for (const key of Object.keys(data).sort()) encoded[key] = data[key]!.toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: sync.name,
      namespace: sync.namespace,
      labels: { ...sync.labels, [MANAGED_SECRET_LABEL]: "" },
      annotations: { ...sync.annotations },
      ownerReferences: [
        {
          apiVersion: SECRET_SYNC.apiVersion,
          kind: SECRET_SYNC.kind,
          name: sync.name,
          uid: sync.uid,
          controller: true,
        },
      ],
    },
    type: sync.secretType,
    data: encoded,
  };
}

/**
 * True when the existing Secret already holds what would be applied (pure). Data keys keyfleet does not apply are
 * no difference: server-side apply leaves keys another field manager added (as upstream's e2e expects), so
 * writing again would change nothing and report a change at every poll. A key keyfleet itself applied earlier
 * and no longer wants can only go with a spec or class change, which changes the sync hash and applies once.
 */
export function secretMatches(existing: SecretResource, desired: DesiredSecret): boolean {
  if ((existing.type ?? "Opaque") !== desired.type) return false;
  const have = existing.data ?? {};
  if (Object.entries(desired.data).some(([k, v]) => have[k] !== v)) return false;
  const labels = existing.metadata.labels ?? {};
  if (Object.entries(desired.metadata.labels).some(([k, v]) => labels[k] !== v)) return false;
  const annotations = existing.metadata.annotations ?? {};
  if (Object.entries(desired.metadata.annotations).some(([k, v]) => annotations[k] !== v)) return false;
  const refs = existing.metadata.ownerReferences ?? [];
  const owner = desired.metadata.ownerReferences[0]!;
  return refs.length === 1 && refs[0]!.uid === owner.uid && refs[0]!.controller === true;
}

/** What the reconcile should do. */
export type Decision =
  | {
      kind: "write" | "noop";
      /** Ready: True for full success, False for PartialSync. */
      ready: boolean;
      reason: Reason;
      message: string;
      /** Undefined for noop. */
      secret?: DesiredSecret;
      syncHash: string;
      objects: SyncedObjectVersion[];
      /** The Secret did not exist (or vanished) before this write. */
      creating: boolean;
      /** Data fingerprint inputs for recognising our own write. */
      data: Record<string, Buffer>;
    }
  | {
      kind: "fail";
      reason: Reason;
      message: string;
      /** Provider failures are retried sooner (Retry-After when the vault said). */
      retryAfterMs?: number;
      /** Identifier-like facts of the failures (error kinds, HTTP statuses, vault/identity codes) for logs. */
      codes?: string[];
    };

/** Inputs of {@link decide}. */
export interface DecideInput {
  sync: ValidSecretSync;
  spc: ValidSpc;
  outcomes: readonly ItemOutcome[];
  existing: SecretResource | undefined;
  /** Versions currently recorded in status (kept for items whose last good value is kept). */
  previousObjects: readonly SyncedObjectVersion[];
  previousSyncHash: string | undefined;
  /** `forceSynchronization` of the last successful sync, when known. */
  previousForce: string | undefined;
  partialSync: boolean;
  hashKey: Buffer;
}

function failureReason(failed: ReadonlyArray<Extract<ItemOutcome, { ok: false }>>): Reason {
  return failed.some((f) => f.kind === "provider") ? Reason.providerError : Reason.userInputValidationFailed;
}

function failureMessage(failed: ReadonlyArray<Extract<ItemOutcome, { ok: false }>>): string {
  return failed.map((f) => `${f.targetKey} (${f.sourcePath}): ${f.message}`).join("; ");
}

type Failed = Extract<ItemOutcome, { ok: false }>;
type Succeeded = Extract<ItemOutcome, { ok: true }>;
type FailDecision = Extract<Decision, { kind: "fail" }>;

/** The refusal for a Secret keyfleet must not touch, or undefined (pure). */
function ownershipFailure(ownership: Ownership, secretName: string): FailDecision | undefined {
  if (ownership.kind === "foreignLabel")
    return {
      kind: "fail",
      reason: Reason.invalidClusterSecretLabelError,
      message: Message.foreignLabel(secretName),
    };
  if (ownership.kind === "foreignOwner")
    return {
      kind: "fail",
      reason: Reason.invalidClusterSecretAnnotationError,
      message: Message.foreignOwner(secretName, ownership.owner),
    };
  return undefined;
}

/**
 * The failure when nothing is written: all items failed, or some did with partial sync off (pure). `kept` says
 * whether a Secret of ours already holds earlier values (only then does it "keep its last good value").
 */
function itemsFailure(
  failed: readonly Failed[],
  succeeded: readonly Succeeded[],
  partialSync: boolean,
  kept: boolean,
) {
  if (!failed.length || (partialSync && succeeded.length > 0)) return undefined;
  const retryAfterMs = failed
    .map((f) => f.provider?.retryAfterMs)
    .filter((v): v is number => v !== undefined)
    .reduce<number | undefined>((a, b) => (a === undefined ? b : Math.max(a, b)), undefined);
  const summary = succeeded.length === 0 ? Message.allFailed(kept) : Message.partialSyncOff(kept);
  const message = `${summary}: ${failureMessage(failed)}`;
  const codes = [
    ...new Set(
      failed.flatMap((f) =>
        f.provider
          ? [
              f.provider.kind,
              ...(f.provider.httpStatus !== undefined ? [`HTTP ${f.provider.httpStatus}`] : []),
              ...(f.provider.code ? [f.provider.code] : []),
            ]
          : [f.kind],
      ),
    ),
  ];
  const decision: FailDecision = {
    kind: "fail",
    reason: failureReason(failed),
    message,
    codes,
    retryAfterMs,
  };
  return decision;
}

/** The Secret's data and the object versions in it; a failed item keeps the last good value of a Secret of ours. */
function assembleData(
  input: DecideInput,
  ownership: Ownership,
  failed: readonly Failed[],
  succeeded: readonly Succeeded[],
) {
  const data: Record<string, Buffer> = {};
  const objects: SyncedObjectVersion[] = [];
  for (const o of succeeded) {
    data[o.targetKey] = o.value;
    objects.push(o.objectVersion);
  }
  if (ownership.kind !== "ours" && ownership.kind !== "adoptable") return { data, objects };
  for (const f of failed) {
    const kept = input.existing?.data?.[f.targetKey];
    if (kept === undefined) continue;
    data[f.targetKey] = Buffer.from(kept, "base64");
    const previous = input.previousObjects.find((p) => p.id === f.sourcePath);
    if (previous) objects.push(previous);
  }
  return { data, objects };
}

/** The success reason and message (pure). */
function successReason(
  outcomes: readonly ItemOutcome[],
  state: { partial: boolean; creating: boolean; valueChanged: boolean; forced: boolean },
): { reason: Reason; message: string } {
  if (state.partial) return { reason: Reason.partialSync, message: partialSummary(outcomes) };
  if (state.creating) return { reason: Reason.createSucceeded, message: Message.created };
  if (state.valueChanged || state.forced)
    return { reason: Reason.updateValueChangeOrForceUpdateSucceeded, message: Message.updatedValue };
  return { reason: Reason.updateNoValueChangeSucceeded, message: Message.noValueChange };
}

/** The decision (pure). */
export function decide(input: DecideInput): Decision {
  const { sync, outcomes, existing } = input;
  const ownership = classifyOwnership(existing, sync.uid);
  const refused = ownershipFailure(ownership, `${sync.namespace}/${sync.name}`);
  if (refused) return refused;
  const failed = outcomes.filter((o): o is Failed => !o.ok);
  const succeeded = outcomes.filter((o): o is Succeeded => o.ok);
  const kept =
    (ownership.kind === "ours" || ownership.kind === "adoptable") &&
    Object.keys(existing?.data ?? {}).length > 0;
  const failure = itemsFailure(failed, succeeded, input.partialSync, kept);
  if (failure) return failure;
  const { data, objects } = assembleData(input, ownership, failed, succeeded);
  const size = Object.entries(data).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (size > SECRET_DATA_LIMIT_BYTES) {
    return {
      kind: "fail",
      reason: Reason.userInputValidationFailed,
      message: `spec.secretObject.data: the Secret would hold ${size} bytes; Kubernetes allows at most ${SECRET_DATA_LIMIT_BYTES} (1 MiB)`,
    };
  }
  const secret = desiredSecret(sync, data);
  const hash = syncHash(input.hashKey, {
    data,
    secretType: sync.secretType,
    labels: secret.metadata.labels,
    annotations: secret.metadata.annotations,
    secretSync: { uid: sync.uid, generation: sync.generation },
    secretProviderClass: { uid: input.spc.uid, generation: input.spc.generation },
    forceSynchronization: sync.forceSynchronization,
  });
  const partial = failed.length > 0;
  const matches = existing !== undefined && secretMatches(existing, secret);
  const creating = ownership.kind === "absent";
  const forced = input.previousForce !== undefined && input.previousForce !== sync.forceSynchronization;
  const { reason, message } = successReason(outcomes, {
    partial,
    creating,
    valueChanged: !matches && !creating,
    forced,
  });
  // A changed hash with matching content (spec or class changed) still applies once, so fields dropped from the
  // spec (labels, annotations) leave the Secret; server-side apply makes an identical write a no-op.
  const write = !matches || forced || input.previousSyncHash !== hash;
  return {
    kind: write ? "write" : "noop",
    ready: !partial,
    reason,
    message,
    secret: write ? secret : undefined,
    syncHash: hash,
    // Several keys may come from one sourcePath (tls.crt + tls.key): list each object version once.
    objects: [...new Map(objects.map((o) => [o.id, o])).values()].sort((a, b) => a.id.localeCompare(b.id)),
    creating,
    data,
  };
}
