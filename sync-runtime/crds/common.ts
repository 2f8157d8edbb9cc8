/** Pieces shared by keyfleet's CRDs: the manifest type, the condition schema and the printer columns. */

/**
 * A CRD manifest in wire (JSON) form, as kubectl, Pulumi (`apiextensions.CustomResourceDefinition` /
 * `yaml`) and server-side apply take it. Not the client's typed model: that one spells
 * `x-kubernetes-preserve-unknown-fields` differently and would silently drop it.
 */
export interface CrdManifest {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: Record<string, unknown>;
}

/** The properties every object's schema starts with (TypeMeta and ObjectMeta; the apiserver validates metadata). */
export const objectMetaProperties = {
  apiVersion: { type: "string" },
  kind: { type: "string" },
  metadata: { type: "object" },
} as const;

/** Schema of one status condition (metav1.Condition). */
export const conditionSchema = {
  type: "object",
  required: ["type", "status", "lastTransitionTime", "reason", "message"],
  properties: {
    type: { type: "string", maxLength: 316 },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    observedGeneration: { type: "integer", format: "int64", minimum: 0 },
    lastTransitionTime: { type: "string", format: "date-time" },
    reason: { type: "string", maxLength: 1024 },
    message: { type: "string", maxLength: 32768 },
  },
} as const;

/** `kubectl get` columns showing the Ready condition. */
export const readyColumns = [
  { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
] as const;

/** The usual Age column. */
export const ageColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" } as const;
