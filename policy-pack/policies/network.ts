/**
 * Network isolation: every application namespace (a namespace the stack runs workloads in) has a default-deny
 * NetworkPolicy, so a pod gets only the flows another policy allows it.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    DEFAULT_EXCLUDED_NAMESPACES, EXCLUDE_NAMESPACES_SCHEMA, MaybeUnknown, UNKNOWN, Undecided, WORKLOAD_CLASSES, configOf, isUnknown, label, propsOf, providerKey, typeToken,
} from "./common";

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** True when a selector selects every pod: absent, or without labels and expressions; `UNKNOWN` when unknown. */
function selectsEveryPod(selector: unknown): MaybeUnknown<boolean> {
    if (isUnknown(selector)) {
        return UNKNOWN;
    }
    if (selector === undefined || selector === null) {
        return true;
    }
    if (typeof selector !== "object") {
        return false;
    }
    const s = selector as { matchLabels?: unknown; matchExpressions?: unknown };
    if (isUnknown(s.matchLabels) || isUnknown(s.matchExpressions)) {
        return UNKNOWN;
    }
    const labels = s.matchLabels && typeof s.matchLabels === "object" ? Object.keys(s.matchLabels) : [];
    const exprs = Array.isArray(s.matchExpressions) ? s.matchExpressions : [];
    return labels.length === 0 && exprs.length === 0;
}

/** An empty rule list: absent or `[]`. */
function noRules(rules: unknown): MaybeUnknown<boolean> {
    if (isUnknown(rules)) {
        return UNKNOWN;
    }
    return rules === undefined || rules === null || (Array.isArray(rules) && rules.length === 0);
}

/**
 * Whether a NetworkPolicy is a default deny of both directions: every pod, `policyTypes` with Ingress and Egress, no
 * ingress or egress rule. `UNKNOWN` when an unknown value decides it.
 */
export function isDefaultDenyAll(spec: unknown): MaybeUnknown<boolean> {
    if (isUnknown(spec)) {
        return UNKNOWN;
    }
    if (!spec || typeof spec !== "object") {
        return false;
    }
    const s = spec as { podSelector?: unknown; policyTypes?: unknown; ingress?: unknown; egress?: unknown };
    if (isUnknown(s.policyTypes)) {
        return UNKNOWN;
    }
    const types = Array.isArray(s.policyTypes) ? s.policyTypes : [];
    if (types.some(isUnknown)) {
        return UNKNOWN;
    }
    const parts: MaybeUnknown<boolean>[] = [selectsEveryPod(s.podSelector), types.includes("Ingress") && types.includes("Egress"), noRules(s.ingress), noRules(s.egress)];
    return parts.includes(false) ? false : parts.includes(UNKNOWN) ? UNKNOWN : true;
}

const namespaceOf = (r: PolicyResource): unknown => {
    const meta = propsOf(r)?.metadata;
    return isUnknown(meta) ? meta : (meta?.namespace ?? "default");
};

export const namespaceDefaultDeny: StackValidationPolicy = {
    name: "namespace-default-deny-network-policy",
    description: "Every application namespace (one the stack runs workloads in, per cluster) must have a NetworkPolicy that " +
        "denies all ingress and egress by default (podSelector {}, policyTypes Ingress and Egress, no rules), so pods only " +
        "get the flows other policies allow (issue 16: network isolation).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA } },
    validateStack: (args, report) => {
        const cfg = configOf<{ excludeNamespaces: string[] }>(args, { excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] });
        const workloadTypes = new Set(WORKLOAD_CLASSES.map(typeToken));
        const workloads = args.resources.filter((r) => workloadTypes.has(r.type));
        const policies = args.resources.filter((r) => r.type === NETWORK_POLICY);
        const undecided = new Undecided();
        // One verdict per cluster (provider) and namespace, reported on the first workload there.
        const seen = new Set<string>();
        for (const w of workloads) {
            const ns = namespaceOf(w);
            if (isUnknown(ns)) {
                undecided.add(w.name, "its namespace is unknown during preview");
                continue;
            }
            if (cfg.excludeNamespaces.includes(ns as string)) {
                continue;
            }
            const key = `${providerKey(w)}|${ns}`;
            if (seen.has(key)) {
                continue;
            }
            seen.add(key);
            const candidates = policies.filter((p) => providerKey(p) === providerKey(w) && (isUnknown(namespaceOf(p)) || namespaceOf(p) === ns));
            const verdicts = candidates.map((p) => (isUnknown(namespaceOf(p)) ? UNKNOWN : isDefaultDenyAll(propsOf(p)?.spec)));
            if (verdicts.includes(true)) {
                continue;
            }
            if (verdicts.includes(UNKNOWN)) {
                undecided.add(w.name, `whether namespace "${ns}" has a default-deny NetworkPolicy is unknown during preview`);
                continue;
            }
            report(`Namespace "${ns}" (workload ${label(w)}) has no default-deny NetworkPolicy: add one with podSelector {}, ` +
                "policyTypes [Ingress, Egress] and no rules, then allow the flows the workloads need (components/network-policies.ts).", w.urn);
        }
        undecided.settle();
    },
};

export const networkPolicies = [namespaceDefaultDeny];
