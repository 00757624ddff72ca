import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    Cache, CacheArgs, CachePurposeArgs, cacheParameterGroupFamily, cacheUrl, resolveCachePurpose, validateCacheArgs,
} from "../components/cache";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";

const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

describe.each<[string, CachePurposeArgs, Partial<ReturnType<typeof resolveCachePurpose>>]>([
    ["cache", { shards: 3, replicasPerShard: 1 }, { maxmemoryPolicy: "allkeys-lru", clusterMode: true, nodeCount: 6, multiAz: true, automaticFailover: true, snapshotRetentionDays: 0 }],
    ["queue", {}, { maxmemoryPolicy: "noeviction", clusterMode: false, nodeCount: 2, multiAz: true, snapshotRetentionDays: 7 }],
    ["sessions", {}, { maxmemoryPolicy: "volatile-lru", clusterMode: false, nodeCount: 2, snapshotRetentionDays: 3 }],
    ["ratelimit", { replicasPerShard: 0 }, { maxmemoryPolicy: "volatile-lru", nodeCount: 1, multiAz: false, automaticFailover: false, snapshotRetentionDays: 1 }],
    ["cache", { shards: 6, replicasPerShard: 2, maxmemoryPolicy: "volatile-lru" }, { maxmemoryPolicy: "volatile-lru", nodeCount: 18, clusterMode: true }],
    ["cache", { shards: 2, replicasPerShard: 0, multiAz: false }, { clusterMode: true, automaticFailover: true, multiAz: false, nodeCount: 2 }],
])("resolveCachePurpose(%s, %j)", (purpose, args, expected) => {
    const r = resolveCachePurpose(purpose, args);
    test("applies the seed 003 defaults", () => {
        expect(r).toMatchObject(expected);
    });
    test("cluster-enabled matches the shard count and the eviction policy is set", () => {
        expect(r.parameters["cluster-enabled"]).toBe(r.shards > 1 ? "yes" : "no");
        expect(r.parameters["maxmemory-policy"]).toBe(r.maxmemoryPolicy);
    });
});

describe.each([
    ["valkey", "8.0", "valkey8"],
    ["valkey", "7.2", "valkey7"],
    ["redis", "7.1", "redis7"],
    ["redis", "6.2", "redis6.x"],
] as const)("cacheParameterGroupFamily(%s, %s)", (engine, version, family) => {
    test(`is ${family}`, () => expect(cacheParameterGroupFamily(engine, version)).toBe(family));
});

test("cacheUrl uses TLS and an empty user with the token", () => {
    expect(cacheUrl("abc123", "master.x.cache.amazonaws.com", 6379)).toBe("rediss://:abc123@master.x.cache.amazonaws.com:6379");
    expect(cacheUrl("a/b@c", "h", 6380)).toBe("rediss://:a%2Fb%40c@h:6380");
});

// ---------------------------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------------------------

const validArgs: CacheArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    allowedSecurityGroupIds: { nodes: "sg-nodes" },
    purposes: { cache: { shards: 3, replicasPerShard: 1, nodeType: "cache.m7g.xlarge" }, queue: {}, sessions: {} },
};
const withPurpose = (p: CachePurposeArgs): CacheArgs => ({ ...validArgs, purposes: { cache: p } });

