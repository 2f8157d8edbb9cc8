/**
 * Validation of an AKVSync spec: field types (schema.ts) and the rules between fields and items. Each item is
 * judged on its own so one bad item never stops the others; the result says which items are valid and, for the
 * invalid ones, which Secret names they would have produced (so their previously generated objects are kept).
 */
import { withoutUndefined } from "../../common/objects.ts";
import { entryPath, LABEL_VALUE_PATTERN, Limit, qualifiedNameProblem } from "../crds/rules.ts";
import { REQUIRED_KEYS, SecretType } from "./constants.ts";
import { DNS_SUBDOMAIN, itemSchema, parseWith, specSchema } from "./schema.ts";
import type { ParsedItem, ParsedSpec } from "./schema.ts";
import type { MappingEntry, ValidItem, ValidationIssue, VaultObjectKind } from "./types.ts";

/** Label/annotation key prefixes owned by the runtime; users may not set them on generated Secrets. */
export const RESERVED_KEY_PREFIXES = ["secrets-store.sync.x-k8s.io", "keyfleet.io/"] as const;

/** An item that failed validation. */
export interface InvalidItem {
  index: number;
  issues: ValidationIssue[];
  /** Secret names the item claims as far as they can be told (its generated objects are kept, not pruned). */
  claimedSecretNames: string[];
  /**
   * False when the item's Secret name cannot be told (then nothing is pruned, since its objects cannot be told
   * apart). True when known or when another valid item already produces the name (collisions).
   */
  nameKnown: boolean;
}

/** Outcome of {@link validateAkvSync}. */
export interface AkvValidation {
  /** The spec's top-level fields, or undefined when they are invalid (then nothing is generated). */
  spec?: Omit<ParsedSpec, "objects">;
  /** Issues with the top-level fields. */
  specIssues: ValidationIssue[];
  valid: ValidItem[];
  invalid: InvalidItem[];
}

/** Secret names an item produces: `<name>-v0..` for a tls item with history, else the name itself. */
export function producedSecretNames(item: ValidItem): string[] {
  if (item.shape === "single" && item.secretType === SecretType.tls && item.versionHistory !== undefined) {
    return Array.from({ length: item.versionHistory }, (_, i) => `${item.secretName}-v${i}`);
  }
  return [item.secretName];
}

function objectOf(entry: { secretInAKV?: string; certInAKV?: string }): {
  kind: VaultObjectKind;
  name: string;
} {
  return entry.certInAKV !== undefined
    ? { kind: "cert", name: entry.certInAKV }
    : { kind: "secret", name: entry.secretInAKV ?? "" };
}

function checkMetadataKeys(
  map: Record<string, string> | undefined,
  at: string,
  isLabel: boolean,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(map ?? {})) {
    const path = entryPath(at, key);
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) issues.push({ path, message: `is not a valid key: ${keyProblem}` });
    else if (RESERVED_KEY_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      issues.push({
        path,
        message: `uses a reserved prefix (${RESERVED_KEY_PREFIXES.join(", ")}) that the runtime sets itself`,
      });
    }
    if (isLabel && (value.length > Limit.labelValue || !LABEL_VALUE_PATTERN.test(value))) {
      issues.push({
        path,
        message: "is not a valid label value (≤ 63 characters: letters, digits, '-', '_', '.')",
      });
    }
  }
  return issues;
}

function checkShape(raw: ParsedItem, at: string): ValidationIssue[] {
  const present = (["secretInAKV", "certInAKV", "mapping"] as const).filter(
    (field) => raw[field] !== undefined,
  );
  if (present.length === 1) return [];
  if (present.length === 0)
    return [{ path: at, message: "needs exactly one of secretInAKV, certInAKV or mapping (none given)" }];
  return [
    {
      path: at,
      message: `${present.join(" and ")} cannot be combined: use exactly one of secretInAKV, certInAKV or mapping`,
    },
  ];
}

