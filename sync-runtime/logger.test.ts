import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { duplicateKeys } from "../test/support/log-lines.ts";
import { causeCodes, createLogger, formatLogLine } from "./logger.ts";

function capture(format: "json" | "text") {
  const lines: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _e, done) => {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ format, destination: destination as never }) };
}

void describe("logger", () => {
  void it("child loggers add `controller`, so no line repeats a key", () => {
    const { lines, logger } = capture("json");
    logger.child({ controller: "akvsync" }).warn({ reason: "R", codes: ["HTTP 403"] }, "sync failed");
    assert.equal(lines.length, 1);
    assert.deepEqual(duplicateKeys(lines[0]!), []);
    assert.equal((JSON.parse(lines[0]!) as { component: string }).component, "keyfleet-sync-runtime");
  });
  void it("--log-format text writes one line a person can read", () => {
    const { lines, logger } = capture("text");
    logger.warn(
      {
        secretSync: "ns/app",
        reason: "ProviderError",
        message: "vault down",
        codes: ["Unavailable", "HTTP 503"],
      },
      "sync failed",
    );
    assert.match(
      lines[0]!,
      /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}sync failed secretSync=ns\/app reason=ProviderError message="vault down" codes=Unavailable,HTTP 503$/,
    );
  });
  void it("redacts value-bearing fields in both formats", () => {
    for (const format of ["json", "text"] as const) {
      const { lines, logger } = capture(format);
      logger.info({ data: "s3cret", nested: { token: "t0ken" } }, "x");
      assert.ok(!lines.join("").includes("s3cret") && !lines.join("").includes("t0ken"), format);
    }
  });
  const lineCases: Array<[string, string]> = [
    ["not json", "not json"],
    ['{"time":"t","level":"info","msg":"m","a":{"b":1}}', 't INFO  m a={"b":1}'],
  ];
  for (const [input, expected] of lineCases) {
    void it(`formatLogLine(${input})`, () => assert.equal(formatLogLine(input), expected));
  }
  void it("causeCodes collects identifiers along the cause chain, never messages", () => {
    const msal = Object.assign(new Error("AADSTS70021: No matching federated identity record"), {
      name: "ServerError",
      errorCode: "invalid_client",
      errorNo: 70021,
      status: 400,
    });
    const top = new Error("could not get a token", {
      cause: Object.assign(new Error("x"), { name: "AuthenticationRequiredError", cause: msal }),
    });
    assert.deepEqual(causeCodes(top), [
      "AuthenticationRequiredError",
      "ServerError",
      "invalid_client",
      "HTTP 400",
      "AADSTS70021",
    ]);
  });
});
