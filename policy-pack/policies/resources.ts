/**
 * Resource limits: every container is sized, nothing is sized beyond what one node can hold, node
 * pools cannot scale without bound, and only approved instance families are bought.
 *
 * Preview-aware (see common.ts): plain props, decisive fields first, unknown values never reported as
 * violations; what they leave open is thrown as `UndecidableError`.
 */
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { cpuMillicores, memoryBytes } from "./quantity";
import {
    DEFAULT_EXCLUDED_NAMESPACES, EXCLUDE_NAMESPACES_SCHEMA, UNKNOWN, UndecidableError, Undecided, configOf, containersOf, inExcludedNamespace, isUnknown,
    k8sDisplayName, matchesAny, numOf, onRaw, validateWorkloads, validateResourceOfTypes,
} from "./common";
import { aws } from "./sdk";

export const DEFAULT_MAX_CPU = "4";
export const DEFAULT_MAX_MEMORY = "8Gi";
/** Enterprise tier: general pool max 30 nodes (platform/tiers.ts); 50 leaves headroom for custom pools. */
export const DEFAULT_MAX_POOL_SIZE = 50;

/** Current-generation EC2 families the platform runs on (x86 and Graviton), any size. */
export const DEFAULT_ALLOWED_INSTANCE_TYPES: readonly string[] = [
    "t3.*", "t3a.*", "t4g.*",
    "m5.*", "m5a.*", "m6i.*", "m6a.*", "m6g.*", "m7i.*", "m7i-flex.*", "m7a.*", "m7g.*", "m8g.*",
    "c6i.*", "c6a.*", "c6g.*", "c7i.*", "c7a.*", "c7g.*", "c8g.*",
    "r6i.*", "r6a.*", "r6g.*", "r7i.*", "r7a.*", "r7g.*", "r8g.*",
];
export const DEFAULT_ALLOWED_DB_CLASSES: readonly string[] = [
    "db.t4g.*", "db.m6g.*", "db.m6i.*", "db.m7g.*", "db.m7i.*", "db.m8g.*", "db.r6g.*", "db.r6i.*", "db.r7g.*", "db.r7i.*", "db.r8g.*",
];
export const DEFAULT_ALLOWED_CACHE_NODE_TYPES: readonly string[] = [
    "cache.t4g.*", "cache.m6g.*", "cache.m7g.*", "cache.r6g.*", "cache.r7g.*",
];


/**
 * Reports what a container check found, unless the workload's namespace is excluded: `problems` proven by
 * known values become violations; `open` paths (values unknown during preview) are thrown as undecidable
 * after them, and so is everything when the namespace itself is unknown.
 */
function reportContainerFindings(
    props: unknown, excludeNamespaces: string[], args: { type: string; name: string }, report: (message: string) => void,
    problems: readonly string[], open: readonly string[], openReason: string,
): void {
    if (problems.length === 0 && open.length === 0) {
        return;
    }
    const excluded = inExcludedNamespace(props, excludeNamespaces);
    if (excluded === true) {
        return;
    }
    const undecided = new Undecided();
    if (excluded === UNKNOWN) {
        undecided.add("metadata.namespace", "the namespace (which may be excluded) is unknown during preview");
    } else {
        const what = k8sDisplayName(args.type, props, args.name);
        problems.forEach((p) => report(`${what} ${p}`));
    }
    open.forEach((path) => undecided.add(path, openReason));
    undecided.settle();
}

interface DeclaredConfig {
    excludeNamespaces: string[];
}

