import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { ManualClock } from "../../test/support/clock.ts";
import { FakeVaultProvider } from "../../test/support/fake-vault-provider.ts";
import { CachingObjectFetcher } from "./fetcher.ts";
import type { CachingObjectFetcherOptions } from "./fetcher.ts";
import { VaultMetrics } from "./metrics.ts";
import { OneGetPerItemFetcher } from "../../test/support/one-get-per-item-fetcher.ts";
import { VaultGuard } from "./vault-guard.ts";
import type { VaultGuardOptions } from "./vault-guard.ts";
import { ProviderErrorKind } from "./types.ts";
import type { FetchResult, ObjectRequest, ObjectType, RequestIdentity } from "./types.ts";

const VAULT = "kv-fleet";
const identity = (n: number): RequestIdentity => ({
  namespace: `team-${n}`,
  serviceAccountName: "sync",
  tenantId: "tenant-1",
  clientId: `client-${n}`,
});
const ref = (objectName: string, objectType: ObjectType = "secret") => ({
  vaultName: VAULT,
  objectType,
  objectName,
});
const req = (
  objectName: string,
  who: RequestIdentity,
  extra: Partial<ObjectRequest> = {},
): ObjectRequest => ({ vaultName: VAULT, objectName, objectType: "secret", identity: who, ...extra });
const value = (r: FetchResult, index = 0): string => {
  assert.ok(r.ok, r.ok ? "" : `${r.error.kind}: ${r.error.message}`);
  return (r.versions[index] as { value: Buffer }).value.toString("utf8");
};
const errorKind = (r: FetchResult): string => (r.ok ? "ok" : r.error.kind);

let clock: ManualClock;
let vault: FakeVaultProvider;
let registry: Registry;

function fetcher(
  options: Partial<CachingObjectFetcherOptions> = {},
  guard: Partial<VaultGuardOptions> = {},
): CachingObjectFetcher {
  const metrics = new VaultMetrics(registry);
  return new CachingObjectFetcher({
    provider: vault,
    clock,
    metrics,
    guard: new VaultGuard({ clock, metrics, ...guard }),
    ...options,
  });
}

beforeEach(() => {
  clock = new ManualClock();
  vault = new FakeVaultProvider(clock);
  registry = new Registry();
});

