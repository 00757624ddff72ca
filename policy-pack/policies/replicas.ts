/**
 * Replica minimums: nothing the platform serves from, or stores in, runs as a single copy.
 *
 * Preview-aware (see common.ts): each check reads plain props, looks at its decisive field first, and
 * reports only what known values prove; what unknown values leave open is thrown as `UndecidableError`.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import {
    DEFAULT_EXCLUDED_NAMESPACES, EXCLUDE_NAMESPACES_SCHEMA, EXEMPT_LABELS_SCHEMA, LABEL_PATTERN, MaybeUnknown, NodePool, SPOT_DEFAULTS, TAINT_PATTERN, UNKNOWN,
    Undecided, boolOf, configOf, exemptingLabel, inExcludedNamespace, isSet, isUnknown, k8sDisplayName, label, linkedResources, nodePoolsOf, numOf,
    onRaw, parseLabel, parseTaint, propsOf, providerKey, selectorMatches, show, validateResourceOfTypes,
} from "./common";
import { aws, k8s } from "./sdk";

/** Seeds 000/002/003: API and WebSocket tiers never run below two replicas. */
export const DEFAULT_MIN_REPLICAS = 2;
export const DEFAULT_MIN_POOL_SIZE = 2;
export const DEFAULT_MIN_READ_REPLICAS = 1;
export const DEFAULT_MIN_CACHE_REPLICAS = 1;


interface MinReplicasConfig {
    minReplicas: number;
    excludeNamespaces: string[];
    exemptLabels: string[];
}

export const deploymentMinReplicas: ResourceValidationPolicy = {
    name: "deployment-min-replicas",
    description: "Deployments must run at least `minReplicas` pods (default 2): with one pod, a node drain, a spot " +
        "reclaim, a zone outage or a rollout takes the service down.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minReplicas: { type: "integer", minimum: 1, default: DEFAULT_MIN_REPLICAS, description: "Lowest allowed spec.replicas." },
            excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA,
            exemptLabels: EXEMPT_LABELS_SCHEMA,
        },
    },
    validateResource: validateResourceOfType(k8s.apps.v1.Deployment, onRaw((d: any, args, report) => {
        const cfg = configOf<MinReplicasConfig>(args, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES], exemptLabels: [] });
        const replicas = isUnknown(d.spec) ? UNKNOWN : numOf(d.spec?.replicas);
        if (typeof replicas === "number" && replicas >= cfg.minReplicas) {
            return;
        }
        const skipped = skippedWorkload(d, cfg);
        if (skipped === true) {
            return;
        }
        const undecided = new Undecided();
        const what = k8sDisplayName(args.type, d, args.name);
        if (replicas === UNKNOWN || skipped === UNKNOWN) {
            undecided.add(replicas === UNKNOWN ? "spec.replicas" : "metadata", "the replica count or the workload's exemption is unknown during preview");
        } else if (replicas === undefined) {
            report(`${what} must set spec.replicas >= ${cfg.minReplicas}; unset, Kubernetes runs 1 pod until an autoscaler acts (set it to the autoscaler's floor).`);
        } else {
            report(`${what} must run at least ${cfg.minReplicas} replicas, got spec.replicas = ${replicas}.`);
        }
        undecided.settle();
    })),
};

/** Whether a workload is skipped: excluded namespace or exempting label; `UNKNOWN` when unknown values could make it so. */
export function skippedWorkload(props: any, cfg: { excludeNamespaces: readonly string[]; exemptLabels?: readonly string[] }): MaybeUnknown<boolean> {
    const excluded = inExcludedNamespace(props, cfg.excludeNamespaces);
    const template = props?.spec?.template;
    const exempt = isUnknown(props?.spec) || isUnknown(template) ? UNKNOWN : exemptingLabel(props, template?.metadata?.labels, cfg.exemptLabels ?? []);
    if (excluded === true || (exempt !== UNKNOWN && exempt !== undefined)) {
        return true;
    }
    return excluded === UNKNOWN || (exempt === UNKNOWN && (cfg.exemptLabels ?? []).length > 0) ? UNKNOWN : false;
}

