import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    Database, DatabaseArgs, POSTGRES_PAGE_BYTES, isPrivateIpv4Cidr, parameterGroupFamily, postgresParameters, readerTargets,
    sameRegionReplicaKeys, sharedBuffersPages, validateDatabaseArgs,
} from "../components/database";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";

const GiB = 2 ** 30;
const INSTANCE = "aws:rds/instance:Instance";

describe.each([
    // memoryGiB, expected 8 kB pages (= memoryGiB x 32768), human size of 25 %
    [4, 131072, "1 GiB"],
    [16, 524288, "4 GiB"],
    [32, 1048576, "8 GiB"],
    [64, 2097152, "16 GiB"],
    [0.5, 16384, "128 MiB"],
    [7.5, 245760, "1.875 GiB"],
])("sharedBuffersPages(%p GiB)", (memoryGiB, pages, human) => {
    test(`is ${pages} pages of 8 kB (${human}), a quarter of RAM`, () => {
        expect(sharedBuffersPages(memoryGiB)).toBe(pages);
        expect(sharedBuffersPages(memoryGiB) * POSTGRES_PAGE_BYTES).toBe(memoryGiB * GiB * 0.25);
    });
    test("is what the parameter map carries, applied at the next reboot", () => {
        const params = postgresParameters({ memoryGiB, maxConnections: 200 });
        expect(params.shared_buffers).toEqual({ value: String(pages), applyMethod: "pending-reboot" });
    });
});

test("sharedBuffersPages rounds down to whole pages", () => {
    expect(sharedBuffersPages(1 / 3)).toBe(Math.floor((GiB / 3 / 4) / 8192));
});

describe("postgresParameters", () => {
    const params = postgresParameters({ memoryGiB: 32, maxConnections: 200 });

    test.each([
        ["max_connections", "200", "pending-reboot"],
        ["work_mem", "65536", "immediate"], // 64MB in kB
        ["maintenance_work_mem", "262144", "immediate"], // 256MB in kB
        ["max_parallel_workers_per_gather", "4", "immediate"],
        ["max_parallel_workers", "8", "immediate"],
        ["log_min_duration_statement", "500", "immediate"],
        ["rds.force_ssl", "1", "immediate"],
    ])("%s = %s (%s)", (name, value, applyMethod) => {
        expect(params[name]).toEqual({ value, applyMethod });
    });

    test("overrides replace defaults and static ones still wait for a reboot", () => {
        const p = postgresParameters({ memoryGiB: 16, maxConnections: 150, workMemMB: 32, overrides: { log_min_duration_statement: "250", max_worker_processes: "16" } });
        expect(p.work_mem.value).toBe("32768");
        expect(p.log_min_duration_statement).toEqual({ value: "250", applyMethod: "immediate" });
        expect(p.max_worker_processes).toEqual({ value: "16", applyMethod: "pending-reboot" });
    });
});

describe.each([
    ["17", "postgres17"],
    ["17.4", "postgres17"],
    ["16.8", "postgres16"],
])("parameterGroupFamily(%s)", (version, family) => {
    test(`is ${family}`, () => expect(parameterGroupFamily(version)).toBe(family));
});

describe.each([
    // region, readReplicas, crossRegion, expected targets
    ["us-east-1", 2, ["us-west-2"], ["replica-1", "replica-2"]],
    ["us-east-1", 0, ["us-west-2"], ["writer"]],
    ["us-west-2", 2, ["us-west-2"], ["replica-us-west-2"]],
    ["eu-west-1", 2, ["us-west-2"], ["replica-1", "replica-2"]],
    ["eu-west-1", 0, [], ["writer"]],
])("readerTargets(%s, replicas %p, cross-region %p)", (region, replicas, cross, expected) => {
    test(`reads go to ${expected.join(", ")}`, () => {
        expect(readerTargets(region, "us-east-1", replicas, cross)).toEqual(expected);
    });
});

