/**
 * The workload kinds the restart controller rolls (Deployment, StatefulSet, DaemonSet), from one table: where each
 * lives in the API and why patching its pod template may not replace pods by itself. One adapter serves every kind
 * through the runtime's KubeClient: read it, and patch the single pod-template annotation that makes a rolling
 * restart. The patch carries the resourceVersion it was decided on, so a concurrent writer causes a 409 that the
 * controller answers by re-reading and deciding again.
 */
import type { CustomResource, KubeClient } from "../kube/client.ts";
import type { EventSubject } from "../kube/events.ts";
import { RESTART_COMPONENT, WorkloadKind } from "./constants.ts";
import type { WorkloadKind as WorkloadKindType } from "./constants.ts";
import type { WorkloadView } from "./decide.ts";
import type { PodTemplateLike } from "./references.ts";

/** A workload as the controller handles it (the apps/v1 object, loosely typed). */
export interface Workload {
  kind: WorkloadKindType;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  spec?: {
    template?: PodTemplateLike;
    paused?: boolean;
    updateStrategy?: { type?: string };
  };
}

/** What differs between workload kinds. */
interface WorkloadKindSpec {
  resource: CustomResource;
  /** Why patching the template will not replace pods by itself, when that is so (shown in the Event). */
  rolloutCaveat(workload: Workload): string | undefined;
}

const onDelete = (workload: Workload) =>
  workload.spec?.updateStrategy?.type === "OnDelete"
    ? "updateStrategy OnDelete: pods pick the change up when they are deleted"
    : undefined;

/** Every workload kind the controller restarts. */
export const WORKLOAD_KINDS: Readonly<Record<WorkloadKindType, WorkloadKindSpec>> = {
  [WorkloadKind.deployment]: {
    resource: { group: "apps", version: "v1", plural: "deployments" },
    rolloutCaveat: (workload) =>
      workload.spec?.paused ? "the Deployment is paused: the rollout starts when it is resumed" : undefined,
  },
  [WorkloadKind.statefulSet]: {
    resource: { group: "apps", version: "v1", plural: "statefulsets" },
    rolloutCaveat: onDelete,
  },
  [WorkloadKind.daemonSet]: {
    resource: { group: "apps", version: "v1", plural: "daemonsets" },
    rolloutCaveat: onDelete,
  },
};

/** Reads and restarts workloads of one kind through the runtime's KubeClient. */
export class WorkloadAdapter {
  readonly kind: WorkloadKindType;
  /** Where the kind lives (for its informer). */
  readonly resource: CustomResource;
  private readonly kube: KubeClient;

  constructor(kube: KubeClient, kind: WorkloadKindType) {
    this.kube = kube;
    this.kind = kind;
    this.resource = WORKLOAD_KINDS[kind].resource;
  }

  /** Reads the workload fresh from the apiserver; undefined when it is gone. */
  async read(namespace: string, name: string): Promise<Workload | undefined> {
    const object = await this.kube.readObject(this.resource, namespace, name);
    return object && { ...(object as unknown as Omit<Workload, "kind">), kind: this.kind };
  }

  /** Sets `spec.template.metadata.annotations[key] = value`, preconditioned on `workload`'s resourceVersion. */
  async patchTemplateAnnotation(workload: Workload, key: string, value: string): Promise<void> {
    const { name, namespace, resourceVersion } = workload.metadata;
    await this.kube.patchObject(
      this.resource,
      namespace,
      name,
      {
        metadata: { resourceVersion },
        spec: { template: { metadata: { annotations: { [key]: value } } } },
      },
      RESTART_COMPONENT,
    );
  }

  /** Why patching the template will not replace pods by itself, when that is so (shown in the Event). */
  rolloutCaveat(workload: Workload): string | undefined {
    return WORKLOAD_KINDS[this.kind].rolloutCaveat(workload);
  }
}

/** One adapter per kind of {@link WORKLOAD_KINDS}. */
export function createWorkloadAdapters(kube: KubeClient): WorkloadAdapter[] {
  return Object.values(WorkloadKind).map((kind) => new WorkloadAdapter(kube, kind));
}

/** The decision's view of a workload. */
export function workloadView(workload: Workload): WorkloadView {
  const { name, namespace, annotations } = workload.metadata;
  return { kind: workload.kind, namespace, name, annotations, template: workload.spec?.template };
}

/** The Event subject of a workload. */
export function eventSubject(workload: Workload): EventSubject {
  const { name, namespace, uid } = workload.metadata;
  return { apiVersion: "apps/v1", kind: workload.kind, name, namespace, uid };
}
