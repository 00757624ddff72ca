/**
 * Object storage for user uploads (seed 003 "No local file storage (use S3)"): one versioned, SSE-KMS bucket per
 * stack with its own customer key, public access blocked, a TLS-only bucket policy, lifecycle rules for old
 * versions and abandoned multipart uploads, and replication to a second region (its own bucket and key).
 *
 * Who may use it: the application's workload roles (EKS Pod Identity, components/pod-identity.ts) get read/write on
 * `<prefix>*` only: s3:GetObject / PutObject / DeleteObject / AbortMultipartUpload on those keys, s3:ListBucket
 * limited by the `s3:prefix` condition key, and the KMS data-key calls S3 makes for them (through S3 in the bucket's
 * region only). Pass the role names in `accessRoleNames`, or attach `accessPolicyJson` yourself.
 *
 * Sources: S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)" (kms:GenerateDataKey for
 * PutObject, kms:Decrypt for GetObject and multipart uploads; S3 Bucket Keys), "Examples of Amazon S3 bucket
 * policies" / "Controlling access to a bucket with user policies" (`s3:prefix` on ListBucket), "Setting lifecycle
 * configuration on a bucket" (NoncurrentVersionExpiration, AbortIncompleteMultipartUpload), and components/buckets.ts
 * for replication.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PrivateBucket, denyInsecureTransport, privateBucket, replicate } from "./buckets";
import { Problems, show } from "./validation";

export const DEFAULT_UPLOADS_PREFIX = "uploads/";
/**
 * Tag on the uploads buckets (and replicas): the policy pack's `s3-uploads-encrypted-versioned` finds them by it.
 * Keep the policy's `tag` setting in step when changing it.
 */
export const UPLOADS_TAG = { key: "data-class", value: "user-uploads" } as const;
/** Days an overwritten or deleted upload stays recoverable as a noncurrent version. */
export const DEFAULT_NONCURRENT_VERSION_DAYS = 30;
/** Days after which an unfinished multipart upload is aborted (its parts are billed until then). */
export const DEFAULT_ABORT_MULTIPART_DAYS = 7;
/** An S3 key prefix the application owns: letters, digits, `-_./`, ending in `/`. */
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9!_.*'()\-/]*\/$/;

export interface UploadsReplica {
    readonly region: string;
    readonly provider: aws.Provider;
}

export interface UploadsBucketArgs {
    /** Region of the bucket (the provider in `opts` must point there). */
    readonly region: string;
    /** Key prefix the application may read and write. @default "uploads/" */
    readonly prefix?: string;
    /** Replicate every object (and delete marker) to this region. @default none */
    readonly replica?: UploadsReplica;
    /**
     * IAM role names (e.g. the api and worker Pod Identity roles), keyed by a stable name, that get read/write on
     * the prefix as an inline policy. @default {}
     */
    readonly accessRoleNames?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Noncurrent versions expire after this many days. @default 30 */
    readonly noncurrentVersionDays?: number;
    /** Unfinished multipart uploads are aborted after this many days. @default 7 */
    readonly abortIncompleteMultipartDays?: number;
    /** `protect` on the buckets and keys, no forceDestroy, 30-day key deletion window. @default true */
    readonly protectData?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

export function validateUploadsBucketArgs(args: UploadsBucketArgs): Problems {
    const p = new Problems();
    if (args.prefix !== undefined) {
        p.check(PREFIX.test(args.prefix) && !args.prefix.includes("//") && args.prefix.length <= 512, "prefix",
            `must be a key prefix such as "uploads/" (letters, digits, -_.!*'()/; ending in "/"; no leading "/") (got ${show(args.prefix)})`);
    }
    const nv = args.noncurrentVersionDays ?? DEFAULT_NONCURRENT_VERSION_DAYS;
    p.check(Number.isInteger(nv) && nv >= 1, "noncurrentVersionDays", `must be a whole number of days >= 1 (got ${show(args.noncurrentVersionDays)})`);
    const mp = args.abortIncompleteMultipartDays ?? DEFAULT_ABORT_MULTIPART_DAYS;
    p.check(Number.isInteger(mp) && mp >= 1, "abortIncompleteMultipartDays", `must be a whole number of days >= 1 (got ${show(args.abortIncompleteMultipartDays)})`);
    if (args.replica) {
        p.check(args.replica.region !== args.region, "replica.region", `must be another region than the bucket's ${args.region} (got ${show(args.replica.region)})`);
    }
    for (const key of Object.keys(args.accessRoleNames ?? {})) {
        p.check(/^[a-z0-9][a-z0-9-]*$/.test(key), `accessRoleNames.${key}`, "keys name the inline policies: lower-case letters, digits and '-'");
    }
    return p;
}

/** The least-privilege policy for the application: its prefix only, KMS through S3 in the bucket's region only. */
export function uploadsAccessPolicy(bucketArn: string, prefix: string, kmsKeyArn: string, region: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ObjectsUnderPrefix",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: `${bucketArn}/${prefix}*`,
            },
            {
                Sid: "ListPrefix",
                Effect: "Allow",
                Action: ["s3:ListBucket"],
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
            },
            {
                Sid: "KmsThroughS3",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: kmsKeyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    });
}

