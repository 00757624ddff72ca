/**
 * Issue 17, "Must show": malformed stack files through the real plan entry point (`main` of scripts/plan-cli.ts,
 * what `npm run plan` runs; in-process, as tests/plan.test.ts drives it, so 60+ rows stay fast).
 *
 * Each row is one class of mistake, written into a copy of Pulumi.dev.yaml or Pulumi.prod.yaml: the plan must exit 2
 * with the stack file's name, the key path `scaled-web:<path>`, the value it received and a fix in the stack file's
 * own terms, and no stack trace. Valid controls (dev and prod variants) must plan with exit 0, and one file with
 * five independent mistakes from different stages must report all five in one run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { Writable } from "stream";
import { main, plan, parseArgs } from "../scripts/plan-cli";
import { cachedProgramRunner } from "./harness";
import { AWS_MAX_TAGS_PER_RESOURCE, PROGRAM_TAGS_MAX } from "../platform/config";
import { EC2_INSTANCE_TYPES, ELASTICACHE_NODE_TYPES, RDS_POSTGRES_CLASSES } from "../platform/aws-catalog";
import { TIER_PRESETS } from "../platform/tiers";

const ROOT = path.resolve(__dirname, "..");
const BASES = {
    dev: YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")),
    prod: YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")),
};
type Base = keyof typeof BASES;
/** Edits: `a/b/c` sets config `scaled-web:a` at b.c (undefined deletes); a key with ":" sets that raw config key. */
type Edit = Record<string, unknown>;

let dir: string;
let counter = 0;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "malformed-stack-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function stackDoc(base: Base, edit: Edit): any {
    const doc = JSON.parse(JSON.stringify(BASES[base]));
    for (const [k, v] of Object.entries(edit)) {
        if (k.includes(":") && !k.includes("/")) {
            doc.config[k] = v;
            continue;
        }
        const [top, ...rest] = k.split("/");
        const key = `scaled-web:${top}`;
        if (rest.length === 0) {
            if (v === undefined) {
                delete doc.config[key];
            } else {
                doc.config[key] = v;
            }
            continue;
        }
        doc.config[key] = doc.config[key] ?? {};
        let cur = doc.config[key];
        for (const seg of rest.slice(0, -1)) {
            cur[seg] = cur[seg] ?? {};
            cur = cur[seg];
        }
        if (v === undefined) {
            delete cur[rest[rest.length - 1]];
        } else {
            cur[rest[rest.length - 1]] = v;
        }
    }
    return doc;
}

/** Runs `npm run plan -- --stack <name> --project-dir <tmp>` in-process on the edited stack file. */
async function runPlan(base: Base, edit: Edit): Promise<{ code: number; stderr: string; stack: string }> {
    const stack = `case${counter++}`;
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), YAML.stringify(stackDoc(base, edit)));
    let stderr = "";
    const sink = (onWrite: (s: string) => void): Writable => new Writable({ write(chunk, _e, cb) { onWrite(String(chunk)); cb(); } });
    // As scripts/plan.js does: no JavaScript stack traces unless --debug.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        const code = await main(["--no-progress", "--project-dir", dir, "--stack", stack, "--format", "json"],
            { stdout: sink(() => undefined) as unknown as NodeJS.WritableStream, stderr: sink((s) => { stderr += s; }) as unknown as NodeJS.WriteStream }, {}, cachedProgramRunner);
        return { code, stderr, stack };
    } finally {
        Error.stackTraceLimit = limit;
    }
}

const TRACE = /\n\s+at\s|\.ts:\d+:\d+|unexpected error/;
const tags = (n: number, prefix = "t"): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "v"]));
const SPOT3 = ["m7i.large", "m6i.large", "m6a.large"];

