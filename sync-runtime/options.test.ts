import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { leaseDecision, microTime } from "./leader.ts";
import { ConfigError, parseRuntimeConfig, parseSeconds } from "./options.ts";

void describe("parseRuntimeConfig", () => {
  void it("applies defaults", () => {
    const c = parseRuntimeConfig([], {}, "host-1");
    assert.equal(c.rotationPollIntervalSeconds, 120);
    assert.equal(c.jitterSeconds, 0);
    assert.equal(c.partialSync, true);
    assert.equal(c.controllerName, "keyfleet");
    assert.equal(c.identity, "host-1");
    assert.deepEqual(c.namespaces, []);
    assert.equal(c.vaultRequestsPer10s, 200);
  });
  void it("reads the environment the Pulumi component sets; flags win", () => {
    const env = {
      KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS: "300",
      KEYFLEET_JITTER_SECONDS: "30",
      KEYFLEET_ENABLE_PARTIAL_SECRET_SYNC: "false",
      POD_NAMESPACE: "kf",
      KEYFLEET_HEALTH_PORT: "8081",
    };
    const c = parseRuntimeConfig(
      ["--jitter", "1m", "--health-port=-1", "--vault-urls", "kv-one=https://127.0.0.1:8443"],
      env,
    );
    assert.equal(c.rotationPollIntervalSeconds, 300);
    assert.equal(c.jitterSeconds, 60);
    assert.equal(c.partialSync, false);
    assert.equal(c.runtimeNamespace, "kf");
    assert.equal(c.healthPort, -1);
    assert.deepEqual(c.vaultUrls, { "kv-one": "https://127.0.0.1:8443" });
  });
  const bad: Array<[string[], Record<string, string>, RegExp]> = [
    [["--jitter", "soon"], {}, /--jitter: "soon" is not a duration/],
    [
      [],
      { KEYFLEET_ENABLE_PARTIAL_SECRET_SYNC: "maybe" },
      /\$KEYFLEET_ENABLE_PARTIAL_SECRET_SYNC: "maybe" must be true or false/,
    ],
    [["--vault-url-template", "http://{name}.example"], {}, /must be an https URL containing \{name\}/],
    [["--vault-urls", "kv=ftp://x"], {}, /--vault-urls: "kv=ftp:\/\/x" must be <vault name>=https/],
    [["--namespaces", "Bad_NS"], {}, /--namespaces: "Bad_NS" is not a namespace name/],
    [["--metrics-port", "70000"], {}, /--metrics-port: "70000" must be an integer from -1 to 65535/],
    [["--unknown"], {}, /Unknown option '--unknown'/],
  ];
  for (const [argv, env, expected] of bad) {
    void it(`rejects ${argv.join(" ") || JSON.stringify(env)}`, () => {
      assert.throws(
        () => parseRuntimeConfig(argv, env),
        (e: unknown) => e instanceof ConfigError && expected.test(e.message),
      );
    });
  }
  void it("parses durations", () => {
    assert.equal(parseSeconds("2m", "x", 1), 120);
    assert.equal(parseSeconds("1h", "x", 1), 3600);
    assert.throws(() => parseSeconds("0", "--rotation-poll-interval", 1), /at least 1 seconds/);
  });
});

void describe("leader election decisions", () => {
  const now = new Date("2026-01-01T00:00:30Z");
  const lease = (holder: string, renew: string, duration = 15) => ({
    spec: { holderIdentity: holder, renewTime: new Date(renew) as never, leaseDurationSeconds: duration },
  });
  const cases: Array<[string, ReturnType<typeof lease> | undefined, string]> = [
    ["no lease", undefined, "acquire"],
    ["own lease", lease("me", "2026-01-01T00:00:29Z"), "renew"],
    ["fresh foreign lease", lease("other", "2026-01-01T00:00:20Z"), "wait"],
    ["expired foreign lease", lease("other", "2026-01-01T00:00:10Z"), "acquire"],
    ["released lease", lease("", "2026-01-01T00:00:29Z"), "acquire"],
  ];
  for (const [name, l, expected] of cases)
    void it(name, () => assert.equal(leaseDecision(l, "me", now), expected));
  void it("formats MicroTime with six fractional digits", () => {
    assert.equal(String(microTime(new Date("2026-01-01T00:00:00.123Z"))), "2026-01-01T00:00:00.123000Z");
  });
});
