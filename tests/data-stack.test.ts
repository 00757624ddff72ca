/**
 * The data stage in whole stacks: prod (us-east-1 primary, us-west-2 secondary, large tier) and dev.
 * One mocked run per stack, shared by the tests below.
 */
import { StackRun, RegisteredResource, runStack } from "./harness";

const INSTANCE = "aws:rds/instance:Instance";
const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

function providerRegion(run: StackRun, r: RegisteredResource): string | undefined {
    return run.ofType("pulumi:providers:aws").find((p) => r.provider?.startsWith(`${p.urn}::`))?.inputs.region;
}

describe("prod data stage", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("prod");
    });

    test("one primary: Multi-AZ, encrypted, private, deletion-protected, backups >= 14 days", () => {
        const primaries = run.ofType(INSTANCE).filter((i) => !i.inputs.replicateSourceDb);
        expect(primaries.map((p) => p.name)).toEqual(["prod-use1-db-primary"]);
        const p = primaries[0];
        expect(p.region).toBe("us-east-1");
        expect(p.inputs).toMatchObject({
            engine: "postgres",
            instanceClass: "db.m7g.2xlarge",
            multiAz: true,
            storageEncrypted: true,
            publiclyAccessible: false,
            deletionProtection: true,
            skipFinalSnapshot: false,
        });
        expect(p.inputs.kmsKeyId).toMatch(/^arn:aws:kms:us-east-1:/);
        expect(p.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(14);
        expect(p.protect).toBe(true);
    });

    test("at least two same-region replicas read from the primary", () => {
        const same = run.ofType(INSTANCE).filter((i) => i.inputs.replicateSourceDb === "prod-use1-db-primary");
        expect(same.map((r) => r.name).sort()).toEqual(["prod-use1-db-replica-1", "prod-use1-db-replica-2"]);
        for (const r of same) {
            expect(r.region).toBe("us-east-1");
        }
    });

    test("a cross-region replica in us-west-2, through the us-west-2 provider, with its own KMS key and subnet group", () => {
        const r = run.get(INSTANCE, "prod-use1-db-replica-us-west-2");
        expect(providerRegion(run, r)).toBe("us-west-2");
        expect(r.region).toBe("us-west-2");
        expect(r.inputs.replicateSourceDb).toBe(run.get(INSTANCE, "prod-use1-db-primary").state.arn);
        const key = run.get("aws:kms/key:Key", "prod-use1-db-kms-us-west-2");
        expect(key.region).toBe("us-west-2");
        expect(r.inputs.kmsKeyId).toBe(key.state.arn);
        expect(r.inputs.kmsKeyId).toMatch(/^arn:aws:kms:us-west-2:/);
        const subnets = run.get("aws:rds/subnetGroup:SubnetGroup", "prod-use1-db-subnets-us-west-2");
        expect(subnets.region).toBe("us-west-2");
        expect(r.inputs.dbSubnetGroupName).toBe(subnets.state.name);
        // The subnet group holds the us-west-2 VPC's private subnets.
        const westPrivate = run.ofType("aws:ec2/subnet:Subnet").filter((s) => s.region === "us-west-2" && s.inputs.tags?.tier === "private").map((s) => `${s.name}-id`).sort();
        expect([...subnets.inputs.subnetIds].sort()).toEqual(westPrivate);
    });

    test("cost defaults: the DR replica is single-AZ; every instance's PostgreSQL logs expire after 30 days", () => {
        expect(run.get(INSTANCE, "prod-use1-db-replica-us-west-2").inputs.multiAz).toBe(false);
        const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup").filter((g) => String(g.inputs.name).startsWith("/aws/rds/instance/"));
        expect(groups.map((g) => `${g.region} ${g.inputs.name} ${g.inputs.retentionInDays}`).sort()).toEqual([
            "us-east-1 /aws/rds/instance/prod-use1-db-primary/postgresql 30",
            "us-east-1 /aws/rds/instance/prod-use1-db-primary/upgrade 30",
            "us-east-1 /aws/rds/instance/prod-use1-db-replica-1/postgresql 30",
            "us-east-1 /aws/rds/instance/prod-use1-db-replica-1/upgrade 30",
            "us-east-1 /aws/rds/instance/prod-use1-db-replica-2/postgresql 30",
            "us-east-1 /aws/rds/instance/prod-use1-db-replica-2/upgrade 30",
            "us-west-2 /aws/rds/instance/prod-use1-db-replica-us-west-2/postgresql 30",
            "us-west-2 /aws/rds/instance/prod-use1-db-replica-us-west-2/upgrade 30",
        ]);
    });

    test("same-region replicas name no KMS key (they take the source's); the DR replica names its region's", () => {
        for (const name of ["prod-use1-db-replica-1", "prod-use1-db-replica-2"]) {
            expect([name, run.get(INSTANCE, name).inputs.kmsKeyId]).toEqual([name, undefined]);
        }
        expect(run.get(INSTANCE, "prod-use1-db-replica-us-west-2").inputs.kmsKeyId).toMatch(/^arn:aws:kms:us-west-2:/);
    });

    test("RDS Proxy pools connections in front of the writer with TLS required", () => {
        const proxy = run.get("aws:rds/proxy:Proxy", "prod-use1-db-proxy");
        expect(proxy.region).toBe("us-east-1");
        expect(proxy.inputs).toMatchObject({ engineFamily: "POSTGRESQL", requireTls: true });
        const target = run.get("aws:rds/proxyTarget:ProxyTarget", "prod-use1-db-proxy");
        expect(target.inputs.dbInstanceIdentifier).toBe("prod-use1-db-primary");
        expect(run.get("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup", "prod-use1-db-proxy").inputs.connectionPoolConfig.maxConnectionsPercent).toBe(90);
    });

    test("the database and caches admit only each region's node security group", () => {
        const eastNodes = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => /-(db|cache)-.*from-nodes$/.test(r.name));
        expect(eastNodes.length).toBe(5); // db sg, proxy sg, db sg in us-west-2, cache sg per region
        for (const rule of eastNodes) {
            expect(rule.inputs.cidrIpv4).toBeUndefined();
            const nodeSg = run.ofType("aws:ec2/securityGroup:SecurityGroup").find((sg) => `${sg.name}-id` === rule.inputs.referencedSecurityGroupId);
            expect(nodeSg).toBeDefined();
            expect([rule.name, nodeSg!.region]).toEqual([rule.name, rule.region]);
        }
    });

    test("caches in both regions: 3 shards x 1 replica for `cache`, TLS, auth, per-purpose eviction", () => {
        for (const [prefix, region] of [["prod-use1", "us-east-1"], ["prod-usw2", "us-west-2"]]) {
            const cache = run.get(GROUP, `${prefix}-cache-cache`);
            expect(cache.region).toBe(region);
            expect(cache.inputs).toMatchObject({
                engine: "valkey",
                clusterMode: "enabled",
                numNodeGroups: 3,
                replicasPerNodeGroup: 1,
                nodeType: "cache.m7g.xlarge",
                transitEncryptionEnabled: true,
                atRestEncryptionEnabled: true,
                automaticFailoverEnabled: true,
                multiAzEnabled: true,
            });
            for (const [purpose, policy] of [["cache", "allkeys-lru"], ["queue", "noeviction"], ["sessions", "volatile-lru"]]) {
                const g = run.get(GROUP, `${prefix}-cache-${purpose}`);
                expect(g.secretInputs).toContain("authToken");
                expect(g.inputs.authToken).toBeTruthy();
                expect(g.inputs.transitEncryptionEnabled).toBe(true);
                const pg = run.get("aws:elasticache/parameterGroup:ParameterGroup", g.inputs.parameterGroupName);
                expect(pg.inputs.parameters).toContainEqual({ name: "maxmemory-policy", value: policy });
            }
            expect(run.get(GROUP, `${prefix}-cache-queue`).inputs.snapshotRetentionLimit).toBeGreaterThan(0);
            expect(run.get(GROUP, `${prefix}-cache-sessions`).inputs.snapshotRetentionLimit).toBeGreaterThan(0);
        }
    });

    test("each region has its private db.internal zone with reader and writer records", () => {
        const zones = run.ofType("aws:route53/zone:Zone").filter((z) => z.inputs.name === "db.internal");
        expect(zones.map((z) => z.region).sort()).toEqual(["us-east-1", "us-west-2"]);
        const records = run.ofType("aws:route53/record:Record").filter((r) => /\.db\.internal$/.test(r.inputs.name));
        expect(records.filter((r) => r.inputs.name === "reader.db.internal").length).toBe(3); // 2 in us-east-1, 1 in us-west-2
        expect(records.filter((r) => r.inputs.name === "writer.db.internal").map((r) => r.region).sort()).toEqual(["us-east-1", "us-west-2"]);
    });
});