interface HpaConfig {
    minReplicas: number;
    excludeNamespaces: string[];
}

function checkHpa(h: any, type: string, name: string, cfg: HpaConfig, report: (m: string) => void): void {
    const spec = h?.spec;
    const givenMin = isUnknown(spec) ? UNKNOWN : numOf(spec?.minReplicas);
    const min = givenMin ?? 1;
    const max = isUnknown(spec) ? UNKNOWN : numOf(spec?.maxReplicas);
    const minOk = min !== UNKNOWN && min >= cfg.minReplicas;
    const maxOk = max !== UNKNOWN && min !== UNKNOWN && max !== undefined && max >= min;
    if (minOk && maxOk) {
        return;
    }
    const excluded = inExcludedNamespace(h, cfg.excludeNamespaces);
    if (excluded === true) {
        return;
    }
    const undecided = new Undecided();
    const what = k8sDisplayName(type, h, name);
    if (excluded === UNKNOWN) {
        undecided.add("metadata.namespace", "the namespace (which may be excluded) is unknown during preview");
    } else {
        if (min === UNKNOWN) {
            undecided.add("spec.minReplicas", "the autoscaler's floor is unknown during preview");
        } else if (!minOk) {
            report(`${what} must keep minReplicas >= ${cfg.minReplicas}, got ${givenMin === undefined ? "unset (Kubernetes default 1)" : min}.`);
        }
        if (max === UNKNOWN) {
            undecided.add("spec.maxReplicas", "the autoscaler's ceiling is unknown during preview");
        } else if (min !== UNKNOWN && !maxOk) {
            report(`${what} must have maxReplicas >= minReplicas (${min}), got ${max === undefined ? "unset" : max}.`);
        }
    }
    undecided.settle();
}

/** Pulumi type of a KEDA ScaledObject (a CustomResource: checked by type token, not by class). */
export const SCALED_OBJECT_TYPE = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const HPA_TYPES: readonly string[] = ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"];

/**
 * A KEDA ScaledObject with a `cpu` or `memory` trigger scales a serving workload like an HPA (KEDA's
 * CPU/memory scalers cannot scale to zero), so its floor is checked the same way: `minReplicaCount`
 * (KEDA default 0) and `maxReplicaCount` (KEDA default 100). Queue-only ScaledObjects may go to zero.
 */
function checkScaledObject(so: any, type: string, name: string, cfg: HpaConfig, report: (m: string) => void): void {
    if (type !== SCALED_OBJECT_TYPE) {
        return;
    }
    const spec = so?.spec;
    if (isUnknown(spec)) {
        checkHpa({ metadata: so?.metadata, spec }, type, name, cfg, report);
        return;
    }
    const triggers = spec?.triggers;
    const serving = isUnknown(triggers) || (Array.isArray(triggers) && triggers.some((t: any) => isUnknown(t) || isUnknown(t?.type) || t?.type === "cpu" || t?.type === "memory"));
    if (!serving) {
        return;
    }
    const min = isUnknown(spec?.minReplicaCount) ? spec.minReplicaCount : (spec?.minReplicaCount ?? 0);
    const max = isUnknown(spec?.maxReplicaCount) ? spec.maxReplicaCount : (spec?.maxReplicaCount ?? 100);
    checkHpa({ metadata: so?.metadata, spec: { minReplicas: min, maxReplicas: max } }, type, name, cfg, report);
}

