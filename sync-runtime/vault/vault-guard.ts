/**
 * Everything between the fetcher and one HTTP request to a vault: the per-vault request budget (token
 * bucket), the per-vault circuit breaker, the per-vault throttle gate (after a 429 nobody talks to that vault
 * until Retry-After, or 1, 2, 4, 8, 16 s, has passed), retries with backoff, and recovery from refused tokens
 * ({@link VaultGuard.authenticated}, auth-recovery.ts). Every request that reaches the vault takes a budget token,
 * failed ones included (Key Vault counts them too).
 */
import { AuthRecovery } from "./auth-recovery.ts";
import { DEFAULT_BACKOFF, retryDelayMs } from "./backoff.ts";
import type { BackoffOptions } from "./backoff.ts";
import { CIRCUIT_STATE_GAUGE, CircuitBreaker, DEFAULT_CIRCUIT_BREAKER } from "./circuit-breaker.ts";
import type { CircuitBreakerOptions, CircuitState } from "./circuit-breaker.ts";
import type { Clock } from "../clock.ts";
import { ProviderError, isRetryableKind, isTokenRejection, mapProviderError } from "./errors.ts";
import { ProviderMessage } from "./messages.ts";
import type { MessageSubject } from "./messages.ts";
import { OUTCOME_SUCCESS, TokenRefreshOutcome } from "./metrics.ts";
import type { VaultMetrics, VaultOperation } from "./metrics.ts";
import { identityKey } from "./provider.ts";
import { DEFAULT_BUDGET, TokenBucket } from "./token-bucket.ts";
import type { TokenBucketOptions } from "./token-bucket.ts";
import { ProviderErrorKind } from "./types.ts";
import type { ProviderErrorInfo, RequestIdentity } from "./types.ts";

/** Options of {@link VaultGuard}; every field has a default. */
export interface VaultGuardOptions {
  /** Time source and sleeper. */
  clock: Clock;
  /** Metric instruments; default none. */
  metrics?: VaultMetrics;
  /** Per-vault budget; default {@link DEFAULT_BUDGET} (20/s, burst 50, wait ≤ 30 s). */
  budget?: Partial<TokenBucketOptions>;
  /** Per-vault breaker; default {@link DEFAULT_CIRCUIT_BREAKER} (5 failures, 30 s cooldown). */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Backoff without Retry-After; default {@link DEFAULT_BACKOFF} (1, 2, 4, 8, 16 s). */
  backoff?: Partial<BackoffOptions>;
  /** Retries after a throttled/unavailable answer. Default 5 (the whole 1-16 s sequence). */
  maxRetries?: number;
  /** Drops an identity's tokens after a refusal (the provider's `discardCredentials`). Default: nothing to drop. */
  discardCredentials?: (identity: RequestIdentity) => void;
  /** The URL of a vault, named in the circuit-breaker message. Default none. */
  vaultUrl?: (vaultName: string) => string | undefined;
}

/** What one request is, for metrics and messages. */
export interface RequestLabel extends MessageSubject {
  operation: VaultOperation;
}

/** Client-side request counts (the benchmark reads them; the vault-side proxy is the authority). */
export interface VaultRequestStats {
  /** Requests handed to the SDK (each one HTTP request, not counting the SDK's one-time auth challenge). */
  requestsSent: number;
  /** requestsSent by operation. */
  byOperation: Record<string, number>;
  /** requestsSent by outcome ("success" or an error kind). */
  byOutcome: Record<string, number>;
  /** 429 answers. */
  throttled: number;
  /** Requests refused locally by the budget (never sent). */
  refusedByBudget: number;
  /** Requests refused locally by an open circuit (never sent). */
  refusedByCircuit: number;
  /** Requests refused locally because the vault's throttle gate would be closed longer than the budget wait. */
  refusedByThrottleGate: number;
  /** Requests refused locally because the identity's fresh token was refused by this vault moments ago. */
  refusedByIdentityPause: number;
  /** Refused tokens discarded and tried once more with a fresh exchange. */
  tokenRefreshes: number;
}

