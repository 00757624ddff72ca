/**
 * Every policy of the pack, importable without starting the policy server: `policy-pack/index.ts` builds
 * the `PolicyPack` from `allPolicies`; the offline runner and the tests evaluate them directly.
 */
import { EnforcementLevel, Policies } from "@pulumi/policy";
import { edgePolicies } from "./edge";
import { replicaPolicies } from "./replicas";
import { resourcePolicies } from "./resources";
import { securityPolicies } from "./security";
import { spotPolicies } from "./spot";
import { trafficPolicies } from "./traffic";
import { storagePolicies } from "./storage";

export * from "./common";
export * from "./edge";
export * from "./replicas";
export * from "./resources";
export * from "./security";
export * from "./spot";
export * from "./traffic";
export * from "./storage";

/** Name of the pack, as `pulumi preview --policy-pack` reports it. */
export const PACK_NAME = "scaled-web-guardrails";

/** Level of a policy that does not set its own; the stack's config file raises or lowers it. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";

export const PACK_DESCRIPTION =
    "Guardrails for the scaled-web platform: replica minimums, container resource limits, spot safety, secure defaults, CDN and storage.";

export const allPolicies: Policies = [
    ...replicaPolicies,
    ...resourcePolicies,
    ...spotPolicies,
    ...securityPolicies,
    ...edgePolicies,
    ...trafficPolicies,
    ...storagePolicies,
];
