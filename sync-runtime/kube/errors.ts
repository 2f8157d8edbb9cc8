/**
 * Errors of the Kubernetes layer: every failure leaving KubeClient is a {@link KubeError} that keeps the
 * apiserver's structured answer (HTTP status, metav1.Status reason and details, the apiserver's own message) so
 * callers choose reasons from structure, never from text. Only what can carry a value is redacted: the values the
 * call itself sent (a Secret's data) and, as a second line of defence, long opaque runs that look like encoded
 * data. Secret names, label keys and the apiserver's field messages stay intact.
 */
import * as k8s from "@kubernetes/client-node";

/** One metav1.StatusCause. */
export interface KubeStatusCause {
  /** Machine-readable cause (FieldValueInvalid, FieldValueRequired, ...), when given. */
  reason?: string;
  /** Field path (`metadata.labels`, `data[key]`), when given. */
  field?: string;
  /** Human-readable description (redacted like the message). */
  message?: string;
}

/** Who refused a write at admission, read from the apiserver's answer. */
export type AdmissionDenial =
  | { kind: "ValidatingAdmissionPolicy"; policy: string; binding?: string }
  | { kind: "ValidatingAdmissionWebhook"; webhook: string };

/** Longest apiserver message kept (condition messages may hold 32 KiB; a Status message is rarely 1 KiB). */
export const MAX_API_MESSAGE_CHARS = 2048;