/** [class, base, edit, key path, value as the message shows it, the fix]. */
const ROWS: [string, Base, Edit, string, string, string | RegExp][] = [
    // Keys and namespaces.
    ["unknown top-level key", "dev", { nodePoolz: {} }, "nodePoolz", "scaled-web:nodePoolz", "did you mean scaled-web:nodePools?"],
    ["near-miss namespace", "dev", { "scaled_web:tier": "medium" }, "tier", "scaled_web:tier", "did you mean scaled-web:tier?"],
    ["unknown nested key", "dev", { "database/instanceClas": "db.m7g.large" }, "database.instanceClas", "instanceClas", "did you mean \"instanceClass\"?"],
    // Top-level values.
    ["environment not offered", "dev", { environment: "production" }, "environment", "\"production\"", "must be one of dev, staging, prod"],
    ["tier not offered", "dev", { tier: "huge" }, "tier", "\"huge\"", "must be one of small, medium, large, enterprise"],
    ["domain not a DNS name", "dev", { domain: "Dev.Example.COM" }, "domain", "\"Dev.Example.COM\"", "lower-case DNS name"],
    ["hosted zone id malformed", "dev", { hostedZoneId: "zone-1" }, "hostedZoneId", "\"zone-1\"", "Route53 zone id such as"],
    // Regions.
    ["region unknown", "dev", { regions: { "us-east-9": { role: "primary", weight: 100 } } }, "regions.us-east-9", "us-east-9", "use one of us-east-1"],
    ["weights do not sum to 100", "dev", { "regions/us-east-1/weight": 90 }, "regions.*.weight", "us-east-1=90", "must sum to 100"],
    ["two primaries", "prod", { "regions/us-west-2/role": "primary" }, "regions", "us-east-1, us-west-2", "exactly one region must have role \"primary\""],
    ["role misspelt", "dev", { "regions/us-east-1/role": "main" }, "regions.us-east-1.role", "\"main\"", "must be \"primary\" or \"secondary\""],
    ["pool capacity type misspelt", "dev", { "nodePools/workers/capacityType": "spotty" }, "nodePools.workers.capacityType", "\"spotty\"", "must be \"on-demand\" or \"spot\""],
    ["CIDR host bits", "dev", { "regions/us-east-1/cidr": "10.10.0.1/16" }, "regions.us-east-1.cidr", "\"10.10.0.1/16\"", "use \"10.10.0.0/16\""],
    ["CIDR octet out of range", "dev", { "regions/us-east-1/cidr": "10.300.0.0/16" }, "regions.us-east-1.cidr", "\"10.300.0.0/16\"", "each of the four numbers must be 0-255"],
    ["VPC CIDR too small", "dev", { "regions/us-east-1/cidr": "10.10.0.0/24" }, "regions.us-east-1.cidr", "\"10.10.0.0/24\"", "must be /16 to /20"],
    ["CIDRs overlap", "prod", { "regions/us-west-2/cidr": "10.10.0.0/17" }, "regions.us-west-2.cidr", "10.10.0.0/17", "non-overlapping CIDRs"],
    ["zone names instead of IDs", "dev", { "regions/us-east-1/availabilityZones": ["us-east-1a", "us-east-1b"] }, "regions.us-east-1.availabilityZones", "us-east-1a, us-east-1b", "pin zone IDs with availabilityZoneIds"],
    ["zone ID of another region", "dev", { "regions/us-east-1/availabilityZoneIds": ["usw2-az1", "usw2-az2"] }, "regions.us-east-1.availabilityZoneIds.0", "\"usw2-az1\"", "start with \"use1-\""],
    ["zone ID EKS cannot use", "dev", { "regions/us-east-1/availabilityZoneIds": ["use1-az3", "use1-az1"] }, "regions.us-east-1.availabilityZoneIds.0", "\"use1-az3\"", "choose another zone of us-east-1"],
    ["zone ID not in the region", "dev", { "regions/us-east-1/availabilityZoneIds": ["use1-az1", "use1-az9"] }, "regions.us-east-1.availabilityZoneIds", "use1-az9", "pin zone IDs from the available list"],
    ["more zones than the region has", "prod", { "regions/us-west-2/azCount": 6 }, "regions.us-west-2.azCount", "got 6", "lower regions.us-west-2.azCount"],
    ["azCount out of range", "dev", { "regions/us-east-1/azCount": 7 }, "regions.us-east-1.azCount", "got 7", "must be 2-6"],
    ["replica floor above the ceiling", "prod", { "regions/us-east-1/replicas/api": 50 }, "api.maxReplicas", "50", "raise api.maxReplicas"],
    // Services.
    ["request above limit", "dev", { "api/resources": { requests: { cpu: "2", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } } }, "api.resources.requests.cpu", "request 2", "requests must be <= limits"],
    ["CPU quantity malformed", "dev", { "api/resources": { requests: { cpu: "lots", memory: "128Mi" } } }, "api.resources.requests.cpu", "\"lots\"", "Kubernetes CPU quantity such as"],
    // The ALB reaches pods by IP (TargetGroupBinding): a NodePort left in an old stack file is refused, not ignored.
    ["api nodePort left from before IP targets", "dev", { "api/nodePort": 8080 }, "api.nodePort", "8080", "remove api.nodePort from the stack file"],
    ["ws nodePort left from before IP targets", "dev", { "ws/nodePort": 30080 }, "ws.nodePort", "30080", "remove ws.nodePort from the stack file"],
    ["container port below 1024", "dev", { "api/containerPort": 80 }, "api.containerPort", "got 80", "1024-65535 (the pods run as non-root)"],
    ["secret in plain env", "dev", { "api/env": { DB_PASSWORD: "hunter2" } }, "api.env.DB_PASSWORD", "DB_PASSWORD", "remove it"],
    ["credentials URL in env", "dev", { "ws/env": { CACHE_ENDPOINT: "redis://user:pw@cache:6379" } }, "ws.env.CACHE_ENDPOINT", "CACHE_ENDPOINT", "remove it"],
    ["env shadows a program variable", "dev", { "api/env": { APP_ROLE: "worker" } }, "api.env.APP_ROLE", "APP_ROLE", "remove it"],
    ["env name invalid", "dev", { "api/env": { "1ST": "x" } }, "api.env.1ST", "\"1ST\"", "letters, digits, '_', not starting with a digit"],
    // Images.
    ["image reference malformed", "dev", { "api/image": "Not An Image" }, "api.image", "\"Not An Image\"", "container image reference such as"],
    ["prod image on latest", "prod", { "api/image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/prod/api:latest" }, "api.image", ":latest\"", "use e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/prod/api:1.4.2\""],
    ["prod image missing", "prod", { "ws/image": undefined }, "ws.image", "is required in prod", "name the ws image pinned by tag or digest"],
    ["prod builds the reference app", "prod", { "images/referenceApp": true }, "images.referenceApp", "is true", "remove images.referenceApp"],
    ["build context missing", "dev", { "images/build": { api: { context: "services/api" } } }, "images.build.api.context", "\"services/api\"", "create it or give a directory relative to"],
    ["Dockerfile missing", "dev", { "images/build": { api: { context: "app", dockerfile: "Dockerfile.prod" } } }, "images.build.api.dockerfile", "\"Dockerfile.prod\"", "set dockerfile to its path relative to the context"],
    ["build platform not offered", "dev", { "images/build": { api: { context: "app", platform: "linux/386" } } }, "images.build.api.platform", "\"linux/386\"", "must be \"linux/amd64\" or \"linux/arm64\""],
    ["build platform underivable", "dev", { nodePools: { graviton: { instanceTypes: ["m7g.large"], minSize: 2, maxSize: 4 } } }, "images.build.api.platform", "m7g.large", "set it to \"linux/amd64\" or \"linux/arm64\""],
    ["image services repeated", "dev", { "images/services": ["api", "api", "ws", "worker"] }, "images.services", "[\"api\",\"api\",\"ws\",\"worker\"]", "must not repeat a service"],
    ["repository prefix malformed", "dev", { "images/repositoryPrefix": "Team Repos" }, "images.repositoryPrefix", "\"Team Repos\"", "lower-case parts joined by \"/\""],
    // Node pools.
    ["instance type malformed", "dev", { "nodePools/general/instanceTypes": ["m7i-large"] }, "nodePools.general.instanceTypes.0", "\"m7i-large\"", "EC2 instance type such as \"m7i.large\""],
    ["instance type does not exist", "dev", { "nodePools/general/instanceTypes": ["m9z.large"] }, "nodePools.general.instanceTypes.0", "\"m9z.large\"", "no family \"m9z\""],
    ["instance size does not exist", "dev", { "nodePools/general/instanceTypes": ["t4g.4xlarge"] }, "nodePools.general.instanceTypes.0", "\"t4g.4xlarge\"", "t4g comes in"],
    ["pool mixes sizes", "dev", { "nodePools/general/instanceTypes": ["m7i.large", "m7i.xlarge"] }, "nodePools.general.instanceTypes", "[\"m7i.large\",\"m7i.xlarge\"]", "must all be one size"],
    ["pool repeats a type", "dev", { "nodePools/workers/instanceTypes": ["m7i.large", "m7i.large", "m6i.large"] }, "nodePools.workers.instanceTypes", "[\"m7i.large\",\"m7i.large\",\"m6i.large\"]", "must not repeat a type"],
    ["spot pool with too few types", "dev", { "nodePools/workers/instanceTypes": ["m7i.large"] }, "nodePools.workers.instanceTypes", "got 1 (m7i.large)", "needs >= 3 instance types"],
    ["pool minSize above maxSize", "dev", { "nodePools/general/minSize": 5 }, "nodePools.general.minSize", "got 5", "must be <= maxSize (4)"],
    ["on-demand pool below two nodes", "dev", { "nodePools/general": { minSize: 1, desiredSize: 1 } }, "nodePools.general.minSize", "got 1", "keeps >= 2 nodes"],
    ["desiredSize outside min/max", "dev", { "nodePools/workers/desiredSize": 9 }, "nodePools.workers.desiredSize", "got 9", "must be within [minSize, maxSize]"],
    ["per-zone pool smaller than its zones", "dev", { "nodePools/general": { maxSize: 2 } }, "nodePools.general.maxSize", "got 2", "raise maxSize or set perZone: false"],
    ["onDemandBase on an on-demand pool", "dev", { "nodePools/general/onDemandBase": 1 }, "nodePools.general.onDemandBase", "got 1", "remove it, or set capacityType: spot"],
    ["onDemandBase above maxSize", "dev", { "nodePools/workers/onDemandBase": 9 }, "nodePools.workers.onDemandBase", "got 9", "from 0 to maxSize (3)"],
    ["new pool without its essentials", "dev", { "nodePools/gpu": { capacityType: "on-demand" } }, "nodePools.gpu", "gpu", "needs at least instanceTypes and maxSize"],
    ["removing a pool that is not the tier's", "dev", { nodePools: { batch: null } }, "nodePools.batch", "\"batch\"", "delete the line"],
    ["removing the only spot pool", "dev", { nodePools: { workers: null } }, "nodePools", "removed: workers", "add a pool with capacityType: spot"],
    ["disk below 20 GiB", "dev", { "nodePools/general/diskSizeGiB": 10 }, "nodePools.general.diskSizeGiB", "got 10", "must be >= 20"],
    // Database.
    ["DB instance class malformed", "dev", { "database/instanceClass": "m7g.large" }, "database.instanceClass", "\"m7g.large\"", "RDS instance class such as \"db.m7g.large\""],
    ["DB instance class does not exist", "dev", { database: { instanceClass: "db.m7g.larg", memoryGiB: 8 } }, "database.instanceClass", "\"db.m7g.larg\"", "db.m7g comes in large"],
    ["DB class of another engine only", "dev", { database: { instanceClass: "db.serverless.large", memoryGiB: 8 } }, "database.instanceClass", "\"db.serverless.large\"", "use e.g. \"db.m7g.large\""],
    ["DB class only for Multi-AZ DB clusters", "dev", { database: { instanceClass: "db.m6gd.large", memoryGiB: 8 } }, "database.instanceClass", "\"db.m6gd.large\"", "families: db.m5, db.m6g, db.m6i"],
    ["custom class without memory", "dev", { "database/instanceClass": "db.r7g.large" }, "database.memoryGiB", "db.r7g.large", "is required with a custom instanceClass"],
    ["PostgreSQL too old", "dev", { "database/engineVersion": "12" }, "database.engineVersion", "\"12\"", "PostgreSQL 13 or later"],
    ["engine version unquoted", "dev", { "database/engineVersion": 16.1 }, "database.engineVersion", "16.1", "quote it"],
    ["storage above the gp3 maximum", "dev", { database: { allocatedStorageGiB: 70000, maxAllocatedStorageGiB: 70000 } }, "database.allocatedStorageGiB", "got 70000", "from 20 (the gp3 minimum) to 65536"],
    ["autoscaling ceiling below storage", "dev", { database: { allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 } }, "database.maxAllocatedStorageGiB", "got 50", "must be >= allocatedStorageGiB (100)"],
    ["too many read replicas", "dev", { "database/readReplicas": 20 }, "database.readReplicas", "got 20", "from 0 to 15"],
    ["replicas without backups", "dev", { database: { readReplicas: 1, backupRetentionDays: 0 } }, "database.backupRetentionDays", "got 0", "must be > 0 when the database has read replicas"],
    ["prod backups too short", "prod", { "database/backupRetentionDays": 7 }, "database.backupRetentionDays", "got 7", "prod keeps backups >= 14 days"],
    ["cross-region replica in an unknown region", "prod", { "database/crossRegionReplicas": ["eu-west-1"] }, "database.crossRegionReplicas.0", "\"eu-west-1\"", "is not one of this stack's regions (us-east-1, us-west-2)"],
    ["cross-region replica twice", "prod", { "database/crossRegionReplicas": ["us-west-2", "us-west-2"] }, "database.crossRegionReplicas", "[\"us-west-2\",\"us-west-2\"]", "must not name a region twice"],
    ["instance identifier malformed", "dev", { "database/instanceIdentifiers": { primary: "Prod_DB" } }, "database.instanceIdentifiers.primary", "\"Prod_DB\"", "lower-case letters, digits or single hyphens"],
    ["log retention CloudWatch refuses", "dev", { "database/logRetentionDays": 10 }, "database.logRetentionDays", "got 10", "periods CloudWatch Logs accepts"],
    // Cache.
    ["cache engine not offered", "dev", { "cache/engine": "memcached" }, "cache.engine", "\"memcached\"", "must be \"valkey\" or \"redis\""],
    ["cache engine version too old", "dev", { "cache/engineVersion": "6.2" }, "cache.engineVersion", "\"6.2\"", "7.2, 8.0, 8.1"],
    ["cache engine version that does not exist", "dev", { "cache/engineVersion": "8.5" }, "cache.engineVersion", "\"8.5\"", "or leave it out for 8.0"],
    ["cache engine version with a patch", "dev", { cache: { engine: "redis", engineVersion: "7.1.0" } }, "cache.engineVersion", "\"7.1.0\"", "6.0, 6.2, 7.0, 7.1"],
    ["cache node type malformed", "dev", { "cache/purposes": { cache: { nodeType: "m7g.large" } } }, "cache.purposes.cache.nodeType", "\"m7g.large\"", "ElastiCache node type such as \"cache.m7g.large\""],
    ["cache node type does not exist", "dev", { "cache/purposes": { cache: { nodeType: "cache.m7i.large" } } }, "cache.purposes.cache.nodeType", "\"cache.m7i.large\"", "use e.g. \"cache.m7g.large\""],
    ["cache node type of a previous generation", "dev", { "cache/purposes": { sessions: { nodeType: "cache.t2.micro" } } }, "cache.purposes.sessions.nodeType", "\"cache.t2.micro\"", "families: cache.t3, cache.t4g"],
    ["queue store evicts", "dev", { "cache/purposes": { queue: { maxmemoryPolicy: "allkeys-lru" } } }, "cache.purposes.queue.maxmemoryPolicy", "\"allkeys-lru\"", "set maxmemoryPolicy: noeviction"],
    ["every queue store removed", "dev", { "cache/purposes": { queue: null, cache: null } }, "cache.purposes", "both are removed", "drop one of the null entries"],
    ["purpose name too long", "dev", { "cache/purposes": { "rate-limiter-counters": {} } }, "cache.purposes.rate-limiter-counters", "rate-limiter-counters", "at most 17 characters here"],
    ["cache group too large", "dev", { "cache/purposes": { cache: { shards: 100, replicasPerShard: 5 } } }, "cache.purposes.cache", "100 shards x (1 + 5 replicas)", "500 per replication group"],
    ["removing a purpose that is not a default", "dev", { "cache/purposes": { search: null } }, "cache.purposes.search", "\"search\"", "delete the line"],
    // Workers.
    ["new queue without its fields", "dev", { "workers/queues": { emails: { minReplicas: 1 } } }, "workers.queues.emails", "missing maxReplicas, threshold, concurrency", "needs minReplicas, maxReplicas, threshold, concurrency"],
    ["queue minReplicas above max", "dev", { "workers/queues": { analytics: { minReplicas: 9 } } }, "workers.queues.analytics.minReplicas", "got 9", "must be <= maxReplicas (3)"],
    ["every queue removed", "dev", { "workers/queues": { "sla-checks": null, notifications: null, analytics: null } }, "workers.queues", "workers.queues.<name>: null", "or add one"],
    ["queue name too long", "dev", { "workers/queues": { ["q".repeat(60)]: { minReplicas: 1, maxReplicas: 2, threshold: 5, concurrency: 1 } } }, `workers.queues.${"q".repeat(60)}`, "q".repeat(60), "shorten the queue name (at most 56 characters"],
    ["grace period too short", "dev", { "workers/terminationGracePeriodSeconds": 10 }, "workers.terminationGracePeriodSeconds", "got 10", "must be >= 30"],
    // Tags.
    ["reserved aws: tag", "dev", { "tags/aws:owner": "me" }, "tags.aws:owner", "\"aws:owner\"", "rename the key without the aws: prefix"],
    ["too many tags", "dev", { tags: tags(45) }, "tags", "has 45 tags", `keep at most ${AWS_MAX_TAGS_PER_RESOURCE - PROGRAM_TAGS_MAX}`],
    ["tag value too long", "dev", { "tags/owner": "x".repeat(300) }, "tags.owner", "got 300", "shorten the value"],
    // Alerts.
    ["critical below warning", "dev", { "alerts/thresholds": { cpu: { warning: 90, critical: 80 } } }, "alerts.thresholds.cpu.critical", "got 80", "raise critical or lower warning"],
    ["unknown threshold", "dev", { "alerts/thresholds": { cpuu: { warning: 70 } } }, "alerts.thresholds.cpuu", "cpuu", "known thresholds are cpu"],
    ["alert e-mail malformed", "dev", { "alerts/emails": ["oncall-at-example.com"] }, "alerts.emails.0", "\"oncall-at-example.com\"", "must be an e-mail address"],
    ["alert e-mail listed twice", "dev", { "alerts/emails": ["oncall@example.com", "OnCall@example.com"] }, "alerts.emails.1", "\"OnCall@example.com\"", "list each address once"],
    ["alert endpoint not https", "dev", { "alerts/httpsEndpoints": ["http://hooks.example.com/x"] }, "alerts.httpsEndpoints.0", "\"http://hooks.example.com/x\"", "must be an https:// URL"],
    // Edge.
    ["ws and api hostnames equal", "dev", { "edge/wsHostname": "api" }, "edge.wsHostname", "both \"api\"", "must differ from edge.apiHostname"],
    ["ws paths that collide", "dev", { "edge/wsPaths": ["/ws/*", "/ws/*"] }, "edge.wsPaths", "[\"/ws/*\",\"/ws/*\"]", "must differ in more than punctuation"],
    ["idle timeout above the ALB maximum", "dev", { "edge/idleTimeoutSeconds": 86400 }, "edge.idleTimeoutSeconds", "86400", "must be 1-4000"],
    ["api health path inside ws paths", "dev", { "edge/healthCheckPath": "/socket.io/health" }, "edge.healthCheckPath", "\"/socket.io/health\"", "pick an api health path outside edge.wsPaths"],
    ["health check interval Route53 refuses", "dev", { "edge/healthCheckIntervalSeconds": 15 }, "edge.healthCheckIntervalSeconds", "got 15", "must be 10 or 30"],
    // Network.
    ["s3 flow logs without a bucket", "dev", { "network/flowLogDestination": "s3" }, "network.flowLogBucketArn", "flowLogDestination is s3", "the ARN of the bucket"],
    ["flow log interval EC2 refuses", "dev", { "network/flowLogMaxAggregationInterval": 300 }, "network.flowLogMaxAggregationInterval", "got 300", "must be 60 or 600"],
    // Cluster.
    ["public endpoint without CIDRs", "dev", { "cluster/publicEndpoint": true }, "cluster.publicAccessCidrs", "got []", "must list the CIDRs allowed"],
    ["public endpoint open to the world", "dev", { cluster: { publicEndpoint: true, publicAccessCidrs: ["0.0.0.0/0"] } }, "cluster.publicAccessCidrs", "contains 0.0.0.0/0", "set cluster.allowPublicAccessFromAnywhere: true"],
    ["public CIDR with host bits", "dev", { cluster: { publicEndpoint: true, publicAccessCidrs: ["203.0.113.7/24"] } }, "cluster.publicAccessCidrs.0", "\"203.0.113.7/24\"", "such as \"203.0.113.0/24\""],
    ["private access key reserved", "dev", { "cluster/privateAccessCidrs": { "deploy-runner": "10.99.0.0/16" } }, "cluster.privateAccessCidrs.deploy-runner", "\"deploy-runner\"", "key must be a DNS label other than \"deploy-runner\""],
    ["security groups of a region the stack lacks", "dev", { "cluster/privateAccessSecurityGroups": { "eu-west-1": { bastion: "sg-0123456789abcdef0" } } }, "cluster.privateAccessSecurityGroups.eu-west-1", "\"eu-west-1\"", "security groups are regional"],
    ["Kubernetes version the add-ons do not support", "dev", { "cluster/kubernetesVersion": "1.20" }, "cluster.kubernetesVersion", "1.20", "use one of those"],
    ["Kubernetes version unquoted", "dev", { "cluster/kubernetesVersion": 1.3 }, "cluster.kubernetesVersion", "1.3", "quote it"],
    // Deploy runner.
    ["runner without a repository", "dev", { "deployRunner/repository": undefined }, "deployRunner.repository", "deployRunner.enabled is true", "the GitHub repository \"owner/name\""],
    ["runner timeout out of range", "dev", { "deployRunner/buildTimeoutMinutes": 9999 }, "deployRunner.buildTimeoutMinutes", "got 9999", "from 5 to 2160"],
    ["deploy role not a role ARN", "dev", { "deployRunner/deployRoleArn": "scaled-web-deploy" }, "deployRunner.deployRoleArn", "\"scaled-web-deploy\"", "must be an IAM role ARN such as"],
];