interface VaultState {
  bucket: TokenBucket;
  breaker: CircuitBreaker;
  blockedUntilMs: number;
  consecutiveThrottles: number;
  /** The failure the breaker counted last (named when the open circuit refuses a request). */
  lastFailure?: ProviderErrorInfo;
}

/** See module doc. */
export class VaultGuard {
  private readonly clock: Clock;
  private readonly metrics: VaultMetrics | undefined;
  private readonly budget: TokenBucketOptions;
  private readonly breakerOptions: CircuitBreakerOptions;
  private readonly backoff: BackoffOptions;
  private readonly maxRetries: number;
  private readonly auth: AuthRecovery;
  private readonly discardCredentials: ((identity: RequestIdentity) => void) | undefined;
  private readonly vaultUrl: (vaultName: string) => string | undefined;
  private readonly vaults = new Map<string, VaultState>();
  private readonly counts: VaultRequestStats = {
    requestsSent: 0,
    byOperation: {},
    byOutcome: {},
    throttled: 0,
    refusedByBudget: 0,
    refusedByCircuit: 0,
    refusedByThrottleGate: 0,
    refusedByIdentityPause: 0,
    tokenRefreshes: 0,
  };

  constructor(options: VaultGuardOptions) {
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.budget = { ...DEFAULT_BUDGET, ...options.budget };
    this.breakerOptions = { ...DEFAULT_CIRCUIT_BREAKER, ...options.circuitBreaker };
    const base = options.backoff?.baseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs;
    this.backoff = { ...DEFAULT_BACKOFF, maxDelayMs: base * 16, ...options.backoff };
    this.maxRetries = options.maxRetries ?? 5;
    this.auth = new AuthRecovery({ backoff: this.backoff, maxPauseMs: this.breakerOptions.cooldownMs });
    this.discardCredentials = options.discardCredentials;
    this.vaultUrl = options.vaultUrl ?? (() => undefined);
    if (!(Number.isInteger(this.maxRetries) && this.maxRetries >= 0))
      throw new Error("maxRetries must be an integer >= 0");
    // Validate eagerly so bad options fail at construction, not on the first request.
    new TokenBucket(this.budget, 0);
    new CircuitBreaker(this.breakerOptions);
  }

  private vault(vaultName: string): VaultState {
    const key = vaultName.toLowerCase();
    let state = this.vaults.get(key);
    if (!state) {
      state = {
        bucket: new TokenBucket(this.budget, this.clock.nowMs()),
        breaker: new CircuitBreaker(this.breakerOptions),
        blockedUntilMs: 0,
        consecutiveThrottles: 0,
      };
      this.vaults.set(key, state);
    }
    return state;
  }

  /** The breaker state of a vault (closed for vaults never used). */
  circuitState(vaultName: string): CircuitState {
    return this.vault(vaultName).breaker.state(this.clock.nowMs());
  }

  /** Tokens left in a vault's budget now. */
  budgetTokens(vaultName: string): number {
    return this.vault(vaultName).bucket.available(this.clock.nowMs());
  }

  /** A copy of the request counts. */
  stats(): VaultRequestStats {
    return structuredClone(this.counts);
  }

  private refuse(label: RequestLabel, info: ProviderErrorInfo): never {
    this.count(label, info.kind, false);
    throw new ProviderError({ ...info, refusedLocally: true });
  }

  private count(label: RequestLabel, outcome: string, sent: boolean): void {
    if (sent) {
      this.counts.requestsSent++;
      this.counts.byOperation[label.operation] = (this.counts.byOperation[label.operation] ?? 0) + 1;
      this.counts.byOutcome[outcome] = (this.counts.byOutcome[outcome] ?? 0) + 1;
    }
    this.metrics?.requestsTotal.inc({ vault: label.vaultName, operation: label.operation, outcome });
  }