void describe("CachingObjectFetcher: coalescing and steady state", () => {
  void it("50 objects shared by 500 requests: one GET per (object, identity), then a no-change refresh costs 2 listing pages", async () => {
    const names = Array.from({ length: 50 }, (_, i) => `app-secret-${i}`);
    for (const name of names) vault.setObject(ref(name), `value-of-${name}`);
    clock.advance(5000);
    const identities = [1, 2, 3, 4, 5].map(identity);
    // 500 requests: every identity asks for every object twice (e.g. two SecretSyncs per namespace).
    const requests = identities.flatMap((who) => names.flatMap((name) => [req(name, who), req(name, who)]));
    const f = fetcher();
    const cold = await f.fetch(requests);
    assert.equal(cold.length, 500);
    assert.ok(cold.every((r, i) => value(r) === `value-of-${requests[i]?.objectName}`));
    assert.equal(vault.count("get"), 250, "one GET per distinct (object, identity)");

    clock.advance(30_000);
    const before = vault.count();
    const steady = await f.fetch(requests);
    const steadyRequests = vault.count() - before;
    assert.ok(steady.every((r, i) => value(r) === `value-of-${requests[i]?.objectName}`));
    // Every object is confirmed unchanged by 2 listing pages (50 objects / 25 per page); no GET at all.
    assert.equal(vault.count("listObjects"), 2);
    assert.equal(steadyRequests, 2);

    const upstream = new FakeVaultProvider(clock);
    for (const name of names) upstream.setObject(ref(name), `value-of-${name}`);
    await new OneGetPerItemFetcher(upstream).fetch(requests);
    assert.equal(upstream.count(), 500);
    assert.ok(upstream.count() / steadyRequests >= 10);
  });

  void it("coalesces identical requests across concurrent fetch calls", async () => {
    vault.setObject(ref("shared"), "v");
    const f = fetcher();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => f.fetch([req("shared", identity(1))])),
    );
    assert.ok(results.every(([r]) => r !== undefined && value(r) === "v"));
    assert.equal(vault.count(), 1);
    assert.equal(f.stats().coalesced, 19);
  });

  void it("detects a new version through the listing and reads only that object", async () => {
    for (const name of ["a", "b", "c"]) vault.setObject(ref(name), `${name}1`);
    clock.advance(5000);
    const f = fetcher();
    const requests = ["a", "b", "c"].map((n) => req(n, identity(1)));
    await f.fetch(requests);
    await f.fetch(requests.slice(0, 1)); // gives object "a" an anchored observation
    clock.advance(10_000);
    vault.setObject(ref("b"), "b2");
    clock.advance(5000);
    const before = vault.calls.length;
    const results = await f.fetch(requests);
    assert.deepEqual(
      results.map((r) => value(r)),
      ["a1", "b2", "c1"],
    );
    const spent = vault.calls.slice(before).map((c) => `${c.operation}:${c.objectName ?? "*"}`);
    assert.ok(spent.includes("listObjects:*"));
    assert.ok(spent.includes("get:b"));
    assert.ok(!spent.includes("get:c"), "c was proven unchanged");
  });

  void it("never trusts the listing for a version created in the same second as the GET that found it", async () => {
    vault.setObject(ref("x"), "x1");
    vault.setObject(ref("y"), "y1");
    const f = fetcher({ vaultClockSkewToleranceSec: 0 });
    const requests = [req("x", identity(1)), req("y", identity(1))];
    await f.fetch(requests); // same second as creation
    vault.setObject(ref("x"), "x2"); // still the same second: the listing would show the same `created`
    clock.advance(2000);
    const results = await f.fetch(requests);
    assert.deepEqual(
      results.map((r) => value(r)),
      ["x2", "y1"],
    );
  });

  void it("serves recent observations without any request, and stops after maxObservationAgeMs", async () => {
    vault.setObject(ref("a"), "a1");
    const f = fetcher({ maxObservationAgeMs: 1000 });
    await f.fetch([req("a", identity(1))]);
    clock.advance(1000);
    await f.fetch([req("a", identity(1))]);
    assert.equal(vault.count(), 1);
    clock.advance(1);
    await f.fetch([req("a", identity(1))]);
    assert.equal(vault.count(), 2);
  });
});

void describe("CachingObjectFetcher: identity rule", () => {
  void it("does not serve cached content to an identity that has not read the object itself", async () => {
    vault.setObject(ref("db"), "pw");
    vault.setDenied(ref("db"), "client-2", true);
    const f = fetcher();
    const [a, b] = await f.fetch([req("db", identity(1)), req("db", identity(2))]);
    assert.equal(value(a as FetchResult), "pw");
    assert.equal(errorKind(b as FetchResult), ProviderErrorKind.accessDenied);
    const again = await f.fetch([req("db", identity(2))]);
    assert.equal(
      errorKind(again[0] as FetchResult),
      ProviderErrorKind.accessDenied,
      "still asks the vault as identity 2",
    );
    assert.equal(vault.calls.filter((c) => c.clientId === "client-2").length, 2);
  });

  void it("re-checks access after authorizationTtlMs and then stops serving a revoked identity", async () => {
    vault.setObject(ref("db"), "pw");
    const f = fetcher({ authorizationTtlMs: 60_000, maxObservationAgeMs: 1_000_000 });
    await f.fetch([req("db", identity(1))]);
    vault.setDenied(ref("db"), "client-1", true);
    clock.advance(59_000);
    assert.equal(value((await f.fetch([req("db", identity(1))]))[0] as FetchResult), "pw");
    clock.advance(2000);
    assert.equal(
      errorKind((await f.fetch([req("db", identity(1))]))[0] as FetchResult),
      ProviderErrorKind.accessDenied,
    );
  });
});