export const hpaReplicaBounds: ResourceValidationPolicy = {
    name: "hpa-replica-bounds",
    description: "HorizontalPodAutoscalers, and KEDA ScaledObjects that scale on CPU or memory, must keep their floor (minReplicas / minReplicaCount) " +
        ">= `minReplicas` (default 2) and their ceiling >= the floor: the autoscaler owns the replica count, so its floor is the service's real availability floor.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minReplicas: { type: "integer", minimum: 1, default: DEFAULT_MIN_REPLICAS, description: "Lowest allowed spec.minReplicas." },
            excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA,
        },
    },
    validateResource: validateResourceOfTypes([
        validateResourceOfType(k8s.autoscaling.v2.HorizontalPodAutoscaler, onRaw((h, args, report) =>
            checkHpa(h, args.type, args.name, configOf<HpaConfig>(args, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] }), report))),
        validateResourceOfType(k8s.autoscaling.v1.HorizontalPodAutoscaler, onRaw((h, args, report) =>
            checkHpa(h, args.type, args.name, configOf<HpaConfig>(args, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] }), report))),
        [SCALED_OBJECT_TYPE, (args, report) => onRaw((so: any, a, r) =>
            checkScaledObject(so, a.type, a.name, configOf<HpaConfig>(a, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] }), r))(args.props, args, report)],
    ]),
};

/** `provider|namespace|kind|name` of what an autoscaler scales (`UNKNOWN` when any part is unknown in preview). */
function scaleTargetKey(r: PolicyResource): MaybeUnknown<string> {
    const p = propsOf(r);
    const ref = isUnknown(p.spec) ? UNKNOWN : p.spec?.scaleTargetRef;
    const ns = namespaceOf(r);
    if (ref === UNKNOWN || isUnknown(ref) || isUnknown(ref?.name) || isUnknown(ref?.kind) || ns === UNKNOWN) {
        return UNKNOWN;
    }
    // A ScaledObject's scaleTargetRef.kind defaults to Deployment (KEDA ScaleTarget docs).
    return `${providerKey(r)}|${ns}|${ref?.kind ?? "Deployment"}|${ref?.name}`;
}

export const oneAutoscalerPerWorkload: StackValidationPolicy = {
    name: "one-autoscaler-per-workload",
    description: "A workload must not be scaled by both a HorizontalPodAutoscaler and a KEDA ScaledObject: the two fight over spec.replicas " +
        "(KEDA's admission webhook refuses the ScaledObject unless it takes the HPA over), so express every signal as a trigger of the ScaledObject.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateStack: (args, report) => {
        const hpas = args.resources.filter((r) => HPA_TYPES.includes(r.type));
        const scaled = args.resources.filter((r) => r.type === SCALED_OBJECT_TYPE);
        if (hpas.length === 0 || scaled.length === 0) {
            return;
        }
        const undecided = new Undecided();
        const soKeys = new Map<string, PolicyResource>();
        let soUnknown = false;
        for (const so of scaled) {
            const k = scaleTargetKey(so);
            if (k === UNKNOWN) {
                soUnknown = true;
            } else {
                soKeys.set(k, so);
            }
        }
        for (const h of hpas) {
            const k = scaleTargetKey(h);
            const hp = propsOf(h);
            if (k === UNKNOWN) {
                undecided.add(h.name, "the HPA's target or namespace is unknown during preview, so it may target a workload a ScaledObject scales");
                continue;
            }
            const so = soKeys.get(k);
            if (so) {
                const [, ns, kind, name] = k.split("|");
                report(`${k8sDisplayName(h.type, hp, h.name)} and ScaledObject ${ns}/${show(propsOf(so).metadata?.name, so.name)} (${so.name}) both scale ${kind} ${ns}/${name}; ` +
                    "remove the HPA and put its metrics into the ScaledObject's triggers.", h.urn);
            } else if (soUnknown) {
                undecided.add(h.name, "a ScaledObject's target or namespace is unknown during preview, so it may target the same workload");
            }
        }
        undecided.settle();
    },
};

interface PoolMinConfig {
    minSize: number;
    spotTaint: string;
    spotLabel: string;
}