export class UploadsBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    readonly region: string;
    readonly prefix: string;
    readonly kmsKeyArn: pulumi.Output<string>;
    readonly replicaBucketName?: pulumi.Output<string>;
    readonly replicaKmsKeyArn?: pulumi.Output<string>;
    /** The application's policy document (see `uploadsAccessPolicy`), for roles attached outside the component. */
    readonly accessPolicyJson: pulumi.Output<string>;
    private readonly resourceName: string;
    private readonly granted = new Set<string>();

    constructor(name: string, args: UploadsBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("scaled-web:storage:UploadsBucket", name, {}, opts);
        validateUploadsBucketArgs(args).throwIfAny(`UploadsBucket "${name}"`);
        const tags = { ...(args.tags ?? {}), [UPLOADS_TAG.key]: UPLOADS_TAG.value };
        const protectData = args.protectData ?? true;
        const prefix = args.prefix ?? DEFAULT_UPLOADS_PREFIX;
        const here: pulumi.CustomResourceOptions = { parent: this };
        this.resourceName = name;

        const key = (suffix: string, region: string, o: pulumi.CustomResourceOptions): aws.kms.Key => {
            const k = new aws.kms.Key(`${name}${suffix}`, {
                description: `${name}: uploads bucket in ${region}`,
                enableKeyRotation: true,
                deletionWindowInDays: protectData ? 30 : 7,
                tags,
            }, { ...o, protect: protectData });
            new aws.kms.Alias(`${name}${suffix}`, { name: `alias/${name}${suffix}`, targetKeyId: k.keyId }, o);
            return k;
        };
        const bucketOf = (suffix: string, kmsKey: aws.kms.Key, o: pulumi.CustomResourceOptions): PrivateBucket => {
            const b = privateBucket(`${name}${suffix}`, { versioned: true, kmsKeyArn: kmsKey.arn, forceDestroy: !protectData, tags }, { ...o, protect: protectData });
            new aws.s3.BucketLifecycleConfiguration(`${name}${suffix}`, {
                bucket: b.bucket.id,
                rules: [
                    {
                        id: "expire-noncurrent-versions",
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? DEFAULT_NONCURRENT_VERSION_DAYS },
                    },
                    {
                        id: "abort-incomplete-multipart-uploads",
                        status: "Enabled",
                        filter: {},
                        abortIncompleteMultipartUpload: { daysAfterInitiation: args.abortIncompleteMultipartDays ?? DEFAULT_ABORT_MULTIPART_DAYS },
                    },
                ],
                // order: lifecycle rules on noncurrent versions are only meaningful once versioning is on; the
                // versioning resource is a sibling, not an input.
            }, { ...o, dependsOn: b.versioning ? [b.versioning] : [] });
            new aws.s3.BucketPolicy(`${name}${suffix}`, {
                bucket: b.bucket.id,
                policy: b.bucket.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [denyInsecureTransport(arn)] })),
                // order: a bucket policy put while the public-access block is being created can be refused; the block is a sibling.
            }, { ...o, dependsOn: [b.publicAccessBlock] });
            return b;
        };

        const primaryKey = key("", args.region, here);
        const primary = bucketOf("", primaryKey, here);
        if (args.replica) {
            const there: pulumi.CustomResourceOptions = { parent: this, provider: args.replica.provider };
            const replicaKey = key("-replica", args.replica.region, there);
            const replica = bucketOf("-replica", replicaKey, there);
            replicate(name, {
                source: primary, destination: replica,
                sourceKmsKeyArn: primaryKey.arn, destinationKmsKeyArn: replicaKey.arn,
                sourceRegion: args.region, destinationRegion: args.replica.region,
                deleteMarkers: true, tags,
            }, here);
            this.replicaBucketName = replica.bucket.bucket;
            this.replicaKmsKeyArn = replicaKey.arn;
        }

        this.bucketName = primary.bucket.bucket;
        this.bucketArn = primary.bucket.arn;
        this.region = args.region;
        this.prefix = prefix;
        this.kmsKeyArn = primaryKey.arn;
        this.accessPolicyJson = pulumi.all([primary.bucket.arn, primaryKey.arn]).apply(([arn, keyArn]) => uploadsAccessPolicy(arn, prefix, keyArn, args.region));
        for (const [k, roleName] of Object.entries(args.accessRoleNames ?? {})) {
            this.grant(k, roleName);
        }
        this.registerOutputs({ bucketName: this.bucketName, kmsKeyArn: this.kmsKeyArn, ...(this.replicaBucketName ? { replicaBucketName: this.replicaBucketName } : {}) });
    }

    /**
     * Gives the IAM role `roleName` (e.g. a `PodIdentityRole`'s `roleName`) read/write on the prefix: an inline
     * policy `<name>-uploads` on that role, registered as `<name>-access-<key>`. Each key once.
     */
    grant(key: string, roleName: pulumi.Input<string>): aws.iam.RolePolicy {
        if (!/^[a-z0-9][a-z0-9-]*$/.test(key) || this.granted.has(key)) {
            throw new Error(`UploadsBucket "${this.resourceName}".grant: key ${show(key)} must be a new lower-case name (letters, digits, '-')`);
        }
        this.granted.add(key);
        return new aws.iam.RolePolicy(`${this.resourceName}-access-${key}`, { role: roleName, name: `${this.resourceName}-uploads`, policy: this.accessPolicyJson }, { parent: this });
    }
}
