/**
 * `npm run demo` — keyfleet's main job on the local proving ground, as a platform team runs it, each step timed:
 *  1. the proving ground (kube-apiserver, etcd, controller manager, a worker node, the local vault and identity
 *     endpoint, the Pulumi engine) — built on first use, reused when running;
 *  2. `pulumi up` of the `local` stack: the vault's seed secrets, the managed identity, its role assignment and
 *     federated credentials, namespaces, ServiceAccounts, CRDs, RBAC, the sync runtime (pods on the node) and the
 *     SecretProviderClass / SecretSync / AKVSync objects;
 *  3. the runtime syncs the declared Secrets from the vault;
 *  4. a workload Deployment reads one from env and from a file; the vault secret is rotated; the Secret follows and
 *     the runtime's restart controller rolls the Deployment once: a new pod prints the new value's hash;
 *  5. `pulumi preview --expect-no-changes`, then `pulumi destroy`; the garbage collector takes the Secrets.
 * Values are never printed: pods print salted hashes, the demo compares them. Exits 0 on success.
 */
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { KubeHelper, waitFor, waitForReason } from "../test/support/kube.ts";
import { demoHash, onePod, workloadDeployment, workloadPods, type WorkloadPod } from "./demo/workload.ts";
import { startProvingGround } from "./local/ground.ts";
import { runPulumi, selectLocalStack, type PulumiRun } from "./local/pulumi-run.ts";
import { loadFleetConfig } from "../stacks/config/load.ts";
import { Reason } from "../sync-runtime/constants.ts";
import { adminCredential, localVaultClients, localVaultUrl } from "../test/azure-local/sdk.ts";

const started = Date.now();
const out = (line = "") => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
async function step<T>(
  what: string,
  work: () => Promise<T>,
  done: (result: T) => string = () => "",
): Promise<T> {
  const at = Date.now();
  process.stdout.write(`  +${seconds(at - started).padStart(8)}  ${what} ...`);
  const result = await work();
  const note = done(result);
  out(` done in ${seconds(Date.now() - at)}${note ? ` — ${note}` : ""}`);
  return result;
}
function pulumiOk(what: string, run: PulumiRun): PulumiRun {
  if (run.code !== 0)
    throw new Error(
      `${what} failed (exit ${run.code}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`,
    );
  return run;
}
const summary = (run: PulumiRun) =>
  run.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) => /^\d+ (created|updated|deleted|unchanged|replaced)|^[+~-] \d+ /.test(l) || /^Resources:/.test(l),
    )
    .join(", ")
    .replace("Resources:, ", "");
const podLine = (pod: WorkloadPod) =>
  `    ${pod.name.padEnd(28)} Running   created ${pod.createdAt.toISOString()}   prints "${pod.printed}"`;

const fleet = loadFleetConfig("local");
const ns = fleet.clusters[0]!.namespaces[0]!;
const secret = ns.secrets.find((s) => s.restartWorkloads) ?? ns.secrets[0]!;
const item = secret.objects.find((o) => !o.versionHistory || o.versionHistory <= 1)!;

