import * as aws from "@pulumi/aws";
import {
    CACHING_OPTIMIZED_POLICY_ID, Cdn, CdnArgs, DEFAULT_CDN_SECURITY_POLICY, ORIGIN_FAILOVER_STATUS_CODES, originBucketPolicy, validateCdnArgs,
} from "../components/cdn";
import { replicationRolePolicy } from "../components/buckets";
import { StackRun, runComponent, valueOf } from "./harness";

const T = {
    dist: "aws:cloudfront/distribution:Distribution",
    oac: "aws:cloudfront/originAccessControl:OriginAccessControl",
    cachePolicy: "aws:cloudfront/cachePolicy:CachePolicy",
    bucket: "aws:s3/bucket:Bucket",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    block: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    cert: "aws:acm/certificate:Certificate",
    acl: "aws:wafv2/webAcl:WebAcl",
    record: "aws:route53/record:Record",
} as const;

const base: CdnArgs = {
    domain: "example.com",
    hostedZoneId: "Z0TEST",
    region: "us-west-2",
    usEast1Provider: {} as aws.Provider, // validation never touches the provider
};

describe("validateCdnArgs", () => {
    test("accepts the defaults", () => expect(validateCdnArgs("c", base).count).toBe(0));
    test.each([
        [{ minimumProtocolVersion: "TLSv1" as never }, "minimumProtocolVersion", /TLSv1\.2_2021/],
        [{ hostname: "Static" }, "hostname", /DNS label/],
        [{ immutablePaths: ["/*"] }, "immutablePaths[0]", /not the default behaviour/],
        [{ htmlDefaultTtlSeconds: 600 }, "htmlDefaultTtlSeconds", /htmlMaxTtlSeconds \(300\)/],
        [{ rateLimitPerSecond: 0 }, "rateLimitPerSecond", />= 1/],
        [{ priceClass: "PriceClass_1" as never }, "priceClass", /PriceClass_100/],
        [{ failover: { region: "us-west-2", provider: {} as aws.Provider } }, "failover.region", /another region/],
    ])("refuses %j", (over, path, reason) => {
        const problems = validateCdnArgs("c", { ...base, ...over }).list;
        expect(problems.map((p) => p.propertyPath)).toEqual([path]);
        expect(problems[0].reason).toMatch(reason);
    });
    test("the component throws before registering anything", async () => {
        await expect(runComponent(() => new Cdn("bad", { ...base, domain: "Example.com" }))).rejects.toThrow(/domain: must be a lower-case DNS name/);
    });
});

