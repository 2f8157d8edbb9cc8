import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { AuthRecovery } from "./auth-recovery.ts";
import type { RejectionDecision } from "./auth-recovery.ts";
import { DEFAULT_BACKOFF } from "./backoff.ts";
import { CircuitBreaker, CircuitState, PROBE_WAIT_MS } from "./circuit-breaker.ts";
import { isClaimsChallenge, keyVaultErrorCodeOf } from "./client-factory.ts";
import { ManualClock } from "./clock.ts";
import { VaultTokenRejectedError, isTokenRejection, mapProviderError } from "./errors.ts";
import { FakeVaultProvider } from "./fake-provider.ts";
import { CachingObjectFetcher } from "./fetcher.ts";
import { VaultMetrics } from "./metrics.ts";
import { VaultGuard } from "./vault-guard.ts";
import type { VaultGuardOptions } from "./vault-guard.ts";
import { ProviderErrorKind } from "./types.ts";
import type { FetchResult, ObjectRequest, ProviderErrorInfo, RequestIdentity } from "./types.ts";

const VAULT = "kv-auth";
const identity = (n: number): RequestIdentity => ({
  namespace: `team-${n}`,
  serviceAccountName: "sync",
  tenantId: "tenant-1",
  clientId: `client-${n}`,
});
const ref = (objectName: string) => ({ vaultName: VAULT, objectType: "secret" as const, objectName });
const req = (objectName: string, who: RequestIdentity): ObjectRequest => ({
  vaultName: VAULT,
  objectName,
  objectType: "secret",
  identity: who,
});
const refusal: ProviderErrorInfo = {
  kind: ProviderErrorKind.accessDenied,
  message: "refused",
  httpStatus: 401,
};

void describe("AuthRecovery (pure)", () => {
  void it("retries a refused token once with a discard, then pauses 1, 2, 4 s per refusal of a fresh token", () => {
    const auth = new AuthRecovery({ backoff: DEFAULT_BACKOFF });
    const steps: Array<[RejectionDecision["action"], number | undefined]> = [];
    let now = 0;
    const reject = (retried: boolean) => {
      const d = auth.rejected("id", "pair", auth.generation("id"), retried, refusal, now);
      steps.push([d.action, d.action === "refuse" ? d.retryAfterMs : undefined]);
      assert.equal(d.discard, true, "every refusal of the current token drops it");
      return d;
    };
    reject(false); // cached token refused → retry with a fresh one
    reject(true); // fresh one refused too → pause 1 s
    assert.deepEqual(auth.admit("pair", now + 500), {
      allowed: false,
      retryAfterMs: 500,
      lastRefusal: refusal,
    });
    now += 1000;
    assert.deepEqual(auth.admit("pair", now), { allowed: true });
    reject(false); // the next attempt already used a fresh token: no immediate retry, pause 2 s
    now += 2000;
    reject(false); // 4 s
    assert.deepEqual(steps, [
      ["retry", undefined],
      ["refuse", 1000],
      ["refuse", 2000],
      ["refuse", 4000],
    ]);
    auth.succeeded("pair");
    assert.equal(
      auth.rejected("id", "pair", auth.generation("id"), false, refusal, now).action,
      "retry",
      "after a success a refusal is retried at once again",
    );
  });

  void it("discards a token once when concurrent attempts see it refused", () => {
    const auth = new AuthRecovery({ backoff: DEFAULT_BACKOFF });
    const started = auth.generation("id");
    const first = auth.rejected("id", "pair", started, false, refusal, 0);
    const second = auth.rejected("id", "pair", started, false, refusal, 0);
    assert.deepEqual(first, { action: "retry", discard: true });
    assert.deepEqual(second, { action: "retry", discard: false }, "the tokens are already new");
    assert.equal(auth.generation("id"), started + 1);
  });

  void it("keeps pauses per (vault, identity) pair", () => {
    const auth = new AuthRecovery({ backoff: DEFAULT_BACKOFF });
    auth.rejected("id", "vault-a", auth.generation("id"), true, refusal, 0);
    assert.equal(auth.admit("vault-a", 10).allowed, false);
    assert.equal(auth.admit("vault-b", 10).allowed, true, "another vault of the same identity is not paused");
  });
});

