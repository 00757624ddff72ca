import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_QUEUE_PURPOSES, CONFIG_WS_ADAPTER_PURPOSES, ConfigError, DEFAULT_QUEUES, PlatformConfig, configKeyIssues, parseConfig } from "../platform/config";
import { configErrorOf } from "./config-fixtures";
import { regionCode } from "../platform/program";
import { TIER_PRESETS } from "../platform/tiers";

/** A minimal valid config, deep-copied per case so cases can break one thing at a time. */
function base(): any {
    return {
        environment: "prod",
        tier: "large",
        domain: "example.com",
        regions: {
            "us-east-1": { role: "primary", weight: 70 },
            "us-west-2": { role: "secondary", weight: 30 },
        },
        // Prod names its images, pinned (platform/config.ts imageIssues).
        api: { image: "registry.example.com/team/api:1.0.0" },
        ws: { image: "registry.example.com/team/ws:1.0.0" },
        workers: { image: "registry.example.com/team/worker:1.0.0" },
        // Prod pins its node AMI and names its cluster admins (platform/cluster-ops-config.ts).
        cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": "arn:aws:iam::123456789012:role/platform-admins" } },
    };
}

const errorOf = (raw: unknown, stack = "test"): ConfigError => configErrorOf(raw, stack);

describe("parseConfig: valid input", () => {
    test("resolves tier presets, region order and defaults", () => {
        const c: PlatformConfig = parseConfig(base(), "prod");
        expect(c.regions.map((r) => r.name)).toEqual(["us-east-1", "us-west-2"]);
        expect(c.primaryRegion.name).toBe("us-east-1");
        expect(c.regions[1].cidr).toBe("10.20.0.0/16");
        // Zones are chosen by zone ID when the program runs (platform/zones.ts); the config holds only the count.
        expect(c.regions[0]).toMatchObject({ azCount: 3, azCountExplicit: false, availabilityZoneIds: undefined });
        expect(c.api.minReplicas).toBe(TIER_PRESETS.large.api.minReplicas);
        expect(c.api.resources).toEqual(TIER_PRESETS.large.api.resources);
        expect(c.network.natGateways).toBe("perAz");
        expect(c.protectData).toBe(true);
        expect(c.database.backupRetentionDays).toBe(14);
        expect(c.database.crossRegionReplicas).toEqual(["us-west-2"]);
        expect(c.workers.queues).toEqual(DEFAULT_QUEUES);
        expect(c.cache.purposes.cache).toMatchObject({ shards: 3, replicasPerShard: 1, maxmemoryPolicy: "allkeys-lru" });
        expect(c.cache.purposes.queue.maxmemoryPolicy).toBe("noeviction");
        expect(c.tags).toMatchObject({ environment: "prod", stack: "prod", "managed-by": "pulumi" });
    });

    test("cost defaults: rejected flows every 10 minutes to CloudWatch Logs, a single-AZ DR replica, RDS logs kept 30 days", () => {
        const c = parseConfig(base(), "prod");
        expect(c.network).toMatchObject({ flowLogs: true, flowLogTrafficType: "REJECT", flowLogMaxAggregationInterval: 600, flowLogDestination: "cloud-watch-logs", flowLogRetentionDays: 30 });
        expect(c.database).toMatchObject({ crossRegionReplicaMultiAz: false, logRetentionDays: 30 });
    });

    test("pinned zone IDs and the cost keys pass through", () => {
        const raw = base();
        raw.regions["us-east-1"].availabilityZoneIds = ["use1-az6", "use1-az1", "use1-az2"];
        raw.network = { flowLogTrafficType: "ALL", flowLogMaxAggregationInterval: 60, flowLogDestination: "s3", flowLogBucketArn: "arn:aws:s3:::org-logs" };
        raw.database = { crossRegionReplicaMultiAz: true, logRetentionDays: 90, instanceIdentifiers: { primary: "prod-use1-db-primary-1a2b3c4" } };
        const c = parseConfig(raw, "prod");
        expect(c.regions[0]).toMatchObject({ azCount: 3, azCountExplicit: true, availabilityZoneIds: ["use1-az6", "use1-az1", "use1-az2"] });
        expect(c.network).toMatchObject({ flowLogTrafficType: "ALL", flowLogMaxAggregationInterval: 60, flowLogDestination: "s3", flowLogBucketArn: "arn:aws:s3:::org-logs" });
        expect(c.database).toMatchObject({ crossRegionReplicaMultiAz: true, logRetentionDays: 90, instanceIdentifiers: { primary: "prod-use1-db-primary-1a2b3c4" } });
    });

    test("the primary region comes first whatever the declaration order", () => {
        const raw = base();
        raw.regions = { "us-west-2": { role: "secondary", weight: 30 }, "us-east-1": { role: "primary", weight: 70 } };
        expect(parseConfig(raw, "prod").regions.map((r) => r.name)).toEqual(["us-east-1", "us-west-2"]);
    });

    test("dev defaults are cheaper and unprotected", () => {
        const c = parseConfig({ environment: "dev", domain: "dev.example.com", regions: { "us-east-1": { role: "primary", weight: 100 } } }, "dev");
        expect(c.tier).toBe("small");
        expect(c.network.natGateways).toBe("single");
        expect(c.protectData).toBe(false);
        expect(c.database.backupRetentionDays).toBe(7);
        expect(c.database.crossRegionReplicas).toEqual([]);
    });

    test("per-region replica overrides and preset overrides apply", () => {
        const raw = base();
        raw.regions["us-east-1"].replicas = { api: 5 };
        raw.api = { ...raw.api, resources: { requests: { cpu: "300m", memory: "256Mi" }, limits: { cpu: "600m", memory: "512Mi" } } };
        raw.nodePools = { general: { minSize: 4, maxSize: 9, desiredSize: 4 } };
        const c = parseConfig(raw, "prod");
        expect(c.regions[0].apiMinReplicas).toBe(5);
        expect(c.regions[1].apiMinReplicas).toBe(TIER_PRESETS.large.api.minReplicas);
        expect(c.api.resources.requests.cpu).toBe("300m");
        expect(c.nodePools.general).toMatchObject({ minSize: 4, maxSize: 9, instanceTypes: TIER_PRESETS.large.nodePools.general.instanceTypes });
        expect(c.nodePools.workers.capacityType).toBe("spot");
    });

    test("node pools: one ASG per zone for on-demand pools, one for spot pools, detailed monitoring off; the ws probe path", () => {
        const c = parseConfig(base(), "prod");
        expect([c.nodePools.general.perZone, c.nodePools.workers.perZone]).toEqual([true, false]);
        expect([c.nodePools.general.detailedMonitoring, c.nodePools.workers.detailedMonitoring]).toEqual([false, false]);
        expect(c.edge.wsHealthCheckPath).toBe("/ws/health");
        const raw = base();
        raw.nodePools = { general: { perZone: false, detailedMonitoring: true, minSize: 2, desiredSize: 2, maxSize: 2 } };
        const over = parseConfig(raw, "prod");
        expect(over.nodePools.general).toMatchObject({ perZone: false, detailedMonitoring: true, maxSize: 2 });
    });

    test("a drained region (weight 0) is allowed", () => {
        const raw = base();
        raw.regions["us-east-1"].weight = 100;
        raw.regions["us-west-2"].weight = 0;
        expect(parseConfig(raw, "prod").regions[1].weight).toBe(0);
    });

    test.each(["dev", "prod"])("Pulumi.%s.yaml parses", (stack) => {
        const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8"));
        const raw = Object.fromEntries(Object.entries<any>(doc.config).map(([k, v]) => [k.split(":")[1], v]));
        const c = parseConfig(raw, stack);
        expect(c.environment).toBe(stack);
        expect(c.regions.length).toBe(stack === "prod" ? 2 : 1);
    });
});

