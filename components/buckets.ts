/**
 * Building blocks shared by the components that own S3 buckets (`Cdn`, `UploadsBucket`): a private bucket
 * (ownership, public-access block, default encryption, versioning, TLS-only policy statement) and
 * same-account cross-region replication between two such buckets. Plain functions, not components: the
 * resources they create are children of the calling component.
 *
 * Sources (AWS, checked against the provider typings of @pulumi/aws 7.48 for the argument names):
 * - Replication needs versioning on the source and the destination bucket and an IAM role S3 assumes
 *   (S3 User Guide, "Requirements and considerations for replication"; "Setting up permissions for live
 *   replication": s3:GetReplicationConfiguration + s3:ListBucket on the source bucket,
 *   s3:GetObjectVersionForReplication / GetObjectVersionAcl / GetObjectVersionTagging on source objects,
 *   s3:ReplicateObject / ReplicateDelete / ReplicateTags on destination objects).
 * - SSE-KMS objects are replicated only when the rule opts in with
 *   `SourceSelectionCriteria.SseKmsEncryptedObjects` and names the destination key
 *   (`Destination.EncryptionConfiguration.ReplicaKmsKeyID`); the role then needs kms:Decrypt on the source key
 *   and kms:Encrypt on the destination key (S3 User Guide, "Replicating objects created with server-side
 *   encryption (SSE-C, SSE-S3, SSE-KMS, DSSE-KMS)").
 * - TLS-only: deny every `s3:*` request whose `aws:SecureTransport` is false (S3 User Guide, "Security best
 *   practices for Amazon S3": enforce encryption of data in transit).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A JSON policy statement. */
export type PolicyStatement = Record<string, unknown>;

export interface PrivateBucketOptions {
    /** Versioning on (replication and the uploads' recovery need it). */
    readonly versioned: boolean;
    /** A customer KMS key ARN for SSE-KMS (with an S3 Bucket Key); SSE-S3 (AES256) when absent. */
    readonly kmsKeyArn?: pulumi.Input<string>;
    /**
     * S3 Object Ownership. `BucketOwnerEnforced` (ACLs off) everywhere except a CloudFront standard-logging
     * bucket, which needs ACLs (`BucketOwnerPreferred`).
     * @default "BucketOwnerEnforced"
     */
    readonly objectOwnership?: "BucketOwnerEnforced" | "BucketOwnerPreferred";
    /** Let `pulumi destroy` empty the bucket. */
    readonly forceDestroy: boolean;
    readonly tags: Readonly<Record<string, string>>;
}

export interface PrivateBucket {
    readonly bucket: aws.s3.Bucket;
    readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    readonly ownership: aws.s3.BucketOwnershipControls;
    /** Present when `versioned`. */
    readonly versioning?: aws.s3.BucketVersioning;
}

/** A private bucket: ownership, all four public-access block flags, default encryption, optional versioning. */
export function privateBucket(name: string, o: PrivateBucketOptions, opts: pulumi.CustomResourceOptions): PrivateBucket {
    const bucket = new aws.s3.Bucket(name, { forceDestroy: o.forceDestroy, tags: { ...o.tags } }, opts);
    const ownership = new aws.s3.BucketOwnershipControls(name, {
        bucket: bucket.id,
        rule: { objectOwnership: o.objectOwnership ?? "BucketOwnerEnforced" },
    }, opts);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(name, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    }, opts);
    new aws.s3.BucketServerSideEncryptionConfiguration(name, {
        bucket: bucket.id,
        rules: [o.kmsKeyArn
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: o.kmsKeyArn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }, opts);
    const versioning = o.versioned
        ? new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts)
        : undefined;
    return { bucket, publicAccessBlock, ownership, versioning };
}

/** Deny any request to the bucket or its objects that does not arrive over TLS. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

export interface ReplicationOptions {
    /** Source and destination buckets (both versioned). */
    readonly source: PrivateBucket;
    readonly destination: PrivateBucket;
    /** KMS keys of the SSE-KMS buckets (source's and destination's); both or neither. */
    readonly sourceKmsKeyArn?: pulumi.Input<string>;
    readonly destinationKmsKeyArn?: pulumi.Input<string>;
    /** Regions of the two buckets, for the kms:ViaService conditions. */
    readonly sourceRegion: string;
    readonly destinationRegion: string;
    /** Replicate delete markers too (a delete in the source hides the object in the replica). */
    readonly deleteMarkers: boolean;
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * The replication role's permissions (S3 User Guide, "Setting up permissions for live replication"). The KMS
 * statements are narrowed to calls made through S3 in each bucket's region (`kms:ViaService`), not by encryption
 * context: with S3 Bucket Keys the context is the bucket's ARN rather than the object's.
 */
export function replicationRolePolicy(sourceArn: string, destinationArn: string, kms?: {
    sourceKeyArn: string; destinationKeyArn: string; sourceRegion: string; destinationRegion: string;
}): string {
    const statements: PolicyStatement[] = [
        { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: sourceArn },
        {
            Effect: "Allow",
            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            Resource: `${sourceArn}/*`,
        },
        { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${destinationArn}/*` },
    ];
    if (kms) {
        statements.push(
            {
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: kms.sourceKeyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${kms.sourceRegion}.amazonaws.com` } },
            },
            {
                Effect: "Allow",
                Action: ["kms:Encrypt"],
                Resource: kms.destinationKeyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${kms.destinationRegion}.amazonaws.com` } },
            },
        );
    }
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Replicates every object of `source` into `destination` (same account, another region), with its own role. */
export function replicate(name: string, o: ReplicationOptions, opts: pulumi.CustomResourceOptions): aws.s3.BucketReplicationConfig {
    const role = new aws.iam.Role(`${name}-replication`, {
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: { ...o.tags },
    }, opts);
    const kms = o.sourceKmsKeyArn && o.destinationKmsKeyArn;
    new aws.iam.RolePolicy(`${name}-replication`, {
        role: role.id,
        policy: pulumi.all([o.source.bucket.arn, o.destination.bucket.arn, o.sourceKmsKeyArn ?? "", o.destinationKmsKeyArn ?? ""])
            .apply(([src, dst, srcKey, dstKey]) => replicationRolePolicy(src, dst, kms
                ? { sourceKeyArn: srcKey, destinationKeyArn: dstKey, sourceRegion: o.sourceRegion, destinationRegion: o.destinationRegion }
                : undefined)),
    }, opts);
    return new aws.s3.BucketReplicationConfig(`${name}-replication`, {
        bucket: o.source.bucket.id,
        role: role.arn,
        rules: [{
            id: "to-secondary-region",
            status: "Enabled",
            // An empty filter selects every object (V2 replication configuration, which delete-marker replication needs).
            filter: {},
            deleteMarkerReplication: { status: o.deleteMarkers ? "Enabled" : "Disabled" },
            destination: {
                bucket: o.destination.bucket.arn,
                ...(kms ? { encryptionConfiguration: { replicaKmsKeyId: o.destinationKmsKeyArn! } } : {}),
            },
            ...(kms ? { sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } } } : {}),
        }],
        // order: S3 refuses a replication configuration until versioning is enabled on both buckets
        // (PutBucketReplication: "Both the source and destination buckets must have versioning enabled"); the
        // versioning resources are siblings, not inputs.
    }, { ...opts, dependsOn: [o.source.versioning, o.destination.versioning].filter((v): v is aws.s3.BucketVersioning => v !== undefined) });
}
