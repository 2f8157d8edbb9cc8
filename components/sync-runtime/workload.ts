/** Pure builders for the runtime's Deployment, ConfigMap bundle check, CRD filter (table-tested). */
import { gzipSync } from "node:zlib";
import type * as k8s from "@pulumi/kubernetes";
import { RuntimeEnv } from "../../common/vocabulary.ts";

/** ConfigMaps (and Secrets) cap at 1 MiB of data. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;
/**
 * Key holding the gzip-compressed bundle in its ConfigMap (`binaryData`), and where it is mounted. The minified
 * bundle is ~3.9 MB (client-node, undici, zod, the Azure SDKs, node-forge); gzip brings it to ~0.83 MB, inside
 * the 1 MiB cap.
 */
export const BUNDLE_KEY = "sync-runtime.mjs.gz";
export const BUNDLE_MOUNT_PATH = "/opt/keyfleet";
/** emptyDir where an init container unpacks the bundle; the runtime container runs it from there. */
export const UNPACKED_PATH = "/runtime";
/** File name of the unpacked bundle. */
export const UNPACKED_FILE = "sync-runtime.mjs";
/** Labels on everything the runtime owns. */
export const RUNTIME_LABELS = {
  "app.kubernetes.io/name": "keyfleet-sync-runtime",
  "app.kubernetes.io/managed-by": "keyfleet",
} as const;
/** Kubernetes object name of the runtime's Deployment, ServiceAccount, roles and admission policies. */
export const RUNTIME_NAME = "keyfleet-sync-runtime";
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

/** The bundle as stored in the ConfigMap: gzip level 9 (deterministic: zlib writes no timestamp). */
export function compressBundle(bundle: string): Buffer {
  return gzipSync(Buffer.from(bundle, "utf8"), { level: 9 });
}

/** Byte size of the ConfigMap payload for a bundle (compressed bytes + key). */
export function bundleBytes(bundle: string): number {
  return compressBundle(bundle).byteLength + Buffer.byteLength(BUNDLE_KEY, "utf8");
}

/** Error message when the bundle does not fit a ConfigMap, or undefined when it fits. */
export function bundleTooLarge(bundle: string): string | undefined {
  const size = bundleBytes(bundle);
  return size > CONFIGMAP_LIMIT_BYTES
    ? `the runtime bundle is ${size} bytes gzip-compressed; a ConfigMap holds at most ${CONFIGMAP_LIMIT_BYTES} bytes (1 MiB). ` +
        "Use delivery { image } (syncRuntime.delivery: image with a registry image) or shrink the bundle (minify)."
    : undefined;
}

/**
 * Default of the runtime's ready timeout in seconds: an image pull and the rolling start of a replica fit well
 * inside five minutes on a real cluster (Pulumi's own await default is 600, long enough to look like a hang).
 */
export const DEFAULT_READY_TIMEOUT_SECONDS = 300;
/** The annotation @pulumi/kubernetes reads a resource's await timeout from. */
export const TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds";
/** The annotation that makes @pulumi/kubernetes skip its await of a resource. */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

/** Annotations bounding how long `pulumi up` waits for the runtime's Deployment (pure). */
export function readyAnnotations(readyTimeoutSeconds: number): Record<string, string> {
  return { [TIMEOUT_ANNOTATION]: String(readyTimeoutSeconds) };
}

/** V8 heap bounds for the runtime container (old space 128 MiB, small young generation). */
export const RUNTIME_NODE_OPTIONS = "--max-old-space-size=128 --max-semi-space-size=2";

/**
 * V8 flags on the runtime's command line (NODE_OPTIONS does not accept them). `--lite-mode` keeps V8 to its
 * interpreter and allocates feedback lazily: measured with 10,000 SecretSyncs (npm run bench, restart comparison)
 * it cut RSS by about a quarter (192 → 145 MiB) with CPU time within the runs' noise: the runtime waits on I/O far
 * more than it computes.
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ["--lite-mode"];

/** Kubernetes image pull policy. */
export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";

/**
 * How the runtime's code reaches the pod. `imagePullPolicy` defaults to Kubernetes' own default; `Never` suits an
 * image imported into the node (the proving ground's), so a missing image fails as ErrImageNeverPull at once.
 */
export type RuntimeDelivery =
  | { image: string; imagePullPolicy?: ImagePullPolicy }
  | { bundle: string; nodeImage: string; imagePullPolicy?: ImagePullPolicy };

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
    imagePullPolicy: input.delivery.imagePullPolicy || undefined,
    command: bundled
      ? ["node", ...RUNTIME_NODE_FLAGS, `${UNPACKED_PATH}/${UNPACKED_FILE}`, "run"]
      : undefined,
    env: [
      { name: RuntimeEnv.identity, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: RuntimeEnv.runtimeNamespace, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      // The heap bounds the benchmark measured the runtime with (scripts/bench/scale.ts), inside the 256Mi limit.
      { name: "NODE_OPTIONS", value: RUNTIME_NODE_OPTIONS },
      { name: RuntimeEnv.healthPort, value: String(input.ports.health) },
      { name: RuntimeEnv.metricsPort, value: String(input.ports.metrics) },
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
    volumeMounts: bundled ? [{ name: "runtime", mountPath: UNPACKED_PATH, readOnly: true }] : undefined,
  };
}

/**
 * Init container of the bundle delivery: gunzips the mounted bundle into the `runtime` emptyDir with the same
 * stock Node image (no shell needed), so the runtime container keeps a read-only root filesystem.
 */
export function unpackContainer(
  nodeImage: string,
  imagePullPolicy?: ImagePullPolicy,
): k8s.types.input.core.v1.Container {
  const script =
    "const fs=require('node:fs'),zlib=require('node:zlib');" +
    `fs.writeFileSync('${UNPACKED_PATH}/${UNPACKED_FILE}',zlib.gunzipSync(fs.readFileSync('${BUNDLE_MOUNT_PATH}/${BUNDLE_KEY}')))`;
  return {
    name: "unpack-runtime",
    image: nodeImage,
    imagePullPolicy: imagePullPolicy || undefined,
    command: ["node", "-e", script],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [
      { name: "bundle", mountPath: BUNDLE_MOUNT_PATH, readOnly: true },
      { name: "runtime", mountPath: UNPACKED_PATH },
    ],
  };
}
