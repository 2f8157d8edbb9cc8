/**
 * Inputs the program takes from the sync runtime and the proving ground, read at program start:
 * the runtime bundle (esbuild of sync-runtime/main.ts), the runtime's CRDs (sync-runtime/crds/index.ts
 * `keyfleetCrds()`), and the local proving ground's kubeconfig/vault/tenant (scripts/local/env.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import type { CrdManifest } from "../components/sync-runtime/index.ts";
import { RuntimeEnv } from "../common/vocabulary.ts";
import { readLocalEnvironment, type LocalEnvironment } from "../scripts/local/env.ts";
import type { LocalInputs } from "./program.ts";

const REPO = path.resolve(import.meta.dirname, "..");
/** Entry of the in-cluster runtime. */
export const RUNTIME_ENTRY = path.join(REPO, "sync-runtime", "main.ts");
/** Module exporting `keyfleetCrds()`. */
export const CRDS_MODULE = path.join(REPO, "sync-runtime", "crds", "index.ts");
/** Tiny stand-in bundle for tests and synth snapshots (the real bundle is built by {@link buildRuntimeBundle}). */
export const STUB_BUNDLE = "// keyfleet sync-runtime bundle stub (synth/tests)\nconsole.log('stub');\n";

/**
 * Bundles sync-runtime/main.ts into one ESM file for Node LTS (minified; deterministic for the same sources).
 * @throws when the entry does not exist yet.
 */
export function buildRuntimeBundle(entry: string = RUNTIME_ENTRY): string {
  if (!existsSync(entry))
    throw new Error(`runtime entry ${entry} not found; the bundled engine needs sync-runtime/main.ts`);
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    minify: true,
    write: false,
    legalComments: "none",
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __kfCreateRequire } from 'node:module'; const require = __kfCreateRequire(import.meta.url);",
    },
  });
  return asciiOnly(result.outputFiles[0]!.text);
}

/**
 * Escapes every non-ASCII UTF-16 unit as `\uXXXX` (pure). esbuild leaves a few in regular-expression literals;
 * one such character makes V8 keep the whole 4 MB source as a two-byte string (8 MB of heap instead of 4). The
 * escape means the same in strings, templates, regular expressions and identifiers (only a regular expression's
 * `.source` text shows the escape).
 */
export function asciiOnly(source: string): string {
  return source.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The runtime's CRDs from `keyfleetCrds()`; [] (with a warning on stderr) while that module does not exist. */
export async function loadRuntimeCrds(module: string = CRDS_MODULE): Promise<CrdManifest[]> {
  if (!existsSync(module)) {
    process.stderr.write(`warning: ${module} not found; bundled clusters get no CRDs\n`);
    return [];
  }
  const mod = (await import(pathToFileURL(module).href)) as { keyfleetCrds?: () => CrdManifest[] };
  if (typeof mod.keyfleetCrds !== "function") throw new Error(`${module} does not export keyfleetCrds()`);
  return mod.keyfleetCrds();
}

/**
 * Local inputs from a proving-ground description (reads the admin kubeconfig file). Pulumi's own resources (the
 * local Azure providers, run by the engine on this host) use the loopback URLs; the runtime's pods get the node's
 * endpoints, CA and imported image when the ground has a node, else the loopback ones (a runtime on this host).
 */
export function localInputsFrom(env: LocalEnvironment): LocalInputs {
  const node = env.node;
  return {
    kubeconfig: readFileSync(env.kubernetes.adminKubeconfig, "utf8"),
    vaultName: env.vault.vaultName,
    vaultUrl: env.vault.url,
    tenantId: env.identity.tenantId,
    ground: env.envFile,
    serviceAccountIssuer: env.kubernetes.serviceAccountIssuer,
    // The runtime's own option names (sync-runtime/options.ts): explicit URL per vault, token authority, CA.
    runtimeEnv: node
      ? {
          [RuntimeEnv.vaultUrls]: `${env.vault.vaultName}=${node.endpoints.vaultUrl}`,
          [RuntimeEnv.authorityHost]: node.endpoints.authorityHost,
          [RuntimeEnv.caFile]: node.podCaFile,
        }
      : {
          [RuntimeEnv.vaultUrls]: `${env.vault.vaultName}=${env.vault.url}`,
          [RuntimeEnv.authorityHost]: env.identity.authorityHost,
        },
    nodeImage: node ? node.images.node : undefined,
    kubernetesProviderVersion: env.pulumi
      ? env.pulumi.versions.kubernetesProvider.replace(/^v/, "")
      : undefined,
  };
}

/** Reads the running proving ground (KEYFLEET_LOCAL_ENV or .keyfleet/local/env.json). */
export function readLocalInputs(): LocalInputs {
  return localInputsFrom(readLocalEnvironment());
}

/** Placeholder local inputs for synth without a running proving ground (no real endpoint, no secret). */
export const PLACEHOLDER_LOCAL_INPUTS: LocalInputs = {
  kubeconfig: "apiVersion: v1\nkind: Config\n# placeholder: synth without a running proving ground\n",
  vaultName: "local",
  vaultUrl: "https://127.0.0.1:8443",
  tenantId: "00000000-0000-0000-0000-000000000000",
  ground: ".keyfleet/local/env.json",
  serviceAccountIssuer: "https://127.0.0.1:6443",
  runtimeEnv: {
    [RuntimeEnv.vaultUrls]: "local=https://127.0.0.1:8443",
    [RuntimeEnv.authorityHost]: "https://127.0.0.1:8444",
  },
};