describe("Cache validation", () => {
    test("valid args pass", () => {
        expect(validateCacheArgs("app-cache", validArgs).list).toEqual([]);
    });

    test.each<[string, CacheArgs, RegExp]>([
        ["zero shards", withPurpose({ shards: 0 }), /purposes\.cache\.shards: must be a whole number from 1 to 500, got 0/],
        ["501 shards", withPurpose({ shards: 501 }), /purposes\.cache\.shards: must be a whole number from 1 to 500, got 501/],
        ["negative replicas per shard", withPurpose({ replicasPerShard: -1 }), /purposes\.cache\.replicasPerShard: must be a whole number from 0 to 5, got -1/],
        ["six replicas per shard", withPurpose({ replicasPerShard: 6 }), /purposes\.cache\.replicasPerShard: must be a whole number from 0 to 5, got 6/],
        ["Multi-AZ with 0 replicas", withPurpose({ replicasPerShard: 0, multiAz: true }), /purposes\.cache\.multiAz: Multi-AZ needs at least one replica per shard .*got replicasPerShard 0/],
        ["node type without cache.", withPurpose({ nodeType: "m7g.large" }), /purposes\.cache\.nodeType: must be an ElastiCache node type .*starting with "cache\."\), got "m7g\.large"/],
        ["RDS class as node type", withPurpose({ nodeType: "db.r7g.large" }), /purposes\.cache\.nodeType: .*got "db\.r7g\.large"/],
        ["too many nodes", withPurpose({ shards: 100, replicasPerShard: 5 }), /100 shards x \(1 \+ 5 replicas\) = 600 nodes exceeds ElastiCache's 500/],
        ["snapshot retention", withPurpose({ snapshotRetentionDays: 36 }), /purposes\.cache\.snapshotRetentionDays: must be a whole number of days from 0 to 35, got 36/],
        ["eviction policy", withPurpose({ maxmemoryPolicy: "lru" as never }), /purposes\.cache\.maxmemoryPolicy: must be one of .*got "lru"/],
        ["derived parameter overridden", withPurpose({ parameters: { "cluster-enabled": "yes" } }), /purposes\.cache\.parameters\.cluster-enabled: is derived/],
        ["purpose not a DNS label", { ...validArgs, purposes: { Cache_1: {} } }, /purposes\.Cache_1: purpose "Cache_1" must be a DNS label/],
        ["no purposes", { ...validArgs, purposes: {} }, /purposes: must name at least one purpose/],
        ["engine", { ...validArgs, engine: "memcached" as never }, /engine: must be "valkey" or "redis", got "memcached"/],
        ["engine version", { ...validArgs, engine: "valkey", engineVersion: "6.2" }, /engineVersion: must be a valkey version major\.minor, 7\.x or later .*got "6\.2"/],
        ["one subnet", { ...validArgs, subnetIds: ["subnet-a"] }, /subnetIds: must list private subnets in at least two AZs, got 1/],
        ["no client security group", { ...validArgs, allowedSecurityGroupIds: {} }, /allowedSecurityGroupIds: must name at least one client security group/],
    ])("%s", (_what, args, message) => {
        expect(() => new Cache("app-cache", args)).toThrow(pulumi.InputPropertiesError);
        expect(() => new Cache("app-cache", args)).toThrow(message);
    });

    test("a name too long for a replication group id is refused", () => {
        expect(() => new Cache("a-rather-long-cache-name", validArgs)).toThrow(/purposes\.sessions: replication group "a-rather-long-cache-name-sessions" .* exceeds ElastiCache's 40/);
    });

    test("every problem is reported at once", () => {
        const problems = validateCacheArgs("c", { ...validArgs, purposes: { cache: { shards: 0, replicasPerShard: 9, nodeType: "x" } } });
        expect(problems.list.map((p) => p.propertyPath).sort()).toEqual(["purposes.cache.nodeType", "purposes.cache.replicasPerShard", "purposes.cache.shards"]);
    });
});

// ---------------------------------------------------------------------------------------------
// Under the mock runtime: the prod large tier's three purposes in us-west-2.
// ---------------------------------------------------------------------------------------------

describe("Cache under mocks", () => {
    let run: StackRun<Cache>;
    let cache: Cache;
    let component: RegisteredResource;
    const group = (purpose: string): RegisteredResource => run.get(GROUP, `app-cache-${purpose}`);

    beforeAll(async () => {
        run = await runComponent(() => {
            const west = new aws.Provider("west", { region: "us-west-2" });
            cache = new Cache("app-cache", { ...validArgs, tags: { team: "platform" } }, { provider: west });
            return cache;
        });
        component = run.get("scaled-web:data:Cache", "app-cache");
    });

    test("one replication group per purpose, every child under the component and in us-west-2", () => {
        expect(run.ofType(GROUP).map((g) => g.name).sort()).toEqual(["app-cache-cache", "app-cache-queue", "app-cache-sessions"]);
        for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
            expect(run.isDescendantOf(r, component)).toBe(true);
            if (r.type.startsWith("aws:")) {
                expect([r.name, r.region]).toEqual([r.name, "us-west-2"]);
            }
        }
    });

    test("the cache purpose runs 3 shards x 1 replica in cluster mode (6 nodes)", () => {
        expect(group("cache").inputs).toMatchObject({
            engine: "valkey",
            engineVersion: "8.0",
            nodeType: "cache.m7g.xlarge",
            clusterMode: "enabled",
            numNodeGroups: 3,
            replicasPerNodeGroup: 1,
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
            parameterGroupName: "app-cache-cache",
        });
        expect(group("cache").inputs.numCacheClusters).toBeUndefined();
    });

    test("single-shard purposes run cluster mode disabled with a primary and a replica", () => {
        for (const purpose of ["queue", "sessions"]) {
            expect(group(purpose).inputs).toMatchObject({ clusterMode: "disabled", numCacheClusters: 2, automaticFailoverEnabled: true, multiAzEnabled: true });
            expect(group(purpose).inputs.numNodeGroups).toBeUndefined();
        }
    });

    test("every group is encrypted at rest with the KMS key and in transit, with a secret AUTH token", () => {
        const key = run.get("aws:kms/key:Key", "app-cache-kms");
        expect(key.inputs.enableKeyRotation).toBe(true);
        for (const purpose of ["cache", "queue", "sessions"]) {
            const g = group(purpose);
            expect(g.inputs).toMatchObject({
                atRestEncryptionEnabled: true,
                kmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/app-cache-kms",
                transitEncryptionEnabled: true,
                transitEncryptionMode: "required",
                authToken: `mock-password-app-cache-${purpose}-auth`,
                subnetGroupName: "app-cache-subnets",
                securityGroupIds: ["app-cache-sg-id"],
                tags: { team: "platform" },
            });
            expect(g.secretInputs).toContain("authToken");
            expect(g.protect).toBe(true);
            const token = run.get("random:index/randomPassword:RandomPassword", `app-cache-${purpose}-auth`);
            expect(token.inputs.length).toBeGreaterThanOrEqual(32);
            expect(token.inputs.special).toBe(false);
        }
    });

    test.each([
        ["cache", "allkeys-lru", "yes"],
        ["queue", "noeviction", "no"],
        ["sessions", "volatile-lru", "no"],
    ])("the %s parameter group evicts with %s and has cluster-enabled %s", (purpose, policy, cluster) => {
        const pg = run.get("aws:elasticache/parameterGroup:ParameterGroup", `app-cache-${purpose}`);
        expect(pg.inputs.family).toBe("valkey8");
        expect(pg.inputs.parameters).toEqual(expect.arrayContaining([
            { name: "maxmemory-policy", value: policy },
            { name: "cluster-enabled", value: cluster },
        ]));
    });

    test("queue and sessions keep snapshots (with a final one); the cache purpose does not", () => {
        expect(group("cache").inputs.snapshotRetentionLimit).toBe(0);
        expect(group("cache").inputs.finalSnapshotIdentifier).toBeUndefined();
        expect(group("queue").inputs).toMatchObject({ snapshotRetentionLimit: 7, finalSnapshotIdentifier: "app-cache-queue-final" });
        expect(group("sessions").inputs).toMatchObject({ snapshotRetentionLimit: 3, finalSnapshotIdentifier: "app-cache-sessions-final" });
    });

    test("port 6379 is open only to the node security group", () => {
        const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        expect(rules.map((r) => r.inputs)).toEqual([expect.objectContaining({
            securityGroupId: "app-cache-sg-id", referencedSecurityGroupId: "sg-nodes", ipProtocol: "tcp", fromPort: 6379, toPort: 6379,
        })]);
        expect(rules[0].inputs.cidrIpv4).toBeUndefined();
        expect(run.get("aws:elasticache/subnetGroup:SubnetGroup", "app-cache-subnets").inputs.subnetIds).toEqual(validArgs.subnetIds);
    });

    test("URLs are secret rediss:// URLs on the right endpoint", async () => {
        expect(await valueOf(cache.urls.cache)).toBe("rediss://:mock-password-app-cache-cache-auth@clustercfg.app-cache-cache.abcdef.uswest2.cache.amazonaws.com:6379");
        expect(await valueOf(cache.urls.queue)).toBe("rediss://:mock-password-app-cache-queue-auth@master.app-cache-queue.abcdef.uswest2.cache.amazonaws.com:6379");
        for (const url of Object.values(cache.urls)) {
            expect(await pulumi.isSecret(url)).toBe(true);
        }
        expect(await valueOf(cache.endpoints.sessions)).toBe("master.app-cache-sessions.abcdef.uswest2.cache.amazonaws.com:6379");
        expect(await valueOf(cache.replicationGroupIds.cache)).toBe("app-cache-cache-id");
    });
});

describe("Cache with protection off and the redis engine", () => {
    let run: StackRun<Cache>;
    beforeAll(async () => {
        run = await runComponent(() => new Cache("dev-cache", {
            ...validArgs,
            engine: "redis",
            protectData: false,
            purposes: { queue: { replicasPerShard: 0, nodeType: "cache.t4g.small" } },
        }));
    });

    test("single node: no failover, no Multi-AZ, no protect, no final snapshot; redis7 family", () => {
        const g = run.get(GROUP, "dev-cache-queue");
        expect(g.inputs).toMatchObject({ engine: "redis", engineVersion: "7.1", numCacheClusters: 1, automaticFailoverEnabled: false, multiAzEnabled: false, transitEncryptionEnabled: true, atRestEncryptionEnabled: true });
        expect(g.inputs.finalSnapshotIdentifier).toBeUndefined();
        expect(g.protect).toBe(false);
        expect(run.get("aws:elasticache/parameterGroup:ParameterGroup", "dev-cache-queue").inputs.family).toBe("redis7");
    });
});