export const onDemandNodePoolMinSize: StackValidationPolicy = {
    name: "on-demand-node-pool-min-size",
    description: "On-demand node pools (Auto Scaling groups and EKS node groups that are not spot) must keep minSize >= " +
        "`minSize` (default 2): they carry the API/WebSocket pods and the load balancer's targets, which must survive " +
        "losing one node or one zone. Auto Scaling groups launched from the same launch template count as one pool " +
        "split per zone, and the minimum holds for their sum. Spot pools are recognised as in spot-pool-taint and may scale to zero.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minSize: { type: "integer", minimum: 1, default: DEFAULT_MIN_POOL_SIZE, description: "Lowest allowed minSize of an on-demand pool." },
            spotTaint: { type: "string", pattern: TAINT_PATTERN, default: SPOT_DEFAULTS.taint, description: "Taint that marks a spot pool, key=value:Effect." },
            spotLabel: { type: "string", pattern: LABEL_PATTERN, default: SPOT_DEFAULTS.label, description: "Node label that marks a spot pool, key=value." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<PoolMinConfig>(args, { minSize: DEFAULT_MIN_POOL_SIZE, spotTaint: SPOT_DEFAULTS.taint, spotLabel: SPOT_DEFAULTS.label });
        const pools = nodePoolsOf(args.resources, { taint: parseTaint(cfg.spotTaint), label: parseLabel(cfg.spotLabel) });
        const undecided = new Undecided();
        // ASGs launched from one launch template are one pool split per zone (NodePool perZone): the minimum
        // holds for their sum. Any other ASG or node group stands alone. Known spot pools may scale to zero.
        const groups = new Map<string, NodePool[]>();
        for (const pool of pools) {
            if (pool.spot === true) {
                continue;
            }
            const key = pool.kind === "asg" && pool.launchTemplate ? `lt:${pool.launchTemplate.urn}` : pool.resource.urn;
            groups.set(key, [...(groups.get(key) ?? []), pool]);
        }
        for (const members of groups.values()) {
            const first = members[0];
            const field = first.kind === "asg" ? "minSize" : "scalingConfig.minSize";
            // Decisive field first: known minimums at or above the floor pass whether or not the pool is spot.
            const knownTotal = members.reduce((sum, m) => sum + (typeof m.minSize === "number" ? m.minSize : 0), 0);
            if (knownTotal >= cfg.minSize) {
                continue;
            }
            const open = members.find((m) => m.minSize === UNKNOWN || m.spot === UNKNOWN);
            if (open) {
                undecided.add(open.resource.name, open.minSize === UNKNOWN ? "its minSize is unknown during preview" : "whether it is a spot pool hangs on values unknown during preview");
                continue;
            }
            const unset = members.find((m) => m.minSize === undefined);
            if (unset) {
                report(`On-demand node pool ${label(unset.resource)} must keep ${field} >= ${cfg.minSize}, got unset.`, unset.resource.urn);
                continue;
            }
            const what = members.length === 1
                ? `${label(first.resource)} must keep ${field} >= ${cfg.minSize}, got ${knownTotal}`
                : `${members.map((m) => label(m.resource)).join(" + ")} (one launch template, one group per zone) must keep ${field} >= ${cfg.minSize} in total, got ${members.map((m) => m.minSize).join(" + ")} = ${knownTotal}`;
            report(`On-demand node pool ${what}.`, first.resource.urn);
        }
        undecided.settle();
    },
};

interface ReadReplicaConfig {
    minReadReplicas: number;
}

/** RDS instances that are primaries (not replicas of another instance; an unknown source ARN is a source). */
export function rdsPrimaries(resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => r.isType(aws.rds.Instance) && !isSet(propsOf(r).replicateSourceDb));
}

/**
 * Read replicas of `primary` among `resources` (same- and cross-region): by dependency on the primary
 * (the engine records one for `replicateSourceDb: primary.arn`, known or not) or by its known identifier/ARN.
 */
