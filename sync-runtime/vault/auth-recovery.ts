/**
 * Recovery from refused tokens, per identity (pure state machine; the caller passes the time in).
 *
 * A vault answers 401 to a token it no longer accepts (signing-key rollover, revocation, a restarted identity
 * service), and a token endpoint refuses an exchange for a client it forgot. The SDK would keep sending the
 * refused token until it nears its own expiry; instead:
 *
 * 1. The first refusal of a token that has not been refreshed yet discards the identity's tokens (vault token and
 *    ServiceAccount assertion) and the attempt runs once more with a fresh exchange.
 * 2. A refusal of a fresh token pauses that (vault, identity) pair for 1, 2, 4, 8, 16 s (× base, at most the
 *    breaker's cooldown) — requests fail at once with AccessDenied naming the refusal — discards the tokens
 *    again, and is reported to the vault's circuit breaker like any other failure (so a vault that refuses
 *    everyone stops being asked).
 * 3. The first success ends the pause sequence.
 *
 * Concurrent refusals of the same token discard it once: each attempt remembers the identity's generation (the
 * number of discards so far) and an attempt that started before the latest discard just retries with the new
 * tokens.
 */
import { retryDelayMs } from "./backoff.ts";
import type { BackoffOptions } from "./backoff.ts";
import { LruCache } from "./lru.ts";
import type { ProviderErrorInfo } from "./types.ts";

/** Options of {@link AuthRecovery}. */
export interface AuthRecoveryOptions {
  /** Pause after the n-th consecutive refusal of a fresh token: 1, 2, 4, 8, 16 s (× base) by default. */
  backoff: BackoffOptions;
  /** Longest pause (the vault's breaker cooldown, so a pause never outlasts a circuit). Default: no cap. */
  maxPauseMs?: number;
  /** (vault, identity) pairs and identities tracked (LRU). Default 4096. */
  maxTracked?: number;
}

/** What the caller does after a refused token. */
export type RejectionDecision =
  /** Run the attempt once more (`discard`: drop the identity's tokens first). */
  | { action: "retry"; discard: boolean }
  /**
   * Report AccessDenied, retry after `retryAfterMs`. `counted`: this refusal started (or extended) a pause and
   * is a failure for the vault's circuit breaker; `discard`: drop the identity's tokens so the next attempt
   * exchanges afresh.
   */
  | { action: "refuse"; discard: boolean; retryAfterMs: number; counted: boolean };

/** Whether a (vault, identity) pair may send now. */
export type AuthAdmission =
  { allowed: true } | { allowed: false; retryAfterMs: number; lastRefusal: ProviderErrorInfo };

interface PairState {
  refusals: number;
  pausedUntilMs: number;
  lastRefusal?: ProviderErrorInfo;
}

/** See module doc. Keys: `identity` = identityKey(...), `pair` = vault + identity. */
export class AuthRecovery {
  private readonly backoff: BackoffOptions;
  private readonly maxPauseMs: number;
  private readonly generations: LruCache<string, number>;
  private readonly pairs: LruCache<string, PairState>;

  constructor(options: AuthRecoveryOptions) {
    this.backoff = options.backoff;
    this.maxPauseMs = options.maxPauseMs ?? Number.POSITIVE_INFINITY;
    const max = options.maxTracked ?? 4096;
    this.generations = new LruCache(max);
    this.pairs = new LruCache(max);
  }

  /** Number of discards of `identity`'s tokens so far; an attempt records it when it starts. */
  generation(identity: string): number {
    return this.generations.peek(identity) ?? 0;
  }

  /** Paused pairs fail at once, naming the refusal that paused them. */
  admit(pair: string, nowMs: number): AuthAdmission {
    const state = this.pairs.peek(pair);
    if (!state?.lastRefusal || nowMs >= state.pausedUntilMs) return { allowed: true };
    return { allowed: false, retryAfterMs: state.pausedUntilMs - nowMs, lastRefusal: state.lastRefusal };
  }

  /**
   * An attempt that started at `attemptGeneration` had its token refused.
   * @param retried the attempt is already the one retry of a refused token.
   */
  rejected(
    identity: string,
    pair: string,
    attemptGeneration: number,
    retried: boolean,
    refusal: ProviderErrorInfo,
    nowMs: number,
  ): RejectionDecision {
    const generation = this.generation(identity);
    const state = this.pairs.get(pair) ?? { refusals: 0, pausedUntilMs: 0 };
    this.pairs.set(pair, state);
    if (attemptGeneration !== generation) {
      // Someone discarded the tokens after this attempt started: try the new ones (once).
      return retried
        ? {
            action: "refuse",
            discard: false,
            retryAfterMs: Math.max(0, state.pausedUntilMs - nowMs),
            counted: false,
          }
        : { action: "retry", discard: false };
    }
    this.generations.set(identity, generation + 1);
    if (!retried && state.refusals === 0) return { action: "retry", discard: true };
    state.refusals += 1;
    const pauseMs = Math.min(retryDelayMs(state.refusals - 1, undefined, this.backoff), this.maxPauseMs);
    state.pausedUntilMs = nowMs + pauseMs;
    state.lastRefusal = refusal;
    return { action: "refuse", discard: true, retryAfterMs: pauseMs, counted: true };
  }

  /** The pair's request succeeded: its tokens work again. */
  succeeded(pair: string): void {
    const state = this.pairs.peek(pair);
    if (state && (state.refusals > 0 || state.lastRefusal)) this.pairs.delete(pair);
  }
}