test("same-region replica keys are stable 1-based names", () => {
    expect(sameRegionReplicaKeys(3)).toEqual(["replica-1", "replica-2", "replica-3"]);
    expect(sameRegionReplicaKeys(0)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Validation: every bad input names itself, the value and the fix; nothing is created.
// ---------------------------------------------------------------------------------------------

const westProvider = {} as aws.Provider; // validation never touches the provider
const validArgs: DatabaseArgs = {
    region: "us-east-1",
    instanceClass: "db.m7g.2xlarge",
    memoryGiB: 32,
    vpcId: "vpc-east",
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    allowedSecurityGroupIds: { nodes: "sg-nodes-east" },
    readReplicas: 2,
    backupRetentionDays: 14,
    regions: { "us-west-2": { provider: westProvider, vpcId: "vpc-west", subnetIds: ["subnet-d", "subnet-e"], allowedSecurityGroupIds: { nodes: "sg-nodes-west" } } },
};

describe("Database validation", () => {
    test("valid args pass", () => {
        expect(validateDatabaseArgs("app-db", validArgs).list).toEqual([]);
    });

    test.each<[string, Partial<DatabaseArgs>, RegExp]>([
        ["negative replicas", { readReplicas: -1 }, /readReplicas: must be a whole number from 0 to 15 .*got -1/],
        ["too many replicas", { readReplicas: 16 }, /readReplicas: must be a whole number from 0 to 15 .*got 16/],
        ["fractional replicas", { readReplicas: 1.5 }, /readReplicas: .*got 1\.5/],
        ["cross-region replica to an unknown region", { crossRegionReplicas: ["eu-west-1"] }, /crossRegionReplicas\[0\]: "eu-west-1" is not one of the stack's other regions \(us-west-2\)/],
        ["cross-region replica to the primary region", { crossRegionReplicas: ["us-east-1"] }, /crossRegionReplicas\[0\]: "us-east-1" is the primary's own region/],
        ["duplicate cross-region replica", { crossRegionReplicas: ["us-west-2", "us-west-2"] }, /crossRegionReplicas: must not name a region twice/],
        ["instance class without db.", { instanceClass: "m7g.large" }, /instanceClass: must be an RDS instance class .*starting with "db\."\), got "m7g\.large"/],
        ["cache node type as instance class", { instanceClass: "cache.m7g.large" }, /instanceClass: .*got "cache\.m7g\.large"/],
        ["backup retention above 35", { backupRetentionDays: 36 }, /backupRetentionDays: must be a whole number of days from 0 to 35, got 36/],
        ["backup retention below 0", { backupRetentionDays: -1 }, /backupRetentionDays: must be a whole number of days from 0 to 35, got -1/],
        ["replicas without backups", { backupRetentionDays: 0 }, /backupRetentionDays: must be > 0 when the database has read replicas \(3 requested\)/],
        ["memory missing", { memoryGiB: 0 }, /memoryGiB: must be the instance class's memory in GiB \(> 0\), got 0/],
        ["engine version", { engineVersion: "latest" }, /engineVersion: must be a PostgreSQL major .*got "latest"/],
        ["old engine version", { engineVersion: "11" }, /engineVersion: must be PostgreSQL 13 or later/],
        ["max connections", { maxConnections: 10 }, /maxConnections: must be a whole number from 20 to 5000, got 10/],
        ["storage ceiling under allocation", { allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 }, /maxAllocatedStorageGiB: must be a whole number of GiB from allocatedStorageGiB \(200\)/],
        ["small storage", { allocatedStorageGiB: 10 }, /allocatedStorageGiB: must be a whole number of GiB from 20/],
        ["monitoring interval", { monitoringIntervalSeconds: 45 }, /monitoringIntervalSeconds: must be one of 0, 1, 5, 10, 15, 30, 60, got 45/],
        ["reserved user", { masterUsername: "rdsadmin" }, /masterUsername: "rdsadmin" is reserved/],
        ["bad database name", { databaseName: "my-app" }, /databaseName: must start with a letter .*got "my-app"/],
        ["pool percent", { pooling: { maxConnectionsPercent: 0 } }, /pooling\.maxConnectionsPercent: must be a whole number from 1 to 100, got 0/],
        ["one subnet", { subnetIds: ["subnet-a"] }, /subnetIds: must list private subnets in at least two AZs/],
        ["no client security group", { allowedSecurityGroupIds: {} }, /allowedSecurityGroupIds: must name at least one client security group/],
        ["private zone", { privateZoneName: "DB" }, /privateZoneName: must be a lower-case DNS name/],
    ])("%s", (_what, change, message) => {
        const args = { ...validArgs, ...change } as DatabaseArgs;
        expect(() => new Database("app-db", args)).toThrow(pulumi.InputPropertiesError);
        expect(() => new Database("app-db", args)).toThrow(message);
    });

    test("a too-long name is refused before RDS would", () => {
        const name = `app-${"x".repeat(44)}-db`; // 51 characters: "-primary" fits in 63, "-replica-us-west-2" does not
        expect(() => new Database(name, validArgs)).toThrow(new RegExp(`name: "${name}" makes invalid RDS instance identifiers \\(${name}-replica-us-west-2\\).*use a shorter lower-case component name`));
    });

    test.each<[string, Partial<DatabaseArgs>, RegExp]>([
        ["log retention CloudWatch rejects", { logRetentionDays: 31 }, /logRetentionDays: must be one of the periods CloudWatch Logs accepts \(1, 3, 5, .*\), got 31/],
        ["identifier override for an unknown instance", { identifiers: { "replica-9": "x" } }, /identifiers\.replica-9: is not an instance of this database; keys are primary, replica-1, replica-2, replica-us-west-2/],
        ["identifier override RDS refuses", { identifiers: { primary: "Prod_DB" } }, /identifiers\.primary: must be an RDS identifier .*got "Prod_DB"/],
    ])("%s", (_what, change, message) => {
        expect(() => new Database("app-db", { ...validArgs, ...change } as DatabaseArgs)).toThrow(message);
    });

    test("every problem is reported at once", () => {
        const problems = validateDatabaseArgs("app-db", { ...validArgs, readReplicas: -1, instanceClass: "m5.large", backupRetentionDays: 40, crossRegionReplicas: ["mars-1"] });
        expect(problems.list.map((p) => p.propertyPath).sort()).toEqual(["backupRetentionDays", "crossRegionReplicas[0]", "instanceClass", "readReplicas"]);
    });
});

// ---------------------------------------------------------------------------------------------
// The component under the mock runtime: primary in us-east-1, two same-region replicas and a
// cross-region replica in us-west-2 through the us-west-2 provider.
// ---------------------------------------------------------------------------------------------

describe("Database under mocks", () => {
    let run: StackRun<Database>;
    let db: Database;
    let component: RegisteredResource;
    const inst = (name: string): RegisteredResource => run.get(INSTANCE, name);

    beforeAll(async () => {
        run = await runComponent(() => {
            const east = new aws.Provider("east", { region: "us-east-1" });
            const west = new aws.Provider("west", { region: "us-west-2" });
            db = new Database("app-db", {
                ...validArgs,
                maxConnections: 200,
                pooling: { maxConnectionsPercent: 80 },
                tags: { team: "platform" },
                regions: { "us-west-2": { ...validArgs.regions!["us-west-2"], provider: west } },
            }, { provider: east });
            return db;
        });
        component = run.get("scaled-web:data:Database", "app-db");
    });

    test("one primary and three replicas, all children of the component", () => {
        expect(run.ofType(INSTANCE).map((r) => r.name).sort()).toEqual(["app-db-primary", "app-db-replica-1", "app-db-replica-2", "app-db-replica-us-west-2"]);
        for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("aws:"))) {
            expect(run.isDescendantOf(r, component)).toBe(true);
        }
    });

    test("the primary: postgres 17, Multi-AZ, gp3 with autoscaling, encrypted with its own key, private", () => {
        const p = inst("app-db-primary");
        expect(p.region).toBe("us-east-1");
        expect(p.inputs).toMatchObject({
            engine: "postgres",
            engineVersion: "17",
            instanceClass: "db.m7g.2xlarge",
            multiAz: true,
            storageType: "gp3",
            allocatedStorage: 20,
            maxAllocatedStorage: 100,
            storageEncrypted: true,
            kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/app-db-kms",
            publiclyAccessible: false,
            dbSubnetGroupName: "app-db-subnets",
            vpcSecurityGroupIds: ["app-db-sg-id"],
            parameterGroupName: "app-db-params",
            backupRetentionPeriod: 14,
            deletionProtection: true,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: "app-db-final",
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/app-db-kms",
            monitoringInterval: 60,
            monitoringRoleArn: "arn:aws:iam::123456789012:role/app-db-monitoring",
            copyTagsToSnapshot: true,
            iamDatabaseAuthenticationEnabled: true,
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
            autoMinorVersionUpgrade: true,
            dbName: "app",
            username: "app_admin",
            tags: { team: "platform" },
        });
        expect(p.protect).toBe(true);
    });

    test("the master password is random and secret, never plain", () => {
        const p = inst("app-db-primary");
        expect(p.secretInputs).toContain("password");
        expect(p.inputs.password).toBe("mock-password-app-db-master");
        expect(p.inputs.manageMasterUserPassword).toBeUndefined();
        const pw = run.get("random:index/randomPassword:RandomPassword", "app-db-master");
        expect(pw.inputs).toMatchObject({ length: 40, special: false });
    });

    test("the master secret is encrypted with the key, replicated to the DR region, and holds the credentials", async () => {
        const secret = run.get("aws:secretsmanager/secret:Secret", "app-db-master");
        expect(secret.inputs.kmsKeyId).toBe("arn:aws:kms:us-east-1:123456789012:key/app-db-kms");
        expect(secret.inputs.replicas).toEqual([{ region: "us-west-2", kmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/app-db-kms-us-west-2" }]);
        const version = run.get("aws:secretsmanager/secretVersion:SecretVersion", "app-db-master");
        expect(version.secretInputs).toContain("secretString");
        expect(JSON.parse(version.inputs.secretString)).toEqual({
            engine: "postgres", host: "app-db-primary.abcdefghij.us-east-1.rds.amazonaws.com", port: 5432, dbname: "app", username: "app_admin", password: "mock-password-app-db-master",
        });
        expect(await valueOf(db.secretArn)).toBe("arn:aws:secretsmanager:us-east-1:123456789012:secret:app-db-master-AbCdEf");
        // The component hands out no password: the application has its own IAM-authenticated role.
        expect("password" in db).toBe(false);
        expect(db.appUsername).toBe("app");
        expect(db.masterPassword).toBe("generated");
    });

    test("clients of the application role may connect on the proxy and each replica, as that user only", async () => {
        expect(await valueOf(db.clientConnectArns)).toEqual([
            "arn:aws:rds-db:us-east-1:123456789012:dbuser:prx-appdbproxy/app",
            "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-APP-DB-REPLICA-1/app",
            "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-APP-DB-REPLICA-2/app",
            "arn:aws:rds-db:us-west-2:123456789012:dbuser:db-APP-DB-REPLICA-US-WEST-2/app",
        ]);
        expect(await valueOf(db.primaryAddress)).toBe("app-db-primary.abcdefghij.us-east-1.rds.amazonaws.com");
    });

    test("same-region replicas point at the primary by identifier and share its contract", () => {
        const primary = inst("app-db-primary").inputs;
        for (const name of ["app-db-replica-1", "app-db-replica-2"]) {
            const r = inst(name);
            expect(r.region).toBe("us-east-1");
            expect(r.inputs.replicateSourceDb).toBe("app-db-primary");
            for (const key of ["instanceClass", "storageType", "maxAllocatedStorage", "parameterGroupName", "dbSubnetGroupName", "vpcSecurityGroupIds", "storageEncrypted",
                "iamDatabaseAuthenticationEnabled", "performanceInsightsEnabled", "monitoringInterval", "enabledCloudwatchLogsExports", "publiclyAccessible", "deletionProtection"]) {
                expect([name, key, r.inputs[key]]).toEqual([name, key, primary[key]]);
            }
            // Replicas inherit engine and credentials from the source; PostgreSQL replicas keep no backups.
            expect(r.inputs.engine).toBeUndefined();
            expect(r.inputs.username).toBeUndefined();
            expect(r.inputs.password).toBeUndefined();
            expect(r.inputs).toMatchObject({ backupRetentionPeriod: 0, skipFinalSnapshot: true, multiAz: false });
        }
    });

    test("same-region replicas carry no KMS key (RDS: don't specify one in the source's region); the primary and the DR replica do", () => {
        expect(inst("app-db-primary").inputs.kmsKeyId).toBe("arn:aws:kms:us-east-1:123456789012:key/app-db-kms");
        for (const name of ["app-db-replica-1", "app-db-replica-2"]) {
            expect([name, "kmsKeyId" in inst(name).inputs]).toEqual([name, false]);
        }
        expect(inst("app-db-replica-us-west-2").inputs.kmsKeyId).toBe("arn:aws:kms:us-west-2:123456789012:key/app-db-kms-us-west-2");
    });

    test("instances have explicit identifiers and their log groups exist first, with retention, in their region", () => {
        const expected: [string, string, string][] = [
            ["app-db-primary", "app-db-primary", "us-east-1"],
            ["app-db-replica-1", "app-db-replica-1", "us-east-1"],
            ["app-db-replica-2", "app-db-replica-2", "us-east-1"],
            ["app-db-replica-us-west-2", "app-db-replica-us-west-2", "us-west-2"],
        ];
        const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup");
        for (const [resource, identifier, region] of expected) {
            const instance = inst(resource);
            expect(instance.inputs.identifier).toBe(identifier);
            for (const log of ["postgresql", "upgrade"]) {
                const group = groups.find((g) => g.inputs.name === `/aws/rds/instance/${identifier}/${log}`);
                expect([resource, log, group?.inputs.retentionInDays, group?.region]).toEqual([resource, log, 30, region]);
                expect([resource, log, instance.dependencies.includes(group!.urn)]).toEqual([resource, log, true]);
            }
        }
        expect(groups).toHaveLength(8);
    });

    test("the cross-region replica goes through the us-west-2 provider with its own key, subnet group, SG and parameter group", () => {
        const r = inst("app-db-replica-us-west-2");
        expect(r.region).toBe("us-west-2");
        const west = run.get("pulumi:providers:aws", "west");
        expect(r.provider?.startsWith(`${west.urn}::`)).toBe(true);
        expect(r.inputs).toMatchObject({
            replicateSourceDb: "arn:aws:rds:us-east-1:123456789012:db:app-db-primary",
            kmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/app-db-kms-us-west-2",
            performanceInsightsKmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/app-db-kms-us-west-2",
            dbSubnetGroupName: "app-db-subnets-us-west-2",
            vpcSecurityGroupIds: ["app-db-sg-us-west-2-id"],
            parameterGroupName: "app-db-params-us-west-2",
            storageEncrypted: true,
            publiclyAccessible: false,
            // A DR copy that only serves reads: single-AZ unless crossRegionReplicaMultiAz asks otherwise.
            multiAz: false,
        });
        for (const [type, name] of [
            ["aws:kms/key:Key", "app-db-kms-us-west-2"],
            ["aws:rds/subnetGroup:SubnetGroup", "app-db-subnets-us-west-2"],
            ["aws:ec2/securityGroup:SecurityGroup", "app-db-sg-us-west-2"],
            ["aws:rds/parameterGroup:ParameterGroup", "app-db-params-us-west-2"],
        ]) {
            expect([name, run.get(type, name).region]).toEqual([name, "us-west-2"]);
        }
        expect(run.get("aws:rds/subnetGroup:SubnetGroup", "app-db-subnets-us-west-2").inputs.subnetIds).toEqual(["subnet-d", "subnet-e"]);
        expect(run.get("aws:ec2/securityGroup:SecurityGroup", "app-db-sg-us-west-2").inputs.vpcId).toBe("vpc-west");
    });

    test("KMS keys rotate", () => {
        const keys = run.ofType("aws:kms/key:Key");
        expect(keys.map((k) => k.name).sort()).toEqual(["app-db-kms", "app-db-kms-us-west-2"]);
        for (const k of keys) {
            expect(k.inputs.enableKeyRotation).toBe(true);
        }
    });

    test("the parameter group is postgres17 with the seeds' tuning", () => {
        const pg = run.get("aws:rds/parameterGroup:ParameterGroup", "app-db-params");
        expect(pg.inputs.family).toBe("postgres17");
        const byName = Object.fromEntries(pg.inputs.parameters.map((x: { name: string; value: string; applyMethod: string }) => [x.name, x]));
        expect(byName.max_connections).toEqual({ name: "max_connections", value: "200", applyMethod: "pending-reboot" });
        expect(byName.shared_buffers).toEqual({ name: "shared_buffers", value: "1048576", applyMethod: "pending-reboot" });
        expect(byName["rds.force_ssl"].value).toBe("1");
        expect(byName.work_mem.value).toBe("65536");
    });

    test("PostgreSQL is reachable only from the node security group and the proxy", () => {
        const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        const bySg = (sg: string) => rules.filter((r) => r.inputs.securityGroupId === sg).map((r) => r.inputs.referencedSecurityGroupId).sort();
        expect(bySg("app-db-sg-id")).toEqual(["app-db-proxy-sg-id", "sg-nodes-east"]);
        expect(bySg("app-db-sg-us-west-2-id")).toEqual(["sg-nodes-west"]);
        expect(bySg("app-db-proxy-sg-id")).toEqual(["sg-nodes-east"]);
        for (const r of rules) {
            expect(r.inputs).toMatchObject({ ipProtocol: "tcp", fromPort: 5432, toPort: 5432 });
            expect(r.inputs.cidrIpv4).toBeUndefined();
        }
        const egress = run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
        expect(egress.map((e) => [e.inputs.securityGroupId, e.inputs.referencedSecurityGroupId, e.inputs.fromPort])).toEqual([["app-db-proxy-sg-id", "app-db-sg-id", 5432]]);
    });

    test("RDS Proxy pools connections in front of the writer, TLS required, secret auth, private subnets", () => {
        const proxy = run.get("aws:rds/proxy:Proxy", "app-db-proxy");
        expect(proxy.inputs).toMatchObject({
            engineFamily: "POSTGRESQL",
            requireTls: true,
            vpcSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
            vpcSecurityGroupIds: ["app-db-proxy-sg-id"],
            roleArn: "arn:aws:iam::123456789012:role/app-db-proxy",
        });
        // End-to-end IAM authentication: no Secrets Manager secret behind the proxy (no auths), clients and the proxy's
        // own database login both use IAM.
        expect(proxy.inputs.defaultAuthScheme).toBe("IAM_AUTH");
        expect(proxy.inputs.auths ?? []).toEqual([]);
        expect(proxy.dependencies).toContain(run.get("aws:iam/rolePolicy:RolePolicy", "app-db-proxy").urn);
        const tg = run.get("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup", "app-db-proxy");
        expect(tg.inputs.connectionPoolConfig).toMatchObject({ maxConnectionsPercent: 80, maxIdleConnectionsPercent: 50 });
        const target = run.get("aws:rds/proxyTarget:ProxyTarget", "app-db-proxy");
        expect(target.inputs).toMatchObject({ dbProxyName: "app-db-proxy", targetGroupName: "default", dbInstanceIdentifier: "app-db-primary" });
        // The proxy's role may log in to the primary as the application role, and nothing else (no secret, no key).
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "app-db-proxy").inputs.policy);
        expect(policy.Statement).toEqual([{
            Sid: "ConnectAsAppUser", Effect: "Allow", Action: ["rds-db:connect"], Resource: "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-APP-DB-PRIMARY/app",
        }]);
    });

    test("enhanced monitoring has its role with the AWS managed policy", () => {
        const role = run.get("aws:iam/role:Role", "app-db-monitoring");
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "monitoring.rds.amazonaws.com" });
        expect(run.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-db-monitoring").inputs.policyArn)
            .toBe("arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole");
    });

    test("a private zone per region, associated with that region's VPC", () => {
        const east = run.get("aws:route53/zone:Zone", "app-db-zone");
        const west = run.get("aws:route53/zone:Zone", "app-db-zone-us-west-2");
        expect(east.inputs).toMatchObject({ name: "db.internal", vpcs: [{ vpcId: "vpc-east", vpcRegion: "us-east-1" }] });
        expect(west.inputs).toMatchObject({ name: "db.internal", vpcs: [{ vpcId: "vpc-west", vpcRegion: "us-west-2" }] });
        expect(west.region).toBe("us-west-2");
    });

    test("reader records spread over each region's replicas; writer records point at the proxy", () => {
        const records = run.ofType("aws:route53/record:Record");
        const readers = (zone: string) => records.filter((r) => r.inputs.zoneId === zone && r.inputs.name === "reader.db.internal");
        const eastZone = run.get("aws:route53/zone:Zone", "app-db-zone").state.zoneId;
        const westZone = run.get("aws:route53/zone:Zone", "app-db-zone-us-west-2").state.zoneId;
        expect(readers(eastZone).map((r) => r.inputs.records[0]).sort()).toEqual([
            "app-db-replica-1.abcdefghij.us-east-1.rds.amazonaws.com",
            "app-db-replica-2.abcdefghij.us-east-1.rds.amazonaws.com",
        ]);
        expect(readers(westZone).map((r) => r.inputs.records[0])).toEqual(["app-db-replica-us-west-2.abcdefghij.us-west-2.rds.amazonaws.com"]);
        // Two replicas: equal weights, each behind a health check on its replica's lag alarm.
        for (const r of readers(eastZone)) {
            expect(r.inputs).toMatchObject({ type: "CNAME", weightedRoutingPolicies: [{ weight: 1 }] });
            expect(r.inputs.setIdentifier).toMatch(/^replica-\d$/);
            const check = run.ofType("aws:route53/healthCheck:HealthCheck").find((h) => h.state.id === r.inputs.healthCheckId || `${h.name}-id` === r.inputs.healthCheckId);
            expect(check?.inputs).toMatchObject({ type: "CLOUDWATCH_METRIC", cloudwatchAlarmRegion: "us-east-1", cloudwatchAlarmName: `app-db-reader-lag-${r.inputs.setIdentifier}` });
            const alarm = run.get("aws:cloudwatch/metricAlarm:MetricAlarm", `app-db-reader-lag-${r.inputs.setIdentifier}`);
            expect(alarm.inputs).toMatchObject({ metricName: "ReplicaLag", threshold: 30, treatMissingData: "breaching", dimensions: { DBInstanceIdentifier: `app-db-${r.inputs.setIdentifier}` } });
            expect(alarm.region).toBe("us-east-1");
        }
        // One replica: a plain record, nothing to weigh.
        for (const r of readers(westZone)) {
            expect(r.inputs.type).toBe("CNAME");
            expect(r.inputs.weightedRoutingPolicies).toBeUndefined();
            expect(r.inputs.setIdentifier).toBeUndefined();
        }
        const writers = records.filter((r) => r.inputs.name === "writer.db.internal");
        expect(writers.map((w) => [w.inputs.zoneId, w.inputs.records[0]]).sort()).toEqual([
            [eastZone, "app-db-proxy.proxy-abcdefghij.us-east-1.rds.amazonaws.com"],
            [westZone, "app-db-proxy.proxy-abcdefghij.us-east-1.rds.amazonaws.com"],
        ].sort());
    });

    test("outputs: writer via the proxy, reader per region, replica ids per region", async () => {
        expect(await valueOf(db.writerEndpoint)).toBe("app-db-proxy.proxy-abcdefghij.us-east-1.rds.amazonaws.com:5432");
        expect(await valueOf(db.endpoints["us-east-1"].reader)).toBe("reader.db.internal:5432");
        expect(await valueOf(db.endpoints["us-west-2"].reader)).toBe("reader.db.internal:5432");
        expect(await valueOf(db.endpoints["us-west-2"].writer)).toBe("app-db-proxy.proxy-abcdefghij.us-east-1.rds.amazonaws.com:5432");
        expect(await valueOf(pulumi.all(db.replicaIds["us-east-1"]))).toEqual(["app-db-replica-1", "app-db-replica-2"]);
        expect(await valueOf(pulumi.all(db.replicaIds["us-west-2"]))).toEqual(["app-db-replica-us-west-2"]);
        expect(await valueOf(db.instanceId)).toBe("app-db-primary");
        expect(db.maxConnections).toBe(200);
    });
});

describe("Database with the unsafe options asked for by name", () => {
    let run: StackRun<string>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const east = new aws.Provider("east", { region: "us-east-1" });
            const db = new Database("dev-db", {
                region: "us-east-1",
                instanceClass: "db.t4g.medium",
                memoryGiB: 4,
                vpcId: "vpc-east",
                subnetIds: ["subnet-a", "subnet-b"],
                allowedSecurityGroupIds: { nodes: "sg-nodes" },
                multiAz: false,
                protectData: false,
                pooling: { enabled: false },
            }, { provider: east });
            return db.writerEndpoint;
        });
    });

    test("no protection, no final snapshot, no proxy; the reader falls back to the writer", () => {
        const p = run.get(INSTANCE, "dev-db-primary");
        expect(p.inputs).toMatchObject({ multiAz: false, deletionProtection: false, skipFinalSnapshot: true, backupRetentionPeriod: 7 });
        expect(p.inputs.finalSnapshotIdentifier).toBeUndefined();
        expect(p.protect).toBe(false);
        expect(run.ofType(INSTANCE)).toHaveLength(1);
        expect(run.ofType("aws:rds/proxy:Proxy")).toHaveLength(0);
        expect(run.outputs).toBe("dev-db-primary.abcdefghij.us-east-1.rds.amazonaws.com:5432");
        const reader = run.get("aws:route53/record:Record", "dev-db-reader-writer");
        expect(reader.inputs.records).toEqual(["dev-db-primary.abcdefghij.us-east-1.rds.amazonaws.com"]);
    });

    test("storage autoscaling defaults to five times the allocation; secure defaults stay on", () => {
        const p = run.get(INSTANCE, "dev-db-primary");
        expect(p.inputs).toMatchObject({ allocatedStorage: 20, maxAllocatedStorage: 100, storageEncrypted: true, publiclyAccessible: false });
    });
});

