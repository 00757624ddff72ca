/**
 * The stack's configuration: one schema for everything in `Pulumi.<stack>.yaml`, read once and
 * validated before any resource is created. A bad file fails with a single `ConfigError` listing
 * every problem as `key.path: what is wrong (got <value>); <what is allowed>`.
 *
 * Keys live in the project's namespace (`scaled-web:<key>`). Every structured key is optional except
 * `environment`, `domain` and `regions`; what is not given comes from the tier preset
 * (`platform/tiers.ts`) or the defaults below.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CLOUDWATCH_RETENTION_DAYS, DNS_LABEL, DNS_NAME, EC2_INSTANCE_TYPE, IMAGE_REFERENCE, cpuMillicores, memoryBytes, show } from "../components/validation";
import { Thresholds, resolveThresholds, thresholdProblems } from "../components/observability";
import { parseCidr } from "../components/network";
import { cidrsOverlap } from "../components/region-peering";
import { SECURITY_GROUP_ID } from "../components/cluster";
import { RUNNER_COMPUTE_TYPES, validateDeployRunnerArgs } from "../components/deploy-runner";
import { ContainerResources, NodePoolSizing, ServiceSizing, TIERS, TIER_PRESETS, Tier } from "./tiers";

export const PROJECT_NAME = "scaled-web";

/** Commercial AWS regions the program accepts. */
export const AWS_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ca-central-1", "ca-west-1", "sa-east-1", "mx-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
    "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-east-1",
    "me-south-1", "me-central-1", "il-central-1", "af-south-1",
] as const;

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

// ---------------------------------------------------------------------------------------------
// Defaults (named once, applied once).
// ---------------------------------------------------------------------------------------------

export const DEFAULT_TIER: Tier = "small";
export const DEFAULT_AZ_COUNT = 3;
export const DEFAULT_KUBERNETES_VERSION = "1.33";
export const DEFAULT_API_PORT = 3000;
export const DEFAULT_WS_PORT = 3001;
export const DEFAULT_API_NODE_PORT = 30080;
export const DEFAULT_WS_NODE_PORT = 30081;
export const DEFAULT_API_IMAGE = "public.ecr.aws/nginx/nginx:1.27";
export const DEFAULT_WS_IMAGE = "public.ecr.aws/nginx/nginx:1.27";
export const DEFAULT_WORKER_IMAGE = "public.ecr.aws/nginx/nginx:1.27";

/** Seed 003 worker queues: replicas min..max, scale at this many waiting jobs, per-pod concurrency. */
export const DEFAULT_QUEUES: Readonly<Record<string, QueueConfig>> = {
    "sla-checks": { minReplicas: 2, maxReplicas: 5, threshold: 100, concurrency: 10 },
    notifications: { minReplicas: 2, maxReplicas: 8, threshold: 500, concurrency: 20 },
    analytics: { minReplicas: 1, maxReplicas: 3, threshold: 2000, concurrency: 5 },
};

// ---------------------------------------------------------------------------------------------
// Schema of the raw values.
// ---------------------------------------------------------------------------------------------

const cpuQuantity = z.string().refine((s) => cpuMillicores(s) !== undefined && cpuMillicores(s)! > 0, {
    message: "must be a Kubernetes CPU quantity such as \"250m\" or \"2\"",
});
const memoryQuantity = z.string().refine((s) => memoryBytes(s) !== undefined && memoryBytes(s)! > 0, {
    message: "must be a Kubernetes memory quantity such as \"128Mi\" or \"2Gi\"",
});
const resourceSpec = z.object({ cpu: cpuQuantity, memory: memoryQuantity }).strict();
const resourcesSchema = z.object({ requests: resourceSpec.optional(), limits: resourceSpec.optional() }).strict();
const count = z.number().int("must be a whole number").min(0, "must be >= 0");
const positive = z.number().int("must be a whole number").min(1, "must be >= 1");
const port = z.number().int().min(1).max(65535);
const nodePort = z.number().int().min(30000, "must be in the NodePort range 30000-32767").max(32767, "must be in the NodePort range 30000-32767");
const image = z.string().regex(IMAGE_REFERENCE, "must be a container image reference such as \"registry/repo:tag\"");
const cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, "must be an IPv4 CIDR such as \"10.0.0.0/16\"");

const serviceSchema = z.object({
    /** Image reference; overridden by the image supply when it builds the service. */
    image: image.optional(),
    containerPort: port.optional(),
    nodePort: nodePort.optional(),
    minReplicas: positive.optional(),
    maxReplicas: positive.optional(),
    resources: resourcesSchema.optional(),
    /** Extra environment variables (non-secret). */
    env: z.record(z.string()).optional(),
}).strict();

const regionSchema = z.object({
    role: z.enum(["primary", "secondary"], { message: "must be \"primary\" or \"secondary\"" }),
    /** Share of DNS traffic, 0-100; all regions together sum to 100. 0 drains a region. */
    weight: z.number().int("must be a whole number").min(0, "must be 0-100").max(100, "must be 0-100"),
    /** VPC CIDR, /16 to /20. */
    cidr: cidr.optional(),
    /** Number of availability zones, 2-6. */
    azCount: z.number().int().min(2, "must be 2-6").max(6, "must be 2-6").optional(),
    /** Explicit AZ names; default `<region>a`, `<region>b`, ... */
    availabilityZones: z.array(z.string()).optional(),
    /** Per-region replica floors, overriding `api.minReplicas` / `ws.minReplicas` there. */
    replicas: z.object({ api: positive.optional(), ws: positive.optional() }).strict().optional(),
}).strict();