export const containerResourcesDeclared: ResourceValidationPolicy = {
    name: "container-resources-declared",
    description: "Every container (and init container) of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and Pods must " +
        "declare CPU and memory requests and limits: the scheduler places pods by their requests, the HPA scales on " +
        "usage relative to them, and limits stop one pod from starving its node.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA } },
    validateResource: validateWorkloads((pod, props, args, report) => {
        const cfg = configOf<DeclaredConfig>(args, { excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] });
        const containers = containersOf(pod.spec);
        const undecided = new Undecided();
        if (containers === UNKNOWN) {
            throw new UndecidableError("spec.template.spec.containers", "the container list is unknown during preview");
        }
        const problems: string[] = [];
        for (const { container, path } of containers) {
            const missing: string[] = [];
            const resources: any = container.resources;
            if (isUnknown(resources)) {
                continue; // computed resources are declared (an unknown value is a value)
            }
            for (const kind of ["requests", "limits"] as const) {
                const section = resources?.[kind];
                if (isUnknown(section)) {
                    continue;
                }
                for (const res of ["cpu", "memory"]) {
                    const v = section?.[res];
                    if (v === undefined || v === null || String(v).trim() === "") {
                        missing.push(`resources.${kind}.${res}`);
                    }
                }
            }
            if (missing.length > 0) {
                problems.push(`${path} must declare ${missing.join(", ")}.`);
            }
        }
        if (problems.length === 0) {
            return;
        }
        const excluded = inExcludedNamespace(props, cfg.excludeNamespaces);
        if (excluded === true) {
            return;
        }
        if (excluded === UNKNOWN) {
            undecided.add("metadata.namespace", "the namespace (which may be excluded) is unknown during preview");
        } else {
            const what = k8sDisplayName(args.type, props, args.name);
            problems.forEach((p) => report(`${what} ${p}`));
        }
        undecided.settle();
    }),
};

interface CapsConfig {
    maxCpu: string;
    maxMemory: string;
    excludeNamespaces: string[];
}

function quantity(kind: "cpu" | "memory", v: unknown): number | undefined {
    if (typeof v === "number") {
        return kind === "cpu" ? v * 1000 : v;
    }
    if (typeof v !== "string") {
        return undefined;
    }
    return kind === "cpu" ? cpuMillicores(v) : memoryBytes(v);
}

export const containerLimitsWithinCaps: ResourceValidationPolicy = {
    name: "container-limits-within-caps",
    description: "Container limits must stay within `maxCpu` (default 4 CPU) and `maxMemory` (default 8Gi) and be valid " +
        "quantities: a pod bigger than that cannot be rescheduled onto the pool's nodes when one fails, and scaling " +
        "out beats scaling up for these services.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxCpu: { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?m?$", default: DEFAULT_MAX_CPU, description: "Largest CPU limit, a Kubernetes quantity." },
            maxMemory: { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$", default: DEFAULT_MAX_MEMORY, description: "Largest memory limit, a Kubernetes quantity." },
            excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA,
        },
    },
    validateResource: validateWorkloads((pod, props, args, report) => {
        const cfg = configOf<CapsConfig>(args, { maxCpu: DEFAULT_MAX_CPU, maxMemory: DEFAULT_MAX_MEMORY, excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] });
        const caps = { cpu: cpuMillicores(cfg.maxCpu)!, memory: memoryBytes(cfg.maxMemory)! };
        const capText = { cpu: cfg.maxCpu, memory: cfg.maxMemory };
        const containers = containersOf(pod.spec);
        if (containers === UNKNOWN) {
            throw new UndecidableError("spec.template.spec.containers", "the container list is unknown during preview");
        }
        const problems: string[] = [];
        const open: string[] = [];
        for (const { container, path } of containers) {
            for (const kind of ["requests", "limits"] as const) {
                for (const res of ["cpu", "memory"] as const) {
                    const resources: any = container.resources;
                    const value = isUnknown(resources) || isUnknown(resources?.[kind]) ? UNKNOWN : resources?.[kind]?.[res];
                    if (value === undefined || value === null) {
                        continue; // container-resources-declared reports absence
                    }
                    if (isUnknown(value)) {
                        if (kind === "limits") {
                            open.push(`${path}.resources.limits.${res}`);
                        }
                        continue;
                    }
                    const v = quantity(res, value);
                    if (v === undefined) {
                        problems.push(`${path} resources.${kind}.${res} must be a valid Kubernetes quantity, got ${JSON.stringify(value)}.`);
                    } else if (kind === "limits" && v > caps[res]) {
                        problems.push(`${path} resources.limits.${res} must be <= ${capText[res]}, got ${value}.`);
                    }
                }
            }
        }
        reportContainerFindings(props, cfg.excludeNamespaces, args, report, problems, open, "the limit is unknown during preview");
    }),
};

