/**
 * The fault suite's table (test infrastructure): each fault is one entry — how to inject it, how to end it (the
 * time to resume is measured from then), and what it must have shown on the way (status, Events, metrics). The
 * suite (test/integration/faults.test.ts) runs them in order against one runtime process on a private proving
 * ground, with the Secret monitor sampling throughout. Adding a fault is adding an entry.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { GroundPartName } from "../../scripts/local/restart.ts";
import type { VaultProxy } from "../azure-local/vault-proxy.ts";
import type { RuntimeProcess } from "./runtime-process.ts";

/** What a fault can do to the world. */
export interface FaultContext {
  /** The counting/fault proxy between the runtime and the vault. */
  proxy: VaultProxy;
  runtime: RuntimeProcess;
  /** Stops / starts one ground part (same ports; the env file and ledger stay right). */
  ground: { stop(part: GroundPartName): Promise<void>; start(part: GroundPartName): Promise<void> };
  /** Writes new versions of `count` vault secrets (round robin), recorded for the monitor. */
  rotate(count: number): Promise<void>;
  /** The Ready messages of every monitored SecretSync now (value-free). */
  readyMessages(): Promise<string[]>;
  /** Waits until some SecretSync's Ready message matches (status shows the cause), or throws. */
  waitForMessage(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Points the "movable" class at another vault name. */
  pointMovableClassAt(vaultName: string): Promise<void>;
  /** The vault the runtime was configured with, and a name that resolves to nothing reachable. */
  vaults: { good: string; wrong: string };
  /** The local identity endpoint's faults: rolls the signing key over; forgets / re-registers the workload. */
  identity: {
    rotateSigningKey(): Promise<void>;
    forgetClient(): Promise<void>;
    registerClient(): Promise<void>;
  };
  /** Events of the suite's namespace as `reason: message` lines, with their counts. */
  events(): Promise<Array<{ object: string; reason: string; message: string; count: number }>>;
  /** The runtime's /metrics now (also kept for the secrecy sweep). */
  metrics(): Promise<string>;
  /** Figures a fault adds to its result (e.g. refused tokens). */
  notes: Record<string, number>;
}

/** One entry of the table. */
export interface Fault {
  name: string;
  /** Starts the fault and keeps it up as long as it needs (rotating secrets meanwhile). */
  inject(ctx: FaultContext): Promise<void>;
  /** Ends it; resolves once the broken part is back (the resume clock starts then). */
  end(ctx: FaultContext): Promise<void>;
  /** What the fault must have shown (asserts). */
  check?(ctx: FaultContext): Promise<void>;
}

/** How long a fault is held while secrets rotate. */
export const HOLD_MS = 6000;
/**
 * How long a failure may take to reach a status: the next poll (15 s + 5 s jitter in the suite) plus the vault
 * layer's retries of one request (1 + 2 + 4 + 8 + 16 s without Retry-After).
 */
export const SHOWN_WITHIN_MS = 60_000;

/** The Events of provider failures whose message matches `pattern`. */
async function providerEvents(ctx: FaultContext, pattern: RegExp) {
  return (await ctx.events()).filter((e) => e.reason === "ProviderError" && pattern.test(e.message));
}

const restartOf = (part: GroundPartName, name: string, rotateFirst: boolean): Fault => ({
  name,
  async inject(ctx) {
    if (rotateFirst) await ctx.rotate(3);
    await ctx.ground.stop(part);
    if (!rotateFirst) await ctx.rotate(3);
    await sleep(HOLD_MS);
  },
  end: (ctx) => ctx.ground.start(part),
});

/** The faults, in the order they run. */
export const FAULTS: readonly Fault[] = [
  {
    name: "vault outage (connections refused)",
    async inject(ctx) {
      await ctx.proxy.setFaults([{ fault: { kind: "unreachable" } }]);
      await ctx.rotate(3);
      await sleep(HOLD_MS);
    },
    end: (ctx) => ctx.proxy.clearFaults(),
  },
  // The vault and identity endpoint restart with their state (rotations land before, while it is up).
  restartOf("azure-local", "vault and identity endpoint restart (state kept)", true),
  restartOf("kube-apiserver", "kube-apiserver restart", false),
  restartOf("etcd", "etcd restart", false),
  {
    name: "runtime SIGKILL in the middle of a rotation burst",
    async inject(ctx) {
      await ctx.metrics(); // the process's counters die with it: keep them for the sweep
      await ctx.rotate(5);
      await ctx.runtime.kill("SIGKILL");
      await ctx.rotate(5);
      await sleep(2000);
    },
    end: (ctx) => ctx.runtime.start(),
  },
  {
    name: "429 storm, then 503 storm",
    async inject(ctx) {
      // Key Vault sometimes sends Retry-After with its 429s; the 503s come without.
      await ctx.proxy.setFaults([{ fault: { kind: "status", status: 429, retryAfterSeconds: 1 } }]);
      await ctx.rotate(3);
      await ctx.waitForMessage(/throttl/i, SHOWN_WITHIN_MS);
      await ctx.proxy.setFaults([{ fault: { kind: "status", status: 503 } }]);
      await ctx.rotate(3);
      await ctx.waitForMessage(/HTTP 503/, SHOWN_WITHIN_MS);
    },
    end: (ctx) => ctx.proxy.clearFaults(),
    async check(ctx) {
      const throttled = await providerEvents(ctx, /throttl/i);
      const unavailable = await providerEvents(ctx, /HTTP 503/);
      if (throttled.length === 0) throw new Error("no Event named the throttling");
      if (unavailable.length === 0) throw new Error("no Event named the 503s after the throttling");
    },
  },
  {
    name: "SecretProviderClass pointing at a wrong vault",
    async inject(ctx) {
      await ctx.pointMovableClassAt(ctx.vaults.wrong);
      await ctx.rotate(1);
      // The cause reaches the status, also once the wrong vault's circuit is open.
      await ctx.waitForMessage(new RegExp(`vault "${ctx.vaults.wrong}".*(ECONNREFUSED)`), SHOWN_WITHIN_MS);
    },
    end: (ctx) => ctx.pointMovableClassAt(ctx.vaults.good),
    async check(ctx) {
      if ((await providerEvents(ctx, new RegExp(ctx.vaults.wrong))).length === 0)
        throw new Error("no Event named the wrong vault");
    },
  },
  {
    name: "401 for a cached token (signing-key rollover)",
    async inject(ctx) {
      ctx.proxy.reset();
      await ctx.identity.rotateSigningKey();
      await ctx.rotate(3);
      await sleep(HOLD_MS);
    },
    end: async () => {},
    async check(ctx) {
      const counts = ctx.proxy.counts();
      const refused = (counts.byStatus["401"] ?? 0) - counts.unauthenticated;
      ctx.notes.refusedTokens = refused;
      // One identity: each request in flight when the key rolled over may be refused once, never again.
      if (refused > 25) throw new Error(`${refused} refused tokens reached the vault`);
      if (!/keyvault_token_refreshes_total\{[^}]*outcome="refreshed"\} [1-9]/.test(await ctx.metrics()))
        throw new Error("no token refresh was counted");
    },
  },
  {
    name: "token endpoint forgets the client",
    async inject(ctx) {
      await ctx.identity.forgetClient();
      await ctx.identity.rotateSigningKey(); // cached tokens go too, so every request needs an exchange
      await ctx.rotate(3);
      // The status names the refusal as Entra ID would: the unknown client's AADSTS code and its client id.
      await ctx.waitForMessage(
        /identity exchange was refused \(AADSTS700016\): client id \S+ is not an application/,
        SHOWN_WITHIN_MS,
      );
    },
    end: (ctx) => ctx.identity.registerClient(),
  },
  // Deleting the runtime's leader pod needs the runtime as pods: test/integration/pulumi-local-stack.test.ts runs it
  // with the same monitor and secrecy sweep.
];
