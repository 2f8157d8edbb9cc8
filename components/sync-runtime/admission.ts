/**
 * The runtime's ValidatingAdmissionPolicies (pure; table-tested in admission.test.ts and enforced by the real
 * kube-apiserver in test/integration/admission-policies.test.ts). Defence in depth, as upstream's chart and the
 * Secret Store extension ship it: RBAC lets the runtime create and patch every Secret, so a compromised or buggy
 * runtime could write any Secret; these policies let its identity write only Secrets that are labelled
 * `secrets-store.sync.x-k8s.io` and owned by exactly one SecretSync of the same name, never take over an existing
 * Secret that was neither, and never write a denied type. A second policy refuses every Secret delete by that
 * identity, should RBAC ever grant it (keyfleet never deletes a Secret: the garbage collector removes one with its
 * SecretSync). A third refuses SecretSyncs (from anyone) whose Secret labels or annotations are invalid or use the
 * reserved prefix, for CRDs installed by other engines that lack those checks.
 * https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
import { withoutUndefined } from "../../common/objects.ts";
import { MANAGED_SECRET_LABEL, SECRET_SYNC } from "../../sync-runtime/constants.ts";
import {
  LABEL_VALUE_SOURCE,
  Limit,
  QUALIFIED_NAME_SOURCE,
  RESERVED_METADATA_PREFIX,
} from "../../sync-runtime/crds/rules.ts";
import { FORBIDDEN_SECRET_TYPES } from "../../sync-runtime/sync/secretsync.ts";

/** A label selector (metav1.LabelSelector). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
  }>;
}

/** Admission-policy settings of the SyncRuntime component. */
export interface AdmissionPolicySettings {
  /** Install the policies and bindings. Default true (Kubernetes ≥ 1.30 serves admissionregistration.k8s.io/v1). */
  enabled?: boolean;
  /**
   * Secret types the runtime may never write, in addition to the ones it never writes anyway
   * (`kubernetes.io/service-account-token`, `bootstrap.kubernetes.io/token`). Default [].
   */
  deniedSecretTypes?: string[];
  /** Bind the policies only in namespaces matching this selector. Default: every namespace. */
  namespaceSelector?: LabelSelector;
}

/** What the policies are built from. */
export interface AdmissionPolicyInputs {
  /** Name prefix of the policies and bindings, e.g. `keyfleet-sync-runtime`. */
  name: string;
  /** The runtime's ServiceAccount. */
  runtimeServiceAccount: { namespace: string; name: string };
  /** The one Secret the runtime keeps outside the rules: its syncHash key, in its own namespace. */
  hashKeySecretName: string;
  settings?: AdmissionPolicySettings;
  /** Labels on every object. Default {}. */
  labels?: Record<string, string>;
}

/** A policy or binding in wire (JSON) form, for Pulumi and server-side apply alike. */
export interface AdmissionManifest {
  apiVersion: "admissionregistration.k8s.io/v1";
  kind: "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding";
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Types always denied to the runtime. */
export const ALWAYS_DENIED_SECRET_TYPES: readonly string[] = [...FORBIDDEN_SECRET_TYPES].sort();

/** A CEL string literal (single-quoted). */
function cel(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Every Secret type the runtime may never write (pure): the fixed ones plus the configured, sorted, unique. */
export function deniedSecretTypes(settings: AdmissionPolicySettings = {}): string[] {
  return [...new Set([...ALWAYS_DENIED_SECRET_TYPES, ...(settings.deniedSecretTypes ?? [])])].sort();
}

/** Problems with the settings, naming the option (pure; the component raises them). */
export function admissionSettingsProblems(
  settings: AdmissionPolicySettings = {},
): Array<{ option: string; message: string }> {
  const problems: Array<{ option: string; message: string }> = [];
  for (const [i, type] of (settings.deniedSecretTypes ?? []).entries()) {
    if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*(\/[-A-Za-z0-9_.]+)?$/.test(type) || type.length > Limit.field)
      problems.push({
        option: `admissionPolicies.deniedSecretTypes[${i}]`,
        message: `"${type}" is not a Secret type; allowed: <name> or <domain>/<name>, e.g. example.com/api-key`,
      });
  }
  return problems;
}

/** The runtime's user name as the apiserver sees it. */
function runtimeUser(inputs: AdmissionPolicyInputs): string {
  const sa = inputs.runtimeServiceAccount;
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/** A policy named `<name>-<suffix>` that refuses when it cannot judge (failurePolicy Fail), around `spec` (pure). */
function policy(
  inputs: AdmissionPolicyInputs,
  suffix: string,
  spec: Record<string, unknown>,
): AdmissionManifest {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: `${inputs.name}-${suffix}`, labels: inputs.labels ?? {} },
    spec: { failurePolicy: "Fail", ...spec },
  };
}