export function rdsReplicasOf(primary: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const replicas = resources.filter((r) => r !== primary && r.isType(aws.rds.Instance) && isSet(propsOf(r).replicateSourceDb));
    return replicas.filter((r) => linkedResources(r, [primary], [propsOf(r).replicateSourceDb], ["replicateSourceDb"]).includes(primary));
}

export const rdsReadReplicas: StackValidationPolicy = {
    name: "rds-read-replicas",
    description: "Every RDS primary must have at least `minReadReplicas` read replicas (default 1): reads scale out, and a " +
        "replica can be promoted when the primary's region or data is lost.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minReadReplicas: { type: "integer", minimum: 0, default: DEFAULT_MIN_READ_REPLICAS, description: "Replicas (any region) each primary needs." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<ReadReplicaConfig>(args, { minReadReplicas: DEFAULT_MIN_READ_REPLICAS });
        const primaries = rdsPrimaries(args.resources);
        // Replicas whose unknown source links to no primary at all could belong to any of them.
        const orphans = args.resources.filter((r) => r.isType(aws.rds.Instance) && isUnknown(propsOf(r).replicateSourceDb) &&
            !primaries.some((p) => rdsReplicasOf(p, [r]).length > 0));
        const undecided = new Undecided();
        for (const primary of primaries) {
            const replicas = rdsReplicasOf(primary, args.resources);
            if (replicas.length >= cfg.minReadReplicas) {
                continue;
            }
            if (replicas.length + orphans.length >= cfg.minReadReplicas) {
                undecided.add(primary.name, `${orphans.map((o) => o.name).join(", ")} replicate an unknown source, which may be this primary`);
            } else {
                report(`RDS primary ${label(primary)} must have at least ${cfg.minReadReplicas} read replica(s), found ${replicas.length}.`, primary.urn);
            }
        }
        undecided.settle();
    },
};

interface CacheReplicaConfig {
    minReplicasPerNodeGroup: number;
    requireMultiAz: boolean;
}

/** Replicas per shard of a replication group, from whichever of the three ways it was sized; `UNKNOWN` during preview. */
export function cacheReplicasPerShard(g: any): MaybeUnknown<number> {
    const perGroup = numOf(g?.replicasPerNodeGroup);
    if (perGroup !== undefined) {
        return perGroup;
    }
    if (isUnknown(g?.nodeGroupConfigurations)) {
        return UNKNOWN;
    }
    const groups: any[] = Array.isArray(g?.nodeGroupConfigurations) ? g.nodeGroupConfigurations : [];
    if (groups.length > 0) {
        const counts = groups.map((n) => (isUnknown(n) ? UNKNOWN : numOf(n?.replicaCount) ?? 1));
        return counts.includes(UNKNOWN) ? UNKNOWN : Math.min(...(counts as number[]));
    }
    const clusters = numOf(g?.numCacheClusters);
    return clusters === UNKNOWN ? UNKNOWN : (clusters ?? 1) - 1;
}

export const elasticacheReplication: ResourceValidationPolicy = {
    name: "elasticache-replication",
    description: "ElastiCache replication groups must have at least `minReplicasPerNodeGroup` replica per shard (default 1) " +
        "with automatic failover (and, by default, Multi-AZ): a lone primary loses the cache, the queue or the sessions " +
        "with its node.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minReplicasPerNodeGroup: { type: "integer", minimum: 0, default: DEFAULT_MIN_CACHE_REPLICAS, description: "Replicas each shard needs." },
            requireMultiAz: { type: "boolean", default: true, description: "Require multiAzEnabled, so replicas sit in other zones." },
        },
    },
    validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, onRaw((g, args, report) => {
        const cfg = configOf<CacheReplicaConfig>(args, { minReplicasPerNodeGroup: DEFAULT_MIN_CACHE_REPLICAS, requireMultiAz: true });
        const what = `ElastiCache replication group "${args.name}"`;
        const undecided = new Undecided();
        const replicas = cacheReplicasPerShard(g);
        if (replicas === UNKNOWN) {
            undecided.add("replicasPerNodeGroup", "the replica count is unknown during preview");
        } else if (replicas < cfg.minReplicasPerNodeGroup) {
            report(`${what} must have replicasPerNodeGroup >= ${cfg.minReplicasPerNodeGroup}, got ${replicas}.`);
        }
        const failover = boolOf(g.automaticFailoverEnabled);
        if (failover === UNKNOWN) {
            undecided.add("automaticFailoverEnabled", "it is unknown during preview");
        } else if (failover !== true) {
            report(`${what} must set automaticFailoverEnabled: true, so a replica takes over when the primary fails.`);
        }
        const multiAz = cfg.requireMultiAz ? boolOf(g.multiAzEnabled) : true;
        if (multiAz === UNKNOWN) {
            undecided.add("multiAzEnabled", "it is unknown during preview");
        } else if (multiAz !== true) {
            report(`${what} must set multiAzEnabled: true, so a zone outage does not take the primary and its replicas together.`);
        }
        undecided.settle();
    })),
};

