/**
 * The offline plan report of a stack: inventory, architecture at a glance, policy results, capacity and
 * monthly cost, built from the resources an offline run registered. Pure (no Pulumi runtime needed), so
 * it is tested on hand-made resource lists; `scripts/plan-cli.ts` runs the program and prints it.
 */
import type { PlatformConfig } from "../../platform/config";
import type { RegisteredResource } from "../offline";
import type { EnforcementLevel, PolicyReport, PolicyViolation } from "../report-types";
import { Architecture, buildArchitecture } from "./architecture";
import { CostReport, estimateCost } from "./cost";
import { DeployEstimate, estimateDeploy } from "./deploy-time";
import { ResourceGraph } from "./graph";
import { Inventory, buildInventory } from "./inventory";
import { VersionReport, buildVersionReport } from "./versions";
import { RecoveryPoint, recoveryPointsOf } from "./recovery";

export * from "./architecture";
export * from "./cost";
export * from "./deploy-time";
export * from "./graph";
export * from "./inventory";
export * from "./versions";
export { GROUP_COST_LINES_FROM, MAX_MARKDOWN_CHARS, markdownMarker, renderMarkdown, renderText, money } from "./render";

/**
 * A policy that could not decide on a resource (or the stack) because it read a value unknown in a preview:
 * shaped as a violation, with the policy's effective enforcement level (a mandatory one that cannot decide
 * is not enforced) and the proxy's message.
 */
export type UndecidableEntry = PolicyViolation;

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
    /** Policies that could not decide (unknown values in a preview), per resource; empty when none. */
    readonly undecidable: readonly UndecidableEntry[];
    /** How many of `undecidable` belong to mandatory (or remediate) policies: checks a preview does not enforce. */
    readonly undecidableMandatory: number;
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
    /** `preview`: the program ran as in a first `pulumi preview` (unknown ids and computed values). */
    readonly mode: "update" | "preview";
    readonly environment?: string;
    readonly tier?: string;
    readonly inventory: Inventory;
    readonly architecture: Architecture;
    readonly policy: PolicySummary;
    readonly cost: CostReport;
    /** Kubernetes, add-on and node AMI versions per region, and the skew an upgrade leaves pending. */
    readonly versions: VersionReport;
    /**
     * Estimated duration of a first `pulumi up` and its critical path over the recorded dependency graph
     * (see deploy-time.ts), with and without explicit-only `dependsOn` edges.
     */
    readonly deploy: DeployEstimate;
    /**
     * Where the database writer runs (config `failover.activeRegion`): the writer instance among the registered
     * resources, and the region drained of DNS weight after a failover. Absent without a config.
     */
    readonly failover?: { readonly activeRegion: string; readonly failedOver: boolean; readonly drainedRegion?: string; readonly writer?: string };
    /** Recovery points (RPO) per data store: backups, replicas, snapshots (toolkit/report/recovery.ts). */
    readonly recovery: readonly RecoveryPoint[];
    /** `ok` is false when a mandatory policy failed or could not decide; `failures` says why. */
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
    /** How the program ran. @default "update" */
    readonly mode?: "update" | "preview";
}

export function summarizePolicy(policy: PlanInput["policy"], note?: string, resources: readonly RegisteredResource[] = [], config?: PolicyConfigSource): PolicySummary {
    if (!policy || "unavailable" in policy) {
        return { status: "unavailable", reason: policy?.unavailable ?? "no policy results", policies: 0, mandatory: 0, advisory: 0, violations: [], undecidable: [], undecidableMandatory: 0, note, config };
    }
    const mandatory = policy.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const levels = new Map(policy.policies.map((p) => [p.name, p.enforcementLevel]));
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const undecidable: UndecidableEntry[] = (policy.undecidable ?? []).map((u) => {
        const r = u.resourceUrn ? byUrn.get(u.resourceUrn) : undefined;
        return {
            policyName: u.policyName,
            enforcementLevel: levels.get(u.policyName) ?? "advisory",
            message: u.message,
            ...(u.resourceUrn ? { resourceUrn: u.resourceUrn } : {}),
            ...(r ? { resourceName: r.name, resourceType: r.type } : {}),
        };
    }).sort((a, b) => rank(a.enforcementLevel) - rank(b.enforcementLevel) || a.policyName.localeCompare(b.policyName) || (a.resourceName ?? "").localeCompare(b.resourceName ?? ""));
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
        undecidable,
        undecidableMandatory: undecidable.filter((u) => rank(u.enforcementLevel) === 0).length,
    };
}

/** Mandatory (and remediate, which the engine reports as mandatory) first. */
function rank(level: EnforcementLevel): number {
    return level === "mandatory" || level === "remediate" ? 0 : 1;
}

/** The failover state: the configured active region and the RDS instance there that takes writes. */
function failoverState(graph: ResourceGraph, config: PlatformConfig): NonNullable<PlanReport["failover"]> {
    const f = config.failover;
    const writer = graph.ofType("aws:rds/instance:Instance").find((r) => !r.inputs?.replicateSourceDb && graph.regionLabel(r) === f.activeRegion);
    return { ...f, ...(writer ? { writer: writer.name } : {}) };
}

export function buildPlanReport(input: PlanInput): PlanReport {
    const regions = input.config?.regions.map((r) => r.name) ?? [];
    const graph = new ResourceGraph(input.resources, regions);
    const policy = summarizePolicy(input.policy, input.policyNote, input.resources, input.policyConfig);
    const failures = policy.mandatory > 0 ? [`${policy.mandatory} mandatory policy violation${policy.mandatory === 1 ? "" : "s"}`] : [];
    if (policy.undecidableMandatory > 0) {
        // @pulumi/policy turns these into advisory "can't run policy ... during preview" messages: the
        // check is not enforced, so the plan cannot call the stack clean.
        const names = [...new Set(policy.undecidable.filter((u) => rank(u.enforcementLevel) === 0).map((u) => u.policyName))];
        failures.push(`${policy.undecidableMandatory} mandatory policy check${policy.undecidableMandatory === 1 ? "" : "s"} could not be decided on unknown values (${names.join(", ")})`);
    }
    return {
        schemaVersion: 1,
        project: input.project,
        stack: input.stack,
        mode: input.mode ?? "update",
        environment: input.config?.environment,
        tier: input.config?.tier,
        inventory: buildInventory(graph, regions),
        architecture: buildArchitecture(graph, input.config),
        policy,
        cost: estimateCost(graph, input.config),
        versions: buildVersionReport(graph),
        deploy: estimateDeploy(input.resources),
        recovery: recoveryPointsOf(graph),
        ...(input.config ? { failover: failoverState(graph, input.config) } : {}),
        outcome: { ok: failures.length === 0, failures },
    };
}
