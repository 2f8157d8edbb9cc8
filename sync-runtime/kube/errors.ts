/**
 * Errors of the Kubernetes layer: every failure leaving KubeClient is a {@link KubeError} whose message is
 * value-free (apiserver error bodies are reduced to code, reason and a redacted message).
 */
import * as k8s from "@kubernetes/client-node";

/** A failed Kubernetes call, reduced to value-free facts. */
export class KubeError extends Error {
  /** HTTP status, when the apiserver answered. */
  readonly status: number | undefined;
  /** metav1.Status reason (Conflict, Invalid, Forbidden, ...), when given. */
  readonly statusReason: string | undefined;
  constructor(
    message: string,
    status: number | undefined,
    statusReason: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KubeError";
    this.status = status;
    this.statusReason = statusReason;
  }
}

/** Long base64/hex runs are replaced so an echoed value can never reach a log or status. */
export function redact(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_-]{24,}/g, "[redacted]").slice(0, 400);
}

/** Turns anything thrown by client-node into a {@link KubeError} (pure). */
export function toKubeError(what: string, error: unknown): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof k8s.ApiException) {
    let body: { reason?: string; message?: string } = {};
    try {
      body = (typeof error.body === "string" ? JSON.parse(error.body) : error.body) as typeof body;
    } catch {
      body = {};
    }
    const detail = body?.message ? `: ${redact(body.message)}` : "";
    return new KubeError(
      `${what} failed (HTTP ${error.code}${body?.reason ? ` ${body.reason}` : ""})${detail}`,
      error.code,
      body?.reason,
      { cause: error },
    );
  }
  const code = (error as { code?: unknown })?.code;
  return new KubeError(
    `${what} failed (${typeof code === "string" ? code : "no answer from the apiserver"})`,
    undefined,
    undefined,
    { cause: error },
  );
}

/** True for a 404. */
export function isNotFound(error: unknown): boolean {
  return (
    (error instanceof k8s.ApiException && error.code === 404) ||
    (error instanceof KubeError && error.status === 404)
  );
}
