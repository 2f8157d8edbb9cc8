/**
 * One adapter per workload kind (Deployment, StatefulSet, DaemonSet): list/read it and patch the single
 * pod-template annotation that makes a rolling restart. The patch carries the resourceVersion it was decided on,
 * so a concurrent writer causes a 409 that the controller answers by re-reading and deciding again.
 */
import * as k8s from "@kubernetes/client-node";
import { WorkloadKind } from "./constants.ts";
import type { WorkloadKind as WorkloadKindType } from "./constants.ts";
import type { WorkloadView } from "./decide.ts";
import type { EventTarget } from "./events.ts";
import type { PodTemplateLike } from "./references.ts";

/** A workload as the controller handles it (the apps/v1 object, loosely typed). */
export interface Workload {
  kind: WorkloadKindType;
  metadata: k8s.V1ObjectMeta & { name: string; namespace: string };
  spec?: {
    template?: PodTemplateLike;
    paused?: boolean;
    updateStrategy?: { type?: string };
  };
}

/** The apps/v1 calls an adapter needs for one kind. */
export interface WorkloadAdapter {
  readonly kind: WorkloadKindType;
  /** Path for a list+watch informer of this kind (all namespaces or one). */
  watchPath(namespace?: string): string;
  list(namespace?: string): Promise<Workload[]>;
  read(namespace: string, name: string): Promise<Workload>;
  /** Sets `spec.template.metadata.annotations[key] = value`, preconditioned on `workload`'s resourceVersion. */
  patchTemplateAnnotation(workload: Workload, key: string, value: string): Promise<Workload>;
  /** Why patching the template will not replace pods by itself, when that is so (shown in the Event). */
  rolloutCaveat(workload: Workload): string | undefined;
}

const MERGE_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

function patchBody(workload: Workload, key: string, value: string): object {
  return {
    metadata: { resourceVersion: workload.metadata.resourceVersion },
    spec: { template: { metadata: { annotations: { [key]: value } } } },
  };
}

function tag(kind: WorkloadKindType, object: unknown): Workload {
  return { ...(object as Omit<Workload, "kind">), kind };
}

/** True when an API error is a 409 Conflict. */
export function isConflict(error: unknown): boolean {
  return error instanceof k8s.ApiException && error.code === 409;
}

/** Deployments. */
export class DeploymentAdapter implements WorkloadAdapter {
  readonly kind = WorkloadKind.deployment;
  private readonly api: k8s.AppsV1Api;
  constructor(kubeConfig: k8s.KubeConfig) {
    this.api = kubeConfig.makeApiClient(k8s.AppsV1Api);
  }
  watchPath(namespace?: string): string {
    return namespace ? `/apis/apps/v1/namespaces/${namespace}/deployments` : "/apis/apps/v1/deployments";
  }
  async list(namespace?: string): Promise<Workload[]> {
    const list = namespace
      ? await this.api.listNamespacedDeployment({ namespace })
      : await this.api.listDeploymentForAllNamespaces();
    return list.items.map((item) => tag(this.kind, item));
  }
  async read(namespace: string, name: string): Promise<Workload> {
    return tag(this.kind, await this.api.readNamespacedDeployment({ name, namespace }));
  }
  async patchTemplateAnnotation(workload: Workload, key: string, value: string): Promise<Workload> {
    const { name, namespace } = workload.metadata;
    return tag(
      this.kind,
      await this.api.patchNamespacedDeployment(
        { name, namespace, body: patchBody(workload, key, value) },
        MERGE_PATCH,
      ),
    );
  }
  rolloutCaveat(workload: Workload): string | undefined {
    return workload.spec?.paused
      ? "the Deployment is paused: the rollout starts when it is resumed"
      : undefined;
  }
}

/** StatefulSets. */
export class StatefulSetAdapter implements WorkloadAdapter {
  readonly kind = WorkloadKind.statefulSet;
  private readonly api: k8s.AppsV1Api;
  constructor(kubeConfig: k8s.KubeConfig) {
    this.api = kubeConfig.makeApiClient(k8s.AppsV1Api);
  }
  watchPath(namespace?: string): string {
    return namespace ? `/apis/apps/v1/namespaces/${namespace}/statefulsets` : "/apis/apps/v1/statefulsets";
  }
  async list(namespace?: string): Promise<Workload[]> {
    const list = namespace
      ? await this.api.listNamespacedStatefulSet({ namespace })
      : await this.api.listStatefulSetForAllNamespaces();
    return list.items.map((item) => tag(this.kind, item));
  }
  async read(namespace: string, name: string): Promise<Workload> {
    return tag(this.kind, await this.api.readNamespacedStatefulSet({ name, namespace }));
  }
  async patchTemplateAnnotation(workload: Workload, key: string, value: string): Promise<Workload> {
    const { name, namespace } = workload.metadata;
    return tag(
      this.kind,
      await this.api.patchNamespacedStatefulSet(
        { name, namespace, body: patchBody(workload, key, value) },
        MERGE_PATCH,
      ),
    );
  }
  rolloutCaveat(workload: Workload): string | undefined {
    return workload.spec?.updateStrategy?.type === "OnDelete"
      ? "updateStrategy OnDelete: pods pick the change up when they are deleted"
      : undefined;
  }
}

/** DaemonSets. */
export class DaemonSetAdapter implements WorkloadAdapter {
  readonly kind = WorkloadKind.daemonSet;
  private readonly api: k8s.AppsV1Api;
  constructor(kubeConfig: k8s.KubeConfig) {
    this.api = kubeConfig.makeApiClient(k8s.AppsV1Api);
  }
  watchPath(namespace?: string): string {
    return namespace ? `/apis/apps/v1/namespaces/${namespace}/daemonsets` : "/apis/apps/v1/daemonsets";
  }
  async list(namespace?: string): Promise<Workload[]> {
    const list = namespace
      ? await this.api.listNamespacedDaemonSet({ namespace })
      : await this.api.listDaemonSetForAllNamespaces();
    return list.items.map((item) => tag(this.kind, item));
  }
  async read(namespace: string, name: string): Promise<Workload> {
    return tag(this.kind, await this.api.readNamespacedDaemonSet({ name, namespace }));
  }
  async patchTemplateAnnotation(workload: Workload, key: string, value: string): Promise<Workload> {
    const { name, namespace } = workload.metadata;
    return tag(
      this.kind,
      await this.api.patchNamespacedDaemonSet(
        { name, namespace, body: patchBody(workload, key, value) },
        MERGE_PATCH,
      ),
    );
  }
  rolloutCaveat(workload: Workload): string | undefined {
    return workload.spec?.updateStrategy?.type === "OnDelete"
      ? "updateStrategy OnDelete: pods pick the change up when they are deleted"
      : undefined;
  }
}

/** The three adapters. */
export function createWorkloadAdapters(kubeConfig: k8s.KubeConfig): WorkloadAdapter[] {
  return [
    new DeploymentAdapter(kubeConfig),
    new StatefulSetAdapter(kubeConfig),
    new DaemonSetAdapter(kubeConfig),
  ];
}

/** The decision's view of a workload. */
export function workloadView(workload: Workload): WorkloadView {
  const { name, namespace, annotations } = workload.metadata;
  return { kind: workload.kind, namespace, name, annotations, template: workload.spec?.template };
}

/** The Event target of a workload. */
export function eventTarget(workload: Workload): EventTarget {
  const { name, namespace, uid } = workload.metadata;
  return { apiVersion: "apps/v1", kind: workload.kind, name, namespace, uid };
}
