/**
 * The one wrapper over @kubernetes/client-node for the sync runtime's calls: Secret apply/read, objects by
 * group/version/plural (custom resources and apps/v1 workloads: server-side apply, guarded merge patch and delete,
 * read, list, status), CRDs, API discovery, Events, TokenRequest and Leases. Informers are in informers.ts (their
 * kinds in kinds.ts), errors in errors.ts, the Event sink in events.ts, the shared connection pool in pool.ts.
 * Every error leaving it is a {@link KubeError} with a value-free message.
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { COMPONENT, FIELD_MANAGER, SECRET_SYNC, TOKEN_EXCHANGE_AUDIENCE } from "../constants.ts";
import type { DesiredSecret } from "../sync/decide.ts";
import type { SecretResource, SecretSyncResource, SecretSyncStatus } from "../sync/types.ts";
import { isNotFound, sentSecretValues, toKubeError } from "./errors.ts";
import type { EventSubject } from "./events.ts";
import { makeApiClient } from "./pool.ts";

const APPLY = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply);
const MERGE = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

/** Group/version/plural of a custom resource (or of any API group's resource, e.g. apps/v1 deployments). */
export interface CustomResource {
  group: string;
  version: string;
  plural: string;
}

/** A namespaced custom object as JSON (loosely typed: callers validate what they read). */
export interface CustomObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid?: string };
  spec?: unknown;
  status?: unknown;
}

/** Thin client; construct one per process with the runtime's KubeConfig. */
export class KubeClient {
  /** The KubeConfig (for informers and for controllers that share it). */
  readonly kubeConfig: k8s.KubeConfig;
  private readonly core: k8s.CoreV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly coordination: k8s.CoordinationV1Api;
  private readonly extensions: k8s.ApiextensionsV1Api;
  private readonly instance: string;

  /** @param instance reportingInstance of Events. Default the host name. */
  constructor(kubeConfig: k8s.KubeConfig, instance = process.env.HOSTNAME ?? COMPONENT) {
    this.kubeConfig = kubeConfig;
    this.core = makeApiClient(kubeConfig, k8s.CoreV1Api);
    this.custom = makeApiClient(kubeConfig, k8s.CustomObjectsApi);
    this.coordination = makeApiClient(kubeConfig, k8s.CoordinationV1Api);
    this.extensions = makeApiClient(kubeConfig, k8s.ApiextensionsV1Api);
    this.instance = instance;
  }