void describe("token refusals: classification", () => {
  const table: Array<[string, unknown, boolean]> = [
    ["vault 401 to a token", new VaultTokenRejectedError(VAULT, "Unauthorized"), true],
    ["exchange refused (400)", { name: "AuthenticationError", statusCode: 400 }, true],
    ["exchange refused (401)", { name: "AuthenticationError", statusCode: 401 }, true],
    ["authority 5xx", { name: "AuthenticationError", statusCode: 503 }, false],
    [
      "exchange refused, as MSAL reports it (AuthenticationRequiredError caused by a ServerError)",
      { name: "AuthenticationRequiredError", cause: { name: "ServerError", status: 400 } },
      true,
    ],
    [
      "authority 5xx, as MSAL reports it",
      { name: "AuthenticationRequiredError", cause: { name: "ServerError", status: 503 } },
      false,
    ],
    ["a ServerError outside an identity error", { name: "ServerError", status: 400 }, false],
    ["RBAC 403", { name: "RestError", statusCode: 403 }, false],
    ["wrapped vault 401", new Error("outer", { cause: new VaultTokenRejectedError(VAULT, undefined) }), true],
    ["network", Object.assign(new Error("x"), { code: "ECONNREFUSED" }), false],
  ];
  for (const [what, error, expected] of table) {
    void it(`${what} → ${expected}`, () => assert.equal(isTokenRejection(error), expected));
  }
  void it("a vault 401 maps to AccessDenied naming the status and code, never the token", () => {
    const info = mapProviderError(new VaultTokenRejectedError(VAULT, "Unauthorized"), ref("db"), 0);
    assert.equal(info.kind, ProviderErrorKind.accessDenied);
    assert.match(info.message, /HTTP 401, code Unauthorized/);
  });
  void it("recognises claims challenges and reads only identifier-like error codes", () => {
    assert.equal(isClaimsChallenge('Bearer realm="", error="insufficient_claims", claims="e30="'), true);
    assert.equal(
      isClaimsChallenge('Bearer authorization="https://login/x", resource="https://vault"'),
      false,
    );
    assert.equal(isClaimsChallenge(undefined), false);
    assert.equal(
      keyVaultErrorCodeOf('{"error":{"code":"Unauthorized","message":"AKV10001"}}'),
      "Unauthorized",
    );
    assert.equal(keyVaultErrorCodeOf('{"error":{"code":"a b <script>"}}'), undefined);
    assert.equal(keyVaultErrorCodeOf("not json"), undefined);
  });
});

void describe("CircuitBreaker: half-open", () => {
  void it("tells requests refused while the probe is out to ask again soon, not a whole cooldown later", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 30_000 });
    breaker.recordFailure(0);
    assert.equal(breaker.state(30_000), CircuitState.halfOpen);
    assert.deepEqual(breaker.admit(30_000), { allowed: true, probe: true });
    assert.deepEqual(breaker.admit(30_001), { allowed: false, retryAfterMs: PROBE_WAIT_MS });
  });
});

let clock: ManualClock;
let vault: FakeVaultProvider;
let registry: Registry;

function fetcher(guard: Partial<VaultGuardOptions> = {}): CachingObjectFetcher {
  const metrics = new VaultMetrics(registry);
  return new CachingObjectFetcher({
    provider: vault,
    clock,
    metrics,
    guard: new VaultGuard({
      clock,
      metrics,
      discardCredentials: (who) => vault.discardCredentials(who),
      ...guard,
    }),
  });
}
const ok = (r: FetchResult | undefined): string => {
  assert.ok(r?.ok, r && !r.ok ? `${r.error.kind}: ${r.error.message}` : "no result");
  return r.versions[0]!.value.toString("utf8");
};
const failure = (r: FetchResult | undefined): ProviderErrorInfo => {
  assert.ok(r && !r.ok, "expected a failure");
  return r.error;
};

beforeEach(() => {
  clock = new ManualClock();
  vault = new FakeVaultProvider(clock);
  registry = new Registry();
  vault.setObject(ref("db"), "v1");
  vault.setObject(ref("api"), "v1");
  clock.advance(5000);
});

