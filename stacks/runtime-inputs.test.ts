import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asciiOnly, buildRuntimeBundle } from "./runtime-inputs.ts";

describe("asciiOnly", () => {
  const cases: Array<[string, string]> = [
    ["plain ascii", "plain ascii"],
    ["/['\u2018\u2019]/g", "/['\\u2018\\u2019]/g"],
    ["x = '\u00e9'", "x = '\\u00e9'"],
    ["emoji \u{1f600}", "emoji \\ud83d\\ude00"],
  ];
  for (const [input, expected] of cases) {
    it(`escapes ${JSON.stringify(input)}`, () => assert.equal(asciiOnly(input), expected));
  }

  it("keeps the meaning of strings, templates and regular expressions", () => {
    const source = "return [`\u2018${1}\u00e9`, '\u{1f600}', /[\u2018\u2019]/u.test('\u2019')];";
    const escaped = asciiOnly(source);
    assert.doesNotMatch(escaped, /[\u0080-\uffff]/);
    assert.deepEqual(new Function(escaped)(), new Function(source)());
  });
});

describe("buildRuntimeBundle", () => {
  it("is ASCII only, so V8 stores the source one byte per character", () => {
    assert.doesNotMatch(buildRuntimeBundle(), /[\u0080-\uffff]/);
  });
});
