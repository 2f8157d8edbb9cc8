/** Pure builders for the runtime's Deployment, ConfigMap bundle check, CRD filter (table-tested). */
import type * as k8s from "@pulumi/kubernetes";

/** ConfigMaps (and Secrets) cap at 1 MiB of data. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;
/** Key holding the bundle in its ConfigMap, and where it is mounted. */
export const BUNDLE_KEY = "main.mjs";
export const BUNDLE_MOUNT_PATH = "/opt/keyfleet";
/** Default ports: health probes (/healthz, /readyz) and Prometheus metrics (/metrics). */
export const DEFAULT_PORTS = { health: 8081, metrics: 9090 } as const;

/** A CRD object as `keyfleetCrds()` returns it (apiextensions.k8s.io/v1). */
export interface CrdManifest {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

/** CRDs keyfleet must declare: those not already installed by an add-on/extension (creates do not upsert). */
export function crdsToDeclare(crds: readonly CrdManifest[], preinstalled: readonly string[]): CrdManifest[] {
  const skip = new Set(preinstalled);
  return crds.filter((c) => c.metadata.name && !skip.has(c.metadata.name));
}

/** Byte size of the ConfigMap payload for a bundle. */
export function bundleBytes(bundle: string): number {
  return Buffer.byteLength(bundle, "utf8") + Buffer.byteLength(BUNDLE_KEY, "utf8");
}

/** Error message when the bundle does not fit a ConfigMap, or undefined when it fits. */
export function bundleTooLarge(bundle: string): string | undefined {
  const size = bundleBytes(bundle);
  return size > CONFIGMAP_LIMIT_BYTES
    ? `the runtime bundle is ${size} bytes; a ConfigMap holds at most ${CONFIGMAP_LIMIT_BYTES} bytes (1 MiB). ` +
        "Use delivery { image } (syncRuntime.delivery: image with a registry image) or shrink the bundle (minify)."
    : undefined;
}

/** How the runtime's code reaches the pod. */
export type RuntimeDelivery = { image: string } | { bundle: string; nodeImage: string };

/** Inputs of {@link runtimeContainer}. */
export interface ContainerInput {
  delivery: RuntimeDelivery;
  /** Extra env (settings); plain strings only. */
  env: Record<string, string>;
  ports: { health: number; metrics: number };
}

/** The runtime container: probes, non-root, read-only root, no privilege escalation, bounded resources. */
export function runtimeContainer(input: ContainerInput): k8s.types.input.core.v1.Container {
  const bundled = "bundle" in input.delivery;
  return {
    name: "sync-runtime",
    image: bundled
      ? (input.delivery as { nodeImage: string }).nodeImage
      : (input.delivery as { image: string }).image,
    ...(bundled ? { command: ["node", `${BUNDLE_MOUNT_PATH}/${BUNDLE_KEY}`] } : {}),
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "KEYFLEET_HEALTH_PORT", value: String(input.ports.health) },
      { name: "KEYFLEET_METRICS_PORT", value: String(input.ports.metrics) },
      ...Object.keys(input.env)
        .sort()
        .map((name) => ({ name, value: input.env[name]! })),
    ],
    ports: [
      { name: "health", containerPort: input.ports.health },
      { name: "metrics", containerPort: input.ports.metrics },
    ],
    livenessProbe: { httpGet: { path: "/healthz", port: "health" }, periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: "/readyz", port: "health" }, periodSeconds: 5, failureThreshold: 2 },
    resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "256Mi" } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...(bundled ? { volumeMounts: [{ name: "bundle", mountPath: BUNDLE_MOUNT_PATH, readOnly: true }] } : {}),
  };
}