export const containerRequestsWithinLimits: ResourceValidationPolicy = {
    name: "container-requests-within-limits",
    description: "Container requests must not exceed limits: the API server rejects such pods at rollout time, long " +
        "after the preview looked fine.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { excludeNamespaces: EXCLUDE_NAMESPACES_SCHEMA } },
    validateResource: validateWorkloads((pod, props, args, report) => {
        const cfg = configOf<DeclaredConfig>(args, { excludeNamespaces: [...DEFAULT_EXCLUDED_NAMESPACES] });
        const containers = containersOf(pod.spec);
        if (containers === UNKNOWN) {
            throw new UndecidableError("spec.template.spec.containers", "the container list is unknown during preview");
        }
        const problems: string[] = [];
        const open: string[] = [];
        for (const { container, path } of containers) {
            const resources: any = container.resources;
            for (const res of ["cpu", "memory"] as const) {
                const requested = isUnknown(resources) || isUnknown(resources?.requests) ? UNKNOWN : resources?.requests?.[res];
                const limited = isUnknown(resources) || isUnknown(resources?.limits) ? UNKNOWN : resources?.limits?.[res];
                if (isUnknown(requested) || isUnknown(limited)) {
                    if (requested !== undefined && limited !== undefined) {
                        open.push(`${path}.resources.${res}`);
                    }
                    continue;
                }
                const request = quantity(res, requested);
                const limit = quantity(res, limited);
                if (request !== undefined && limit !== undefined && request > limit) {
                    problems.push(`${path} resources.requests.${res} (${requested}) must be <= resources.limits.${res} (${limited}).`);
                }
            }
        }
        reportContainerFindings(props, cfg.excludeNamespaces, args, report, problems, open, "the request or the limit is unknown during preview");
    }),
};

interface MaxSizeConfig {
    maxSize: number;
}

function checkMaxSize(what: string, field: string, value: unknown, cfg: MaxSizeConfig, report: (m: string) => void): void {
    const max = numOf(value);
    if (max === UNKNOWN) {
        throw new UndecidableError(field, "the pool's maxSize is unknown during preview");
    }
    if (max === undefined || max > cfg.maxSize) {
        report(`${what} must have ${field} <= ${cfg.maxSize}, got ${max}.`);
    }
}

export const nodePoolMaxSize: ResourceValidationPolicy = {
    name: "node-pool-max-size",
    description: "Auto Scaling groups and EKS node groups must cap maxSize at `maxSize` (default 50): a runaway autoscaler " +
        "(a crash-looping HPA target, a queue flood) must hit a ceiling before the bill or the account's EC2 quota does.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxSize: { type: "integer", minimum: 1, default: DEFAULT_MAX_POOL_SIZE, description: "Largest allowed maxSize." },
        },
    },
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.autoscaling.Group, onRaw((g, args, report) =>
            checkMaxSize(`Auto Scaling group "${args.name}"`, "maxSize", g.maxSize, configOf<MaxSizeConfig>(args, { maxSize: DEFAULT_MAX_POOL_SIZE }), report))),
        validateResourceOfType(aws.eks.NodeGroup, onRaw((g, args, report) =>
            checkMaxSize(`EKS node group "${args.name}"`, "scalingConfig.maxSize", isUnknown(g.scalingConfig) ? g.scalingConfig : (g.scalingConfig as any)?.maxSize,
                configOf<MaxSizeConfig>(args, { maxSize: DEFAULT_MAX_POOL_SIZE }), report))),
    ]),
};

interface AllowListConfig {
    allowedInstanceTypes: string[];
    allowedDatabaseClasses: string[];
    allowedCacheNodeTypes: string[];
}

const ALLOW_DEFAULTS: AllowListConfig = {
    allowedInstanceTypes: [...DEFAULT_ALLOWED_INSTANCE_TYPES],
    allowedDatabaseClasses: [...DEFAULT_ALLOWED_DB_CLASSES],
    allowedCacheNodeTypes: [...DEFAULT_ALLOWED_CACHE_NODE_TYPES],
};

