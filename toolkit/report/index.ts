/**
 * The offline plan report of a stack: inventory, architecture at a glance, policy results, capacity and
 * monthly cost, built from the resources an offline run registered. Pure (no Pulumi runtime needed), so
 * it is tested on hand-made resource lists; `scripts/plan-cli.ts` runs the program and prints it.
 */
import type { PlatformConfig } from "../../platform/config";
import type { RegisteredResource } from "../offline";
import type { PolicyReport, PolicyViolation } from "../report-types";
import { Architecture, buildArchitecture } from "./architecture";
import { CostReport, estimateCost } from "./cost";
import { ResourceGraph } from "./graph";
import { Inventory, buildInventory } from "./inventory";

export * from "./architecture";
export * from "./cost";
export * from "./graph";
export * from "./inventory";
export { MAX_MARKDOWN_CHARS, markdownMarker, renderMarkdown, renderText, money } from "./render";

export interface PolicySummary {
    /** `evaluated`, or `unavailable` with `reason` when the pack could not be run. */
    readonly status: "evaluated" | "unavailable";
    readonly reason?: string;
    readonly packName?: string;
    /** Policies evaluated (not disabled). */
    readonly policies: number;
    /** Violations by enforcement level. */
    readonly mandatory: number;
    readonly advisory: number;
    readonly violations: readonly PolicyViolation[];
    readonly note?: string;
    /** The `--policy-pack-config` file the results were evaluated with, when the caller says (see `PlanInput.policyConfig`). */
    readonly config?: PolicyConfigSource;
}

/** Which policy config file a stack resolved to: its own (`config/<stack>.json`) or its environment's. */
export interface PolicyConfigSource {
    /** Path of the file, e.g. `policy-pack/config/prod.json`. */
    readonly file: string;
    readonly matchedBy: "stack" | "environment";
}

export interface PlanReport {
    readonly schemaVersion: 1;
    readonly project: string;
    readonly stack: string;
    readonly environment?: string;
    readonly tier?: string;
    readonly inventory: Inventory;
    readonly architecture: Architecture;
    readonly policy: PolicySummary;
    readonly cost: CostReport;
    /** `ok` is false when a mandatory policy failed; `failures` says why. */
    readonly outcome: { readonly ok: boolean; readonly failures: readonly string[] };
}

export interface PlanInput {
    readonly project: string;
    readonly stack: string;
    readonly resources: readonly RegisteredResource[];
    /** The resolved config, for fallbacks (pool names, region roles); optional. */
    readonly config?: PlatformConfig;
    /** The policy pack's result, or a reason it could not run. */
    readonly policy?: PolicyReport | { readonly unavailable: string };
    /** Said next to the policy results, e.g. that the pack's defaults were used. */
    readonly policyNote?: string;
    /** The policy config file used; the report names it next to the results. */
    readonly policyConfig?: PolicyConfigSource;
}

export function summarizePolicy(policy: PlanInput["policy"], note?: string, config?: PolicyConfigSource): PolicySummary {
    if (!policy || "unavailable" in policy) {
        return { status: "unavailable", reason: policy?.unavailable ?? "no policy results", policies: 0, mandatory: 0, advisory: 0, violations: [], note, config };
    }
    const mandatory = policy.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return {
        status: "evaluated",
        note,
        config,
        packName: policy.packName,
        policies: policy.policies.length,
        // The runner's counts and the violations agree; take the larger in case a runner counts stack-wide failures separately.
        mandatory: Math.max(mandatory, policy.mandatoryCount),
        advisory: Math.max(policy.violations.filter((v) => v.enforcementLevel === "advisory").length, policy.advisoryCount),
        violations: [...policy.violations].sort((a, b) =>
            (a.enforcementLevel === "mandatory" ? 0 : 1) - (b.enforcementLevel === "mandatory" ? 0 : 1) ||
            a.policyName.localeCompare(b.policyName) || (a.resourceName ?? "").localeCompare(b.resourceName ?? "")),
    };
}

export function buildPlanReport(input: PlanInput): PlanReport {
    const regions = input.config?.regions.map((r) => r.name) ?? [];
    const graph = new ResourceGraph(input.resources, regions);
    const policy = summarizePolicy(input.policy, input.policyNote, input.policyConfig);
    const failures = policy.mandatory > 0 ? [`${policy.mandatory} mandatory policy violation${policy.mandatory === 1 ? "" : "s"}`] : [];
    return {
        schemaVersion: 1,
        project: input.project,
        stack: input.stack,
        environment: input.config?.environment,
        tier: input.config?.tier,
        inventory: buildInventory(graph, regions),
        architecture: buildArchitecture(graph, input.config),
        policy,
        cost: estimateCost(graph, input.config),
        outcome: { ok: failures.length === 0, failures },
    };
}
