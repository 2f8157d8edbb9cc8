/**
 * Writes a SecretSync status guarded by resourceVersion, and when that write loses a 409 (someone else wrote the
 * object since the cache saw it), recomputes the status from a fresh read and writes again. Without this a lost
 * write leaves the old conditions (e.g. `SecretCreated=False ProviderError`) on an object whose Secret exists,
 * until the next poll — which may be hours away.
 */
import { isConflict } from "../kube/errors.ts";
import { statusChanged } from "./status.ts";
import type { SecretSyncResource, SecretSyncStatus } from "./types.ts";

/** The Kubernetes calls a status write makes (KubeClient implements them). */
export interface StatusWriteKube {
  writeSyncStatus(
    namespace: string,
    name: string,
    status: SecretSyncStatus,
    resourceVersion?: string,
  ): Promise<string | undefined>;
  /** A fresh read (not the cache); undefined when the SecretSync is gone. */
  readSecretSync(namespace: string, name: string): Promise<SecretSyncResource | undefined>;
}

/** What {@link writeStatusFresh} did. */
export type StatusWriteResult =
  | { kind: "unchanged" }
  | { kind: "gone" }
  | {
      kind: "written";
      status: SecretSyncStatus;
      /** resourceVersion the apiserver returned for the write. */
      resourceVersion: string | undefined;
      /** resourceVersion of the object the write replaced. */
      over: string | undefined;
      /** 409s lost before the write landed. */
      conflicts: number;
    };

/** Most writes attempted (the first plus retries after a 409 each from a fresh read). Default 3. */
export const STATUS_WRITE_ATTEMPTS = 3;

/**
 * Computes the status from `current.status` with `next` and writes it when it differs; on 409 reads the
 * SecretSync again and repeats with the fresh status and resourceVersion (up to `attempts` writes).
 * @throws the last error when a write fails for another reason or every attempt lost a conflict.
 */
export async function writeStatusFresh(
  kube: StatusWriteKube,
  current: SecretSyncResource,
  next: (previous: SecretSyncStatus | undefined) => SecretSyncStatus,
  attempts = STATUS_WRITE_ATTEMPTS,
): Promise<StatusWriteResult> {
  const { namespace, name } = current.metadata;
  let object = current;
  for (let attempt = 1; ; attempt++) {
    const status = next(object.status);
    if (!statusChanged(object.status, status)) return { kind: "unchanged" };
    try {
      const resourceVersion = await kube.writeSyncStatus(
        namespace,
        name,
        status,
        object.metadata.resourceVersion,
      );
      return {
        kind: "written",
        status,
        resourceVersion,
        over: object.metadata.resourceVersion,
        conflicts: attempt - 1,
      };
    } catch (error) {
      if (!isConflict(error) || attempt >= attempts) throw error;
      const fresh = await kube.readSecretSync(namespace, name);
      if (!fresh || fresh.metadata.deletionTimestamp) return { kind: "gone" };
      object = fresh;
    }
  }
}