/** The match on core Secrets for `operations`. */
function secretsMatching(operations: string[]): Record<string, unknown> {
  return { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations, resources: ["secrets"] }] };
}

/** The match condition that limits a policy to requests made by the runtime's own identity. */
function madeByTheRuntime(inputs: AdmissionPolicyInputs): { name: string; expression: string } {
  return {
    name: "made-by-the-sync-runtime",
    expression: `request.userInfo.username == ${cel(runtimeUser(inputs))}`,
  };
}

/** The ValidatingAdmissionPolicy on the runtime's own Secret writes (pure). */
export function secretWritesPolicy(inputs: AdmissionPolicyInputs): AdmissionManifest {
  const sa = inputs.runtimeServiceAccount;
  const user = runtimeUser(inputs);
  const label = cel(MANAGED_SECRET_LABEL);
  const syncGroup = cel(`${SECRET_SYNC.group}/`);
  const syncKind = cel(SECRET_SYNC.kind);
  const who = `${cel(`${user} may not `)} + request.operation.lowerAscii() + ' Secret ' + request.namespace + '/' + object.metadata.name`;
  return policy(inputs, "secret-writes", {
    matchConstraints: secretsMatching(["CREATE", "UPDATE"]),
    matchConditions: [
      madeByTheRuntime(inputs),
      {
        // The runtime's own syncHash key (created once in its namespace) is no synced Secret.
        name: "not-the-hash-key",
        expression: `!(request.namespace == ${cel(sa.namespace)} && object.metadata.name == ${cel(inputs.hashKeySecretName)})`,
      },
    ],
    variables: [
      {
        name: "owners",
        expression: "has(object.metadata.ownerReferences) ? object.metadata.ownerReferences : []",
      },
      {
        name: "ownedBySecretSync",
        expression:
          `size(variables.owners) == 1 && variables.owners.all(o, o.kind == ${syncKind} && ` +
          `o.apiVersion.startsWith(${syncGroup}) && o.name == object.metadata.name && ` +
          "has(o.controller) && o.controller)",
      },
      {
        name: "labelled",
        expression: `has(object.metadata.labels) && ${label} in object.metadata.labels`,
      },
      {
        // An existing Secret must already be keyfleet's: labelled, or controlled by its SecretSync.
        name: "wasManaged",
        expression:
          `request.operation != 'UPDATE' || (has(oldObject.metadata.labels) && ${label} in oldObject.metadata.labels) || ` +
          `(has(oldObject.metadata.ownerReferences) && oldObject.metadata.ownerReferences.exists(o, ` +
          `o.kind == ${syncKind} && o.apiVersion.startsWith(${syncGroup}) && o.name == oldObject.metadata.name && has(o.controller) && o.controller))`,
      },
      {
        name: "deniedTypes",
        expression: `[${deniedSecretTypes(inputs.settings).map(cel).join(", ")}]`,
      },
    ],
    validations: [
      {
        expression: "variables.labelled",
        reason: "Forbidden",
        messageExpression: `${who} + ': it lacks the label ' + ${label}`,
      },
      {
        expression: "variables.ownedBySecretSync",
        reason: "Forbidden",
        messageExpression: `${who} + ': its only ownerReference must be the SecretSync of the same name (controller: true)'`,
      },
      {
        expression: "variables.wasManaged",
        reason: "Forbidden",
        messageExpression: `${who} + ': the existing Secret is neither labelled ' + ${label} + ' nor controlled by that SecretSync'`,
      },
      {
        expression: "!(has(object.type) && object.type in variables.deniedTypes)",
        reason: "Forbidden",
        messageExpression: `${who} + ': type ' + object.type + ' is on the deny-list'`,
      },
    ],
  });
}