test("the table has at least 60 classes, each named once", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(ROWS.map((r) => r[0])).size).toBe(ROWS.length);
});

describe.each(ROWS)("%s", (_name, base, edit, key, value, fix) => {
    test("exit 2 naming the file, the key, the value and the fix, without a stack trace", async () => {
        const { code, stderr, stack } = await runPlan(base, edit);
        expect(stderr).not.toMatch(TRACE);
        expect(code).toBe(2);
        expect(stderr).toContain(`Pulumi.${stack}.yaml`);
        const line = stderr.split("\n").find((l) => l.startsWith(`  - scaled-web:${key}: `));
        expect({ stderr, line }).toEqual({ stderr, line: expect.any(String) });
        expect(line).toContain(value);
        if (typeof fix === "string") {
            expect(line).toContain(fix);
        } else {
            expect(line).toMatch(fix);
        }
    });
});

describe("valid controls plan with exit 0", () => {
    const CONTROLS: [string, Base, Edit][] = [
        ["dev as checked in", "dev", {}],
        ["prod as checked in", "prod", {}],
        ["staging from the dev file, medium tier", "dev", { environment: "staging", tier: "medium", "images/referenceApp": true }],
        ["dev with a spot pool replaced by another", "dev", { nodePools: { workers: null, batch: { capacityType: "spot", instanceTypes: SPOT3, maxSize: 3 } } }],
        ["dev with tags up to the budget and pinned zones", "dev", { tags: tags(AWS_MAX_TAGS_PER_RESOURCE - PROGRAM_TAGS_MAX), "regions/us-east-1/availabilityZoneIds": ["use1-az1", "use1-az2", "use1-az4"] }],
        ["prod with a digest image, a Graviton database and cache, one queue removed", "prod", {
            "api/image": `123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/prod/api@sha256:${"a".repeat(64)}`,
            database: { instanceClass: "db.r7g.xlarge", memoryGiB: 32 },
            "cache/purposes": { sessions: { nodeType: "cache.r7g.large" } },
            "workers/queues": { analytics: null },
        }],
    ];
    test.each(CONTROLS)("%s", async (_name, base, edit) => {
        const { code, stderr } = await runPlan(base, edit);
        expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    });
});