describe("dev data stage", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("dev");
    });

    test("small tier: one single-AZ primary, no replicas, no deletion protection, still encrypted and private", () => {
        const instances = run.ofType(INSTANCE);
        expect(instances.map((i) => i.name)).toEqual(["dev-use1-db-primary"]);
        expect(instances[0].inputs).toMatchObject({
            instanceClass: "db.t4g.medium",
            multiAz: false,
            deletionProtection: false,
            skipFinalSnapshot: true,
            storageEncrypted: true,
            publiclyAccessible: false,
            backupRetentionPeriod: 7,
        });
        const reader = run.ofType("aws:route53/record:Record").filter((r) => r.inputs.name === "reader.db.internal");
        expect(reader.map((r) => r.inputs.records[0])).toEqual(["dev-use1-db-proxy.proxy-abcdefghij.us-east-1.rds.amazonaws.com"]);
    });

    test("three single-shard cache groups, one replica each", () => {
        const groups = run.ofType(GROUP);
        expect(groups.map((g) => g.name).sort()).toEqual(["dev-use1-cache-cache", "dev-use1-cache-queue", "dev-use1-cache-sessions"]);
        for (const g of groups) {
            expect(g.inputs).toMatchObject({ clusterMode: "disabled", numCacheClusters: 2, transitEncryptionEnabled: true });
            expect(g.protect).toBe(false);
        }
    });
});

describe("bad data config", () => {
    test("a cross-region replica to a region the stack lacks is rejected before anything is created", async () => {
        await expect(runStack("prod", { database: { crossRegionReplicas: ["eu-west-1"] } }))
            .rejects.toThrow(/database\.crossRegionReplicas\.0: "eu-west-1" is not one of this stack's regions/);
    });

    test("prod backups under 14 days are rejected", async () => {
        await expect(runStack("prod", { database: { backupRetentionDays: 7 } })).rejects.toThrow(/database\.backupRetentionDays: prod keeps backups >= 14 days, got 7/);
    });
});

describe("prod data stage with the DR replica Multi-AZ and longer log retention", () => {
    test("database.crossRegionReplicaMultiAz and database.logRetentionDays reach the instances and log groups", async () => {
        const run = await runStack("prod", { database: { crossRegionReplicaMultiAz: true, logRetentionDays: 90 } });
        expect(run.get(INSTANCE, "prod-use1-db-replica-us-west-2").inputs.multiAz).toBe(true);
        const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup").filter((g) => String(g.inputs.name).startsWith("/aws/rds/instance/"));
        expect(new Set(groups.map((g) => g.inputs.retentionInDays))).toEqual(new Set([90]));
    });
});