void describe("CachingObjectFetcher: versions", () => {
  void it("caches pinned versions forever and force re-reads them", async () => {
    const v1 = vault.setObject(ref("cfg"), "one");
    vault.setObject(ref("cfg"), "two");
    const f = fetcher();
    assert.equal(
      value((await f.fetch([req("cfg", identity(1), { objectVersion: v1 })]))[0] as FetchResult),
      "one",
    );
    clock.advance(600_000); // within authorizationTtlMs: no request however old the observation
    await f.fetch([req("cfg", identity(1), { objectVersion: v1 })]);
    assert.equal(vault.count(), 1);
    await f.fetch([req("cfg", identity(1), { objectVersion: v1 })], { force: true });
    assert.equal(vault.count(), 2);
    clock.advance(600_001); // access must be re-proven by this identity
    await f.fetch([req("cfg", identity(1), { objectVersion: v1 })]);
    assert.equal(vault.count(), 3);
  });

  void it("returns version history newest first, skipping disabled versions", async () => {
    const v1 = vault.setObject(ref("rot"), "one");
    clock.advance(2000);
    const v2 = vault.setObject(ref("rot"), "two");
    clock.advance(2000);
    const v3 = vault.setObject(ref("rot"), "three");
    vault.setEnabled(ref("rot"), v2, false);
    const f = fetcher();
    const [r] = await f.fetch([req("rot", identity(1), { versionHistory: 3 })]);
    assert.ok(r?.ok);
    assert.deepEqual(
      r.versions.map((v) => [v.index, v.version, v.value.toString()]),
      [
        [0, v3, "three"],
        [1, v1, "one"],
      ],
    );
    const [pinned] = await f.fetch([req("rot", identity(1), { versionHistory: 2, objectVersion: v1 })]);
    assert.ok(pinned?.ok);
    assert.deepEqual(
      pinned.versions.map((v) => v.version),
      [v1],
    );
  });

  void it("reads keys and certificates through the same path", async () => {
    vault.setObject(ref("signing", "key"), "-----BEGIN PUBLIC KEY-----", "application/x-pem-file");
    vault.setObject(ref("tls", "cert"), "-----BEGIN CERTIFICATE-----", "application/x-pem-file");
    const f = fetcher();
    const results = await f.fetch([
      { ...req("signing", identity(1)), objectType: "key" },
      { ...req("tls", identity(1)), objectType: "cert" },
    ]);
    assert.deepEqual(
      results.map((r) => value(r)),
      ["-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----"],
    );
    assert.deepEqual(
      vault.calls.map((c) => c.objectType),
      ["key", "cert"],
    );
  });
});