test("five independent mistakes from different stages (and a near-miss namespace) are reported in one run", async () => {
    const { code, stderr } = await runPlan("dev", {
        "scaled_web:protectData": true, // a namespace that is almost the project's
        tier: "huge", // schema
        "regions/us-east-1/weight": 90, // cross-field rule
        "database/engineVersion": "12", // formerly the Database component's check
        "api/env": { DB_PASSWORD: "hunter2" }, // formerly the RegionalDeployment component's check
        "cache/purposes": { cache: { nodeType: "cache.m7i.large" } }, // instance class table
    });
    expect(code).toBe(2);
    expect(stderr).not.toMatch(TRACE);
    expect(stderr).toMatch(/has an invalid configuration \(Pulumi\.case\d+\.yaml\), 6 problems:/);
    for (const key of ["protectData", "tier", "regions.*.weight", "database.engineVersion", "api.env.DB_PASSWORD", "cache.purposes.cache.nodeType"]) {
        expect(stderr).toContain(`  - scaled-web:${key}: `);
    }
});

describe("tables", () => {
    test("the tier presets use classes the tables list", () => {
        for (const preset of Object.values(TIER_PRESETS)) {
            const [family, size] = [preset.database.instanceClass.slice(0, preset.database.instanceClass.lastIndexOf(".")), preset.database.instanceClass.split(".").pop()!];
            expect(RDS_POSTGRES_CLASSES[family]).toContain(size);
            const cache = preset.cache.nodeType;
            expect(ELASTICACHE_NODE_TYPES[cache.slice(0, cache.lastIndexOf("."))]).toContain(cache.split(".").pop());
            for (const pool of Object.values(preset.nodePools)) {
                pool.instanceTypes.forEach((t) => expect(EC2_INSTANCE_TYPES.has(t)).toBe(true));
            }
        }
    });
});

