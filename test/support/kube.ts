/**
 * Kubernetes helpers shared by `npm run demo`, `npm run bench` and the sync integration tests: namespaces,
 * ServiceAccounts, SecretProviderClasses, SecretSyncs, reads and a condition poller. Admin kubeconfig only.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as k8s from "@kubernetes/client-node";
import type { ObjectType } from "../../common/vocabulary.ts";
import { KubeClient } from "../../sync-runtime/kube/client.ts";
import { SECRET_PROVIDER_CLASS, SECRET_SYNC } from "../../sync-runtime/constants.ts";
import type { SecretSyncStatus } from "../../sync-runtime/sync/types.ts";

/** One object of an SPC's `objects` list, as users write it. */
export interface SpcObjectSpec {
  objectName: string;
  objectType?: ObjectType;
  objectAlias?: string;
  objectVersion?: string;
  objectVersionHistory?: number;
  objectFormat?: "pem" | "pfx";
  objectEncoding?: "utf-8" | "hex" | "base64";
}

/** Renders `parameters.objects` the way users write it: `array:` of YAML strings. */
export function objectsParameter(objects: readonly SpcObjectSpec[]): string {
  const entries = objects.map((o) => {
    const lines = Object.entries({ objectType: "secret", ...o }).map(
      ([k, v]) => `    ${k}: ${JSON.stringify(String(v))}`,
    );
    return `  - |\n${lines.join("\n")}`;
  });
  return `array:\n${entries.join("\n")}\n`;
}

/** A SecretSync data item. */
export interface DataItem {
  sourcePath: string;
  targetKey: string;
}

/** Thin helper over the admin API. */
export class KubeHelper {
  readonly kubeConfig: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly custom: k8s.CustomObjectsApi;
  /** The runtime's own client over the same kubeconfig (e.g. for `installCrds`). */
  readonly client: KubeClient;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.kubeConfig = kubeConfig;
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.client = new KubeClient(kubeConfig);
  }

  /** Loads a kubeconfig file. */
  static fromFile(file: string): KubeHelper {
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(file);
    return new KubeHelper(kubeConfig);
  }

  /** Creates a uniquely named namespace with the given ServiceAccounts; returns its name. */
  async namespace(prefix: string, serviceAccounts: string[] = ["app-sa"]): Promise<string> {
    const name = `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(
      0,
      63,
    );
    await this.core.createNamespace({ body: { metadata: { name, labels: { "keyfleet.io/test": "sync" } } } });
    for (const sa of serviceAccounts)
      await this.core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: sa } } });
    return name;
  }

  /** Creates a namespace of an exact name if missing. */
  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.core.createNamespace({ body: { metadata: { name } } });
    } catch (error) {
      if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
    }
  }

  /** Deletes a namespace (background). */
  async deleteNamespace(name: string): Promise<void> {
    await this.core.deleteNamespace({ name }).catch(() => {});
  }

  /** Server-side applies a SecretProviderClass (azure provider). */
  async applySpc(namespace: string, name: string, parameters: Record<string, string>): Promise<void> {
    await this.apply(SECRET_PROVIDER_CLASS, namespace, name, { provider: "azure", parameters });
  }

  /** Server-side applies a SecretSync with the given spec. */
  async applySecretSync(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
    await this.apply(SECRET_SYNC, namespace, name, spec);
  }

  /** Creates a SecretSync that bypasses nothing: the apiserver validates it against the CRD schema. */
  async createSecretSyncRaw(namespace: string, body: Record<string, unknown>): Promise<void> {
    await this.custom.createNamespacedCustomObject({
      group: SECRET_SYNC.group,
      version: SECRET_SYNC.version,
      plural: SECRET_SYNC.plural,
      namespace,
      body,
    });
  }

  private async apply(
    resource: typeof SECRET_SYNC | typeof SECRET_PROVIDER_CLASS,
    namespace: string,
    name: string,
    spec: unknown,
  ): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      {
        group: resource.group,
        version: resource.version,
        plural: resource.plural,
        namespace,
        name,
        body: { apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name, namespace }, spec },
        fieldManager: "keyfleet-tests",
        force: true,
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply),
    );
  }

  /** Reads a SecretSync (with status), or undefined. */
  async secretSync(
    namespace: string,
    name: string,
  ): Promise<
    { metadata: k8s.V1ObjectMeta; spec: Record<string, unknown>; status?: SecretSyncStatus } | undefined
  > {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: SECRET_SYNC.group,
        version: SECRET_SYNC.version,
        plural: SECRET_SYNC.plural,
        namespace,
        name,
      })) as never;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** The Ready condition of a SecretSync. */
  async ready(
    namespace: string,
    name: string,
  ): Promise<{ status: string; reason: string; message: string } | undefined> {
    return (await this.secretSync(namespace, name))?.status?.conditions?.find((c) => c.type === "Ready");
  }

  /** Reads a Secret, or undefined. */
  async secret(namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ namespace, name });
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** A Secret's decoded values (tests compare them; never print them). */
  async secretValues(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const secret = await this.secret(namespace, name);
    if (!secret) return undefined;
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
  }

  /** Events about one object. */
  async events(namespace: string, name: string): Promise<k8s.CoreV1Event[]> {
    const list = await this.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items;
  }
}

/**
 * Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs` with `what` and the
 * last value seen. (Waiting for an outcome, not asserting on time.)
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(intervalMs);
  }
}

/** Waits until a SecretSync's Ready reason is `reason` (and, if given, the probe on the status holds). */
export async function waitForReason(
  kube: KubeHelper,
  namespace: string,
  name: string,
  reason: string,
  timeoutMs = 60_000,
): Promise<{ status: string; reason: string; message: string }> {
  let seen = "";
  try {
    return await waitFor(
      `${namespace}/${name} reason ${reason}`,
      async () => {
        const ready = await kube.ready(namespace, name);
        seen = ready ? `${ready.reason}: ${ready.message}` : "no status";
        return ready?.reason === reason ? ready : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last status ${seen}`, { cause: error });
  }
}