void describe("CachingObjectFetcher: faults", () => {
  void it("honours Retry-After, then succeeds", async () => {
    vault.setObject(ref("a"), "a1");
    vault.faults.push({ status: 429, retryAfterSec: 7 });
    const f = fetcher();
    assert.equal(value((await f.fetch([req("a", identity(1))]))[0] as FetchResult), "a1");
    assert.deepEqual(clock.sleeps, [7000]);
    assert.equal(f.stats().throttled, 1);
  });

  void it("backs off 1, 2, 4, 8, 16 s without Retry-After, opens the circuit, and returns Throttled (no content)", async () => {
    vault.setObject(ref("a"), "a1");
    for (let i = 0; i < 10; i++) vault.faults.push({ status: 429 });
    const f = fetcher({}, { circuitBreaker: { failureThreshold: 6, cooldownMs: 30_000 } });
    const [r] = await f.fetch([req("a", identity(1))]);
    assert.equal(errorKind(r as FetchResult), ProviderErrorKind.throttled);
    assert.equal(r?.ok, false);
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 8000, 16000]);
    assert.equal(vault.count(), 6);
    const [blocked] = await f.fetch([req("a", identity(1))]);
    assert.equal(errorKind(blocked as FetchResult), ProviderErrorKind.circuitOpen);
    assert.equal(vault.count(), 6, "an open circuit sends nothing");
    clock.advance(30_000);
    const [probe] = await f.fetch([req("a", identity(1))]);
    assert.equal(
      errorKind(probe as FetchResult),
      ProviderErrorKind.circuitOpen,
      "the half-open probe fails: open again",
    );
    assert.equal(vault.count(), 7, "exactly one probe was sent");
    assert.match(await registry.getSingleMetricAsString("keyvault_circuit_state"), /vault="kv-fleet"} 2/);
  });

  void it("maps 5xx, unreachable, 404 and 403 to their kinds", async () => {
    vault.setObject(ref("a"), "a1");
    const f = fetcher({}, { maxRetries: 0 });
    vault.faults.push({ status: 503 });
    assert.equal(
      errorKind((await f.fetch([req("a", identity(1))]))[0] as FetchResult),
      ProviderErrorKind.unavailable,
    );
    vault.faults.push({});
    assert.equal(
      errorKind((await f.fetch([req("a", identity(1))]))[0] as FetchResult),
      ProviderErrorKind.unavailable,
    );
    assert.equal(
      errorKind((await f.fetch([req("gone", identity(1))]))[0] as FetchResult),
      ProviderErrorKind.notFound,
    );
    vault.faults.push({ status: 403 });
    assert.equal(
      errorKind((await f.fetch([req("a", identity(2))]))[0] as FetchResult),
      ProviderErrorKind.accessDenied,
    );
  });

  void it("a deleted object answers NotFound instead of stale content once its observation is stale", async () => {
    vault.setObject(ref("a"), "a1");
    vault.setObject(ref("b"), "b1");
    clock.advance(5000);
    const f = fetcher();
    const requests = [req("a", identity(1)), req("b", identity(1))];
    await f.fetch(requests);
    await f.fetch(requests.slice(0, 1), { force: true });
    vault.deleteObject(ref("a"));
    clock.advance(5000);
    const results = await f.fetch(requests);
    assert.deepEqual(results.map(errorKind), [ProviderErrorKind.notFound, "ok"]);
  });

  void it("budget: a request waits for a token within maxWaitMs", async () => {
    for (const n of ["a", "b"]) vault.setObject(ref(n), n);
    const f = fetcher({}, { budget: { refillPerSecond: 2, burst: 1, maxWaitMs: 5000 } });
    const results = await f.fetch(["a", "b"].map((n) => req(n, identity(1))));
    assert.deepEqual(results.map(errorKind), ["ok", "ok"]);
    assert.deepEqual(clock.sleeps, [500]);
  });

  void it("budget: refuses with BudgetExhausted (sending nothing) when the wait would exceed maxWaitMs", async () => {
    for (const n of ["a", "b", "c"]) vault.setObject(ref(n), n);
    const f = fetcher({}, { budget: { refillPerSecond: 1, burst: 1, maxWaitMs: 0 } });
    const results = await f.fetch(["a", "b", "c"].map((n) => req(n, identity(1))));
    assert.deepEqual(results.map(errorKind), [
      "ok",
      ProviderErrorKind.budgetExhausted,
      ProviderErrorKind.budgetExhausted,
    ]);
    assert.equal(vault.count(), 1);
    assert.ok(results[1]?.ok === false && (results[1].error.retryAfterMs ?? 0) > 0);
    assert.equal(f.stats().refusedByBudget, 2);
  });

  void it("rejects invalid requests before spending anything", async () => {
    const f = fetcher();
    const results = await f.fetch([
      req("bad name!", identity(1)),
      { ...req("a", identity(1)), vaultName: "x" },
      req("a", identity(1), { versionHistory: 0 }),
      req("a", identity(1), { objectVersion: "../../keys" }),
    ]);
    assert.deepEqual(results.map(errorKind), Array(4).fill(ProviderErrorKind.invalidRequest));
    assert.match(results[0]?.ok === false ? results[0].error.message : "", /objectName/);
    assert.equal(vault.count(), 0);
  });
});

void describe("metrics", () => {
  void it("exposes request, outcome, cache and budget metrics without values", async () => {
    vault.setObject(ref("a"), "super-secret-value");
    const f = fetcher();
    await f.fetch([req("a", identity(1)), req("a", identity(1))]);
    await f.fetch([req("a", identity(1))]);
    const text = await registry.metrics();
    for (const name of [
      "keyvault_request_bucket",
      "keyvault_requests_total",
      "keyvault_budget_tokens",
      "keyvault_cache_hits_total",
      "keyvault_cache_misses_total",
      "keyvault_coalesced_requests_total",
    ]) {
      assert.match(text, new RegExp(name));
    }
    assert.match(text, /keyvault_requests_total\{vault="kv-fleet",operation="get",outcome="success"\} 1/);
    assert.match(text, /keyvault_cache_hits_total\{vault="kv-fleet"\} 1/);
    assert.doesNotMatch(text, /super-secret-value/);
  });
});