function checkCompound(raw: ParsedItem, at: string, secretType: SecretType): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (raw.kubernetesSecretName === undefined) {
    issues.push({
      path: `${at}.kubernetesSecretName`,
      message: "is required for a compound secret (mapping)",
    });
  }
  if (raw.versionHistory !== undefined) {
    issues.push({
      path: `${at}.versionHistory`,
      message: "is not allowed on a compound secret; choose versions per entry with mapping[].version",
    });
  }
  const seen = new Map<string, number>();
  (raw.mapping ?? []).forEach((entry, j) => {
    const entryAt = `${at}.mapping[${j}]`;
    if ((entry.secretInAKV === undefined) === (entry.certInAKV === undefined)) {
      issues.push({ path: entryAt, message: "needs exactly one of secretInAKV or certInAKV" });
    }
    const first = seen.get(entry.dataKey);
    if (first !== undefined)
      issues.push({
        path: `${entryAt}.dataKey`,
        message: `"${entry.dataKey}" is already used by mapping[${first}]`,
      });
    else seen.set(entry.dataKey, j);
  });
  const required = REQUIRED_KEYS[secretType];
  const keys = new Set(seen.keys());
  const missing = required.keys.filter((key) => !keys.has(key));
  if (
    required.keys.length > 0 &&
    (required.mode === "all" ? missing.length > 0 : missing.length === required.keys.length)
  ) {
    issues.push({
      path: `${at}.mapping`,
      message: `a ${secretType} Secret needs ${required.mode === "all" ? "the data keys" : "at least one of the data keys"} ${required.keys.join(", ")}`,
    });
  }
  return issues;
}

function checkSingle(raw: ParsedItem, at: string, secretType: SecretType): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const field = raw.certInAKV !== undefined ? "certInAKV" : "secretInAKV";
  if (field === "certInAKV" && secretType !== SecretType.opaque && secretType !== SecretType.tls) {
    issues.push({
      path: `${at}.kubernetesSecretType`,
      message: `must be Opaque or kubernetes.io/tls for certInAKV (got ${secretType})`,
    });
  }
  if (secretType === SecretType.basicAuth) {
    issues.push({
      path: `${at}.kubernetesSecretType`,
      message: "kubernetes.io/basic-auth needs username/password keys: use a compound secret (mapping)",
    });
  }
  const historyAllowed = secretType === SecretType.opaque || secretType === SecretType.tls;
  if (raw.versionHistory !== undefined && !historyAllowed) {
    issues.push({
      path: `${at}.versionHistory`,
      message: `is only supported for Opaque and kubernetes.io/tls Secrets (got ${secretType})`,
    });
  }
  return issues;
}

/** Secret name an item claims, as far as it can be told from (possibly invalid) input. */
function claimedName(raw: Partial<ParsedItem>): string | undefined {
  if (raw.kubernetesSecretName !== undefined) return raw.kubernetesSecretName;
  const objectName = (raw.secretInAKV ?? raw.certInAKV)?.toLowerCase();
  return objectName !== undefined && DNS_SUBDOMAIN.test(objectName) ? objectName : undefined;
}

function rawClaim(raw: unknown): string[] {
  if (typeof raw !== "object" || raw === null) return [];
  const record = raw as Record<string, unknown>;
  const pick = (key: string) => (typeof record[key] === "string" ? (record[key] as string) : undefined);
  const name = claimedName({
    kubernetesSecretName: pick("kubernetesSecretName"),
    secretInAKV: pick("secretInAKV"),
    certInAKV: pick("certInAKV"),
  });
  return name === undefined ? [] : [name];
}

