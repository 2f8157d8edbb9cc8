/**
 * The SecretSync field rules, in one place: the CRD schema (crds/secretsync.ts) enforces them at admission, the
 * runtime checks them again when it reads a SecretSync (sync/secretsync.ts; a CRD installed by another engine may
 * be looser), and the admission policies reuse the key rules. Patterns and limits follow the upstream
 * secrets-store-sync-controller CRD (config/crd, main at 3186f13) so what it refuses, keyfleet refuses; where
 * keyfleet is stricter the constant says why (docs/sync-runtime.md, "Where keyfleet differs from upstream").
 */
import { MANAGED_SECRET_LABEL } from "../constants.ts";

/** DNS-1123 subdomain: `serviceAccountName`, `secretProviderClassName` (upstream pattern). */
export const DNS_SUBDOMAIN_SOURCE = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/**
 * Upstream's pattern of `sourcePath` and `targetKey`: letters, digits, '-', '.', '_' inside, an optional
 * `/<digits>` suffix. (It refuses some short names Kubernetes would take, e.g. `a.b`; parity keeps that.)
 */
export const SOURCE_PATH_SOURCE = "^[A-Za-z0-9.]([-A-Za-z0-9]+([-._a-zA-Z0-9]?[A-Za-z0-9])*)?(\\/([0-9]+))*$";
/**
 * Upstream's pattern of `secretObject.type`: no whitespace. (The runtime then allows the built-in types and
 * `<domain>/<name>` only: sync/secretsync.ts.)
 */
export const SECRET_TYPE_SOURCE = "^[^\\s]+$";
/** Upstream's pattern of `forceSynchronization`. */
export const FORCE_SYNCHRONIZATION_SOURCE = "^[A-Za-z0-9]([-A-Za-z0-9]+([-._a-zA-Z0-9]?[A-Za-z0-9])*)?$";
/**
 * keyfleet's `targetKey` pattern: upstream's without the `/<digits>` suffix. Upstream admits `key/0`, which can
 * never be a Secret data key (Kubernetes allows letters, digits, '-', '_', '.') and would fail at the Secret write;
 * keyfleet refuses it at admission instead. Everything else upstream admits, keyfleet admits.
 */
export const TARGET_KEY_SOURCE = "^[A-Za-z0-9.]([-A-Za-z0-9]+([-._a-zA-Z0-9]?[A-Za-z0-9])*)?$";

/** Compiled forms of the patterns above. */
export const Pattern = {
  dnsSubdomain: new RegExp(DNS_SUBDOMAIN_SOURCE),
  sourcePath: new RegExp(SOURCE_PATH_SOURCE),
  targetKey: new RegExp(TARGET_KEY_SOURCE),
  forceSynchronization: new RegExp(FORCE_SYNCHRONIZATION_SOURCE),
} as const;

/** Length limits (characters) of upstream's CRD and of Kubernetes object metadata. */
export const Limit = {
  /** Names, `sourcePath`, `targetKey`, `type`, `forceSynchronization`. */
  field: 253,
  /** A label or annotation key: 253 (DNS prefix) + "/" + 63 (name). */
  metadataKey: 317,
  /** A label value. */
  labelValue: 63,
  /** An annotation value (upstream's CRD); Kubernetes also caps all annotations of an object together. */
  annotationValue: 256 * 1024,
  /** All annotations of one object together, keys and values (Kubernetes). */
  annotationsTotal: 256 * 1024,
} as const;

/** Label/annotation key prefix reserved for the sync controller (upstream and keyfleet). */
export const RESERVED_METADATA_PREFIX = MANAGED_SECRET_LABEL;

/** A Kubernetes qualified name's name part: 1-63 characters, alphanumeric at both ends. */
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/**
 * A whole qualified name (label/annotation key) as one regular expression, for CEL in the admission policies
 * (which cannot call {@link qualifiedNameProblem}); the prefix's 253-character bound is checked there by size.
 */
export const QUALIFIED_NAME_SOURCE =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
/** A label value: empty, or up to 63 characters, alphanumeric at both ends. */
export const LABEL_VALUE_SOURCE = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/** Compiled {@link LABEL_VALUE_SOURCE}. */
export const LABEL_VALUE_PATTERN = new RegExp(LABEL_VALUE_SOURCE);

/** Why `key` is not a Kubernetes qualified name (label/annotation key), or undefined when it is one (pure). */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (
    prefix !== undefined &&
    (prefix.length === 0 || prefix.length > 253 || !Pattern.dnsSubdomain.test(prefix))
  )
    return "its prefix (before '/') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-', '.'";
  if (!QUALIFIED_NAME_PART.test(name))
    return "its name (after an optional '<prefix>/') must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** One problem with a field, named by its path. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** `labels["key"]`-style path of a map entry. */
export function entryPath(at: string, key: string): string {
  return `${at}[${JSON.stringify(key)}]`;
}

function reserved(key: string): boolean {
  return key.startsWith(RESERVED_METADATA_PREFIX);
}

/**
 * Problems with the labels a SecretSync asks for on its Secret (pure): keys must be qualified names outside the
 * reserved prefix, values valid label values (≤ 63). Caught here, before any write, with the field named.
 */
export function labelProblems(labels: Readonly<Record<string, string>>, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const path = entryPath(at, key);
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) problems.push({ path, message: `is not a valid label key: ${keyProblem}` });
    else if (reserved(key))
      problems.push({
        path,
        message: `uses the prefix ${RESERVED_METADATA_PREFIX}, reserved for the controller`,
      });
    if (value.length > Limit.labelValue || !LABEL_VALUE_PATTERN.test(value))
      problems.push({
        path,
        message: `has an invalid value: at most ${Limit.labelValue} letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      });
  }
  return problems;
}

/** Problems with the annotations a SecretSync asks for on its Secret (pure): keys as for labels; total size. */
export function annotationProblems(
  annotations: Readonly<Record<string, string>>,
  at: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const path = entryPath(at, key);
    total += key.length + value.length;
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) problems.push({ path, message: `is not a valid annotation key: ${keyProblem}` });
    else if (reserved(key))
      problems.push({
        path,
        message: `uses the prefix ${RESERVED_METADATA_PREFIX}, reserved for the controller`,
      });
  }
  if (total > Limit.annotationsTotal)
    problems.push({
      path: at,
      message: `hold ${total} bytes together; Kubernetes allows at most ${Limit.annotationsTotal} (256 KiB)`,
    });
  return problems;
}
