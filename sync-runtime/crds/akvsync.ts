/**
 * The AKVSync CustomResourceDefinition (`akvsyncs.secret-sync.x-k8s.io`). Item shapes are deliberately loose in
 * the schema (`x-kubernetes-preserve-unknown-fields`): the controller validates them and reports every problem
 * with its field path on the status, so one bad item never makes the apiserver reject the whole object.
 */
import { AKVSYNC } from "../../common/vocabulary.ts";
import {
  ageColumn,
  conditionSchema,
  readyColumns,
  type CrdManifest,
  objectMetaProperties,
} from "./common.ts";

export type { CrdManifest } from "./common.ts";

/** The AKVSync CRD, with status subresource and printer columns. */
export const akvSyncCrd: CrdManifest = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${AKVSYNC.plural}.${AKVSYNC.group}` },
  spec: {
    group: AKVSYNC.group,
    scope: "Namespaced",
    names: {
      plural: AKVSYNC.plural,
      singular: "akvsync",
      kind: AKVSYNC.kind,
      listKind: "AKVSyncList",
      shortNames: ["akvs"],
    },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Vault", type: "string", jsonPath: ".spec.keyvaultName" },
          {
            name: "Synced",
            type: "string",
            description: "Secrets synced / total",
            jsonPath: ".status.syncedSecrets",
          },
          ...readyColumns,
          ageColumn,
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            description:
              "Syncs Azure Key Vault secrets and certificates into Kubernetes Secrets (simplified SecretSync).",
            properties: {
              ...objectMetaProperties,
              spec: {
                type: "object",
                properties: {
                  keyvaultName: { type: "string", description: "Key Vault name." },
                  clientID: { type: "string", description: "Client id of the managed identity." },
                  tenantID: { type: "string", description: "Entra ID tenant id." },
                  serviceAccountName: {
                    type: "string",
                    description: "ServiceAccount (same namespace) to authenticate as.",
                  },
                  forceSynchronization: {
                    type: "string",
                    description: "Change to force a sync of every generated SecretSync.",
                  },
                  objects: {
                    type: "array",
                    description:
                      "Items: secretInAKV | certInAKV | mapping (compound), with kubernetesSecretName, kubernetesSecretType, labels, annotations, versionHistory.",
                    items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                  },
                },
              },
              status: {
                type: "object",
                properties: {
                  observedGeneration: { type: "integer", format: "int64" },
                  syncedSecrets: { type: "string" },
                  conditions: { type: "array", items: conditionSchema },
                  objects: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        index: { type: "integer" },
                        secretNames: { type: "array", items: { type: "string" } },
                        secretProviderClassName: { type: "string" },
                        state: { type: "string" },
                        reason: { type: "string" },
                        message: { type: "string" },
                        versions: {
                          type: "array",
                          items: {
                            type: "object",
                            properties: {
                              secretName: { type: "string" },
                              id: { type: "string" },
                              version: { type: "string" },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