  /** Server-side applies the Secret (field manager keyfleet, forced: keyfleet is the Secret's controller). */
  async applySecret(secret: DesiredSecret): Promise<SecretResource> {
    try {
      const applied = await this.core.patchNamespacedSecret(
        {
          name: secret.metadata.name,
          namespace: secret.metadata.namespace,
          body: secret,
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        APPLY,
      );
      return applied as unknown as SecretResource;
    } catch (error) {
      throw toKubeError(`apply of Secret ${secret.metadata.namespace}/${secret.metadata.name}`, error, {
        sentValues: sentSecretValues(secret.data),
      });
    }
  }

  /** Reads a Secret, or undefined when absent. */
  async readSecret(namespace: string, name: string): Promise<SecretResource | undefined> {
    try {
      return (await this.core.readNamespacedSecret({ namespace, name })) as unknown as SecretResource;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toKubeError(`read of Secret ${namespace}/${name}`, error);
    }
  }

  /** Creates a Secret (used for the runtime's own hash key); returns false when it already exists. */
  async createSecret(
    namespace: string,
    name: string,
    data: Record<string, string>,
    labels: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.core.createNamespacedSecret({
        namespace,
        body: { metadata: { name, namespace, labels }, type: "Opaque", data },
        fieldManager: FIELD_MANAGER,
      });
      return true;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 409) return false;
      throw toKubeError(`create of Secret ${namespace}/${name}`, error);
    }
  }

  /** Writes SecretSync status (see {@link writeStatus}); throws on any failure, a concurrent writer included. */
  async writeSyncStatus(
    namespace: string,
    name: string,
    status: SecretSyncStatus,
    resourceVersion?: string,
  ): Promise<string | undefined> {
    return this.writeStatus(SECRET_SYNC, namespace, name, status, FIELD_MANAGER, resourceVersion);
  }

  /** Reads a SecretSync fresh from the apiserver (not the cache), or undefined when it is gone. */
  async readSecretSync(namespace: string, name: string): Promise<SecretSyncResource | undefined> {
    return (await this.readObject(SECRET_SYNC, namespace, name)) as SecretSyncResource | undefined;
  }

  /** Server-side applies a custom object (forced: the caller decided it owns the object). */
  async applyObject(resource: CustomResource, object: CustomObject, fieldManager: string): Promise<void> {
    const { name, namespace } = object.metadata;
    try {
      await this.custom.patchNamespacedCustomObject(
        { ...resource, namespace, name, body: object, fieldManager, force: true },
        APPLY,
      );
    } catch (error) {
      throw toKubeError(`apply of ${resource.plural} ${namespace}/${name}`, error);
    }
  }

  /** Deletes a custom object only while it has `uid` (a re-created object of the same name is never hit); 404 is done. */
  async deleteObject(resource: CustomResource, namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({
        ...resource,
        namespace,
        name,
        body: { preconditions: uid ? { uid } : {}, propagationPolicy: "Background" },
      });
    } catch (error) {
      if (!isNotFound(error)) throw toKubeError(`delete of ${resource.plural} ${namespace}/${name}`, error);
    }
  }

  /** Lists the custom objects of a namespace; a resource that is not served (CRD absent) lists as none. */
  async listObjects(resource: CustomResource, namespace: string): Promise<CustomObject[]> {
    try {
      const list = (await this.custom.listNamespacedCustomObject({ ...resource, namespace })) as {
        items?: CustomObject[];
      };
      return list.items ?? [];
    } catch (error) {
      if (isNotFound(error)) return [];
      throw toKubeError(`list of ${resource.plural} in ${namespace}`, error);
    }
  }

  /**
   * Merge-patches an object; a `metadata.resourceVersion` in `patch` makes the write conditional (a concurrent
   * writer gets a {@link KubeError} with status 409). Returns the object as written.
   */
  async patchObject(
    resource: CustomResource,
    namespace: string,
    name: string,
    patch: object,
    fieldManager: string,
  ): Promise<CustomObject> {
    try {
      return (await this.custom.patchNamespacedCustomObject(
        { ...resource, namespace, name, body: patch, fieldManager },
        MERGE,
      )) as CustomObject;
    } catch (error) {
      throw toKubeError(`patch of ${resource.plural} ${namespace}/${name}`, error);
    }
  }

  /** True when the apiserver serves `resource` (API discovery of its group/version). */
  async servesResource(resource: CustomResource): Promise<boolean> {
    try {
      const list = await this.custom.getAPIResources({ group: resource.group, version: resource.version });
      return list.resources.some((r) => r.name === resource.plural);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw toKubeError(`discovery of ${resource.group}/${resource.version}`, error);
    }
  }

  /** Reads a CustomResourceDefinition, or undefined. */
  async readCrd(name: string): Promise<k8s.V1CustomResourceDefinition | undefined> {
    try {
      return await this.extensions.readCustomResourceDefinition({ name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toKubeError(`read of CustomResourceDefinition ${name}`, error);
    }
  }

  /** Server-side applies a CustomResourceDefinition (forced). */
  async applyCrd(crd: { metadata: { name: string } }, fieldManager: string): Promise<void> {
    const name = crd.metadata.name;
    try {
      await this.extensions.patchCustomResourceDefinition(
        { name, body: crd, fieldManager, force: true },
        APPLY,
      );
    } catch (error) {
      throw toKubeError(`apply of CustomResourceDefinition ${name}`, error);
    }
  }

  /** Reads one custom object (fresh, not from a cache), or undefined. */
  async readObject(
    resource: CustomResource,
    namespace: string,
    name: string,
  ): Promise<CustomObject | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...resource, namespace, name })) as CustomObject;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toKubeError(`read of ${resource.plural} ${namespace}/${name}`, error);
    }
  }

  /**
   * Writes `status` (merge patch on the status subresource; `objects` always sent so an emptied list clears),
   * guarded by resourceVersion when given. Returns the new resourceVersion.
   */
  async writeStatus(
    resource: CustomResource,
    namespace: string,
    name: string,
    status: { objects?: unknown[] },
    fieldManager: string,
    resourceVersion?: string,
  ): Promise<string | undefined> {
    try {
      const body = {
        metadata: resourceVersion ? { resourceVersion } : {},
        status: { ...status, objects: status.objects ?? [] },
      };
      const result = (await this.custom.patchNamespacedCustomObjectStatus(
        { ...resource, namespace, name, body, fieldManager },
        MERGE,
      )) as { metadata?: { resourceVersion?: string } };
      return result.metadata?.resourceVersion;
    } catch (error) {
      throw toKubeError(`status write of ${resource.plural} ${namespace}/${name}`, error);
    }
  }

  /** Records a core/v1 Event (best effort: its name, or undefined instead of throwing). Messages must be value-free. */
  async emitEvent(
    subject: EventSubject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    component: string = COMPONENT,
  ): Promise<string | undefined> {
    const now = new Date();
    const name = `${subject.name}.${randomBytes(8).toString("hex")}`;
    try {
      await this.core.createNamespacedEvent({
        namespace: subject.namespace,
        body: {
          metadata: { name, namespace: subject.namespace },
          involvedObject: {
            apiVersion: subject.apiVersion,
            kind: subject.kind,
            name: subject.name,
            namespace: subject.namespace,
            uid: subject.uid || undefined,
          },
          type,
          reason,
          message: message.length > 1000 ? `${message.slice(0, 999)}…` : message,
          source: { component },
          reportingComponent: component,
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      return name;
    } catch {
      return undefined;
    }
  }

  /** Folds repeats into an Event: sets its `count` and `lastTimestamp` (merge patch). False when that failed. */
  async updateEventCount(
    namespace: string,
    name: string,
    count: number,
    lastTimestamp: Date,
  ): Promise<boolean> {
    try {
      await this.core.patchNamespacedEvent(
        { namespace, name, body: { count, lastTimestamp: lastTimestamp.toISOString() } },
        MERGE,
      );
      return true;
    } catch {
      return false;
    }
  }

  /** TokenRequest for a ServiceAccount (audience api://AzureADTokenExchange by default). */
  async requestServiceAccountToken(
    namespace: string,
    serviceAccountName: string,
    expirationSeconds: number,
    audience: string = TOKEN_EXCHANGE_AUDIENCE,
  ): Promise<string> {
    try {
      const result = await this.core.createNamespacedServiceAccountToken({
        namespace,
        name: serviceAccountName,
        body: { spec: { audiences: [audience], expirationSeconds } },
      });
      const token = result.status?.token;
      if (!token) throw new Error("TokenRequest returned no token");
      return token;
    } catch (error) {
      throw toKubeError(`TokenRequest for ServiceAccount ${namespace}/${serviceAccountName}`, error);
    }
  }

  /** Reads a Lease, or undefined. */
  async readLease(namespace: string, name: string): Promise<k8s.V1Lease | undefined> {
    try {
      return await this.coordination.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toKubeError(`read of Lease ${namespace}/${name}`, error);
    }
  }

  /** Creates a Lease; false when it already exists. */
  async createLease(lease: k8s.V1Lease): Promise<boolean> {
    try {
      await this.coordination.createNamespacedLease({ namespace: lease.metadata!.namespace!, body: lease });
      return true;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 409) return false;
      throw toKubeError("create of Lease", error);
    }
  }

  /** Replaces a Lease (resourceVersion-guarded); false on conflict. */
  async replaceLease(lease: k8s.V1Lease): Promise<boolean> {
    try {
      await this.coordination.replaceNamespacedLease({
        namespace: lease.metadata!.namespace!,
        name: lease.metadata!.name!,
        body: lease,
      });
      return true;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 409) return false;
      throw toKubeError("update of Lease", error);
    }
  }
}
