import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  listingIsCheaper,
  listingProvesUnchanged,
  newestIsAmbiguous,
  pagesFor,
  selectHistory,
  sortVersionsNewestFirst,
  withCurrentFirst,
} from "./resolution.ts";
import type { KnownCurrent } from "./resolution.ts";
import type { ListedObject, VersionAttributes } from "./provider.ts";

void describe("listingProvesUnchanged", () => {
  const known: KnownCurrent = {
    version: "v1",
    createdOnSec: 100,
    updatedOnSec: 100,
    anchorSec: 102,
    observedAtMs: 0,
  };
  const listed: ListedObject = { objectName: "a", createdOnSec: 100, updatedOnSec: 100, enabled: true };
  const table: Array<[string, KnownCurrent, ListedObject | undefined, number, boolean]> = [
    ["same attributes, anchor 2 s after creation, skew 1", known, listed, 1, true],
    ["anchor exactly created + 1 + skew", { ...known, anchorSec: 101 }, listed, 0, true],
    [
      "GET in the creation second: a same-second version could exist",
      { ...known, anchorSec: 100 },
      listed,
      0,
      false,
    ],
    ["anchor inside the skew tolerance", { ...known, anchorSec: 101 }, listed, 1, false],
    ["no anchor (first response from this vault)", { ...known, anchorSec: undefined }, listed, 0, false],
    ["newer version (created moved)", known, { ...listed, createdOnSec: 130, updatedOnSec: 130 }, 1, false],
    ["attributes changed (updated moved)", known, { ...listed, updatedOnSec: 140 }, 1, false],
    ["current version disabled", known, { ...listed, enabled: false }, 1, false],
    ["object missing from the listing", known, undefined, 1, false],
    ["listing without timestamps", known, { objectName: "a" }, 1, false],
    ["known without timestamps", { version: "v1", anchorSec: 500, observedAtMs: 0 }, listed, 1, false],
  ];
  for (const [name, k, l, skew, expected] of table) {
    void it(name, () => assert.equal(listingProvesUnchanged(k, l, skew), expected));
  }
});

void describe("version ordering and history", () => {
  const v = (version: string, createdOnSec: number, enabled = true): VersionAttributes => ({
    version,
    id: version,
    createdOnSec,
    updatedOnSec: createdOnSec,
    enabled,
  });
  const versions = [v("b", 200), v("a", 100), v("d", 400, false), v("c", 300)];
  void it("sorts enabled versions newest first", () => {
    assert.deepEqual(
      sortVersionsNewestFirst(versions).map((x) => x.version),
      ["c", "b", "a"],
    );
  });
  void it("selects history from the newest or from a pinned version", () => {
    const sorted = sortVersionsNewestFirst(versions);
    assert.deepEqual(
      selectHistory(sorted, 2).map((x) => x.version),
      ["c", "b"],
    );
    assert.deepEqual(
      selectHistory(sorted, 5).map((x) => x.version),
      ["c", "b", "a"],
    );
    assert.deepEqual(
      selectHistory(sorted, 2, "b").map((x) => x.version),
      ["b", "a"],
    );
    assert.deepEqual(selectHistory(sorted, 2, "d"), [], "a disabled pinned version is not selectable");
  });
  void it("detects same-second newest versions and lets the vault's answer decide", () => {
    const tied = sortVersionsNewestFirst([v("x", 500), v("y", 500), v("z", 100)]);
    assert.equal(newestIsAmbiguous(tied), true);
    assert.deepEqual(
      withCurrentFirst(tied, "y").map((x) => x.version),
      ["y", "x", "z"],
    );
    assert.equal(newestIsAmbiguous(sortVersionsNewestFirst(versions)), false);
  });
});

void describe("listingIsCheaper", () => {
  const table: Array<[number, number | undefined, boolean]> = [
    [1, undefined, false],
    [2, undefined, true],
    [50, 2, true],
    [2, 2, false],
    [3, 40, false],
  ];
  for (const [known, pages, expected] of table) {
    void it(`${known} known objects vs ${String(pages)} pages → ${expected}`, () =>
      assert.equal(listingIsCheaper(known, pages), expected));
  }
  void it("pagesFor counts 25 per page", () =>
    assert.deepEqual([0, 1, 25, 26, 50, 51].map(pagesFor), [1, 1, 1, 2, 2, 3]));
});
