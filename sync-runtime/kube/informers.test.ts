import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as k8s from "@kubernetes/client-node";
import { IDENTITY_ONLY, listAllPages, makeInterner, SharedInformer, slimObject } from "./informers.ts";
import type { ListQuery, WatchedKind } from "./informers.ts";

describe("makeInterner", () => {
  it("returns the first copy of a repeated string and stops growing at its limit", () => {
    const intern = makeInterner(2);
    const first = ["Create", "Succeeded"].join("");
    assert.equal(intern(first), first);
    assert.equal(intern(["Create", "Succeeded"].join("")), "CreateSucceeded");
    assert.equal(intern("b"), "b");
    assert.equal(intern("c"), "c"); // over the limit: passed through, not stored
    assert.equal(intern("x".repeat(300)), "x".repeat(300));
  });
});

describe("slimObject", () => {
  const object = () => ({
    apiVersion: "secret-sync.x-k8s.io/v1alpha1",
    kind: "SecretSync",
    metadata: {
      name: "s1",
      namespace: "ns",
      managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }],
      ownerReferences: [{ apiVersion: "v1", kind: "AKVSync", name: "a", uid: "u" }],
    },
    spec: { secretProviderClassName: "spc" },
    status: {
      conditions: [{ type: "Ready", status: "True", reason: "CreateSucceeded", message: "ok" }],
      objects: [{ id: "db/0", version: "abc" }],
    },
  });

  it("drops managedFields and keeps everything else", () => {
    const o = object();
    slimObject(o as k8s.KubernetesObject, makeInterner());
    const expected = object() as { metadata: Record<string, unknown> };
    delete expected.metadata.managedFields;
    assert.deepEqual(o, expected);
    assert.equal("managedFields" in o.metadata, false);
  });

  it("shares the strings objects repeat, not timestamps or hashes", () => {
    const seen: string[] = [];
    const o = object() as ReturnType<typeof object> & { status: Record<string, unknown> };
    o.status.syncHash = "f00d";
    (o.status.conditions as Array<Record<string, string>>)[0]!.lastTransitionTime = "2026-11-23T12:00:00Z";
    slimObject(o as k8s.KubernetesObject, (text) => {
      seen.push(text);
      return text;
    });
    assert.deepEqual(seen.sort(), [
      "AKVSync",
      "CreateSucceeded",
      "Ready",
      "SecretSync",
      "True",
      "abc",
      "db/0",
      "ok",
      "secret-sync.x-k8s.io/v1alpha1",
      "v1",
    ]);
  });

  it("leaves objects without metadata or status alone", () => {
    const o = { apiVersion: "v1", kind: "List" };
    slimObject(o, makeInterner());
    assert.deepEqual(o, { apiVersion: "v1", kind: "List" });
  });
});

describe("IDENTITY_ONLY", () => {
  it("keeps name, namespace, uid and resourceVersion, and no values", () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "ns", uid: "u", resourceVersion: "7", labels: { a: "b" } },
      type: "Opaque",
      data: { password: "c2VjcmV0" },
    };
    IDENTITY_ONLY.apply(secret);
    assert.deepEqual(JSON.parse(JSON.stringify(secret)), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "ns", uid: "u", resourceVersion: "7" },
    });
  });
});

describe("listAllPages", () => {
  const kindOf = (pages: string[][], seen: ListQuery[]): WatchedKind => ({
    id: "things",
    path: () => "/things",
    listPage: async (_ns, query) => {
      seen.push(query);
      const index = query.continueToken ? Number(query.continueToken) : 0;
      const next = index + 1 < pages.length ? String(index + 1) : undefined;
      return {
        apiVersion: "v1",
        kind: "List",
        items: pages[index]!.map((name) => ({ metadata: { name } })),
        metadata: { resourceVersion: "42", _continue: next || undefined },
      };
    },
  });

  it("follows continue tokens and keeps the snapshot's resourceVersion", async () => {
    const seen: ListQuery[] = [];
    const list = await listAllPages(kindOf([["a", "b"], ["c", "d"], ["e"]], seen), "ns", "x=y", 2);
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name),
      ["a", "b", "c", "d", "e"],
    );
    assert.equal(list.metadata?.resourceVersion, "42");
    assert.deepEqual(seen, [
      { limit: 2, labelSelector: "x=y" },
      { limit: 2, labelSelector: "x=y", continueToken: "1" },
      { limit: 2, labelSelector: "x=y", continueToken: "2" },
    ]);
  });

  it("makes one request when everything fits on a page", async () => {
    const seen: ListQuery[] = [];
    await listAllPages(kindOf([["a"]], seen), undefined, undefined, 500);
    assert.deepEqual(seen, [{ limit: 500 }]);
  });
});

/** A client-node informer stand-in: records handlers; `emit` plays the events a ListWatch would. */
class FakeInner {
  readonly cache = new Map<string, k8s.KubernetesObject>();
  readonly handlers = new Map<string, Array<(o: k8s.KubernetesObject) => void>>();
  starts = 0;
  on(verb: string, handler: (o: k8s.KubernetesObject) => void): void {
    this.handlers.set(verb, [...(this.handlers.get(verb) ?? []), handler]);
  }
  emit(verb: "add" | "update" | "delete", o: k8s.KubernetesObject): void {
    if (verb === "delete") this.cache.delete(o.metadata!.name!);
    else this.cache.set(o.metadata!.name!, o);
    for (const h of this.handlers.get(verb) ?? []) h(o);
  }
  async start(): Promise<void> {
    this.starts++;
    this.emit("add", { metadata: { name: "listed" } });
  }
  async stop(): Promise<void> {}
  get(name: string) {
    return this.cache.get(name);
  }
  list() {
    return [...this.cache.values()];
  }
}

describe("SharedInformer", () => {
  const make = (retain?: { name: string; apply(o: k8s.KubernetesObject): void }) => {
    const inner = new FakeInner();
    const slimmed: string[] = [];
    const informer = new SharedInformer(
      "things",
      inner as unknown as k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>,
      (o) => slimmed.push(o.metadata!.name!),
      retain,
    );
    return { inner, informer, slimmed };
  };

  it("starts the watch once however many controllers start it", async () => {
    const { inner, informer } = make();
    await Promise.all([informer.start(), informer.start()]);
    await informer.start();
    assert.equal(inner.starts, 1);
  });

  it("slims before handlers, retains after them, and replays the cache to a late add handler", async () => {
    const order: string[] = [];
    const { inner, informer, slimmed } = make({
      name: "r",
      apply: (o) => order.push(`retain ${o.metadata!.name}`),
    });
    informer.on("add", (o) => order.push(`early ${o.metadata!.name}`));
    await informer.start();
    assert.deepEqual(slimmed, ["listed"]);
    informer.on("add", (o) => order.push(`late ${o.metadata!.name}`));
    inner.emit("update", { metadata: { name: "listed", labels: { a: "b" } } });
    inner.emit("delete", { metadata: { name: "listed" } });
    assert.deepEqual(order, ["early listed", "retain listed", "late listed", "retain listed"]);
    assert.deepEqual(informer.list(), []);
  });
});
