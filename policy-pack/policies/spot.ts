/**
 * Spot safety: spot pools are diverse enough to survive capacity shortages and tainted so that only
 * workloads built for interruption land there; those workloads tolerate the taint; api/ws never do.
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    DEFAULT_EXCLUDED_NAMESPACES, EXCLUDE_NAMESPACES_SCHEMA, LABEL_PATTERN, SPOT_DEFAULTS, TAINT_PATTERN, UNKNOWN, Undecided, configOf, inExcludedNamespace,
    isKnownString, k8sDisplayName, label, nodePoolsOf, parseLabel, parseTaint, selectsNodeLabel, toleratesTaint, validateWorkloads,
} from "./common";

/** Seed 000 and issue 3: a spot pool mixes at least three instance types of similar size. */
export const DEFAULT_MIN_SPOT_INSTANCE_TYPES = 3;
/** Workloads that serve users and must never be interrupted by a spot reclaim. */
export const DEFAULT_CRITICAL_WORKLOADS: readonly string[] = ["api", "ws"];
/** Labels that name a workload (Kubernetes recommended labels plus the common `app`). */
export const DEFAULT_IDENTITY_LABELS: readonly string[] = ["app", "app.kubernetes.io/name", "app.kubernetes.io/component"];
/** Node labels other than the platform's own that put a pod on spot capacity (EKS, Karpenter). */
export const PROVIDER_SPOT_LABELS: readonly { key: string; value: string }[] = [
    { key: "eks.amazonaws.com/capacityType", value: "SPOT" },
    { key: "karpenter.sh/capacity-type", value: "spot" },
];

const spotKeysSchema = {
    spotTaint: { type: "string" as const, pattern: TAINT_PATTERN, default: SPOT_DEFAULTS.taint, description: "Taint of spot nodes, key=value:Effect." },
    spotLabel: { type: "string" as const, pattern: LABEL_PATTERN, default: SPOT_DEFAULTS.label, description: "Label of spot nodes, key=value." },
};

interface DiversityConfig {
    minInstanceTypes: number;
    spotTaint: string;
    spotLabel: string;
}

export const spotPoolInstanceDiversity: StackValidationPolicy = {
    name: "spot-pool-instance-diversity",
    description: "Spot node pools (EKS node groups with capacityType SPOT; Auto Scaling groups buying spot through a mixed " +
        "instances policy with 0 % on-demand above base, a spot launch template, or nodes registering the spot taint) " +
        "must allow at least `minInstanceTypes` instance types (default 3), or attribute-based selection: one type runs " +
        "dry of spot capacity regularly, several rarely do at once.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minInstanceTypes: { type: "integer", minimum: 1, default: DEFAULT_MIN_SPOT_INSTANCE_TYPES, description: "Distinct instance types a spot pool needs." },
            ...spotKeysSchema,
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<DiversityConfig>(args, { minInstanceTypes: DEFAULT_MIN_SPOT_INSTANCE_TYPES, spotTaint: SPOT_DEFAULTS.taint, spotLabel: SPOT_DEFAULTS.label });
        const undecided = new Undecided();
        for (const pool of nodePoolsOf(args.resources, { taint: parseTaint(cfg.spotTaint), label: parseLabel(cfg.spotLabel) })) {
            // Decisive field first: a pool with enough types passes whatever it buys.
            const types = pool.instanceTypes;
            if (types === "flexible" || (types !== UNKNOWN && types.length >= cfg.minInstanceTypes) || pool.spot === false) {
                continue;
            }
            if (types === UNKNOWN || pool.spot === UNKNOWN) {
                undecided.add(pool.resource.name, types === UNKNOWN
                    ? "its instance types are unknown during preview"
                    : `it allows ${types.length} instance type(s) and whether it is a spot pool hangs on values unknown during preview`);
                continue;
            }
            report(`Spot node pool ${label(pool.resource)} (${pool.spotReason}) must allow at least ${cfg.minInstanceTypes} instance types, ` +
                `got ${types.length}${types.length ? ` (${types.join(", ")})` : ""}.`, pool.resource.urn);
        }
        undecided.settle();
    },
};

interface TaintConfig {
    spotTaint: string;
    spotLabel: string;
    requireAutoscalerTags: boolean;
}