void describe("CachingObjectFetcher: refused tokens", () => {
  void it("a cached token the vault refuses is discarded and the GET sent once more with a fresh exchange", async () => {
    const f = fetcher();
    const who = identity(1);
    assert.equal(ok((await f.fetch([req("db", who)]))[0]), "v1");
    vault.setTokenFault(who.clientId, "stale");
    const [result] = await f.fetch([req("db", who)], { force: true });
    assert.equal(ok(result), "v1");
    assert.deepEqual(vault.discards, [who.clientId]);
    assert.equal(vault.count("get"), 3, "the first GET, the refused one, and its retry");
    assert.equal(f.stats().tokenRefreshes, 1);
    assert.equal(f.stats().requestsSent, 3, "the retry took a budget token like any other request");
  });

  void it("concurrent requests of one identity discard its token once", async () => {
    const f = fetcher();
    const who = identity(1);
    vault.setTokenFault(who.clientId, "stale");
    const results = await f.fetch([req("db", who), req("api", who)]);
    assert.deepEqual(results.map(ok), ["v1", "v1"]);
    assert.deepEqual(vault.discards, [who.clientId]);
  });

  void it("a refused fresh token ends as AccessDenied, pauses the identity for this vault (sending nothing), and resumes when accepted", async () => {
    const f = fetcher({ circuitBreaker: { failureThreshold: 100 } });
    const who = identity(1);
    vault.setTokenFault(who.clientId, "refused");
    const first = failure((await f.fetch([req("db", who)]))[0]);
    assert.equal(first.kind, ProviderErrorKind.accessDenied);
    assert.equal(first.retryAfterMs, 1000);
    assert.equal(vault.count(), 2, "the refused request and one retry with a fresh token");

    const paused = failure((await f.fetch([req("db", who)], { force: true }))[0]);
    assert.equal(paused.kind, ProviderErrorKind.accessDenied);
    assert.match(paused.message, /HTTP 401/, "names the refusal that paused it");
    assert.equal(paused.underlying?.kind, ProviderErrorKind.accessDenied);
    assert.equal(paused.refusedLocally, true);
    assert.equal(first.refusedLocally, undefined, "the vault's own refusal was not local");
    assert.equal(vault.count(), 2, "nothing sent while paused");
    assert.equal(f.stats().refusedByIdentityPause, 1);

    clock.advance(1000);
    const second = failure((await f.fetch([req("db", who)], { force: true }))[0]);
    assert.equal(second.retryAfterMs, 2000, "pauses grow: 1, 2, 4, 8, 16 s");
    assert.equal(vault.count(), 3, "a token that was already fresh is not retried at once");

    vault.setTokenFault(who.clientId, undefined);
    clock.advance(2000);
    assert.equal(ok((await f.fetch([req("db", who)], { force: true }))[0]), "v1");
    const text = await registry.metrics();
    assert.match(text, /keyvault_token_refreshes_total\{vault="kv-auth",outcome="refreshed"\} 1/);
    assert.match(text, /keyvault_token_refreshes_total\{vault="kv-auth",outcome="paused"\} 2/);
  });

  void it("a token endpoint that forgot the client: AccessDenied, bounded exchanges, resumes once it knows the client again", async () => {
    const f = fetcher({ circuitBreaker: { failureThreshold: 100 } });
    const who = identity(2);
    vault.setTokenFault(who.clientId, "exchange");
    const first = failure((await f.fetch([req("db", who)]))[0]);
    assert.equal(first.kind, ProviderErrorKind.accessDenied);
    assert.match(first.message, /could not obtain a Key Vault token/);
    for (let i = 0; i < 10; i++) await f.fetch([req("db", who)], { force: true });
    assert.equal(vault.count(), 2, "ten more reconciles within the pause cost nothing");
    vault.setTokenFault(who.clientId, undefined);
    clock.advance(1000);
    assert.equal(ok((await f.fetch([req("db", who)], { force: true }))[0]), "v1");
  });

  void it("the breaker sees refusals: a vault that refuses every identity is asked at most twice per identity until it opens", async () => {
    const f = fetcher({ circuitBreaker: { failureThreshold: 5, cooldownMs: 30_000 } });
    for (let n = 1; n <= 20; n++) vault.setTokenFault(identity(n).clientId, "refused");
    const kinds: string[] = [];
    for (let n = 1; n <= 20; n++) kinds.push(failure((await f.fetch([req("db", identity(n))]))[0]).kind);
    assert.equal(vault.count(), 10, "5 identities × (refused request + one retry), then the circuit is open");
    assert.deepEqual(kinds.slice(0, 5), Array(5).fill(ProviderErrorKind.accessDenied));
    assert.deepEqual(kinds.slice(5), Array(15).fill(ProviderErrorKind.circuitOpen));
    const open = failure((await f.fetch([req("db", identity(21))]))[0]);
    assert.equal(open.underlying?.kind, ProviderErrorKind.accessDenied, "the open circuit names its cause");
    assert.match(open.message, /last failure: access to secret "db"/);
  });

  void it("one misconfigured identity does not open the circuit for the others", async () => {
    const f = fetcher({ circuitBreaker: { failureThreshold: 3 } });
    vault.setTokenFault(identity(9).clientId, "refused");
    for (let round = 0; round < 5; round++) {
      clock.advance(20_000);
      await f.fetch([req("db", identity(9))], { force: true });
      assert.equal(ok((await f.fetch([req("db", identity(1))], { force: true }))[0]), "v1");
    }
  });
});

void describe("CachingObjectFetcher: an open circuit names the underlying failure", () => {
  void it("a 429 storm opens the circuit; its refusals say Throttled", async () => {
    const f = fetcher({ circuitBreaker: { failureThreshold: 3, cooldownMs: 30_000 }, maxRetries: 2 });
    for (let i = 0; i < 3; i++) vault.faults.push({ status: 429 });
    const throttled = failure((await f.fetch([req("db", identity(1))]))[0]);
    assert.equal(throttled.kind, ProviderErrorKind.throttled);
    clock.advance(10_000);
    const open = failure((await f.fetch([req("api", identity(1))]))[0]);
    assert.equal(open.kind, ProviderErrorKind.circuitOpen);
    assert.deepEqual(open.underlying?.kind, ProviderErrorKind.throttled);
    assert.equal(open.refusedLocally, true, "nothing was sent: retryAfterMs is the next probe");
    assert.match(open.message, /circuit open.*last failure: Key Vault throttled/);
  });
});

void describe("AuthRecovery: pause cap", () => {
  void it("never pauses longer than the breaker's cooldown", () => {
    const auth = new AuthRecovery({ backoff: DEFAULT_BACKOFF, maxPauseMs: 3000 });
    const pauses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = auth.rejected("id", "pair", auth.generation("id"), true, refusal, 0);
      if (d.action === "refuse") pauses.push(d.retryAfterMs);
    }
    assert.deepEqual(pauses, [1000, 2000, 3000, 3000, 3000]);
  });
});
