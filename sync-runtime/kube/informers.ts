/**
 * Shared informers: one list+watch (client-node's ListWatch) per (kind, namespace, label selector, retention) per
 * process, however many controllers read it. The SecretSync, AKVSync and restart controllers each used to hold
 * their own copy of every SecretSync, SecretProviderClass and Secret; at 10,000 SecretSyncs that was half the heap.
 *
 * Objects are slimmed once, on arrival, before any handler sees them: `metadata.managedFields` is dropped (nothing
 * here reads it; it is the largest part of most objects) and the strings thousands of objects repeat (apiVersion,
 * kind, owner kinds, condition reasons and messages, Key Vault object ids and versions) share one copy. A
 * `retain` hook may drop more after the handlers ran, for caches whose readers need less than the handlers.
 *
 * Lists are paged (500 items per page) so the first list of a large namespace never holds one giant response.
 * A handler added after the informer synced is replayed the cached objects as adds (client-go's semantics), so
 * controllers can start in any order. A failed watch is restarted after `restartDelayMs`.
 */
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { withoutUndefined } from "../../common/objects.ts";
import { describeError } from "../logger.ts";

/** Informer event verbs. */
export type InformerVerb = "add" | "update" | "delete";

/** One page of a list request. */
export interface ListQuery {
  labelSelector?: string;
  /** Items per page. */
  limit: number;
  /** The `continue` token of the previous page. */
  continueToken?: string;
}

/** A kind an informer can list (page by page) and watch. */
export interface WatchedKind<T extends k8s.KubernetesObject = k8s.KubernetesObject> {
  /** Names the kind in logs and in the informer's identity (e.g. "secrets", "secretsyncs.secret-sync.x-k8s.io"). */
  readonly id: string;
  /** Watch path for one namespace, or all when undefined. */
  path(namespace?: string): string;
  /** One page of the list for one namespace, or all when undefined. */
  listPage(namespace: string | undefined, query: ListQuery): Promise<k8s.KubernetesListObject<T>>;
}

/**
 * What a cache keeps of each object beyond the default slimming, applied after the handlers of each event ran.
 * A handler added after the informer synced is replayed the retained objects, so only consumers that need no
 * more than the retained shape should share an informer with a retention.
 */
export interface Retention<T> {
  /** Part of the informer's identity: informers with different retention are separate. */
  readonly name: string;
  /** Shrinks the cached object in place. */
  apply(object: T): void;
}

/**
 * For caches nobody reads (the handlers saw the whole object): keeps only what the informer itself needs — name,
 * namespace, uid and resourceVersion. Fields are assigned `undefined`, not deleted (`delete` turns a V8 object
 * into a hash table, larger than what it dropped).
 */
export const IDENTITY_ONLY: Retention<k8s.KubernetesObject> = {
  name: "identity-only",
  apply(object) {
    const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
    const o = object as Loose;
    for (const field of Object.keys(o)) if (field !== "apiVersion" && field !== "kind") o[field] = undefined;
    object.metadata = {
      name,
      namespace,
      uid,
      resourceVersion,
    };
  },
};

/** Options of {@link SharedInformers.informer}. */
export interface InformerOptions<T> {
  /** One namespace; default all. */
  namespace?: string;
  /** Server-side label selector; default none. */
  labelSelector?: string;
  /** Extra slimming of cached objects; default none (the object minus managedFields). */
  retain?: Retention<T>;
}

/** Options of {@link SharedInformers}. */
export interface SharedInformersOptions {
  logger: Logger;
  /** Delay before restarting a failed watch, ms. Default 2000. */
  restartDelayMs?: number;
  /** Items per list page. Default 500. */
  pageSize?: number;
}

/** Strings that many cached objects repeat; bounded so unique values cannot grow it without limit. */
const INTERN_LIMIT = 4096;

/**
 * Returns one shared copy of `text` for the values many objects repeat (pure apart from the table it fills).
 * Long strings are left alone: they are rarely shared and would only grow the table.
 */
export function makeInterner(limit = INTERN_LIMIT): (text: string) => string {
  const table = new Map<string, string>();
  return (text) => {
    if (text.length > 256) return text;
    const shared = table.get(text);
    if (shared !== undefined) return shared;
    if (table.size < limit) table.set(text, text);
    return text;
  };
}

