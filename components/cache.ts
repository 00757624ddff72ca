/**
 * ElastiCache (Valkey, or Redis OSS) in one region: one replication group per purpose (seed 003 runs a
 * `cache`, a `queue` and a `sessions` instance, each with its own eviction policy), all encrypted at rest
 * with a customer KMS key and in transit (TLS required), each with its own random AUTH token.
 *
 * A purpose with more than one shard runs in cluster mode (`cluster-enabled yes`, `numNodeGroups` x
 * `replicasPerNodeGroup`, clients use the configuration endpoint); a single-shard purpose runs cluster mode
 * disabled (`cluster-enabled no`, one primary plus replicas, clients use the primary endpoint), which keeps
 * multi-key commands working for queue libraries such as BullMQ. Automatic failover and Multi-AZ are on
 * whenever a shard has a replica; Multi-AZ without replicas is refused.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DNS_LABEL, Problems, show } from "./validation";

export type CacheEngine = "valkey" | "redis";

export const MAXMEMORY_POLICIES = [
    "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl", "noeviction",
] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

export const DEFAULT_CACHE_ENGINE: CacheEngine = "valkey";
export const DEFAULT_ENGINE_VERSIONS: Readonly<Record<CacheEngine, string>> = { valkey: "8.0", redis: "7.1" };
export const DEFAULT_CACHE_NODE_TYPE = "cache.t4g.small";
export const DEFAULT_CACHE_PORT = 6379;
export const DEFAULT_SHARDS = 1;
export const DEFAULT_REPLICAS_PER_SHARD = 1;
export const DEFAULT_SNAPSHOT_WINDOW = "05:00-06:00";
export const DEFAULT_CACHE_MAINTENANCE_WINDOW = "sun:06:30-sun:07:30";
/** AUTH token length: ElastiCache takes 16-128 printable characters; alphanumerics avoid every rejected one. */
export const AUTH_TOKEN_LENGTH = 48;
/** ElastiCache limits. */
export const MAX_SHARDS = 500;
export const MAX_REPLICAS_PER_SHARD = 5;
export const MAX_NODES_PER_GROUP = 500;
/** Replication group ids are at most 40 characters; Pulumi's auto-naming appends 8. */
const REPLICATION_GROUP_ID_MAX = 40;
const AUTONAME_SUFFIX_LENGTH = 8;

/** Seed 003's policies per purpose, and whether the data is worth snapshots (days kept). */
export const PURPOSE_DEFAULTS: Readonly<Record<string, { maxmemoryPolicy: MaxmemoryPolicy; snapshotRetentionDays: number }>> = {
    cache: { maxmemoryPolicy: "allkeys-lru", snapshotRetentionDays: 0 },
    queue: { maxmemoryPolicy: "noeviction", snapshotRetentionDays: 7 },
    sessions: { maxmemoryPolicy: "volatile-lru", snapshotRetentionDays: 3 },
};
/** For purposes not in `PURPOSE_DEFAULTS`: evict only keys with a TTL, keep a day of snapshots. */
export const OTHER_PURPOSE_DEFAULTS = { maxmemoryPolicy: "volatile-lru" as MaxmemoryPolicy, snapshotRetentionDays: 1 };

export interface CachePurposeArgs {
    /** Shards (node groups), 1-500; more than one turns cluster mode on. @default 1 */
    readonly shards?: number;
    /** Replicas per shard, 0-5. @default 1 */
    readonly replicasPerShard?: number;
    /** ElastiCache node type, e.g. `cache.m7g.large`. @default "cache.t4g.small" */
    readonly nodeType?: string;
    /** @default cache: allkeys-lru, queue: noeviction, sessions: volatile-lru, others: volatile-lru */
    readonly maxmemoryPolicy?: MaxmemoryPolicy;
    /** Daily snapshots kept, 0-35. @default cache: 0, queue: 7, sessions: 3, others: 1 */
    readonly snapshotRetentionDays?: number;
    /** Multi-AZ placement with automatic failover; needs >= 1 replica per shard. @default replicasPerShard > 0 */
    readonly multiAz?: boolean;
    /** Extra parameters for the purpose's parameter group. @default {} */
    readonly parameters?: Readonly<Record<string, string>>;
}

