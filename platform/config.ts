/**
 * The stack's configuration: one schema for everything in `Pulumi.<stack>.yaml`, read once and
 * validated before any resource is created. A bad file fails with a single `ConfigError` listing
 * every problem as `key.path: what is wrong (got <value>); <what is allowed>`.
 *
 * Keys live in the project's namespace (`scaled-web:<key>`). Every structured key is optional except
 * `environment`, `domain` and `regions`; what is not given comes from the tier preset
 * (`platform/tiers.ts`) or the defaults below.
 */
import { QueueBackendConfig, ScalingConfig, queueBackendIssues, queueBackendSchema, resolveScaling, scalingSchema } from "./scaling-config";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CLOUDWATCH_RETENTION_DAYS, DNS_LABEL, DNS_NAME, EC2_INSTANCE_TYPE, IMAGE_REFERENCE, cpuMillicores, memoryBytes, show } from "../components/validation";
import { Thresholds, resolveThresholds, thresholdProblems } from "../components/observability";
import {
    DEFAULT_FLOW_LOG_DESTINATION, DEFAULT_FLOW_LOG_MAX_AGGREGATION_INTERVAL, DEFAULT_FLOW_LOG_TRAFFIC_TYPE, FLOW_LOG_DESTINATIONS,
    FLOW_LOG_TRAFFIC_TYPES, FlowLogAggregationInterval, FlowLogDestination, FlowLogTrafficType, UNSUPPORTED_ZONE_IDS, ZONE_ID, parseCidr, zoneIdPrefix,
} from "../components/network";
import { DEFAULT_APP_USERNAME, DEFAULT_CROSS_REGION_REPLICA_MULTI_AZ, DEFAULT_LOG_RETENTION_DAYS, DEFAULT_MASTER_PASSWORD, DEFAULT_MASTER_USERNAME } from "../components/database";
import { EXTERNAL_SECRETS_CHART, EXTERNAL_SECRETS_COMPATIBILITY } from "../components/external-secrets";
import { ADDON_CHARTS, ADDON_COMPATIBILITY, AddonKey, kubernetesRange, supportsKubernetes } from "../components/cluster-addons";
import { cidrsOverlap } from "../components/region-peering";
import {
    CLOUDFRONT_TLS12_POLICIES, DEFAULT_CDN_HOSTNAME, DEFAULT_CDN_LOG_RETENTION_DAYS, DEFAULT_CDN_SECURITY_POLICY, DEFAULT_HTML_DEFAULT_TTL_SECONDS,
    DEFAULT_HTML_MAX_TTL_SECONDS, DEFAULT_IMMUTABLE_PATHS, DEFAULT_PRICE_CLASS, PRICE_CLASSES,
} from "../components/cdn";
import {
    DEFAULT_BACKUP_PLAN_RETENTION_DAYS, DEFAULT_BACKUP_SCHEDULE, MIN_CHANGEABLE_FOR_DAYS, PROD_BACKUP_PLAN_RETENTION_DAYS, validateDatabaseBackupArgs,
} from "../components/database-backup";
import { DEFAULT_ABORT_MULTIPART_DAYS, DEFAULT_NONCURRENT_VERSION_DAYS, DEFAULT_UPLOADS_PREFIX } from "../components/uploads-bucket";
import { SECURITY_GROUP_ID } from "../components/cluster";
import { RUNNER_COMPUTE_TYPES, validateDeployRunnerArgs } from "../components/deploy-runner";
import { ContainerResources, NodePoolSizing, ServiceSizing, TIERS, TIER_PRESETS, Tier } from "./tiers";
// Issue 17: checks lifted from the components and the instance class tables (their own modules, to keep this file's merges small).
import { PROGRAM_ENV, componentConfigIssues } from "./config-checks";
import { ec2InstanceTypeProblem, elastiCacheEngineVersionProblem, elastiCacheNodeTypeProblem, rdsPostgresClassProblem } from "./aws-catalog";
import { clusterOpsIssues, clusterOpsSchema } from "./cluster-ops-config";
// issue 19 item 3b: traces and dashboards (platform/observability-config.ts).
import { ObservabilityConfig, observabilityIssues, observabilitySchema, resolveObservability } from "./observability-config";

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
/**
 * Build context of the reference application (`app/`, relative to the project root): one image for every
 * role (`APP_ROLE` = api, ws, worker, queue-metrics) that runs non-root on a read-only root filesystem,
 * listens on `PORT` and answers `/health`. Dev stacks build it for every service that names no image
 * (`images.referenceApp`, default true in dev only); prod must name pinned images.
 */
export const REFERENCE_APP_CONTEXT = "app";
/** The config key that holds each built-in service's image, keyed by image service. */
export const IMAGE_KEYS: Readonly<Record<"api" | "ws" | "worker", string>> = { api: "api.image", ws: "ws.image", worker: "workers.image" };

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
const image = z.string().regex(IMAGE_REFERENCE, "must be a container image reference such as \"registry/repo:tag\"");
const cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, "must be an IPv4 CIDR such as \"10.0.0.0/16\"");

const serviceSchema = z.object({
    /** Image reference; overridden by the image supply when it builds the service. */
    image: image.optional(),
    containerPort: port.optional(),
    // --- traffic (issue 16): no NodePorts any more. Kept in the schema only to refuse it with a message that
    // names the replacement (see `removedServiceKeyIssues`), rather than a bare "unknown key".
    nodePort: z.unknown().optional(),
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
    /**
     * Number of availability zones, 2-6. Given, the account must offer that many usable zones; left out, 3 or
     * as many as there are (at least 2).
     */
    azCount: z.number().int().min(2, "must be 2-6").max(6, "must be 2-6").optional(),
    /**
     * Zone IDs to use, e.g. [use1-az1, use1-az2, use1-az4] (the same physical zones in every account). Default:
     * the first `azCount` zone IDs the account is offered, in order, without the zones EKS or RDS Proxy cannot use.
     */
    availabilityZoneIds: z.array(z.string()).optional(),
    /** Zone names are no longer accepted (they name different zones per account); kept to say so clearly. */
    availabilityZones: z.array(z.string()).optional(),
    /** Per-region replica floors, overriding `api.minReplicas` / `ws.minReplicas` there. */
    replicas: z.object({ api: positive.optional(), ws: positive.optional() }).strict().optional(),
}).strict();

const nodePoolSchema = z.object({
    capacityType: z.enum(["on-demand", "spot"], { message: "must be \"on-demand\" or \"spot\"" }).optional(),
    instanceTypes: z.array(z.string().regex(EC2_INSTANCE_TYPE, "must be an EC2 instance type such as \"m7i.large\"")).min(1).optional(),
    minSize: count.optional(),
    maxSize: positive.optional(),
    desiredSize: count.optional(),
    diskSizeGiB: z.number().int().min(20, "must be >= 20").max(16384).optional(),
    /** Base of on-demand instances under a spot pool (default 0). */
    onDemandBase: count.optional(),
    /**
     * One ASG per availability zone (default: true for on-demand pools, false for spot pools), so
     * cluster-autoscaler can add a node in the zone a zone-spread pod needs (see NodePoolArgs.perZone).
     */
    perZone: z.boolean().optional(),
    /** EC2 detailed (1-minute) monitoring on the pool's instances, billed per metric (default false). */
    detailedMonitoring: z.boolean().optional(),
}).strict();

/** Every field optional: a seed 003 queue keeps the defaults it is not given; a new queue must give all four. */
const queueSchema = z.object({
    minReplicas: count.optional(),
    maxReplicas: positive.optional(),
    /** Waiting jobs per replica at which KEDA adds a replica. */
    threshold: positive.optional(),
    concurrency: positive.optional(),
}).strict();
const QUEUE_FIELDS = ["minReplicas", "maxReplicas", "threshold", "concurrency"] as const;

