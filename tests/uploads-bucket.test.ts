import * as aws from "@pulumi/aws";
import { UPLOADS_TAG, UploadsBucket, UploadsBucketArgs, uploadsAccessPolicy, validateUploadsBucketArgs } from "../components/uploads-bucket";
import { StackRun, runComponent, valueOf } from "./harness";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    key: "aws:kms/key:Key",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    block: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

describe("validateUploadsBucketArgs", () => {
    const base: UploadsBucketArgs = { region: "us-east-1" };
    test("accepts the defaults", () => expect(validateUploadsBucketArgs(base).count).toBe(0));
    test.each([
        [{ prefix: "/uploads/" }, "prefix"],
        [{ prefix: "uploads" }, "prefix"],
        [{ prefix: "a//b/" }, "prefix"],
        [{ noncurrentVersionDays: 0 }, "noncurrentVersionDays"],
        [{ abortIncompleteMultipartDays: 1.5 }, "abortIncompleteMultipartDays"],
        [{ replica: { region: "us-east-1", provider: {} as aws.Provider } }, "replica.region"],
        [{ accessRoleNames: { API: "r" } }, "accessRoleNames.API"],
    ])("refuses %j", (over, path) => {
        expect(validateUploadsBucketArgs({ ...base, ...over }).list.map((p) => p.propertyPath)).toEqual([path]);
    });
});

describe("uploadsAccessPolicy", () => {
    const doc = JSON.parse(uploadsAccessPolicy("arn:aws:s3:::u", "uploads/", "arn:aws:kms:us-east-1:1:key/k", "us-east-1"));
    test("objects under the prefix only", () => {
        expect(doc.Statement[0].Resource).toBe("arn:aws:s3:::u/uploads/*");
        expect(doc.Statement[0].Action).toEqual(expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]));
        expect(doc.Statement[0].Action).not.toContain("s3:PutBucketPolicy");
    });
    test("listing limited to the prefix", () => {
        expect(doc.Statement[1]).toMatchObject({ Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::u", Condition: { StringLike: { "s3:prefix": ["uploads/*"] } } });
    });
    test("the key only through S3 in the bucket's region", () => {
        expect(doc.Statement[2]).toMatchObject({
            Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: "arn:aws:kms:us-east-1:1:key/k",
            Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
        });
    });
});

describe("UploadsBucket with a replica and two app roles", () => {
    let run: StackRun<{ name: string; policy: string }>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const east = new aws.Provider("east", { region: "us-east-1" });
            const west = new aws.Provider("west", { region: "us-west-2" });
            const u = new UploadsBucket("prod-uploads", {
                region: "us-east-1", replica: { region: "us-west-2", provider: west }, accessRoleNames: { api: "prod-api" },
            }, { provider: east });
            u.grant("worker", "prod-worker");
            return { name: valueOf(u.bucketName), policy: valueOf(u.accessPolicyJson) };
        });
    });

    test("two buckets, each with its own rotating KMS key in its region, SSE-KMS with a bucket key", () => {
        const buckets = run.ofType(T.bucket);
        expect(buckets.map((b) => [b.name, b.region, b.protect, b.inputs.tags[UPLOADS_TAG.key]])).toEqual([
            ["prod-uploads", "us-east-1", true, "user-uploads"], ["prod-uploads-replica", "us-west-2", true, "user-uploads"],
        ]);
        for (const b of buckets) {
            const key = run.get(T.key, b.name);
            expect(key.region).toBe(b.region);
            expect(key.inputs.enableKeyRotation).toBe(true);
            expect(run.get(T.sse, b.name).inputs.rules).toEqual([{
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.state.arn }, bucketKeyEnabled: true,
            }]);
            expect(run.get(T.versioning, b.name).inputs.versioningConfiguration.status).toBe("Enabled");
            expect(run.get(T.block, b.name).inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
            const policy = JSON.parse(run.get(T.policy, b.name).inputs.policy);
            expect(policy.Statement).toEqual([expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]);
        }
    });
    test("lifecycle: noncurrent versions expire after 30 days, multipart uploads aborted after 7", () => {
        const rules = run.get(T.lifecycle, "prod-uploads").inputs.rules;
        expect(rules).toEqual([
            expect.objectContaining({ status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } }),
            expect.objectContaining({ status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }),
        ]);
    });
    test("replication of SSE-KMS objects re-encrypted with the replica's key, after versioning", () => {
        const repl = run.ofType(T.replication)[0];
        const rule = repl.inputs.rules[0];
        expect(rule.sourceSelectionCriteria).toEqual({ sseKmsEncryptedObjects: { status: "Enabled" } });
        expect(rule.destination).toEqual({ bucket: run.get(T.bucket, "prod-uploads-replica").state.arn, encryptionConfiguration: { replicaKmsKeyId: run.get(T.key, "prod-uploads-replica").state.arn } });
        expect(rule.deleteMarkerReplication).toEqual({ status: "Enabled" });
        expect(repl.dependencies).toEqual(expect.arrayContaining(run.ofType(T.versioning).map((v) => v.urn)));
        const role = JSON.parse(run.get(T.rolePolicy, "prod-uploads-replication").inputs.policy);
        expect(role.Statement.map((s: { Action: string[] }) => s.Action[0])).toEqual(["s3:GetReplicationConfiguration", "s3:GetObjectVersionForReplication", "s3:ReplicateObject", "kms:Decrypt", "kms:Encrypt"]);
    });
    test("each app role gets the prefix-only policy", () => {
        const grants = run.ofType(T.rolePolicy).filter((r) => r.name.startsWith("prod-uploads-access-"));
        expect(grants.map((g) => [g.name, g.inputs.role])).toEqual([["prod-uploads-access-api", "prod-api"], ["prod-uploads-access-worker", "prod-worker"]]);
        for (const g of grants) {
            expect(g.inputs.policy).toBe(run.outputs.policy);
        }
        expect(JSON.parse(run.outputs.policy).Statement[0].Resource).toBe(`${run.get(T.bucket, "prod-uploads").state.arn}/uploads/*`);
    });
});

test("grant refuses a key given twice", async () => {
    await expect(runComponent(() => {
        const u = new UploadsBucket("u", { region: "us-east-1", protectData: false });
        u.grant("api", "r1");
        u.grant("api", "r2");
    })).rejects.toThrow(/key "api" must be a new lower-case name/);
});
