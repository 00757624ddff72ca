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

export interface PolicyReport {
    readonly packName: string;
    /** Policies evaluated (not disabled), by name, with their effective enforcement level. */
    readonly policies: readonly { readonly name: string; readonly enforcementLevel: EnforcementLevel; readonly description: string }[];
    readonly violations: readonly PolicyViolation[];
    readonly mandatoryCount: number;
    readonly advisoryCount: number;
}
