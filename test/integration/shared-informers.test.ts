/**
 * The runtime's shared informers against the real apiserver: a paged first list, one cache per kind however many
 * controllers ask, managedFields dropped on arrival, a retention hook that keeps no Secret data, and a watch update.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import pino from "pino";
import { KubeHelper, waitFor } from "../support/kube.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { secretsKind } from "../../sync-runtime/kube/kinds.ts";
import { SharedInformers } from "../../sync-runtime/kube/informers.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const SECRETS = 12;
let namespace = "";
let informers: SharedInformers;

before(async () => {
  namespace = await kube.namespace("kf-informers", []);
  for (let i = 0; i < SECRETS; i++) {
    await kube.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: `s${i}`, labels: { group: i % 2 ? "odd" : "even" } },
        stringData: { v: `${i}` },
      },
    });
  }
  informers = new SharedInformers(kube.kubeConfig, { logger: pino({ level: "silent" }), pageSize: 5 });
});

after(async () => {
  await informers.stop();
  await kube.deleteNamespace(namespace);
});

describe("shared informers (real apiserver)", () => {
  it("lists in pages, shares one cache per kind and slims objects on arrival", async () => {
    const kind = secretsKind(kube.kubeConfig);
    const a = informers.informer(kind, { namespace });
    const b = informers.informer(secretsKind(kube.kubeConfig), { namespace });
    assert.equal(a, b, "a second controller gets the same informer");
    const added: string[] = [];
    a.on("add", (s) => added.push(s.metadata!.name!));
    await Promise.all([a.start(), b.start()]);
    const cached = a.list(namespace).filter((s) => /^s\d+$/.test(s.metadata!.name!));
    assert.equal(cached.length, SECRETS, "all pages of 5 were listed");
    assert.ok(cached.every((s) => s.metadata!.managedFields === undefined));
    assert.ok(
      cached.every((s) => s.data?.v !== undefined),
      "the default cache keeps data",
    );
    const late: string[] = [];
    b.on("add", (s) => late.push(s.metadata!.name!));
    assert.deepEqual(late.sort(), added.sort(), "a late handler is replayed the cache");
  });

  it("keeps selectors and retention apart, and follows watch updates", async () => {
    const odd = informers.informer(secretsKind(kube.kubeConfig), { namespace, labelSelector: "group=odd" });
    const fingerprints = new Map<string, string>();
    const metadataOnly = informers.informer(secretsKind(kube.kubeConfig), {
      namespace,
      retain: {
        name: "metadata-only",
        apply: (s: k8s.V1Secret) => {
          s.data = undefined;
        },
      },
    });
    metadataOnly.on("add", (s) => fingerprints.set(s.metadata!.name!, s.data?.v ?? "none"));
    metadataOnly.on("update", (s) => fingerprints.set(s.metadata!.name!, s.data?.v ?? "none"));
    await Promise.all([odd.start(), metadataOnly.start()]);
    assert.equal(odd.list(namespace).length, SECRETS / 2);
    assert.equal(fingerprints.get("s3"), Buffer.from("3").toString("base64"), "handlers saw the data");
    assert.equal(metadataOnly.get("s3", namespace)?.data, undefined, "the cache keeps none");

    await kube.core.patchNamespacedSecret(
      { namespace, name: "s3", body: { stringData: { v: "changed" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await waitFor(
      "the update reaches the handlers",
      async () => (fingerprints.get("s3") === Buffer.from("changed").toString("base64") ? true : undefined),
      30_000,
      100,
    );
    const updated = odd.get("s3", namespace);
    assert.equal(updated?.data?.v, Buffer.from("changed").toString("base64"));
    assert.equal(updated?.metadata?.managedFields, undefined);
  });
});
