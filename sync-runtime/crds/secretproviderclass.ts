/**
 * The SecretProviderClass CustomResourceDefinition (`secretproviderclasses.secrets-store.csi.x-k8s.io`), the
 * Secrets Store CSI driver's shape (v1 storage, v1alpha1 served). Installed only when absent, so a cluster
 * that already runs the CSI driver keeps its own definition.
 */
import { SECRET_PROVIDER_CLASS } from "../../common/vocabulary.ts";
import { objectMetaProperties, type CrdManifest } from "./common.ts";

const schema = {
  openAPIV3Schema: {
    type: "object",
    description: "Names the vault and the objects to fetch (provider parameters).",
    properties: {
      ...objectMetaProperties,
      spec: {
        type: "object",
        properties: {
          provider: { type: "string", description: "Provider name (azure)." },
          parameters: {
            type: "object",
            additionalProperties: { type: "string" },
            description: "keyvaultName, tenantID, clientID, cloudName, objects (YAML string with array:).",
          },
          secretObjects: {
            type: "array",
            items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          },
        },
      },
      status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
  },
} as const;

/** The SecretProviderClass CRD. */
export const secretProviderClassCrd: CrdManifest = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${SECRET_PROVIDER_CLASS.plural}.${SECRET_PROVIDER_CLASS.group}` },
  spec: {
    group: SECRET_PROVIDER_CLASS.group,
    scope: "Namespaced",
    names: {
      plural: SECRET_PROVIDER_CLASS.plural,
      singular: "secretproviderclass",
      kind: SECRET_PROVIDER_CLASS.kind,
      listKind: "SecretProviderClassList",
      // `kubectl get spc`: the short name users expect (the CSI driver's own CRD has none; keyfleet adds it only
      // where keyfleet installs the CRD).
      shortNames: ["spc"],
    },
    versions: [
      { name: "v1", served: true, storage: true, subresources: { status: {} }, schema },
      { name: "v1alpha1", served: true, storage: false, subresources: { status: {} }, schema },
    ],
  },
};