function checkAllowed(what: string, field: string, values: unknown, allowed: readonly string[], report: (m: string) => void): void {
    const list = isUnknown(values) ? [values] : Array.isArray(values) ? values : [];
    const undecided = new Undecided();
    for (const v of list) {
        if (isUnknown(v)) {
            undecided.add(field, "the instance type is unknown during preview");
        } else if (typeof v === "string" && !matchesAny(v, allowed)) {
            report(`${what} ${field} "${v}" must be in the allow-list (${allowed.join(", ")}).`);
        }
    }
    undecided.settle();
}

export const instanceTypeAllowlist: ResourceValidationPolicy = {
    name: "instance-type-allowlist",
    description: "EC2 instance types (node groups, Auto Scaling groups, launch templates, instances), RDS instance classes " +
        "and ElastiCache node types must match the allow-lists (shell patterns such as \"m7i.*\"): only " +
        "current-generation families that are budgeted, reserved and tested get bought.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedInstanceTypes: { type: "array", items: { type: "string" }, default: [...DEFAULT_ALLOWED_INSTANCE_TYPES], description: "EC2 instance type patterns." },
            allowedDatabaseClasses: { type: "array", items: { type: "string" }, default: [...DEFAULT_ALLOWED_DB_CLASSES], description: "RDS instance class patterns." },
            allowedCacheNodeTypes: { type: "array", items: { type: "string" }, default: [...DEFAULT_ALLOWED_CACHE_NODE_TYPES], description: "ElastiCache node type patterns." },
        },
    },
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.eks.NodeGroup, onRaw((g, args, report) =>
            checkAllowed(`EKS node group "${args.name}"`, "instance type", g.instanceTypes ?? [], configOf(args, ALLOW_DEFAULTS).allowedInstanceTypes, report))),
        validateResourceOfType(aws.autoscaling.Group, onRaw((g, args, report) => {
            const mixed: any = g.mixedInstancesPolicy;
            const overrides = isUnknown(mixed) ? mixed : isUnknown(mixed?.launchTemplate) ? mixed.launchTemplate : mixed?.launchTemplate?.overrides;
            const types = isUnknown(overrides) ? overrides : (Array.isArray(overrides) ? overrides : []).map((o: any) => (isUnknown(o) ? o : o?.instanceType));
            checkAllowed(`Auto Scaling group "${args.name}"`, "instance type", types, configOf(args, ALLOW_DEFAULTS).allowedInstanceTypes, report);
        })),
        validateResourceOfType(aws.ec2.LaunchTemplate, onRaw((t, args, report) =>
            checkAllowed(`Launch template "${args.name}"`, "instanceType", [t.instanceType], configOf(args, ALLOW_DEFAULTS).allowedInstanceTypes, report))),
        validateResourceOfType(aws.ec2.Instance, onRaw((i, args, report) =>
            checkAllowed(`EC2 instance "${args.name}"`, "instanceType", [i.instanceType], configOf(args, ALLOW_DEFAULTS).allowedInstanceTypes, report))),
        validateResourceOfType(aws.rds.Instance, onRaw((i, args, report) =>
            checkAllowed(`RDS instance "${args.name}"`, "instanceClass", [i.instanceClass], configOf(args, ALLOW_DEFAULTS).allowedDatabaseClasses, report))),
        validateResourceOfType(aws.rds.ClusterInstance, onRaw((i, args, report) =>
            checkAllowed(`RDS cluster instance "${args.name}"`, "instanceClass", [i.instanceClass], configOf(args, ALLOW_DEFAULTS).allowedDatabaseClasses, report))),
        validateResourceOfType(aws.elasticache.ReplicationGroup, onRaw((g, args, report) =>
            checkAllowed(`ElastiCache replication group "${args.name}"`, "nodeType", [g.nodeType], configOf(args, ALLOW_DEFAULTS).allowedCacheNodeTypes, report))),
        validateResourceOfType(aws.elasticache.Cluster, onRaw((c, args, report) =>
            checkAllowed(`ElastiCache cluster "${args.name}"`, "nodeType", [c.nodeType], configOf(args, ALLOW_DEFAULTS).allowedCacheNodeTypes, report))),
    ]),
};

export const resourcePolicies = [
    containerResourcesDeclared,
    containerLimitsWithinCaps,
    containerRequestsWithinLimits,
    nodePoolMaxSize,
    instanceTypeAllowlist,
];
