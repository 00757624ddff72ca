/**
 * Replica minimums: nothing the platform serves from, or stores in, runs as a single copy.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { DEFAULT_EXCLUDED_NAMESPACES, EXCLUDE_NAMESPACES_SCHEMA, EXEMPT_LABELS_SCHEMA, LABEL_PATTERN, SPOT_DEFAULTS, TAINT_PATTERN, configOf, exemptingLabel, inExcludedNamespace, k8sDisplayName, label, nodePoolsOf, parseLabel, parseTaint, providerKey, refersTo, selectorMatches } from "./common";

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
    validateResource: validateResourceOfType(k8s.apps.v1.Deployment, (d, args, report) => {
        const cfg = configOf<MinReplicasConfig>(args, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES], exemptLabels: [] });
        if (inExcludedNamespace(d, cfg.excludeNamespaces) || exemptingLabel(d, d.spec?.template?.metadata?.labels, cfg.exemptLabels)) {
            return;
        }
        const what = k8sDisplayName(args.type, d, args.name);
        const replicas = d.spec?.replicas;
        if (replicas === undefined || replicas === null) {
            report(`${what} must set spec.replicas >= ${cfg.minReplicas}; unset, Kubernetes runs 1 pod until an autoscaler acts (set it to the autoscaler's floor).`);
        } else if (replicas < cfg.minReplicas) {
            report(`${what} must run at least ${cfg.minReplicas} replicas, got spec.replicas = ${replicas}.`);
        }
    }),
};

interface HpaConfig {
    minReplicas: number;
    excludeNamespaces: string[];
}

function checkHpa(h: any, type: string, name: string, cfg: HpaConfig, report: (m: string) => void): void {
    if (inExcludedNamespace(h, cfg.excludeNamespaces)) {
        return;
    }
    const what = k8sDisplayName(type, h, name);
    const min: number = h?.spec?.minReplicas ?? 1;
    const max: number | undefined = h?.spec?.maxReplicas;
    if (min < cfg.minReplicas) {
        report(`${what} must keep minReplicas >= ${cfg.minReplicas}, got ${h?.spec?.minReplicas === undefined ? "unset (Kubernetes default 1)" : min}.`);
    }
    if (typeof max !== "number" || max < min) {
        report(`${what} must have maxReplicas >= minReplicas (${min}), got ${max === undefined ? "unset" : max}.`);
    }
}

export const hpaReplicaBounds: ResourceValidationPolicy = {
    name: "hpa-replica-bounds",
    description: "HorizontalPodAutoscalers must keep minReplicas >= `minReplicas` (default 2) and maxReplicas >= minReplicas: " +
        "the autoscaler owns the replica count, so its floor is the service's real availability floor.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minReplicas: { type: "integer", minimum: 1, default: DEFAULT_MIN_REPLICAS, description: "Lowest allowed spec.minReplicas." },
            excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA,
        },
    },
    validateResource: [
        validateResourceOfType(k8s.autoscaling.v2.HorizontalPodAutoscaler, (h, args, report) =>
            checkHpa(h, args.type, args.name, configOf<HpaConfig>(args, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] }), report)),
        validateResourceOfType(k8s.autoscaling.v1.HorizontalPodAutoscaler, (h, args, report) =>
            checkHpa(h, args.type, args.name, configOf<HpaConfig>(args, { minReplicas: DEFAULT_MIN_REPLICAS, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] }), report)),
    ],
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
        // ASGs launched from one launch template are one pool split per zone (NodePool perZone): the
        // minimum holds for their sum. Any other ASG or node group stands alone.
        const groups = new Map<string, typeof pools>();
        for (const pool of pools.filter((p) => !p.spot)) {
            const key = pool.kind === "asg" && pool.launchTemplate ? `lt:${pool.launchTemplate.urn}` : pool.resource.urn;
            groups.set(key, [...(groups.get(key) ?? []), pool]);
        }
        for (const members of groups.values()) {
            const first = members[0];
            const field = first.kind === "asg" ? "minSize" : "scalingConfig.minSize";
            if (members.some((m) => m.minSize === undefined)) {
                const unset = members.find((m) => m.minSize === undefined)!;
                report(`On-demand node pool ${label(unset.resource)} must keep ${field} >= ${cfg.minSize}, got unset.`, unset.resource.urn);
                continue;
            }
            const total = members.reduce((sum, m) => sum + (m.minSize ?? 0), 0);
            if (total < cfg.minSize) {
                const what = members.length === 1
                    ? `${label(first.resource)} must keep ${field} >= ${cfg.minSize}, got ${total}`
                    : `${members.map((m) => label(m.resource)).join(" + ")} (one launch template, one group per zone) must keep ${field} >= ${cfg.minSize} in total, got ${members.map((m) => m.minSize).join(" + ")} = ${total}`;
                report(`On-demand node pool ${what}.`, first.resource.urn);
            }
        }
    },
};

interface ReadReplicaConfig {
    minReadReplicas: number;
}

/** RDS instances that are primaries (not replicas of another instance). */
export function rdsPrimaries(resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => r.isType(aws.rds.Instance) && !r.props?.replicateSourceDb);
}

