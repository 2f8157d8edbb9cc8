/**
 * SyncRuntime: keyfleet's bundled reconciler in one cluster — the CRDs the cluster does not already have,
 * its namespace, least-privilege RBAC, a Deployment (registry image, or the esbuild bundle mounted from a
 * ConfigMap into a stock Node LTS image), probes, a PodDisruptionBudget and a metrics Service.
 * Pass the cluster's Kubernetes provider through `opts.providers` / `opts.provider`.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RuntimeEnv } from "../../common/vocabulary.ts";
import { check, COMPONENT_PREFIX, DNS_LABEL_PATTERN, slug } from "../base/validate.ts";
import type { ServiceAccountRef } from "../workload-identity/properties.ts";
import { HASH_KEY_SECRET_NAME } from "../../sync-runtime/hash-key.ts";
import { admissionPolicies, admissionSettingsProblems, type AdmissionPolicySettings } from "./admission.ts";
import { clusterRules, leaseRules, tokenRequestRules } from "./rbac.ts";
import {
  BUNDLE_KEY,
  bundleTooLarge,
  compressBundle,
  unpackContainer,
  crdsToDeclare,
  DEFAULT_PORTS,
  DEFAULT_READY_TIMEOUT_SECONDS,
  readyAnnotations,
  runtimeContainer,
  RUNTIME_LABELS,
  RUNTIME_NAME,
  SKIP_AWAIT_ANNOTATION,
  type CrdManifest,
  type RuntimeDelivery,
} from "./workload.ts";

export * from "./admission.ts";
export * from "./rbac.ts";
export * from "./workload.ts";

/** Rotation settings handed to the runtime as environment (docs/sync-runtime.md lists the variables). */
export interface RuntimeSettings {
  /** Seconds between polls of one SecretSync. The fleet configuration's default is 300. */
  rotationPollIntervalSeconds: number;
  /** Upper bound of the random delay added to each poll, seconds. The fleet configuration's default is 30. */
  jitterSeconds: number;
  /** Write the items fetched even when others fail. The fleet configuration's default is true. */
  enablePartialSecretSync: boolean;
  /** Vault read budget per 10 s per vault for this runtime. The fleet configuration's default is 200. */
  vaultRequestsPer10s: number;
}

/** Arguments of {@link SyncRuntime}. */
export interface SyncRuntimeArgs {
  /** Runtime namespace. Default "keyfleet-system". */
  namespace?: string;
  /** All CRDs the runtime serves (from `keyfleetCrds()`); those in `preinstalledCrds` are skipped. */
  crds: CrdManifest[];
  /** CRD names an add-on/extension already installed on this cluster. Default []. */
  preinstalledCrds?: string[];
  /** Image, or bundle + stock Node image. */
  delivery: RuntimeDelivery;
  /** Default 2 (one leader). */
  replicas?: number;
  /** ServiceAccounts the runtime may request tokens for (one Role per namespace). Required. */
  servedServiceAccounts: ServiceAccountRef[];
  /** Resources that must exist before the per-namespace Roles (the served namespaces). Default []. */
  servedNamespaceDependsOn?: pulumi.Resource[];
  /** Rotation settings. Required. */
  settings: RuntimeSettings;
  /** Extra plain env (e.g. local endpoints). Default {}. */
  env?: Record<string, string>;
  /** Default {@link DEFAULT_PORTS}. */
  ports?: { health: number; metrics: number };
  /**
   * ValidatingAdmissionPolicies guarding the runtime's Secret writes and SecretSyncs' Secret metadata
   * (./admission.ts). Default: installed, no extra denied types, every namespace. `{ enabled: false }` for
   * clusters older than Kubernetes 1.30 or where another policy engine does the same.
   */
  admissionPolicies?: AdmissionPolicySettings;
  /**
   * Seconds `pulumi up` waits for the Deployment to become ready before it fails with the pods' status, through
   * the `pulumi.com/timeoutSeconds` annotation @pulumi/kubernetes honours (a `customTimeouts` resource option would
   * take precedence). Default {@link DEFAULT_READY_TIMEOUT_SECONDS}.
   */
  readyTimeoutSeconds?: number;
}

