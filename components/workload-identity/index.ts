/**
 * WorkloadIdentity: a user-assigned managed identity with vault role assignments (Key Vault Secrets User; Reader
 * only when asked), one federated identity credential per (namespace, ServiceAccount) — written one after
 * another because Azure answers 409 to parallel writes on one identity — and the annotated ServiceAccounts.
 * On the proving ground (`local`) the same identity, roles and credentials are created on the local identity
 * stand-in (components/local-azure/) under the same names; with an existing identity only the ServiceAccounts are.
 * Docs: https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
import * as azure from "@pulumi/azure-native";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KeyVault } from "../key-vault/index.ts";
import {
  LOCAL_SUBSCRIPTION_ID,
  LocalFederatedIdentityCredential,
  LocalRoleAssignment,
  LocalUserAssignedIdentity,
} from "../local-azure/index.ts";
import {
  check,
  COMPONENT_PREFIX,
  DNS_LABEL_PATTERN,
  GUID_PATTERN,
  requireOneOf,
  slug,
} from "../base/validate.ts";
import {
  federatedCredentialSpecs,
  ROLE_GUIDS,
  roleDefinitionId,
  serviceAccountAnnotations,
  type FederatedCredentialSpec,
  type ServiceAccountRef,
  type VaultRole,
} from "./properties.ts";

export * from "./properties.ts";

/** Create a new user-assigned managed identity in Azure. */
export interface CreateIdentity {
  create: {
    /** Resource group of the identity. Required. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. Required. */
    location: pulumi.Input<string>;
    /** Default {}. */
    tags?: Record<string, string>;
  };
}
/** Create the identity on the proving ground's identity stand-in: the local rehearsal of {@link CreateIdentity}. */
export interface LocalGroundIdentity {
  local: {
    /** The proving ground's description file (env.json) the local providers read. */
    ground: pulumi.Input<string>;
  };
}
/** Use an identity managed elsewhere (no Azure resources are created for it). */
export interface ExistingIdentity {
  existing: {
    /** Its client id (a GUID). Required. */
    clientId: pulumi.Input<string>;
  };
}

/** Arguments of {@link WorkloadIdentity}. */
export interface WorkloadIdentityArgs {
  /** Create the identity (in Azure, or on the proving ground) or use an existing one. */
  identity: CreateIdentity | LocalGroundIdentity | ExistingIdentity;
  /** The vault roles are scoped to (an Azure vault when creating in Azure; the local vault when local). */
  vault: KeyVault;
  /** Subscription GUID for role definition ids (required when creating). */
  subscriptionId?: string;
  /** Tenant GUID, annotated on ServiceAccounts. Default: not annotated. */
  tenantId?: string;
  /** Roles on the vault. Default ["secrets-user"]. Never Secrets Officer/Administrator. */
  roles?: VaultRole[];
  /** The cluster's OIDC issuer URL (required when creating; on the proving ground, its apiserver URL). */
  oidcIssuerUrl?: pulumi.Input<string>;
  /** ServiceAccounts that exchange tokens for this identity (at most 20 distinct). */
  serviceAccounts: ServiceAccountRef[];
  /** Create the ServiceAccounts through this provider. Default: not created (Azure side only). */
  kubernetesProvider?: k8s.Provider;
  /** Resources the ServiceAccounts wait for (their namespaces). Default []. */
  serviceAccountDependsOn?: pulumi.Resource[];
}