export interface CacheArgs {
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets for the cache subnet group. */
    readonly subnetIds: pulumi.Input<string>[];
    /** Security groups allowed on the cache port, keyed by a stable name (e.g. `{ nodes: sg-... }`). */
    readonly allowedSecurityGroupIds: Readonly<Record<string, pulumi.Input<string>>>;
    /** Replication groups keyed by purpose (a DNS label), e.g. `{ cache: {...}, queue: {...}, sessions: {...} }`. */
    readonly purposes: Readonly<Record<string, CachePurposeArgs>>;
    /** @default "valkey" */
    readonly engine?: CacheEngine;
    /** @default "8.0" for valkey, "7.1" for redis */
    readonly engineVersion?: string;
    /** @default 6379 */
    readonly port?: number;
    /**
     * A final snapshot on deletion (purposes that keep snapshots) and Pulumi `protect` on the replication
     * groups. Turning it off must be asked for by name.
     * @default true
     */
    readonly protectData?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** A purpose's settings with every default applied. */
export interface ResolvedCachePurpose {
    readonly shards: number;
    readonly replicasPerShard: number;
    readonly nodeType: string;
    readonly maxmemoryPolicy: MaxmemoryPolicy;
    readonly snapshotRetentionDays: number;
    readonly multiAz: boolean;
    readonly clusterMode: boolean;
    readonly automaticFailover: boolean;
    readonly nodeCount: number;
    readonly parameters: Readonly<Record<string, string>>;
}

/** Applies the defaults to one purpose (pure). */
export function resolveCachePurpose(purpose: string, p: CachePurposeArgs): ResolvedCachePurpose {
    const defaults = PURPOSE_DEFAULTS[purpose] ?? OTHER_PURPOSE_DEFAULTS;
    const shards = p.shards ?? DEFAULT_SHARDS;
    const replicas = p.replicasPerShard ?? DEFAULT_REPLICAS_PER_SHARD;
    const clusterMode = shards > 1;
    const policy = p.maxmemoryPolicy ?? defaults.maxmemoryPolicy;
    return {
        shards,
        replicasPerShard: replicas,
        nodeType: p.nodeType ?? DEFAULT_CACHE_NODE_TYPE,
        maxmemoryPolicy: policy,
        snapshotRetentionDays: p.snapshotRetentionDays ?? defaults.snapshotRetentionDays,
        multiAz: p.multiAz ?? replicas > 0,
        clusterMode,
        // Cluster mode requires automatic failover; otherwise it needs a replica to fail over to.
        automaticFailover: clusterMode || replicas > 0,
        nodeCount: shards * (1 + replicas),
        parameters: { ...(p.parameters ?? {}), "maxmemory-policy": policy, "cluster-enabled": clusterMode ? "yes" : "no" },
    };
}

/** Parameter group family: valkey 8.0 -> `valkey8`, redis 7.1 -> `redis7`, redis 6.2 -> `redis6.x`. */
export function cacheParameterGroupFamily(engine: CacheEngine, version: string): string {
    const major = version.split(".")[0];
    return engine === "redis" && major === "6" ? "redis6.x" : `${engine}${major}`;
}

/** `rediss://:<token>@host:port` (TLS scheme; the token is URL-encoded). */
export function cacheUrl(token: string, host: string, port: number): string {
    return `rediss://:${encodeURIComponent(token)}@${host}:${port}`;
}

const NODE_TYPE = /^cache\.[a-z0-9]+\.[a-z0-9]+$/;

function isWhole(n: unknown): n is number {
    return typeof n === "number" && Number.isInteger(n);
}

/** Checks plain Cache args; returns every problem found (empty when valid). */
export function validateCacheArgs(name: string, args: CacheArgs): Problems {
    const p = new Problems();
    const engine = args.engine ?? DEFAULT_CACHE_ENGINE;
    if (p.check(engine === "valkey" || engine === "redis", "engine", `must be "valkey" or "redis", got ${show(engine)}`)) {
        const version = args.engineVersion ?? DEFAULT_ENGINE_VERSIONS[engine];
        const m = /^(\d+)\.(\d+)$/.exec(version);
        const minimum = engine === "valkey" ? 7 : 6;
        p.check(m !== null && Number(m[1]) >= minimum, "engineVersion", `must be a ${engine} version major.minor, ${minimum}.x or later (e.g. "${DEFAULT_ENGINE_VERSIONS[engine]}"), got ${show(version)}`);
    }
    const port = args.port ?? DEFAULT_CACHE_PORT;
    p.check(isWhole(port) && port >= 1024 && port <= 65535, "port", `must be 1024-65535, got ${show(port)}`);
    p.check(args.subnetIds.length >= 2, "subnetIds", `must list private subnets in at least two AZs, got ${args.subnetIds.length}`);
    p.check(Object.keys(args.allowedSecurityGroupIds).length >= 1, "allowedSecurityGroupIds", "must name at least one client security group (e.g. { nodes: <node SG id> }); nothing else may connect");
    const purposes = Object.entries(args.purposes);
    p.check(purposes.length >= 1, "purposes", "must name at least one purpose, e.g. { cache: {}, queue: {}, sessions: {} }");
    for (const [purpose, raw] of purposes) {
        const at = `purposes.${purpose}`;
        if (!p.check(DNS_LABEL.test(purpose), at, `purpose ${show(purpose)} must be a DNS label (lower-case letters, digits, '-')`)) {
            continue;
        }
        const groupName = `${name}-${purpose}`;
        p.check(groupName.length + AUTONAME_SUFFIX_LENGTH <= REPLICATION_GROUP_ID_MAX, at, `replication group ${show(groupName)} plus Pulumi's 8-character suffix exceeds ElastiCache's ${REPLICATION_GROUP_ID_MAX} characters; shorten the component name or the purpose`);
        const r = resolveCachePurpose(purpose, raw);
        const shardsOk = p.check(isWhole(r.shards) && r.shards >= 1 && r.shards <= MAX_SHARDS, `${at}.shards`, `must be a whole number from 1 to ${MAX_SHARDS}, got ${show(r.shards)}`);
        const replicasOk = p.check(isWhole(r.replicasPerShard) && r.replicasPerShard >= 0 && r.replicasPerShard <= MAX_REPLICAS_PER_SHARD, `${at}.replicasPerShard`, `must be a whole number from 0 to ${MAX_REPLICAS_PER_SHARD}, got ${show(r.replicasPerShard)}`);
        if (shardsOk && replicasOk) {
            p.check(r.nodeCount <= MAX_NODES_PER_GROUP, at, `${r.shards} shards x (1 + ${r.replicasPerShard} replicas) = ${r.nodeCount} nodes exceeds ElastiCache's ${MAX_NODES_PER_GROUP} per replication group`);
            p.check(!(r.multiAz && r.replicasPerShard === 0), `${at}.multiAz`, "Multi-AZ needs at least one replica per shard to fail over to, got replicasPerShard 0; set replicasPerShard >= 1 or multiAz false");
        }
        p.check(NODE_TYPE.test(r.nodeType), `${at}.nodeType`, `must be an ElastiCache node type such as "cache.m7g.large" (starting with "cache."), got ${show(r.nodeType)}`);
        p.check((MAXMEMORY_POLICIES as readonly string[]).includes(r.maxmemoryPolicy), `${at}.maxmemoryPolicy`, `must be one of ${MAXMEMORY_POLICIES.join(", ")}, got ${show(r.maxmemoryPolicy)}`);
        p.check(isWhole(r.snapshotRetentionDays) && r.snapshotRetentionDays >= 0 && r.snapshotRetentionDays <= 35, `${at}.snapshotRetentionDays`, `must be a whole number of days from 0 to 35, got ${show(r.snapshotRetentionDays)}`);
        for (const key of ["maxmemory-policy", "cluster-enabled"]) {
            p.check(!(raw.parameters && key in raw.parameters), `${at}.parameters.${key}`, `is derived (from maxmemoryPolicy / shards); set those instead`);
        }
    }
    return p;
}

/**
 * One region's ElastiCache replication groups, one per purpose, with a shared KMS key, subnet group and
 * security group (open on the port to `allowedSecurityGroupIds` only).
 *
 * Pass the region's `aws.Provider` in `opts.provider`; every child uses it.
 */
export class Cache extends pulumi.ComponentResource {
    public readonly groups: Readonly<Record<string, aws.elasticache.ReplicationGroup>>;
    /** Secret `rediss://:<token>@host:port` per purpose. */
    public readonly urls: Readonly<Record<string, pulumi.Output<string>>>;
    /** `host:port` per purpose (configuration endpoint in cluster mode, primary endpoint otherwise). */
    public readonly endpoints: Readonly<Record<string, pulumi.Output<string>>>;
    /** Secret AUTH token per purpose. */
    public readonly authTokens: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly replicationGroupIds: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** Each purpose's resolved settings. */
    public readonly purposes: Readonly<Record<string, ResolvedCachePurpose>>;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        validateCacheArgs(name, args).throwIfAny(`Cache "${name}"`);
        super("scaled-web:data:Cache", name, {}, opts);

