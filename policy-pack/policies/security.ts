/**
 * Secure defaults for stateful and compute resources: data encrypted and private, primaries Multi-AZ
 * with backups and deletion protection, instance metadata behind IMDSv2, buckets closed to the public.
 */
import * as aws from "@pulumi/aws";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configOf, label, refersTo } from "./common";

/** AWS Foundational Security Best Practices RDS.11 asks for >= 7 days of automated backups. */
export const DEFAULT_MIN_BACKUP_RETENTION_DAYS = 7;
/** EKS pods reach IMDS through one extra network hop; 2 is the largest limit that still blocks further hops. */
export const DEFAULT_MAX_METADATA_HOP_LIMIT = 2;

interface EncryptedConfig {
    requireCustomerManagedKey: boolean;
}

export const rdsStorageEncrypted: ResourceValidationPolicy = {
    name: "rds-storage-encrypted",
    description: "RDS instances and Aurora clusters must encrypt storage at rest (storageEncrypted: true; read replicas may " +
        "inherit it from the primary but must not turn it off), with a customer-managed KMS key when " +
        "`requireCustomerManagedKey` is set: snapshots and replicas inherit it, and it cannot be added later without a restore.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireCustomerManagedKey: { type: "boolean", default: false, description: "Also require kmsKeyId (a customer-managed KMS key)." },
        },
    },
    validateResource: [
        validateResourceOfType(aws.rds.Instance, (db, args, report) => {
            const cfg = configOf<EncryptedConfig>(args, { requireCustomerManagedKey: false });
            const what = `RDS instance "${args.name}"`;
            const replica = Boolean(db.replicateSourceDb);
            if (db.storageEncrypted === false || (!replica && db.storageEncrypted !== true)) {
                report(`${what} must set storageEncrypted: true, got ${db.storageEncrypted ?? "unset (unencrypted)"}.`);
            }
            // A replica named by identifier is in its source's region: RDS encrypts it with the source's key and
            // rejects a KmsKeyId ("If you create an encrypted read replica in the same AWS Region as the source DB
            // instance, don't specify a value", CreateDBInstanceReadReplica); the source's key is checked on the source.
            // A replica named by ARN may be cross-region, where the destination's key must be given.
            const sameRegionReplica = replica && typeof db.replicateSourceDb === "string" && !db.replicateSourceDb.startsWith("arn:");
            if (sameRegionReplica && db.kmsKeyId) {
                report(`${what} is a same-region read replica and must not set kmsKeyId (it is encrypted with its source's key; RDS rejects the parameter with InvalidParameterCombination).`);
            }
            if (cfg.requireCustomerManagedKey && !db.kmsKeyId && !sameRegionReplica) {
                report(`${what} must encrypt with a customer-managed KMS key (kmsKeyId).`);
            }
        }),
        validateResourceOfType(aws.rds.Cluster, (c, args, report) => {
            const cfg = configOf<EncryptedConfig>(args, { requireCustomerManagedKey: false });
            if (c.storageEncrypted !== true) {
                report(`RDS cluster "${args.name}" must set storageEncrypted: true, got ${c.storageEncrypted ?? "unset"}.`);
            }
            if (cfg.requireCustomerManagedKey && !c.kmsKeyId) {
                report(`RDS cluster "${args.name}" must encrypt with a customer-managed KMS key (kmsKeyId).`);
            }
        }),
    ],
};

interface NotPublicConfig {
    requireSubnetGroup: boolean;
}

