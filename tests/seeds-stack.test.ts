/**
 * Issue 18 in the reference program: the CDN, the uploads bucket and the database's AWS Backup plan as prod and dev
 * wire them, their config keys, the env contract and the plan report's recovery points.
 */
import { ConfigError, parseConfig } from "../platform/config";
import { configErrorOf } from "./config-fixtures";
import { buildPlanReport } from "../toolkit/report";
import { StackRun, runStack } from "./harness";

const T = {
    dist: "aws:cloudfront/distribution:Distribution",
    cert: "aws:acm/certificate:Certificate",
    acl: "aws:wafv2/webAcl:WebAcl",
    bucket: "aws:s3/bucket:Bucket",
    plan: "aws:backup/plan:Plan",
    vault: "aws:backup/vault:Vault",
    selection: "aws:backup/selection:Selection",
    rds: "aws:rds/instance:Instance",
    configMap: "kubernetes:core/v1:ConfigMap",
} as const;

const errorOf = (raw: unknown, stack = "test"): ConfigError => configErrorOf(raw, stack);

const prodRaw = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    environment: "prod", domain: "example.com",
    regions: { "us-east-1": { role: "primary", weight: 70 }, "us-west-2": { role: "secondary", weight: 30 } },
    api: { image: "r.example.com/api:1.0.0" }, ws: { image: "r.example.com/ws:1.0.0" }, workers: { image: "r.example.com/w:1.0.0" },
    // prod names its node AMI and cluster admins (platform/cluster-ops-config.ts).
    cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": "arn:aws:iam::123456789012:role/platform-admins" } },
    ...over,
});
const devRaw = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    environment: "dev", domain: "dev.example.com", regions: { "us-east-1": { role: "primary", weight: 100 } }, ...over,
});