/** Read replicas of `primary` among `resources` (same- and cross-region). */
export function rdsReplicasOf(primary: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => r !== primary && r.isType(aws.rds.Instance) && r.props?.replicateSourceDb &&
        refersTo(r, primary, [r.props.replicateSourceDb]));
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
        for (const primary of rdsPrimaries(args.resources)) {
            const replicas = rdsReplicasOf(primary, args.resources);
            if (replicas.length < cfg.minReadReplicas) {
                report(`RDS primary ${label(primary)} must have at least ${cfg.minReadReplicas} read replica(s), found ${replicas.length}.`, primary.urn);
            }
        }
    },
};

interface CacheReplicaConfig {
    minReplicasPerNodeGroup: number;
    requireMultiAz: boolean;
}

/** Replicas per shard of a replication group, from whichever of the three ways it was sized. */
export function cacheReplicasPerShard(g: any): number {
    if (typeof g?.replicasPerNodeGroup === "number") {
        return g.replicasPerNodeGroup;
    }
    const groups: any[] = g?.nodeGroupConfigurations ?? [];
    if (groups.length > 0) {
        return Math.min(...groups.map((n) => (typeof n?.replicaCount === "number" ? n.replicaCount : 1)));
    }
    return (typeof g?.numCacheClusters === "number" ? g.numCacheClusters : 1) - 1;
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
    validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (g, args, report) => {
        const cfg = configOf<CacheReplicaConfig>(args, { minReplicasPerNodeGroup: DEFAULT_MIN_CACHE_REPLICAS, requireMultiAz: true });
        const what = `ElastiCache replication group "${args.name}"`;
        const replicas = cacheReplicasPerShard(g);
        if (replicas < cfg.minReplicasPerNodeGroup) {
            report(`${what} must have replicasPerNodeGroup >= ${cfg.minReplicasPerNodeGroup}, got ${replicas}.`);
        }
        if (g.automaticFailoverEnabled !== true) {
            report(`${what} must set automaticFailoverEnabled: true, so a replica takes over when the primary fails.`);
        }
        if (cfg.requireMultiAz && g.multiAzEnabled !== true) {
            report(`${what} must set multiAzEnabled: true, so a zone outage does not take the primary and its replicas together.`);
        }
    }),
};

interface PdbConfig {
    excludeNamespaces: string[];
    exemptLabels: string[];
}

function namespaceOf(r: PolicyResource): string {
    return r.props?.metadata?.namespace ?? "default";
}

/** The replica floor of a Deployment: spec.replicas, raised by an HPA that targets it. */
function replicaFloor(d: PolicyResource, hpas: readonly PolicyResource[]): number {
    let floor: number = d.props?.spec?.replicas ?? 1;
    for (const h of hpas) {
        const ref = h.props?.spec?.scaleTargetRef;
        if (ref?.kind === "Deployment" && ref?.name === d.props?.metadata?.name && namespaceOf(h) === namespaceOf(d) && providerKey(h) === providerKey(d)) {
            floor = Math.max(floor, h.props?.spec?.minReplicas ?? 1);
        }
    }
    return floor;
}

/** True when a PDB lets at least one pod of `replicas` be evicted. */
function pdbAllowsEviction(pdb: any, replicas: number): boolean {
    const spec = pdb?.spec ?? {};
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
        for (const d of args.resources.filter((r) => r.isType(k8s.apps.v1.Deployment))) {
            if (inExcludedNamespace(d.props, cfg.excludeNamespaces) || exemptingLabel(d.props, d.props?.spec?.template?.metadata?.labels, cfg.exemptLabels)) {
                continue;
            }
            const replicas = replicaFloor(d, hpas);
            if (replicas <= 1) {
                continue;
            }
            const podLabels = d.props?.spec?.template?.metadata?.labels;
            const covering = pdbs.filter((p) => namespaceOf(p) === namespaceOf(d) && providerKey(p) === providerKey(d) && selectorMatches(p.props?.spec?.selector, podLabels));
            const what = k8sDisplayName(d.type, d.props, d.name);
            if (covering.length === 0) {
                report(`${what} runs ${replicas} replicas and must be covered by a PodDisruptionBudget selecting its pod labels ${JSON.stringify(podLabels ?? {})}.`, d.urn);
            } else if (!covering.some((p) => pdbAllowsEviction(p.props, replicas))) {
                report(`${what}: its PodDisruptionBudget must allow at least one eviction (maxUnavailable >= 1 or minAvailable < ${replicas}), otherwise node drains block.`, d.urn);
            }
        }
    },
};

export const replicaPolicies = [
    deploymentMinReplicas,
    hpaReplicaBounds,
    onDemandNodePoolMinSize,
    rdsReadReplicas,
    elasticacheReplication,
    pdbForReplicatedDeployments,
];
