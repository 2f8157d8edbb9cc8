/**
 * CRUD of a Key Vault secret in the proving ground's vault (the local twin of azure-native `keyvault.Secret`), through
 * the Key Vault REST API as the stand-in's admin client. Runs in the dynamic-provider process.
 *
 * Destroy: Key Vault soft-deletes a secret, and the deleted name blocks a new secret of that name until it is
 * purged or recovered (azure-native's destroy only soft-deletes, so its next `up` fails with 409 until someone
 * purges). Here delete soft-deletes, then purges when the vault allows it (the local vault has no purge protection),
 * so `up → destroy → up` works on one ground; and create recovers a name that is still soft-deleted (a vault with
 * purge protection, or a delete interrupted before its purge) before writing the new version.
 *
 * A generated value lives only in the vault: it is never an output, so it is in no state file, `pulumi stack export
 * --show-secrets` or engine event (the Node.js SDK's debug diagnostics, which `pulumi preview --json` streams,
 * print each RegisterResource response whole, secret outputs included). A declared value is an input already, and
 * stays a secret output as azure-native's is.
 */
import { randomBytes } from "node:crypto";
import type { SecretClient } from "@azure/keyvault-secrets";
import type * as pulumi from "@pulumi/pulumi";
import { withoutUndefined } from "../../common/objects.ts";
import { diffSecret } from "./diff.ts";
import { failure, isNotFound, statusOf, withGround } from "./ground.ts";
import type { Handler } from "./handler.ts";

/** Inputs of a local vault secret (the shape of azure-native `keyvault.Secret` where it overlaps). */
export interface SecretInputs {
  /** Proving-ground description file. */
  ground: string;
  vaultName: string;
  secretName: string;
  properties: { value?: string; contentType?: string };
  /** Generate a random value of this many characters when `properties.value` is not given. */
  generateValueLength?: number;
}

/** Outputs: the inputs (with a declared value, never a generated one) plus what the vault reports. */
export interface SecretOutputs extends SecretInputs {
  properties: { value?: string; contentType?: string };
  /** Current (latest) version id. */
  version: string;
  /** False when the latest version was disabled outside Pulumi. */
  enabled: boolean;
  /** Versionless and versioned URIs, as Azure reports them. */
  secretUri: string;
  secretUriWithVersion: string;
}

/** Default length of a generated value. */
export const DEFAULT_GENERATED_LENGTH = 32;

/** A random value from the URL-safe base64 alphabet (crypto-strong). */
export function generateValue(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 3)
    .toString("base64url")
    .slice(0, length);
}

function target(inputs: Pick<SecretInputs, "vaultName" | "secretName">): string {
  return `vault secret "${inputs.secretName}" in vault "${inputs.vaultName}"`;
}

/** The resource id: `<vault>/secrets/<name>` (pure). */
export function secretId(inputs: Pick<SecretInputs, "vaultName" | "secretName">): string {
  return `${inputs.vaultName}/secrets/${inputs.secretName}`;
}

async function writeVersion(
  client: SecretClient,
  inputs: SecretInputs,
  value: string,
): Promise<{ version: string; secretUri: string; secretUriWithVersion: string }> {
  const options = inputs.properties.contentType ? { contentType: inputs.properties.contentType } : {};
  let written;
  try {
    written = await client.setSecret(inputs.secretName, value, options);
  } catch (error) {
    // 409: the name is soft-deleted (ObjectIsDeletedButRecoverable). Recover it, then write the new version.
    if (statusOf(error) !== 409) throw error;
    const poller = await client.beginRecoverDeletedSecret(inputs.secretName);
    await poller.pollUntilDone();
    written = await client.setSecret(inputs.secretName, value, options);
  }
  const version = written.properties.version ?? "";
  const secretUriWithVersion = written.properties.id ?? "";
  return { version, secretUriWithVersion, secretUri: secretUriWithVersion.replace(/\/[^/]*$/, "") };
}

/** The vault's current value of a secret, or undefined when its latest version is disabled (403 SecretDisabled). */
async function currentValue(client: SecretClient, name: string): Promise<string | undefined> {
  try {
    return (await client.getSecret(name)).value;
  } catch (error) {
    if ((error as { code?: string }).code === "SecretDisabled") return undefined;
    throw error;
  }
}