// ---------------------------------------------------------------------------------------------
// allowedCidrBlocks: clients in peered VPCs of other regions, admitted by CIDR at the writer's front door.
// ---------------------------------------------------------------------------------------------

describe.each([
    ["10.20.0.0/19", true],
    ["10.0.0.0/8", true],
    ["172.31.0.0/16", true],
    ["192.168.10.0/24", true],
    ["100.64.0.0/16", true],
    ["172.32.0.0/16", false], // just past 172.16.0.0/12
    ["0.0.0.0/0", false],
    ["8.8.8.0/24", false],
    ["10.0.0.0/7", false], // wider than the private range
    ["10.20.0.1/19", false], // host bits set
])("isPrivateIpv4Cidr(%s)", (cidr, expected) => {
    test(`is ${expected}`, () => expect(isPrivateIpv4Cidr(cidr)).toBe(expected));
});

describe("Database allowedCidrBlocks validation", () => {
    test.each<[string, Record<string, string>, RegExp]>([
        ["a public range", { world: "0.0.0.0/0" }, /allowedCidrBlocks\.world: must lie in a private range \(10\.0\.0\.0\/8, .*\): the database never admits public addresses; .*got "0\.0\.0\.0\/0"/],
        ["an unaligned CIDR", { "us-west-2a": "10.20.0.1/19" }, /allowedCidrBlocks\.us-west-2a: must be an aligned IPv4 CIDR such as "10\.20\.0\.0\/19", got "10\.20\.0\.1\/19"/],
        ["not a CIDR", { "us-west-2a": "10.20.0.0" }, /allowedCidrBlocks\.us-west-2a: must be an aligned IPv4 CIDR .*got "10\.20\.0\.0"/],
        ["a key that cannot name a rule", { "West 2A": "10.20.0.0/19" }, /allowedCidrBlocks\.West 2A: key must be a stable name .*got "West 2A"/],
    ])("rejects %s", (_what, allowedCidrBlocks, message) => {
        const args = { ...validArgs, allowedCidrBlocks };
        expect(() => new Database("app-db", args)).toThrow(pulumi.InputPropertiesError);
        expect(() => new Database("app-db", args)).toThrow(message);
    });

    test("private subnet CIDRs keyed by AZ pass", () => {
        expect(validateDatabaseArgs("app-db", { ...validArgs, allowedCidrBlocks: { "us-west-2a": "10.20.0.0/19", "us-west-2b": "10.20.32.0/19" } }).list).toEqual([]);
    });
});

