/** Helpers for writing rules as plain objects (no PolicyPack, no gRPC): one rule per file under rules/. */
import type {
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

/** A keyfleet rule: a CrossGuard policy that always has remediation text and a config schema. */
export type KeyfleetPolicy = (ResourceValidationPolicy | StackValidationPolicy) & {
  /** What to change to comply (CrossGuard shows it with each violation). */
  remediationSteps: string;
};

/**
 * A resource validation that runs only for resources of `type` (the same filtering `validateResourceOfType`
 * does, keyed by type token instead of a resource class, so the pack need not load the provider SDKs).
 */
export function forType(
  type: string,
  validate: (props: Record<string, unknown>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
  const fn = forTypes([type], validate);
  // @pulumi/policy reads this to skip other types quickly (as validateResourceOfType attaches it).
  (fn as { __pulumiType?: string }).__pulumiType = type;
  return fn;
}

/** {@link forType} for several type tokens (an Azure resource and its local twin). */
export function forTypes(
  types: readonly string[],
  validate: (props: Record<string, unknown>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
  return (args, report) => {
    if (!types.includes(args.type))
      args.notApplicable(
        `Policy only applies to resources of type ${types.map((t) => `'${t}'`).join(" or ")}`,
      );
    validate(args.props, args, report);
  };
}
