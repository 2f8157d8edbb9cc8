/**
 * `keyfleet crds`: the CRD manifests keyfleet installs, as YAML for `kubectl apply -f -` or a GitOps repository —
 * the same objects the Pulumi SyncRuntime component declares and `keyfleet run --install-crds` applies.
 */
import { stringify } from "yaml";
import { INSTALL_IF_ABSENT, keyfleetCrds } from "./index.ts";
import type { CrdManifest } from "./index.ts";

/** Usage of `keyfleet crds`. */
export const CRDS_USAGE = `usage: keyfleet crds [--exclude <crd name>,...]

Prints the CustomResourceDefinitions keyfleet installs as YAML documents:
  ${keyfleetCrds()
    .map((c) => c.metadata.name)
    .join("\n  ")}

  --exclude <names>  CRDs the cluster already has from another engine (comma-separated), as the SyncRuntime
                     component's preinstalledCrds. keyfleet run --install-crds leaves
                     ${[...INSTALL_IF_ABSENT].join(", ")} alone when another engine installed
                     it; with kubectl, exclude it yourself where the Secrets Store CSI driver is installed.

  keyfleet crds | kubectl apply --server-side -f -
`;

/** The CRDs to print: every keyfleet CRD except the excluded names (pure). @throws naming an unknown name. */
export function selectCrds(exclude: readonly string[]): CrdManifest[] {
  const all = keyfleetCrds();
  const known = new Set(all.map((c) => c.metadata.name));
  const unknown = exclude.filter((name) => !known.has(name));
  if (unknown.length)
    throw new Error(`--exclude: unknown CRD ${unknown.join(", ")}; allowed: ${[...known].join(", ")}`);
  return all.filter((c) => !exclude.includes(c.metadata.name));
}

/** Multi-document YAML of the CRDs (pure). */
export function renderCrdsYaml(crds: readonly CrdManifest[]): string {
  return crds.map((crd) => `---\n${stringify(crd, { lineWidth: 0 })}`).join("");
}