const nodePoolSchema = z.object({
    capacityType: z.enum(["on-demand", "spot"]).optional(),
    instanceTypes: z.array(z.string().regex(EC2_INSTANCE_TYPE, "must be an EC2 instance type such as \"m7i.large\"")).min(1).optional(),
    minSize: count.optional(),
    maxSize: positive.optional(),
    desiredSize: count.optional(),
    diskSizeGiB: z.number().int().min(20, "must be >= 20").max(16384).optional(),
    /** Base of on-demand instances under a spot pool (default 0). */
    onDemandBase: count.optional(),
}).strict();

const queueSchema = z.object({
    minReplicas: count,
    maxReplicas: positive,
    /** Waiting jobs per replica at which KEDA adds a replica. */
    threshold: positive,
    concurrency: positive,
}).strict();

const cachePurposeSchema = z.object({
    shards: z.number().int().min(1, "must be 1-500").max(500, "must be 1-500").optional(),
    replicasPerShard: z.number().int().min(0, "must be 0-5").max(5, "must be 0-5").optional(),
    nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be an ElastiCache node type such as \"cache.m7g.large\"").optional(),
    maxmemoryPolicy: z.enum(["allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "noeviction", "volatile-ttl"]).optional(),
    snapshotRetentionDays: z.number().int().min(0).max(35).optional(),
}).strict();

/** One side may be given alone; the other keeps its seed default (checked by `thresholdProblems`). */
const thresholdPair = z.object({ warning: z.number().optional(), critical: z.number().optional() }).strict();

export const rawConfigSchema = z.object({
    environment: z.enum(ENVIRONMENTS, { message: `must be one of ${ENVIRONMENTS.join(", ")}` }),
    tier: z.enum(TIERS, { message: `must be one of ${TIERS.join(", ")}` }).default(DEFAULT_TIER),
    /** Apex of the stack's public names: `api.<domain>`, `ws.<domain>`. */
    domain: z.string().regex(DNS_NAME, "must be a lower-case DNS name such as \"dev.example.com\""),
    /** Route53 public hosted zone holding `domain`. Looked up by name when absent. */
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route53 zone id such as \"Z0123456789ABCDEFGHIJ\"").optional(),
    regions: z.record(z.string(), regionSchema),
    tags: z.record(z.string()).default({}),
    /**
     * Deletion protection, final snapshots and `protect` on stateful resources.
     * @default true in prod, false elsewhere
     */
    protectData: z.boolean().optional(),
    network: z.object({
        /** "perAz": one NAT gateway per AZ (HA); "single": one shared (cheap). @default perAz in prod, single elsewhere */
        natGateways: z.enum(["single", "perAz"]).optional(),
        flowLogs: z.boolean().default(true),
        flowLogRetentionDays: z.number().refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), { message: `must be one of the periods CloudWatch Logs accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")})` }).default(30),
    }).strict().default({}),
    cluster: z.object({
        kubernetesVersion: z.string().regex(/^1\.\d{2}$/, "must be a Kubernetes minor version such as \"1.33\"").default(DEFAULT_KUBERNETES_VERSION),
        /** Public API endpoint; off by default (private endpoint only). */
        publicEndpoint: z.boolean().default(false),
        /** CIDRs allowed to reach the public endpoint; required (non-empty) when `publicEndpoint` is on. */
        publicAccessCidrs: z.array(cidr).default([]),
        /** Opt-in to list `0.0.0.0/0` in `publicAccessCidrs` (the API server open to the internet). */
        allowPublicAccessFromAnywhere: z.boolean().default(false),
        /**
         * Named CIDRs admitted on 443 to every region's private API endpoint (a VPN, a bastion subnet), e.g.
         * `{ vpn: "10.99.0.0/16" }`. The deploy runner is admitted without being listed here.
         */
        privateAccessCidrs: z.record(z.string(), cidr).default({}),
        /**
         * Per region, named security groups of that region admitted on 443 to its private API endpoint, e.g.
         * `{ us-east-1: { bastion: sg-0123456789abcdef0 } }`.
         */
        privateAccessSecurityGroups: z.record(z.string(), z.record(z.string(),
            z.string().regex(SECURITY_GROUP_ID, "must be a security group id such as \"sg-0123456789abcdef0\""))).default({}),
    }).strict().default({}),
    /**
     * The in-VPC GitHub Actions runner (AWS CodeBuild) that runs `pulumi up`/`preview` where the private cluster
     * APIs are reachable. See README "Deploying for real".
     */
    deployRunner: z.object({
        enabled: z.boolean().default(false),
        /** GitHub repository, `owner/name`. */
        repository: z.string().optional(),
        /** ARN of the CodeConnections GitHub connection (created and authorized in the console first). */
        connectionArn: z.string().optional(),
        /** Numeric GitHub account IDs whose jobs may start the runner. */
        allowedActorIds: z.array(z.number()).default([]),
        /** IAM role the deploy jobs assume through GitHub OIDC; gets cluster-admin access entries in every region. */
        deployRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN such as \"arn:aws:iam::123456789012:role/scaled-web-deploy\"").optional(),
        /** IAM role the pull-request preview assumes through GitHub OIDC; gets read-only access entries. */
        previewRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN such as \"arn:aws:iam::123456789012:role/scaled-web-preview\"").optional(),
        /** CodeBuild project name. @default "<project>-<stack>-deploy-runner" */
        projectName: z.string().optional(),
        computeType: z.enum(RUNNER_COMPUTE_TYPES, { message: `must be one of ${RUNNER_COMPUTE_TYPES.join(", ")}` }).optional(),
        image: z.string().min(1).optional(),
        buildTimeoutMinutes: z.number().optional(),
        /** Privileged build container (a Docker daemon for image builds on the runner). */
        privilegedMode: z.boolean().default(false),
    }).strict().default({}),
    /** Node pools keyed by name; entries override the tier's `general` / `workers` pools or add new ones. */
    nodePools: z.record(z.string(), nodePoolSchema).default({}),
    api: serviceSchema.default({}),
    ws: serviceSchema.default({}),
    workers: z.object({
        image: image.optional(),
        resources: resourcesSchema.optional(),
        /** Queues keyed by name; replaces the seed 003 defaults when given. */
        queues: z.record(z.string(), queueSchema).optional(),
        /**
         * Seconds a worker gets to finish after SIGTERM, 30-120: spot capacity is reclaimed 2 minutes after
         * the interruption notice, when the node termination handler starts draining the node.
         */
        terminationGracePeriodSeconds: z.number().int().min(30, "must be >= 30 (spot interruption drains need time)")
            .max(120, "must be <= 120 (spot capacity is reclaimed 2 minutes after the interruption notice)").default(90),
    }).strict().default({}),
    edge: z.object({
        apiHostname: z.string().regex(DNS_LABEL, "must be a DNS label such as \"api\"").default("api"),
        wsHostname: z.string().regex(DNS_LABEL, "must be a DNS label such as \"ws\"").default("ws"),
        /** ALB idle timeout in seconds (ALB caps it at 4000; seed 004 asks 86400 for WebSockets). */
        idleTimeoutSeconds: z.number().int().min(1, "must be 1-4000 (the ALB maximum)").max(4000, "must be 1-4000 (the ALB maximum)").default(4000),
        wsPaths: z.array(z.string().regex(/^\/[\w\-./*]*$/, "must be a path pattern such as \"/ws/*\"")).min(1).default(["/socket.io/*", "/ws/*"]),
        /** Seed 004: 10 requests/s per client IP. */
        rateLimitPerSecond: positive.default(10),
        healthCheckPath: z.string().startsWith("/").default("/health"),
        /** Route53 health check interval: 10 or 30 seconds. */
        healthCheckIntervalSeconds: z.number().refine((v) => v === 10 || v === 30, { message: "must be 10 or 30" }).default(10),
    }).strict().default({}),
    database: z.object({
        engineVersion: z.string().regex(/^\d{2}(\.\d+)?$/, "must be a PostgreSQL major (\"17\") or major.minor").default("17"),
        instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class such as \"db.m7g.large\"").optional(),
        memoryGiB: z.number().positive().optional(),
        allocatedStorageGiB: z.number().int().min(20).optional(),
        maxAllocatedStorageGiB: z.number().int().min(20).optional(),
        readReplicas: count.optional(),
        /** Cross-region read replicas: one per listed secondary region. @default every secondary region */
        crossRegionReplicas: z.array(z.string()).optional(),
        multiAz: z.boolean().optional(),
        backupRetentionDays: z.number().int().min(0, "must be 0-35").max(35, "must be 0-35").optional(),
        maxConnections: z.number().int().min(20).max(5000).optional(),
        iamAuthentication: z.boolean().default(true),
        pooling: z.object({
            /** Percentage of max_connections the proxy may hold open. */
            maxConnectionsPercent: z.number().int().min(1).max(100).default(90),
        }).strict().default({}),
    }).strict().default({}),
    cache: z.object({
        engine: z.enum(["valkey", "redis"]).default("valkey"),
        engineVersion: z.string().optional(),
        /** Replication groups keyed by purpose (seed 003: cache, queue, sessions). */
        purposes: z.record(z.string(), cachePurposeSchema).optional(),
    }).strict().default({}),
    alerts: z.object({
        emails: z.array(z.string().email("must be an e-mail address")).default([]),
        httpsEndpoints: z.array(z.string().url().startsWith("https://", "must be an https:// URL")).default([]),
        /**
         * Overrides of the seed warning/critical pairs keyed by `THRESHOLD_KEYS` (components/observability.ts):
         * cpu, memory, p95Ms, errorRatePercent, queueDepth, poolPercent, storagePercent, replicaLagSeconds.
         */
        thresholds: z.record(z.string(), thresholdPair).default({}),
    }).strict().default({}),
    images: z.object({
        /**
         * Build a service image from a local context with @pulumi/docker, keyed by service: `context` is a
         * directory relative to the project root, `dockerfile` is relative to the context (default
         * "Dockerfile"), `platform` defaults to the architecture of the node pool that runs the service,
         * `tag` to a hash of the context.
         */
        build: z.record(z.string(), z.object({
            context: z.string().min(1, "must be a directory relative to the project root"),
            dockerfile: z.string().optional(),
            platform: z.enum(["linux/amd64", "linux/arm64"], { message: "must be \"linux/amd64\" or \"linux/arm64\"" }).optional(),
            tag: z.string().optional(),
        }).strict()).default({}),
        /** Services with an ECR repository. @default ["api", "ws", "worker"] */
        services: z.array(z.string()).min(1, "must name at least one service").optional(),
        /** ECR namespace of the repositories. @default "<project>/<stack>" */
        repositoryPrefix: z.string().optional(),
        keepTaggedImages: positive.default(30),
        expireUntaggedAfterDays: positive.default(7),
    }).strict().default({}),
}).strict();