const cachePurposeSchema = z.object({
    shards: z.number().int().min(1, "must be 1-500").max(500, "must be 1-500").optional(),
    replicasPerShard: z.number().int().min(0, "must be 0-5").max(5, "must be 0-5").optional(),
    nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be an ElastiCache node type such as \"cache.m7g.large\"").optional(),
    maxmemoryPolicy: z.enum(["allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "noeviction", "volatile-ttl"], { message: "must be one of allkeys-lru, volatile-lru, allkeys-lfu, volatile-lfu, noeviction, volatile-ttl" }).optional(),
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
        /** Flows recorded: REJECT (default), ACCEPT or ALL. */
        flowLogTrafficType: z.enum(FLOW_LOG_TRAFFIC_TYPES, { message: `must be one of ${FLOW_LOG_TRAFFIC_TYPES.join(", ")}` }).default(DEFAULT_FLOW_LOG_TRAFFIC_TYPE),
        /** Aggregation window of a flow record in seconds: 600 (default) or 60. */
        flowLogMaxAggregationInterval: z.number().refine((v) => v === 60 || v === 600, { message: "must be 60 or 600 (seconds)" }).default(DEFAULT_FLOW_LOG_MAX_AGGREGATION_INTERVAL),
        /** cloud-watch-logs (a log group per VPC) or s3 (`flowLogBucketArn`). */
        flowLogDestination: z.enum(FLOW_LOG_DESTINATIONS, { message: `must be one of ${FLOW_LOG_DESTINATIONS.join(", ")}` }).default(DEFAULT_FLOW_LOG_DESTINATION),
        /** S3 bucket ARN receiving the flow logs of every region when flowLogDestination is s3. */
        flowLogBucketArn: z.string().regex(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, "must be an S3 bucket ARN such as \"arn:aws:s3:::my-log-archive\"").optional(),
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
        // Cluster operations (issue 16): supportType, addonVersions, nodeAmi, adminPrincipals; see platform/cluster-ops-config.ts.
        ...clusterOpsSchema,
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
        /**
         * Privileged build container (a Docker daemon for image builds on the runner). Default: on exactly when
         * the stack builds images during `pulumi up` (`images.build` or `images.referenceApp`), because
         * @pulumi/docker's builds then run on the runner and CodeBuild gives a Docker daemon only to privileged builds.
         */
        privilegedMode: z.boolean().optional(),
    }).strict().default({}),
    /**
     * Node pools keyed by name; entries override the tier's `general` / `workers` pools or add new ones;
     * `<name>: null` removes a tier pool (one on-demand and one spot pool must remain).
     */
    nodePools: z.record(z.string(), nodePoolSchema.nullable()).default({}),
    api: serviceSchema.default({}),
    ws: serviceSchema.default({}),
    workers: z.object({
        image: image.optional(),
        resources: resourcesSchema.optional(),
        /**
         * Queues keyed by name, merged over the seed 003 defaults entry by entry and field by field;
         * `<name>: null` removes a default queue.
         */
        queues: z.record(z.string(), queueSchema.nullable()).default({}),
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
        /**
         * Exact path the ALB sends to the ws pods on any host; the Route53 health check of `ws.<domain>` requests
         * it, so the ws service must answer it with 200 (see LoadBalancerArgs.wsProbePath).
         */
        wsHealthCheckPath: z.string().regex(/^\/[\w\-./]*$/, "must be an exact path such as \"/ws/health\" (no wildcards)").default("/ws/health"),
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
        /** Multi-AZ for the cross-region (DR) replicas; off: a standby doubles the cost of a copy that only serves reads. */
        crossRegionReplicaMultiAz: z.boolean().default(DEFAULT_CROSS_REGION_REPLICA_MULTI_AZ),
        /** Retention of the exported PostgreSQL logs (their log groups are created before the instances). */
        logRetentionDays: z.number().refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), { message: `must be one of the periods CloudWatch Logs accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")})` }).default(DEFAULT_LOG_RETENTION_DAYS),
        /**
         * RDS identifiers to keep, by instance key (primary, replica-1.., replica-<region>); for instances created
         * before identifiers were explicit. Default `<env>-<region code>-db-<key>`.
         */
        instanceIdentifiers: z.record(z.string(), z.string()).optional(),
        backupRetentionDays: z.number().int().min(0, "must be 0-35").max(35, "must be 0-35").optional(),
        maxConnections: z.number().int().min(20).max(5000).optional(),
        iamAuthentication: z.boolean().default(true),
        // --- application identity and secrets (issue 16 section 2) ---
        /** Who generates the master password: "generated" (kept in Secrets Manager) or "managed" (RDS, no replicas). */
        masterPassword: z.enum(["generated", "managed"], {
            errorMap: () => ({ message: "must be \"generated\" (a random password kept in Secrets Manager) or \"managed\" (RDS manages and rotates it; no read replicas)" }),
        }).default(DEFAULT_MASTER_PASSWORD),
        /** The application's own login role (IAM authentication, created by the bootstrap Job). */
        appUsername: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, "must be a PostgreSQL identifier: a letter, then letters, digits or '_' (at most 63)").default(DEFAULT_APP_USERNAME),
        // --- end application identity ---
        pooling: z.object({
            /** Percentage of max_connections the proxy may hold open. */
            maxConnectionsPercent: z.number().int().min(1).max(100).default(90),
        }).strict().default({}),
    }).strict().default({}),
    cache: z.object({
        engine: z.enum(["valkey", "redis"], { message: "must be \"valkey\" or \"redis\" (Memcached has no replication groups)" }).default("valkey"),
        engineVersion: z.string().optional(),
        /**
         * Replication groups keyed by purpose, merged over the seed 003 defaults (cache, queue, sessions)
         * entry by entry and field by field; `<purpose>: null` removes a default purpose.
         */
        purposes: z.record(z.string(), cachePurposeSchema.nullable()).default({}),
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
    // --- seeds1 (issue 18): CDN, uploads, backups, failover -------------------------------------
    /** Static assets behind CloudFront (components/cdn.ts). */
    cdn: z.object({
        enabled: z.boolean().default(true),
        /** Served at `<hostname>.<domain>`. */
        hostname: z.string().regex(DNS_LABEL, "must be a DNS label such as \"static\"").default(DEFAULT_CDN_HOSTNAME),
        minimumProtocolVersion: z.enum(CLOUDFRONT_TLS12_POLICIES, { message: `must be one of ${CLOUDFRONT_TLS12_POLICIES.join(", ")} (TLS 1.2 or newer)` }).default(DEFAULT_CDN_SECURITY_POLICY),
        immutablePaths: z.array(z.string().regex(/^\/[\w\-./*]+$/, "must be a path pattern under the root such as \"/assets/*\"")).default([...DEFAULT_IMMUTABLE_PATHS]),
        htmlMaxTtlSeconds: z.number().int().min(0).max(31536000).default(DEFAULT_HTML_MAX_TTL_SECONDS),
        htmlDefaultTtlSeconds: z.number().int().min(0).max(31536000).default(DEFAULT_HTML_DEFAULT_TTL_SECONDS),
        /** WAF limit per client IP; @default edge.rateLimitPerSecond */
        rateLimitPerSecond: positive.optional(),
        logRetentionDays: positive.default(DEFAULT_CDN_LOG_RETENTION_DAYS),
        priceClass: z.enum(PRICE_CLASSES).default(DEFAULT_PRICE_CLASS),
        /** Replicate the origin bucket to the first secondary region and fail over to it. @default true when there is one */
        failover: z.boolean().optional(),
    }).strict().default({}),
    /** User uploads in S3 (components/uploads-bucket.ts). */
    uploads: z.object({
        enabled: z.boolean().default(true),
        /** Key prefix the application may read and write. */
        prefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9!_.*'()\-/]*\/$/, "must be a key prefix such as \"uploads/\" (ending in \"/\", no leading \"/\")").default(DEFAULT_UPLOADS_PREFIX),
        noncurrentVersionDays: positive.default(DEFAULT_NONCURRENT_VERSION_DAYS),
        abortIncompleteMultipartDays: positive.default(DEFAULT_ABORT_MULTIPART_DAYS),
        /** Replicate to the first secondary region. @default true when there is one */
        replicate: z.boolean().optional(),
    }).strict().default({}),
    /** AWS Backup plan for the database (components/database-backup.ts). */
    backup: z.object({
        enabled: z.boolean().default(true),
        /** AWS Backup schedule expression, UTC. */
        schedule: z.string().default(DEFAULT_BACKUP_SCHEDULE),
        /** Days a recovery point is kept. @default 35 in prod, 7 elsewhere */
        retentionDays: positive.optional(),
        /** Days the cross-region copy is kept. @default retentionDays */
        copyRetentionDays: positive.optional(),
        /** Region (one of `regions`) whose vault receives a copy of every recovery point. @default the first secondary region */
        copyToRegion: z.string().optional(),
        /** AWS Backup Vault Lock on both vaults (prod only); `changeableForDays` makes it compliance mode. */
        vaultLock: z.object({
            minRetentionDays: positive,
            maxRetentionDays: positive,
            changeableForDays: z.number().int().min(MIN_CHANGEABLE_FOR_DAYS, `must be >= ${MIN_CHANGEABLE_FOR_DAYS} (compliance mode); omit it for governance mode`).optional(),
        }).strict().optional(),
    }).strict().default({}),
    /**
     * Regional failover (README "Failover and failback"): the region whose database instance takes writes. Unset or
     * the primary region: normal operation. A secondary region with a cross-region replica: that replica is promoted.
     */
    failover: z.object({
        activeRegion: z.string().optional(),
    }).strict().default({}),
    // --- end seeds1 -------------------------------------------------------------------------------
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
        /**
         * Build the reference application (`app/`) for every built-in service (api, ws, worker) that has
         * neither an image (`api.image`, `ws.image`, `workers.image`) nor an `images.build` entry.
         * Not allowed in prod, which names pinned images. @default true in dev, false elsewhere
         */
        referenceApp: z.boolean().optional(),
        /** Services with an ECR repository. @default ["api", "ws", "worker"] */
        services: z.array(z.string()).min(1, "must name at least one service").optional(),
        /** ECR namespace of the repositories. @default "<project>/<stack>" */
        repositoryPrefix: z.string().optional(),
        keepTaggedImages: positive.default(30),
        expireUntaggedAfterDays: positive.default(7),
    }).strict().default({}),
    // --- issue 19 (seeds2): request-rate / connection targets and replica schedules; see platform/scaling-config.ts.
    scaling: scalingSchema,
    // --- issue 19 (seeds2): queue backend, bullmq (Valkey) or rabbitmq (Amazon MQ); see platform/scaling-config.ts.
    queueBackend: queueBackendSchema,
    // --- issue 19 item 3: metrics and alert rules in Amazon Managed Service for Prometheus, traces to X-Ray and the
    // optional Amazon Managed Grafana; see platform/observability-config.ts.
    observability: observabilitySchema,
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
    /** How many zones to use: `regions.<name>.azCount`, else 3 (or fewer, at least 2, where fewer are usable). */
    readonly azCount: number;
    /** True when `azCount` was given: the account must then offer that many usable zones. */
    readonly azCountExplicit: boolean;
    /** Zone IDs pinned by the stack; otherwise chosen when the program runs (`platform/zones.ts`). */
    readonly availabilityZoneIds?: readonly string[];
    readonly apiMinReplicas: number;
    readonly wsMinReplicas: number;
}

export interface ResolvedService extends ServiceSizing {
    /** The configured image; undefined when the image supply builds the service (`images.build`, `images.referenceApp`). */
    readonly image?: string;
    readonly containerPort: number;
    readonly env: Readonly<Record<string, string>>;
}

export interface NodePoolConfig extends NodePoolSizing {
    readonly onDemandBase: number;
    /** One ASG per zone; defaults to true for on-demand pools. */
    readonly perZone: boolean;
    /** EC2 detailed monitoring on the pool's instances; default false. */
    readonly detailedMonitoring: boolean;
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
    readonly network: {
        readonly natGateways: "single" | "perAz";
        readonly flowLogs: boolean;
        readonly flowLogTrafficType: FlowLogTrafficType;
        readonly flowLogMaxAggregationInterval: FlowLogAggregationInterval;
        readonly flowLogDestination: FlowLogDestination;
        readonly flowLogBucketArn?: string;
        readonly flowLogRetentionDays: number;
    };
    readonly cluster: ParsedRaw["cluster"];
    /** The in-VPC runner; `projectName` resolved. */
    readonly deployRunner: ParsedRaw["deployRunner"] & { readonly projectName: string; readonly privilegedMode: boolean };
    readonly nodePools: Readonly<Record<string, NodePoolConfig>>;
    readonly api: ResolvedService;
    readonly ws: ResolvedService;
    readonly workers: {
        /** The configured image; undefined when the image supply builds it. */
        readonly image?: string;
        readonly resources: ContainerResources;
        readonly queues: Readonly<Record<string, QueueConfig>>;
        readonly terminationGracePeriodSeconds: number;
    };
    readonly edge: ParsedRaw["edge"];
    /** seeds1: static assets behind CloudFront (`failover` resolved). */
    readonly cdn: Omit<ParsedRaw["cdn"], "failover"> & { readonly failover: boolean };
    /** seeds1: the database's AWS Backup plan (retention and copy region resolved; no copy with one region). */
    readonly backup: Omit<ParsedRaw["backup"], "retentionDays" | "copyRetentionDays" | "copyToRegion"> & {
        readonly retentionDays: number;
        readonly copyRetentionDays: number;
        readonly copyToRegion?: string;
    };
    /**
     * seeds1: where the writer runs. `failedOver` when `activeRegion` is not the primary region; then
     * `drainedRegion` (the primary) has DNS weight 0 and its weight moved to `activeRegion` (in `regions`).
     */
    readonly failover: { readonly activeRegion: string; readonly failedOver: boolean; readonly drainedRegion?: string };
    /** seeds1: the uploads bucket (`replicate` resolved). */
    readonly uploads: Omit<ParsedRaw["uploads"], "replicate"> & { readonly replicate: boolean };
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
    /** issue 19: KEDA request-rate / connection targets and cron replica floors (platform/scaling-config.ts). */
    readonly scaling: ScalingConfig;
    /** issue 19: `bullmq` (Valkey queue store) or `rabbitmq` (Amazon MQ broker per region). */
    readonly queueBackend: QueueBackendConfig;
    /** issue 19 item 3: Managed Prometheus, the trace collector and the optional Grafana workspace (platform/observability-config.ts). */
    readonly observability: ObservabilityConfig;
    readonly images: Omit<ParsedRaw["images"], "referenceApp"> & {
        /** Whether the reference app is built for the built-in services that name no image (resolved default). */
        readonly referenceApp: boolean;
    };
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

/** Levenshtein distance (insertions, deletions, substitutions), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}

/** Lower-case letters and digits only: `scaled_web`, `ScaledWeb` and `scaled-web-` all normalise to `scaledweb`. */
const normalise = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/**
 * The candidate `word` was most likely meant to be: the same after normalisation (case, `-`/`_`), else the only
 * candidate it abbreviates, else the nearest within a third of its length (at least 1, at most 3 edits). Undefined when nothing is close.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
    const same = candidates.find((c) => normalise(c) === normalise(word));
    if (same !== undefined) {
        return same;
    }
    // An abbreviation (`warn` for `warning`, `desired` for `desiredSize`).
    const lower = word.toLowerCase();
    const prefixed = lower.length >= 3 ? candidates.filter((c) => c.toLowerCase().startsWith(lower)) : [];
    if (prefixed.length === 1) {
        return prefixed[0];
    }
    let best: string | undefined;
    let bestDistance = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
    for (const c of candidates) {
        const d = editDistance(word.toLowerCase(), c.toLowerCase());
        if (d <= bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

/** Unwraps default/optional/nullable/effects down to the schema that says which keys an object takes. */
function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
    let s = schema;
    for (;;) {
        if (s instanceof z.ZodDefault) {
            s = s._def.innerType;
        } else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
            s = s.unwrap();
        } else if (s instanceof z.ZodEffects) {
            s = s.innerType();
        } else {
            return s;
        }
    }
}

/** The keys the object schema at `path` (a zod issue path into the raw config) accepts. */
function keysAt(path: readonly (string | number)[]): string[] {
    let s: z.ZodTypeAny = rawConfigSchema;
    for (const key of path) {
        const u = unwrap(s);
        if (u instanceof z.ZodObject) {
            s = (u.shape as Record<string, z.ZodTypeAny>)[key as string];
        } else if (u instanceof z.ZodRecord) {
            s = u.valueSchema;
        } else if (u instanceof z.ZodArray) {
            s = u.element;
        } else {
            return [];
        }
        if (!s) {
            return [];
        }
    }
    const u = unwrap(s);
    return u instanceof z.ZodObject ? Object.keys(u.shape) : [];
}

/** "unknown key" issues, one per key, each naming its closest valid key or the keys allowed there. */
function unknownKeyIssues(path: readonly (string | number)[], keys: readonly string[]): ConfigIssue[] {
    const valid = keysAt(path);
    return keys.map((key) => {
        const suggestion = closestMatch(key, valid);
        const fix = suggestion !== undefined ? `did you mean "${suggestion}"?` : `valid keys here: ${valid.join(", ")}`;
        return { path: [...path, key].join("."), message: `unknown key ${show(key)}; ${fix}` };
    });
}

function zodIssues(raw: unknown, error: z.ZodError): ConfigIssue[] {
    return error.issues.flatMap((issue): ConfigIssue[] => {
        const path = issue.path.join(".");
        if (issue.code === "unrecognized_keys") {
            return unknownKeyIssues(issue.path, issue.keys);
        }
        const got = valueAt(raw, issue.path);
        const message = got === undefined && issue.code === "invalid_type" ? "is required" : `${issue.message} (got ${show(got)})`;
        // YAML reads an unquoted 1.30 as the number 1.3 (Pulumi too), so say how to keep the text.
        if (issue.code === "invalid_type" && issue.expected === "string" && typeof got === "number") {
            return [{ path, message: `${message}; an unquoted number in the stack file: quote it to keep its text (e.g. "1.30", which unquoted reads as 1.3)` }];
        }
        return [{ path, message }];
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

/**
 * Why `value` is not an aligned IPv4 CIDR, in words that name the actual mistake (an octet above 255,
 * a prefix above /32, or host bits set, with the aligned address to use instead); undefined when it is one.
 */
export function cidrProblem(value: string): string | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    if (!m) {
        return `must be an IPv4 CIDR such as "10.0.0.0/16", got ${show(value)}`;
    }
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    const bad = octets.filter((o) => o > 255);
    if (bad.length > 0) {
        return `octet${bad.length > 1 ? "s" : ""} ${bad.join(", ")} out of range (each of the four numbers must be 0-255), got ${show(value)}`;
    }
    if (prefix > 32) {
        return `prefix /${prefix} out of range (an IPv4 prefix is /0 to /32), got ${show(value)}`;
    }
    if (parseCidr(value)) {
        return undefined;
    }
    const base = octets.reduce((a, o) => a * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    const aligned = base - (base % size);
    const ip = [24, 16, 8, 0].map((s) => Math.floor(aligned / 2 ** s) % 256).join(".");
    return `has host bits set (the address must be the first of its /${prefix} block); use "${ip}/${prefix}", got ${show(value)}`;
}

function cidrPrefix(c: string): number {
    return Number(c.split("/")[1]);
}

/** Default VPC CIDR of the n-th region: 10.<10*(n+1)>.0.0/16, so regions never overlap. */
export function defaultRegionCidr(index: number): string {
    return `10.${10 * (index + 1)}.0.0/16`;
}


/** privateAccess keys the program uses for the deploy runner's own rules. */
const RESERVED_ACCESS_KEY = /^(deploy-runner|runner-.*)$/;

const DEFAULT_CACHE_PURPOSES: Readonly<Record<string, { maxmemoryPolicy: string; snapshotRetentionDays: number }>> = {
    cache: { maxmemoryPolicy: "allkeys-lru", snapshotRetentionDays: 0 },
    queue: { maxmemoryPolicy: "noeviction", snapshotRetentionDays: 7 },
    sessions: { maxmemoryPolicy: "volatile-lru", snapshotRetentionDays: 3 },
};

/**
 * How an image reference is pinned: by digest (`@sha256:...`), by a tag other than `latest`, or not
 * at all (no tag, which pulls `latest`, or `latest` itself: both move under a running stack).
 */
export function imagePinning(ref: string): "digest" | "tag" | "unpinned" {
    if (/@sha256:[a-f0-9]{64}$/.test(ref)) {
        return "digest";
    }
    const lastPart = ref.slice(ref.lastIndexOf("/") + 1);
    const colon = lastPart.indexOf(":");
    const tag = colon < 0 ? undefined : lastPart.slice(colon + 1);
    return tag === undefined || tag === "latest" ? "unpinned" : "tag";
}

/**
 * Problems with where the built-in services' images come from: each needs an `images.build` entry,
 * a configured image, or (outside prod) the reference app; prod images are pinned, and prod does not
 * build the reference app.
 */
export function imageIssues(
    environment: Environment,
    referenceApp: boolean,
    build: Readonly<Record<string, unknown>>,
    given: Readonly<Record<"api" | "ws" | "worker", string | undefined>>,
): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const prod = environment === "prod";
    if (prod && referenceApp) {
        issues.push({ path: "images.referenceApp", message: "is true, but prod runs the images it names, pinned by tag or digest: remove images.referenceApp and set api.image, ws.image and workers.image (or build your own service with images.build.<service>)" });
    }
    for (const service of ["api", "ws", "worker"] as const) {
        const key = IMAGE_KEYS[service];
        const image = given[service];
        if (service in build) {
            continue;
        }
        if (image === undefined) {
            if (prod) {
                issues.push({ path: key, message: `is required in prod: name the ${service} image pinned by tag or digest, e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/prod/${service}:1.4.2" or "<repository>@sha256:<digest>" (or build it with images.build.${service})` });
            } else if (!referenceApp) {
                issues.push({ path: key, message: `is required: images.referenceApp is false, so name the ${service} image (e.g. "registry.example.com/team/${service}:1.4.2"), build it with images.build.${service}, or set images.referenceApp: true to build the reference app in ${REFERENCE_APP_CONTEXT}/` });
            }
        } else if (prod && IMAGE_REFERENCE.test(image) && imagePinning(image) === "unpinned") {
            issues.push({ path: key, message: `must be pinned by tag or digest in prod, got ${show(image)} (${image.endsWith(":latest") ? "\"latest\" moves" : "no tag pulls \"latest\""}); use e.g. "${image.replace(/:latest$/, "")}:1.4.2" or "${image.replace(/:latest$/, "")}@sha256:<digest>"` });
        }
    }
    return issues;
}

/**
 * Validates raw config values (as read from `Pulumi.<stack>.yaml`) and resolves them against the tier
 * preset. Pure: throws `ConfigError` listing every problem, or returns the resolved config.
 */
/**
 * Purposes that hold the workers' queues and the WebSocket adapter, in order of preference; the same lists as
 * platform/workloads.ts QUEUE_PURPOSES / WS_ADAPTER_PURPOSES (kept here to avoid an import cycle; a test asserts
 * they agree).
 */
export const CONFIG_QUEUE_PURPOSES = ["queue", "cache"] as const;
export const CONFIG_WS_ADAPTER_PURPOSES = ["sessions", "cache"] as const;

/**
 * The store holding the queues must not evict: BullMQ "Going to production" (docs.bullmq.io/guide/going-to-production)
 * requires `maxmemory-policy noeviction`, or Redis silently drops job keys under memory pressure. Removing
 * purposes must leave one for the queues and one for the WebSocket adapter.
 */
function cachePurposeIssues(purposes: Readonly<Record<string, CachePurposeConfig>>): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    const queuePurpose = CONFIG_QUEUE_PURPOSES.find((p) => p in purposes);
    if (queuePurpose === undefined) {
        out.push({ path: "cache.purposes", message: `the workers' queues need a "queue" (or "cache") purpose, but both are removed; drop one of the null entries` });
    } else if (purposes[queuePurpose].maxmemoryPolicy !== "noeviction") {
        out.push({
            path: `cache.purposes.${queuePurpose}.maxmemoryPolicy`,
            message: `the "${queuePurpose}" purpose holds the BullMQ queues and must not evict (got ${show(purposes[queuePurpose].maxmemoryPolicy)}); ` +
                `set maxmemoryPolicy: noeviction or leave it out${queuePurpose === "cache" ? ", or keep a separate \"queue\" purpose" : ""}`,
        });
    }
    if (!CONFIG_WS_ADAPTER_PURPOSES.some((p) => p in purposes)) {
        out.push({ path: "cache.purposes", message: `the WebSocket adapter needs a "sessions" (or "cache") purpose, but both are removed; drop one of the null entries` });
    }
    return out;
}

/**
 * AWS tagging rules (the Tag type of the AWS API references, e.g. docs.aws.amazon.com/sdkfornet/v3/apidocs/items/ECS/TTag.html,
 * and the Batch user guide "Tag restrictions"): keys 1-128 Unicode characters, values 0-256, and `aws:` in any case
 * is reserved for AWS as a prefix of keys and of values.
 */
export function tagIssues(tags: Readonly<Record<string, string>>): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    for (const [key, value] of Object.entries(tags)) {
        const path = `tags.${key}`;
        const keyLength = [...key].length;
        const valueLength = [...value].length;
        if (key.toLowerCase().startsWith("aws:")) {
            out.push({ path, message: `tag keys starting with "aws:" are reserved for AWS (got ${show(key)}); rename the key without the aws: prefix` });
        }
        if (value.toLowerCase().startsWith("aws:")) {
            out.push({ path, message: `tag values starting with "aws:" are reserved for AWS (got ${show(value)}); drop the aws: prefix from the value` });
        }
        if (keyLength < 1 || keyLength > 128) {
            out.push({ path, message: `tag keys must be 1-128 characters, got ${keyLength}; shorten the key` });
        }
        if (valueLength > 256) {
            out.push({ path, message: `tag values must be at most 256 characters, got ${valueLength}; shorten the value` });
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Issue 17: every problem in one run.
// ---------------------------------------------------------------------------------------------

/** Values that stand in for a required key the schema refused, so the other checks can still run. */
const REQUIRED_STAND_INS: readonly [RegExp, (data: Record<string, unknown>) => unknown][] = [
    [/^environment$/, () => "dev"],
    [/^domain$/, () => "example.com"],
    [/^regions$/, () => ({})],
    // The primary when no other region is (so nothing else reads as "the primary is missing"), else a secondary.
    [/^regions\.[^.]+\.role$/, (data) => (Object.values((data.regions ?? {}) as Record<string, { role?: unknown }>).some((r) => r?.role === "primary") ? "secondary" : "primary")],
    [/^regions\.[^.]+\.weight$/, () => 0],
];

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
    let cur: Record<string, unknown> = target;
    for (const key of path.slice(0, -1)) {
        const next = cur[key];
        if (next === null || typeof next !== "object") {
            return;
        }
        cur = next as Record<string, unknown>;
    }
    const last = path[path.length - 1];
    if (value === undefined) {
        delete cur[last];
    } else {
        cur[last] = value;
    }
}

/**
 * The raw config parsed by the schema, and when it fails, its problems plus the data with the refused values
 * set aside (deleted, so defaults apply; a required key gets a stand-in; an invalid list item drops its list),
 * so the cross-field and component checks still run on the rest. `removed` lists the key paths set aside: a
 * later problem about one of them would only repeat (or follow from) the schema's.
 */
function repairForChecks(raw: unknown): { data?: ParsedRaw; schemaIssues: ConfigIssue[]; removed: string[] } {
    const first = rawConfigSchema.safeParse(raw);
    if (first.success) {
        return { data: first.data, schemaIssues: [], removed: [] };
    }
    const schemaIssues = zodIssues(raw, first.error);
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        return { schemaIssues, removed: [] };
    }
    const copy = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
    const removed: string[] = [];
    let error = first.error;
    for (let round = 0; round < 8; round++) {
        for (const issue of error.issues) {
            const paths = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
            for (const full of paths) {
                const index = full.findIndex((seg) => typeof seg === "number");
                let at = (index < 0 ? full : full.slice(0, index)).map(String);
                // Set aside twice already (a required key): set aside its parent.
                while (at.length > 1 && removed.filter((r) => r === at.join(".")).length >= 2) {
                    at = at.slice(0, -1);
                }
                const key = at.join(".");
                if (at.length === 0) {
                    return { schemaIssues, removed };
                }
                const standIn = removed.includes(key) ? REQUIRED_STAND_INS.find(([re]) => re.test(key))?.[1](copy) : undefined;
                setAt(copy, at, standIn);
                removed.push(key);
            }
        }
        const again = rawConfigSchema.safeParse(copy);
        if (again.success) {
            return { data: again.data, schemaIssues, removed: [...new Set(removed)] };
        }
        error = again.error;
    }
    return { schemaIssues, removed };
}

/** Whether two key paths name the same value or one contains the other (`*` matches any one key). */
function related(a: string, b: string): boolean {
    const x = a.split(".");
    const y = b.split(".");
    return x.slice(0, Math.min(x.length, y.length)).every((seg, i) => seg === y[i] || seg === "*" || y[i] === "*");
}

function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
    const seen = new Set<string>();
    return issues.filter((i) => {
        const k = `${i.path}\n${i.message}`;
        return seen.has(k) ? false : (seen.add(k), true);
    });
}

/**
 * Tags the program adds to a resource besides the stack's `tags` (at most, over every resource it creates): the
 * four of `PlatformConfig.tags` (project, stack, environment, managed-by), `region` (the providers' default tags),
 * and a component's own (Name, kubernetes.io/cluster/<name>, kubernetes.io/role/internal-elb, the
 * cluster-autoscaler discovery and node termination handler tags of the node pools' Auto Scaling groups, the
 * `scaled-web/eks-cluster` tag the shared Pod Identity roles match, ...). tests/malformed-stack.test.ts measures the
 * real maximum on the dev and prod plans and fails when this is too low.
 */
export const PROGRAM_TAGS_MAX = 13;
/** AWS: "Maximum tags per resource: 50" (Tagging AWS resources, "Tag naming limits and requirements"). */
export const AWS_MAX_TAGS_PER_RESOURCE = 50;

/** Checks of resolved values nothing else makes: instance classes, env names the program sets, the tag budget, the pools. */
function stackLevelIssues(config: PlatformConfig, c: ParsedRaw): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    const classIssue = rdsPostgresClassProblem(config.database.instanceClass);
    if (classIssue) {
        out.push({ path: "database.instanceClass", message: `${classIssue}; use e.g. "db.m7g.large" (and set database.memoryGiB to its memory)` });
    }
    if (c.cache.engineVersion !== undefined) {
        const versionIssue = elastiCacheEngineVersionProblem(config.cache.engine, config.cache.engineVersion);
        if (versionIssue) {
            out.push({ path: "cache.engineVersion", message: `${versionIssue}; quote it ("8.0"), or leave it out for ${config.cache.engine === "valkey" ? "8.0" : "7.1"}` });
        }
    }
    for (const [purpose, p] of Object.entries(config.cache.purposes)) {
        const nodeIssue = elastiCacheNodeTypeProblem(p.nodeType);
        if (nodeIssue) {
            out.push({ path: c.cache.purposes[purpose]?.nodeType !== undefined ? `cache.purposes.${purpose}.nodeType` : "tier", message: `${nodeIssue}; use e.g. "cache.m7g.large"` });
        }
    }
    for (const [name, pool] of Object.entries(config.nodePools)) {
        pool.instanceTypes.forEach((t, i) => {
            const typeIssue = EC2_INSTANCE_TYPE.test(t) ? ec2InstanceTypeProblem(t) : undefined;
            if (typeIssue) {
                out.push({ path: `nodePools.${name}.instanceTypes.${i}`, message: typeIssue });
            }
        });
        if (pool.capacityType === "on-demand" && c.nodePools[name]?.onDemandBase !== undefined) {
            out.push({ path: `nodePools.${name}.onDemandBase`, message: `applies to spot pools only (the on-demand base under spot capacity), but "${name}" is an on-demand pool (got ${c.nodePools[name]?.onDemandBase}); remove it, or set capacityType: spot` });
        }
    }
    for (const [capacity, runs] of [["on-demand", "api and ws"], ["spot", "the queue workers"]] as const) {
        if (!Object.values(config.nodePools).some((p) => p.capacityType === capacity)) {
            const removedPools = Object.keys(c.nodePools).filter((n) => c.nodePools[n] === null);
            out.push({ path: "nodePools", message: `no ${capacity} pool is left (${removedPools.length ? `removed: ${removedPools.join(", ")}` : "none configured"}), but ${runs} run on ${capacity} nodes; keep one, or add a pool with capacityType: ${capacity}` });
        }
    }
    for (const key of ["api", "ws"] as const) {
        for (const name of Object.keys(config[key].env)) {
            if (PROGRAM_ENV[key].includes(name)) {
                out.push({ path: `${key}.env.${name}`, message: `is set by the program on every ${key} container (${PROGRAM_ENV[key].join(", ")}); the stack's value would be silently replaced: remove it` });
            }
        }
    }
    // A stack tag named like one of the program's (project, stack, environment, managed-by, region) replaces it, so does not add one.
    const userTags = Object.keys(c.tags).filter((k) => !["project", "stack", "environment", "managed-by", "region"].includes(k));
    if (userTags.length + PROGRAM_TAGS_MAX > AWS_MAX_TAGS_PER_RESOURCE) {
        out.push({ path: "tags", message: `has ${userTags.length} tags, but AWS allows ${AWS_MAX_TAGS_PER_RESOURCE} per resource and the program adds up to ${PROGRAM_TAGS_MAX} of its own; keep at most ${AWS_MAX_TAGS_PER_RESOURCE - PROGRAM_TAGS_MAX}` });
    }
    return out;
}

