/**
 * Records every resource registration the Pulumi runtime makes under `pulumi.runtime.setMocks`, as plain JSON
 * with secrets redacted. Used by stacks/synth/capture.ts and by the component tests' harness
 * (test/support/pulumi-harness.ts): one recorder, not two.
 * Call {@link recordRegistrations} right after `setMocks` (it wraps the mock monitor it installed).
 */
import * as pulumi from "@pulumi/pulumi";
import { CaptureMarker } from "../../common/vocabulary.ts";

/** Placeholder written in place of every secret value. */
export const REDACTED = CaptureMarker.redacted;
/** Placeholder for values unknown at synth time. */
export const UNKNOWN = CaptureMarker.unknown;

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One registration as the monitor received it. */
export interface Registration {
  type: string;
  name: string;
  /** Parent URN ("" for the root). */
  parent: string;
  custom: boolean;
  /** Inputs as plain JSON; secrets → {@link REDACTED}; resource references → `{ "$ref": urn }`. */
  inputs: { [key: string]: Json };
  /** Paths of secret inputs (`properties.value`, `data[0].x`). */
  secretPaths: string[];
  /** Provider reference `urn::id` ("" when none). */
  provider: string;
  /** URNs of dependencies (dependsOn and inputs). */
  dependencies: string[];
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Converts a serialized property value to plain JSON (keys sorted), redacting secrets and noting their paths. */
export function redactValue(value: unknown, at: string, secretPaths: string[]): Json {
  if (value === UNKNOWN_VALUE) return UNKNOWN;
  if (Array.isArray(value)) return value.map((v, i) => redactValue(v, `${at}[${i}]`, secretPaths));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) {
      secretPaths.push(at);
      return REDACTED;
    }
    if (obj[SIG_KEY] === RESOURCE_SIG) return { $ref: String(obj.urn) };
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(obj).sort())
      out[key] = redactValue(obj[key], at ? `${at}.${key}` : key, secretPaths);
    return out;
  }
  return value as Json;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface PatchableMonitor {
  registerResource(req: RegisterRequest, cb: unknown): unknown;
}

/** Wraps the current mock monitor so each registration is passed to `onRecord` before it is served. */
export function recordRegistrations(onRecord: (r: Registration) => void): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as PatchableMonitor | undefined;
  if (!monitor) throw new Error("recordRegistrations: call pulumi.runtime.setMocks first");
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const secretPaths: string[] = [];
    const inputs = redactValue(req.getObject()?.toJavaScript() ?? {}, "", secretPaths) as {
      [key: string]: Json;
    };
    onRecord({
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      custom: req.getCustom(),
      inputs,
      secretPaths: secretPaths.sort(),
      provider: req.getProvider(),
      dependencies: [...new Set(req.getDependenciesList())].sort(),
    });
    return original(req, cb);
  };
}