interface PdbConfig {
    excludeNamespaces: string[];
    exemptLabels: string[];
}

function namespaceOf(r: PolicyResource): MaybeUnknown<string> {
    const ns = propsOf(r).metadata?.namespace;
    return isUnknown(ns) || isUnknown(propsOf(r).metadata) ? UNKNOWN : (ns ?? "default");
}

/** Same value, or `UNKNOWN` when either side is. */
function same(a: unknown, b: unknown): MaybeUnknown<boolean> {
    return isUnknown(a) || isUnknown(b) ? UNKNOWN : a === b;
}

/** The replica floor of a Deployment: spec.replicas, raised by an HPA that targets it; `UNKNOWN` when unknowns could change it. */
function replicaFloor(d: PolicyResource, hpas: readonly PolicyResource[]): MaybeUnknown<number> {
    const dp = propsOf(d);
    const replicas = isUnknown(dp.spec) ? UNKNOWN : numOf(dp.spec?.replicas);
    if (replicas === UNKNOWN) {
        return UNKNOWN;
    }
    let floor = replicas ?? 1;
    let unknown = false;
    for (const h of hpas) {
        const hp = propsOf(h);
        const ref = isUnknown(hp.spec) ? UNKNOWN : hp.spec?.scaleTargetRef;
        const targets = ref === UNKNOWN || isUnknown(ref) ? UNKNOWN
            : [same(ref?.kind, "Deployment"), same(ref?.name, dp.metadata?.name), same(namespaceOf(h), namespaceOf(d))].reduce<MaybeUnknown<boolean>>(
                (acc, v) => (acc === false || v === false ? false : acc === UNKNOWN || v === UNKNOWN ? UNKNOWN : true), true);
        if (targets === false || providerKey(h) !== providerKey(d)) {
            continue;
        }
        const min = isUnknown(hp.spec) ? UNKNOWN : numOf(hp.spec?.minReplicas);
        if (targets === UNKNOWN || min === UNKNOWN) {
            unknown = true;
            continue;
        }
        floor = Math.max(floor, min ?? 1);
    }
    return unknown && floor <= 1 ? UNKNOWN : floor;
}

/** True when a PDB lets at least one pod of `replicas` be evicted; `UNKNOWN` when its budget is unknown. */
function pdbAllowsEviction(pdb: any, replicas: number): MaybeUnknown<boolean> {
    const spec = pdb?.spec ?? {};
    if (isUnknown(pdb?.spec) || isUnknown(spec.maxUnavailable) || isUnknown(spec.minAvailable)) {
        return UNKNOWN;
    }
    const asCount = (v: unknown): number | undefined => {
        if (typeof v === "number") {
            return v;
        }
        const m = typeof v === "string" ? /^(\d+)%$/.exec(v) : null;
        return m ? Math.floor((Number(m[1]) / 100) * replicas) : undefined;
    };
    if (spec.maxUnavailable !== undefined) {
        const n = asCount(spec.maxUnavailable);
        return n === undefined || n >= 1;
    }
    if (spec.minAvailable !== undefined) {
        const m = typeof spec.minAvailable === "string" && spec.minAvailable.endsWith("%")
            ? Math.ceil((Number(spec.minAvailable.slice(0, -1)) / 100) * replicas)
            : asCount(spec.minAvailable);
        return m === undefined || m < replicas;
    }
    return true;
}

