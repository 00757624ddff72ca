/**
 * Regional failover as one config change (issue 18): prod as it runs, and prod with `failover.activeRegion:
 * us-west-2`. The two offline runs are compared resource by resource (by URN, on the inputs the program sends):
 * what is created, deleted, updated, and whether an update touches an input the provider replaces the resource for.
 *
 * Inputs that force a replacement, per stateful type: the `ForceNew` attributes of hashicorp/terraform-provider-aws
 * (which @pulumi/aws bridges; the Pulumi SDK ships no schema with them): internal/service/rds/instance.go
 * (`identifier`, `identifier_prefix`, `kms_key_id`, `storage_encrypted`, `engine`, `db_name`, `username`,
 * `availability_zone`, `character_set_name`, `nchar_character_set_name`, `snapshot_identifier`,
 * `restore_to_point_in_time`, `timezone`, `custom_iam_instance_profile`; `replicate_source_db` is not ForceNew:
 * clearing it promotes), and the `name`/`bucket`/`replication_group_id` identities of the others.
 */
import { ConfigError, parseConfig } from "../platform/config";
import { buildPlanReport, renderText } from "../toolkit/report";
import { RegisteredResource, StackRun, runStack } from "./harness";

const REPLACING: Readonly<Record<string, readonly string[]>> = {
    "aws:rds/instance:Instance": [
        "identifier", "identifierPrefix", "kmsKeyId", "storageEncrypted", "engine", "dbName", "username", "availabilityZone",
        "characterSetName", "ncharCharacterSetName", "snapshotIdentifier", "restoreToPointInTime", "timezone", "customIamInstanceProfile",
    ],
    "aws:elasticache/replicationGroup:ReplicationGroup": ["replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:kms/key:Key": ["keyUsage", "customerMasterKeySpec", "keySpec", "multiRegion"],
    "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
    "aws:backup/vault:Vault": ["name", "kmsKeyArn"],
    "aws:route53/zone:Zone": ["name", "delegationSetId"],
};
const STATEFUL = Object.keys(REPLACING);

interface Change {
    readonly name: string;
    readonly type: string;
    readonly region?: string;
    readonly keys: string[];
    readonly replacing: string[];
}

function diff(before: readonly RegisteredResource[], after: readonly RegisteredResource[]): { created: RegisteredResource[]; deleted: RegisteredResource[]; changed: Change[] } {
    const a = new Map(after.map((r) => [r.urn, r]));
    const b = new Map(before.map((r) => [r.urn, r]));
    const changed: Change[] = [];
    for (const r of before) {
        const n = a.get(r.urn);
        if (!n || !r.custom) {
            continue;
        }
        const keys = [...new Set([...Object.keys(r.inputs), ...Object.keys(n.inputs)])]
            .filter((k) => JSON.stringify(r.inputs[k]) !== JSON.stringify(n.inputs[k])).sort();
        if (keys.length || r.protect !== n.protect) {
            changed.push({ name: r.name, type: r.type, region: r.region, keys, replacing: keys.filter((k) => (REPLACING[r.type] ?? []).includes(k)) });
        }
    }
    return { created: after.filter((r) => !b.has(r.urn)), deleted: before.filter((r) => !a.has(r.urn)), changed };
}

describe("config", () => {
    const raw = (activeRegion: string, crossRegionReplicas?: string[]): Record<string, unknown> => ({
        environment: "prod", domain: "example.com",
        regions: { "us-east-1": { role: "primary", weight: 70 }, "us-west-2": { role: "secondary", weight: 30 } },
        api: { image: "r.example.com/api:1.0.0" }, ws: { image: "r.example.com/ws:1.0.0" }, workers: { image: "r.example.com/w:1.0.0" },
        cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": "arn:aws:iam::123456789012:role/platform-admins" } },
        failover: { activeRegion },
        ...(crossRegionReplicas ? { database: { crossRegionReplicas } } : {}),
    });
    test("failing over to us-west-2 drains us-east-1 and gives its weight to us-west-2", () => {
        const c = parseConfig(raw("us-west-2"), "prod");
        expect(c.failover).toEqual({ activeRegion: "us-west-2", failedOver: true, drainedRegion: "us-east-1" });
        expect(c.regions.map((r) => [r.name, r.role, r.weight])).toEqual([["us-east-1", "primary", 0], ["us-west-2", "secondary", 100]]);
    });
    test("naming the primary is normal operation", () => {
        const c = parseConfig(raw("us-east-1"), "prod");
        expect(c.failover).toEqual({ activeRegion: "us-east-1", failedOver: false });
        expect(c.regions.map((r) => r.weight)).toEqual([70, 30]);
    });
    test.each([
        [raw("us-west-2", []), /failover\.activeRegion: "us-west-2" holds no cross-region database replica to promote \(replicas in: none\)/],
        [raw("eu-west-1"), /failover\.activeRegion: must be one of the stack's regions \(us-east-1, us-west-2\) \(got "eu-west-1"\)/],
    ])("refuses a failover without a replica to promote (%#)", (r, message) => {
        expect(() => parseConfig(r, "prod")).toThrow(ConfigError);
        expect(() => parseConfig(r, "prod")).toThrow(message);
    });
});

describe("prod before and after `failover.activeRegion: us-west-2`", () => {
    let before: StackRun;
    let after: StackRun;
    let d: ReturnType<typeof diff>;
    beforeAll(async () => {
        before = await runStack("prod");
        after = await runStack("prod", { "scaled-web:failover": { activeRegion: "us-west-2" } });
        d = diff(before.resources, after.resources);
    }, 600_000);

    test("no stateful resource is deleted, and no update touches an input that replaces it", () => {
        expect(d.deleted.map((r) => r.name)).toEqual([]);
        const stateful = d.changed.filter((c) => STATEFUL.includes(c.type));
        expect(stateful.filter((c) => c.replacing.length > 0)).toEqual([]);
        // The only stateful change: the promoted replica.
        expect(stateful.map((c) => c.name)).toEqual(["prod-use1-db-replica-us-west-2"]);
    });

    test("the replica is promoted in place: replicateSourceDb dropped, Multi-AZ, backups, final snapshot, protected", () => {
        const c = d.changed.find((x) => x.name === "prod-use1-db-replica-us-west-2")!;
        expect(c.keys).toEqual(["backupRetentionPeriod", "backupWindow", "deleteAutomatedBackups", "finalSnapshotIdentifier", "multiAz", "replicateSourceDb", "skipFinalSnapshot"]);
        const r = after.get("aws:rds/instance:Instance", "prod-use1-db-replica-us-west-2");
        expect(r.inputs.replicateSourceDb).toBeUndefined();
        expect(r.inputs).toMatchObject({ multiAz: true, backupRetentionPeriod: 14, deletionProtection: true, skipFinalSnapshot: false });
        expect(r.protect).toBe(true);
    });

    test("the old primary and everything else in us-east-1 but DNS records keep their inputs", () => {
        const primary = (run: StackRun) => run.get("aws:rds/instance:Instance", "prod-use1-db-primary");
        expect(primary(after).inputs).toEqual(primary(before).inputs);
        expect(primary(after).protect).toBe(true);
        const eastAws = d.changed.filter((c) => c.region === "us-east-1" && c.type.startsWith("aws:"));
        // Route53 is a global API (records of every zone, public weights): reachable while us-east-1's regional services are not.
        // IAM is global too: the api's role may now connect (rds-db:connect) through the new proxy in us-west-2.
        expect([...new Set(eastAws.map((c) => c.type))].sort()).toEqual(["aws:iam/rolePolicy:RolePolicy", "aws:route53/record:Record"]);
        expect(eastAws.filter((c) => c.type === "aws:iam/rolePolicy:RolePolicy").map((c) => c.name)).toEqual(["prod-use1-api-db-connect"]);
        const connect = JSON.parse(after.get("aws:iam/rolePolicy:RolePolicy", "prod-use1-api-db-connect").inputs.policy).Statement[0].Resource;
        expect(connect[0]).toMatch(/^arn:aws:rds-db:us-west-2:\d{12}:dbuser:prx-[^/]+\/app$/);
    });

    test("a proxy in us-west-2 in front of the promoted writer (IAM authentication, no credentials secret); every writer record points at it", () => {
        const created = d.created.filter((r) => r.custom).map((r) => `${r.type.split(":").pop()} ${r.name} ${r.region}`).sort();
        expect(created).toEqual(expect.arrayContaining([
            "Proxy prod-use1-db-proxy-us-west-2 us-west-2",
            "ProxyTarget prod-use1-db-proxy-us-west-2 us-west-2",
        ]));
        // The proxy logs in with IAM as the app role (end-to-end IAM authentication): no new secret.
        expect(created.filter((c) => c.startsWith("Secret"))).toEqual([]);
        expect(after.get("aws:rds/proxy:Proxy", "prod-use1-db-proxy-us-west-2").inputs.defaultAuthScheme).toBe("IAM_AUTH");
        expect(d.created.every((r) => !r.custom || r.region === "us-west-2" || r.type.startsWith("aws:iam/"))).toBe(true);
        const target = after.get("aws:rds/proxyTarget:ProxyTarget", "prod-use1-db-proxy-us-west-2");
        expect(target.inputs.dbInstanceIdentifier).toBe(after.get("aws:rds/instance:Instance", "prod-use1-db-replica-us-west-2").state.identifier);
        const proxy = after.get("aws:rds/proxy:Proxy", "prod-use1-db-proxy-us-west-2").state.endpoint;
        const writers = after.ofType("aws:route53/record:Record").filter((r) => r.inputs.name === "writer.db.internal");
        expect(writers.length).toBe(2);
        expect(writers.every((r) => r.inputs.records[0] === proxy)).toBe(true);
        for (const code of ["use1", "usw2"]) {
            expect(after.get("kubernetes:core/v1:ConfigMap", `prod-${code}-env-app-config`).inputs.data.DATABASE_WRITER_ENDPOINT).toBe(`${proxy}:5432`);
        }
    });

    test("DNS weight moves off us-east-1", () => {
        const weights = (run: StackRun) => Object.fromEntries(run.ofType("aws:route53/record:Record")
            .filter((r) => r.inputs.name === "api.scaled-web.example.com").map((r) => [r.inputs.setIdentifier, r.inputs.weightedRoutingPolicies[0].weight]));
        expect(weights(before)).toEqual({ "us-east-1": 70, "us-west-2": 30 });
        expect(weights(after)).toEqual({ "us-east-1": 0, "us-west-2": 100 });
    });

    test("the plan shows the failover state", () => {
        const cfg = parseConfig({ ...JSON.parse(JSON.stringify({})), environment: "prod", domain: "scaled-web.example.com",
            regions: { "us-east-1": { role: "primary", weight: 70 }, "us-west-2": { role: "secondary", weight: 30 } },
            api: { image: "r.example.com/api:1.0.0" }, ws: { image: "r.example.com/ws:1.0.0" }, workers: { image: "r.example.com/w:1.0.0" },
            cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": "arn:aws:iam::123456789012:role/platform-admins" } },
            failover: { activeRegion: "us-west-2" } }, "prod");
        const report = buildPlanReport({ project: "scaled-web", stack: "prod", resources: after.resources, config: cfg });
        expect(report.failover).toMatchObject({ activeRegion: "us-west-2", failedOver: true, drainedRegion: "us-east-1", writer: "prod-use1-db-replica-us-west-2" });
        expect(renderText(report)).toMatch(/FAILOVER  FAILED OVER to us-west-2: writer prod-use1-db-replica-us-west-2 \(promoted\)/);
    });

    test("report: what changes and what is replaced (printed for the record)", () => {
        const lines = [
            `created ${d.created.filter((r) => r.custom).length}: ${d.created.filter((r) => r.custom).map((r) => r.name).join(", ")}`,
            ...d.changed.map((c) => `updated ${c.name} (${c.type}, ${c.region ?? "-"}): ${c.keys.join(", ")}${c.replacing.length ? ` REPLACES on ${c.replacing.join(", ")}` : ""}`),
        ];
        console.log(lines.join("\n"));
        expect(d.changed.some((c) => c.replacing.length > 0)).toBe(false);
    });
});