describe.each([
    // pooling on: the proxy's group admits the CIDRs; pooling off: the primary's group does.
    [true, "cidr-db-proxy-sg-id", "cidr-db-proxy-sg-cidr"],
    [false, "cidr-db-sg-id", "cidr-db-sg-cidr"],
])("Database allowedCidrBlocks with pooling %p", (pooled, frontDoor, rulePrefix) => {
    let run: StackRun<string>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const eastProvider = new aws.Provider("east", { region: "us-east-1" });
            const db = new Database("cidr-db", {
                region: "us-east-1",
                instanceClass: "db.t4g.medium",
                memoryGiB: 4,
                vpcId: "vpc-east",
                subnetIds: ["subnet-a", "subnet-b"],
                allowedSecurityGroupIds: { nodes: "sg-nodes" },
                protectData: false,
                pooling: { enabled: pooled },
                allowedCidrBlocks: { "us-west-2a": "10.20.0.0/19", "us-west-2b": "10.20.32.0/19" },
            }, { provider: eastProvider });
            return db.writerEndpoint;
        });
    });

    test(`5432 from each CIDR on ${frontDoor} only, in the primary region`, () => {
        const cidrRules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.cidrIpv4 !== undefined);
        expect(cidrRules.map((r) => [r.name, r.region, r.inputs.securityGroupId, r.inputs.cidrIpv4, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort]).sort()).toEqual([
            [`${rulePrefix}-us-west-2a`, "us-east-1", frontDoor, "10.20.0.0/19", "tcp", 5432, 5432],
            [`${rulePrefix}-us-west-2b`, "us-east-1", frontDoor, "10.20.32.0/19", "tcp", 5432, 5432],
        ]);
        expect(cidrRules.every((r) => r.inputs.referencedSecurityGroupId === undefined)).toBe(true);
    });
});