function normalise(raw: ParsedItem, index: number, secretType: SecretType): ValidItem {
  const base = {
    index,
    secretType,
    labels: raw.labels ?? {},
    annotations: raw.annotations ?? {},
  };
  if (raw.mapping !== undefined) {
    const mapping: MappingEntry[] = raw.mapping.map((entry) => {
      const object = objectOf(entry);
      return {
        dataKey: entry.dataKey,
        objectKind: object.kind,
        objectName: object.name,
        version: entry.version ?? 0,
      };
    });
    return { ...base, shape: "compound", secretName: raw.kubernetesSecretName ?? "", mapping };
  }
  const object = objectOf(raw);
  return withoutUndefined({
    ...base,
    shape: "single",
    objectKind: object.kind,
    objectName: object.name,
    secretName: raw.kubernetesSecretName ?? object.name.toLowerCase(),
    versionHistory: raw.versionHistory,
  });
}

/** Validates one item on its own. */
export function validateItem(raw: unknown, index: number): { item: ValidItem } | InvalidItem {
  const at = `spec.objects[${index}]`;
  const parsed = parseWith(itemSchema, raw, at);
  if (!parsed.ok) {
    const claim = rawClaim(raw);
    return { index, issues: parsed.issues, claimedSecretNames: claim, nameKnown: claim.length > 0 };
  }
  const item = parsed.value;
  const secretType = (item.kubernetesSecretType ?? SecretType.opaque) as SecretType;
  const issues = [...checkShape(item, at)];
  if (issues.length === 0) {
    issues.push(
      ...(item.mapping !== undefined
        ? checkCompound(item, at, secretType)
        : checkSingle(item, at, secretType)),
    );
  }
  issues.push(
    ...checkMetadataKeys(item.labels, `${at}.labels`, true),
    ...checkMetadataKeys(item.annotations, `${at}.annotations`, false),
  );
  if (item.kubernetesSecretName === undefined && item.mapping === undefined && issues.length === 0) {
    const objectName = item.secretInAKV ?? item.certInAKV ?? "";
    if (!DNS_SUBDOMAIN.test(objectName.toLowerCase())) {
      issues.push({
        path: `${at}.kubernetesSecretName`,
        message: `is required: the object name "${objectName}" is not a valid Secret name`,
      });
    }
  }
  const claimed = claimedName(item);
  if (issues.length > 0)
    return {
      index,
      issues,
      claimedSecretNames: claimed === undefined ? [] : [claimed],
      nameKnown: claimed !== undefined,
    };
  return { item: normalise(item, index, secretType) };
}

/** Validates a whole spec: top-level fields, every item, then Secret-name collisions between items. */
export function validateAkvSync(spec: unknown): AkvValidation {
  const top = parseWith(specSchema, spec, "spec");
  const rawItems = Array.isArray((spec as { objects?: unknown } | undefined)?.objects)
    ? (spec as { objects: unknown[] }).objects
    : [];
  const valid: ValidItem[] = [];
  const invalid: InvalidItem[] = [];
  const owners = new Map<string, number>();
  rawItems.forEach((raw, index) => {
    const result = validateItem(raw, index);
    if (!("item" in result)) {
      invalid.push(result);
      return;
    }
    const names = producedSecretNames(result.item);
    const clash = names.find((name) => owners.has(name));
    if (clash !== undefined) {
      invalid.push({
        index,
        issues: [
          {
            path: `spec.objects[${index}]`,
            message: `produces Secret "${clash}", which spec.objects[${owners.get(clash)}] already produces; give one of them another kubernetesSecretName`,
          },
        ],
        claimedSecretNames: [],
        nameKnown: true,
      });
      return;
    }
    const tooLong = names.find((name) => name.length > 253);
    if (tooLong !== undefined) {
      invalid.push({
        index,
        issues: [
          {
            path: `spec.objects[${index}].kubernetesSecretName`,
            message: "is too long for the per-version Secret names (<name>-vN ≤ 253)",
          },
        ],
        claimedSecretNames: [],
        nameKnown: false,
      });
      return;
    }
    for (const name of names) owners.set(name, index);
    valid.push(result.item);
  });
  if (!top.ok) {
    const specIssues = top.issues.filter((issue) => !issue.path.startsWith("spec.objects["));
    return { specIssues, valid, invalid };
  }
  const { objects: _objects, ...rest } = top.value;
  return { spec: rest, specIssues: [], valid, invalid };
}
