/** Pure builders for {@link ArcSecretStore} (table-tested in properties.test.ts). */

/** Extension type of the Azure Key Vault Secret Store extension (SSE). */
export const SSE_EXTENSION_TYPE = "microsoft.azure.secretstore";
/** Default chart pins (keyfleet's tested pair; override per stack if needed). */
export const CERT_MANAGER_CHART = {
  chart: "cert-manager",
  repo: "https://charts.jetstack.io",
  version: "v1.18.2",
  namespace: "cert-manager",
} as const;
export const TRUST_MANAGER_CHART = {
  chart: "trust-manager",
  repo: "https://charts.jetstack.io",
  version: "v0.19.0",
  namespace: "cert-manager",
} as const;

/** Settings of the extension, all strings (the ARM API takes string settings only). */
export interface SseSettingsInput {
  /** `rotationPollIntervalInSeconds`; SSE default 3600. */
  rotationPollIntervalSeconds: number;
  /** `jitterSeconds`; SSE default 0. */
  jitterSeconds: number;
  /** `enablePartialSecretSync`; SSE default true. */
  enablePartialSecretSync: boolean;
}

/** The extension's configurationSettings. */
export function sseConfigurationSettings(input: SseSettingsInput): Record<string, string> {
  return {
    rotationPollIntervalInSeconds: String(input.rotationPollIntervalSeconds),
    jitterSeconds: String(input.jitterSeconds),
    enablePartialSecretSync: String(input.enablePartialSecretSync),
  };
}

/** Version pinning: a pinned version needs autoUpgradeMinorVersion false, else ARM ignores the pin. */
export function sseVersioning(version: string | undefined): {
  version?: string;
  autoUpgradeMinorVersion: boolean;
  releaseTrain: string;
} {
  return version
    ? { version, autoUpgradeMinorVersion: false, releaseTrain: "stable" }
    : { autoUpgradeMinorVersion: true, releaseTrain: "stable" };
}
