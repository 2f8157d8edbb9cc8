/** The fakes and set-up of the Reconciler unit tests (not a test file itself). */
import { Writable } from "node:stream";
import { ManualClock } from "./clock.ts";
import { KubeError } from "../../sync-runtime/kube/errors.ts";
import { createLogger } from "../../sync-runtime/logger.ts";
import { RuntimeMetrics } from "../../sync-runtime/metrics.ts";
import type { FetchResult, ObjectFetcher, ObjectRequest } from "../../sync-runtime/vault/types.ts";
import type { DesiredSecret } from "../../sync-runtime/sync/decide.ts";
import { objectsYaml, spcResource, syncResource } from "./sync-fixtures.ts";
import type { Pkcs12Reader } from "../../sync-runtime/sync/pkcs12.ts";
import { Reconciler } from "../../sync-runtime/sync/reconciler.ts";
import type { ReconcileKube } from "../../sync-runtime/sync/reconciler.ts";
import type { SecretResource, SecretSyncResource, SecretSyncStatus } from "../../sync-runtime/sync/types.ts";

/** Fake vault: name → versions (newest first), or an error kind. */
export class FakeFetcher implements ObjectFetcher {
  values = new Map<string, string[]>();
  /** Content type reported for an object's versions, when any. */
  contentTypes = new Map<string, string>();
  failing = new Set<string>();
  /** Kind of the failures of `failing` objects. */
  failingKind: "Unavailable" | "AccessDenied" | "CircuitOpen" = "Unavailable";
  calls: Array<{ requests: readonly ObjectRequest[]; force: boolean }> = [];
  async fetch(requests: readonly ObjectRequest[], options?: { force?: boolean }): Promise<FetchResult[]> {
    this.calls.push({ requests, force: options?.force ?? false });
    return requests.map((r) => {
      if (this.failing.has(r.objectName))
        return {
          ok: false,
          error: {
            kind: this.failingKind,
            message: `vault ${r.vaultName} failed (${this.failingKind}) for ${r.objectName}`,
            httpStatus: 503,
            retryAfterMs: 1500,
            ...(this.failingKind === "CircuitOpen" ? { refusedLocally: true } : {}),
          },
        };
      const versions = this.values.get(r.objectName);
      if (!versions)
        return {
          ok: false,
          error: { kind: "NotFound", message: `${r.objectName} not found`, httpStatus: 404 },
        };
      return {
        ok: true,
        versions: versions.map((v, index) => ({
          index,
          version: `ver${index}-${v.length}`,
          id: `id/${index}`,
          value: Buffer.from(v),
          ...(this.contentTypes.has(r.objectName)
            ? { contentType: this.contentTypes.get(r.objectName) }
            : {}),
        })),
      };
    });
  }
}

export class FakeKube implements ReconcileKube {
  secrets = new Map<string, SecretResource>();
  statuses: SecretSyncStatus[] = [];
  /** resourceVersion each status write was guarded by. */
  statusGuards: Array<string | undefined> = [];
  events: Array<{ reason: string; message: string }> = [];
  applies = 0;
  /** When set, the next Secret apply throws it (then it is cleared). */
  applyError: unknown;
  /** Status writes guarded by these resourceVersions lose a 409 (someone else wrote the object). */
  staleVersions = new Set<string>();
  /** What a fresh read of the SecretSync returns. */
  fresh: SecretSyncResource | undefined;
  freshReads = 0;
  async applySecret(s: DesiredSecret): Promise<SecretResource> {
    if (this.applyError) {
      const error = this.applyError;
      this.applyError = undefined;
      throw error;
    }
    this.applies++;
    const r: SecretResource = { metadata: { ...s.metadata }, type: s.type, data: s.data };
    this.secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, r);
    return r;
  }
  async readSecret(ns: string, name: string) {
    return this.secrets.get(`${ns}/${name}`);
  }
  async writeSyncStatus(_ns: string, _name: string, status: SecretSyncStatus, resourceVersion?: string) {
    this.statusGuards.push(resourceVersion);
    if (resourceVersion !== undefined && this.staleVersions.has(resourceVersion))
      throw new KubeError("status write failed (HTTP 409 Conflict)", {
        status: 409,
        statusReason: "Conflict",
      });
    this.statuses.push(status);
    return "2";
  }
  async readSecretSync() {
    this.freshReads++;
    return this.fresh;
  }
  counts: Array<{ name: string; count: number }> = [];
  async emitEvent(_s: unknown, _t: string, reason: string, message: string) {
    this.events.push({ reason, message });
    return `event-${this.events.length}`;
  }
  async updateEventCount(_ns: string, name: string, count: number) {
    this.counts.push({ name, count });
    return true;
  }
}

export function setup(
  syncSpec: Record<string, unknown>,
  partialSync = true,
  loadPkcs12?: () => Promise<Pkcs12Reader>,
) {
  const logLines: string[] = [];
  const logger = createLogger({
    destination: new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }) as never,
  });
  const fetcher = new FakeFetcher();
  const kube = new FakeKube();
  const sync: SecretSyncResource = syncResource(syncSpec);
  const spc = spcResource(
    objectsYaml([
      "objectName: a\nobjectType: secret",
      "objectName: b\nobjectType: secret\nobjectVersionHistory: 2",
    ]),
  );
  const reconciler = new Reconciler({
    kube,
    fetcher,
    metrics: new RuntimeMetrics({ processMetrics: false }),
    logger,
    hashKey: Buffer.alloc(32, 3),
    partialSync,
    controllerName: "keyfleet",
    servesUnnamed: true,
    clock: new ManualClock(Date.parse("2026-01-01T00:00:00Z")),
    loadPkcs12,
    lookup: {
      secretSync: () => sync,
      secretProviderClass: (_ns, name) => (name === "spc" ? spc : undefined),
      secret: (ns, name) => kube.secrets.get(`${ns}/${name}`),
    },
  });
  return { reconciler, fetcher, kube, sync, logLines };
}
