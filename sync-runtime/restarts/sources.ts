/**
 * What the restart controller knows of its sources, fed by watch events: per Secret a keyed fingerprint (never the
 * values), per SecretProviderClass the newest mounted versions. It decides what counts as a change: an added
 * object (including every object of the start-up list) is a baseline; an update that leaves the value as it was
 * (a no-change poll, a label edit) is not a change.
 */
import { secretFingerprint } from "../sync/hash.ts";
import { ReloaderAnnotation } from "./constants.ts";
import type { SecretState, SourceChange, SourceLookup, SpcState } from "./decide.ts";
import { mountedVersions, versionsFingerprint } from "./fingerprint.ts";
import type { MountedObject, SecretContent } from "./fingerprint.ts";

/** The slice of a Secret the tracker reads. */
export interface SecretLike extends SecretContent {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
}

/** The slice of a SecretProviderClassPodStatus the tracker reads. */
export interface PodStatusLike {
  metadata?: { name?: string; namespace?: string };
  status?: { secretProviderClassName?: string; objects?: MountedObject[] };
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Tracks source state; returns the change an event amounts to, if any. */
export class SourceTracker {
  private readonly fingerprintKey: Buffer;
  private readonly versionAnnotations: readonly string[];
  private readonly secrets = new Map<string, SecretState & { resourceVersion: string }>();
  private readonly podStatuses = new Map<string, { spc: string; versions: string[] }>();
  private readonly spcs = new Map<string, SpcState>();

  /**
   * @param fingerprintKey HMAC key of Secret fingerprints.
   * @param versionAnnotations Secret annotations holding the Key Vault versions (first present wins); default none.
   */
  constructor(fingerprintKey: Buffer, versionAnnotations: readonly string[] = []) {
    this.fingerprintKey = fingerprintKey;
    this.versionAnnotations = versionAnnotations;
  }

  /** Records a Secret from an add (`isUpdate` false) or update event; returns the change, if its value changed. */
  secretSeen(
    secret: SecretLike,
    isUpdate: boolean,
  ): { namespace: string; change: SourceChange; version: string } | undefined {
    const namespace = secret.metadata?.namespace ?? "";
    const name = secret.metadata?.name ?? "";
    const id = key(namespace, name);
    const before = this.secrets.get(id);
    const fingerprint = secretFingerprint(this.fingerprintKey, secret);
    const annotations = secret.metadata?.annotations ?? {};
    const recorded = this.versionAnnotations
      .map((a) => annotations[a])
      .find((v) => v !== undefined && v !== "");
    const version = recorded ?? `resourceVersion ${secret.metadata?.resourceVersion ?? "?"}`;
    this.secrets.set(id, {
      name,
      fingerprint,
      match: annotations[ReloaderAnnotation.match]?.trim().toLowerCase() === "true",
      version,
      resourceVersion: secret.metadata?.resourceVersion ?? "",
    });
    if (!isUpdate || !before || before.fingerprint === fingerprint) return undefined;
    return { namespace, change: { source: "secret", name }, version };
  }

  /** Forgets a deleted Secret (deletion restarts nothing). */
  secretDeleted(secret: SecretLike): void {
    this.secrets.delete(key(secret.metadata?.namespace ?? "", secret.metadata?.name ?? ""));
  }

  /** Records a SecretProviderClassPodStatus; an update whose mounted versions changed is a change of its class. */
  podStatusSeen(
    object: PodStatusLike,
    isUpdate: boolean,
  ): { namespace: string; change: SourceChange } | undefined {
    const namespace = object.metadata?.namespace ?? "";
    const spc = object.status?.secretProviderClassName;
    if (!spc) return undefined;
    const id = key(namespace, object.metadata?.name ?? "");
    const versions = mountedVersions(object.status?.objects);
    const before = this.podStatuses.get(id);
    this.podStatuses.set(id, { spc, versions });
    const spcKey = key(namespace, spc);
    const known = this.spcs.get(spcKey);
    const fingerprint = versionsFingerprint(versions);
    const changed = isUpdate && before !== undefined && before.versions.join("\n") !== versions.join("\n");
    if (!known || changed) this.spcs.set(spcKey, { name: spc, fingerprint, versions });
    // Several pods of one workload report the same rotation: only the first report of new versions is a change.
    if (!changed || known?.fingerprint === fingerprint) return undefined;
    return { namespace, change: { source: "spc", name: spc } };
  }

  /** Forgets a deleted SecretProviderClassPodStatus. */
  podStatusDeleted(object: PodStatusLike): void {
    this.podStatuses.delete(key(object.metadata?.namespace ?? "", object.metadata?.name ?? ""));
  }

  /** Lookup of one namespace's sources for the decision. */
  lookup(namespace: string): SourceLookup {
    return {
      secret: (name) => this.secrets.get(key(namespace, name)),
      spc: (name) => this.spcs.get(key(namespace, name)),
    };
  }

  /** True when the Secret is known. */
  hasSecret(namespace: string, name: string): boolean {
    return this.secrets.has(key(namespace, name));
  }

  /** resourceVersion of a Secret as last seen. */
  secretResourceVersion(namespace: string, name: string): string | undefined {
    return this.secrets.get(key(namespace, name))?.resourceVersion;
  }

  /** Number of Secrets known. */
  get secretCount(): number {
    return this.secrets.size;
  }
}
