/**
 * The upstream behaviour, for the benchmark's and the vault tests' comparison only: every request is answered by
 * its own GET(s) — no coalescing, no caches, no change detection (what the Secret Store extension / CSI provider
 * spend: one GET per item per SecretSync per poll; a version history lists the versions, then GETs each).
 * Not used by the runtime.
 */
import { mapProviderError } from "../../sync-runtime/vault/errors.ts";
import type { VaultProvider, VersionAttributes } from "../../sync-runtime/vault/provider.ts";
import { refOf, selectorOf, toFetched, validateRequest } from "../../sync-runtime/vault/request-keys.ts";
import { selectHistory, sortVersionsNewestFirst } from "../../sync-runtime/vault/resolution.ts";
import type { FetchResult, ObjectFetcher, ObjectRequest } from "../../sync-runtime/vault/types.ts";

/** See module doc. */
export class OneGetPerItemFetcher implements ObjectFetcher {
  private readonly provider: VaultProvider;

  constructor(provider: VaultProvider) {
    this.provider = provider;
  }

  async fetch(requests: readonly ObjectRequest[]): Promise<FetchResult[]> {
    return Promise.all(requests.map((request) => this.one(request)));
  }

  private async one(request: ObjectRequest): Promise<FetchResult> {
    const invalid = validateRequest(request);
    if (invalid) return { ok: false, error: invalid };
    const ref = refOf(request);
    try {
      const selector = selectorOf(request);
      if (selector.kind !== "history") {
        const record = await this.provider.getObject(
          ref,
          request.identity,
          selector.kind === "pinned" ? selector.version : undefined,
        );
        return { ok: true, versions: [toFetched(record, 0)] };
      }
      const cursor = this.provider.listVersions(ref, request.identity);
      const all: VersionAttributes[] = [];
      for (let page = await cursor.nextPage(); ; page = await cursor.nextPage()) {
        all.push(...page.items);
        if (page.done) break;
      }
      const selected = selectHistory(sortVersionsNewestFirst(all), selector.count, selector.pinnedVersion);
      const versions = [];
      for (const [index, v] of selected.entries()) {
        versions.push(toFetched(await this.provider.getObject(ref, request.identity, v.version), index));
      }
      return { ok: true, versions };
    } catch (error) {
      return { ok: false, error: mapProviderError(error, ref, Date.now()) };
    }
  }
}
