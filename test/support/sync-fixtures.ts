/** Shared fixtures of the sync unit tests (not a test file itself). */
import type { SecretProviderClassResource, SecretSyncResource } from "../../sync-runtime/sync/types.ts";

export const TENANT = "00000000-0000-4000-8000-00000000a1a1";
export const CLIENT = "11111111-2222-4333-8444-555555555555";

/** An objects YAML string as users write it. */
export function objectsYaml(entries: string[]): string {
  return `array:\n${entries
    .map(
      (e) =>
        `  - |\n${e
          .split("\n")
          .map((l) => `    ${l}`)
          .join("\n")}`,
    )
    .join("\n")}\n`;
}

export function spcResource(
  objects: string,
  extra: Record<string, string> = {},
): SecretProviderClassResource {
  return {
    metadata: { name: "spc", namespace: "team-a", uid: "spc-uid", generation: 1 },
    spec: {
      provider: "azure",
      parameters: { keyvaultName: "kv-one", tenantID: TENANT, clientID: CLIENT, objects, ...extra },
    },
  };
}

export function syncResource(spec: Record<string, unknown>, name = "app"): SecretSyncResource {
  return {
    metadata: { name, namespace: "team-a", uid: `uid-${name}`, generation: 1, resourceVersion: "1" },
    spec: { serviceAccountName: "app-sa", secretProviderClassName: "spc", ...spec },
  };
}
