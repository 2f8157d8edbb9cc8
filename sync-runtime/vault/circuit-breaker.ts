/**
 * A per-vault circuit breaker: closed → open after `failureThreshold` consecutive throttled/unavailable
 * answers → half-open after `cooldownMs` (one probe at a time) → closed on a successful probe, open again on a
 * failed one. Answers that prove the vault is alive (200, 404, 403) close it. Pure: time is passed in.
 */

/** Breaker states; the numeric gauge value is the index (0 closed, 1 half-open, 2 open). */
export const CircuitState = { closed: "closed", halfOpen: "half-open", open: "open" } as const;
/** One of {@link CircuitState}. */
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

/** Gauge encoding of {@link CircuitState} for `keyvault_circuit_state`. */
export const CIRCUIT_STATE_GAUGE: Record<CircuitState, number> = { closed: 0, "half-open": 1, open: 2 };

/** Breaker settings. */
export interface CircuitBreakerOptions {
  /** Consecutive throttled/unavailable failures that open the circuit. Default 5. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe is let through. Default 30,000 ms. */
  cooldownMs: number;
}

/** Defaults: open after 5 consecutive failures, probe after 30 s. */
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = { failureThreshold: 5, cooldownMs: 30_000 };

/**
 * How long a request refused while the half-open probe is out is told to wait at least (then as long as the probe
 * has been out, at most the cooldown).
 */
export const PROBE_WAIT_MS = 1000;

/** Whether a request may go out. */
export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

/** One vault's breaker. */
export class CircuitBreaker {
  readonly options: CircuitBreakerOptions;
  private stateValue: CircuitState = CircuitState.closed;
  private consecutiveFailures = 0;
  private openedAtMs = 0;
  private probeInFlight = false;
  private probeSentAtMs = 0;

  constructor(options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new Error("circuitBreaker.failureThreshold must be >= 1");
    if (!(options.cooldownMs >= 0)) throw new Error("circuitBreaker.cooldownMs must be >= 0");
    this.options = options;
  }

  /** Current state (moves open → half-open when the cooldown has passed). */
  state(nowMs: number): CircuitState {
    if (this.stateValue === CircuitState.open && nowMs - this.openedAtMs >= this.options.cooldownMs) {
      this.stateValue = CircuitState.halfOpen;
      this.probeInFlight = false;
    }
    return this.stateValue;
  }

  /** Asks to send one request. In half-open only one probe is admitted until it reports back. */
  admit(nowMs: number): Admission {
    const state = this.state(nowMs);
    if (state === CircuitState.closed) return { allowed: true, probe: false };
    if (state === CircuitState.halfOpen && !this.probeInFlight) {
      this.probeInFlight = true;
      this.probeSentAtMs = nowMs;
      return { allowed: true, probe: true };
    }
    // While a probe is out, ask again soon — when it succeeds everyone may go, not one cooldown later — but
    // less often the longer it has been out (a vault that hangs).
    const probeWaitMs = Math.max(PROBE_WAIT_MS, nowMs - this.probeSentAtMs);
    const remaining =
      state === CircuitState.open
        ? this.options.cooldownMs - (nowMs - this.openedAtMs)
        : Math.min(this.options.cooldownMs, probeWaitMs);
    return { allowed: false, retryAfterMs: Math.max(1, remaining) };
  }

  /** The vault answered (any answer that is not throttling or unavailability). */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    this.stateValue = CircuitState.closed;
  }

  /** The vault throttled or did not answer. */
  recordFailure(nowMs: number): void {
    this.consecutiveFailures++;
    const wasProbe = this.stateValue === CircuitState.halfOpen;
    this.probeInFlight = false;
    if (wasProbe || this.consecutiveFailures >= this.options.failureThreshold) {
      this.stateValue = CircuitState.open;
      this.openedAtMs = nowMs;
    }
  }

  /** A request was admitted but never sent (e.g. the budget refused it): frees the probe slot. */
  release(): void {
    this.probeInFlight = false;
  }
}