function outputsOf(
  inputs: SecretInputs,
  written: { version: string; secretUri: string; secretUriWithVersion: string },
): SecretOutputs {
  // Outputs travel as a protobuf Struct, which has no undefined: absent keys stay absent.
  return withoutUndefined({
    ground: inputs.ground,
    vaultName: inputs.vaultName,
    secretName: inputs.secretName,
    properties: withoutUndefined({
      value: inputs.properties.value,
      contentType: inputs.properties.contentType || undefined,
    }),
    generateValueLength: inputs.generateValueLength,
    enabled: true,
    ...written,
  });
}

/** The vault secret handler. */
export const secretHandler: Handler<SecretInputs, SecretOutputs> = {
  async create(inputs) {
    try {
      return await withGround(inputs.ground, async (ground) => {
        const value =
          inputs.properties.value ?? generateValue(inputs.generateValueLength ?? DEFAULT_GENERATED_LENGTH);
        const written = await writeVersion(ground.secrets(inputs.vaultName), inputs, value);
        return { id: secretId(inputs), outs: outputsOf(inputs, written) };
      });
    } catch (error) {
      throw failure("create", target(inputs), error, inputs.ground);
    }
  },

  async read(id, props) {
    try {
      return await withGround(props.ground, async (ground) => {
        const client = ground.secrets(props.vaultName);
        try {
          const current = await client.getSecret(props.secretName);
          // The value is write-only here, as in ARM: what the vault holds now is not copied into the state.
          const contentType = current.properties.contentType;
          return {
            id,
            props: {
              ...props,
              properties: withoutUndefined({
                value: props.properties.value,
                contentType: contentType || undefined,
              }),
              version: current.properties.version ?? props.version,
              enabled: current.properties.enabled !== false,
              secretUriWithVersion: current.properties.id ?? props.secretUriWithVersion,
            },
          };
        } catch (error) {
          if (isNotFound(error)) return { id: "" };
          // 403 SecretDisabled: the latest version exists but was disabled.
          if ((error as { code?: string }).code === "SecretDisabled")
            return { id, props: { ...props, enabled: false } };
          throw error;
        }
      });
    } catch (error) {
      throw failure("read", target(props), error, props.ground);
    }
  },

  diff(_id, olds, news): Promise<pulumi.dynamic.DiffResult> {
    return Promise.resolve(diffSecret({ ...olds }, { ...news }));
  },

  async update(_id, olds, news) {
    try {
      return await withGround(news.ground, async (ground) => {
        const client = ground.secrets(news.vaultName);
        const declared = news.properties.value;
        // A generated value is regenerated only when its length changes; otherwise the vault's value is kept.
        const regenerate = declared === undefined && olds.generateValueLength !== news.generateValueLength;
        const same =
          (declared === undefined ? !regenerate : declared === olds.properties.value) &&
          news.properties.contentType === olds.properties.contentType &&
          olds.enabled !== false;
        let written = {
          version: olds.version,
          secretUri: olds.secretUri,
          secretUriWithVersion: olds.secretUriWithVersion,
        };
        if (!same) {
          const value =
            declared ??
            (regenerate ? undefined : await currentValue(client, news.secretName)) ??
            generateValue(news.generateValueLength ?? DEFAULT_GENERATED_LENGTH);
          written = await writeVersion(client, news, value);
        }
        return { outs: outputsOf(news, written) };
      });
    } catch (error) {
      throw failure("update", target(news), error, news.ground);
    }
  },

  async delete(_id, props) {
    try {
      await withGround(props.ground, async (ground) => {
        const client = ground.secrets(props.vaultName);
        try {
          const poller = await client.beginDeleteSecret(props.secretName);
          await poller.pollUntilDone();
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        try {
          await client.purgeDeletedSecret(props.secretName);
        } catch (error) {
          // 404: nothing soft-deleted to purge; 403 (purge protection): it stays soft-deleted, as on Azure.
          const status = statusOf(error);
          if (status !== 404 && status !== 403) throw error;
        }
      });
    } catch (error) {
      throw failure("delete", target(props), error, props.ground);
    }
  },
};
