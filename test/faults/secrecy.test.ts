import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { leakForms, sweep } from "./secrecy.ts";

const value = "fault-value-0123456789";

void describe("secrecy sweep", () => {
  const [plain, base64, base64url, hex, HEX] = leakForms(value);
  const table: Array<[string, string, string[]]> = [
    ["a clean log line", '{"msg":"sync done","secretSync":"ns/app"}', []],
    ["the plain value", `leaked ${plain}`, ["plain"]],
    ["base64 (Secret data)", `{"data":{"a":"${base64}"}}`, ["base64"]],
    ["base64url", `x=${base64url}`, base64url === base64 ? ["base64"] : ["base64url"]],
    ["hex", `bytes ${hex}`, ["hex"]],
    ["upper-case hex", `BYTES ${HEX}`, ["HEX"]],
  ];
  for (const [what, text, forms] of table) {
    void it(`${what} → ${forms.join(",") || "nothing"}`, () => {
      const found = sweep([{ source: "log", text }], [value]).map((l) => l.form);
      for (const form of forms) assert.ok(found.includes(form as never), `${form} found`);
      if (forms.length === 0) assert.deepEqual(found, []);
    });
  }
  void it("names the source and the value's index, never the value", () => {
    const leaks = sweep([{ source: "events", text: `x ${value}` }], ["other-value-999", value]);
    assert.deepEqual(leaks, [{ source: "events", valueIndex: 1, form: "plain" }]);
  });
});