export type RawConfig = z.input<typeof rawConfigSchema>;
type ParsedRaw = z.output<typeof rawConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Resolved configuration: what the program and components consume.
// ---------------------------------------------------------------------------------------------

export interface QueueConfig {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly threshold: number;
    readonly concurrency: number;
}

export interface RegionConfig {
    readonly name: string;
    readonly role: "primary" | "secondary";
    readonly weight: number;
    readonly cidr: string;
    readonly availabilityZones: readonly string[];
    readonly apiMinReplicas: number;
    readonly wsMinReplicas: number;
}

export interface ResolvedService extends ServiceSizing {
    readonly image: string;
    readonly containerPort: number;
    readonly nodePort: number;
    readonly env: Readonly<Record<string, string>>;
}

export interface NodePoolConfig extends NodePoolSizing {
    readonly onDemandBase: number;
}

export interface PlatformConfig {
    readonly project: string;
    readonly stack: string;
    readonly environment: Environment;
    readonly tier: Tier;
    readonly domain: string;
    readonly hostedZoneId?: string;
    /** Regions in declaration order, primary first. */
    readonly regions: readonly RegionConfig[];
    readonly primaryRegion: RegionConfig;
    readonly tags: Readonly<Record<string, string>>;
    readonly protectData: boolean;
    readonly network: { readonly natGateways: "single" | "perAz"; readonly flowLogs: boolean; readonly flowLogRetentionDays: number };
    readonly cluster: ParsedRaw["cluster"];
    /** The in-VPC runner; `projectName` resolved. */
    readonly deployRunner: ParsedRaw["deployRunner"] & { readonly projectName: string };
    readonly nodePools: Readonly<Record<string, NodePoolConfig>>;
    readonly api: ResolvedService;
    readonly ws: ResolvedService;
    readonly workers: {
        readonly image: string;
        readonly resources: ContainerResources;
        readonly queues: Readonly<Record<string, QueueConfig>>;
        readonly terminationGracePeriodSeconds: number;
    };
    readonly edge: ParsedRaw["edge"];
    readonly database: Omit<ParsedRaw["database"], "crossRegionReplicas"> & {
        readonly instanceClass: string;
        readonly memoryGiB: number;
        readonly allocatedStorageGiB: number;
        readonly maxAllocatedStorageGiB: number;
        readonly readReplicas: number;
        readonly crossRegionReplicas: readonly string[];
        readonly multiAz: boolean;
        readonly backupRetentionDays: number;
        readonly maxConnections: number;
    };
    readonly cache: {
        readonly engine: "valkey" | "redis";
        readonly engineVersion: string;
        readonly purposes: Readonly<Record<string, CachePurposeConfig>>;
    };
    /** Alert subscriptions and the resolved thresholds (seed defaults with the stack's overrides). */
    readonly alerts: Omit<ParsedRaw["alerts"], "thresholds"> & { readonly thresholds: Thresholds };
    readonly images: ParsedRaw["images"];
}

