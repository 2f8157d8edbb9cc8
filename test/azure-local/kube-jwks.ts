/**
 * The kube-apiserver's ServiceAccount token signing keys (`<apiServerUrl>/openid/v1/jwks`), fetched over mTLS
 * with the identity endpoint's client certificate and the apiserver CA, cached, and refreshed when a token names
 * a key id the cache does not hold (at most once per `minRefreshIntervalMs`).
 */
import type { webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";

/** Where and how to fetch the JWKS. */
export interface KubeJwksOptions {
  apiServerUrl: string;
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** Least time between two fetches triggered by unknown key ids, ms. Default 1000. */
  minRefreshIntervalMs?: number;
  /** Clock, ms. Default Date.now. */
  nowMs?: () => number;
}

/** A JWK with its key id. */
export type KidJwk = webcrypto.JsonWebKey & { kid?: string };

/** See module doc. */
export class KubeJwks {
  private readonly options: KubeJwksOptions;
  private keys: KidJwk[] | undefined;
  private lastFetchMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<KidJwk[]> | undefined;
  private agent: https.Agent | undefined;

  constructor(options: KubeJwksOptions) {
    this.options = options;
  }

  /** The key a token's `kid` names (refreshing once when unknown); undefined when the apiserver has none such. */
  async key(kid: string | undefined): Promise<KidJwk | undefined> {
    const pick = (keys: KidJwk[]) =>
      kid === undefined ? (keys.length === 1 ? keys[0] : undefined) : keys.find((k) => k.kid === kid);
    if (this.keys) {
      const cached = pick(this.keys);
      if (cached) return cached;
      const now = (this.options.nowMs ?? Date.now)();
      if (now - this.lastFetchMs < (this.options.minRefreshIntervalMs ?? 1000)) return undefined;
    }
    return pick(await this.refresh());
  }

  /** Fetches the JWKS now (concurrent callers share one request). */
  refresh(): Promise<KidJwk[]> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Releases the keep-alive connection. */
  close(): void {
    this.agent?.destroy();
  }

  private fetchKeys(): Promise<KidJwk[]> {
    this.agent ??= new https.Agent({
      keepAlive: true,
      ca: readFileSync(this.options.caFile),
      cert: readFileSync(this.options.clientCertFile),
      key: readFileSync(this.options.clientKeyFile),
    });
    const url = `${this.options.apiServerUrl.replace(/\/$/, "")}/openid/v1/jwks`;
    return new Promise<KidJwk[]>((resolve, reject) => {
      const req = https.get(url, { agent: this.agent!, timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
            return;
          }
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { keys?: KidJwk[] };
            if (!Array.isArray(body.keys)) throw new Error("no keys array");
            this.keys = body.keys;
            this.lastFetchMs = (this.options.nowMs ?? Date.now)();
            resolve(body.keys);
          } catch (cause) {
            reject(new Error(`GET ${url}: not a JWKS`, { cause }));
          }
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`GET ${url}: timed out`)));
      req.on("error", (cause) => reject(new Error(`GET ${url} failed: ${cause.message}`, { cause })));
    });
  }
}
