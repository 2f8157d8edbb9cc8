/**
 * The Pulumi engine on the proving ground: the CLI, the Node.js language host and the Kubernetes provider, built from
 * Go modules into the cache; a file backend in the ground's state folder (its stacks live as long as the ground's
 * cluster), a passphrase secrets provider, no plugin downloads and no update checks. No process of its own:
 * `npm run local:pulumi -- <args>` runs the CLI with the environment this part describes.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureBuilt, type BuildSpec } from "../build-cache.ts";
import type { LocalPulumi } from "../env.ts";
import { PINNED_NODE, PULUMI_VERSIONS, pulumiCacheDir } from "../paths.ts";
import type { Progress } from "../progress.ts";
import type { GroundPart } from "./part.ts";

/**
 * Passphrase of the `local` stack's secrets (the proving ground's throwaway values only; the salt is committed in
 * stacks/Pulumi.local.yaml). Real stacks use a cloud secrets provider or their own passphrase.
 */
export const LOCAL_PASSPHRASE = "keyfleet-local-proving-ground";

/** The engine's build (scripts/local/build-pulumi.sh). */
export function pulumiBuild(): BuildSpec {
  const v = PULUMI_VERSIONS;
  return {
    label: `the Pulumi engine (CLI ${v.cli}, Node.js language host from SDK ${v.languageHostSdk}, Kubernetes provider ${v.kubernetesProvider})`,
    binDir: pulumiCacheDir(),
    binaries: ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"],
    script: "build-pulumi.sh",
    args: [pulumiCacheDir(), v.cli, v.languageHostSdk, v.kubernetesProviderModule, v.kubernetesProvider],
    coldEstimate: "about 27 minutes",
  };
}

/**
 * Pure: the environment the CLI runs with (PATH aside: see {@link LocalPulumi.pathPrefix}): a file backend, the
 * local passphrase, no plugin downloads, no update checks, no Node experimental-feature warnings.
 */
export function pulumiEnv(pulumiHome: string, backendDir: string): Record<string, string> {
  return {
    PULUMI_HOME: pulumiHome,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: LOCAL_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // @pulumi/pulumi requires every built-in module once to serialise dynamic providers; on Node 26 that includes the
    // experimental node:ffi, whose ExperimentalWarning would show in every update's diagnostics. (The ground's
    // language host predates Pulumi.yaml's `nodeargs` option, so the environment carries it.)
    NODE_OPTIONS: "--disable-warning=ExperimentalWarning",
  };
}

/**
 * The dynamic-provider launcher Pulumi's own distribution ships as `pulumi-resource-pulumi-nodejs`: the engine starts
 * it in the program's folder (`stacks/` here), and it runs @pulumi/pulumi's dynamic-provider host resolved from
 * there the way Node resolves packages (so the project's node_modules one level up is found).
 */
function writeDynamicProviderLauncher(binDir: string): void {
  const file = path.join(binDir, "pulumi-resource-pulumi-nodejs");
  writeFileSync(
    file,
    [
      "#!/bin/sh",
      "# Written by keyfleet's proving ground (scripts/local/parts/pulumi.ts).",
      `host="$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] })')" || exit 1`,
      'exec node "$host" "$@"',
      "",
    ].join("\n"),
  );
  chmodSync(file, 0o755);
}

/** Installs the built Kubernetes provider into PULUMI_HOME under its true version (once). */
function installKubernetesPlugin(
  cli: string,
  env: Record<string, string>,
  provider: string,
  progress: Progress,
): void {
  const version = PULUMI_VERSIONS.kubernetesProvider;
  const pluginDir = path.join(env.PULUMI_HOME!, "plugins", `resource-kubernetes-${version}`);
  if (existsSync(pluginDir) && readdirSync(pluginDir).length > 0) return;
  progress.log(`installing the Kubernetes provider ${version} into ${env.PULUMI_HOME}`);
  execFileSync(cli, ["plugin", "install", "resource", "kubernetes", version, "--file", provider], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

export const pulumiPart: GroundPart<{ pulumi: LocalPulumi }> = {
  name: "pulumi",
  locate: (progress) => ensureBuilt(pulumiBuild(), progress),
  start(ctx, binaries) {
    const binDir = pulumiCacheDir();
    const home = path.join(path.dirname(binDir), "home");
    const backend = path.join(ctx.stateDir, "pulumi");
    mkdirSync(home, { recursive: true });
    mkdirSync(backend, { recursive: true });
    // The engine looks for its bundled plugins (language host, dynamic-provider launcher) beside the CLI first. PATH
    // gets a folder of its own with the language host only: the Kubernetes provider found on PATH would win over the
    // installed plugin (and the engine warns about it).
    const pathDir = path.join(path.dirname(binDir), "path");
    mkdirSync(pathDir, { recursive: true });
    rmSync(path.join(pathDir, "pulumi-resource-pulumi-nodejs"), { force: true });
    const languageHost = path.join(pathDir, "pulumi-language-nodejs");
    rmSync(languageHost, { force: true });
    symlinkSync(binaries.paths["pulumi-language-nodejs"]!, languageHost);
    writeDynamicProviderLauncher(binDir);
    const env = pulumiEnv(home, backend);
    const cli = binaries.paths.pulumi!;
    installKubernetesPlugin(cli, env, binaries.paths["pulumi-resource-kubernetes"]!, ctx.progress);
    return Promise.resolve({
      pulumi: {
        cli,
        binDir,
        // The language host's folder and the pinned Node come first on PATH, so
        // programs, dynamic providers and policy packs run on the project's Node.
        pathPrefix: [pathDir, path.dirname(PINNED_NODE)],
        env,
        versions: {
          cli: PULUMI_VERSIONS.cli,
          languageHost: PULUMI_VERSIONS.languageHostSdk,
          kubernetesProvider: PULUMI_VERSIONS.kubernetesProvider,
        },
      },
    });
  },
};