out("");
out("keyfleet demo — Key Vault → Kubernetes Secrets, driven by Pulumi, on the local proving ground");
out("");
const ground = await step(
  "proving ground up (npm run local:up)",
  () => startProvingGround(),
  (g) =>
    `${g.startedHere ? "started" : "reused"}: apiserver ${g.env.kubernetes.apiServerUrl}, node ${g.env.node?.name ?? "-"}, vault ${g.env.vault.url}`,
);
const env = ground.env;
let exitCode = 1;
let deployed = false;
try {
  const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
  const kc = kube.kubeConfig;
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const vault = localVaultClients(
    localVaultUrl(env.vault),
    adminCredential(env.identity),
    readFileSync(env.vault.caFile, "utf8"),
  ).secrets;
  await selectLocalStack(env);
  deployed = true;
  const up = await step(
    "pulumi up --stack local",
    async () =>
      pulumiOk(
        "pulumi up",
        await runPulumi(env, ["up", "--stack", "local", "--yes", "--non-interactive", "--skip-preview"]),
      ),
    summary,
  );
  void up;
  await step(
    `the runtime (pods in ${fleet.syncRuntime.namespace}) syncs ${ns.name}/${secret.name} from the vault`,
    async () => {
      await waitForReason(kube, ns.name, secret.name, Reason.createSucceeded, 90_000);
      const expected = (await vault.getSecret(item.objectName)).value!;
      await waitFor(
        "the Secret to hold the vault's value",
        async () =>
          (await kube.secretValues(ns.name, secret.name))?.[item.key] === expected ? true : undefined,
        60_000,
      );
      return demoHash(expected);
    },
    (hash) => `${secret.name}[${item.key}] = vault ${item.objectName} (hash ${hash})`,
  );

  await apps.createNamespacedDeployment({
    namespace: ns.name,
    body: workloadDeployment("app", env.node!.images.node, secret.name, item.key),
  });
  const first = await step("workload Deployment app reads it from env and a file", () =>
    onePod(kc, ns.name, "app"),
  );
  out("");
  out(`  kubectl get pods -n ${ns.name}`);
  out(podLine(first));
  out("");

  const rotated = `rotated-${crypto.randomUUID()}`;
  const version = await step(
    `rotate ${item.objectName} in the vault`,
    async () => (await vault.setSecret(item.objectName, rotated)).properties.version ?? "",
    (v) => `new version ${v.slice(0, 8)}, hash ${demoHash(rotated)}`,
  );
  void version;
  await step(
    `the Secret follows (poll ${fleet.clusters[0]!.sync.rotationPollIntervalSeconds} s + jitter ≤ ${fleet.clusters[0]!.sync.jitterSeconds} s)`,
    () =>
      waitFor(
        "the rotation to reach the Secret",
        async () =>
          (await kube.secretValues(ns.name, secret.name))?.[item.key] === rotated ? true : undefined,
        90_000,
      ),
  );
  const second = await step(
    "the restart controller rolls the Deployment: a new pod replaces the old one",
    () => onePod(kc, ns.name, "app", first.name),
  );
  out("");
  out(`  kubectl get pods -n ${ns.name}`);
  for (const pod of await workloadPods(kc, ns.name, "app")) out(podLine(pod));
  out(`    (${first.name} is gone; the new pod prints the rotated value's hash ${demoHash(rotated)})`);
  out("");
  if (!second.printed.includes(`env ${demoHash(rotated)} file ${demoHash(rotated)}`))
    throw new Error(
      `the new pod printed "${second.printed}", expected the rotated value's hash in env and file`,
    );
  const deployment = await apps.readNamespacedDeployment({ namespace: ns.name, name: "app" });
  if (deployment.metadata?.generation !== 2)
    throw new Error(
      `the Deployment rolled ${Number(deployment.metadata?.generation) - 1} times, expected once`,
    );

  await apps.deleteNamespacedDeployment({ namespace: ns.name, name: "app" });
  await step(
    "pulumi preview --expect-no-changes",
    async () =>
      pulumiOk(
        "pulumi preview",
        await runPulumi(env, ["preview", "--stack", "local", "--expect-no-changes", "--non-interactive"]),
      ),
    () => "no changes",
  );
  await step(
    "pulumi destroy --stack local",
    async () =>
      pulumiOk(
        "pulumi destroy",
        await runPulumi(env, ["destroy", "--stack", "local", "--yes", "--non-interactive", "--skip-preview"]),
      ),
    summary,
  );
  deployed = false;
  await step("the garbage collector takes the Secrets", () =>
    waitFor(
      "the Secret to be gone",
      async () => ((await kube.secret(ns.name, secret.name)) ? undefined : true),
      120_000,
    ),
  );
  out("");
  out(
    `demo finished in ${seconds(Date.now() - started)}: the Secret followed the rotation, the Deployment rolled once; no secret value was printed.`,
  );
  exitCode = 0;
} catch (error) {
  out("");
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  if (deployed)
    await runPulumi(env, [
      "destroy",
      "--stack",
      "local",
      "--yes",
      "--non-interactive",
      "--skip-preview",
    ]).catch(() => undefined);
  await ground.stop();
}
process.exit(exitCode);
