/**
 * The SecretSync CustomResourceDefinition (`secretsyncs.secret-sync.x-k8s.io`), compatible with the upstream
 * secrets-store-sync-controller CRD: it refuses at admission what upstream's refuses (name/key patterns, label and
 * annotation limits, the reserved `secrets-store.sync.x-k8s.io` prefix, duplicate `targetKey`s through a list-map
 * keyed on `targetKey`) and defaults `type` to Opaque. The rules live in ./rules.ts; the runtime checks them again
 * at read time (a CRD installed by another engine may be looser) and reports anything else (unknown sourcePaths,
 * tls keys, size) on the status. keyfleet adds `status.objects`, `observedGeneration`, printer columns and the
 * short name `ss`.
 */
import { SECRET_SYNC } from "../../common/vocabulary.ts";
import {
  ageColumn,
  conditionSchema,
  readyColumns,
  type CrdManifest,
  objectMetaProperties,
} from "./common.ts";
import {
  DNS_SUBDOMAIN_SOURCE,
  FORCE_SYNCHRONIZATION_SOURCE,
  Limit,
  RESERVED_METADATA_PREFIX,
  SECRET_TYPE_SOURCE,
  SOURCE_PATH_SOURCE,
  TARGET_KEY_SOURCE,
} from "./rules.ts";

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const notReserved = (what: string) => ({
  rule: `self.all(k, !k.startsWith('${RESERVED_METADATA_PREFIX}'))`,
  message: `${what} keys must not start with ${RESERVED_METADATA_PREFIX}: that prefix is reserved for the controller.`,
});
/** Label limits (upstream's): keys up to 317 characters (253 prefix + '/' + 63 name), values up to 63. */
const labelsSchema = {
  ...stringMap,
  "x-kubernetes-validations": [
    {
      rule: `self.all(k, size(k) <= ${Limit.metadataKey} && size(self[k]) <= ${Limit.labelValue})`,
      message: `Label keys may have at most ${Limit.metadataKey} characters (a 253-character prefix, '/', a 63-character name) and label values at most ${Limit.labelValue}.`,
    },
    notReserved("Label"),
  ],
} as const;
/** Annotation limits (upstream's, including its bound of 316 characters on keys): values up to 256 KiB. */
const annotationsSchema = {
  ...stringMap,
  "x-kubernetes-validations": [
    {
      rule: `self.all(k, size(k) < ${Limit.metadataKey} && size(self[k]) <= ${Limit.annotationValue})`,
      message: `Annotation keys may have at most ${Limit.metadataKey - 1} characters and annotation values at most ${Limit.annotationValue} (256 KiB).`,
    },
    notReserved("Annotation"),
  ],
} as const;
const name = (description: string) => ({
  type: "string",
  description,
  minLength: 1,
  maxLength: Limit.field,
  pattern: DNS_SUBDOMAIN_SOURCE,
});

/** The SecretSync CRD, with status subresource and printer columns. */
export const secretSyncCrd: CrdManifest = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${SECRET_SYNC.plural}.${SECRET_SYNC.group}` },
  spec: {
    group: SECRET_SYNC.group,
    scope: "Namespaced",
    names: {
      plural: SECRET_SYNC.plural,
      singular: "secretsync",
      kind: SECRET_SYNC.kind,
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
              ...objectMetaProperties,
              spec: {
                type: "object",
                required: ["serviceAccountName", "secretProviderClassName", "secretObject"],
                properties: {
                  serviceAccountName: name(
                    "ServiceAccount of this namespace whose identity reads the vault.",
                  ),
                  secretProviderClassName: name(
                    "SecretProviderClass of this namespace naming the vault objects.",
                  ),
                  secretObject: {
                    type: "object",
                    required: ["data"],
                    properties: {
                      type: {
                        type: "string",
                        description: "Secret type. Default Opaque.",
                        default: "Opaque",
                        maxLength: Limit.field,
                        pattern: SECRET_TYPE_SOURCE,
                      },
                      data: {
                        type: "array",
                        minItems: 1,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["targetKey"],
                        items: {
                          type: "object",
                          required: ["sourcePath", "targetKey"],
                          properties: {
                            sourcePath: {
                              type: "string",
                              description:
                                "Object alias or name, or <name>/<index> for version history (0 = newest).",
                              minLength: 1,
                              maxLength: Limit.field,
                              pattern: SOURCE_PATH_SOURCE,
                            },
                            targetKey: {
                              type: "string",
                              description: "Key in the Secret (unique in data).",
                              minLength: 1,
                              maxLength: Limit.field,
                              pattern: TARGET_KEY_SOURCE,
                            },
                          },
                        },
                      },
                      labels: labelsSchema,
                      annotations: annotationsSchema,
                    },
                  },
                  forceSynchronization: {
                    type: "string",
                    description: "Change to force an immediate sync.",
                    maxLength: Limit.field,
                    pattern: FORCE_SYNCHRONIZATION_SOURCE,
                  },
                  secretSyncControllerName: {
                    type: "string",
                    description: "Engine that serves this SecretSync. Empty = the default engine.",
                    default: "",
                    maxLength: Limit.field,
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
                    maxItems: 16,
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