export function parseConfig(raw: unknown, stack: string, project: string = PROJECT_NAME): PlatformConfig {
    // Issue 17: schema problems do not stop the other checks. The values the schema refuses are set aside
    // (`repairForChecks`), the rest is checked as usual, and problems about what was set aside are left out.
    const { data: parsedData, schemaIssues, removed } = repairForChecks(raw);
    if (parsedData === undefined) {
        throw new ConfigError(stack, schemaIssues);
    }
    const c = parsedData;
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
        const cidrIssue = cidrProblem(cidrValue);
        if (cidrIssue) {
            issues.push({ path: `regions.${name}.cidr`, message: cidrIssue });
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
        if (r.availabilityZones) {
            issues.push({
                path: `regions.${name}.availabilityZones`,
                message: `zone names (${r.availabilityZones.join(", ")}) map to different physical zones in each account; pin zone IDs with availabilityZoneIds instead ` +
                    `(aws ec2 describe-availability-zones --region ${name} --query "AvailabilityZones[].[ZoneName,ZoneId]" lists the IDs behind your names)`,
            });
        }
        const ids = r.availabilityZoneIds;
        if (ids) {
            const prefix = zoneIdPrefix(name);
            if (ids.length < 2 || ids.length > 6) {
                issues.push({ path: `regions.${name}.availabilityZoneIds`, message: `must list 2-6 zone IDs, got ${ids.length}` });
            }
            if (new Set(ids).size !== ids.length) {
                issues.push({ path: `regions.${name}.availabilityZoneIds`, message: `must not repeat a zone, got ${ids.join(", ")}` });
            }
            if (r.azCount !== undefined && r.azCount !== ids.length) {
                issues.push({ path: `regions.${name}.azCount`, message: `is ${r.azCount} but availabilityZoneIds lists ${ids.length}; give one or make them agree` });
            }
            ids.forEach((id, i) => {
                const path = `regions.${name}.availabilityZoneIds.${i}`;
                if (!ZONE_ID.test(id)) {
                    issues.push({ path, message: `"${id}" is not a zone ID; use IDs like ${prefix}-az1 (zone names such as ${name}a differ per account)` });
                } else if (!id.startsWith(`${prefix}-`)) {
                    issues.push({ path, message: `"${id}" is not a zone of ${name}; its zone IDs start with "${prefix}-"` });
                } else if (UNSUPPORTED_ZONE_IDS.includes(id)) {
                    issues.push({ path, message: `"${id}" cannot hold the EKS control plane or RDS Proxy (unsupported zones: ${UNSUPPORTED_ZONE_IDS.join(", ")}); choose another zone of ${name}` });
                }
            });
        }
        return {
            name,
            role: r.role,
            weight: r.weight,
            cidr: cidrValue,
            azCount: ids?.length ?? r.azCount ?? DEFAULT_AZ_COUNT,
            azCountExplicit: ids !== undefined || r.azCount !== undefined,
            availabilityZoneIds: ids,
            apiMinReplicas: r.replicas?.api ?? c.api.minReplicas ?? preset.api.minReplicas,
            wsMinReplicas: r.replicas?.ws ?? c.ws.minReplicas ?? preset.ws.minReplicas,
        };
    });

    // Services.
    const service = (key: "api" | "ws", containerPort: number): ResolvedService => {
        const s = c[key];
        issues.push(...removedServiceKeyIssues(key, s));
        const base = preset[key];
        const resolved: ResolvedService = {
            image: s.image,
            containerPort: s.containerPort ?? containerPort,
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
    const api = service("api", DEFAULT_API_PORT);
    const ws = service("ws", DEFAULT_WS_PORT);

    // Workers.
    // Queues: overrides merge over the seed 003 queues field by field; `null` removes one.
    const queues: Record<string, QueueConfig> = {};
    for (const q of new Set([...Object.keys(DEFAULT_QUEUES), ...Object.keys(c.workers.queues)])) {
        const over = c.workers.queues[q];
        if (over === null) {
            if (!(q in DEFAULT_QUEUES)) {
                issues.push({ path: `workers.queues.${q}`, message: `null removes a default queue, but "${q}" is not one (defaults: ${Object.keys(DEFAULT_QUEUES).join(", ")}); delete the line` });
            }
            continue;
        }
        if (!DNS_LABEL.test(q)) {
            issues.push({ path: `workers.queues.${q}`, message: `queue name "${q}" must be a DNS label (lower-case letters, digits, '-')` });
        }
        const defaults: Partial<QueueConfig> = DEFAULT_QUEUES[q] ?? {};
        const missing = QUEUE_FIELDS.filter((f) => (over?.[f] ?? defaults[f]) === undefined);
        if (missing.length > 0) {
            issues.push({ path: `workers.queues.${q}`, message: `a queue that is not a default (${Object.keys(DEFAULT_QUEUES).join(", ")}) needs ${QUEUE_FIELDS.join(", ")}; missing ${missing.join(", ")}` });
            continue;
        }
        const v = { ...defaults, ...Object.fromEntries(Object.entries(over ?? {}).filter(([, x]) => x !== undefined)) } as QueueConfig;
        queues[q] = v;
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
        if (c.nodePools[name] === null) {
            if (!base) {
                issues.push({ path: `nodePools.${name}`, message: `null removes a pool of the ${c.tier} tier, but "${name}" is not one (tier pools: ${Object.keys(preset.nodePools).join(", ")}); delete the line` });
            }
            continue;
        }
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
            perZone: over.perZone ?? (over.capacityType ?? base?.capacityType ?? "on-demand") === "on-demand",
            detailedMonitoring: over.detailedMonitoring ?? false,
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
        if (pool.perZone) {
            for (const r of regions) {
                if (pool.maxSize < r.azCount) {
                    issues.push({ path: `nodePools.${name}.maxSize`, message: `must be >= ${r.azCount} (the zones of ${r.name}): with perZone every zone gets its own ASG and needs room for a node, got ${pool.maxSize}; raise maxSize or set perZone: false` });
                }
            }
        }
        if (pool.capacityType === "spot" && pool.instanceTypes.length < 3) {
            issues.push({ path: `nodePools.${name}.instanceTypes`, message: `a spot pool needs >= 3 instance types of similar size to ride out capacity shortages, got ${pool.instanceTypes.length} (${pool.instanceTypes.join(", ")})` });
        }
        nodePools[name] = pool;
    }

    if (c.network.flowLogs && c.network.flowLogDestination === "s3" && !c.network.flowLogBucketArn) {
        issues.push({ path: "network.flowLogBucketArn", message: "is required when network.flowLogDestination is s3: the ARN of the bucket (arn:aws:s3:::<bucket>) whose policy lets delivery.logs.amazonaws.com write" });
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
        const accessIssue = cidrProblem(value);
        if (accessIssue) {
            issues.push({ path: `cluster.privateAccessCidrs.${key}`, message: accessIssue });
        } else if (!parsed || parsed.prefix === 0) {
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

    // Cluster operations (issue 16): add-on versions, node AMI pin, named admins (platform/cluster-ops-config.ts).
    issues.push(...clusterOpsIssues(c.cluster, {
        prod,
        regionNames: Object.keys(c.regions),
        poolInstanceTypes: Object.fromEntries(Object.entries(nodePools).map(([k, p]) => [k, p.instanceTypes])),
        deployRoleArn: c.deployRunner.enabled ? c.deployRunner.deployRoleArn : undefined,
        previewRoleArn: c.deployRunner.enabled ? c.deployRunner.previewRoleArn : undefined,
    }));
    // --- application identity and secrets (issue 16 section 2) ---
    if (!database.iamAuthentication) {
        issues.push({ path: "database.iamAuthentication", message: "is false, but the application role logs in with IAM tokens only (RDS Proxy end-to-end IAM authentication and the replicas); remove the key or set it to true" });
    }
    if (database.appUsername.toLowerCase() === DEFAULT_MASTER_USERNAME) {
        issues.push({ path: "database.appUsername", message: `"${database.appUsername}" is the master user's name; the application gets its own role (e.g. "${DEFAULT_APP_USERNAME}")` });
    }
    if (database.masterPassword === "managed" && database.readReplicas + database.crossRegionReplicas.length > 0) {
        issues.push({
            path: "database.masterPassword",
            message: `"managed" cannot be combined with read replicas (readReplicas ${database.readReplicas}, crossRegionReplicas ${JSON.stringify(database.crossRegionReplicas)}): RDS does not create replicas of a source whose master password it manages (RDS User Guide, "Password management with Amazon RDS and AWS Secrets Manager", Limitations); use "generated" (the default) or set readReplicas: 0 and crossRegionReplicas: []`,
        });
    }
    if (!supportsKubernetes(EXTERNAL_SECRETS_COMPATIBILITY, c.cluster.kubernetesVersion)) {
        issues.push({
            path: "cluster.kubernetesVersion",
            message: `${c.cluster.kubernetesVersion} is outside what the pinned ${EXTERNAL_SECRETS_CHART.chart} chart ${EXTERNAL_SECRETS_COMPATIBILITY.chartVersion} supports (Kubernetes ${kubernetesRange(EXTERNAL_SECRETS_COMPATIBILITY)}, ${EXTERNAL_SECRETS_COMPATIBILITY.source}); use a version in that range or pin a release that lists it`,
        });
    }
    // --- end application identity ---

    // Kubernetes version: every pinned add-on must list it (components/cluster-addons.ts ADDON_COMPATIBILITY).
    for (const key of Object.keys(ADDON_CHARTS) as AddonKey[]) {
        const compat = ADDON_COMPATIBILITY[key];
        if (!supportsKubernetes(compat, c.cluster.kubernetesVersion)) {
            issues.push({
                path: "cluster.kubernetesVersion",
                message: `${c.cluster.kubernetesVersion} is outside what the pinned ${ADDON_CHARTS[key].chart} chart ${compat.chartVersion} supports (Kubernetes ${kubernetesRange(compat)}, ${compat.source}); use a version in that range or pin a release that lists it`,
            });
        }
    }

    // Cache purposes.
    // Overrides merge over the seed 003 purposes field by field; `null` removes one.
    const purposes: Record<string, CachePurposeConfig> = {};
    for (const purpose of new Set([...Object.keys(DEFAULT_CACHE_PURPOSES), ...Object.keys(c.cache.purposes)])) {
        const p = c.cache.purposes[purpose] ?? {};
        if (c.cache.purposes[purpose] === null) {
            if (!(purpose in DEFAULT_CACHE_PURPOSES)) {
                issues.push({ path: `cache.purposes.${purpose}`, message: `null removes a default purpose, but "${purpose}" is not one (defaults: ${Object.keys(DEFAULT_CACHE_PURPOSES).join(", ")}); delete the line` });
            }
            continue;
        }
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
    issues.push(...cachePurposeIssues(purposes));

    // seeds1: CDN name and TTLs, failover only with a second region.
    if (c.cdn.enabled && [c.edge.apiHostname, c.edge.wsHostname].includes(c.cdn.hostname)) {
        issues.push({ path: "cdn.hostname", message: `"${c.cdn.hostname}" is already served by the load balancers (edge.apiHostname / edge.wsHostname); choose another label such as "static"` });
    }
    if (c.cdn.htmlDefaultTtlSeconds > c.cdn.htmlMaxTtlSeconds) {
        issues.push({ path: "cdn.htmlDefaultTtlSeconds", message: `must not exceed cdn.htmlMaxTtlSeconds (${c.cdn.htmlMaxTtlSeconds}) (got ${c.cdn.htmlDefaultTtlSeconds}); lower it or raise the max` });
    }
    const backupRetention = c.backup.retentionDays ?? (prod ? PROD_BACKUP_PLAN_RETENTION_DAYS : DEFAULT_BACKUP_PLAN_RETENTION_DAYS);
    const backup = {
        ...c.backup,
        retentionDays: backupRetention,
        copyRetentionDays: c.backup.copyRetentionDays ?? backupRetention,
        copyToRegion: c.backup.copyToRegion ?? regions.find((r) => r.role === "secondary")?.name,
    };
    if (c.backup.copyToRegion !== undefined && !regions.some((r) => r.name === c.backup.copyToRegion && r.role === "secondary")) {
        issues.push({ path: "backup.copyToRegion", message: `must name a secondary region of the stack (${regions.filter((r) => r.role === "secondary").map((r) => r.name).join(", ") || "none"}) (got ${show(c.backup.copyToRegion)}); remove it for the first secondary region` });
    }
    if (c.backup.vaultLock && !prod) {
        issues.push({ path: "backup.vaultLock", message: `vault lock is for prod stacks (got it in ${c.environment}): a locked vault cannot be emptied, so the stack could not be torn down; remove the key` });
    }
    if (c.backup.enabled) {
        for (const pr of validateDatabaseBackupArgs({
            region: regions[0]?.name ?? "", resourceArns: [], schedule: backup.schedule, retentionDays: backup.retentionDays,
            copyRetentionDays: backup.copyRetentionDays, vaultLock: backup.vaultLock,
        }).list) {
            issues.push({ path: `backup.${pr.propertyPath}`, message: pr.reason });
        }
    }
    // Failover: to the primary (normal) or to a secondary region that holds a cross-region replica.
    const primaryName = regions.find((r) => r.role === "primary")?.name ?? regions[0]?.name;
    const activeRegion = c.failover.activeRegion ?? primaryName;
    if (c.failover.activeRegion !== undefined && !regions.some((r) => r.name === c.failover.activeRegion)) {
        issues.push({ path: "failover.activeRegion", message: `must be one of the stack's regions (${regions.map((r) => r.name).join(", ")}) (got ${show(c.failover.activeRegion)})` });
    } else if (activeRegion !== primaryName && !database.crossRegionReplicas.includes(activeRegion)) {
        issues.push({
            path: "failover.activeRegion",
            message: `${show(activeRegion)} holds no cross-region database replica to promote (replicas in: ${database.crossRegionReplicas.join(", ") || "none"}); ` +
                "fail over only to a region listed in database.crossRegionReplicas, or remove the key",
        });
    }
    if (c.uploads.replicate === true && regions.length < 2) {
        issues.push({ path: "uploads.replicate", message: "needs a secondary region to replicate the uploads bucket to (got true with one region); remove the key or add a region" });
    }
    if (c.cdn.failover === true && regions.length < 2) {
        issues.push({ path: "cdn.failover", message: "needs a secondary region to replicate the origin bucket to (got true with one region); remove the key or add a region" });
    }
    issues.push(...tagIssues(c.tags));

    // Images: every built-in service is built or named; prod names pinned images.
    const referenceApp = c.images.referenceApp ?? c.environment === "dev";
    issues.push(...imageIssues(c.environment, referenceApp, c.images.build, { api: c.api.image, ws: c.ws.image, worker: c.workers.image }));

    // Alerts: known threshold keys, positive values, percentages <= 100, critical above warning.
    for (const p of thresholdProblems(c.alerts.thresholds).list) {
        issues.push({ path: `alerts.${p.propertyPath}`, message: p.reason });
    }

    // issue 19 (seeds2): schedules checked against the replica floors and ceilings resolved above.
    const scalingResolved = resolveScaling(c.scaling, {
        api: { min: Math.max(...regions.map((r) => r.apiMinReplicas), api.minReplicas), max: api.maxReplicas },
        ws: { min: Math.max(...regions.map((r) => r.wsMinReplicas), ws.minReplicas), max: ws.maxReplicas },
        queues: Object.fromEntries(Object.entries(queues).map(([q, v]) => [q, { min: v.minReplicas, max: v.maxReplicas }])),
        nodePools: Object.fromEntries(Object.entries(nodePools).map(([n, p]) => [n, { min: p.minSize, max: p.maxSize }])),
    });
    issues.push(...scalingResolved.issues);
    issues.push(...queueBackendIssues(c.queueBackend, c.environment, {
        api: c.api.image ?? (c.images.build.api ? "built" : undefined),
        worker: c.workers.image ?? (c.images.build.worker ? "built" : undefined),
    }));
    // seeds1: a failover drains the primary region: its DNS weight moves to the active region.
    const resolvedRegions: RegionConfig[] = activeRegion === primaryName ? regions : regions.map((r) => ({
        ...r,
        weight: r.name === primaryName ? 0 : r.name === activeRegion ? r.weight + (regions.find((x) => x.name === primaryName)?.weight ?? 0) : r.weight,
    }));

    const resolved: PlatformConfig = {
        project,
        stack,
        environment: c.environment,
        tier: c.tier,
        domain: c.domain,
        hostedZoneId: c.hostedZoneId,
        regions: resolvedRegions,
        primaryRegion: resolvedRegions[0],
        tags: { project, stack, environment: c.environment, "managed-by": "pulumi", ...c.tags },
        protectData: c.protectData ?? prod,
        network: {
            natGateways: c.network.natGateways ?? (prod ? "perAz" : "single"),
            flowLogs: c.network.flowLogs,
            flowLogTrafficType: c.network.flowLogTrafficType,
            flowLogMaxAggregationInterval: c.network.flowLogMaxAggregationInterval as FlowLogAggregationInterval,
            flowLogDestination: c.network.flowLogDestination,
            flowLogBucketArn: c.network.flowLogBucketArn,
            flowLogRetentionDays: c.network.flowLogRetentionDays,
        },
        cluster: c.cluster,
        deployRunner: { ...runner, projectName: runnerProject, privilegedMode: runner.privilegedMode ?? (referenceApp || Object.keys(c.images.build).length > 0) },
        nodePools,
        api,
        ws,
        workers: {
            image: c.workers.image,
            resources: workerResources,
            queues,
            terminationGracePeriodSeconds: c.workers.terminationGracePeriodSeconds,
        },
        edge: c.edge,
        cdn: { ...c.cdn, failover: c.cdn.failover ?? regions.length > 1 },
        uploads: { ...c.uploads, replicate: c.uploads.replicate ?? regions.length > 1 },
        backup,
        failover: activeRegion === primaryName
            ? { activeRegion: activeRegion ?? "", failedOver: false }
            : { activeRegion, failedOver: true, drainedRegion: primaryName },
        database,
        cache: {
            engine: c.cache.engine,
            engineVersion: c.cache.engineVersion ?? (c.cache.engine === "valkey" ? "8.0" : "7.1"),
            purposes,
        },
        // Bad overrides are already issues: resolve the seed values instead of throwing mid-way.
        alerts: { ...c.alerts, thresholds: resolveThresholds(thresholdProblems(c.alerts.thresholds).count ? {} : c.alerts.thresholds) },
        images: { ...c.images, referenceApp },
        scaling: scalingResolved.scaling,
        queueBackend: c.queueBackend,
        observability: resolveObservability(c.observability, primaryName ?? ""),
    };
    // issue 19 item 3b: the Grafana region and the traces switches (platform/observability-config.ts).
    issues.push(...observabilityIssues(c.observability, regions.map((r) => r.name)));

    // Issue 17: the components' own checks of what the config decides, under the stack's keys (platform/config-checks.ts),
    // and the instance classes, tags and env names nothing else checks.
    issues.push(...stackLevelIssues(resolved, c));
    const componentIssues = componentConfigIssues(resolved, c as RawConfig).filter((i) => !issues.some((j) => j.path === i.path));
    const all = [...schemaIssues, ...[...issues, ...componentIssues].filter((i) => !removed.some((r) => related(i.path, r)))];
    if (all.length > 0) {
        throw new ConfigError(stack, dedupe(all));
    }
    return resolved;
}

/** Top-level keys of the schema, in the project's namespace. */
export const CONFIG_KEYS = Object.keys(rawConfigSchema.shape) as (keyof typeof rawConfigSchema.shape)[];

/**
 * Problems with the stack's flat `namespace:key` names (as `pulumi config` and `Pulumi.<stack>.yaml` spell them):
 * a namespace that is almost the project's (`scaled_web:`, `scaledweb:`, `Scaled-Web:`, `scaled-web-:`; equal after
 * dropping case and punctuation, or within 2 edits) would be silently ignored, and so would an unknown key of the
 * project's own namespace. Other namespaces (`aws:region`, `kubernetes:…`, another project's) are left alone.
 */
export function configKeyIssues(fullKeys: readonly string[], project: string = PROJECT_NAME): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const known: readonly string[] = CONFIG_KEYS;
    for (const fullKey of fullKeys) {
        const colon = fullKey.indexOf(":");
        if (colon < 0) {
            continue;
        }
        const ns = fullKey.slice(0, colon);
        const key = fullKey.slice(colon + 1);
        if (ns === project) {
            if (!known.includes(key)) {
                const suggestion = closestMatch(key, known);
                issues.push({
                    path: key,
                    message: `unknown key ${show(fullKey)}; ${suggestion !== undefined ? `did you mean ${project}:${suggestion}?` : `known keys are ${known.join(", ")}`}`,
                });
            }
        } else if (normalise(ns) === normalise(project) || editDistance(ns.toLowerCase(), project) <= 2) {
            const suggestion = known.includes(key) ? key : closestMatch(key, known) ?? key;
            issues.push({
                path: suggestion,
                message: `"${fullKey}" is in namespace "${ns}", which this project never reads (got ${show(fullKey)}); did you mean ${project}:${suggestion}?`,
            });
        }
    }
    return issues;
}

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
    issues.push(...configKeyIssues(Object.keys(pulumi.runtime.allConfig())));
    let config: PlatformConfig;
    try {
        config = parseConfig(raw, stack);
    } catch (e) {
        // Report the key problems together with the schema's, in one error.
        if (e instanceof ConfigError && issues.length > 0) {
            throw new ConfigError(stack, [...issues, ...e.issues]);
        }
        throw e;
    }
    if (issues.length > 0) {
        throw new ConfigError(stack, issues);
    }
    return config;
}

// ---------------------------------------------------------------------------------------------
// traffic (issue 16): keys that no longer exist, refused with their replacement.
// ---------------------------------------------------------------------------------------------

/**
 * `api.nodePort` / `ws.nodePort` are gone: the ALB registers the pods by IP on their container port (AWS Load
 * Balancer Controller, TargetGroupBinding) and the Services are ClusterIP. A stack file that still sets one is
 * refused, naming what replaces it, so nobody believes a port is still fixed on the nodes.
 */
export function removedServiceKeyIssues(key: "api" | "ws", raw: { nodePort?: unknown }): { path: string; message: string }[] {
    if (raw.nodePort === undefined) {
        return [];
    }
    return [{
        path: `${key}.nodePort`,
        message: `is no longer used (got ${show(raw.nodePort)}): the ALB now sends traffic straight to the ${key} pods by IP on ${key}.containerPort ` +
            `(TargetGroupBinding through the AWS Load Balancer Controller) and the Service is ClusterIP; remove ${key}.nodePort from the stack file`,
    }];
}