export interface CachePurposeConfig {
    readonly shards: number;
    readonly replicasPerShard: number;
    readonly nodeType: string;
    readonly maxmemoryPolicy: string;
    readonly snapshotRetentionDays: number;
}

export interface ConfigIssue {
    /** Key path, e.g. `regions.us-east-1.weight`. */
    readonly path: string;
    readonly message: string;
}

/**
 * A stack configuration that cannot be used. Extends `pulumi.RunError`, so the Pulumi CLI prints the
 * message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly stack: string, public readonly issues: readonly ConfigIssue[]) {
        super(
            `Stack "${stack}" has an invalid configuration (Pulumi.${stack}.yaml), ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n` +
            issues.map((i) => `  - ${PROJECT_NAME}:${i.path}: ${i.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
    let cur: unknown = raw;
    for (const key of path) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<string | number, unknown>)[key];
    }
    return cur;
}

function zodIssues(raw: unknown, error: z.ZodError): ConfigIssue[] {
    return error.issues.map((issue) => {
        const path = issue.path.join(".");
        if (issue.code === "unrecognized_keys") {
            return { path: path || "(root)", message: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; check the spelling against the README's config reference` };
        }
        const got = valueAt(raw, issue.path);
        const message = got === undefined && issue.code === "invalid_type" ? "is required" : `${issue.message} (got ${show(got)})`;
        return { path, message };
    });
}

function mergeResources(base: ContainerResources, over?: { requests?: { cpu: string; memory: string }; limits?: { cpu: string; memory: string } }): ContainerResources {
    return { requests: over?.requests ?? base.requests, limits: over?.limits ?? base.limits };
}

function resourceIssues(path: string, r: ContainerResources): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    if (cpuMillicores(r.requests.cpu)! > cpuMillicores(r.limits.cpu)!) {
        out.push({ path: `${path}.requests.cpu`, message: `request ${r.requests.cpu} is above the limit ${r.limits.cpu}; requests must be <= limits` });
    }
    if (memoryBytes(r.requests.memory)! > memoryBytes(r.limits.memory)!) {
        out.push({ path: `${path}.requests.memory`, message: `request ${r.requests.memory} is above the limit ${r.limits.memory}; requests must be <= limits` });
    }
    return out;
}

function cidrPrefix(c: string): number {
    return Number(c.split("/")[1]);
}

/** Default VPC CIDR of the n-th region: 10.<10*(n+1)>.0.0/16, so regions never overlap. */
export function defaultRegionCidr(index: number): string {
    return `10.${10 * (index + 1)}.0.0/16`;
}