/**
 * A workload identity for one cluster or namespace: a user-assigned managed identity with role assignments scoped to
 * the vault (Key Vault Secrets User; Reader only when asked; never Officer or Administrator), one federated identity
 * credential per ServiceAccount (chained: Azure refuses parallel writes on one identity), and the annotated
 * ServiceAccounts. https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export class WorkloadIdentity extends pulumi.ComponentResource {
  /** Client id (the SecretProviderClass `clientID`). */
  readonly clientId: pulumi.Output<string>;
  /** Principal id; undefined for an existing identity. */
  readonly principalId: pulumi.Output<string> | undefined;
  /** Federated credentials, in creation order. */
  readonly federatedCredentials: FederatedCredentialSpec[];

  constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:WorkloadIdentity`, name, {}, opts);
    for (const [i, sa] of args.serviceAccounts.entries()) {
      check(
        DNS_LABEL_PATTERN.test(sa.namespace),
        this,
        `serviceAccounts[${i}].namespace`,
        `"${sa.namespace}" must be a DNS label`,
      );
      check(
        sa.name.length > 0,
        this,
        `serviceAccounts[${i}].name`,
        "required (a namespace needs a ServiceAccount)",
      );
    }
    let specs: FederatedCredentialSpec[];
    try {
      specs = federatedCredentialSpecs(args.serviceAccounts);
    } catch (e) {
      throw new pulumi.ResourceError(`serviceAccounts: ${(e as Error).message}`, this);
    }
    const roles = args.roles ?? ["secrets-user"];
    roles.forEach((r, i) => requireOneOf(r, ["secrets-user", "reader"], this, `roles[${i}]`));
    this.federatedCredentials = "existing" in args.identity ? [] : specs;

    if ("create" in args.identity) {
      check(
        args.vault.vaultId !== undefined && args.vault.mode !== "local",
        this,
        "vault",
        "role assignments need an Azure vault (mode create or existing), not a local one",
      );
      check(
        GUID_PATTERN.test(args.subscriptionId ?? ""),
        this,
        "subscriptionId",
        "required GUID when creating an identity",
      );
      check(
        args.oidcIssuerUrl !== undefined,
        this,
        "oidcIssuerUrl",
        "required when creating an identity (federated credentials)",
      );
      const { resourceGroupName, location, tags } = args.identity.create;
      const identity = new azure.managedidentity.UserAssignedIdentity(
        `${name}-identity`,
        { resourceName: name.slice(0, 128), resourceGroupName, location, tags },
        { parent: this },
      );
      for (const role of roles) {
        new azure.authorization.RoleAssignment(
          `${name}-${role}`,
          {
            principalId: identity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleDefinitionId(args.subscriptionId!, ROLE_GUIDS[role]),
            scope: args.vault.vaultId!,
            description: `keyfleet: ${role} on the vault for ${name}`,
          },
          { parent: this },
        );
      }
      let previous: pulumi.Resource | undefined;
      for (const spec of specs) {
        previous = new azure.managedidentity.FederatedIdentityCredential(
          `${name}-fic-${spec.credentialName}`,
          {
            federatedIdentityCredentialResourceName: spec.credentialName,
            resourceName: identity.name,
            resourceGroupName,
            issuer: args.oidcIssuerUrl!,
            subject: spec.subject,
            audiences: spec.audiences,
          },
          // Azure rejects concurrent credential writes on one identity (409): chain them.
          { parent: this, dependsOn: previous ? [previous] : [] },
        );
      }
      this.clientId = identity.clientId;
      this.principalId = identity.principalId;
    } else if ("local" in args.identity) {
      const created = this.declareLocal(name, args, args.identity.local.ground, specs, roles);
      this.clientId = created.clientId;
      this.principalId = created.principalId;
    } else {
      this.clientId = pulumi.output(args.identity.existing.clientId);
      this.principalId = undefined;
    }

    if (args.kubernetesProvider) {
      const seen = new Set<string>();
      for (const sa of args.serviceAccounts) {
        const key = `${sa.namespace}/${sa.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        new k8s.core.v1.ServiceAccount(
          `${name}-sa-${slug(sa.namespace, sa.name)}`,
          {
            metadata: {
              name: sa.name,
              namespace: sa.namespace,
              labels: { "app.kubernetes.io/managed-by": "keyfleet" },
              annotations: this.clientId.apply((id) => serviceAccountAnnotations(id, args.tenantId)),
            },
          },
          { parent: this, provider: args.kubernetesProvider, dependsOn: args.serviceAccountDependsOn ?? [] },
        );
      }
    }
    this.registerOutputs({ clientId: this.clientId, principalId: this.principalId });
  }

  /** The create branch on the proving ground: same resources, same names, the local stand-in's types. */
  private declareLocal(
    name: string,
    args: WorkloadIdentityArgs,
    ground: pulumi.Input<string>,
    specs: FederatedCredentialSpec[],
    roles: VaultRole[],
  ): LocalUserAssignedIdentity {
    check(args.vault.mode === "local", this, "vault", "a local identity reads the local vault (mode local)");
    check(
      args.oidcIssuerUrl !== undefined,
      this,
      "oidcIssuerUrl",
      "required: the proving ground's ServiceAccount issuer (federated credentials)",
    );
    const identity = new LocalUserAssignedIdentity(
      `${name}-identity`,
      { ground, resourceName: name.slice(0, 128) },
      { parent: this },
    );
    for (const role of roles) {
      new LocalRoleAssignment(
        `${name}-${role}`,
        {
          ground,
          principalId: identity.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, ROLE_GUIDS[role]),
          scope: args.vault.vaultId!,
        },
        { parent: this },
      );
    }
    let previous: pulumi.Resource | undefined;
    for (const spec of specs) {
      previous = new LocalFederatedIdentityCredential(
        `${name}-fic-${spec.credentialName}`,
        {
          ground,
          clientId: identity.clientId,
          resourceName: identity.resourceName,
          federatedIdentityCredentialResourceName: spec.credentialName,
          issuer: args.oidcIssuerUrl!,
          subject: spec.subject,
          audiences: spec.audiences,
        },
        // Chained as on Azure, so the local rehearsal creates them in the order Azure needs.
        { parent: this, dependsOn: previous ? [previous] : [] },
      );
    }
    return identity;
  }
}
