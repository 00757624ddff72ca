import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { CLUSTER_RESOURCE_TAG } from "./pod-identity";
import { DNS_LABEL, EC2_INSTANCE_TYPE, Problems, instanceCpuArchitecture, show } from "./validation";

export type CapacityType = "on-demand" | "spot";
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface NodeTaint {
    readonly key: string;
    readonly value: string;
    readonly effect: TaintEffect;
}

/** Fewest instance types a spot pool may use: one shortage must not empty the pool (seed 000, issue 3). */
export const MIN_SPOT_INSTANCE_TYPES = 3;
/** Fewest nodes an on-demand pool keeps, so api/ws survive the loss of a node or an AZ. */
export const MIN_ON_DEMAND_NODES = 2;
export const DEFAULT_DISK_SIZE_GIB = 50;
export const DEFAULT_ON_DEMAND_BASE_CAPACITY = 0;
/** Spot allocation that weighs price and the depth of each capacity pool (fewest interruptions per dollar). */
export const SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized";
/** Label every node carries: `on-demand` or `spot` (workloads select on it, seed 000). */
export const NODE_TYPE_LABEL = "node-type";
/** Label naming the pool a node belongs to. */
export const NODE_POOL_LABEL = "node-pool";
/** Taint of spot nodes: only pods tolerating `spot=true:NoSchedule` (the queue workers) land there. */
export const SPOT_TAINT: NodeTaint = { key: "spot", value: "true", effect: "NoSchedule" };
/** Tag aws-node-termination-handler checks before it drains an instance (its `managedTag`). */
export const NTH_MANAGED_TAG = "aws-node-termination-handler/managed";
/**
 * Seconds a terminating instance waits in `Terminating:Wait` for aws-node-termination-handler to drain
 * it and complete the lifecycle action; after that the ASG continues anyway.
 */
export const DRAIN_HEARTBEAT_SECONDS = 300;
/**
 * EC2 detailed monitoring (1-minute instance metrics) is off unless asked for: it is billed per metric
 * (CloudWatch pricing: 7 metrics per instance at the custom-metric rate), and the platform's node CPU
 * alarms use 5-minute periods, which basic monitoring already serves.
 */
export const DEFAULT_DETAILED_MONITORING = false;
/** ASG metrics published to CloudWatch (observability alarms on capacity use them). */
export const ASG_METRICS = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances"] as const;

/**
 * Instance refresh of every group when its launch template changes (new AMI, user data, instance settings):
 * - `minHealthyPercentage: 100` with `maxHealthyPercentage: 110`: launch the replacement before terminating, in
 *   batches of 10 % of the group (at least one node), so capacity never drops below the desired count;
 * - every replaced node goes through the termination lifecycle hook, where aws-node-termination-handler cordons and
 *   drains it with the eviction API, which honours the PodDisruptionBudgets (api/ws: one pod at a time);
 * - `instanceWarmup` 300 s before the next batch (node joins, DaemonSets and evicted pods start);
 * - checkpoints at 50 % and 100 % with a 600 s pause, a window to look at the new nodes before the rest roll;
 * - `skipMatching`: nodes already on the new template are left alone (a re-run does not roll everything again);
 * - `autoRollback`: a failed refresh returns the group to its previous template version (supported: the group names
 *   a version number and the template an AMI id, RefreshPreferences in the EC2 Auto Scaling API reference).
 */
export const INSTANCE_REFRESH_PREFERENCES = {
    minHealthyPercentage: 100,
    maxHealthyPercentage: 110,
    instanceWarmup: "300",
    checkpointPercentages: [50, 100],
    checkpointDelay: "600",
    skipMatching: true,
    autoRollback: true,
} as const;

/** Launch-template tags that say which EKS AMI the pool runs (the plan report's version-skew check reads them). */
export const AMI_KUBERNETES_VERSION_TAG = "scaled-web/ami-kubernetes-version";
export const AMI_RELEASE_TAG = "scaled-web/ami-release";

/** An EKS optimized AMI release, as amazon-eks-ami tags them (`v20260714`). */
export const AMI_RELEASE = /^v\d{8}$/;

/** What a pool needs from its cluster; `Cluster` implements it. */
export interface NodePoolClusterRef {
    readonly clusterName: pulumi.Input<string>;
    readonly endpoint: pulumi.Input<string>;
    /** Base64 PEM of the cluster CA. */
    readonly certificateAuthorityData: pulumi.Input<string>;
    /** The cluster's service CIDR (nodeadm needs it for the cluster DNS address). */
    readonly serviceIpv4Cidr: pulumi.Input<string>;
    /** Kubernetes minor version; picks the EKS-optimized AMI. */
    readonly kubernetesVersion: string;
    readonly nodeInstanceProfileArn: pulumi.Input<string>;
    /** Security groups attached to every node. */
    readonly nodeSecurityGroupIds: readonly pulumi.Input<string>[];
    /** Nodes are only launched once this exists (the access entry that lets them join). */
    readonly nodeAccessEntry?: pulumi.Resource;
    /**
     * Everything nodes wait for before they launch: the access entry and the node add-ons (a node without the VPC CNI
     * stays NotReady and its pods get no IP). `Cluster` sets it.
     * @default [nodeAccessEntry]
     */
    readonly nodeDependencies?: readonly pulumi.Resource[];
}