export function defaultAvailabilityZones(region: string, azCount: number): string[] {
    return "abcdef".slice(0, azCount).split("").map((l) => `${region}${l}`);
}

/** privateAccess keys the program uses for the deploy runner's own rules. */
const RESERVED_ACCESS_KEY = /^(deploy-runner|runner-.*)$/;

const DEFAULT_CACHE_PURPOSES: Readonly<Record<string, { maxmemoryPolicy: string; snapshotRetentionDays: number }>> = {
    cache: { maxmemoryPolicy: "allkeys-lru", snapshotRetentionDays: 0 },
    queue: { maxmemoryPolicy: "noeviction", snapshotRetentionDays: 7 },
    sessions: { maxmemoryPolicy: "volatile-lru", snapshotRetentionDays: 3 },
};

/**
 * Validates raw config values (as read from `Pulumi.<stack>.yaml`) and resolves them against the tier
 * preset. Pure: throws `ConfigError` listing every problem, or returns the resolved config.
 */
export function parseConfig(raw: unknown, stack: string, project: string = PROJECT_NAME): PlatformConfig {
    const parsed = rawConfigSchema.safeParse(raw);
    if (!parsed.success) {
        throw new ConfigError(stack, zodIssues(raw, parsed.error));
    }
    const c = parsed.data;
    const issues: ConfigIssue[] = [];
    const preset = TIER_PRESETS[c.tier];
    const prod = c.environment === "prod";

    // Regions.
    const regionNames = Object.keys(c.regions);
    if (regionNames.length === 0) {
        issues.push({ path: "regions", message: "must name at least one region, e.g. { us-east-1: { role: primary, weight: 100 } }" });
    }
    for (const name of regionNames) {
        if (!(AWS_REGIONS as readonly string[]).includes(name)) {
            issues.push({ path: `regions.${name}`, message: `"${name}" is not an AWS region this program knows; use one of ${AWS_REGIONS.join(", ")}` });
        }
    }
    const primaries = regionNames.filter((n) => c.regions[n].role === "primary");
    if (regionNames.length > 0 && primaries.length !== 1) {
        issues.push({
            path: "regions",
            message: `exactly one region must have role "primary", got ${primaries.length}${primaries.length ? ` (${primaries.join(", ")})` : ""}`,
        });
    }
    const weightSum = regionNames.reduce((s, n) => s + c.regions[n].weight, 0);
    if (regionNames.length > 0 && weightSum !== 100) {
        issues.push({
            path: "regions.*.weight",
            message: `weights must sum to 100, got ${weightSum} (${regionNames.map((n) => `${n}=${c.regions[n].weight}`).join(", ")})`,
        });
    }
    const ordered = [...primaries, ...regionNames.filter((n) => c.regions[n].role !== "primary")];
    const cidrs = new Map<string, string>();
    const regions: RegionConfig[] = ordered.map((name, index) => {
        const r = c.regions[name];
        const cidrValue = r.cidr ?? defaultRegionCidr(index);
        const prefix = cidrPrefix(cidrValue);
        if (!parseCidr(cidrValue)) {
            issues.push({ path: `regions.${name}.cidr`, message: `must be an aligned network address (no host bits set), got ${show(cidrValue)}` });
        } else if (prefix < 16 || prefix > 20) {
            issues.push({ path: `regions.${name}.cidr`, message: `VPC CIDR must be /16 to /20, got ${show(cidrValue)}` });
        } else {
            for (const [other, owner] of cidrs) {
                if (cidrsOverlap(cidrValue, other)) {
                    issues.push({ path: `regions.${name}.cidr`, message: `${cidrValue} overlaps ${other} of ${owner}; peered regions need non-overlapping CIDRs` });
                }
            }
            cidrs.set(cidrValue, name);
        }
        const azs = r.availabilityZones ?? defaultAvailabilityZones(name, r.azCount ?? DEFAULT_AZ_COUNT);
        if (r.availabilityZones) {
            if (azs.length < 2 || azs.length > 6) {
                issues.push({ path: `regions.${name}.availabilityZones`, message: `must list 2-6 zones, got ${azs.length}` });
            }
            if (r.azCount !== undefined && r.azCount !== azs.length) {
                issues.push({ path: `regions.${name}.azCount`, message: `is ${r.azCount} but availabilityZones lists ${azs.length}; give one or make them agree` });
            }
            azs.forEach((az, i) => {
                if (!new RegExp(`^${name}[a-z]$`).test(az)) {
                    issues.push({ path: `regions.${name}.availabilityZones.${i}`, message: `"${az}" is not a zone of ${name}; use names like ${name}a` });
                }
            });
        }
        return {
            name,
            role: r.role,
            weight: r.weight,
            cidr: cidrValue,
            availabilityZones: azs,
            apiMinReplicas: r.replicas?.api ?? c.api.minReplicas ?? preset.api.minReplicas,
            wsMinReplicas: r.replicas?.ws ?? c.ws.minReplicas ?? preset.ws.minReplicas,
        };
    });

    // Services.
    const service = (key: "api" | "ws", image: string, containerPort: number, nodePortDefault: number): ResolvedService => {
        const s = c[key];
        const base = preset[key];
        const resolved: ResolvedService = {
            image: s.image ?? image,
            containerPort: s.containerPort ?? containerPort,
            nodePort: s.nodePort ?? nodePortDefault,
            minReplicas: s.minReplicas ?? base.minReplicas,
            maxReplicas: s.maxReplicas ?? base.maxReplicas,
            resources: mergeResources(base.resources, s.resources),
            env: s.env ?? {},
        };
        const floors = [resolved.minReplicas, ...regions.map((r) => (key === "api" ? r.apiMinReplicas : r.wsMinReplicas))];
        const highest = Math.max(...floors);
        if (highest > resolved.maxReplicas) {
            issues.push({
                path: `${key}.maxReplicas`,
                message: `min replicas (${highest}) must be <= maxReplicas (${resolved.maxReplicas}); raise ${key}.maxReplicas or lower the replica floor`,
            });
        }
        issues.push(...resourceIssues(`${key}.resources`, resolved.resources));
        return resolved;
    };
    const api = service("api", DEFAULT_API_IMAGE, DEFAULT_API_PORT, DEFAULT_API_NODE_PORT);
    const ws = service("ws", DEFAULT_WS_IMAGE, DEFAULT_WS_PORT, DEFAULT_WS_NODE_PORT);
    if (api.nodePort === ws.nodePort) {
        issues.push({ path: "ws.nodePort", message: `must differ from api.nodePort (both ${api.nodePort})` });
    }

    // Workers.
    const queues = c.workers.queues ?? DEFAULT_QUEUES;
    for (const [q, v] of Object.entries(queues)) {
        if (!DNS_LABEL.test(q)) {
            issues.push({ path: `workers.queues.${q}`, message: `queue name "${q}" must be a DNS label (lower-case letters, digits, '-')` });
        }
        if (v.minReplicas > v.maxReplicas) {
            issues.push({ path: `workers.queues.${q}.minReplicas`, message: `must be <= maxReplicas (${v.maxReplicas}), got ${v.minReplicas}` });
        }
    }
    const workerResources = mergeResources(preset.workerResources, c.workers.resources);
    issues.push(...resourceIssues("workers.resources", workerResources));

    // Node pools: tier pools overridden or extended by name.
    const nodePools: Record<string, NodePoolConfig> = {};
    for (const name of new Set([...Object.keys(preset.nodePools), ...Object.keys(c.nodePools)])) {
        const base = preset.nodePools[name];
        const over = c.nodePools[name] ?? {};
        if (!DNS_LABEL.test(name)) {
            issues.push({ path: `nodePools.${name}`, message: `pool name "${name}" must be a DNS label (lower-case letters, digits, '-')` });
        }
        if (!base && (!over.instanceTypes || over.maxSize === undefined)) {
            issues.push({ path: `nodePools.${name}`, message: "a pool not in the tier preset needs at least instanceTypes and maxSize" });
            continue;
        }
        const pool: NodePoolConfig = {
            capacityType: over.capacityType ?? base?.capacityType ?? "on-demand",
            instanceTypes: over.instanceTypes ?? base!.instanceTypes,
            minSize: over.minSize ?? base?.minSize ?? 0,
            maxSize: over.maxSize ?? base!.maxSize,
            desiredSize: over.desiredSize ?? base?.desiredSize ?? over.minSize ?? 0,
            diskSizeGiB: over.diskSizeGiB ?? base?.diskSizeGiB ?? 50,
            onDemandBase: over.onDemandBase ?? 0,
        };
        if (pool.minSize > pool.maxSize) {
            issues.push({ path: `nodePools.${name}.minSize`, message: `must be <= maxSize (${pool.maxSize}), got ${pool.minSize}` });
        }
        if (pool.desiredSize < pool.minSize || pool.desiredSize > pool.maxSize) {
            issues.push({ path: `nodePools.${name}.desiredSize`, message: `must be within [minSize, maxSize] = [${pool.minSize}, ${pool.maxSize}], got ${pool.desiredSize}` });
        }
        if (pool.capacityType === "on-demand" && pool.minSize < 2) {
            issues.push({ path: `nodePools.${name}.minSize`, message: `an on-demand pool keeps >= 2 nodes so api/ws survive the loss of a node or AZ, got ${pool.minSize}` });
        }
        if (pool.capacityType === "spot" && pool.instanceTypes.length < 3) {
            issues.push({ path: `nodePools.${name}.instanceTypes`, message: `a spot pool needs >= 3 instance types of similar size to ride out capacity shortages, got ${pool.instanceTypes.length} (${pool.instanceTypes.join(", ")})` });
        }
        nodePools[name] = pool;
    }

    // Cluster endpoint: private by default; a public endpoint needs an explicit allow-list.
    const endpoint = c.cluster;
    if (endpoint.publicEndpoint && endpoint.publicAccessCidrs.length === 0) {
        issues.push({ path: "cluster.publicAccessCidrs", message: "must list the CIDRs allowed to reach the public API endpoint (EKS would open it to 0.0.0.0/0), got []" });
    }
    if (endpoint.publicEndpoint && endpoint.publicAccessCidrs.includes("0.0.0.0/0") && !endpoint.allowPublicAccessFromAnywhere) {
        issues.push({ path: "cluster.publicAccessCidrs", message: "contains 0.0.0.0/0; list your own CIDRs, or set cluster.allowPublicAccessFromAnywhere: true to accept an internet-facing API server" });
    }
    if (!endpoint.publicEndpoint && endpoint.publicAccessCidrs.length > 0) {
        issues.push({ path: "cluster.publicAccessCidrs", message: `is set (${endpoint.publicAccessCidrs.join(", ")}) but cluster.publicEndpoint is false; set publicEndpoint: true or drop the CIDRs` });
    }

    // Private API access: named CIDRs everywhere, named security groups per region (keys name ingress rules).
    for (const [key, value] of Object.entries(endpoint.privateAccessCidrs)) {
        if (!DNS_LABEL.test(key) || RESERVED_ACCESS_KEY.test(key)) {
            issues.push({ path: `cluster.privateAccessCidrs.${key}`, message: `key must be a DNS label other than "deploy-runner" / "runner-*" (those name the runner's own rules), got "${key}"` });
        }
        const parsed = parseCidr(value);
        if (!parsed || parsed.prefix === 0) {
            issues.push({ path: `cluster.privateAccessCidrs.${key}`, message: `must be an aligned IPv4 CIDR narrower than 0.0.0.0/0, such as "10.99.0.0/16", got ${show(value)}` });
        }
    }
    for (const [region, groups] of Object.entries(endpoint.privateAccessSecurityGroups)) {
        if (!regionNames.includes(region)) {
            issues.push({ path: `cluster.privateAccessSecurityGroups.${region}`, message: `"${region}" is not one of this stack's regions (${regionNames.join(", ")}); security groups are regional` });
        }
        for (const key of Object.keys(groups)) {
            if (!DNS_LABEL.test(key) || RESERVED_ACCESS_KEY.test(key) || key in endpoint.privateAccessCidrs) {
                issues.push({ path: `cluster.privateAccessSecurityGroups.${region}.${key}`, message: `key must be a DNS label, not "deploy-runner" / "runner-*" and not also a privateAccessCidrs key, got "${key}"` });
            }
        }
    }

    // Deploy runner: validated by the component's own rules, reported under the stack keys.
    const runner = c.deployRunner;
    const runnerProject = runner.projectName ?? `${project}-${stack}-deploy-runner`;
    if (runner.enabled) {
        for (const [key, hint] of [
            ["repository", "the GitHub repository \"owner/name\" whose jobs it runs"],
            ["connectionArn", "the ARN of an authorized CodeConnections GitHub connection"],
            ["deployRoleArn", "the IAM role the deploy jobs assume through GitHub OIDC (it gets cluster-admin access entries)"],
        ] as const) {
            if (runner[key] === undefined) {
                issues.push({ path: `deployRunner.${key}`, message: `is required when deployRunner.enabled is true: ${hint}` });
            }
        }
        const problems = validateDeployRunnerArgs(runnerProject, {
            vpcId: "vpc", subnetIds: ["subnet"], repository: runner.repository ?? "o/r", connectionArn: runner.connectionArn ?? "arn:aws:codeconnections:us-east-1:000000000000:connection/00000000-0000-0000-0000-000000000000",
            allowedActorIds: runner.allowedActorIds, projectName: runnerProject, computeType: runner.computeType, buildTimeoutMinutes: runner.buildTimeoutMinutes,
        });
        for (const p of problems.list) {
            const path = p.propertyPath === "name" ? "projectName" : p.propertyPath;
            issues.push({ path: `deployRunner.${path}`, message: p.reason });
        }
    }

    // Database.
    const db = c.database;
    const crossRegion = db.crossRegionReplicas ?? regions.filter((r) => r.role === "secondary").map((r) => r.name);
    crossRegion.forEach((name, i) => {
        const known = regions.find((r) => r.name === name);
        if (!known) {
            issues.push({ path: `database.crossRegionReplicas.${i}`, message: `"${name}" is not one of this stack's regions (${regionNames.join(", ")})` });
        } else if (known.role === "primary") {
            issues.push({ path: `database.crossRegionReplicas.${i}`, message: `"${name}" is the primary region; cross-region replicas go to secondary regions` });
        }
    });
    const backupRetentionDays = db.backupRetentionDays ?? (prod ? 14 : 7);
    if (prod && backupRetentionDays < 14) {
        issues.push({ path: "database.backupRetentionDays", message: `prod keeps backups >= 14 days, got ${backupRetentionDays}` });
    }
    const instanceClass = db.instanceClass ?? preset.database.instanceClass;
    if (db.instanceClass && db.memoryGiB === undefined && db.instanceClass !== preset.database.instanceClass) {
        issues.push({ path: "database.memoryGiB", message: `is required with a custom instanceClass (${db.instanceClass}) so shared_buffers can be sized to 25 % of RAM` });
    }
    const database: PlatformConfig["database"] = {
        ...db,
        instanceClass,
        memoryGiB: db.memoryGiB ?? preset.database.memoryGiB,
        allocatedStorageGiB: db.allocatedStorageGiB ?? preset.database.allocatedStorageGiB,
        maxAllocatedStorageGiB: db.maxAllocatedStorageGiB ?? preset.database.maxAllocatedStorageGiB,
        readReplicas: db.readReplicas ?? preset.database.readReplicas,
        crossRegionReplicas: crossRegion,
        multiAz: db.multiAz ?? (prod || preset.database.multiAz),
        backupRetentionDays,
        maxConnections: db.maxConnections ?? preset.database.maxConnections,
    };
    if (database.maxAllocatedStorageGiB < database.allocatedStorageGiB) {
        issues.push({ path: "database.maxAllocatedStorageGiB", message: `must be >= allocatedStorageGiB (${database.allocatedStorageGiB}), got ${database.maxAllocatedStorageGiB}` });
    }

    // Cache purposes.
    const purposesRaw = c.cache.purposes ?? { cache: {}, queue: {}, sessions: {} };
    const purposes: Record<string, CachePurposeConfig> = {};
    for (const [purpose, p] of Object.entries(purposesRaw)) {
        if (!DNS_LABEL.test(purpose)) {
            issues.push({ path: `cache.purposes.${purpose}`, message: `purpose "${purpose}" must be a DNS label` });
        }
        const defaults = DEFAULT_CACHE_PURPOSES[purpose] ?? { maxmemoryPolicy: "volatile-lru", snapshotRetentionDays: 1 };
        // Only the `cache` purpose is sharded by the tier; queue/sessions hold multi-key operations, one shard.
        purposes[purpose] = {
            shards: p.shards ?? (purpose === "cache" ? preset.cache.shards : 1),
            replicasPerShard: p.replicasPerShard ?? preset.cache.replicasPerShard,
            nodeType: p.nodeType ?? preset.cache.nodeType,
            maxmemoryPolicy: p.maxmemoryPolicy ?? defaults.maxmemoryPolicy,
            snapshotRetentionDays: p.snapshotRetentionDays ?? defaults.snapshotRetentionDays,
        };
    }

    // Alerts: known threshold keys, positive values, percentages <= 100, critical above warning.
    for (const p of thresholdProblems(c.alerts.thresholds).list) {
        issues.push({ path: `alerts.${p.propertyPath}`, message: p.reason });
    }

    if (issues.length > 0) {
        throw new ConfigError(stack, issues);
    }

    return {
        project,
        stack,
        environment: c.environment,
        tier: c.tier,
        domain: c.domain,
        hostedZoneId: c.hostedZoneId,
        regions,
        primaryRegion: regions[0],
        tags: { project, stack, environment: c.environment, "managed-by": "pulumi", ...c.tags },
        protectData: c.protectData ?? prod,
        network: {
            natGateways: c.network.natGateways ?? (prod ? "perAz" : "single"),
            flowLogs: c.network.flowLogs,
            flowLogRetentionDays: c.network.flowLogRetentionDays,
        },
        cluster: c.cluster,
        deployRunner: { ...runner, projectName: runnerProject },
        nodePools,
        api,
        ws,
        workers: {
            image: c.workers.image ?? DEFAULT_WORKER_IMAGE,
            resources: workerResources,
            queues,
            terminationGracePeriodSeconds: c.workers.terminationGracePeriodSeconds,
        },
        edge: c.edge,
        database,
        cache: {
            engine: c.cache.engine,
            engineVersion: c.cache.engineVersion ?? (c.cache.engine === "valkey" ? "8.0" : "7.1"),
            purposes,
        },
        alerts: { ...c.alerts, thresholds: resolveThresholds(c.alerts.thresholds) },
        images: c.images,
    };
}