describe("originBucketPolicy", () => {
    const doc = JSON.parse(originBucketPolicy("arn:aws:s3:::b", "arn:aws:cloudfront::1:distribution/D"));
    test("lets only this distribution read objects", () => {
        expect(doc.Statement[0]).toEqual({
            Sid: "AllowCloudFrontServicePrincipalReadOnly",
            Effect: "Allow",
            Principal: { Service: "cloudfront.amazonaws.com" },
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::b/*",
            Condition: { StringEquals: { "AWS:SourceArn": "arn:aws:cloudfront::1:distribution/D" } },
        });
    });
    test("denies plain HTTP", () => expect(doc.Statement[1]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }));
});

describe("replicationRolePolicy", () => {
    test("SSE-S3: no KMS statements", () => {
        const doc = JSON.parse(replicationRolePolicy("arn:aws:s3:::a", "arn:aws:s3:::b"));
        expect(doc.Statement.flatMap((s: { Action: string[] }) => s.Action)).toEqual([
            "s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging", "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags",
        ]);
    });
    test("SSE-KMS: decrypt with the source key via S3 in its region, encrypt with the destination's", () => {
        const doc = JSON.parse(replicationRolePolicy("arn:aws:s3:::a", "arn:aws:s3:::b", { sourceKeyArn: "k1", destinationKeyArn: "k2", sourceRegion: "us-east-1", destinationRegion: "us-west-2" }));
        expect(doc.Statement.slice(3)).toEqual([
            expect.objectContaining({ Action: ["kms:Decrypt"], Resource: "k1", Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } }),
            expect.objectContaining({ Action: ["kms:Encrypt"], Resource: "k2", Condition: { StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } } }),
        ]);
    });
});

describe("Cdn with a failover region", () => {
    let run: StackRun<{ fqdn: string; bucket: string }>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const west = new aws.Provider("west", { region: "us-west-2" });
            const east = new aws.Provider("east", { region: "us-east-1" });
            const cdn = new Cdn("prod-static", {
                ...base, usEast1Provider: east, failover: { region: "us-east-2", provider: new aws.Provider("east2", { region: "us-east-2" }) }, protectData: true,
            }, { provider: west });
            return { fqdn: cdn.fqdn, bucket: valueOf(cdn.bucketName) };
        });
    });
    const dist = () => run.ofType(T.dist)[0];

    test("serves static.<domain> over HTTPS only, TLS 1.2+, SNI, compressed", () => {
        expect(run.outputs.fqdn).toBe("static.example.com");
        const d = dist().inputs;
        expect(d.aliases).toEqual(["static.example.com"]);
        expect(d.viewerCertificate).toMatchObject({ sslSupportMethod: "sni-only", minimumProtocolVersion: DEFAULT_CDN_SECURITY_POLICY });
        for (const b of [d.defaultCacheBehavior, ...d.orderedCacheBehaviors]) {
            expect(b).toMatchObject({ viewerProtocolPolicy: "redirect-to-https", compress: true });
        }
    });
    test("certificate and CLOUDFRONT web ACL in us-east-1, the ACL attached", () => {
        expect(run.ofType(T.cert).map((c) => c.region)).toEqual(["us-east-1"]);
        const acl = run.ofType(T.acl)[0];
        expect(acl.region).toBe("us-east-1");
        expect(acl.inputs.scope).toBe("CLOUDFRONT");
        expect(acl.inputs.rules[0].statement.rateBasedStatement).toMatchObject({ aggregateKeyType: "IP", limit: 600, evaluationWindowSec: 60 });
        expect(dist().inputs.webAclId).toBe(acl.state.arn);
        expect(dist().inputs.viewerCertificate.acmCertificateArn).toBe(run.ofType(T.cert)[0].state.arn);
    });
    test("immutable paths use CachingOptimized; HTML its own short-lived policy", () => {
        const d = dist().inputs;
        expect(d.orderedCacheBehaviors).toEqual([expect.objectContaining({ pathPattern: "/assets/*", cachePolicyId: CACHING_OPTIMIZED_POLICY_ID })]);
        const html = run.ofType(T.cachePolicy)[0];
        expect(d.defaultCacheBehavior.cachePolicyId).toBe(`${html.name}-id`); // the mock's id for a resource
        expect(html.inputs).toMatchObject({ minTtl: 0, defaultTtl: 60, maxTtl: 300 });
        expect(html.inputs.parametersInCacheKeyAndForwardedToOrigin).toMatchObject({ enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true });
    });
    test("both origins go through one SigV4 OAC and form an origin group", () => {
        const oac = run.ofType(T.oac)[0];
        expect(oac.inputs).toMatchObject({ originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" });
        const d = dist().inputs;
        expect(d.origins.map((o: { originAccessControlId: string }) => o.originAccessControlId)).toEqual([`${oac.name}-id`, `${oac.name}-id`]);
        expect(d.origins.every((o: Record<string, unknown>) => o.s3OriginConfig === undefined && o.customOriginConfig === undefined)).toBe(true);
        expect(d.originGroups).toEqual([{
            originId: "origin-group",
            failoverCriteria: { statusCodes: [...ORIGIN_FAILOVER_STATUS_CODES] },
            members: [{ originId: "origin-primary" }, { originId: "origin-replica" }],
        }]);
        expect(d.defaultCacheBehavior.targetOriginId).toBe("origin-group");
    });
    test("origin buckets: private, versioned, replicated, readable by this distribution only; protected", () => {
        const buckets = run.ofType(T.bucket).filter((b) => b.name.includes("origin"));
        expect(buckets.map((b) => [b.name, b.region, b.protect])).toEqual([["prod-static-origin", "us-west-2", true], ["prod-static-origin-replica", "us-east-2", true]]);
        for (const b of buckets) {
            const block = run.ofType(T.block).find((x) => x.name === b.name)!;
            expect(block.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
            expect(run.ofType(T.versioning).find((x) => x.name === b.name)!.inputs.versioningConfiguration.status).toBe("Enabled");
            const policy = JSON.parse(run.ofType(T.policy).find((x) => x.name === b.name)!.inputs.policy);
            expect(policy.Statement[0].Condition.StringEquals["AWS:SourceArn"]).toBe(dist().state.arn);
        }
        const repl = run.ofType(T.replication)[0];
        expect(repl.inputs.rules[0].destination.bucket).toBe(buckets[1].state.arn);
        expect(repl.dependencies).toEqual(expect.arrayContaining(run.ofType(T.versioning).map((v) => v.urn)));
    });
    test("access logs: ACL-enabled bucket (standard logging), CloudFront writes under cloudfront/", () => {
        const logs = run.get(T.bucket, "prod-static-logs");
        expect(run.get(T.ownership, "prod-static-logs").inputs.rule.objectOwnership).toBe("BucketOwnerPreferred");
        expect(logs.state.bucketDomainName).toBe("prod-static-logs.s3.amazonaws.com");
        expect(dist().inputs.loggingConfig).toEqual({ bucket: logs.state.bucketDomainName, prefix: "cloudfront/", includeCookies: false });
    });
    test("A and AAAA aliases to the distribution", () => {
        const aliases = run.ofType(T.record).filter((r) => r.inputs.aliases);
        expect(aliases.map((r) => r.inputs.type).sort()).toEqual(["A", "AAAA"]);
        expect(aliases.map((r) => [r.inputs.name, r.inputs.aliases[0]])).toEqual([
            ["static.example.com", { name: "prod-static-cdn.cloudfront.net", zoneId: "Z2FDTNDATAQYW2", evaluateTargetHealth: false }],
            ["static.example.com", { name: "prod-static-cdn.cloudfront.net", zoneId: "Z2FDTNDATAQYW2", evaluateTargetHealth: false }],
        ]);
    });
});

describe("Cdn without a failover region", () => {
    test("one origin, no group, no replication, unversioned origin", async () => {
        const run = await runComponent(() => new Cdn("dev-static", { ...base, usEast1Provider: new aws.Provider("east", { region: "us-east-1" }), protectData: false }));
        const d = run.ofType(T.dist)[0].inputs;
        expect(d.origins).toHaveLength(1);
        expect(d.originGroups).toEqual([]);
        expect(d.defaultCacheBehavior.targetOriginId).toBe("origin-primary");
        expect(run.ofType(T.replication)).toHaveLength(0);
        expect(run.ofType(T.versioning)).toHaveLength(0);
        expect(run.get(T.bucket, "dev-static-origin").inputs.forceDestroy).toBe(true);
    });
});
