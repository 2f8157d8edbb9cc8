/**
 * Runs the pack's own rule objects (pack.ts) against a captured resource graph without the Pulumi CLI (the other
 * way is to start the pack's own analyzer and drive it over gRPC). It builds the same argument objects
 * @pulumi/policy 1.21's analyzer builds
 * (ResourceValidationArgs per resource, StackValidationArgs with parent/provider links), resolves enforcement
 * levels the same way (pack config → policy → pack default; "remediate" runs the remediation first and reports
 * as mandatory), throws on access to unknown values (reported as advisory, as `pulumi preview` does) and hands
 * rules a view where secret inputs are @pulumi/policy `Secret`s.
 */
import {
  Secret,
  type EnforcementLevel,
  type PolicyResource,
  type ResourceValidationArgs,
  type StackValidationArgs,
} from "@pulumi/policy";
import { REDACTED_MARKER, SECRETS_PRESERVED, UNKNOWN_MARKER } from "../lib/constants.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { normalisePackConfig, type PolicySettings } from "./config.ts";

/** A resource as `captureStack` (stacks/synth/capture.ts) returns it. */
export interface HarnessResource {
  type: string;
  name: string;
  urn: string;
  parent?: string;
  inputs: Record<string, unknown>;
  /** Dotted paths of inputs that were secrets. */
  secretPaths?: string[];
  /** URN of the explicit provider. */
  provider?: string;
}

/** One reported violation. */
export interface Violation {
  policyName: string;
  /** Effective level ("remediate" is reported as "mandatory", like the engine). */
  enforcementLevel: Exclude<EnforcementLevel, "disabled" | "remediate">;
  description: string;
  message: string;
  urn?: string;
  resourceName?: string;
  resourceType?: string;
}

/** Options of {@link evaluatePolicies}. */
export interface EvaluateOptions {
  policies: readonly KeyfleetPolicy[];
  /** Level of rules that do not set one. Default "advisory" (@pulumi/policy's default). */
  packEnforcementLevel?: EnforcementLevel;
  /** Pack config, as for `--policy-pack-config`. Default {}. */
  config?: unknown;
}

/** Thrown by the unknown-checking proxy, like @pulumi/policy's UnknownValueError. */
class UnknownValueError extends Error {}

class NotApplicable extends Error {}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "not applicable");
}

function unknownChecking<T>(value: T, path: string[] = []): T {
  if (value === null || typeof value !== "object" || value instanceof Secret) return value;
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const field = Reflect.get(target, key, receiver) as unknown;
      if (typeof key === "symbol") return field;
      if (field === UNKNOWN_MARKER) {
        throw new UnknownValueError(`${[...path, key].join(".")} is unknown until the resource is deployed`);
      }
      const desc = Object.getOwnPropertyDescriptor(target, key);
      if (desc && "value" in desc && !desc.configurable && !desc.writable) return field;
      return unknownChecking(field, [...path, key]);
    },
  }) as T;
}

/** Inputs with secret paths wrapped as `Secret` (the engine's secrets-preserving view), flagged as such. */
export function secretsPreservingProps(resource: HarnessResource): Record<string, unknown> {
  const props = structuredClone(resource.inputs);
  for (const path of resource.secretPaths ?? []) {
    const keys = path.replaceAll(/\[(\d+)\]/g, ".$1").split(".");
    let holder: Record<string, unknown> | undefined = props;
    for (const key of keys.slice(0, -1)) holder = holder?.[key] as Record<string, unknown> | undefined;
    const last = keys[keys.length - 1]!;
    if (holder && last in holder) holder[last] = new Secret(holder[last] ?? REDACTED_MARKER);
  }
  Object.defineProperty(props, SECRETS_PRESERVED, { value: true, enumerable: false });
  return props;
}

function levelOf(
  policy: KeyfleetPolicy,
  settings: Map<string, PolicySettings>,
  pack: EnforcementLevel,
): EnforcementLevel {
  return (
    settings.get(policy.name)?.enforcementLevel ??
    settings.get("all")?.enforcementLevel ??
    policy.enforcementLevel ??
    pack
  );
}

