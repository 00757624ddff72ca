/**
 * The shape of an offline policy evaluation, shared by the runner (toolkit/policy-runner.ts), the tests
 * and `npm run plan`.
 */
export type EnforcementLevel = "mandatory" | "advisory" | "remediate" | "disabled";

export interface PolicyViolation {
    /** Kebab-case policy name, e.g. `deployment-min-replicas`. */
    readonly policyName: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly message: string;
    /** Resource the violation is about; absent for a stack-wide violation without one. */
    readonly resourceUrn?: string;
    readonly resourceName?: string;
    readonly resourceType?: string;
}

/**
 * A policy that could not decide because it read a value not known yet (a preview): `@pulumi/policy`
 * turns the `UnknownValueError` its props proxy throws into an advisory "can't run policy ... during
 * preview" diagnostic instead of a violation, so the check is not enforced.
 */
export interface UndecidablePolicy {
    readonly policyName: string;
    /** The resource a resource policy was validating; absent for a stack policy. */
    readonly resourceUrn?: string;
    /** The proxy's message, e.g. `string value at .securityGroupId can't be known during preview`. */
    readonly message: string;
}

export interface PolicyReport {
    readonly packName: string;
    /** Policies evaluated (not disabled), by name, with their effective enforcement level. */
    readonly policies: readonly { readonly name: string; readonly enforcementLevel: EnforcementLevel; readonly description: string }[];
    readonly violations: readonly PolicyViolation[];
    readonly mandatoryCount: number;
    readonly advisoryCount: number;
    /** Policies that could not decide on some resource (or the stack) because of unknown values; empty when none. */
    readonly undecidable: readonly UndecidablePolicy[];
}