export const spotPoolTaint: StackValidationPolicy = {
    name: "spot-pool-taint",
    description: "Spot node pools must register their nodes with the spot taint (default spot=true:NoSchedule) and label " +
        "(default node-type=spot), so only workloads that opted in run on interruptible capacity; an Auto Scaling group " +
        "that can scale to zero must also carry the cluster-autoscaler node-template tags for both, or the autoscaler " +
        "cannot tell which pending pods it could schedule there.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            ...spotKeysSchema,
            requireAutoscalerTags: { type: "boolean", default: true, description: "Require k8s.io/cluster-autoscaler/node-template/{label,taint}/* tags on spot ASGs with minSize 0." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<TaintConfig>(args, { spotTaint: SPOT_DEFAULTS.taint, spotLabel: SPOT_DEFAULTS.label, requireAutoscalerTags: true });
        const taint = parseTaint(cfg.spotTaint);
        const nodeLabel = parseLabel(cfg.spotLabel);
        const undecided = new Undecided();
        for (const pool of nodePoolsOf(args.resources, { taint, label: nodeLabel })) {
            if (pool.spot === false) {
                continue;
            }
            const reg = pool.registration;
            const tainted = reg !== UNKNOWN && reg.taints.some((t) => t.key === taint.key && t.value === taint.value && t.effect === taint.effect);
            const labelled = reg !== UNKNOWN && reg.labels[nodeLabel.key] === nodeLabel.value;
            const tagged = pool.kind === "asg" && pool.tags !== UNKNOWN &&
                pool.tags[`k8s.io/cluster-autoscaler/node-template/label/${nodeLabel.key}`] === nodeLabel.value &&
                pool.tags[`k8s.io/cluster-autoscaler/node-template/taint/${taint.key}`] === `${taint.value}:${taint.effect}`;
            const needsTags = cfg.requireAutoscalerTags && pool.kind === "asg" && pool.minSize !== UNKNOWN && (pool.minSize ?? 0) === 0;
            if (tainted && labelled && (tagged || !needsTags)) {
                continue; // compliant, whatever else is unknown
            }
            if (pool.spot === UNKNOWN) {
                undecided.add(pool.resource.name, "whether it is a spot pool hangs on values unknown during preview");
                continue;
            }
            const what = `Spot node pool ${label(pool.resource)} (${pool.spotReason})`;
            // A registration read from known user data or node-group fields proves a missing taint or label;
            // one read from the node-template tags (user data unknown during preview) or partly unknown does not.
            const proves = reg !== UNKNOWN && (reg.source === "user data" || reg.source === "taints/labels");
            if (!tainted) {
                if (proves) {
                    const where = pool.kind === "node-group" ? "taints" : "the launch template's user data (kubelet --register-with-taints or nodeadm registerWithTaints)";
                    report(`${what} must register its nodes with the taint ${cfg.spotTaint} in ${where}.`, pool.resource.urn);
                } else {
                    undecided.add(pool.resource.name, `the taint its nodes register with is in user data unknown during preview${reg === UNKNOWN ? "" : ` and its ${reg.source} do not declare ${cfg.spotTaint}`}`);
                }
            }
            if (!labelled) {
                if (proves) {
                    const where = pool.kind === "node-group" ? "labels" : "the launch template's user data (kubelet --node-labels)";
                    report(`${what} must label its nodes ${cfg.spotLabel} in ${where}.`, pool.resource.urn);
                } else {
                    undecided.add(pool.resource.name, `the labels its nodes register with are in user data unknown during preview${reg === UNKNOWN ? "" : ` and its ${reg.source} do not declare ${cfg.spotLabel}`}`);
                }
            }
            if (cfg.requireAutoscalerTags && pool.kind === "asg") {
                if (pool.minSize === UNKNOWN || pool.tags === UNKNOWN) {
                    if (!tagged) {
                        undecided.add(pool.resource.name, pool.minSize === UNKNOWN ? "its minSize is unknown during preview" : "its tags are unknown during preview");
                    }
                } else if ((pool.minSize ?? 0) === 0 && !tagged) {
                    const labelTag = `k8s.io/cluster-autoscaler/node-template/label/${nodeLabel.key}`;
                    const taintTag = `k8s.io/cluster-autoscaler/node-template/taint/${taint.key}`;
                    report(`${what} scales from zero and must carry the tags ${labelTag}=${nodeLabel.value} and ${taintTag}=${taint.value}:${taint.effect} for the cluster autoscaler.`, pool.resource.urn);
                }
            }
        }
        undecided.settle();
    },
};

interface TolerateConfig {
    spotTaint: string;
    spotLabel: string;
    excludeNamespaces: string[];
}