/** A failed Kubernetes call, reduced to value-free facts. */
export class KubeError extends Error {
  /** HTTP status, when the apiserver answered. */
  readonly status: number | undefined;
  /** metav1.Status reason (Conflict, Invalid, Forbidden, NotFound, ...), when given. */
  readonly statusReason: string | undefined;
  /** metav1.Status details.causes (field, reason, message), when given. */
  readonly causes: readonly KubeStatusCause[];
  /** The apiserver's own message (redacted of sent values), when it answered. */
  readonly apiMessage: string | undefined;
  /** The admission plugin that refused the request, when one did. */
  readonly admissionDenial: AdmissionDenial | undefined;
  /** Network error code (ECONNREFUSED, ...) when the apiserver did not answer. */
  readonly networkCode: string | undefined;
  constructor(
    message: string,
    facts: {
      status?: number;
      statusReason?: string;
      causes?: readonly KubeStatusCause[];
      apiMessage?: string;
      admissionDenial?: AdmissionDenial;
      networkCode?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KubeError";
    this.status = facts.status;
    this.statusReason = facts.statusReason;
    this.causes = facts.causes ?? [];
    this.apiMessage = facts.apiMessage;
    this.admissionDenial = facts.admissionDenial;
    this.networkCode = facts.networkCode;
  }
}

const REDACTED = "[redacted]";

/**
 * Long runs of base64 alphabet holding upper case, lower case and digits: how encoded data looks, and how no
 * Kubernetes name does (names are lower case; label keys and kinds carry no digits-and-mixed-case runs this long).
 */
const OPAQUE_RUN = /[A-Za-z0-9+/]{32,}={0,2}/g;
function looksEncoded(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Removes what can carry a value from an apiserver message (pure): each of `sentValues` (exact text, longest
 * first; short ones only as whole tokens so ordinary words survive), then long opaque encoded-looking runs.
 * Everything else — names, label keys, field paths, policy messages — stays as the apiserver wrote it.
 */
export function redactApiMessage(text: string, sentValues: readonly string[] = []): string {
  let out = text;
  const values = [...new Set(sentValues.filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
  for (const value of values) {
    const pattern =
      value.length >= 8
        ? new RegExp(escapeRegExp(value), "g")
        : new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(value)}(?![A-Za-z0-9])`, "g");
    out = out.replace(pattern, REDACTED);
  }
  out = out.replace(OPAQUE_RUN, (run) => (looksEncoded(run) ? REDACTED : run));
  return out.length > MAX_API_MESSAGE_CHARS ? `${out.slice(0, MAX_API_MESSAGE_CHARS - 1)}…` : out;
}

/** The values a Secret write sends, in both the encoded and the decoded form (for {@link redactApiMessage}). */
export function sentSecretValues(data: Readonly<Record<string, string>> | undefined): string[] {
  const out: string[] = [];
  for (const encoded of Object.values(data ?? {})) {
    out.push(encoded);
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    if (decoded && !decoded.includes("\uFFFD")) out.push(decoded, ...decoded.split(/\r?\n/).filter(Boolean));
  }
  return out;
}

const VAP_DENIAL = /ValidatingAdmissionPolicy '([^']+)'(?: with binding '([^']+)')? denied request/;
const WEBHOOK_DENIAL = /admission webhook "([^"]+)" denied the request/;

/**
 * The admission plugin that refused a request (pure). The apiserver states it in its own words in a status cause
 * (ValidatingAdmissionPolicy, Kubernetes ≥ 1.30) or in the Status message (webhooks, older servers): read from
 * the unredacted answer, so it can never be hidden by redaction.
 */
export function admissionDenialOf(
  status: number | undefined,
  message: string | undefined,
  causes: readonly KubeStatusCause[],
): AdmissionDenial | undefined {
  if (status === undefined || status < 400 || status >= 500) return undefined;
  for (const text of [...causes.map((c) => c.message ?? ""), message ?? ""]) {
    const vap = VAP_DENIAL.exec(text);
    if (vap)
      return {
        kind: "ValidatingAdmissionPolicy",
        policy: vap[1]!,
        binding: vap[2],
      };
    const webhook = WEBHOOK_DENIAL.exec(text);
    if (webhook) return { kind: "ValidatingAdmissionWebhook", webhook: webhook[1]! };
  }
  return undefined;
}

interface StatusBody {
  reason?: unknown;
  message?: unknown;
  details?: { causes?: unknown };
}

function parseBody(body: unknown): StatusBody {
  try {
    const parsed: unknown = typeof body === "string" ? JSON.parse(body) : body;
    return typeof parsed === "object" && parsed !== null ? (parsed as StatusBody) : {};
  } catch {
    return {};
  }
}

function causesOf(body: StatusBody): KubeStatusCause[] {
  const raw = Array.isArray(body.details?.causes) ? (body.details.causes as unknown[]) : [];
  return raw.flatMap((c) => {
    if (typeof c !== "object" || c === null) return [];
    const { reason, field, message } = c as Record<string, unknown>;
    return [
      {
        reason: typeof reason === "string" ? reason : undefined,
        field: typeof field === "string" ? field : undefined,
        message: typeof message === "string" ? message : undefined,
      },
    ];
  });
}

/** Options of {@link toKubeError}. */
export interface ToKubeErrorOptions {
  /** Values the call sent that the answer must never echo (see {@link sentSecretValues}). Default none. */
  sentValues?: readonly string[];
}

/** Turns anything thrown by client-node into a {@link KubeError} (pure). */
export function toKubeError(what: string, error: unknown, options: ToKubeErrorOptions = {}): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof k8s.ApiException) {
    const body = parseBody(error.body);
    const rawMessage = typeof body.message === "string" ? body.message : undefined;
    const rawCauses = causesOf(body);
    const statusReason = typeof body.reason === "string" ? body.reason : undefined;
    const admissionDenial = admissionDenialOf(error.code, rawMessage, rawCauses);
    const redact = (text: string) => redactApiMessage(text, options.sentValues);
    const apiMessage = rawMessage !== undefined ? redact(rawMessage) : undefined;
    const causes = rawCauses.map((c) => (c.message !== undefined ? { ...c, message: redact(c.message) } : c));
    return new KubeError(
      `${what} failed (HTTP ${error.code}${statusReason ? ` ${statusReason}` : ""})${apiMessage ? `: ${apiMessage}` : ""}`,
      {
        status: error.code,
        statusReason,
        causes,
        apiMessage,
        admissionDenial,
      },
      { cause: error },
    );
  }
  const code = (error as { code?: unknown })?.code;
  const networkCode = typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
  return new KubeError(
    `${what} failed (${networkCode ?? "no answer from the apiserver"})`,
    networkCode ? { networkCode } : {},
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

/** True for a 409 Conflict (a resourceVersion-guarded write lost against another writer). */
export function isConflict(error: unknown): boolean {
  return (
    (error instanceof k8s.ApiException && error.code === 409) ||
    (error instanceof KubeError && error.status === 409)
  );
}