export const pdbForReplicatedDeployments: StackValidationPolicy = {
    name: "pdb-for-replicated-deployments",
    description: "Every Deployment with more than one replica (spec.replicas or its HPA floor) must be covered by a " +
        "PodDisruptionBudget in its namespace and cluster that still allows one eviction: node drains and cluster " +
        "autoscaler scale-downs then never take all pods at once, nor block forever.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: { excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA, exemptLabels: EXEMPT_LABELS_SCHEMA },
    },
    validateStack: (args, report) => {
        const cfg = configOf<PdbConfig>(args, { excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES], exemptLabels: [] });
        const pdbs = args.resources.filter((r) => r.isType(k8s.policy.v1.PodDisruptionBudget));
        const hpas = args.resources.filter((r) => r.isType(k8s.autoscaling.v2.HorizontalPodAutoscaler) || r.isType(k8s.autoscaling.v1.HorizontalPodAutoscaler));
        const undecided = new Undecided();
        for (const d of args.resources.filter((r) => r.isType(k8s.apps.v1.Deployment))) {
            const dp = propsOf(d);
            const skipped = skippedWorkload(dp, cfg);
            if (skipped === true) {
                continue;
            }
            const replicas = replicaFloor(d, hpas);
            if (replicas !== UNKNOWN && replicas <= 1) {
                continue;
            }
            const podLabels = isUnknown(dp.spec) || isUnknown(dp.spec?.template) || isUnknown(dp.spec?.template?.metadata) ? UNKNOWN : dp.spec?.template?.metadata?.labels;
            const verdicts = pdbs.filter((p) => providerKey(p) === providerKey(d)).map((p) => {
                const sameNs = same(namespaceOf(p), namespaceOf(d));
                const selects = podLabels === UNKNOWN || isUnknown(propsOf(p).spec) ? UNKNOWN : selectorMatches(propsOf(p).spec?.selector, podLabels);
                const covers: MaybeUnknown<boolean> = sameNs === false || selects === false ? false : sameNs === UNKNOWN || selects === UNKNOWN ? UNKNOWN : true;
                return { covers, allows: replicas === UNKNOWN ? UNKNOWN : pdbAllowsEviction(propsOf(p), replicas) };
            }).filter((v) => v.covers !== false);
            if (verdicts.some((v) => v.covers === true && v.allows === true)) {
                continue; // compliant
            }
            const what = k8sDisplayName(d.type, dp, d.name);
            const open = skipped === UNKNOWN || replicas === UNKNOWN || verdicts.some((v) => v.covers === UNKNOWN || v.allows === UNKNOWN);
            if (open) {
                undecided.add(d.name, "its replica floor, namespace, labels or a PodDisruptionBudget that may cover it is unknown during preview");
            } else if (verdicts.length === 0) {
                report(`${what} runs ${replicas} replicas and must be covered by a PodDisruptionBudget selecting its pod labels ${JSON.stringify(podLabels ?? {})}.`, d.urn);
            } else {
                report(`${what}: its PodDisruptionBudget must allow at least one eviction (maxUnavailable >= 1 or minAvailable < ${replicas}), otherwise node drains block.`, d.urn);
            }
        }
        undecided.settle();
    },
};

export const replicaPolicies = [
    deploymentMinReplicas,
    hpaReplicaBounds,
    oneAutoscalerPerWorkload,
    onDemandNodePoolMinSize,
    rdsReadReplicas,
    elasticacheReplication,
    pdbForReplicatedDeployments,
];