/**
 * keyfleet's bundled reconciler in one cluster: the CRDs the cluster does not already have, the runtime namespace,
 * least-privilege RBAC (TokenRequest only for the served ServiceAccounts), a Deployment with probes and leader
 * election, a PodDisruptionBudget and a metrics Service. https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 */
export class SyncRuntime extends pulumi.ComponentResource {
  /** The CRDs declared here (SecretSyncSet objects wait for them). */
  readonly crds: k8s.apiextensions.v1.CustomResourceDefinition[];
  /** Runtime namespace name. */
  readonly namespace: string;

  constructor(name: string, args: SyncRuntimeArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:SyncRuntime`, name, {}, opts);
    const namespace = args.namespace ?? "keyfleet-system";
    const replicas = args.replicas ?? 2;
    check(DNS_LABEL_PATTERN.test(namespace), this, "namespace", `"${namespace}" must be a DNS label`);
    check(
      Number.isInteger(replicas) && replicas >= 1 && replicas <= 5,
      this,
      "replicas",
      `got ${replicas}; allowed 1-5`,
    );
    if ("bundle" in args.delivery) {
      const tooLarge = bundleTooLarge(args.delivery.bundle);
      check(tooLarge === undefined, this, "delivery.bundle", tooLarge ?? "");
      check(
        args.delivery.nodeImage.length > 0,
        this,
        "delivery.nodeImage",
        "required (a stock Node LTS image)",
      );
    } else {
      check(args.delivery.image.length > 0, this, "delivery.image", "required");
    }
    for (const problem of admissionSettingsProblems(args.admissionPolicies))
      check(false, this, problem.option, problem.message);
    const ports = args.ports ?? DEFAULT_PORTS;
    const readyTimeout = args.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
    check(
      Number.isInteger(readyTimeout) && readyTimeout >= 10 && readyTimeout <= 3600,
      this,
      "readyTimeoutSeconds",
      `got ${readyTimeout}; allowed 10-3600`,
    );
    const child = { parent: this };
    this.namespace = namespace;

    this.crds = crdsToDeclare(args.crds, args.preinstalledCrds ?? []).map(
      (crd) =>
        new k8s.apiextensions.v1.CustomResourceDefinition(
          `${name}-crd-${slug(crd.metadata.name!)}`,
          {
            metadata: crd.metadata,
            spec: crd.spec as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec,
          },
          child,
        ),
    );
    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: namespace, labels: RUNTIME_LABELS } },
      child,
    );
    const inNs = { ...child, dependsOn: [ns] };
    const meta = { name: RUNTIME_NAME, namespace, labels: RUNTIME_LABELS };

    new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta }, inNs);
    const subject = [{ kind: "ServiceAccount", name: RUNTIME_NAME, namespace }];
    new k8s.rbac.v1.ClusterRole(
      `${name}-role`,
      { metadata: { name: RUNTIME_NAME, labels: RUNTIME_LABELS }, rules: clusterRules() },
      child,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-role-binding`,
      {
        metadata: { name: RUNTIME_NAME, labels: RUNTIME_LABELS },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: RUNTIME_NAME },
        subjects: subject,
      },
      child,
    );
    new k8s.rbac.v1.Role(
      `${name}-leases`,
      { metadata: { ...meta, name: `${RUNTIME_NAME}-leases` }, rules: leaseRules() },
      inNs,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-leases-binding`,
      {
        metadata: { ...meta, name: `${RUNTIME_NAME}-leases` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${RUNTIME_NAME}-leases` },
        subjects: subject,
      },
      inNs,
    );
    for (const [servedNs, rules] of tokenRequestRules(args.servedServiceAccounts)) {
      const tokenMeta = { name: `${RUNTIME_NAME}-tokens`, namespace: servedNs, labels: RUNTIME_LABELS };
      const deps = { ...child, dependsOn: args.servedNamespaceDependsOn ?? [] };
      new k8s.rbac.v1.Role(`${name}-tokens-${servedNs}`, { metadata: tokenMeta, rules }, deps);
      new k8s.rbac.v1.RoleBinding(
        `${name}-tokens-${servedNs}-binding`,
        {
          metadata: tokenMeta,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: tokenMeta.name },
          subjects: subject,
        },
        deps,
      );
    }

    this.declareAdmissionPolicies(name, namespace, args.admissionPolicies);

    const env = {
      [RuntimeEnv.rotationPollIntervalSeconds]: String(args.settings.rotationPollIntervalSeconds),
      [RuntimeEnv.jitterSeconds]: String(args.settings.jitterSeconds),
      [RuntimeEnv.partialSync]: String(args.settings.enablePartialSecretSync),
      [RuntimeEnv.vaultRequestsPer10s]: String(args.settings.vaultRequestsPer10s),
      ...args.env,
    };
    const podAnnotations: Record<string, string> = {
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(ports.metrics),
    };
    const volumes: k8s.types.input.core.v1.Volume[] = [];
    if ("bundle" in args.delivery) {
      new k8s.core.v1.ConfigMap(
        `${name}-bundle`,
        {
          metadata: { ...meta, name: `${RUNTIME_NAME}-bundle` },
          binaryData: { [BUNDLE_KEY]: compressBundle(args.delivery.bundle).toString("base64") },
        },
        inNs,
      );
      // A new bundle changes the pod template, so the Deployment rolls.
      podAnnotations["keyfleet.io/bundle-sha256"] = createHash("sha256")
        .update(args.delivery.bundle)
        .digest("hex");
      volumes.push(
        { name: "bundle", configMap: { name: `${RUNTIME_NAME}-bundle` } },
        { name: "runtime", emptyDir: { sizeLimit: "16Mi" } },
      );
    }
    const selector = { "app.kubernetes.io/name": RUNTIME_LABELS["app.kubernetes.io/name"] };
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        // pulumi-kubernetes awaits the Deployment until its pods are ready: bounded, so a runtime that cannot
        // start fails fast with the pods' status as the reason instead of after Pulumi's 10 minutes.
        metadata: { ...meta, annotations: readyAnnotations(readyTimeout) },
        spec: {
          replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: RUNTIME_LABELS, annotations: podAnnotations },
            spec: {
              serviceAccountName: RUNTIME_NAME,
              automountServiceAccountToken: true,
              initContainers:
                "bundle" in args.delivery
                  ? [unpackContainer(args.delivery.nodeImage, args.delivery.imagePullPolicy)]
                  : undefined,
              containers: [runtimeContainer({ delivery: args.delivery, env, ports })],
              volumes,
            },
          },
        },
      },
      inNs,
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: meta,
        spec: {
          selector: { matchLabels: selector },
          ...(replicas > 1 ? { minAvailable: 1 } : { maxUnavailable: 1 }),
        },
      },
      inNs,
    );
    new k8s.core.v1.Service(
      `${name}-metrics`,
      {
        // Its readiness is the Deployment's, awaited above; awaiting its endpoints too would add the awaiter's
        // settling delay and a dependency on the endpoint controller for nothing.
        metadata: {
          ...meta,
          name: `${RUNTIME_NAME}-metrics`,
          annotations: { [SKIP_AWAIT_ANNOTATION]: "true" },
        },
        spec: { selector, ports: [{ name: "metrics", port: ports.metrics, targetPort: "metrics" }] },
      },
      inNs,
    );
    this.registerOutputs({ namespace });
  }

  /** The admission policies and their bindings (each binding after its policy). */
  private declareAdmissionPolicies(
    name: string,
    namespace: string,
    settings: AdmissionPolicySettings | undefined,
  ): void {
    const manifests = admissionPolicies({
      name: RUNTIME_NAME,
      runtimeServiceAccount: { namespace, name: RUNTIME_NAME },
      hashKeySecretName: HASH_KEY_SECRET_NAME,
      labels: { ...RUNTIME_LABELS },
      settings,
    });
    const policies = new Map<string, k8s.admissionregistration.v1.ValidatingAdmissionPolicy>();
    for (const manifest of manifests) {
      const short = slug(manifest.metadata.name.slice(RUNTIME_NAME.length));
      const props = { metadata: manifest.metadata, spec: manifest.spec as never };
      if (manifest.kind === "ValidatingAdmissionPolicy") {
        policies.set(
          manifest.metadata.name,
          new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-vap-${short}`, props, {
            parent: this,
          }),
        );
      } else {
        const policy = policies.get(String(manifest.spec.policyName));
        new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-vapb-${short}`, props, {
          parent: this,
          dependsOn: policy ? [policy] : undefined,
        });
      }
    }
  }
}