describe.each(["dev", "prod"])("the %s plan's tags", (stack) => {
    test(`no resource carries more than the stack's tags plus PROGRAM_TAGS_MAX (${PROGRAM_TAGS_MAX})`, async () => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        let result;
        try {
            result = await plan(parseArgs(["--stack", stack], ROOT) as Exclude<ReturnType<typeof parseArgs>, "help">, undefined, cachedProgramRunner);
        } finally {
            Error.stackTraceLimit = limit;
        }
        const stackTags = Object.keys(BASES[stack as Base].config["scaled-web:tags"] ?? {});
        // Map tags get the providers' default tags (the stack's tags plus region) on top; an Auto Scaling group's
        // list of { key, value, propagateAtLaunch } does not (default_tags skip aws_autoscaling_group) but reaches its instances.
        const defaults = ["region", "project", "stack", "environment", "managed-by", ...stackTags];
        const counts = result.resources
            .filter((r) => r.type.startsWith("aws:") && r.inputs.tags && typeof r.inputs.tags === "object")
            .map((r) => (Array.isArray(r.inputs.tags)
                ? new Set(r.inputs.tags.map((t: { key: string }) => t.key)).size
                : new Set([...Object.keys(r.inputs.tags), ...defaults]).size));
        expect(counts.length).toBeGreaterThan(20);
        expect(Math.max(...counts) - stackTags.length).toBeLessThanOrEqual(PROGRAM_TAGS_MAX);
        // Not far below either: the budget the stack file gets should be what the program leaves.
        expect(Math.max(...counts) - stackTags.length).toBeGreaterThanOrEqual(PROGRAM_TAGS_MAX - 2);
    });
});

