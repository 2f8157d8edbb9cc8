/** Pure builders for {@link ClusterSecrets} (table-tested in properties.test.ts). */
import { rolesFor, type VaultRole } from "../workload-identity/properties.ts";
import { slug } from "../base/validate.ts";

/** What the grouping reads of a served namespace. */
export interface NamespaceObjects {
  name: string;
  secrets: ReadonlyArray<{ objects: ReadonlyArray<{ objectType?: string }> }>;
}

/** One workload identity a cluster declares and the namespaces whose ServiceAccounts use it. */
export interface IdentityGroup<N extends NamespaceObjects = NamespaceObjects> {
  /** "cluster", or the namespace name (the key of `ClusterSecrets.identityClientIds`). */
  key: string;
  /** Name of the WorkloadIdentity child: `<cluster>-wi` or `<cluster>-wi-<namespace>`. */
  resourceName: string;
  namespaces: N[];
  /** Key Vault Secrets User, plus Key Vault Reader when any object is a key or a certificate. */
  roles: VaultRole[];
}

/**
 * The identities of a cluster: one per namespace when `scope` is "namespace", else one for the whole cluster
 * (always the case for an existing identity) (pure).
 */
export function identityGroups<N extends NamespaceObjects>(
  clusterName: string,
  scope: "cluster" | "namespace",
  namespaces: readonly N[],
): Array<IdentityGroup<N>> {
  const groups =
    scope === "namespace"
      ? namespaces.map((ns) => ({
          key: ns.name,
          resourceName: `${clusterName}-wi-${slug(ns.name)}`,
          namespaces: [ns],
        }))
      : [{ key: "cluster", resourceName: `${clusterName}-wi`, namespaces: [...namespaces] }];
  return groups.map((group) => ({
    ...group,
    roles: rolesFor(
      group.namespaces.flatMap((ns) =>
        ns.secrets.flatMap((s) => s.objects.map((o) => o.objectType ?? "secret")),
      ),
    ),
  }));
}

/** The key of the identity group serving `namespace` (pure). */
export function identityKeyOf(groups: readonly IdentityGroup[], namespace: string): string {
  return groups.some((g) => g.key === namespace) ? namespace : "cluster";
}
