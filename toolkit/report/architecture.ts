/**
 * The architecture at a glance, read back from the resources the program registered (so it shows what
 * the code really does, not what the config hopes): per region the DNS weight, load balancer, NAT
 * gateways, EKS cluster, node pools, api/ws replica ranges, workers per queue, database instances and
 * cache groups; and per region the capacity those pools give against what the workloads request.
 *
 * The resolved config is consulted only where a resource does not carry a value (a pool's name, a
 * region's role, a DNS weight when no weighted records exist); each such fallback is listed in `notes`.
 */
import { cpuMillicores, memoryBytes } from "../../components/validation";
import type { RegisteredResource } from "../offline";
import type { PlatformConfig } from "../../platform/config";
import { CACHE_NODES, EC2_INSTANCES, RDS_INSTANCES } from "../prices";
import { GLOBAL, ResourceGraph, k8sName, k8sNamespace, providerUrn, regionCodeOf } from "./graph";

export const T = {
    asg: "aws:autoscaling/group:Group",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    nodeGroup: "aws:eks/nodeGroup:NodeGroup",
    eksCluster: "aws:eks/cluster:Cluster",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    listener: "aws:lb/listener:Listener",
    webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
    natGateway: "aws:ec2/natGateway:NatGateway",
    rdsInstance: "aws:rds/instance:Instance",
    rdsProxy: "aws:rds/proxy:Proxy",
    cacheGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    record: "aws:route53/record:Record",
    healthCheck: "aws:route53/healthCheck:HealthCheck",
    deployment: "kubernetes:apps/v1:Deployment",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
} as const;

export type Purchase = "on-demand" | "spot";

export interface NodePool {
    /** Pool key (`general`, `workers`, ...) when recognisable, else the resource name. */
    readonly name: string;
    readonly resource: string;
    readonly type: string;
    readonly region: string;
    /** Top-level component the pool belongs to. */
    readonly component: string;
    /** Instance types in the pool's order of preference. */
    readonly instanceTypes: readonly string[];
    readonly minSize: number;
    readonly maxSize: number;
    readonly desiredSize: number;
    /** On-demand instances before any spot. */
    readonly onDemandBase: number;
    /** Share of instances above the base that are on-demand, 0-100 (0 = all spot above the base). */
    readonly onDemandPercentAboveBase: number;
    readonly capacity: "on-demand" | "spot" | "mixed";
    readonly diskGiB?: number;
    /** Resource name of the launch template the nodes start from. */
    readonly launchTemplate?: string;
    /** EC2 detailed (1-minute) monitoring on the nodes: the launch template's `monitoring.enabled`. */
    readonly detailedMonitoring: boolean;
    /** How many Auto Scaling groups (one per zone) make up the pool, after `mergeZoneGroups`. */
    readonly zoneGroups?: number;
}

export interface Workload {
    readonly name: string;
    readonly namespace?: string;
    readonly resource: string;
    readonly region: string;
    readonly kind: "api" | "ws" | "worker" | "other";
    /** The queue a worker consumes. */
    readonly queue?: string;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly scaler: "HPA" | "KEDA" | "fixed";
    readonly placement: Purchase;
    /** Requests of one pod (sum over containers), millicores and bytes. */
    readonly podCpuMillis: number;
    readonly podMemoryBytes: number;
}

export interface DatabaseInstance {
    readonly name: string;
    readonly identifier: string;
    readonly region: string;
    readonly role: "primary" | "replica";
    /** Primary's resource name (or the raw `replicateSourceDb` when it is not in this stack). */
    readonly replicaOf?: string;
    readonly crossRegion: boolean;
    readonly instanceClass: string;
    readonly multiAz: boolean;
    readonly storageGiB?: number;
    readonly maxStorageGiB?: number;
    readonly storageType?: string;
    /** True when the storage figures are the source instance's (a replica that sets none). */
    readonly storageFromSource: boolean;
    readonly engine?: string;
    readonly engineVersion?: string;
}

export interface CacheGroup {
    readonly name: string;
    readonly region: string;
    readonly purpose: string;
    readonly engine: string;
    readonly nodeType: string;
    readonly shards: number;
    readonly replicasPerShard: number;
    readonly nodes: number;
}