export const rdsNotPublic: ResourceValidationPolicy = {
    name: "rds-not-public",
    description: "RDS instances must not be publicly accessible and, when `requireSubnetGroup` is set (default), must name " +
        "their DB subnet group: the database is reached from the cluster's private subnets only, and a public endpoint " +
        "(or the default VPC's subnets) is one security-group mistake away from the internet.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireSubnetGroup: { type: "boolean", default: true, description: "Require dbSubnetGroupName (else the default VPC is used)." },
        },
    },
    validateResource: [
        validateResourceOfType(aws.rds.Instance, (db, args, report) => {
            const cfg = configOf<NotPublicConfig>(args, { requireSubnetGroup: true });
            if (db.publiclyAccessible === true) {
                report(`RDS instance "${args.name}" must set publiclyAccessible: false.`);
            }
            if (cfg.requireSubnetGroup && !db.dbSubnetGroupName && !db.replicateSourceDb) {
                report(`RDS instance "${args.name}" must set dbSubnetGroupName to a subnet group of private subnets.`);
            }
        }),
        validateResourceOfType(aws.rds.ClusterInstance, (db, args, report) => {
            if (db.publiclyAccessible === true) {
                report(`RDS cluster instance "${args.name}" must set publiclyAccessible: false.`);
            }
        }),
    ],
};

interface MultiAzConfig {
    includeReplicas: boolean;
}

export const rdsMultiAz: ResourceValidationPolicy = {
    name: "rds-multi-az",
    description: "RDS primaries (instances that are not read replicas; with `includeReplicas`, replicas too) must be " +
        "Multi-AZ: a synchronous standby in another zone takes over in a minute or two, without losing committed writes.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            includeReplicas: { type: "boolean", default: false, description: "Also require Multi-AZ read replicas." },
        },
    },
    validateResource: validateResourceOfType(aws.rds.Instance, (db, args, report) => {
        const cfg = configOf<MultiAzConfig>(args, { includeReplicas: false });
        const replica = Boolean(db.replicateSourceDb);
        if ((!replica || cfg.includeReplicas) && db.multiAz !== true) {
            report(`RDS ${replica ? "read replica" : "primary"} "${args.name}" must set multiAz: true, got ${db.multiAz ?? "unset (single-AZ)"}.`);
        }
    }),
};

interface BackupConfig {
    minRetentionDays: number;
}

export const rdsBackupRetention: ResourceValidationPolicy = {
    name: "rds-backup-retention",
    description: "RDS primaries and Aurora clusters must keep automated backups for at least `minRetentionDays` (default 7): " +
        "point-in-time recovery is the way back from a bad migration or a deleted table.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: DEFAULT_MIN_BACKUP_RETENTION_DAYS, description: "Shortest allowed backupRetentionPeriod." },
        },
    },
    validateResource: [
        validateResourceOfType(aws.rds.Instance, (db, args, report) => {
            const cfg = configOf<BackupConfig>(args, { minRetentionDays: DEFAULT_MIN_BACKUP_RETENTION_DAYS });
            if (!db.replicateSourceDb && (db.backupRetentionPeriod ?? 0) < cfg.minRetentionDays) {
                report(`RDS primary "${args.name}" must set backupRetentionPeriod >= ${cfg.minRetentionDays} days, got ${db.backupRetentionPeriod ?? "unset"}.`);
            }
        }),
        validateResourceOfType(aws.rds.Cluster, (c, args, report) => {
            const cfg = configOf<BackupConfig>(args, { minRetentionDays: DEFAULT_MIN_BACKUP_RETENTION_DAYS });
            if ((c.backupRetentionPeriod ?? 1) < cfg.minRetentionDays) {
                report(`RDS cluster "${args.name}" must set backupRetentionPeriod >= ${cfg.minRetentionDays} days, got ${c.backupRetentionPeriod ?? "unset (1)"}.`);
            }
        }),
    ],
};

interface DeletionConfig {
    requireFinalSnapshot: boolean;
}

