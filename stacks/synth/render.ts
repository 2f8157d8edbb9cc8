/** Renders a captured graph as an indented tree with each resource's key properties (pure). */
import { createHash } from "node:crypto";
import { AKVSYNC, SECRET_PROVIDER_CLASS, SECRET_SYNC } from "../../common/vocabulary.ts";
import type { CapturedResource, Json } from "./capture.ts";

/** Input paths shown per type in the text view (others: none). Secrets already read "[secret]". */
export const KEY_PROPS: Readonly<Record<string, readonly string[]>> = {
  "azure-native:keyvault:Vault": [
    "vaultName",
    "location",
    "properties.enableRbacAuthorization",
    "properties.enablePurgeProtection",
    "properties.softDeleteRetentionInDays",
    "properties.networkAcls.defaultAction",
  ],
  "azure-native:keyvault:Secret": ["secretName", "properties.value"],
  "azure-native:managedidentity:UserAssignedIdentity": ["resourceName", "location"],
  "azure-native:authorization:RoleAssignment": ["roleDefinitionId", "scope", "principalType"],
  "azure-native:managedidentity:FederatedIdentityCredential": ["subject", "issuer", "audiences"],
  "azure-native:containerservice:ManagedCluster": [
    "resourceName",
    "addonProfiles.azureKeyvaultSecretsProvider.config",
    "oidcIssuerProfile.enabled",
    "securityProfile.workloadIdentity.enabled",
  ],
  "azure-native:kubernetesconfiguration:Extension": [
    "extensionType",
    "version",
    "autoUpgradeMinorVersion",
    "configurationSettings",
  ],
  "kubernetes:helm.sh/v3:Release": ["chart", "version", "namespace"],
  "pulumi:providers:kubernetes": ["kubeconfig"],
  "kubernetes:core/v1:ServiceAccount": ["metadata.namespace", "metadata.name", "metadata.annotations"],
  "kubernetes:core/v1:Namespace": ["metadata.name"],
  "kubernetes:core/v1:ConfigMap": ["metadata.name", "data"],
  "kubernetes:apps/v1:Deployment": [
    "metadata.name",
    "spec.replicas",
    "spec.template.spec.containers[0].image",
  ],
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ["rules"],
  "kubernetes:rbac.authorization.k8s.io/v1:Role": ["metadata.namespace", "rules"],
  "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": ["metadata.name"],
  [`kubernetes:${SECRET_PROVIDER_CLASS.apiVersion}:${SECRET_PROVIDER_CLASS.kind}`]: [
    "metadata.namespace",
    "metadata.name",
    "spec.parameters.keyvaultName",
    "spec.parameters.clientID",
  ],
  [`kubernetes:${SECRET_SYNC.apiVersion}:${SECRET_SYNC.kind}`]: [
    "metadata.namespace",
    "metadata.name",
    "spec.serviceAccountName",
    "spec.secretObject.data",
  ],
  [`kubernetes:${AKVSYNC.apiVersion}:${AKVSYNC.kind}`]: [
    "metadata.namespace",
    "spec.keyvaultName",
    "spec.serviceAccountName",
  ],
};

/** Strings longer than this are shown as their length and hash. */
export const MAX_SHOWN_STRING = 200;

/** Reads a dotted path (`a.b[0].c`) from JSON. */
export function getPath(value: Json | undefined, at: string): Json | undefined {
  let cur: Json | undefined = value;
  for (const part of at.split(/\.|(?=\[)/)) {
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    const index = /^\[(\d+)\]$/.exec(part);
    cur = index
      ? Array.isArray(cur)
        ? cur[Number(index[1])]
        : undefined
      : Array.isArray(cur)
        ? undefined
        : cur[part];
  }
  return cur;
}

/** Shortens long strings to `<N chars sha256:abcd1234>` (a bundle or CRD schema stays readable). */
export function shorten(value: Json): Json {
  if (typeof value === "string" && value.length > MAX_SHOWN_STRING) {
    return `<${value.length} chars sha256:${createHash("sha256").update(value).digest("hex").slice(0, 12)}>`;
  }
  if (Array.isArray(value)) return value.map(shorten);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
  return value;
}

/** The text tree: one line per resource, children indented under parents, key properties after the name. */
export function renderTree(resources: readonly CapturedResource[]): string {
  const children = new Map<string, CapturedResource[]>();
  const byUrn = new Set(resources.map((r) => r.urn));
  const roots: CapturedResource[] = [];
  for (const r of resources) {
    if (r.parent && byUrn.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    else roots.push(r);
  }
  const lines: string[] = [];
  const visit = (r: CapturedResource, depth: number) => {
    const props = (KEY_PROPS[r.type] ?? [])
      .map((p) => [p, getPath(r.inputs, p)] as const)
      .filter(([, v]) => v !== undefined)
      .map(([p, v]) => `${p}=${JSON.stringify(shorten(v!))}`);
    lines.push(`${"  ".repeat(depth)}${r.type}  ${r.name}${props.length ? `  ${props.join(" ")}` : ""}`);
    for (const c of children.get(r.urn) ?? []) visit(c, depth + 1);
  };
  roots.forEach((r) => visit(r, 0));
  return lines.join("\n");
}

/** Resource counts per type, sorted by type. */
export function countByType(resources: readonly CapturedResource[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1));
}