describe("Database cost settings asked for by name", () => {
    let run: StackRun<string>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const east = new aws.Provider("east", { region: "us-east-1" });
            const west = new aws.Provider("west", { region: "us-west-2" });
            const db = new Database("app-db", {
                ...validArgs,
                readReplicas: 1,
                crossRegionReplicaMultiAz: true,
                logRetentionDays: 90,
                // An instance Pulumi auto-named before identifiers were explicit keeps its identifier.
                identifiers: { primary: "app-db-primary-4f1c2ab" },
                regions: { "us-west-2": { ...validArgs.regions!["us-west-2"], provider: west } },
            }, { provider: east });
            return db.writerEndpoint;
        });
    });

    test("the DR replica is Multi-AZ when asked; same-region replicas stay single-AZ", () => {
        expect(run.get(INSTANCE, "app-db-replica-us-west-2").inputs.multiAz).toBe(true);
        expect(run.get(INSTANCE, "app-db-replica-1").inputs.multiAz).toBe(false);
    });

    test("log retention and identifier overrides reach the log groups and the instance", () => {
        expect(run.get(INSTANCE, "app-db-primary").inputs.identifier).toBe("app-db-primary-4f1c2ab");
        const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup");
        expect(groups.map((g) => g.inputs.name)).toContain("/aws/rds/instance/app-db-primary-4f1c2ab/postgresql");
        expect(new Set(groups.map((g) => g.inputs.retentionInDays))).toEqual(new Set([90]));
    });
});