export const rdsDeletionProtection: ResourceValidationPolicy = {
    name: "rds-deletion-protection",
    description: "RDS primaries and Aurora clusters must have deletion protection on and, when `requireFinalSnapshot` is " +
        "set (default), take a final snapshot: a mistaken `pulumi destroy` or replacement must not drop the data. " +
        "Per stack: dev turns it off so that stacks can be torn down.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireFinalSnapshot: { type: "boolean", default: true, description: "Also require skipFinalSnapshot to be false." },
        },
    },
    validateResource: [
        validateResourceOfType(aws.rds.Instance, (db, args, report) => {
            if (db.replicateSourceDb) {
                return;
            }
            const cfg = configOf<DeletionConfig>(args, { requireFinalSnapshot: true });
            if (db.deletionProtection !== true) {
                report(`RDS primary "${args.name}" must set deletionProtection: true.`);
            }
            if (cfg.requireFinalSnapshot && db.skipFinalSnapshot === true) {
                report(`RDS primary "${args.name}" must take a final snapshot on deletion (skipFinalSnapshot: false with finalSnapshotIdentifier).`);
            }
        }),
        validateResourceOfType(aws.rds.Cluster, (c, args, report) => {
            const cfg = configOf<DeletionConfig>(args, { requireFinalSnapshot: true });
            if (c.deletionProtection !== true) {
                report(`RDS cluster "${args.name}" must set deletionProtection: true.`);
            }
            if (cfg.requireFinalSnapshot && c.skipFinalSnapshot === true) {
                report(`RDS cluster "${args.name}" must take a final snapshot on deletion (skipFinalSnapshot: false with finalSnapshotIdentifier).`);
            }
        }),
    ],
};

interface CacheEncryptionConfig {
    requireAuth: boolean;
}

export const elasticacheEncrypted: ResourceValidationPolicy = {
    name: "elasticache-encrypted",
    description: "ElastiCache replication groups must encrypt at rest and in transit (TLS) and, when `requireAuth` is set " +
        "(default), require an AUTH token or RBAC user group: sessions and queued jobs carry user data.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireAuth: { type: "boolean", default: true, description: "Require authToken or userGroupIds." },
        },
    },
    validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (g, args, report) => {
        const cfg = configOf<CacheEncryptionConfig>(args, { requireAuth: true });
        const what = `ElastiCache replication group "${args.name}"`;
        // The provider defaults at-rest encryption on for Valkey and off for Redis OSS.
        const atRest = g.atRestEncryptionEnabled ?? (String(g.engine ?? "redis").toLowerCase() === "valkey");
        if (atRest !== true && String(atRest) !== "true") {
            report(`${what} must set atRestEncryptionEnabled: true.`);
        }
        if (g.transitEncryptionEnabled !== true) {
            report(`${what} must set transitEncryptionEnabled: true (clients connect with rediss://).`);
        }
        if (cfg.requireAuth && !g.authToken && !(g.userGroupIds ?? []).length) {
            report(`${what} must require authentication (authToken or userGroupIds).`);
        }
    }),
};

interface CachePrivateConfig {
    requireSubnetGroup: boolean;
    requireSecurityGroups: boolean;
}

export const elasticachePrivate: ResourceValidationPolicy = {
    name: "elasticache-private",
    description: "ElastiCache replication groups must name their subnet group and security groups: without them they land " +
        "in the default VPC's subnets behind its default security group instead of the platform's private subnets.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireSubnetGroup: { type: "boolean", default: true, description: "Require subnetGroupName." },
            requireSecurityGroups: { type: "boolean", default: true, description: "Require securityGroupIds." },
        },
    },
    validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (g, args, report) => {
        const cfg = configOf<CachePrivateConfig>(args, { requireSubnetGroup: true, requireSecurityGroups: true });
        const what = `ElastiCache replication group "${args.name}"`;
        if (cfg.requireSubnetGroup && !g.subnetGroupName) {
            report(`${what} must set subnetGroupName to a subnet group of private subnets.`);
        }
        if (cfg.requireSecurityGroups && !(g.securityGroupIds ?? []).length && !(g.securityGroupNames ?? []).length) {
            report(`${what} must set securityGroupIds (not the VPC's default security group).`);
        }
    }),
};

interface ImdsConfig {
    maxHopLimit: number;
}