/** Top-level keys of the schema, in the project's namespace. */
export const CONFIG_KEYS = Object.keys(rawConfigSchema.shape) as (keyof typeof rawConfigSchema.shape)[];

/**
 * Reads every key of the project's namespace from the running stack's Pulumi config and validates it.
 * Values that are not valid JSON/YAML objects are reported like any other problem.
 */
export function loadConfig(): PlatformConfig {
    const cfg = new pulumi.Config(PROJECT_NAME);
    const stack = pulumi.getStack();
    const raw: Record<string, unknown> = {};
    const issues: ConfigIssue[] = [];
    for (const key of CONFIG_KEYS) {
        const text = cfg.get(key);
        // An empty value (e.g. a project default of "") means "not set".
        if (text === undefined || text === "") {
            continue;
        }
        try {
            raw[key] = JSON.parse(text);
        } catch {
            raw[key] = text; // plain strings are stored unquoted
        }
    }
    const known = new Set<string>(CONFIG_KEYS);
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [ns, key] = fullKey.split(":");
        if (ns === PROJECT_NAME && key && !known.has(key)) {
            issues.push({ path: key, message: `unknown key; known keys are ${CONFIG_KEYS.join(", ")}` });
        }
    }
    if (issues.length > 0) {
        throw new ConfigError(stack, issues);
    }
    return parseConfig(raw, stack);
}