describe("config", () => {
    test("defaults: CDN and uploads on, failover/replication with a second region, 35-day backups copied in prod", () => {
        const prod = parseConfig(prodRaw(), "prod");
        expect(prod.cdn).toMatchObject({ enabled: true, hostname: "static", minimumProtocolVersion: "TLSv1.2_2021", failover: true });
        expect(prod.uploads).toMatchObject({ enabled: true, prefix: "uploads/", replicate: true });
        expect(prod.backup).toMatchObject({ retentionDays: 35, copyRetentionDays: 35, copyToRegion: "us-west-2" });
        const dev = parseConfig(devRaw(), "dev");
        expect(dev.cdn.failover).toBe(false);
        expect(dev.uploads.replicate).toBe(false);
        expect(dev.backup).toMatchObject({ retentionDays: 7, copyToRegion: undefined });
    });
    test.each([
        [{ cdn: { hostname: "api" } }, "scaled-web:cdn.hostname", /already served by the load balancers/],
        [{ cdn: { minimumProtocolVersion: "TLSv1" } }, "scaled-web:cdn.minimumProtocolVersion", /TLSv1\.2_2021/],
        [{ cdn: { htmlDefaultTtlSeconds: 600 } }, "scaled-web:cdn.htmlDefaultTtlSeconds", /must not exceed cdn\.htmlMaxTtlSeconds \(300\)/],
        [{ uploads: { prefix: "/up/" } }, "scaled-web:uploads.prefix", /key prefix/],
        [{ backup: { copyToRegion: "eu-west-1" } }, "scaled-web:backup.copyToRegion", /secondary region of the stack \(us-west-2\)/],
        [{ backup: { vaultLock: { minRetentionDays: 7, maxRetentionDays: 30 } } }, "scaled-web:backup.retentionDays", /within the vault lock's 7-30 days/],
        [{ backup: { schedule: "daily" } }, "scaled-web:backup.schedule", /schedule expression/],
    ])("prod refuses %j", (over, key, reason) => {
        const e = errorOf(prodRaw(over), "prod");
        expect(e.message).toMatch(new RegExp(`${key.replace(/\./g, "\\.")}: .*${reason.source}`));
    });
    test.each([
        [{ cdn: { failover: true } }, "scaled-web:cdn.failover", /needs a secondary region/],
        [{ uploads: { replicate: true } }, "scaled-web:uploads.replicate", /needs a secondary region/],
        [{ backup: { vaultLock: { minRetentionDays: 1, maxRetentionDays: 30 } } }, "scaled-web:backup.vaultLock", /vault lock is for prod stacks/],
    ])("dev refuses %j", (over, key, reason) => {
        const e = errorOf(devRaw(over), "dev");
        expect(e.message).toMatch(new RegExp(`${key.replace(/\./g, "\\.")}: .*${reason.source}`));
    });
});

describe("prod", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("prod");
    }, 300_000);

    test("static.<domain> on CloudFront, certificate and WAF in us-east-1, origin replicated to us-west-2", async () => {
        const dist = run.ofType(T.dist);
        expect(dist).toHaveLength(1);
        expect(dist[0].inputs.aliases).toEqual(["static.scaled-web.example.com"]);
        expect(dist[0].inputs.originGroups).toHaveLength(1);
        const cdnCert = run.ofType(T.cert).find((c) => c.inputs.domainName === "static.scaled-web.example.com")!;
        expect(cdnCert.region).toBe("us-east-1");
        expect(run.ofType(T.acl).filter((a) => a.inputs.scope === "CLOUDFRONT").map((a) => a.region)).toEqual(["us-east-1"]);
        expect(run.get(T.bucket, "prod-static-origin-replica").region).toBe("us-west-2");
        expect(run.outputs.static).toMatchObject({ url: "https://static.scaled-web.example.com" });
    });
    test("uploads bucket in the primary region, replica in the secondary; every region's pods get its name", () => {
        expect(run.get(T.bucket, "prod-uploads").region).toBe("us-east-1");
        expect(run.get(T.bucket, "prod-uploads-replica").region).toBe("us-west-2");
        for (const code of ["use1", "usw2"]) {
            expect(run.get(T.configMap, `prod-${code}-env-app-config`).inputs.data).toMatchObject({
                UPLOADS_BUCKET: run.get(T.bucket, "prod-uploads").state.bucket,
                UPLOADS_REGION: "us-east-1",
                UPLOADS_PREFIX: "uploads/",
                PUBLIC_STATIC_URL: "https://static.scaled-web.example.com",
            });
        }
        expect(run.outputs.uploads).toMatchObject({ region: "us-east-1", prefix: "uploads/" });
    });
    test("the api and worker Pod Identity roles may use the uploads prefix; ws may not", () => {
        const grants = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((r) => r.name.startsWith("prod-uploads-access-"));
        expect(grants.map((g) => g.name).sort()).toEqual(["prod-uploads-access-api", "prod-uploads-access-worker"]);
        const roleName = (w: string) => run.get("aws:iam/role:Role", `prod-app-${w}`).state.name;
        expect(grants.map((g) => g.inputs.role).sort()).toEqual([roleName("api"), roleName("worker")].sort());
        const doc = JSON.parse(grants[0].inputs.policy);
        expect(doc.Statement[0].Resource).toBe(`${run.get(T.bucket, "prod-uploads").state.arn}/uploads/*`);
    });
    test("AWS Backup: the primary instance, 35 days, copied to the us-west-2 vault", () => {
        const primary = run.ofType(T.rds).find((r) => !r.inputs.replicateSourceDb)!;
        expect(run.ofType(T.selection)[0].inputs.resources).toEqual([primary.state.arn]);
        const rule = run.ofType(T.plan)[0].inputs.rules[0];
        expect(rule.lifecycle.deleteAfter).toBe(35);
        const copyVault = run.ofType(T.vault).find((v) => v.region === "us-west-2")!;
        expect(rule.copyActions).toEqual([{ destinationVaultArn: copyVault.state.arn, lifecycle: { deleteAfter: 35 } }]);
    });
    test("the plan report lists the recovery points per store", () => {
        const report = buildPlanReport({ project: "scaled-web", stack: "prod", resources: run.resources });
        const rpo = Object.fromEntries(report.recovery.map((r) => [`${r.region} ${r.mechanism.split(" (")[0]}`, r.rpo]));
        expect(rpo).toMatchObject({
            "us-east-1 RDS automated backups": "~5 min",
            "us-east-1 AWS Backup cron(0 5 ? * * *)": "24 h",
            "us-west-2 cross-region read replica": expect.stringMatching(/^seconds/),
            "us-east-1 ElastiCache daily snapshot": "24 h",
        });
        expect(report.recovery.find((r) => r.mechanism.startsWith("AWS Backup"))!.retention).toBe("35 days; copy in us-west-2 kept 35 days");
    });
});

describe("dev", () => {
    test("CDN without failover, uploads without replica, backups without a copy", async () => {
        const run = await runStack("dev");
        expect(run.ofType(T.dist)[0].inputs.originGroups).toEqual([]);
        expect(run.ofType(T.bucket).map((b) => b.name).filter((n) => n.includes("replica"))).toEqual([]);
        expect(run.ofType(T.plan)[0].inputs.rules[0].copyActions).toEqual([]);
        expect(run.ofType(T.vault)).toHaveLength(1);
    }, 300_000);
});
