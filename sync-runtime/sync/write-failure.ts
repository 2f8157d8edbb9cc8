/**
 * A refused Secret write, read from the apiserver's structured answer (never from message text that redaction may
 * have changed): its status reason and the identifier-like facts a log line carries.
 */
import { Reason } from "../constants.ts";
import type { KubeError } from "../kube/errors.ts";

/**
 * Maps a failed Secret write to its reason (pure), from the apiserver's structured answer — never from message
 * text that redaction may have changed: a refusal by an admission policy or webhook →
 * ValidatingAdmissionPolicyCheckFailed; a 409 (someone else modified the Secret) → UnknownError; anything else
 * the apiserver refused or failed → ControllerSyncFailed.
 */
export function writeFailureReason(error: KubeError): Reason {
  if (error.admissionDenial) return Reason.validatingAdmissionPolicyCheckFailed;
  if (error.status === 409) return Reason.unknownError;
  return Reason.controllerSyncFailed;
}

/** Identifier-like facts of a failed write for logs (HTTP status, Status reason, who denied it). */
export function writeFailureCodes(error: KubeError): string[] {
  return [
    ...(error.status !== undefined ? [`HTTP ${error.status}`] : []),
    ...(error.statusReason ? [error.statusReason] : []),
    ...(error.networkCode ? [error.networkCode] : []),
    ...(error.admissionDenial ? [error.admissionDenial.kind] : []),
    ...error.causes.flatMap((c) => (c.reason ? [c.reason] : [])),
  ];
}
