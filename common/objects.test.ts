import assert from "node:assert/strict";
import { it } from "node:test";
import { withoutUndefined } from "./objects.ts";

it("withoutUndefined drops undefined values only, one level deep", () => {
  const nested = { b: undefined };
  assert.deepEqual(withoutUndefined({ a: 1, b: undefined, c: null, d: 0, e: "", f: false, nested }), {
    a: 1,
    c: null,
    d: 0,
    e: "",
    f: false,
    nested,
  });
  assert.deepEqual(withoutUndefined({}), {});
});