export const spotWorkloadsTolerateTaint: ResourceValidationPolicy = {
    name: "spot-workloads-tolerate-taint",
    description: "Workloads that select spot nodes (nodeSelector or node affinity on the spot label, default node-type=spot) " +
        "must tolerate the spot taint (default spot=true:NoSchedule); otherwise their pods stay Pending forever.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: { ...spotKeysSchema, excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA },
    },
    validateResource: validateWorkloads((pod, props, args, report) => {
        const cfg = configOf<TolerateConfig>(args, { spotTaint: SPOT_DEFAULTS.taint, spotLabel: SPOT_DEFAULTS.label, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] });
        const nodeLabel = parseLabel(cfg.spotLabel);
        const selects = selectsNodeLabel(pod.spec, nodeLabel.key, nodeLabel.value);
        const tolerates = selects === false ? true : toleratesTaint(pod.spec.tolerations, parseTaint(cfg.spotTaint));
        if (selects === false || tolerates === true) {
            return; // decisive fields first: no spot selector, or the toleration is there
        }
        const excluded = inExcludedNamespace(props, cfg.excludeNamespaces);
        if (excluded === true) {
            return;
        }
        const undecided = new Undecided();
        if (selects === UNKNOWN || tolerates === UNKNOWN || excluded === UNKNOWN) {
            undecided.add(selects === UNKNOWN ? "spec.template.spec.nodeSelector" : tolerates === UNKNOWN ? "spec.template.spec.tolerations" : "metadata.namespace",
                "the values that decide whether the workload selects spot nodes without tolerating them are unknown during preview");
        } else {
            report(`${k8sDisplayName(args.type, props, args.name)} selects ${cfg.spotLabel} nodes and must tolerate the taint ${cfg.spotTaint}.`);
        }
        undecided.settle();
    }),
};

interface CriticalConfig {
    criticalWorkloads: string[];
    identityLabels: string[];
    spotTaint: string;
    spotLabel: string;
}

/** True when `value` is `name` or has it as a dash-separated token (`prod-use1-api`, `api-v2`). */
function namesWorkload(value: unknown, name: string): boolean {
    return isKnownString(value) && (value === name || value.split(/[-_.]/).includes(name));
}

export const criticalWorkloadsNotOnSpot: ResourceValidationPolicy = {
    name: "critical-workloads-not-on-spot",
    description: "Workloads named or labelled as one of `criticalWorkloads` (default api, ws) must not run on spot capacity: " +
        "no spot node selector or affinity, and no toleration of the spot taint. A spot reclaim gives two minutes' notice, " +
        "which drops in-flight requests and every open WebSocket.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            criticalWorkloads: { type: "array", items: { type: "string" }, default: [...DEFAULT_CRITICAL_WORKLOADS], description: "Workload names (or name tokens) that must stay on on-demand nodes." },
            identityLabels: { type: "array", items: { type: "string" }, default: [...DEFAULT_IDENTITY_LABELS], description: "Labels whose value names a workload." },
            ...spotKeysSchema,
        },
    },
    validateResource: validateWorkloads((pod, props, args, report) => {
        const cfg = configOf<CriticalConfig>(args, {
            criticalWorkloads: [...DEFAULT_CRITICAL_WORKLOADS], identityLabels: [...DEFAULT_IDENTITY_LABELS],
            spotTaint: SPOT_DEFAULTS.taint, spotLabel: SPOT_DEFAULTS.label,
        });
        const objectMeta = props?.metadata ?? {};
        const labels: Record<string, unknown> = { ...(objectMeta.labels && typeof objectMeta.labels === "object" ? objectMeta.labels : {}), ...(pod.metadata.labels && typeof pod.metadata.labels === "object" ? pod.metadata.labels : {}) };
        const critical = cfg.criticalWorkloads.find((n) => namesWorkload(isKnownString(objectMeta.name) ? objectMeta.name : args.name, n) ||
            cfg.identityLabels.some((l) => namesWorkload(labels[l], n)));
        if (!critical) {
            return; // unknown names or labels never name a workload; the Pulumi resource name still does
        }
        const what = k8sDisplayName(args.type, props, args.name);
        const nodeLabel = parseLabel(cfg.spotLabel);
        const spotLabels = [nodeLabel, ...PROVIDER_SPOT_LABELS];
        const undecided = new Undecided();
        const selections = spotLabels.map((l) => ({ l, selects: selectsNodeLabel(pod.spec, l.key, l.value) }));
        const selected = selections.find((s) => s.selects === true);
        if (selected) {
            report(`${what} is a "${critical}" workload and must not select spot nodes (${selected.l.key}=${selected.l.value}).`);
        } else if (selections.some((s) => s.selects === UNKNOWN)) {
            undecided.add("spec.template.spec.affinity", `whether the "${critical}" workload selects spot nodes is unknown during preview`);
        }
        const tolerates = toleratesTaint(pod.spec.tolerations, parseTaint(cfg.spotTaint));
        if (tolerates === true) {
            report(`${what} is a "${critical}" workload and must not tolerate the spot taint ${cfg.spotTaint}.`);
        } else if (tolerates === UNKNOWN) {
            undecided.add("spec.template.spec.tolerations", `whether the "${critical}" workload tolerates the spot taint is unknown during preview`);
        }
        undecided.settle();
    }),
};

export const spotPolicies = [
    spotPoolInstanceDiversity,
    spotPoolTaint,
    spotWorkloadsTolerateTaint,
    criticalWorkloadsNotOnSpot,
];
