import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FetchResult } from "../vault/types.ts";
import { planNeedsPkcs12 } from "./resolve.ts";
import type { SyncPlan } from "./resolve.ts";
import type { SpcObject } from "./types.ts";

const object = (over: Partial<SpcObject>): SpcObject => ({
  objectName: "web",
  objectType: "secret",
  objectVersion: "",
  objectAlias: "",
  objectVersionHistory: 0,
  objectFormat: "pem",
  objectEncoding: "utf-8",
  ...over,
});
const plan = (over: Partial<SpcObject>, versionIndex = 0): SyncPlan => ({
  requests: [],
  items: [{ requestIndex: 0, versionIndex, object: object(over), objectId: "web" }],
});
const fetched = (contentType?: string): FetchResult => ({
  ok: true,
  versions: [
    { index: 0, version: "v1", id: "https://kv/secrets/web/v1", value: Buffer.from("x"), contentType },
  ],
});

void describe("planNeedsPkcs12", () => {
  const P12 = "application/x-pkcs12";
  const cases: Array<[string, SyncPlan, FetchResult[], boolean]> = [
    ["PEM output of a PKCS#12 secret", plan({}), [fetched(P12)], true],
    ["pfx output", plan({ objectFormat: "pfx" }), [fetched(P12)], false],
    ["a PEM-stored certificate", plan({}), [fetched("application/x-pem-file")], false],
    ["a plain secret", plan({}), [fetched()], false],
    ["a version the item does not use", plan({}, 1), [fetched(P12)], false],
    [
      "a failed fetch",
      plan({}),
      [{ ok: false, error: { kind: "NotFound", message: "web not found" } }],
      false,
    ],
    ["no result", plan({}), [], false],
  ];
  for (const [name, p, results, expected] of cases) {
    void it(name, () => assert.equal(planNeedsPkcs12(p, results), expected));
  }
});
