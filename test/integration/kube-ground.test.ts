/**
 * Proves the proving ground's Kubernetes side is a real control plane: CRDs and custom resources, watches,
 * optimistic concurrency (409), the status subresource, TokenRequest, RBAC and ownerReference garbage collection.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as k8s from "@kubernetes/client-node";
import { readLocalEnvironment } from "../../scripts/local/env.ts";

const env = readLocalEnvironment();
const admin = new k8s.KubeConfig();
admin.loadFromFile(env.kubernetes.adminKubeconfig);
const developer = new k8s.KubeConfig();
developer.loadFromFile(env.kubernetes.userKubeconfig);

const core = admin.makeApiClient(k8s.CoreV1Api);
const custom = admin.makeApiClient(k8s.CustomObjectsApi);
const apiext = admin.makeApiClient(k8s.ApiextensionsV1Api);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);

const suffix = randomBytes(3).toString("hex");
const namespace = `kf-ground-${suffix}`;
const group = `ground${suffix}.keyfleet.test`;
const plural = "widgets";

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function statusCode(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? error.code : undefined;
}

before(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await apiext.createCustomResourceDefinition({
    body: {
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural, singular: "widget", kind: "Widget" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: {
                  spec: { type: "object", properties: { size: { type: "integer" } } },
                  status: { type: "object", properties: { phase: { type: "string" } } },
                },
              },
            },
          },
        ],
      },
    },
  });
  await eventually("CRD Established", async () => {
    const crd = await apiext.readCustomResourceDefinition({ name: `${plural}.${group}` });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
      ? true
      : undefined;
  });
});

after(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await apiext.deleteCustomResourceDefinition({ name: `${plural}.${group}` }).catch(() => undefined);
});

describe("proving ground: kube-apiserver + etcd + kube-controller-manager", () => {
  it("serves a custom resource and delivers a watch event for it", async () => {
    // Watch from the list's resourceVersion so an event for an object created right after cannot be missed.
    // A freshly established CRD may answer 429 ("storage is (re)initializing") for a moment.
    const list = (await eventually("the new resource's storage to initialise", () =>
      custom.listNamespacedCustomObject({ group, version: "v1", namespace, plural }).then(
        (l: unknown) => l,
        (e: unknown) => {
          if (statusCode(e) === 429) return undefined;
          throw e;
        },
      ),
    )) as { metadata: { resourceVersion: string } };
    const watch = new k8s.Watch(admin);
    const seen: Array<{ type: string; name: string }> = [];
    let watchError: unknown;
    const request = await watch.watch(
      `/apis/${group}/v1/namespaces/${namespace}/${plural}`,
      { resourceVersion: list.metadata.resourceVersion },
      (type: string, obj: { metadata: { name: string } }) => seen.push({ type, name: obj.metadata.name }),
      (error: unknown) => (watchError = error),
    );
    try {
      await custom.createNamespacedCustomObject({
        group,
        version: "v1",
        namespace,
        plural,
        body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "first" }, spec: { size: 1 } },
      });
      const event = await eventually("ADDED watch event", async () => {
        if (watchError) throw new Error("watch ended with an error", { cause: watchError });
        return seen.find((e) => e.name === "first");
      });
      assert.equal(event.type, "ADDED");
    } finally {
      request.abort();
    }
  });

  it("rejects an update carrying a stale resourceVersion with 409 Conflict", async () => {
    const created = (await custom.createNamespacedCustomObject({
      group,
      version: "v1",
      namespace,
      plural,
      body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "conflict" }, spec: { size: 1 } },
    })) as { metadata: { resourceVersion: string } };
    const stale = created.metadata.resourceVersion;
    await custom.replaceNamespacedCustomObject({
      group,
      version: "v1",
      namespace,
      plural,
      name: "conflict",
      body: {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name: "conflict", resourceVersion: stale },
        spec: { size: 2 },
      },
    });
    const error = await custom
      .replaceNamespacedCustomObject({
        group,
        version: "v1",
        namespace,
        plural,
        name: "conflict",
        body: {
          apiVersion: `${group}/v1`,
          kind: "Widget",
          metadata: { name: "conflict", resourceVersion: stale },
          spec: { size: 3 },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.equal(statusCode(error), 409);
  });

  it("writes status only through the status subresource, without bumping generation", async () => {
    await custom.createNamespacedCustomObject({
      group,
      version: "v1",
      namespace,
      plural,
      body: {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name: "status" },
        spec: { size: 1 },
        status: { phase: "ignored" },
      },
    });
    const before = (await custom.getNamespacedCustomObject({
      group,
      version: "v1",
      namespace,
      plural,
      name: "status",
    })) as {
      metadata: { generation: number };
      status?: { phase?: string };
    };
    assert.equal(
      before.status?.phase,
      undefined,
      "status in a create body must be dropped when the status subresource is on",
    );
    await custom.patchNamespacedCustomObjectStatus(
      { group, version: "v1", namespace, plural, name: "status", body: { status: { phase: "Ready" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const afterPatch = (await custom.getNamespacedCustomObject({
      group,
      version: "v1",
      namespace,
      plural,
      name: "status",
    })) as {
      metadata: { generation: number };
      status?: { phase?: string };
    };
    assert.equal(afterPatch.status?.phase, "Ready");
    assert.equal(afterPatch.metadata.generation, before.metadata.generation);
  });

  it("mints a ServiceAccount token for the Azure token-exchange audience with TokenRequest", async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "workload" } } });
    const response = await core.createNamespacedServiceAccountToken({
      namespace,
      name: "workload",
      body: { spec: { audiences: ["api://AzureADTokenExchange"], expirationSeconds: 600 } },
    });
    const token = response.status?.token;
    assert.ok(token, "TokenRequest returned no token");
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as {
      iss: string;
      aud: string[];
      sub: string;
      exp: number;
      iat: number;
    };
    assert.equal(claims.iss, env.kubernetes.serviceAccountIssuer);
    assert.deepEqual(claims.aud, ["api://AzureADTokenExchange"]);
    assert.equal(claims.sub, `system:serviceaccount:${namespace}:workload`);
    assert.equal(claims.exp - claims.iat, 600);
  });

  it("enforces RBAC for the non-admin user until a RoleBinding grants access", async () => {
    const devCore = developer.makeApiClient(k8s.CoreV1Api);
    const denied = await devCore.listNamespacedSecret({ namespace }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(statusCode(denied), 403);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: "secret-reader" },
        rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: "secret-reader" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "secret-reader" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: env.kubernetes.user.name }],
      },
    });
    const list = await eventually("RBAC grant to take effect", () =>
      devCore.listNamespacedSecret({ namespace }).then(
        (l) => l,
        () => undefined,
      ),
    );
    assert.ok(Array.isArray(list.items));
  });

  it("garbage-collects a Secret when its owner is deleted", async () => {
    const owner = (await custom.createNamespacedCustomObject({
      group,
      version: "v1",
      namespace,
      plural,
      body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "owner" }, spec: { size: 1 } },
    })) as { metadata: { uid: string } };
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: "owned",
          ownerReferences: [
            {
              apiVersion: `${group}/v1`,
              kind: "Widget",
              name: "owner",
              uid: owner.metadata.uid,
              controller: true,
            },
          ],
        },
        stringData: { note: "owned by a widget" },
      },
    });
    await custom.deleteNamespacedCustomObject({ group, version: "v1", namespace, plural, name: "owner" });
    // The garbage collector learns new resource types on its discovery resync (30 s), hence the long wait.
    const gone = await eventually(
      "the owned Secret to be garbage-collected",
      () =>
        core.readNamespacedSecret({ namespace, name: "owned" }).then(
          () => undefined,
          (e: unknown) => (statusCode(e) === 404 ? true : undefined),
        ),
      120_000,
    );
    assert.equal(gone, true);
  });
});