/**
 * Malformed configs: each must be rejected with one ConfigError whose message names the key path,
 * the offending value and what is allowed.
 */
const BAD: [string, (c: any) => void, RegExp][] = [
    ["weights that do not sum to 100", (c) => { c.regions["us-west-2"].weight = 40; }, /regions\.\*\.weight: weights must sum to 100, got 110 \(us-east-1=70, us-west-2=40\)/],
    ["two primaries", (c) => { c.regions["us-west-2"].role = "primary"; }, /regions: exactly one region must have role "primary", got 2 \(us-east-1, us-west-2\)/],
    ["no primary", (c) => { c.regions["us-east-1"].role = "secondary"; }, /exactly one region must have role "primary", got 0/],
    ["unknown role", (c) => { c.regions["us-west-2"].role = "backup"; }, /regions\.us-west-2\.role: must be "primary" or "secondary" \(got "backup"\)/],
    ["unknown tier", (c) => { c.tier = "huge"; }, /tier: must be one of small, medium, large, enterprise \(got "huge"\)/],
    ["unknown environment", (c) => { c.environment = "production"; }, /environment: must be one of dev, staging, prod \(got "production"\)/],
    ["unknown region name", (c) => { c.regions["us-middle-1"] = { role: "secondary", weight: 0 }; }, /regions\.us-middle-1: "us-middle-1" is not an AWS region/],
    ["negative weight", (c) => { c.regions["us-west-2"].weight = -5; }, /regions\.us-west-2\.weight: must be 0-100 \(got -5\)/],
    ["fractional weight", (c) => { c.regions["us-west-2"].weight = 29.5; }, /regions\.us-west-2\.weight: must be a whole number \(got 29.5\)/],
    ["min > max replicas", (c) => { c.api = { minReplicas: 12, maxReplicas: 10 }; }, /api\.maxReplicas: min replicas \(12\) must be <= maxReplicas \(10\)/],
    ["region floor above max", (c) => { c.regions["us-east-1"].replicas = { ws: 50 }; }, /ws\.maxReplicas: min replicas \(50\) must be <= maxReplicas \(20\)/],
    ["negative replica count", (c) => { c.database = { readReplicas: -1 }; }, /database\.readReplicas: must be >= 0 \(got -1\)/],
    ["queue min > max", (c) => { c.workers = { queues: { emails: { minReplicas: 4, maxReplicas: 2, threshold: 10, concurrency: 1 } } }; }, /workers\.queues\.emails\.minReplicas: must be <= maxReplicas \(2\), got 4/],
    ["queue without a threshold", (c) => { c.workers = { queues: { emails: { minReplicas: 1, maxReplicas: 2, concurrency: 1 } } }; }, /workers\.queues\.emails: a queue that is not a default \(sla-checks, notifications, analytics\) needs minReplicas, maxReplicas, threshold, concurrency; missing threshold/],
    ["missing domain", (c) => { delete c.domain; }, /domain: is required/],
    ["invalid domain", (c) => { c.domain = "Not A Domain"; }, /domain: must be a lower-case DNS name .* \(got "Not A Domain"\)/],
    ["CPU that is not a quantity", (c) => { c.api = { resources: { requests: { cpu: "lots", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }; }, /api\.resources\.requests\.cpu: must be a Kubernetes CPU quantity .* \(got "lots"\)/],
    ["request above limit", (c) => { c.ws = { resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }; }, /ws\.resources\.requests\.cpu: request 2 is above the limit 1/],
    ["spot pool with two instance types", (c) => { c.nodePools = { workers: { instanceTypes: ["m7i.large", "m6i.large"] } }; }, /nodePools\.workers\.instanceTypes: a spot pool needs >= 3 instance types .* got 2/],
    ["desired outside [min, max]", (c) => { c.nodePools = { general: { minSize: 2, maxSize: 4, desiredSize: 9 } }; }, /nodePools\.general\.desiredSize: must be within \[minSize, maxSize\] = \[2, 4\], got 9/],
    ["invalid instance type", (c) => { c.nodePools = { general: { instanceTypes: ["big-box"] } }; }, /nodePools\.general\.instanceTypes\.0: must be an EC2 instance type .* \(got "big-box"\)/],
    ["cross-region replica to an unknown region", (c) => { c.database = { crossRegionReplicas: ["eu-west-1"] }; }, /database\.crossRegionReplicas\.0: "eu-west-1" is not one of this stack's regions \(us-east-1, us-west-2\)/],
    ["short prod backups", (c) => { c.database = { backupRetentionDays: 7 }; }, /database\.backupRetentionDays: prod keeps backups >= 14 days, got 7/],
    ["backup retention above 35", (c) => { c.database = { backupRetentionDays: 40 }; }, /database\.backupRetentionDays: must be 0-35 \(got 40\)/],
    ["cache shards out of range", (c) => { c.cache = { purposes: { cache: { shards: 0 } } }; }, /cache\.purposes\.cache\.shards: must be 1-500 \(got 0\)/],
    ["a Kubernetes version the pinned add-ons do not list", (c) => { c.cluster = { kubernetesVersion: "1.34" }; },
        /cluster\.kubernetesVersion: 1\.34 is outside what the pinned cluster-autoscaler chart 9\.51\.0 supports \(Kubernetes 1\.33 - 1\.33/],
    ["idle timeout above the ALB maximum", (c) => { c.edge = { idleTimeoutSeconds: 86400 }; }, /edge\.idleTimeoutSeconds: must be 1-4000 \(the ALB maximum\) \(got 86400\)/],
    ["health check interval not 10/30", (c) => { c.edge = { healthCheckIntervalSeconds: 15 }; }, /edge\.healthCheckIntervalSeconds: must be 10 or 30 \(got 15\)/],
    ["a ws health check path with a wildcard", (c) => { c.edge = { wsHealthCheckPath: "/ws/*" }; }, /edge\.wsHealthCheckPath: must be an exact path such as "\/ws\/health" \(no wildcards\)/],
    ["a per-zone pool with room for fewer nodes than zones", (c) => { c.nodePools = { general: { minSize: 2, desiredSize: 2, maxSize: 2 } }; },
        /nodePools\.general\.maxSize: must be >= 3 \(the zones of us-east-1\): with perZone every zone gets its own ASG/],
    ["critical not above warning", (c) => { c.alerts = { thresholds: { cpu: { warning: 85, critical: 70 } } }; }, /alerts\.thresholds\.cpu\.critical: must be above warning \(85\), got 70/],
    ["overlapping region CIDRs", (c) => { c.regions["us-east-1"].cidr = "10.5.0.0/16"; c.regions["us-west-2"].cidr = "10.5.0.0/16"; }, /regions\.us-west-2\.cidr: 10\.5\.0\.0\/16 overlaps 10\.5\.0\.0\/16 of us-east-1; peered regions need non-overlapping CIDRs/],
    ["nested region CIDRs", (c) => { c.regions["us-east-1"].cidr = "10.0.0.0/16"; c.regions["us-west-2"].cidr = "10.0.16.0/20"; }, /regions\.us-west-2\.cidr: 10\.0\.16\.0\/20 overlaps 10\.0\.0\.0\/16 of us-east-1/],
    ["unaligned region CIDR", (c) => { c.regions["us-east-1"].cidr = "10.0.0.1/16"; },
        /regions\.us-east-1\.cidr: has host bits set \(the address must be the first of its \/16 block\); use "10\.0\.0\.0\/16", got "10\.0\.0\.1\/16"/],
    // Issue 17: an octet above 255 was reported as "host bits set".
    ["a region CIDR with an octet above 255", (c) => { c.regions["us-east-1"].cidr = "10.300.0.0/16"; },
        /regions\.us-east-1\.cidr: octet 300 out of range \(each of the four numbers must be 0-255\), got "10\.300\.0\.0\/16"/],
    ["a region CIDR with a prefix above /32", (c) => { c.regions["us-east-1"].cidr = "10.0.0.0/33"; },
        /regions\.us-east-1\.cidr: prefix \/33 out of range \(an IPv4 prefix is \/0 to \/32\), got "10\.0\.0\.0\/33"/],
    ["a private-access CIDR with an octet above 255", (c) => { c.cluster = { privateAccessCidrs: { vpn: "10.99.256.0/24" } }; },
        /cluster\.privateAccessCidrs\.vpn: octet 256 out of range .*got "10\.99\.256\.0\/24"/],
    ["misspelt key", (c) => { c.databse = {}; }, /scaled-web:databse: unknown key "databse"; did you mean "database"\?/],
    ["az count out of range", (c) => { c.regions["us-east-1"].azCount = 7; }, /regions\.us-east-1\.azCount: must be 2-6 \(got 7\)/],
    ["zone names, which differ per account", (c) => { c.regions["us-east-1"].availabilityZones = ["us-east-1a", "us-east-1b"]; },
        /regions\.us-east-1\.availabilityZones: zone names \(us-east-1a, us-east-1b\) map to different physical zones in each account; pin zone IDs with availabilityZoneIds instead \(aws ec2 describe-availability-zones --region us-east-1/],
    ["a zone name as a zone ID", (c) => { c.regions["us-east-1"].availabilityZoneIds = ["use1-az1", "us-east-1b"]; }, /regions\.us-east-1\.availabilityZoneIds\.1: "us-east-1b" is not a zone ID; use IDs like use1-az1/],
    ["a zone ID of another region", (c) => { c.regions["us-east-1"].availabilityZoneIds = ["use1-az1", "usw2-az1"]; }, /regions\.us-east-1\.availabilityZoneIds\.1: "usw2-az1" is not a zone of us-east-1; its zone IDs start with "use1-"/],
    ["a zone EKS cannot use", (c) => { c.regions["us-east-1"].availabilityZoneIds = ["use1-az1", "use1-az3", "use1-az4"]; }, /regions\.us-east-1\.availabilityZoneIds\.1: "use1-az3" cannot hold the EKS control plane or RDS Proxy \(unsupported zones: use1-az3, usw1-az2, cac1-az3\)/],
    ["one zone ID", (c) => { c.regions["us-east-1"].availabilityZoneIds = ["use1-az1"]; }, /regions\.us-east-1\.availabilityZoneIds: must list 2-6 zone IDs, got 1/],
    ["a repeated zone ID", (c) => { c.regions["us-east-1"].availabilityZoneIds = ["use1-az1", "use1-az1"]; }, /regions\.us-east-1\.availabilityZoneIds: must not repeat a zone, got use1-az1, use1-az1/],
    ["azCount disagreeing with the pinned zones", (c) => { c.regions["us-east-1"].azCount = 3; c.regions["us-east-1"].availabilityZoneIds = ["use1-az1", "use1-az2"]; }, /regions\.us-east-1\.azCount: is 3 but availabilityZoneIds lists 2/],
    ["a flow log traffic type EC2 rejects", (c) => { c.network = { flowLogTrafficType: "DENIED" }; }, /network\.flowLogTrafficType: must be one of ACCEPT, REJECT, ALL/],
    ["an aggregation interval EC2 rejects", (c) => { c.network = { flowLogMaxAggregationInterval: 120 }; }, /network\.flowLogMaxAggregationInterval: must be 60 or 600 \(seconds\) \(got 120\)/],
    ["flow logs to S3 without a bucket", (c) => { c.network = { flowLogDestination: "s3" }; }, /network\.flowLogBucketArn: is required when network\.flowLogDestination is s3/],
    ["a bucket name instead of its ARN", (c) => { c.network = { flowLogDestination: "s3", flowLogBucketArn: "logs" }; }, /network\.flowLogBucketArn: must be an S3 bucket ARN/],
    ["RDS log retention CloudWatch rejects", (c) => { c.database = { logRetentionDays: 45 }; }, /database\.logRetentionDays: must be one of the periods CloudWatch Logs accepts .*\(got 45\)/],
    // No NodePorts any more (the ALB registers pod IPs): an old stack file is refused, naming the replacement.
    ["a leftover api.nodePort", (c) => { c.api = { nodePort: 30080 }; },
        /api\.nodePort: is no longer used \(got 30080\): the ALB now sends traffic straight to the api pods by IP on api\.containerPort \(TargetGroupBinding through the AWS Load Balancer Controller\) and the Service is ClusterIP; remove api\.nodePort from the stack file/],
    ["a leftover ws.nodePort", (c) => { c.ws = { nodePort: 30081 }; }, /ws\.nodePort: is no longer used \(got 30081\): .*remove ws\.nodePort from the stack file/],
];

describe.each([
    ["us-east-1", "use1"], ["us-west-2", "usw2"], ["eu-central-2", "euc2"], ["ap-southeast-1", "apse1"], ["ap-northeast-3", "apne3"],
])("regionCode(%s)", (region, code) => {
    test(`is ${code}`, () => expect(regionCode(region)).toBe(code));
});

describe("parseConfig: malformed input", () => {
    test.each(BAD)("rejects %s", (_label, mutate, expected) => {
        const raw = base();
        mutate(raw);
        const err = errorOf(raw, "prod");
        expect(err.message).toMatch(expected);
        expect(err.message).toMatch(/^Stack "prod" has an invalid configuration \(Pulumi\.prod\.yaml\)/);
    });

    test("lists every problem in one error", () => {
        const raw = base();
        raw.tier = "huge";
        raw.regions["us-west-2"].weight = -1;
        raw.domain = "bad domain";
        const err = errorOf(raw);
        expect(err.issues.map((i) => i.path).sort()).toEqual(["domain", "regions.us-west-2.weight", "tier"]);
        expect(err.message).toMatch(/3 problems/);
    });

    test("is a Pulumi RunError, so the CLI prints it without a stack trace", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const pulumi = require("@pulumi/pulumi");
        expect(pulumi.RunError.isInstance(errorOf({}))).toBe(true);
    });
});

/**
 * Issue 17 item 3, nothing silently ignored or changed: each row breaks one rule and names the key path the
 * stack file spells, the value received and the fix.
 */
describe("parseConfig: nothing silently ignored or changed", () => {
    const long = (n: number): string => "x".repeat(n);
    const ROWS: [string, (c: any) => void, string, RegExp, RegExp][] = [
        // [label, mutation, key path, value received, fix]
        ["a misspelt top-level key", (c) => { c.nodepools = {}; }, "nodepools", /unknown key "nodepools"/, /did you mean "nodePools"\?/],
        ["a misspelt key in a region", (c) => { c.regions["us-east-1"].wieght = 5; }, "regions.us-east-1.wieght", /unknown key "wieght"/, /did you mean "weight"\?/],
        ["a misspelt node pool field", (c) => { c.nodePools = { general: { maxsize: 4 } }; }, "nodePools.general.maxsize", /unknown key "maxsize"/, /did you mean "maxSize"\?/],
        ["a misspelt queue field", (c) => { c.workers = { queues: { analytics: { concurency: 2 } } }; }, "workers.queues.analytics.concurency", /unknown key "concurency"/, /did you mean "concurrency"\?/],
        ["a misspelt cache purpose field", (c) => { c.cache = { purposes: { queue: { maxMemoryPolicy: "noeviction" } } }; }, "cache.purposes.queue.maxMemoryPolicy", /unknown key "maxMemoryPolicy"/, /did you mean "maxmemoryPolicy"\?/],
        ["an abbreviated key", (c) => { c.nodePools = { general: { desired: 3 } }; }, "nodePools.general.desired", /unknown key "desired"/, /did you mean "desiredSize"\?/],
        ["a misspelt nested database key", (c) => { c.database = { pooling: { maxConnectionPercent: 50 } }; }, "database.pooling.maxConnectionPercent", /unknown key "maxConnectionPercent"/, /did you mean "maxConnectionsPercent"\?/],
        ["a misspelt image build field", (c) => { c.images = { build: { api: { context: "app", dockerFile: "D" } } }; }, "images.build.api.dockerFile", /unknown key "dockerFile"/, /did you mean "dockerfile"\?/],
        ["an unknown key with nothing close", (c) => { c.edge = { zzzz: 1 }; }, "edge.zzzz", /unknown key "zzzz"/, /valid keys here: .*idleTimeoutSeconds/],
        ["a queue store that evicts", (c) => { c.cache = { purposes: { queue: { maxmemoryPolicy: "allkeys-lru" } } }; }, "cache.purposes.queue.maxmemoryPolicy", /got "allkeys-lru"/, /set maxmemoryPolicy: noeviction or leave it out/],
        ["queues moved to an evicting cache purpose", (c) => { c.cache = { purposes: { queue: null } }; }, "cache.purposes.cache.maxmemoryPolicy", /got "allkeys-lru"/, /set maxmemoryPolicy: noeviction .*keep a separate "queue" purpose/],
        ["no purpose left for the queues", (c) => { c.cache = { purposes: { queue: null, cache: null } }; }, "cache.purposes", /both are removed/, /drop one of the null entries/],
        ["no purpose left for the WebSocket adapter", (c) => { c.cache = { purposes: { sessions: null, cache: null } }; }, "cache.purposes", /WebSocket adapter .* both are removed/, /drop one of the null entries/],
        ["removing a purpose that is no default", (c) => { c.cache = { purposes: { search: null } }; }, "cache.purposes.search", /"search" is not one/, /delete the line/],
        ["removing a queue that is no default", (c) => { c.workers = { queues: { emails: null } }; }, "workers.queues.emails", /"emails" is not one/, /delete the line/],
        ["a new queue without all fields", (c) => { c.workers = { queues: { emails: { maxReplicas: 2 } } }; }, "workers.queues.emails", /missing minReplicas, threshold, concurrency/, /needs minReplicas, maxReplicas, threshold, concurrency/],
        ["a queue override that breaks min <= max", (c) => { c.workers = { queues: { analytics: { minReplicas: 4 } } }; }, "workers.queues.analytics.minReplicas", /got 4/, /must be <= maxReplicas \(3\)/],
        ["a reserved aws: tag key", (c) => { c.tags = { "aws:team": "web" }; }, "tags.aws:team", /got "aws:team"/, /rename the key without the aws: prefix/],
        ["a reserved AWS: tag key in upper case", (c) => { c.tags = { "AWS:team": "web" }; }, "tags.AWS:team", /got "AWS:team"/, /reserved for AWS/],
        ["a reserved aws: tag value", (c) => { c.tags = { team: "aws:web" }; }, "tags.team", /got "aws:web"/, /drop the aws: prefix from the value/],
        ["an empty tag key", (c) => { c.tags = { "": "web" }; }, "tags.", /got 0/, /must be 1-128 characters/],
        ["a tag key over 128 characters", (c) => { c.tags = { [long(129)]: "v" }; }, `tags.${long(129)}`, /got 129/, /shorten the key/],
        ["a tag value over 256 characters", (c) => { c.tags = { team: long(257) }; }, "tags.team", /got 257/, /shorten the value/],
        ["an unpinned prod image", (c) => { c.api.image = "registry.example.com/team/api:latest"; }, "api.image", /registry\.example\.com\/team\/api:latest/, /tag other than latest|digest/],
        ["an untagged prod image", (c) => { c.ws.image = "registry.example.com/team/ws"; }, "ws.image", /registry\.example\.com\/team\/ws/, /tag other than latest|digest/],
    ];

    test.each(ROWS)("rejects %s", (_label, mutate, keyPath, value, fix) => {
        const raw = base();
        mutate(raw);
        const err = errorOf(raw, "prod");
        const issue = err.issues.find((i) => i.path === keyPath);
        expect(issue).toBeDefined();
        expect(issue!.message).toMatch(value);
        expect(issue!.message).toMatch(fix);
        expect(err.message).toContain(`scaled-web:${keyPath}: `);
    });

    test("every schema object rejects unknown keys (is strict)", () => {
        const raw = base();
        raw.regions["us-east-1"].replicas = { apii: 2 };
        raw.cluster = { ...raw.cluster, bogus: 1 };
        raw.alerts = { thresholds: { cpu: { crit: 90 } } };
        raw.api.resources = { requests: { cpu: "1", memory: "1Gi", gpu: "1" } };
        const paths = errorOf(raw).issues.map((i) => i.path).sort();
        expect(paths).toEqual(["alerts.thresholds.cpu.crit", "api.resources.requests.gpu", "cluster.bogus", "regions.us-east-1.replicas.apii"]);
    });

    test("an override of one queue keeps the other two, field by field", () => {
        const raw = base();
        raw.workers.queues = { analytics: { maxReplicas: 6 } };
        const c = parseConfig(raw, "prod");
        expect(c.workers.queues).toEqual({ ...DEFAULT_QUEUES, analytics: { ...DEFAULT_QUEUES.analytics, maxReplicas: 6 } });
    });

    test("a new queue is added to the defaults; null removes one", () => {
        const raw = base();
        raw.workers.queues = { emails: { minReplicas: 1, maxReplicas: 2, threshold: 50, concurrency: 4 }, analytics: null };
        const c = parseConfig(raw, "prod");
        expect(Object.keys(c.workers.queues).sort()).toEqual(["emails", "notifications", "sla-checks"]);
    });

    test("one cache purpose override keeps the others and the purpose's other defaults", () => {
        const raw = base();
        raw.cache = { purposes: { sessions: { snapshotRetentionDays: 10 } } };
        const c = parseConfig(raw, "prod");
        expect(Object.keys(c.cache.purposes).sort()).toEqual(["cache", "queue", "sessions"]);
        expect(c.cache.purposes.sessions).toMatchObject({ snapshotRetentionDays: 10, maxmemoryPolicy: "volatile-lru" });
        expect(c.cache.purposes.queue.maxmemoryPolicy).toBe("noeviction");
    });

    test("null removes a cache purpose; the queues may share a no-eviction cache purpose", () => {
        const raw = base();
        raw.cache = { purposes: { queue: null, cache: { maxmemoryPolicy: "noeviction" } } };
        expect(Object.keys(parseConfig(raw, "prod").cache.purposes).sort()).toEqual(["cache", "sessions"]);
    });

    test("one node pool override keeps the tier's other pools", () => {
        const raw = base();
        raw.nodePools = { workers: { maxSize: 12 } };
        const c = parseConfig(raw, "prod");
        expect(Object.keys(c.nodePools).sort()).toEqual(Object.keys(TIER_PRESETS.large.nodePools).sort());
        expect(c.nodePools.workers.maxSize).toBe(12);
        expect(c.nodePools.workers.instanceTypes).toEqual(TIER_PRESETS.large.nodePools.workers.instanceTypes);
    });

    test("pinned prod images (tag or digest) and tags outside aws: are accepted", () => {
        const raw = base();
        raw.api.image = `registry.example.com/team/api@sha256:${"a".repeat(64)}`;
        raw.tags = { team: "web", "cost-center": long(256), [long(128)]: "v", "é-team": "ü".repeat(256), "team-aws": "web-aws:x" };
        expect(parseConfig(raw, "prod").tags.team).toBe("web");
    });

    test("config.ts's queue and WebSocket purposes agree with platform/workloads.ts", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const workloads = require("../platform/workloads");
        expect([...CONFIG_QUEUE_PURPOSES]).toEqual([...workloads.QUEUE_PURPOSES]);
        expect([...CONFIG_WS_ADAPTER_PURPOSES]).toEqual([...workloads.WS_ADAPTER_PURPOSES]);
    });
});

describe("configKeyIssues: the stack file's namespaces", () => {
    const ROWS: [string, string, RegExp, RegExp][] = [
        // [full key as written, key path reported, value received, fix]
        ["scaled_web:tier", "tier", /"scaled_web:tier"/, /did you mean scaled-web:tier\?/],
        ["scaledweb:tier", "tier", /"scaledweb:tier"/, /did you mean scaled-web:tier\?/],
        ["scaled-web-:domain", "domain", /"scaled-web-:domain"/, /did you mean scaled-web:domain\?/],
        ["Scaled-Web:regions", "regions", /"Scaled-Web:regions"/, /did you mean scaled-web:regions\?/],
        ["scaled-wbe:regions", "regions", /"scaled-wbe:regions"/, /did you mean scaled-web:regions\?/],
        ["scaled_web:nodepools", "nodePools", /"scaled_web:nodepools"/, /did you mean scaled-web:nodePools\?/],
        ["scaled-web:regionz", "regionz", /unknown key "scaled-web:regionz"/, /did you mean scaled-web:regions\?/],
        ["scaled-web:nodepool", "nodepool", /unknown key "scaled-web:nodepool"/, /did you mean scaled-web:nodePools\?/],
        ["scaled-web:qqqqqqqq", "qqqqqqqq", /unknown key "scaled-web:qqqqqqqq"/, /known keys are environment, tier/],
    ];
    test.each(ROWS)("rejects %s", (fullKey, keyPath, value, fix) => {
        const issues = configKeyIssues([fullKey]);
        expect(issues).toHaveLength(1);
        expect(issues[0].path).toBe(keyPath);
        expect(issues[0].message).toMatch(value);
        expect(issues[0].message).toMatch(fix);
    });

    test("keys of other namespaces and known keys stay allowed", () => {
        expect(configKeyIssues(["aws:region", "kubernetes:context", "other-project:tier", "scaled-web:tier", "scaled-web:nodePools", "pulumi:tags"])).toEqual([]);
    });
});

/** Issue 16 section 2: the application's database identity and the secrets operator's Kubernetes range. */
describe("parseConfig: application identity", () => {
    test("defaults: a generated master password, the application role `app`", () => {
        const c = parseConfig(base(), "prod");
        expect(c.database).toMatchObject({ masterPassword: "generated", appUsername: "app", iamAuthentication: true });
    });

    test("masterPassword: managed is accepted without replicas", () => {
        const raw = base();
        raw.database = { masterPassword: "managed", readReplicas: 0, crossRegionReplicas: [] };
        expect(parseConfig(raw, "prod").database.masterPassword).toBe("managed");
    });

    test.each<[string, (c: any) => void, RegExp]>([
        ["a managed master password with replicas", (c) => { c.database = { masterPassword: "managed" }; },
            /database\.masterPassword: "managed" cannot be combined with read replicas \(readReplicas \d+, crossRegionReplicas \["us-west-2"\]\): RDS does not create replicas .*; use "generated" \(the default\) or set readReplicas: 0 and crossRegionReplicas: \[\]/],
        ["an unknown master password source", (c) => { c.database = { masterPassword: "vault" }; }, /database\.masterPassword: .*"generated".*"managed".*\(got "vault"\)/],
        ["IAM authentication turned off", (c) => { c.database = { iamAuthentication: false }; },
            /database\.iamAuthentication: is false, but the application role logs in with IAM tokens only .*; remove the key or set it to true/],
        ["an application role named like the master user", (c) => { c.database = { appUsername: "app_admin" }; }, /database\.appUsername: "app_admin" is the master user's name/],
        ["an application role that is not an identifier", (c) => { c.database = { appUsername: "app-user" }; }, /database\.appUsername: must be a PostgreSQL identifier.*\(got "app-user"\)/],
        ["a Kubernetes version ESO 0.19 is not tested on", (c) => { c.cluster = { kubernetesVersion: "1.32" }; },
            /cluster\.kubernetesVersion: 1\.32 is outside what the pinned external-secrets chart 0\.19\.2 supports \(Kubernetes 1\.33 - 1\.33, external-secrets\/external-secrets@helm-chart-0\.19\.2/],
    ])("rejects %s", (_label, mutate, expected) => {
        const raw = base();
        mutate(raw);
        expect(errorOf(raw, "prod").message).toMatch(expected);
    });
});
