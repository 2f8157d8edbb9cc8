/**
 * The one wrapper over @kubernetes/client-node for the sync runtime: Secret apply/read, SecretSync status,
 * Events, TokenRequest and Leases (informers: informers.ts). Every error leaving it is a {@link KubeError} with a value-free
 * message (Kubernetes error bodies are reduced to code, reason and a redacted message).
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { COMPONENT, FIELD_MANAGER, SECRET_SYNC, TOKEN_EXCHANGE_AUDIENCE } from "../constants.ts";
import type { DesiredSecret } from "../sync/decide.ts";
import type { SecretResource, SecretSyncStatus } from "../sync/types.ts";

const APPLY = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply);
const MERGE = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

/** A failed Kubernetes call, reduced to value-free facts. */
export class KubeError extends Error {
  /** HTTP status, when the apiserver answered. */
  readonly status: number | undefined;
  /** metav1.Status reason (Conflict, Invalid, Forbidden, ...), when given. */
  readonly statusReason: string | undefined;
  constructor(
    message: string,
    status: number | undefined,
    statusReason: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KubeError";
    this.status = status;
    this.statusReason = statusReason;
  }
}

/** Long base64/hex runs are replaced so an echoed value can never reach a log or status. */
export function redact(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_-]{24,}/g, "[redacted]").slice(0, 400);
}

/** Turns anything thrown by client-node into a {@link KubeError} (pure). */
export function toKubeError(what: string, error: unknown): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof k8s.ApiException) {
    let body: { reason?: string; message?: string } = {};
    try {
      body = (typeof error.body === "string" ? JSON.parse(error.body) : error.body) as typeof body;
    } catch {
      body = {};
    }
    const detail = body?.message ? `: ${redact(body.message)}` : "";
    return new KubeError(
      `${what} failed (HTTP ${error.code}${body?.reason ? ` ${body.reason}` : ""})${detail}`,
      error.code,
      body?.reason,
      { cause: error },
    );
  }
  const code = (error as { code?: unknown })?.code;
  return new KubeError(
    `${what} failed (${typeof code === "string" ? code : "no answer from the apiserver"})`,
    undefined,
    undefined,
    { cause: error },
  );
}

/** True for a 404. */
export function isNotFound(error: unknown): boolean {
  return (
    (error instanceof k8s.ApiException && error.code === 404) ||
    (error instanceof KubeError && error.status === 404)
  );
}

/**
 * client-node's KubeConfig authentication builds a new HTTP agent (a new TLS connection) for every request.
 * This wraps it so all API clients made from one KubeConfig share one keep-alive connection pool: headers
 * (e.g. a rotated in-cluster token) still come from the KubeConfig on each request.
 */
export function pooledAuthentication(kubeConfig: k8s.KubeConfig): k8s.SecurityAuthentication {
  let dispatcher: ReturnType<k8s.RequestContext["getDispatcher"]>;
  return {
    getName: () => "keyfleet-pooled-kubeconfig",
    async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
      await kubeConfig.applySecurityAuthentication(context);
      if (dispatcher === undefined) dispatcher = context.getDispatcher();
      else context.setDispatcher(dispatcher);
    },
  };
}

const pools = new WeakMap<k8s.KubeConfig, k8s.SecurityAuthentication>();

/** Like `kubeConfig.makeApiClient`, but every client of one KubeConfig shares one connection pool. */
export function makeApiClient<T>(
  kubeConfig: k8s.KubeConfig,
  apiClientType: new (config: k8s.Configuration) => T,
): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  let auth = pools.get(kubeConfig);
  if (!auth) {
    auth = pooledAuthentication(kubeConfig);
    pools.set(kubeConfig, auth);
  }
  const config = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: auth },
  });
  return new apiClientType(config);
}

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** Thin client; construct one per process with the runtime's KubeConfig. */
export class KubeClient {
  /** The KubeConfig (for informers and for controllers that share it). */
  readonly kubeConfig: k8s.KubeConfig;
  private readonly core: k8s.CoreV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly coordination: k8s.CoordinationV1Api;
  private readonly instance: string;

  /** @param instance reportingInstance of Events. Default the host name. */
  constructor(kubeConfig: k8s.KubeConfig, instance = process.env.HOSTNAME ?? COMPONENT) {
    this.kubeConfig = kubeConfig;
    this.core = makeApiClient(kubeConfig, k8s.CoreV1Api);
    this.custom = makeApiClient(kubeConfig, k8s.CustomObjectsApi);
    this.coordination = makeApiClient(kubeConfig, k8s.CoordinationV1Api);
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
      throw toKubeError(`apply of Secret ${secret.metadata.namespace}/${secret.metadata.name}`, error);
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

  /**
   * Writes SecretSync status (merge patch on the status subresource, guarded by resourceVersion when given so a
   * concurrent writer makes this fail rather than be overwritten). Throws on any failure.
   */
  async writeSyncStatus(
    namespace: string,
    name: string,
    status: SecretSyncStatus,
    resourceVersion?: string,
  ): Promise<string | undefined> {
    try {
      const body = {
        metadata: resourceVersion ? { resourceVersion } : {},
        status: { ...status, objects: status.objects ?? [] },
      };
      const result = (await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: SECRET_SYNC.group,
          version: SECRET_SYNC.version,
          plural: SECRET_SYNC.plural,
          namespace,
          name,
          body,
          fieldManager: FIELD_MANAGER,
        },
        MERGE,
      )) as { metadata?: { resourceVersion?: string } };
      return result.metadata?.resourceVersion;
    } catch (error) {
      throw toKubeError(`status write of SecretSync ${namespace}/${name}`, error);
    }
  }

  /** Reads one SecretSync (fresh, not from a cache), or undefined. */
  async readSecretSync(namespace: string, name: string): Promise<k8s.KubernetesObject | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: SECRET_SYNC.group,
        version: SECRET_SYNC.version,
        plural: SECRET_SYNC.plural,
        namespace,
        name,
      })) as k8s.KubernetesObject;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toKubeError(`read of SecretSync ${namespace}/${name}`, error);
    }
  }

  /** Records a core/v1 Event (best effort: returns false instead of throwing). Messages must be value-free. */
  async emitEvent(
    subject: EventSubject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<boolean> {
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: subject.namespace,
        body: {
          metadata: {
            name: `${subject.name}.${randomBytes(8).toString("hex")}`,
            namespace: subject.namespace,
          },
          involvedObject: subject,
          type,
          reason,
          message: message.length > 1000 ? `${message.slice(0, 999)}…` : message,
          source: { component: COMPONENT },
          reportingComponent: COMPONENT,
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
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
