/**
 * The SecretSync CustomResourceDefinition (`secretsyncs.secret-sync.x-k8s.io`), compatible with the upstream
 * secrets-store-sync-controller shape. The schema enforces types, required fields and name/key patterns like
 * upstream's; the runtime validates again at read time (a CRD installed by another engine may be looser) and
 * reports anything else (duplicate keys, unknown sourcePaths, tls keys, size) on the status.
 */
import { ageColumn, conditionSchema, readyColumns, type CrdManifest } from "./common.ts";

const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const SECRET_KEY = "^[-._a-zA-Z0-9]+$";
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;

/** The SecretSync CRD, with status subresource and printer columns. */
export const secretSyncCrd: CrdManifest = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "secretsyncs.secret-sync.x-k8s.io" },
  spec: {
    group: "secret-sync.x-k8s.io",
    scope: "Namespaced",
    names: {
      plural: "secretsyncs",
      singular: "secretsync",
      kind: "SecretSync",
      listKind: "SecretSyncList",
      shortNames: ["ss"],
    },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          ...readyColumns,
          { name: "Last Sync", type: "date", jsonPath: ".status.lastSuccessfulSyncTime" },
          ageColumn,
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            description:
              "Syncs Key Vault objects named by a SecretProviderClass into a Kubernetes Secret of the same name.",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              spec: {
                type: "object",
                required: ["serviceAccountName", "secretProviderClassName", "secretObject"],
                properties: {
                  serviceAccountName: {
                    type: "string",
                    description: "ServiceAccount of this namespace whose identity reads the vault.",
                    minLength: 1,
                    maxLength: 253,
                  },
                  secretProviderClassName: {
                    type: "string",
                    description: "SecretProviderClass of this namespace naming the vault objects.",
                    minLength: 1,
                    maxLength: 253,
                  },
                  secretObject: {
                    type: "object",
                    required: ["data"],
                    properties: {
                      type: { type: "string", description: "Secret type. Default Opaque.", maxLength: 253 },
                      data: {
                        type: "array",
                        minItems: 1,
                        maxItems: 100,
                        items: {
                          type: "object",
                          required: ["sourcePath", "targetKey"],
                          properties: {
                            sourcePath: {
                              type: "string",
                              description:
                                "Object alias or name, or <name>/<index> for version history (0 = newest).",
                              minLength: 1,
                              maxLength: 253,
                            },
                            targetKey: {
                              type: "string",
                              description: "Key in the Secret.",
                              minLength: 1,
                              maxLength: 253,
                              pattern: SECRET_KEY,
                            },
                          },
                        },
                      },
                      labels: stringMap,
                      annotations: stringMap,
                    },
                  },
                  forceSynchronization: {
                    type: "string",
                    description: "Change to force an immediate sync.",
                    maxLength: 253,
                  },
                  secretSyncControllerName: {
                    type: "string",
                    description: "Engine that serves this SecretSync. Empty = the default engine.",
                    maxLength: 253,
                  },
                },
              },
              status: {
                type: "object",
                properties: {
                  syncHash: { type: "string" },
                  lastSuccessfulSyncTime: { type: "string", format: "date-time" },
                  observedGeneration: { type: "integer", format: "int64" },
                  conditions: {
                    type: "array",
                    items: conditionSchema,
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                  },
                  objects: {
                    type: "array",
                    description: "Key Vault object versions now in the Secret.",
                    items: {
                      type: "object",
                      required: ["id", "version"],
                      properties: { id: { type: "string" }, version: { type: "string" } },
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

/** Pattern of ServiceAccount and SecretProviderClass names (checked at read time, reported on status). */
export const SECRET_SYNC_NAME_PATTERN = DNS_SUBDOMAIN;