test("a value the schema refuses is reported once: the checks that would follow from it are left out", async () => {
    const { code, stderr } = await runPlan("prod", {
        "regions/us-west-2/weight": "thirty", // schema; the weight sum and everything about us-west-2 would only follow from it
        environment: "prod ", // schema, required: checked further as if dev, so no prod-only rule misfires
        "nodePools/general/desiredSize": 20, // cross-field, still reported
    });
    expect(code).toBe(2);
    const lines = stderr.split("\n").filter((l) => l.startsWith("  - "));
    expect(lines).toEqual([
        expect.stringMatching(/^ {2}- scaled-web:environment: must be one of dev, staging, prod \(got "prod "\)/),
        expect.stringMatching(/^ {2}- scaled-web:regions\.us-west-2\.weight: Expected number, received string \(got "thirty"\)/),
        expect.stringMatching(/^ {2}- scaled-web:nodePools\.general\.desiredSize: must be within \[minSize, maxSize\] = \[3, 12\], got 20$/),
    ]);
});

test("one mistake, one line: a refused role or a replica floor is not reported again by what follows from it", async () => {
    const role = await runPlan("dev", { "regions/us-east-1/role": "main" });
    expect(role.stderr.split("\n").filter((l) => l.startsWith("  - "))).toEqual([expect.stringContaining("scaled-web:regions.us-east-1.role: ")]);
    const floor = await runPlan("prod", { "regions/us-east-1/replicas/api": 50 });
    expect(floor.stderr.split("\n").filter((l) => l.startsWith("  - "))).toEqual([expect.stringContaining("scaled-web:api.maxReplicas: min replicas (50)")]);
    const limits = await runPlan("dev", { "api/resources": { requests: { cpu: "2", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } } });
    expect(limits.stderr.split("\n").filter((l) => l.startsWith("  - "))).toEqual([expect.stringContaining("scaled-web:api.resources.requests.cpu: request 2 is above the limit 1")]);
});