export interface LoadBalancerInfo {
    readonly name: string;
    readonly type: string;
    readonly internal: boolean;
    readonly idleTimeoutSeconds?: number;
    readonly listeners: readonly string[];
    readonly targetGroups: readonly { readonly name: string; readonly port?: number; readonly algorithm?: string; readonly sticky: boolean }[];
    readonly waf: boolean;
}

export interface RegionArchitecture {
    readonly region: string;
    readonly role?: string;
    /** DNS weight per weighted record (`api`, `ws`, ...). */
    readonly dns: readonly { readonly record: string; readonly weight: number; readonly healthChecked: boolean }[];
    readonly dnsSource: "route53" | "config" | "none";
    readonly loadBalancers: readonly LoadBalancerInfo[];
    readonly natGateways: number;
    /** Zones the region's subnets sit in: the name (the children's key) and, when placed by ID, the zone ID. */
    readonly zones: readonly { readonly name: string; readonly zoneId?: string }[];
    readonly clusters: readonly { readonly name: string; readonly version?: string }[];
    readonly nodePools: readonly NodePool[];
    readonly services: readonly Workload[];
    readonly workers: readonly Workload[];
    readonly databases: readonly DatabaseInstance[];
    readonly caches: readonly CacheGroup[];
}

export interface CapacityClass {
    readonly purchase: Purchase;
    readonly nodes: { readonly desired: number; readonly max: number };
    readonly vcpu: { readonly desired: number; readonly max: number };
    readonly memoryGiB: { readonly desired: number; readonly max: number };
    /** Requests of the workloads placed on this class of node, at their min and max replicas. */
    readonly requests: { readonly cpuAtMin: number; readonly cpuAtMax: number; readonly memoryGiBAtMin: number; readonly memoryGiBAtMax: number };
    /** Instance types without a known size; their pools are left out of vcpu/memoryGiB. */
    readonly unknownTypes: readonly string[];
}

export interface RegionCapacity {
    readonly region: string;
    readonly classes: readonly CapacityClass[];
}

export interface Architecture {
    readonly regions: readonly RegionArchitecture[];
    readonly capacity: readonly RegionCapacity[];
    /** Where a value came from the config instead of a resource, and anything odd worth a look. */
    readonly notes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Small readers.
// ---------------------------------------------------------------------------------------------

function num(v: unknown): number | undefined {
    if (typeof v === "number" && Number.isFinite(v)) {
        return v;
    }
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) {
        return Number(v);
    }
    return undefined;
}

/** Tags of a resource as a map, whether given as a map or as ASG-style `[{ key, value }]`. */
export function tagsOf(r: RegisteredResource): Record<string, string> {
    const tags = r.inputs?.tags;
    if (Array.isArray(tags)) {
        return Object.fromEntries(tags.filter((t) => t && typeof t.key === "string").map((t) => [t.key, String(t.value)]));
    }
    return tags && typeof tags === "object" ? tags : {};
}

/**
 * The key of `keys` that appears in `name` as whole dash-separated segments: the one ending the name
 * first (`prod-use1-cache-queue` -> `queue`, not `cache`), else the one ending latest, longest on ties.
 */
export function keyInName(name: string, keys: readonly string[]): string | undefined {
    const hits: { key: string; end: number }[] = [];
    for (const key of keys) {
        const re = new RegExp(`(?:^|-)(${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})(?=$|-)`, "g");
        for (let m = re.exec(name); m; m = re.exec(name)) {
            hits.push({ key, end: m.index + m[0].length });
        }
    }
    return hits.sort((a, b) => b.end - a.end || b.key.length - a.key.length)[0]?.key;
}