        const engine = args.engine ?? DEFAULT_CACHE_ENGINE;
        const version = args.engineVersion ?? DEFAULT_ENGINE_VERSIONS[engine];
        const port = args.port ?? DEFAULT_CACHE_PORT;
        const protectData = args.protectData ?? true;
        const tags = { ...(args.tags ?? {}) };
        const here = { parent: this };

        const key = new aws.kms.Key(`${name}-kms`, {
            description: `${name}: ElastiCache data at rest`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags,
        }, here);
        new aws.kms.Alias(`${name}-kms`, { name: `alias/${name}`, targetKeyId: key.keyId }, here);
        const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
            description: `${name}: private subnets`,
            subnetIds: args.subnetIds,
            tags,
        }, here);
        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
            vpcId: args.vpcId,
            description: `${name}: ${engine} ${port} from the cluster nodes only`,
            tags: { ...tags, Name: `${name}-sg` },
        }, here);
        for (const [client, sgId] of Object.entries(args.allowedSecurityGroupIds)) {
            new aws.vpc.SecurityGroupIngressRule(`${name}-sg-from-${client}`, {
                securityGroupId: sg.id,
                referencedSecurityGroupId: sgId,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `${engine} from ${client}`,
            }, here);
        }

        const groups: Record<string, aws.elasticache.ReplicationGroup> = {};
        const urls: Record<string, pulumi.Output<string>> = {};
        const endpoints: Record<string, pulumi.Output<string>> = {};
        const tokens: Record<string, pulumi.Output<string>> = {};
        const resolved: Record<string, ResolvedCachePurpose> = {};
        for (const [purpose, raw] of Object.entries(args.purposes)) {
            const p = resolveCachePurpose(purpose, raw);
            resolved[purpose] = p;
            const token = new random.RandomPassword(`${name}-${purpose}-auth`, { length: AUTH_TOKEN_LENGTH, special: false }, here);
            const params = new aws.elasticache.ParameterGroup(`${name}-${purpose}`, {
                family: cacheParameterGroupFamily(engine, version),
                description: `${name}: ${purpose} (${p.maxmemoryPolicy}, cluster mode ${p.clusterMode ? "on" : "off"})`,
                parameters: Object.entries(p.parameters).map(([n, value]) => ({ name: n, value })),
                tags,
            }, here);
            const group = new aws.elasticache.ReplicationGroup(`${name}-${purpose}`, {
                description: `${name}: ${purpose}`,
                engine,
                engineVersion: version,
                nodeType: p.nodeType,
                port,
                parameterGroupName: params.name,
                subnetGroupName: subnetGroup.name,
                securityGroupIds: [sg.id],
                ...(p.clusterMode
                    ? { clusterMode: "enabled", numNodeGroups: p.shards, replicasPerNodeGroup: p.replicasPerShard }
                    : { clusterMode: "disabled", numCacheClusters: 1 + p.replicasPerShard }),
                automaticFailoverEnabled: p.automaticFailover,
                multiAzEnabled: p.multiAz,
                atRestEncryptionEnabled: true,
                kmsKeyId: key.arn,
                transitEncryptionEnabled: true,
                transitEncryptionMode: "required",
                authToken: token.result,
                snapshotRetentionLimit: p.snapshotRetentionDays,
                snapshotWindow: p.snapshotRetentionDays > 0 ? DEFAULT_SNAPSHOT_WINDOW : undefined,
                finalSnapshotIdentifier: protectData && p.snapshotRetentionDays > 0 ? `${name}-${purpose}-final` : undefined,
                maintenanceWindow: DEFAULT_CACHE_MAINTENANCE_WINDOW,
                autoMinorVersionUpgrade: true,
                tags,
            }, { ...here, protect: protectData });
            const host = p.clusterMode ? group.configurationEndpointAddress : group.primaryEndpointAddress;
            groups[purpose] = group;
            tokens[purpose] = pulumi.secret(token.result);
            endpoints[purpose] = pulumi.interpolate`${host}:${port}`;
            urls[purpose] = pulumi.secret(pulumi.all([token.result, host]).apply(([t, h]) => cacheUrl(t, h, port)));
        }
        this.groups = groups;
        this.urls = urls;
        this.endpoints = endpoints;
        this.authTokens = tokens;
        this.replicationGroupIds = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, g.id]));
        this.securityGroupId = sg.id;
        this.kmsKeyArn = key.arn;
        this.purposes = resolved;

        this.registerOutputs({
            endpoints: this.endpoints,
            replicationGroupIds: this.replicationGroupIds,
            securityGroupId: this.securityGroupId,
            kmsKeyArn: this.kmsKeyArn,
        });
    }
}
