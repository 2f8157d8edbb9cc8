/** Dispatches `keyfleet <command>` to the module that owns the command. */

/** Usage text listing every command. */
export const USAGE = `usage: keyfleet <command> [options]

commands:
  run      run the sync runtime (reconcile SecretSync/SecretProviderClass/AKVSync from Key Vault)
  jitter   compute the jitter a fleet needs so Key Vault does not throttle
  plan     per-vault load plan for a stack's fleet configuration (with a request-rate picture)
  pr-check preview every stack a change touches with the policy pack; report violations, load and rollout burst
  rollout  apply a stack's update, in waves when the vaults cannot absorb its burst at once
  drift    report resources of a stack changed outside Pulumi (refresh-preview)
  crds     print the CRDs keyfleet installs (YAML, for kubectl apply -f - or a GitOps repository)

keyfleet <command> --help shows the options of a command.
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("../sync-runtime/cli.ts")).runCommand,
  jitter: async () => (await import("../policies/planner/cli.ts")).jitterCommand,
  plan: async () => (await import("../policies/planner/cli.ts")).planCommand,
  "pr-check": async () => (await import("../policies/gitops/cli.ts")).prCheckCommand,
  rollout: async () => (await import("../policies/gitops/cli.ts")).rolloutCommand,
  drift: async () => (await import("../policies/gitops/cli.ts")).driftCommand,
  crds: async () => (await import("../sync-runtime/cli.ts")).crdsCommand,
};

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`keyfleet: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}