type Loose = Record<string, unknown>;
const isRecord = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Slims an object in place as it enters a cache: drops managedFields and shares repeated strings (pure apart
 * from the interner's table). Only fields whose values repeat across objects are touched.
 */
export function slimObject(object: k8s.KubernetesObject, intern: (text: string) => string): void {
  const o = object as Loose;
  for (const field of ["apiVersion", "kind", "type"])
    if (typeof o[field] === "string") o[field] = intern(o[field]);
  const metadata = o.metadata;
  if (isRecord(metadata)) {
    // A new object rather than `delete`: deleting a property turns a V8 object into a hash table (~400 bytes more).
    if ("managedFields" in metadata) {
      const { managedFields: _dropped, ...rest } = metadata;
      o.metadata = rest;
    }
    const owners = (o.metadata as Loose).ownerReferences;
    for (const ref of Array.isArray(owners) ? owners : []) {
      if (!isRecord(ref)) continue;
      for (const field of ["apiVersion", "kind"])
        if (typeof ref[field] === "string") ref[field] = intern(ref[field]);
    }
  }
  const status = o.status;
  if (!isRecord(status)) return;
  // Condition type/status/reason/message and Key Vault object ids/versions repeat across SecretSyncs; timestamps
  // and hashes do not, and would only fill the table.
  const repeated = [
    [status.conditions, ["type", "status", "reason", "message"]],
    [status.objects, ["id", "version"]],
  ] as const;
  for (const [list, fields] of repeated) {
    for (const item of Array.isArray(list) ? list : []) {
      if (!isRecord(item)) continue;
      for (const field of fields) if (typeof item[field] === "string") item[field] = intern(item[field]);
    }
  }
}

/** A paged list through `kind.listPage`, returned as one list (the resourceVersion of the snapshot). */
export async function listAllPages<T extends k8s.KubernetesObject>(
  kind: WatchedKind<T>,
  namespace: string | undefined,
  labelSelector: string | undefined,
  pageSize: number,
): Promise<k8s.KubernetesListObject<T>> {
  const items: T[] = [];
  let continueToken: string | undefined;
  let metadata: k8s.V1ListMeta | undefined;
  do {
    const page = await kind.listPage(
      namespace,
      withoutUndefined({ limit: pageSize, labelSelector, continueToken: continueToken || undefined }),
    );
    for (const item of page.items) items.push(item);
    metadata = page.metadata;
    continueToken =
      page.metadata?.["_continue"] ?? (page.metadata as { continue?: string } | undefined)?.continue;
  } while (continueToken);
  return {
    apiVersion: "v1",
    kind: "List",
    items,
    metadata: { resourceVersion: metadata?.resourceVersion ?? "" },
  };
}

/** One shared informer: handlers of every controller that asked for it, and its cache. */
export class SharedInformer<T extends k8s.KubernetesObject> {
  readonly id: string;
  private readonly inner: k8s.Informer<T> & k8s.ObjectCache<T>;
  private readonly handlers: Record<InformerVerb, Array<(object: T) => void>> = {
    add: [],
    update: [],
    delete: [],
  };
  private starting: Promise<void> | undefined;
  private synced = false;

  /** @internal built by {@link SharedInformers.informer}. */
  constructor(
    id: string,
    inner: k8s.Informer<T> & k8s.ObjectCache<T>,
    slim: (object: T) => void,
    retain: Retention<T> | undefined,
  ) {
    this.id = id;
    this.inner = inner;
    for (const verb of ["add", "update"] as const) {
      inner.on(verb, (object) => {
        slim(object);
        for (const handler of this.handlers[verb]) handler(object);
        retain?.apply(object);
      });
    }
    inner.on("delete", (object) => {
      for (const handler of this.handlers.delete) handler(object);
    });
  }

  /** Adds a handler; an "add" handler added after the first list is replayed the cached objects at once. */
  on(verb: InformerVerb, handler: (object: T) => void): void {
    this.handlers[verb].push(handler);
    if (verb === "add" && this.synced) for (const object of this.inner.list()) handler(object);
  }

  /** The cached object, or undefined. */
  get(name: string, namespace?: string): T | undefined {
    return this.inner.get(name, namespace);
  }

  /** Cached objects of one namespace, or all. */
  list(namespace?: string): readonly T[] {
    return this.inner.list(namespace);
  }

  /** Lists and starts watching (once, however many controllers call it); resolves when the cache is filled. */
  start(): Promise<void> {
    this.starting ??= this.inner.start().then(() => {
      this.synced = true;
    });
    return this.starting;
  }

  /** @internal restarts a failed watch (it resumes from the last resourceVersion, or lists again after a 410). */
  async restart(): Promise<void> {
    await this.inner.start();
  }

  /** @internal */
  async stop(): Promise<void> {
    await this.inner.stop();
  }
}

/** The process's informers (one per kind, namespace, selector and retention). */
export class SharedInformers {
  private readonly kubeConfig: k8s.KubeConfig;
  private readonly options: SharedInformersOptions;
  private readonly informers = new Map<string, SharedInformer<k8s.KubernetesObject>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly intern = makeInterner();
  private stopped = false;

  constructor(kubeConfig: k8s.KubeConfig, options: SharedInformersOptions) {
    this.kubeConfig = kubeConfig;
    this.options = options;
  }

  /** The informer for `kind` with these options: the existing one when another controller asked for it first. */
  informer<T extends k8s.KubernetesObject>(
    kind: WatchedKind<T>,
    options: InformerOptions<T> = {},
  ): SharedInformer<T> {
    const { namespace, labelSelector, retain } = options;
    const id = [kind.id, namespace ?? "*", labelSelector ?? "", retain?.name ?? ""].join("|");
    const existing = this.informers.get(id);
    if (existing) return existing as unknown as SharedInformer<T>;
    const pageSize = this.options.pageSize ?? 500;
    const inner = k8s.makeInformer<T>(
      this.kubeConfig,
      kind.path(namespace),
      () => listAllPages(kind, namespace, labelSelector, pageSize),
      labelSelector,
    );
    const informer = new SharedInformer<T>(id, inner, (o) => slimObject(o, this.intern), retain);
    inner.on("error", (error: unknown) =>
      this.restartLater(informer as unknown as SharedInformer<k8s.KubernetesObject>, error),
    );
    this.informers.set(id, informer as unknown as SharedInformer<k8s.KubernetesObject>);
    return informer;
  }

  /** Stops every informer (the runtime's shutdown; controllers never stop shared informers themselves). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  private restartLater(informer: SharedInformer<k8s.KubernetesObject>, error: unknown): void {
    if (this.stopped) return;
    this.options.logger.warn(
      { informer: informer.id, err: describeError(error) },
      "watch failed; restarting",
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) informer.restart().catch((e: unknown) => this.restartLater(informer, e));
    }, this.options.restartDelayMs ?? 2000);
    timer.unref();
    this.timers.add(timer);
  }
}
