/** Pure builders and checks for {@link AksSecretsProvider} (table-tested in properties.test.ts). */

/** Add-on profile key in `ManagedCluster.addonProfiles`. */
export const ADDON_PROFILE_KEY = "azureKeyvaultSecretsProvider";

/** Formats seconds the way the add-on's `rotationPollInterval` expects: "2m", "90s", "1h". */
export function addonDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw new RangeError(`rotation poll interval must be a positive whole number of seconds, got ${seconds}`);
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Parses the add-on's duration string back to seconds (undefined when not parseable). */
export function parseAddonDuration(value: string | undefined): number | undefined {
  const m = /^(\d+)(s|m|h)$/.exec(value ?? "");
  return m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[m[2] as "s" | "m" | "h"] : undefined;
}

/** The add-on profile: config values are strings, as the AKS API requires. */
export function addonProfiles(rotationPollIntervalSeconds: number) {
  return {
    [ADDON_PROFILE_KEY]: {
      enabled: true,
      config: {
        enableSecretRotation: "true",
        rotationPollInterval: addonDuration(rotationPollIntervalSeconds),
      },
    },
  };
}

/** Cluster properties the add-on engine needs besides the add-on: OIDC issuer and workload identity. */
export function workloadIdentityClusterProperties() {
  return {
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
  };
}

/** What the precondition check reads from an existing cluster. */
export interface ExistingClusterState {
  addonProfiles?: Record<string, { enabled: boolean; config?: Record<string, string> } | undefined>;
  oidcIssuerProfile?: { enabled?: boolean; issuerURL?: string };
  securityProfile?: { workloadIdentity?: { enabled?: boolean } };
}

/**
 * Problems with an existing cluster Pulumi must not rewrite (pure). Each is a sentence with the fix;
 * an empty list means the precondition holds.
 */
export function existingClusterProblems(
  state: ExistingClusterState,
  clusterName: string,
  resourceGroupName: string,
  rotationPollIntervalSeconds: number,
): string[] {
  const cmd = `-g ${resourceGroupName} -n ${clusterName}`;
  const problems = addonProblems(state, cmd, rotationPollIntervalSeconds);
  if (!state.oidcIssuerProfile?.enabled || !state.oidcIssuerProfile.issuerURL) {
    problems.push(`the OIDC issuer is off: az aks update ${cmd} --enable-oidc-issuer`);
  }
  if (!state.securityProfile?.workloadIdentity?.enabled) {
    problems.push(`workload identity is off: az aks update ${cmd} --enable-workload-identity`);
  }
  return problems;
}

/** Add-on problems: off, rotation off, or a different poll interval than configured. */
function addonProblems(
  state: ExistingClusterState,
  cmd: string,
  rotationPollIntervalSeconds: number,
): string[] {
  const want = addonDuration(rotationPollIntervalSeconds);
  const fix = `az aks addon update --addon azure-keyvault-secrets-provider ${cmd} --enable-secret-rotation --rotation-poll-interval ${want}`;
  const addon =
    state.addonProfiles?.[ADDON_PROFILE_KEY] ?? state.addonProfiles?.["azurekeyvaultsecretsprovider"];
  if (!addon?.enabled) {
    return [
      `the azure-keyvault-secrets-provider add-on is off: az aks enable-addons --addons azure-keyvault-secrets-provider ${cmd} --enable-secret-rotation --rotation-poll-interval ${want}`,
    ];
  }
  if (addon.config?.enableSecretRotation !== "true") return [`secret rotation is off: ${fix}`];
  const configured = addon.config.rotationPollInterval ?? "2m";
  if (parseAddonDuration(configured) !== rotationPollIntervalSeconds) {
    return [`rotationPollInterval is ${configured}, config wants ${want}: ${fix}`];
  }
  return [];
}
