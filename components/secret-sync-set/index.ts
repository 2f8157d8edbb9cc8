/**
 * SecretSyncSet: for one namespace, the objects that make an engine sync Secrets from the vault —
 * SecretProviderClass + SecretSync per Secret (arc-extension, bundled), SecretProviderClass with CSI
 * `secretObjects` (aks-addon), or one AKVSync (bundled). Restart annotations are added when asked.
 * Pass the cluster's Kubernetes provider through `opts.provider`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KeyVault } from "../key-vault/index.ts";
import {
  AKVSYNC,
  ENGINES,
  SECRET_PROVIDER_CLASS,
  SECRET_SYNC,
  type Engine,
} from "../../common/vocabulary.ts";
import { check, COMPONENT_PREFIX, DNS_LABEL_PATTERN, requireOneOf, slug } from "../base/validate.ts";
import type { WorkloadIdentity } from "../workload-identity/index.ts";
import {
  akvSyncSpec,
  csiSecretObjects,
  secretSyncSpec,
  spcParameters,
  type SyncedSecret,
} from "./properties.ts";

export * from "./properties.ts";

/** Arguments of {@link SecretSyncSet}. */
export interface SecretSyncSetArgs {
  /** Engine serving this namespace (decides which objects are declared). Required. */
  engine: Engine;
  /** The namespace (a DNS label) the objects and the Secrets live in. Required. */
  namespace: string;
  /** ServiceAccount whose token is exchanged. Required. */
  serviceAccountName: string;
  /** Default "SecretSync". "AKVSync" needs engine bundled. */
  syncKind?: "SecretSync" | "AKVSync";
  /** The vault read (its name becomes `keyvaultName`). */
  vault: KeyVault;
  /** The identity used (its client id becomes `clientID`). */
  identity: WorkloadIdentity;
  /** Tenant (`tenantID`). Required. */
  tenantId: string;
  /** The Kubernetes Secrets to keep in step with the vault, each from one or more vault objects. Required. */
  secrets: SyncedSecret[];
  /** CRDs, namespace and ServiceAccount the objects wait for. Default []. */
  dependsOn?: pulumi.Resource[];
  /** AKVSync object name. Default "keyfleet". */
  akvSyncName?: string;
}

/**
 * For one namespace, the objects that make its engine sync Secrets from the vault: a SecretProviderClass and a
 * SecretSync per Secret (arc-extension, bundled), a SecretProviderClass with CSI `secretObjects` (aks-addon), or
 * one AKVSync (bundled). https://learn.microsoft.com/azure/azure-arc/kubernetes/secret-store-extension#configure-the-sse
 */
export class SecretSyncSet extends pulumi.ComponentResource {
  constructor(name: string, args: SecretSyncSetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:SecretSyncSet`, name, {}, opts);
    requireOneOf(args.engine, ENGINES, this, "engine");
    const syncKind = args.syncKind ?? "SecretSync";
    requireOneOf(syncKind, ["SecretSync", "AKVSync"], this, "syncKind");
    check(
      syncKind !== "AKVSync" || args.engine === "bundled",
      this,
      "syncKind",
      `AKVSync needs engine bundled; allowed for ${args.engine}: SecretSync`,
    );
    check(
      DNS_LABEL_PATTERN.test(args.namespace),
      this,
      "namespace",
      `"${args.namespace}" must be a DNS label`,
    );
    check(
      args.serviceAccountName.length > 0,
      this,
      "serviceAccountName",
      "required: a namespace needs a ServiceAccount",
    );
    const names = new Set<string>();
    args.secrets.forEach((s, i) => {
      check(!names.has(s.name), this, `secrets[${i}].name`, `duplicate "${s.name}"`);
      check(s.objects.length > 0, this, `secrets[${i}].objects`, "at least one object");
      names.add(s.name);
    });

    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const identity = pulumi
      .all([args.vault.vaultName, args.identity.clientId])
      .apply(([keyvaultName, clientId]) => ({ keyvaultName, clientId, tenantId: args.tenantId }));
    const labels = { "app.kubernetes.io/managed-by": "keyfleet" };

    if (syncKind === "AKVSync") {
      new k8s.apiextensions.CustomResource(
        `${name}-akvsync`,
        {
          apiVersion: AKVSYNC.apiVersion,
          kind: AKVSYNC.kind,
          metadata: { name: args.akvSyncName ?? "keyfleet", namespace: args.namespace, labels },
          spec: identity.apply((id) => akvSyncSpec(id, args.serviceAccountName, args.secrets)),
        },
        child,
      );
    } else {
      for (const secret of args.secrets) {
        const spc = new k8s.apiextensions.CustomResource(
          `${name}-spc-${slug(secret.name)}`,
          {
            apiVersion: SECRET_PROVIDER_CLASS.apiVersion,
            kind: SECRET_PROVIDER_CLASS.kind,
            metadata: { name: secret.name, namespace: args.namespace, labels },
            spec: identity.apply((id) => ({
              provider: "azure",
              parameters: spcParameters(id, secret.objects),
              secretObjects: args.engine === "aks-addon" ? csiSecretObjects(secret) : undefined,
            })),
          },
          child,
        );
        if (args.engine !== "aks-addon") {
          new k8s.apiextensions.CustomResource(
            `${name}-sync-${slug(secret.name)}`,
            {
              apiVersion: SECRET_SYNC.apiVersion,
              kind: SECRET_SYNC.kind,
              metadata: { name: secret.name, namespace: args.namespace, labels },
              spec: secretSyncSpec(secret, args.serviceAccountName),
            },
            { ...child, dependsOn: [...child.dependsOn, spc] },
          );
        }
      }
    }
    this.registerOutputs({});
  }
}