function checkMetadataOptions(what: string, m: any, cfg: ImdsConfig, report: (msg: string) => void): void {
    if (m?.httpEndpoint === "disabled") {
        return; // no metadata service at all
    }
    if (m?.httpTokens !== "required") {
        report(`${what} must require IMDSv2: metadataOptions.httpTokens must be "required", got ${m?.httpTokens === undefined ? "unset (IMDSv1 allowed)" : JSON.stringify(m.httpTokens)}.`);
    }
    if (typeof m?.httpPutResponseHopLimit === "number" && m.httpPutResponseHopLimit > cfg.maxHopLimit) {
        report(`${what} must keep metadataOptions.httpPutResponseHopLimit <= ${cfg.maxHopLimit}, got ${m.httpPutResponseHopLimit}.`);
    }
}

export const imdsv2Required: ResourceValidationPolicy = {
    name: "imdsv2-required",
    description: "Launch templates and EC2 instances must require IMDSv2 (metadataOptions.httpTokens \"required\") with a " +
        "hop limit of at most `maxHopLimit` (default 2): IMDSv1 hands the node's IAM credentials to any SSRF.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxHopLimit: { type: "integer", minimum: 1, maximum: 64, default: DEFAULT_MAX_METADATA_HOP_LIMIT, description: "Largest allowed httpPutResponseHopLimit." },
        },
    },
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (t, args, report) =>
            checkMetadataOptions(`Launch template "${args.name}"`, t.metadataOptions, configOf<ImdsConfig>(args, { maxHopLimit: DEFAULT_MAX_METADATA_HOP_LIMIT }), report)),
        validateResourceOfType(aws.ec2.Instance, (i, args, report) =>
            checkMetadataOptions(`EC2 instance "${args.name}"`, i.metadataOptions, configOf<ImdsConfig>(args, { maxHopLimit: DEFAULT_MAX_METADATA_HOP_LIMIT }), report)),
    ],
};

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

function blocksAll(r: PolicyResource): boolean {
    return BLOCK_FLAGS.every((f) => r.props?.[f] === true);
}

export const s3BucketPublicAccessBlock: StackValidationPolicy = {
    name: "s3-bucket-public-access-block",
    description: "Every S3 bucket must have a BucketPublicAccessBlock with all four flags true (or the stack sets an " +
        "account-wide AccountPublicAccessBlock that does): access logs and artifacts are private, and the block stops " +
        "a later ACL or bucket policy from publishing them.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            acceptAccountLevelBlock: { type: "boolean", default: true, description: "An AccountPublicAccessBlock with all four flags in the stack covers every bucket." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<{ acceptAccountLevelBlock: boolean }>(args, { acceptAccountLevelBlock: true });
        if (cfg.acceptAccountLevelBlock && args.resources.some((r) => r.isType(aws.s3.AccountPublicAccessBlock) && blocksAll(r))) {
            return;
        }
        const blocks = args.resources.filter((r) => r.isType(aws.s3.BucketPublicAccessBlock));
        const buckets = args.resources.filter((r) => r.isType(aws.s3.Bucket) || r.isType(aws.s3.BucketV2));
        for (const bucket of buckets) {
            const mine = blocks.filter((b) => refersTo(b, bucket, [b.props?.bucket]));
            if (mine.length === 0) {
                report(`S3 bucket ${label(bucket)} must have a BucketPublicAccessBlock (all four flags true).`, bucket.urn);
            } else if (!mine.some(blocksAll)) {
                const off = BLOCK_FLAGS.filter((f) => mine[0].props?.[f] !== true);
                report(`S3 bucket ${label(bucket)}: its BucketPublicAccessBlock must set ${off.join(", ")} to true.`, bucket.urn);
            }
        }
    },
};

export const securityPolicies = [
    rdsStorageEncrypted,
    rdsNotPublic,
    rdsMultiAz,
    rdsBackupRetention,
    rdsDeletionProtection,
    elasticacheEncrypted,
    elasticachePrivate,
    imdsv2Required,
    s3BucketPublicAccessBlock,
];