const BASE_OPTS = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** Links captured resources into `PolicyResource`s (parent objects, provider, the resource's props). */
function policyResources(
  resources: readonly HarnessResource[],
  props: Map<string, Record<string, unknown>>,
): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  for (const r of resources) {
    byUrn.set(r.urn, {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: unknownChecking(props.get(r.urn)!),
      opts: { ...BASE_OPTS, parent: r.parent || undefined },
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as PolicyResource);
  }
  for (const r of resources) {
    const resource = byUrn.get(r.urn)!;
    if (r.parent && byUrn.has(r.parent)) resource.parent = byUrn.get(r.parent);
    if (r.provider) {
      const provider = byUrn.get(r.provider);
      resource.provider = {
        urn: r.provider,
        name: provider?.name ?? r.provider.split("::").pop() ?? r.provider,
        type: provider?.type ?? "",
        props: provider?.props ?? {},
      };
    }
  }
  return resources.map((r) => byUrn.get(r.urn)!);
}

/** Runs every enabled rule over the resources; returns violations in rule order. */
export async function evaluatePolicies(
  resources: readonly HarnessResource[],
  options: EvaluateOptions,
): Promise<Violation[]> {
  const settings = normalisePackConfig(options.config, options.policies);
  const pack = options.packEnforcementLevel ?? "advisory";
  const props = new Map(resources.map((r) => [r.urn, secretsPreservingProps(r)]));
  const violations: Violation[] = [];
  const custom = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");

  // Remediations first (level "remediate"), as the engine does; validations then see the remediated props.
  for (const policy of options.policies) {
    if (
      levelOf(policy, settings, pack) !== "remediate" ||
      !("remediateResource" in policy) ||
      !policy.remediateResource
    )
      continue;
    for (const r of custom) {
      const args = resourceArgs(r, props.get(r.urn)!, settings.get(policy.name));
      try {
        const result = await policy.remediateResource(args);
        if (result)
          props.set(r.urn, Object.assign(result, { [SECRETS_PRESERVED]: true }) as Record<string, unknown>);
      } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
      }
    }
  }

  for (const policy of options.policies) {
    const configured = levelOf(policy, settings, pack);
    if (configured === "disabled") continue;
    const level = configured === "remediate" ? "mandatory" : configured;
    const add = (message: string, urn: string | undefined, enforcementLevel = level) => {
      const resource = urn ? resources.find((r) => r.urn === urn) : undefined;
      violations.push({
        policyName: policy.name,
        enforcementLevel,
        description: policy.description,
        message,
        urn: urn || undefined,
        resourceName: resource?.name,
        resourceType: resource?.type,
      });
    };
    const run = async (fn: () => Promise<void> | void, urn?: string) => {
      try {
        await fn();
      } catch (error) {
        if (error instanceof NotApplicable) return;
        if (error instanceof UnknownValueError) {
          add(`can't run policy '${policy.name}' during preview: ${error.message}`, urn, "advisory");
          return;
        }
        throw new Error(`policy ${policy.name} failed${urn ? ` on ${urn}` : ""}`, { cause: error });
      }
    };
    if ("validateResource" in policy && policy.validateResource) {
      const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
      for (const r of custom) {
        const args = resourceArgs(r, props.get(r.urn)!, settings.get(policy.name));
        for (const validate of validations)
          await run(() => validate(args, (message) => add(message, r.urn)), r.urn);
      }
    }
    if ("validateStack" in policy) {
      const args: StackValidationArgs = {
        resources: policyResources(resources, props),
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...settings.get(policy.name)?.properties }) as T,
        notApplicable: throwNotApplicable,
      };
      await run(() => policy.validateStack(args, (message, urn) => add(message, urn)));
    }
  }
  return violations;
}

function resourceArgs(
  r: HarnessResource,
  props: Record<string, unknown>,
  settings: PolicySettings | undefined,
): ResourceValidationArgs {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: unknownChecking(props),
    opts: { ...BASE_OPTS, parent: r.parent || undefined },
    stackTags: new Map(),
    isType: (cls) => (cls as { __pulumiType?: string }).__pulumiType === r.type,
    asType: (cls) =>
      ((cls as { __pulumiType?: string }).__pulumiType === r.type ? props : undefined) as never,
    getConfig: <T extends object>() => ({ ...settings?.properties }) as T,
    notApplicable: throwNotApplicable,
  };
}

/** True when any violation blocks (mandatory). */
export function hasMandatory(violations: readonly Violation[]): boolean {
  return violations.some((v) => v.enforcementLevel === "mandatory");
}