export interface NodePoolArgs {
    readonly cluster: NodePoolClusterRef;
    /** The pool's key (a DNS label), e.g. `general`; it becomes the `node-pool` label. */
    readonly poolName: string;
    /**
     * `on-demand`: every instance on-demand (api/ws). `spot`: spot above an optional on-demand base,
     * tainted `spot=true:NoSchedule` (queue workers).
     */
    readonly capacityType: CapacityType;
    /**
     * EC2 instance types, all of one size and CPU architecture (cluster-autoscaler sizes new nodes from
     * them). On-demand pools use them in order; spot pools need >= 3.
     */
    readonly instanceTypes: readonly string[];
    /** Nodes kept at all times; >= 2 for on-demand pools. */
    readonly minSize: number;
    readonly maxSize: number;
    /**
     * Nodes at creation. Later changes are ignored: cluster-autoscaler owns the desired capacity.
     * @default minSize
     */
    readonly desiredSize?: number;
    /** Private subnets to spread the nodes over (one per AZ). */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /**
     * The availability zone of each entry of `subnetIds`, in the same order (`Network.availabilityZones`
     * next to `Network.privateSubnetIds`). Required with `perZone`: each zone's ASG is named after it.
     */
    readonly availabilityZones?: readonly string[];
    /**
     * One Auto Scaling group per zone instead of one group over every subnet.
     *
     * cluster-autoscaler cannot choose the zone of a new node in a multi-zone ASG: it models the whole
     * group as the group's first zone (cluster-autoscaler/cloudprovider/aws/aws_manager.go, `getAsgTemplate`),
     * so pods with a zone topology spread constraint (`whenUnsatisfiable: DoNotSchedule`, as api/ws use)
     * or a zonal volume may stay Pending. Its FAQ ("use separate node groups per zone ... the
     * `--balance-similar-node-groups` flag will keep nodes balanced across zones") is what this does;
     * `ClusterAddons` runs cluster-autoscaler with that flag.
     *
     * `minSize`, `maxSize` and `desiredSize` stay the pool's totals and are split over the zones as
     * evenly as possible, earlier zones taking the remainder (min 2 over 3 zones -> 1, 1, 0), so the pool
     * costs and holds what its totals say. Spot pools default to one group over all zones: workers have
     * no zone constraint, and one mixed-instances group draws on every zone's spot capacity pools.
     * @default true for `on-demand` pools, false for `spot` pools
     */
    readonly perZone?: boolean;
    /**
     * EC2 detailed monitoring (1-minute CloudWatch metrics) on the pool's instances. Billed per metric
     * and instance; 5-minute basic monitoring serves the platform's node alarms.
     * @default false
     */
    readonly detailedMonitoring?: boolean;
    /** Encrypted gp3 root volume size. @default 50 */
    readonly diskSizeGiB?: number;
    /**
     * Spot pools only: instances kept on-demand before spot takes over (100 % spot above it).
     * @default 0
     */
    readonly onDemandBaseCapacity?: number;
    /** Extra node labels (`node-type` and `node-pool` are set by the pool). @default {} */
    readonly labels?: Readonly<Record<string, string>>;
    /** Extra taints (spot pools always get `spot=true:NoSchedule`). @default [] */
    readonly taints?: readonly NodeTaint[];
    /**
     * AMI to launch (wins over `amiRelease`). A new AMI means a new launch-template version, which the pool's
     * instance refresh rolls out.
     * @default the AMI of `amiRelease`, else the one SSM recommends for the Kubernetes version (unpinned)
     */
    readonly imageId?: pulumi.Input<string>;
    /**
     * EKS optimized AL2023 AMI release to run, e.g. `v20260714` (amazon-eks-ami release tags): read from that
     * release's own SSM parameter, whose value never changes, so the AMI only moves when this does.
     * @default the SSM "recommended" parameter, which moves whenever AWS publishes a release
     */
    readonly amiRelease?: string;
    /**
     * Kubernetes minor of the node AMI (kubelet); may trail the control plane during an upgrade, by up to three
     * minors (the Kubernetes version skew policy).
     * @default the cluster's kubernetesVersion
     */
    readonly amiKubernetesVersion?: string;
    /**
     * Roll the groups with an instance refresh when the launch template changes (`INSTANCE_REFRESH_PREFERENCES`).
     * @default true
     */
    readonly instanceRefresh?: boolean;
    /** KMS key for the root volume. @default the account's EBS default key (aws/ebs) */
    readonly rootVolumeKmsKeyArn?: pulumi.Input<string>;
    /**
     * Hold terminating instances (scale-in, rebalance, instance refresh) in a lifecycle hook until
     * aws-node-termination-handler has drained them (see `ClusterAddons`).
     * @default true
     */
    readonly drainOnTermination?: boolean;
    /**
     * Raised node floors by time window (issue 19, "node pools able to follow" the replica schedules): per window,
     * two ASG scheduled actions per group, one that raises `MinSize` to the window's floor at `start` and one
     * that puts the pool's own `minSize` back at `end`. See `NodePoolSchedule`. @default []
     */
    readonly schedules?: readonly NodePoolSchedule[];
    /** Tags for every taggable child, propagated to instances. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A window in which a pool keeps at least `minSize` nodes (the pool's total; per-zone groups get an even share,
 * `splitAcrossZones`). Only the minimum moves: the scheduled actions leave `MaxSize` and `DesiredCapacity` alone
 * (`-1`; the provider's default for an omitted size is 0, which would empty the group), so cluster-autoscaler
 * keeps scaling above the floor, and at `end` it scales the spare nodes in as usual.
 */
export interface NodePoolSchedule {
    /** Window name (DNS label); the actions are `<name>-start` and `<name>-end`. */
    readonly name: string;
    /** IANA time zone of the cron expressions (`PutScheduledUpdateGroupAction` `TimeZone`). */
    readonly timezone: string;
    /** 5-field Unix cron expression (`Recurrence`) at which the floor starts, e.g. "0 6 * * 1-5". */
    readonly start: string;
    /** 5-field Unix cron expression at which the pool's own `minSize` returns. */
    readonly end: string;
    /** Nodes the pool keeps in the window: above the pool's `minSize`, at most its `maxSize`. */
    readonly minSize: number;
}

/** `Recurrence` of an ASG scheduled action: five Unix cron fields (EC2 Auto Scaling User Guide, "Scheduled scaling"). */
const CRON_5 = /^\S+( \S+){4}$/;
/**
 * What a scheduled action writes to a size it does not change: `-1` (aws_autoscaling_schedule docs and
 * node_modules/@pulumi/aws/autoscaling/schedule.d.ts: "Set to `-1` if you don't want to change ... Defaults to `0`").
 */
export const SCHEDULE_UNCHANGED = -1;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** True for a Kubernetes label/taint key (`[prefix/]name`). */
export function isLabelKey(key: string): boolean {
    const parts = key.split("/");
    if (parts.length > 2) {
        return false;
    }
    const [prefix, labelName] = parts.length === 2 ? parts : [undefined, parts[0]];
    return LABEL_NAME.test(labelName) && (prefix === undefined || (prefix.length <= 253 && LABEL_PREFIX.test(prefix)));
}

/** True for a key the kubelet may not set on itself (NodeRestriction admission). */
export function isRestrictedLabelKey(key: string): boolean {
    const prefix = key.includes("/") ? key.split("/")[0] : "";
    const reserved = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
    const allowed = /(^|\.)(kubelet|node)\.kubernetes\.io$/.test(prefix);
    return reserved && !allowed;
}

/** CPU architecture of a (validated) instance type: Graviton families (`m7g`, `c6gn`, `t4g`, `a1`) are arm64. */
export function instanceArchitecture(instanceType: string): "arm64" | "x86_64" {
    return instanceCpuArchitecture(instanceType) ?? "x86_64";
}

/** SSM parameter holding the recommended EKS-optimized AL2023 AMI for a version and architecture. */
export function amiParameterName(kubernetesVersion: string, arch: "arm64" | "x86_64"): string {
    return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/${arch}/standard/recommended/image_id`;
}

/**
 * SSM parameter of one AL2023 EKS AMI release, e.g. `/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/
 * standard/amazon-eks-node-al2023-x86_64-standard-1.33-v20260714/image_id` (the AMI name after `standard/`, as
 * Karpenter's pinned `al2023@<release>` alias resolves it; release names in awslabs/amazon-eks-ami CHANGELOG.md).
 */
export function amiReleaseParameterName(kubernetesVersion: string, arch: "arm64" | "x86_64", release: string): string {
    return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/${arch}/standard/amazon-eks-node-al2023-${arch}-standard-${kubernetesVersion}-${release}/image_id`;
}

/** `"1.33"` -> 133. */
function minor(version: string): number {
    const [major, m] = version.split(".").map(Number);
    return major * 100 + m;
}

/** Checks plain NodePool args; returns the problems found (empty when valid). */
export function validateNodePoolArgs(args: NodePoolArgs): Problems {
    const problems = new Problems();
    const pool = args.poolName;
    problems.check(DNS_LABEL.test(pool), "poolName", `must be a DNS label (lower-case letters, digits and '-', at most 63 characters), got ${show(pool)}; e.g. "workers"`);
    const spot = args.capacityType === "spot";
    problems.check(args.capacityType === "on-demand" || spot, "capacityType", `must be "on-demand" or "spot", got ${show(args.capacityType)}`);

    const types = args.instanceTypes;
    problems.check(types.length > 0, "instanceTypes", "must list at least one EC2 instance type, got []");
    types.forEach((t, i) => problems.check(EC2_INSTANCE_TYPE.test(t), `instanceTypes[${i}]`, `must be an EC2 instance type such as "m7i.large", got ${show(t)}`));
    problems.check(new Set(types).size === types.length, "instanceTypes", `must not repeat a type, got ${show(types)}`);
    if (spot) {
        problems.check(types.length >= MIN_SPOT_INSTANCE_TYPES, "instanceTypes",
            `a spot pool needs >= ${MIN_SPOT_INSTANCE_TYPES} instance types of similar size so one spot shortage cannot empty it, got ${types.length} (${show(types)}); add e.g. m6i/m6a/m5 of the same size`);
    }
    const valid = types.filter((t) => EC2_INSTANCE_TYPE.test(t));
    const sizes = new Set(valid.map((t) => t.split(".")[1]));
    problems.check(sizes.size <= 1, "instanceTypes", `must all be one size (cluster-autoscaler sizes new nodes from the pool's types), got ${show(types)}`);
    const arches = new Set(valid.map(instanceArchitecture));
    problems.check(arches.size <= 1, "instanceTypes", `must all be one CPU architecture (one AMI per pool), got ${show(types)}; put Graviton types in their own pool`);

    const whole = (v: number | undefined): boolean => v === undefined || (Number.isInteger(v) && v >= 0);
    problems.check(whole(args.minSize), "minSize", `must be a whole number >= 0, got ${show(args.minSize)}`);
    problems.check(whole(args.maxSize) && args.maxSize >= 1, "maxSize", `must be a whole number >= 1, got ${show(args.maxSize)}`);
    problems.check(args.minSize <= args.maxSize, "minSize", `must be <= maxSize (${args.maxSize}), got ${args.minSize}`);
    if (args.desiredSize !== undefined) {
        problems.check(whole(args.desiredSize) && args.desiredSize >= args.minSize && args.desiredSize <= args.maxSize, "desiredSize",
            `must be within [minSize, maxSize] = [${args.minSize}, ${args.maxSize}], got ${show(args.desiredSize)}`);
    }
    if (!spot) {
        problems.check(args.minSize >= MIN_ON_DEMAND_NODES, "minSize",
            `an on-demand pool keeps >= ${MIN_ON_DEMAND_NODES} nodes so the services on it survive the loss of a node or AZ, got ${args.minSize}`);
        problems.check(args.onDemandBaseCapacity === undefined, "onDemandBaseCapacity", `only applies to spot pools; drop it from on-demand pool ${show(pool)}`);
    } else if (args.onDemandBaseCapacity !== undefined) {
        problems.check(whole(args.onDemandBaseCapacity) && args.onDemandBaseCapacity <= args.maxSize, "onDemandBaseCapacity",
            `must be a whole number from 0 to maxSize (${args.maxSize}), got ${show(args.onDemandBaseCapacity)}`);
    }
    problems.check(args.subnetIds.length >= 1, "subnetIds", "must list at least one private subnet (one per AZ to spread nodes), got []");
    const zones = args.availabilityZones;
    if (zones !== undefined) {
        problems.check(zones.length === args.subnetIds.length, "availabilityZones",
            `must name the zone of each of the ${args.subnetIds.length} subnetIds, in the same order, got ${zones.length} (${show(zones)})`);
        zones.forEach((z, i) => problems.check(DNS_LABEL.test(z), `availabilityZones[${i}]`, `must be a zone name such as "us-east-1a" (it names the zone's ASG), got ${show(z)}`));
        problems.check(new Set(zones).size === zones.length, "availabilityZones", `must not repeat a zone (one subnet per zone), got ${show(zones)}`);
    }
    if (isPerZone(args)) {
        if (zones === undefined) {
            problems.add("availabilityZones", `is required with perZone (the default for on-demand pools): name the zone of each subnetIds entry, e.g. Network.availabilityZones, or set perZone: false for one ASG over all zones`);
        } else if (Number.isInteger(args.maxSize) && zones.length > 0) {
            problems.check(args.maxSize >= zones.length, "maxSize",
                `must be >= the number of zones (${zones.length}) with perZone, so every zone's ASG can hold a node, got ${args.maxSize}`);
        }
    }
    if (args.amiRelease !== undefined) {
        problems.check(AMI_RELEASE.test(args.amiRelease), "amiRelease", `must be an amazon-eks-ami release such as "v20260714", got ${show(args.amiRelease)}`);
    }
    if (args.amiKubernetesVersion !== undefined) {
        const ok = /^1\.\d{2}$/.test(args.amiKubernetesVersion);
        problems.check(ok, "amiKubernetesVersion", `must be a Kubernetes minor version such as "1.33", got ${show(args.amiKubernetesVersion)}`);
        const cp = args.cluster.kubernetesVersion;
        if (ok && /^1\.\d{2}$/.test(cp)) {
            const skew = minor(cp) - minor(args.amiKubernetesVersion);
            problems.check(skew >= 0 && skew <= 3, "amiKubernetesVersion",
                `must be the control plane's minor (${cp}) or up to three older (kubelet version skew policy), got ${show(args.amiKubernetesVersion)}`);
        }
    }
    problems.check(args.detailedMonitoring === undefined || typeof args.detailedMonitoring === "boolean", "detailedMonitoring", `must be true or false, got ${show(args.detailedMonitoring)}`);
    const disk = args.diskSizeGiB ?? DEFAULT_DISK_SIZE_GIB;
    problems.check(Number.isInteger(disk) && disk >= 20 && disk <= 16384, "diskSizeGiB", `must be a whole number of GiB from 20 to 16384, got ${show(disk)}`);

    for (const [key, value] of Object.entries(args.labels ?? {})) {
        problems.check(isLabelKey(key), `labels.${key}`, `key must be a Kubernetes label key such as "team" or "example.com/tier", got ${show(key)}`);
        problems.check(value === "" || LABEL_NAME.test(value), `labels.${key}`, `value must be <= 63 letters, digits, '-', '_' or '.', got ${show(value)}`);
        problems.check(!isRestrictedLabelKey(key), `labels.${key}`, `the kubelet may not set labels under kubernetes.io/k8s.io (other than node.kubernetes.io, kubelet.kubernetes.io); use your own prefix`);
        problems.check(key !== NODE_TYPE_LABEL && key !== NODE_POOL_LABEL, `labels.${key}`, `is set by the pool from capacityType/poolName; remove it`);
    }
    const scheduleNames = new Set<string>();
    (args.schedules ?? []).forEach((w, i) => {
        const at = `schedules[${i}]`;
        problems.check(DNS_LABEL.test(w.name), `${at}.name`, `must be a DNS label (it names the scheduled actions), got ${show(w.name)}`);
        problems.check(!scheduleNames.has(w.name), `${at}.name`, `must be unique among the pool's schedules, got ${show(w.name)} twice`);
        scheduleNames.add(w.name);
        problems.check(CRON_5.test(w.start), `${at}.start`, `must be a 5-field cron expression such as "0 6 * * 1-5", got ${show(w.start)}`);
        problems.check(CRON_5.test(w.end), `${at}.end`, `must be a 5-field cron expression such as "0 22 * * 1-5", got ${show(w.end)}`);
        problems.check(typeof w.timezone === "string" && w.timezone.length > 0, `${at}.timezone`, `must be an IANA time zone such as "Europe/Berlin", got ${show(w.timezone)}`);
        problems.check(Number.isInteger(w.minSize) && w.minSize > args.minSize && w.minSize <= args.maxSize, `${at}.minSize`,
            `must be a whole number above the pool's minSize (${args.minSize}) and at most its maxSize (${args.maxSize}), got ${show(w.minSize)}`);
    });
    (args.taints ?? []).forEach((t, i) => {
        problems.check(isLabelKey(t.key), `taints[${i}].key`, `must be a Kubernetes taint key, got ${show(t.key)}`);
        problems.check(t.value === "" || LABEL_NAME.test(t.value), `taints[${i}].value`, `must be <= 63 letters, digits, '-', '_' or '.', got ${show(t.value)}`);
        problems.check(TAINT_EFFECTS.includes(t.effect), `taints[${i}].effect`, `must be one of ${TAINT_EFFECTS.join(", ")}, got ${show(t.effect)}`);
    });
    return problems;
}

/** The labels a pool's nodes register with. */
export function nodeLabels(args: Pick<NodePoolArgs, "poolName" | "capacityType" | "labels">): Record<string, string> {
    return { ...(args.labels ?? {}), [NODE_TYPE_LABEL]: args.capacityType, [NODE_POOL_LABEL]: args.poolName };
}

/** The taints a pool's nodes register with (spot pools always carry `spot=true:NoSchedule`). */
export function nodeTaints(args: Pick<NodePoolArgs, "capacityType" | "taints">): NodeTaint[] {
    const extra = (args.taints ?? []).filter((t) => !(args.capacityType === "spot" && t.key === SPOT_TAINT.key));
    return args.capacityType === "spot" ? [SPOT_TAINT, ...extra] : [...extra];
}

/** Whether a pool gets one ASG per zone (`perZone`, defaulting to on-demand pools only). */
export function isPerZone(args: Pick<NodePoolArgs, "perZone" | "capacityType">): boolean {
    return args.perZone ?? args.capacityType === "on-demand";
}

/**
 * Splits a pool total over `zones` groups as evenly as possible, the first zones taking the remainder:
 * `splitAcrossZones(2, 3)` = `[1, 1, 0]`, `splitAcrossZones(12, 3)` = `[4, 4, 4]`. The split of a larger
 * total is never smaller in any zone, so per-zone min <= desired <= max holds when the totals do.
 */
export function splitAcrossZones(total: number, zones: number): number[] {
    const base = Math.floor(total / zones);
    const rest = total % zones;
    return Array.from({ length: zones }, (_, i) => base + (i < rest ? 1 : 0));
}

/** One Auto Scaling group of a pool: its key, subnets and sizes. */
export interface AsgPlan {
    /** `<pool>` for a pool-wide group, `<pool>-<zone>` for a zone's group (alarm and attachment keys). */
    readonly key: string;
    /** The zone of a per-zone group. */
    readonly zone?: string;
    readonly subnetIndexes: readonly number[];
    readonly minSize: number;
    readonly maxSize: number;
    readonly desiredSize: number;
    /** Spot pools: the group's share of `onDemandBaseCapacity`. */
    readonly onDemandBase?: number;
}

/** The Auto Scaling groups a (validated) pool consists of. */
export function planAutoScalingGroups(args: Pick<NodePoolArgs, "poolName" | "capacityType" | "perZone" | "subnetIds" | "availabilityZones" | "minSize" | "maxSize" | "desiredSize" | "onDemandBaseCapacity">): AsgPlan[] {
    const desired = args.desiredSize ?? args.minSize;
    const base = args.onDemandBaseCapacity;
    if (!isPerZone(args)) {
        return [{ key: args.poolName, subnetIndexes: args.subnetIds.map((_, i) => i), minSize: args.minSize, maxSize: args.maxSize, desiredSize: desired, onDemandBase: base }];
    }
    const zones = args.availabilityZones ?? [];
    const mins = splitAcrossZones(args.minSize, zones.length);
    const maxes = splitAcrossZones(args.maxSize, zones.length);
    const desireds = splitAcrossZones(desired, zones.length);
    const bases = base === undefined ? undefined : splitAcrossZones(base, zones.length);
    return zones.map((zone, i) => ({
        key: `${args.poolName}-${zone}`, zone, subnetIndexes: [i], minSize: mins[i], maxSize: maxes[i], desiredSize: desireds[i], onDemandBase: bases?.[i],
    }));
}

/**
 * Cluster-autoscaler tags of an ASG: auto-discovery (`enabled` + `<cluster>: owned`) and the
 * node-template label/taint tags that let it scale a pool up from zero nodes, when it has no live node
 * to learn the labels and taints from.
 */
export function autoscalerTags(clusterName: string, labels: Readonly<Record<string, string>>, taints: readonly NodeTaint[]): Record<string, string> {
    const tags: Record<string, string> = {
        "k8s.io/cluster-autoscaler/enabled": "true",
        [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
    };
    for (const [key, value] of Object.entries(labels)) {
        tags[`k8s.io/cluster-autoscaler/node-template/label/${key}`] = value;
    }
    for (const t of taints) {
        tags[`k8s.io/cluster-autoscaler/node-template/taint/${t.key}`] = `${t.value}:${t.effect}`;
    }
    return tags;
}

/** How an ASG splits on-demand and spot capacity. */
export function instancesDistribution(capacityType: CapacityType, onDemandBaseCapacity: number = DEFAULT_ON_DEMAND_BASE_CAPACITY): aws.types.input.autoscaling.GroupMixedInstancesPolicyInstancesDistribution {
    return capacityType === "spot"
        ? { onDemandBaseCapacity, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: SPOT_ALLOCATION_STRATEGY }
        : { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100, onDemandAllocationStrategy: "prioritized" };
}

export interface NodeUserDataParams {
    readonly clusterName: string;
    readonly endpoint: string;
    readonly certificateAuthorityData: string;
    readonly serviceIpv4Cidr: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly NodeTaint[];
}

const MIME_BOUNDARY = "==NODEADM==";

/**
 * EC2 user data for an Amazon Linux 2023 EKS node: a MIME multi-part document with one nodeadm
 * `NodeConfig` (cluster endpoint, CA, service CIDR and the kubelet's labels and taints), so the node
 * joins without calling the EKS API at boot. Returned as plain text; EC2 wants it base64-encoded.
 */
export function renderNodeUserData(p: NodeUserDataParams): string {
    const flags: string[] = [];
    const labels = Object.entries(p.labels).map(([k, v]) => `${k}=${v}`);
    if (labels.length > 0) {
        flags.push(`--node-labels=${labels.join(",")}`);
    }
    if (p.taints.length > 0) {
        flags.push(`--register-with-taints=${p.taints.map((t) => `${t.key}=${t.value}:${t.effect}`).join(",")}`);
    }
    const nodeConfig = {
        apiVersion: "node.eks.aws/v1alpha1",
        kind: "NodeConfig",
        spec: {
            cluster: {
                name: p.clusterName,
                apiServerEndpoint: p.endpoint,
                certificateAuthority: p.certificateAuthorityData,
                cidr: p.serviceIpv4Cidr,
            },
            kubelet: { flags },
        },
    };
    return [
        "MIME-Version: 1.0",
        `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`,
        "",
        `--${MIME_BOUNDARY}`,
        "Content-Type: application/node.eks.aws",
        "",
        "---",
        YAML.stringify(nodeConfig).trimEnd(),
        "",
        `--${MIME_BOUNDARY}--`,
        "",
    ].join("\n");
}

/**
 * One pool of self-managed EKS nodes: a launch template (EKS-optimized AL2023 AMI, IMDSv2 required
 * with hop limit 1 so pods cannot reach the node's credentials and use IRSA instead, encrypted gp3
 * root volume, nodeadm user data with the pool's labels and taints, detailed monitoring only when
 * asked for) and Auto Scaling groups with a mixed-instances policy:
 *
 * - `on-demand`: 100 % on-demand, types in priority order, min >= 2 in total, one group per zone
 *   (`perZone`) so cluster-autoscaler can add a node in the zone a pending pod needs;
 * - `spot`: one group over every zone's subnets, spot above `onDemandBaseCapacity` with
 *   `price-capacity-optimized` over >= 3 types, capacity rebalance on, tainted `spot=true:NoSchedule`
 *   and labelled `node-type=spot`.
 *
 * Every group carries cluster-autoscaler discovery and node-template tags (so a pool can scale from zero), the
 * aws-node-termination-handler managed tag, and a termination lifecycle hook it completes once the
 * node is drained. Pass the region's `aws.Provider` in `opts.provider`.
 */
export class NodePool extends pulumi.ComponentResource {
    public readonly poolName: string;
    public readonly capacityType: CapacityType;
    public readonly instanceTypes: readonly string[];
    public readonly labels: Readonly<Record<string, string>>;
    public readonly taints: readonly NodeTaint[];
    public readonly launchTemplate: aws.ec2.LaunchTemplate;
    /**
     * The pool's Auto Scaling groups keyed `<pool>` (one group over all zones) or `<pool>-<zone>` (one
     * per zone, see `perZone`); the keys are unique across pools, so callers can merge them.
     */
    public readonly autoScalingGroups: Readonly<Record<string, aws.autoscaling.Group>>;
    /** ASG names, keyed as `autoScalingGroups`. */
    public readonly autoScalingGroupNames: Readonly<Record<string, pulumi.Output<string>>>;
    /** ASG ARNs, keyed as `autoScalingGroups`. */
    public readonly autoScalingGroupArns: Readonly<Record<string, pulumi.Output<string>>>;
    /** Zones with a group of their own (empty for a pool-wide group). */
    public readonly zones: readonly string[];
    public readonly imageId: pulumi.Output<string>;
    /** Kubernetes minor of the node AMI. */
    public readonly amiKubernetesVersion: string;
    /** The pinned AMI release, undefined when `imageId` is given or the pool follows SSM's recommendation. */
    public readonly amiRelease?: string;

    constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        validateNodePoolArgs(args).throwIfAny(`NodePool "${name}"`);
        super("scaled-web:compute:NodePool", name, {}, opts);

        const child = { parent: this };
        const tags = { ...(args.tags ?? {}) };
        const cluster = args.cluster;
        this.poolName = args.poolName;
        this.capacityType = args.capacityType;
        this.instanceTypes = [...args.instanceTypes];
        this.labels = nodeLabels(args);
        this.taints = nodeTaints(args);

        const arch = instanceArchitecture(args.instanceTypes[0]);
        this.amiKubernetesVersion = args.amiKubernetesVersion ?? cluster.kubernetesVersion;
        this.amiRelease = args.imageId !== undefined ? undefined : args.amiRelease;
        this.imageId = args.imageId !== undefined
            ? pulumi.output(args.imageId)
            : aws.ssm.getParameterOutput({
                name: args.amiRelease !== undefined
                    ? amiReleaseParameterName(this.amiKubernetesVersion, arch, args.amiRelease)
                    : amiParameterName(this.amiKubernetesVersion, arch),
            }, child).value;

        const userData = pulumi.all([cluster.clusterName, cluster.endpoint, cluster.certificateAuthorityData, cluster.serviceIpv4Cidr]).apply(
            ([clusterName, endpoint, ca, cidr]) => Buffer.from(renderNodeUserData({
                clusterName, endpoint, certificateAuthorityData: ca, serviceIpv4Cidr: cidr, labels: this.labels, taints: this.taints,
            })).toString("base64"),
        );
        const instanceTags = pulumi.output(cluster.clusterName).apply((c) => ({ ...tags, Name: `${c}-${args.poolName}` }));

        this.launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, {
            description: `EKS nodes of pool ${args.poolName} (${args.capacityType})`,
            imageId: this.imageId,
            userData,
            iamInstanceProfile: { arn: cluster.nodeInstanceProfileArn },
            vpcSecurityGroupIds: [...cluster.nodeSecurityGroupIds],
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required",
                // One hop: the node reaches IMDS, containers on the pod network do not (they use EKS Pod Identity).
                httpPutResponseHopLimit: 1,
                instanceMetadataTags: "disabled",
            },
            blockDeviceMappings: [{
                deviceName: "/dev/xvda",
                ebs: {
                    volumeSize: args.diskSizeGiB ?? DEFAULT_DISK_SIZE_GIB,
                    volumeType: "gp3",
                    encrypted: "true",
                    deleteOnTermination: "true",
                    ...(args.rootVolumeKmsKeyArn !== undefined ? { kmsKeyId: args.rootVolumeKmsKeyArn } : {}),
                },
            }],
            monitoring: { enabled: args.detailedMonitoring ?? DEFAULT_DETAILED_MONITORING },
            updateDefaultVersion: true,
            tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags: instanceTags })),
            tags: {
                ...tags,
                // Only known for an AMI chosen by release (or SSM's recommendation): an explicit imageId names no version.
                ...(args.imageId === undefined ? {
                    [AMI_KUBERNETES_VERSION_TAG]: this.amiKubernetesVersion,
                    [AMI_RELEASE_TAG]: args.amiRelease ?? "recommended",
                } : args.amiKubernetesVersion !== undefined ? { [AMI_KUBERNETES_VERSION_TAG]: args.amiKubernetesVersion } : {}),
            },
        }, child);

        const spot = args.capacityType === "spot";
        const plans = planAutoScalingGroups(args);
        const groups: Record<string, aws.autoscaling.Group> = {};
        for (const plan of plans) {
            // A pool-wide group keeps the child names it always had; a zone's group is named after its zone.
            const suffix = plan.zone !== undefined ? `-${plan.zone}` : "";
            const asgTags = pulumi.output(cluster.clusterName).apply((c) => {
                const all: Record<string, string> = {
                    ...tags,
                    Name: `${c}-${args.poolName}${suffix}`,
                    [`kubernetes.io/cluster/${c}`]: "owned",
                    [NTH_MANAGED_TAG]: "true",
                    // What the shared Pod Identity roles of cluster-autoscaler and the termination handler are
                    // limited to: `aws:ResourceTag/scaled-web/eks-cluster` equal to the session's cluster name.
                    [CLUSTER_RESOURCE_TAG]: c,
                    ...autoscalerTags(c, this.labels, this.taints),
                };
                return Object.entries(all).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
            });
            const group = new aws.autoscaling.Group(`${name}-asg${suffix}`, {
                vpcZoneIdentifiers: plan.subnetIndexes.map((i) => args.subnetIds[i]),
                minSize: plan.minSize,
                maxSize: plan.maxSize,
                desiredCapacity: plan.desiredSize,
                capacityRebalance: spot,
                mixedInstancesPolicy: {
                    instancesDistribution: instancesDistribution(args.capacityType, plan.onDemandBase),
                    launchTemplate: {
                        launchTemplateSpecification: {
                            launchTemplateId: this.launchTemplate.id,
                            version: this.launchTemplate.latestVersion.apply(String),
                        },
                        overrides: args.instanceTypes.map((instanceType) => ({ instanceType })),
                    },
                },
                ...(args.instanceRefresh ?? true
                    ? { instanceRefresh: { strategy: "Rolling", preferences: { ...INSTANCE_REFRESH_PREFERENCES, checkpointPercentages: [...INSTANCE_REFRESH_PREFERENCES.checkpointPercentages] } } }
                    : {}),
                healthCheckType: "EC2",
                healthCheckGracePeriod: 300,
                enabledMetrics: [...ASG_METRICS],
                tags: asgTags,
            }, {
                ...child,
                // order: nodes join through the access entry and need the node add-ons (CNI, kube-proxy, Pod Identity
                // agent) to become Ready; the launch template reads neither.
                dependsOn: cluster.nodeDependencies ? [...cluster.nodeDependencies] : cluster.nodeAccessEntry ? [cluster.nodeAccessEntry] : [],
                // cluster-autoscaler owns the desired capacity; the load balancer attaches its own target groups.
                ignoreChanges: ["desiredCapacity", "targetGroupArns", "loadBalancers", "trafficSources"],
            });
            groups[plan.key] = group;

            for (const w of args.schedules ?? []) {
                const floor = plan.zone !== undefined ? splitAcrossZones(w.minSize, plans.length)[plans.indexOf(plan)] : w.minSize;
                const action = (edge: "start" | "end", recurrence: string, minSize: number): aws.autoscaling.Schedule =>
                    new aws.autoscaling.Schedule(`${name}-sched-${w.name}-${edge}${suffix}`, {
                        autoscalingGroupName: group.name,
                        scheduledActionName: `${w.name}-${edge}`,
                        recurrence,
                        timeZone: w.timezone,
                        minSize,
                        maxSize: SCHEDULE_UNCHANGED,
                        desiredCapacity: SCHEDULE_UNCHANGED,
                    }, child);
                action("start", w.start, floor);
                action("end", w.end, plan.minSize);
            }

            if (args.drainOnTermination ?? true) {
                new aws.autoscaling.LifecycleHook(`${name}-drain${suffix}`, {
                    autoscalingGroupName: group.name,
                    lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
                    heartbeatTimeout: DRAIN_HEARTBEAT_SECONDS,
                    defaultResult: "CONTINUE",
                }, child);
            }
        }
        this.autoScalingGroups = groups;
        this.autoScalingGroupNames = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, g.name]));
        this.autoScalingGroupArns = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, g.arn]));
        this.zones = plans.flatMap((p) => (p.zone !== undefined ? [p.zone] : []));

        this.registerOutputs({
            autoScalingGroupNames: this.autoScalingGroupNames,
            autoScalingGroupArns: this.autoScalingGroupArns,
            launchTemplateId: this.launchTemplate.id,
            imageId: this.imageId,
        });
    }
}