const asList = <V>(v: V | V[] | undefined): V[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// ---------------------------------------------------------------------------------------------
// Node pools.
// ---------------------------------------------------------------------------------------------

function findLaunchTemplate(graph: ResourceGraph, ref: { id?: string; name?: string; launchTemplateId?: string; launchTemplateName?: string } | undefined): RegisteredResource | undefined {
    if (!ref) {
        return undefined;
    }
    const id = ref.id ?? ref.launchTemplateId;
    const name = ref.name ?? ref.launchTemplateName;
    return graph.ofType(T.launchTemplate).find((lt) =>
        (id !== undefined && (id === `${lt.name}-id` || id === lt.state?.id || id === lt.state?.arn)) ||
        (name !== undefined && (name === lt.inputs?.name || name === lt.state?.name)));
}

function launchTemplateDisk(lt: RegisteredResource | undefined): number | undefined {
    const mappings: any[] = lt?.inputs?.blockDeviceMappings ?? [];
    const sizes = mappings.map((m) => num(m?.ebs?.volumeSize)).filter((s): s is number => s !== undefined);
    return sizes.length ? sizes.reduce((a, b) => a + b, 0) : undefined;
}

/** On-demand instances among `n` given a base and a percentage above it (AWS rounds up in favour of on-demand). */
export function onDemandCount(n: number, base: number, percentAboveBase: number): number {
    const fromBase = Math.min(n, base);
    return fromBase + Math.ceil(((n - fromBase) * percentAboveBase) / 100);
}

function poolName(r: RegisteredResource, config: PlatformConfig | undefined, tagKeys: readonly string[] = []): string {
    const tags = tagsOf(r);
    for (const k of tagKeys) {
        if (tags[k]) {
            return tags[k];
        }
    }
    const fromConfig = config ? keyInName(r.name, Object.keys(config.nodePools)) : undefined;
    return fromConfig ?? r.name;
}

export function nodePoolsOf(graph: ResourceGraph, config?: PlatformConfig, notes: string[] = []): NodePool[] {
    const pools: NodePool[] = [];
    for (const asg of graph.ofType(T.asg)) {
        const i = asg.inputs ?? {};
        const mixed = i.mixedInstancesPolicy;
        const spec = mixed?.launchTemplate?.launchTemplateSpecification ?? i.launchTemplate;
        const lt = findLaunchTemplate(graph, spec);
        const overrides: string[] = (mixed?.launchTemplate?.overrides ?? []).map((o: any) => o?.instanceType).filter(Boolean);
        let instanceTypes = overrides.length ? overrides : lt?.inputs?.instanceType ? [lt.inputs.instanceType as string] : [];
        const name = poolName(asg, config, ["node-pool", "scaled-web/node-pool", "eks.amazonaws.com/nodegroup"]);
        const configured = config?.nodePools[name];
        if (instanceTypes.length === 0 && configured) {
            instanceTypes = [...configured.instanceTypes];
            notes.push(`${asg.name}: instance types from config (no launch template instanceType or overrides registered)`);
        }
        const dist = mixed?.instancesDistribution ?? {};
        const ltSpot = lt?.inputs?.instanceMarketOptions?.marketType === "spot";
        // AWS defaults: base 0, 100 % on-demand above it when the distribution omits them.
        const onDemandBase = mixed ? num(dist.onDemandBaseCapacity) ?? 0 : 0;
        const percent = mixed ? num(dist.onDemandPercentageAboveBaseCapacity) ?? 100 : ltSpot ? 0 : 100;
        const minSize = num(i.minSize) ?? 0;
        const maxSize = num(i.maxSize) ?? minSize;
        const desiredSize = num(i.desiredCapacity) ?? minSize;
        let diskGiB = launchTemplateDisk(lt);
        if (diskGiB === undefined && configured) {
            diskGiB = configured.diskSizeGiB;
            notes.push(`${asg.name}: node volume size from config (launch template sets no block device)`);
        }
        pools.push({
            name, resource: asg.name, type: asg.type, region: graph.regionLabel(asg), component: graph.topLevelOf(asg).name,
            instanceTypes, minSize, maxSize, desiredSize, onDemandBase, onDemandPercentAboveBase: percent,
            capacity: percent >= 100 || onDemandBase >= maxSize ? "on-demand" : percent === 0 && onDemandBase === 0 ? "spot" : "mixed",
            diskGiB,
            launchTemplate: lt?.name,
            detailedMonitoring: lt?.inputs?.monitoring?.enabled === true,
        });
    }
    for (const ng of graph.ofType(T.nodeGroup)) {
        const i = ng.inputs ?? {};
        const scaling = i.scalingConfig ?? {};
        const lt = findLaunchTemplate(graph, i.launchTemplate);
        const instanceTypes: string[] = asList(i.instanceTypes).length ? asList(i.instanceTypes) : lt?.inputs?.instanceType ? [lt.inputs.instanceType] : [];
        const spot = String(i.capacityType ?? "ON_DEMAND").toUpperCase() === "SPOT";
        const minSize = num(scaling.minSize) ?? 0;
        pools.push({
            name: i.nodeGroupName && config?.nodePools[i.nodeGroupName] ? i.nodeGroupName : poolName(ng, config),
            resource: ng.name, type: ng.type, region: graph.regionLabel(ng), component: graph.topLevelOf(ng).name,
            instanceTypes: instanceTypes.length ? instanceTypes : ["t3.medium"], // EKS's documented default type
            minSize, maxSize: num(scaling.maxSize) ?? minSize, desiredSize: num(scaling.desiredSize) ?? minSize,
            onDemandBase: 0, onDemandPercentAboveBase: spot ? 0 : 100, capacity: spot ? "spot" : "on-demand",
            diskGiB: num(i.diskSize) ?? launchTemplateDisk(lt) ?? 20, // EKS's documented default disk
            launchTemplate: lt?.name,
            detailedMonitoring: lt?.inputs?.monitoring?.enabled === true,
        });
    }
    return pools;
}

/**
 * Folds a pool split into one Auto Scaling group per zone (groups of one region launched from one launch
 * template, as `NodePool` with `perZone` builds them) into one entry, named and attributed as the first
 * group, with summed sizes and `zoneGroups` set, so the architecture and capacity read per pool. Cost
 * lines stay per group (`nodePoolsOf`).
 */
export function mergeZoneGroups(pools: readonly NodePool[]): NodePool[] {
    const out: NodePool[] = [];
    const byKey = new Map<string, number>();
    for (const p of pools) {
        const key = p.type === T.asg && p.launchTemplate ? `${p.region}|${p.launchTemplate}` : undefined;
        const at = key === undefined ? undefined : byKey.get(key);
        if (at === undefined) {
            if (key !== undefined) {
                byKey.set(key, out.length);
            }
            out.push(p);
            continue;
        }
        const prev = out[at];
        out[at] = {
            ...prev,
            minSize: prev.minSize + p.minSize,
            maxSize: prev.maxSize + p.maxSize,
            desiredSize: prev.desiredSize + p.desiredSize,
            onDemandBase: prev.onDemandBase + p.onDemandBase,
            zoneGroups: (prev.zoneGroups ?? 1) + 1,
        };
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Workloads.
// ---------------------------------------------------------------------------------------------

function sameCluster(graph: ResourceGraph, a: RegisteredResource, b: RegisteredResource): boolean {
    const pa = providerUrn(a.provider);
    const pb = providerUrn(b.provider);
    if (pa && pb) {
        return pa === pb;
    }
    return graph.regionLabel(a) === graph.regionLabel(b);
}

function targets(graph: ResourceGraph, scaler: RegisteredResource, dep: RegisteredResource): boolean {
    const ref = scaler.inputs?.spec?.scaleTargetRef ?? {};
    const kind = ref.kind ?? "Deployment";
    if (kind !== "Deployment" || !sameCluster(graph, scaler, dep)) {
        return false;
    }
    const ns = k8sNamespace(scaler);
    const depNs = k8sNamespace(dep);
    if (ns && depNs && ns !== depNs) {
        return false;
    }
    return ref.name === k8sName(dep) || ref.name === dep.name;
}

function podRequests(dep: RegisteredResource): { cpu: number; mem: number } {
    const containers: any[] = dep.inputs?.spec?.template?.spec?.containers ?? [];
    let cpu = 0;
    let mem = 0;
    for (const c of containers) {
        const req = c?.resources?.requests ?? {};
        cpu += req.cpu !== undefined ? cpuMillicores(String(req.cpu)) ?? 0 : 0;
        mem += req.memory !== undefined ? memoryBytes(String(req.memory)) ?? 0 : 0;
    }
    return { cpu, mem };
}

const SPOT_VALUE = /^spot$/i;

/**
 * Spot when the pod template requires spot nodes: a `nodeSelector` value `spot` (e.g. `node-type: spot`),
 * or a required node-affinity term with `In [spot]`. `NotIn [spot]` (api/ws) means on-demand.
 */
export function placementOf(podSpec: any): Purchase {
    const selector: Record<string, unknown> = podSpec?.nodeSelector ?? {};
    if (Object.values(selector).some((v) => SPOT_VALUE.test(String(v)))) {
        return "spot";
    }
    const terms: any[] = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    const requiresSpot = terms.length > 0 && terms.every((t) => asList<any>(t?.matchExpressions).some((e) =>
        e?.operator === "In" && asList<unknown>(e.values).length > 0 && asList<unknown>(e.values).every((v) => SPOT_VALUE.test(String(v)))));
    return requiresSpot ? "spot" : "on-demand";
}

const LABEL_KEYS = ["app.kubernetes.io/component", "app.kubernetes.io/name", "component", "app"];

function labelsOf(dep: RegisteredResource): Record<string, string> {
    return { ...(dep.inputs?.spec?.template?.metadata?.labels ?? {}), ...(dep.inputs?.metadata?.labels ?? {}) };
}

function kindOf(dep: RegisteredResource, scaledByKeda: boolean): Workload["kind"] {
    const labels = labelsOf(dep);
    const words = [...LABEL_KEYS.map((k) => labels[k]).filter(Boolean), k8sName(dep), dep.name].map(String);
    if (scaledByKeda || words.some((w) => /(^|-)workers?($|-)/.test(w))) {
        return "worker";
    }
    if (words.some((w) => /(^|-)api($|-)/.test(w))) {
        return "api";
    }
    if (words.some((w) => /(^|-)(ws|websockets?)($|-)/.test(w))) {
        return "ws";
    }
    return "other";
}

function queueOf(dep: RegisteredResource, scaledObject: RegisteredResource | undefined, config?: PlatformConfig): string | undefined {
    const labels = labelsOf(dep);
    const labelKey = Object.keys(labels).find((k) => /(^|[/.-])queue$/.test(k));
    if (labelKey) {
        return labels[labelKey];
    }
    const fromName = config ? keyInName(k8sName(dep), Object.keys(config.workers.queues)) ?? keyInName(dep.name, Object.keys(config.workers.queues)) : undefined;
    if (fromName) {
        return fromName;
    }
    for (const trigger of asList<any>(scaledObject?.inputs?.spec?.triggers)) {
        const m = trigger?.metadata ?? {};
        const q = m.listName ?? m.queueName ?? m.stream ?? m.queue;
        if (q) {
            return String(q);
        }
    }
    return undefined;
}

export function workloadsOf(graph: ResourceGraph, config?: PlatformConfig): Workload[] {
    const hpas = graph.ofType(T.hpa);
    const scaledObjects = graph.ofType(T.scaledObject);
    return graph.ofType(T.deployment).map((dep) => {
        const so = scaledObjects.find((s) => targets(graph, s, dep));
        const hpa = so ? undefined : hpas.find((h) => targets(graph, h, dep));
        const fixed = num(dep.inputs?.spec?.replicas) ?? 1;
        const min = so ? num(so.inputs?.spec?.minReplicaCount) ?? 0 : hpa ? num(hpa.inputs?.spec?.minReplicas) ?? 1 : fixed;
        const max = so ? num(so.inputs?.spec?.maxReplicaCount) ?? 100 : hpa ? num(hpa.inputs?.spec?.maxReplicas) ?? min : fixed;
        const kind = kindOf(dep, Boolean(so));
        const req = podRequests(dep);
        return {
            name: k8sName(dep), namespace: k8sNamespace(dep), resource: dep.name, region: graph.regionLabel(dep), kind,
            queue: kind === "worker" ? queueOf(dep, so, config) : undefined,
            minReplicas: min, maxReplicas: max, scaler: so ? "KEDA" : hpa ? "HPA" : "fixed",
            placement: placementOf(dep.inputs?.spec?.template?.spec), podCpuMillis: req.cpu, podMemoryBytes: req.mem,
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Data stores.
// ---------------------------------------------------------------------------------------------

export function databasesOf(graph: ResourceGraph): DatabaseInstance[] {
    const instances = graph.ofType(T.rdsInstance);
    const primaries = instances.filter((r) => !r.inputs?.replicateSourceDb);
    return instances.map((r) => {
        const i = r.inputs ?? {};
        const source: string | undefined = i.replicateSourceDb || undefined;
        const primary = source
            ? primaries.find((p) => source === p.state?.arn || source === p.state?.identifier || source === p.inputs?.identifier || source === `${p.name}-id` || source === p.name)
            : undefined;
        const region = graph.regionLabel(r);
        return {
            name: r.name,
            identifier: i.identifier ?? r.state?.identifier ?? r.name,
            region,
            role: source ? "replica" : "primary",
            replicaOf: source ? primary?.name ?? source : undefined,
            crossRegion: Boolean(source && primary && graph.regionLabel(primary) !== region) || Boolean(source && !primary && /^arn:/.test(source) && !source.includes(`:${region}:`)),
            instanceClass: i.instanceClass ?? "unknown",
            multiAz: Boolean(i.multiAz),
            // A replica that sets no storage gets its source's (what RDS does when it creates the replica).
            storageGiB: num(i.allocatedStorage) ?? num(primary?.inputs?.allocatedStorage),
            maxStorageGiB: num(i.maxAllocatedStorage) ?? (i.allocatedStorage === undefined ? num(primary?.inputs?.maxAllocatedStorage) : undefined),
            storageType: i.storageType ?? (i.allocatedStorage === undefined ? primary?.inputs?.storageType : undefined),
            storageFromSource: i.allocatedStorage === undefined && primary?.inputs?.allocatedStorage !== undefined,
            engine: i.engine,
            engineVersion: i.engineVersion,
        };
    });
}

export function cachesOf(graph: ResourceGraph, config?: PlatformConfig): CacheGroup[] {
    return graph.ofType(T.cacheGroup).map((r) => {
        const i = r.inputs ?? {};
        const tags = tagsOf(r);
        const purposes = config ? Object.keys(config.cache.purposes) : [];
        const purpose = tags.purpose ?? tags.Purpose ?? tags["scaled-web/purpose"] ?? keyInName(r.name, purposes) ?? keyInName(String(i.replicationGroupId ?? ""), purposes) ?? r.name;
        const clusters = num(i.numCacheClusters);
        const shards = num(i.numNodeGroups) ?? 1;
        const replicas = num(i.replicasPerNodeGroup) ?? (clusters !== undefined ? Math.max(0, clusters - 1) : 0);
        return {
            name: r.name,
            region: graph.regionLabel(r),
            purpose,
            engine: String(i.engine ?? "redis"),
            nodeType: i.nodeType ?? "unknown",
            shards,
            replicasPerShard: replicas,
            nodes: num(i.numNodeGroups) === undefined && clusters !== undefined ? clusters : shards * (replicas + 1),
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Edge.
// ---------------------------------------------------------------------------------------------

function loadBalancersIn(graph: ResourceGraph, region: string): LoadBalancerInfo[] {
    const inRegion = (r: RegisteredResource): boolean => graph.regionLabel(r) === region;
    const wafArns = new Set(graph.ofType(T.webAclAssociation).filter(inRegion).map((a) => a.inputs?.resourceArn));
    return graph.ofType(T.loadBalancer).filter(inRegion).map((lb) => {
        const arn = lb.state?.arn;
        const ownedBy = (r: RegisteredResource): boolean =>
            r.inputs?.loadBalancerArn === arn || graph.parentOf(r)?.urn === graph.parentOf(lb)?.urn;
        const listeners = graph.ofType(T.listener).filter((l) => inRegion(l) && ownedBy(l));
        const groups = graph.ofType(T.targetGroup).filter((g) => inRegion(g) && graph.parentOf(g)?.urn === graph.parentOf(lb)?.urn);
        return {
            name: lb.name,
            type: String(lb.inputs?.loadBalancerType ?? "application"),
            internal: Boolean(lb.inputs?.internal),
            idleTimeoutSeconds: num(lb.inputs?.idleTimeout),
            listeners: listeners.map((l) => `${l.inputs?.protocol ?? "?"}:${l.inputs?.port ?? "?"}`).sort(),
            targetGroups: groups.map((g) => ({
                name: g.name,
                port: num(g.inputs?.port),
                algorithm: g.inputs?.loadBalancingAlgorithmType,
                sticky: Boolean(g.inputs?.stickiness?.enabled ?? (g.inputs?.stickiness && g.inputs.stickiness.enabled !== false)),
            })),
            waf: arn !== undefined && wafArns.has(arn),
        };
    });
}

/** The region a weighted record routes to: its set identifier, the alias it points at, or its provider. */
function recordRegion(graph: ResourceGraph, record: RegisteredResource, regions: readonly string[]): string {
    const hints = [record.inputs?.setIdentifier, ...asList<any>(record.inputs?.aliases).map((a) => a?.name), ...asList<any>(record.inputs?.records)]
        .filter((h): h is string => typeof h === "string");
    for (const region of regions) {
        const code = regionCodeOf(region);
        if (hints.some((h) => h.includes(region) || (code !== undefined && new RegExp(`(^|[-.])${code}($|[-.])`).test(h)))) {
            return region;
        }
    }
    return graph.regionLabel(record);
}

/**
 * Weighted records that steer the stack's public traffic: in its hosted zone or under its domain when
 * the config is known, else any weighted record outside the private zones the stack creates (a database
 * reader record in a private zone is not a region's traffic weight).
 */
export function publicWeightedRecords(graph: ResourceGraph, config?: PlatformConfig): RegisteredResource[] {
    const weighted = graph.ofType(T.record).filter((r) => Array.isArray(r.inputs?.weightedRoutingPolicies) && r.inputs.weightedRoutingPolicies.length > 0);
    if (config) {
        const domain = config.domain.replace(/\.$/, "");
        return weighted.filter((r) => {
            const name = String(r.inputs?.name ?? "").replace(/\.$/, "");
            return (config.hostedZoneId !== undefined && r.inputs?.zoneId === config.hostedZoneId) || name === domain || name.endsWith(`.${domain}`);
        });
    }
    const privateZones = new Set(graph.ofType("aws:route53/zone:Zone")
        .filter((z) => Array.isArray(z.inputs?.vpcs) && z.inputs.vpcs.length > 0)
        .flatMap((z) => [z.state?.zoneId, z.state?.id, `${z.name}-id`].filter(Boolean)));
    return weighted.filter((r) => !privateZones.has(r.inputs?.zoneId));
}

// ---------------------------------------------------------------------------------------------
// Assembly.
// ---------------------------------------------------------------------------------------------

function capacityOf(region: string, pools: readonly NodePool[], workloads: readonly Workload[]): RegionCapacity {
    const classes: CapacityClass[] = [];
    for (const purchase of ["on-demand", "spot"] as const) {
        const nodes = { desired: 0, max: 0 };
        const vcpu = { desired: 0, max: 0 };
        const memoryGiB = { desired: 0, max: 0 };
        const unknownTypes = new Set<string>();
        for (const p of pools.filter((x) => x.region === region)) {
            const odDesired = onDemandCount(p.desiredSize, p.onDemandBase, p.onDemandPercentAboveBase);
            const odMax = onDemandCount(p.maxSize, p.onDemandBase, p.onDemandPercentAboveBase);
            const d = purchase === "on-demand" ? odDesired : p.desiredSize - odDesired;
            const m = purchase === "on-demand" ? odMax : p.maxSize - odMax;
            if (d === 0 && m === 0) {
                continue;
            }
            nodes.desired += d;
            nodes.max += m;
            const specs = p.instanceTypes.map((t) => EC2_INSTANCES[t]);
            if (specs.length === 0 || specs.some((s) => !s)) {
                p.instanceTypes.filter((t) => !EC2_INSTANCES[t]).forEach((t) => unknownTypes.add(t));
                if (specs.length === 0) {
                    unknownTypes.add(`${p.resource} (no instance type)`);
                }
                continue;
            }
            // A pool's smallest type bounds what it is sure to provide.
            const cpu = Math.min(...specs.map((s) => s!.vcpu));
            const mem = Math.min(...specs.map((s) => s!.memoryGiB));
            vcpu.desired += d * cpu;
            vcpu.max += m * cpu;
            memoryGiB.desired += d * mem;
            memoryGiB.max += m * mem;
        }
        const placed = workloads.filter((w) => w.region === region && w.placement === purchase);
        const requests = {
            cpuAtMin: placed.reduce((s, w) => s + (w.minReplicas * w.podCpuMillis) / 1000, 0),
            cpuAtMax: placed.reduce((s, w) => s + (w.maxReplicas * w.podCpuMillis) / 1000, 0),
            memoryGiBAtMin: placed.reduce((s, w) => s + (w.minReplicas * w.podMemoryBytes) / 2 ** 30, 0),
            memoryGiBAtMax: placed.reduce((s, w) => s + (w.maxReplicas * w.podMemoryBytes) / 2 ** 30, 0),
        };
        if (nodes.max > 0 || placed.length > 0) {
            classes.push({ purchase, nodes, vcpu, memoryGiB, requests, unknownTypes: [...unknownTypes] });
        }
    }
    return { region, classes };
}

/** Distinct zones of a region's subnets, by name (the Network keys children by zone name) with their zone IDs. */
function zonesOf(subnets: readonly RegisteredResource[]): { name: string; zoneId?: string }[] {
    const zones = new Map<string, string | undefined>();
    for (const s of subnets) {
        const zoneId: string | undefined = s.inputs?.availabilityZoneId ?? undefined;
        const name: string = s.inputs?.availabilityZone ?? s.state?.availabilityZone ?? /([a-z]{2}-[a-z]+-\d[a-z])$/.exec(s.name)?.[1] ?? zoneId ?? s.name;
        zones.set(name, zoneId ?? zones.get(name));
    }
    return [...zones.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, zoneId]) => (zoneId ? { name, zoneId } : { name }));
}

export function buildArchitecture(graph: ResourceGraph, config?: PlatformConfig): Architecture {
    const notes: string[] = [];
    const configRegions = config?.regions.map((r) => r.name) ?? [];
    const pools = mergeZoneGroups(nodePoolsOf(graph, config, notes));
    const workloads = workloadsOf(graph, config);
    const databases = databasesOf(graph);
    const caches = cachesOf(graph, config);
    const seen = new Set<string>(configRegions);
    for (const r of graph.resources) {
        const region = graph.regionOf(r);
        if (region) {
            seen.add(region);
        }
    }
    const regionNames = [...seen];
    const weighted = publicWeightedRecords(graph, config);
    const regions: RegionArchitecture[] = regionNames.map((region) => {
        const inRegion = (r: RegisteredResource): boolean => graph.regionLabel(r) === region;
        const cfg = config?.regions.find((r) => r.name === region);
        let dns = weighted
            .filter((rec) => recordRegion(graph, rec, regionNames) === region)
            .map((rec) => ({
                record: String(rec.inputs?.name ?? rec.name).split(".")[0],
                weight: num(rec.inputs.weightedRoutingPolicies[0]?.weight) ?? 0,
                healthChecked: Boolean(rec.inputs?.healthCheckId),
            }))
            .sort((a, b) => a.record.localeCompare(b.record));
        let dnsSource: RegionArchitecture["dnsSource"] = dns.length ? "route53" : "none";
        if (!dns.length && cfg) {
            dns = [{ record: "*", weight: cfg.weight, healthChecked: false }];
            dnsSource = "config";
        }
        return {
            region,
            role: cfg?.role,
            dns,
            dnsSource,
            loadBalancers: loadBalancersIn(graph, region),
            natGateways: graph.ofType(T.natGateway).filter(inRegion).length,
            zones: zonesOf(graph.ofType("aws:ec2/subnet:Subnet").filter(inRegion)),
            clusters: graph.ofType(T.eksCluster).filter(inRegion).map((c) => ({ name: c.name, version: c.inputs?.version })),
            nodePools: pools.filter((p) => p.region === region),
            services: workloads.filter((w) => w.region === region && w.kind !== "worker"),
            workers: workloads.filter((w) => w.region === region && w.kind === "worker"),
            databases: databases.filter((d) => d.region === region),
            caches: caches.filter((c) => c.region === region),
        };
    });
    // A global bucket only when something regional-looking landed there (e.g. default-provider resources).
    const stray = [...pools, ...workloads, ...databases, ...caches].filter((x) => x.region === GLOBAL);
    if (stray.length) {
        notes.push(`${stray.length} pool/workload/data resource(s) have no region (default provider?): ${stray.map((s) => ("resource" in s ? s.resource : s.name)).join(", ")}`);
    }
    for (const p of pools) {
        const unknown = p.instanceTypes.filter((t) => !EC2_INSTANCES[t]);
        if (unknown.length) {
            notes.push(`${p.resource}: instance type(s) ${unknown.join(", ")} not in the price table (size and price unknown)`);
        }
    }
    for (const d of databases) {
        if (!RDS_INSTANCES[d.instanceClass]) {
            notes.push(`${d.name}: instance class ${d.instanceClass} not in the price table`);
        }
    }
    for (const c of caches) {
        if (!CACHE_NODES[c.nodeType]) {
            notes.push(`${c.name}: node type ${c.nodeType} not in the price table`);
        }
    }
    return {
        regions,
        capacity: regionNames.map((region) => capacityOf(region, pools, workloads)).filter((c) => c.classes.length > 0),
        notes: [...new Set(notes)],
    };
}