  private publishGauges(vaultName: string, state: VaultState): void {
    const now = this.clock.nowMs();
    this.metrics?.circuitState.set({ vault: vaultName }, CIRCUIT_STATE_GAUGE[state.breaker.state(now)]);
    this.metrics?.budgetTokens.set({ vault: vaultName }, state.bucket.available(now));
  }

  /** Sends exactly one request through gate, breaker and budget. Throws {@link ProviderError}. */
  async request<T>(label: RequestLabel, send: () => Promise<T>): Promise<T> {
    const state = this.vault(label.vaultName);
    const gateWaitMs = state.blockedUntilMs - this.clock.nowMs();
    if (gateWaitMs > this.budget.maxWaitMs) {
      this.counts.refusedByThrottleGate++;
      this.refuse(label, {
        kind: ProviderErrorKind.throttled,
        message: ProviderMessage.throttled(label, gateWaitMs),
        retryAfterMs: gateWaitMs,
      });
    }
    if (gateWaitMs > 0) await this.clock.sleep(gateWaitMs);
    const admission = state.breaker.admit(this.clock.nowMs());
    if (!admission.allowed) {
      this.counts.refusedByCircuit++;
      this.publishGauges(label.vaultName, state);
      const last = state.lastFailure;
      this.refuse(label, {
        kind: ProviderErrorKind.circuitOpen,
        message: ProviderMessage.circuitOpen(
          label,
          admission.retryAfterMs,
          last?.message,
          this.safeVaultUrl(label.vaultName),
        ),
        code: last?.code ? last.code : undefined,
        retryAfterMs: admission.retryAfterMs,
        underlying: last ? underlyingOf(last) : undefined,
      });
    }
    const reservation = state.bucket.reserve(this.clock.nowMs());
    if (!reservation.granted) {
      state.breaker.release();
      this.counts.refusedByBudget++;
      this.publishGauges(label.vaultName, state);
      this.refuse(label, {
        kind: ProviderErrorKind.budgetExhausted,
        message: ProviderMessage.budgetExhausted(label, reservation.retryAfterMs),
        retryAfterMs: reservation.retryAfterMs,
      });
    }
    this.publishGauges(label.vaultName, state);
    if (reservation.waitMs > 0) await this.clock.sleep(reservation.waitMs);
    const startedMs = this.clock.nowMs();
    try {
      const result = await send();
      state.breaker.recordSuccess();
      state.consecutiveThrottles = 0;
      this.observe(label, startedMs, "");
      this.count(label, OUTCOME_SUCCESS, true);
      return result;
    } catch (error) {
      const info = mapProviderError(error, label, this.clock.nowMs());
      this.observe(label, startedMs, info.kind);
      this.count(label, info.kind, true);
      this.recordFailure(label.vaultName, state, info, error);
      throw error instanceof ProviderError ? error : new ProviderError(info, { cause: error });
    } finally {
      this.publishGauges(label.vaultName, state);
    }
  }

  private safeVaultUrl(vaultName: string): string | undefined {
    try {
      return this.vaultUrl(vaultName);
    } catch {
      return undefined;
    }
  }

  private observe(label: RequestLabel, startedMs: number, error: string): void {
    this.metrics?.request.observe(
      { object_name: label.objectName ?? "", object_type: label.objectType ?? "", error },
      Math.max(0, this.clock.nowMs() - startedMs) / 1000,
    );
  }