/**
 * The ValidatingAdmissionPolicy refusing the runtime's Secret deletes (pure). Its ClusterRole has no `delete`, so
 * RBAC refuses first; this holds when someone widens that role (e.g. binds `edit`), as upstream's chart does.
 */
export function secretDeletesPolicy(inputs: AdmissionPolicyInputs): AdmissionManifest {
  return policy(inputs, "secret-deletes", {
    matchConstraints: secretsMatching(["DELETE"]),
    matchConditions: [madeByTheRuntime(inputs)],
    validations: [
      {
        expression: "false",
        reason: "Forbidden",
        messageExpression:
          `${cel(`${runtimeUser(inputs)} may not delete Secret `)} + request.namespace + '/' + request.name + ` +
          `': keyfleet never deletes a Secret; the garbage collector removes a synced Secret with its SecretSync'`,
      },
    ],
  });
}

/** The ValidatingAdmissionPolicy on SecretSyncs' Secret labels and annotations (pure). */
export function secretSyncMetadataPolicy(inputs: AdmissionPolicyInputs): AdmissionManifest {
  const reserved = cel(RESERVED_METADATA_PREFIX);
  const validKey = (k: string) =>
    `(size(${k}) <= ${Limit.metadataKey} && ${k}.matches('${QUALIFIED_NAME_SOURCE}') && !${k}.startsWith(${reserved}))`;
  const badLabels = `variables.labels.filter(k, !(${validKey("k")} && size(variables.labels[k]) <= ${Limit.labelValue} && variables.labels[k].matches('${LABEL_VALUE_SOURCE}')))`;
  const badAnnotations = `variables.annotations.filter(k, !${validKey("k")})`;
  const where = `'SecretSync ' + request.namespace + '/' + object.metadata.name + ': '`;
  return policy(inputs, "secretsync-metadata", {
    matchConstraints: {
      resourceRules: [
        {
          apiGroups: [SECRET_SYNC.group],
          apiVersions: ["*"],
          operations: ["CREATE", "UPDATE"],
          resources: [SECRET_SYNC.plural],
        },
      ],
    },
    variables: [
      {
        name: "labels",
        expression:
          "has(object.spec.secretObject) && has(object.spec.secretObject.labels) ? object.spec.secretObject.labels : {}",
      },
      {
        name: "annotations",
        expression:
          "has(object.spec.secretObject) && has(object.spec.secretObject.annotations) ? object.spec.secretObject.annotations : {}",
      },
    ],
    validations: [
      {
        expression: `size(${badLabels}) == 0`,
        reason: "Invalid",
        messageExpression:
          `${where} + 'spec.secretObject.labels: invalid or reserved (${RESERVED_METADATA_PREFIX}) keys or invalid values: ' + ` +
          `${badLabels}.join(', ')`,
      },
      {
        expression: `size(${badAnnotations}) == 0`,
        reason: "Invalid",
        messageExpression:
          `${where} + 'spec.secretObject.annotations: invalid or reserved (${RESERVED_METADATA_PREFIX}) keys: ' + ` +
          `${badAnnotations}.join(', ')`,
      },
    ],
  });
}

/** The binding of a policy (pure). */
export function bindingFor(
  policy: AdmissionManifest,
  settings: AdmissionPolicySettings = {},
): AdmissionManifest {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: policy.metadata.name, labels: policy.metadata.labels },
    // A manifest: compared whole with what Pulumi registers, which drops undefined keys.
    spec: withoutUndefined({
      policyName: policy.metadata.name,
      validationActions: ["Deny"],
      matchResources: settings.namespaceSelector
        ? { namespaceSelector: settings.namespaceSelector }
        : undefined,
    }),
  };
}

/** Every policy and binding (pure): none when disabled. */
export function admissionPolicies(inputs: AdmissionPolicyInputs): AdmissionManifest[] {
  if (inputs.settings?.enabled === false) return [];
  const policies = [
    secretWritesPolicy(inputs),
    secretDeletesPolicy(inputs),
    secretSyncMetadataPolicy(inputs),
  ];
  return policies.flatMap((policy) => [policy, bindingFor(policy, inputs.settings)]);
}