  private recordFailure(vaultName: string, state: VaultState, info: ProviderErrorInfo, error: unknown): void {
    const now = this.clock.nowMs();
    // A refused token proves nothing either way yet: `authenticated` retries it once and counts a second refusal.
    if (isTokenRejection(error)) {
      state.breaker.release();
      return;
    }
    if (info.kind === ProviderErrorKind.throttled) {
      this.counts.throttled++;
      this.metrics?.throttledTotal.inc({ vault: vaultName });
      const delay = retryDelayMs(state.consecutiveThrottles, info.retryAfterMs, this.backoff);
      state.consecutiveThrottles++;
      state.blockedUntilMs = Math.max(state.blockedUntilMs, now + delay);
    }
    if (isRetryableKind(info.kind)) {
      state.breaker.recordFailure(now);
      state.lastFailure = info;
    } else if (info.kind !== ProviderErrorKind.internal) state.breaker.recordSuccess();
    else state.breaker.release();
  }

  /**
   * Runs `attempt` (one or more {@link request}s to `vaultName` as `identity`) with recovery from refused tokens
   * (auth-recovery.ts): a refused token is discarded and the attempt runs once more with a fresh exchange (its
   * requests take budget tokens like any other); a refused fresh token pauses the pair, counts as a failure for
   * the vault's breaker and ends as AccessDenied with `retryAfterMs`. Inside {@link withRetries}.
   */
  async authenticated<T>(
    vaultName: string,
    identity: RequestIdentity,
    attempt: () => Promise<T>,
  ): Promise<T> {
    const who = identityKey(identity);
    const pair = `${vaultName.toLowerCase()}\u0000${who}`;
    const admission = this.auth.admit(pair, this.clock.nowMs());
    if (!admission.allowed) {
      this.counts.refusedByIdentityPause++;
      throw new ProviderError({
        ...admission.lastRefusal,
        retryAfterMs: admission.retryAfterMs,
        underlying: underlyingOf(admission.lastRefusal),
        refusedLocally: true,
      });
    }
    for (let retried = false; ; retried = true) {
      const generation = this.auth.generation(who);
      try {
        const result = await attempt();
        this.auth.succeeded(pair);
        return result;
      } catch (error) {
        if (!(error instanceof ProviderError) || !isTokenRejection(error)) throw error;
        const now = this.clock.nowMs();
        const decision = this.auth.rejected(who, pair, generation, retried, error.info, now);
        if (decision.discard) this.discardCredentials?.(identity);
        if (decision.action === "retry") {
          if (decision.discard) {
            this.counts.tokenRefreshes++;
            this.metrics?.tokenRefreshesTotal.inc({
              vault: vaultName,
              outcome: TokenRefreshOutcome.refreshed,
            });
          }
          continue;
        }
        if (decision.counted) {
          const state = this.vault(vaultName);
          state.breaker.recordFailure(now);
          state.lastFailure = error.info;
          this.publishGauges(vaultName, state);
          this.metrics?.tokenRefreshesTotal.inc({ vault: vaultName, outcome: TokenRefreshOutcome.paused });
        }
        throw new ProviderError(
          { ...error.info, retryAfterMs: decision.retryAfterMs },
          { cause: error.cause },
        );
      }
    }
  }

  /**
   * Runs `attempt` (one or more {@link request}s) and retries it after throttled/unavailable failures, waiting
   * Retry-After or 1, 2, 4, 8, 16 s (× base). The final failure carries `retryAfterMs` = the next delay.
   */
  async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ProviderError) || !isRetryableKind(error.info.kind)) throw error;
        const delay = retryDelayMs(retry, error.info.retryAfterMs, this.backoff);
        if (retry >= this.maxRetries) {
          throw new ProviderError({ ...error.info, retryAfterMs: delay }, { cause: error.cause });
        }
        await this.clock.sleep(delay);
      }
    }
  }
}

/** The part of a failure an open circuit or a paused identity passes on (never a value: messages are value-free). */
function underlyingOf(info: ProviderErrorInfo): NonNullable<ProviderErrorInfo["underlying"]> {
  if (info.underlying) return info.underlying;
  return {
    kind: info.kind,
    message: info.message,
    httpStatus: info.httpStatus,
  };
}
