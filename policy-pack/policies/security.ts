/**
 * Secure defaults for stateful and compute resources: data encrypted and private, primaries Multi-AZ
 * with backups and deletion protection, instance metadata behind IMDSv2, buckets closed to the public,
 * launch-template volumes encrypted.
 *
 * Preview-aware (see common.ts): plain props, the decisive field first; an unknown reference (a KMS key
 * ARN, a subnet group name, an AUTH token, a source DB ARN) is present; violations only where known values
 * prove them; what unknowns leave open is thrown as `UndecidableError`.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { MaybeUnknown, UNKNOWN, UndecidableError, Undecided, boolOf, configOf, isKnownString, isSet, isUnknown, label, linkedResources, numOf, onRaw, propsOf, providerKey, validateResourceOfTypes } from "./common";
import { aws } from "./sdk";

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
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.rds.Instance, onRaw((db, args, report) => {
            const cfg = configOf<EncryptedConfig>(args, { requireCustomerManagedKey: false });
            const what = `RDS instance "${args.name}"`;
            const undecided = new Undecided();
            // Decisive field first; only an unset value needs to know whether this is a replica (which inherits it).
            const encrypted = boolOf(db.storageEncrypted);
            if (encrypted === UNKNOWN) {
                undecided.add("storageEncrypted", "it is unknown during preview");
            } else if (encrypted === false || (encrypted === undefined && !isSet(db.replicateSourceDb))) {
                report(`${what} must set storageEncrypted: true, got ${db.storageEncrypted ?? "unset (unencrypted)"}.`);
            }
            // A replica named by identifier is in its source's region: RDS encrypts it with the source's key and
            // rejects a KmsKeyId ("If you create an encrypted read replica in the same AWS Region as the source DB
            // instance, don't specify a value", CreateDBInstanceReadReplica); the source's key is checked on the source.
            // A replica named by ARN may be cross-region, where the destination's key must be given.
            const source = db.replicateSourceDb;
            const sameRegionReplica = isKnownString(source) && !source.startsWith("arn:");
            if (sameRegionReplica && isSet(db.kmsKeyId)) {
                report(`${what} is a same-region read replica and must not set kmsKeyId (it is encrypted with its source's key; RDS rejects the parameter with InvalidParameterCombination).`);
            }
            if (cfg.requireCustomerManagedKey && !isSet(db.kmsKeyId) && !sameRegionReplica) {
                if (isUnknown(source)) {
                    undecided.add("replicateSourceDb", "without kmsKeyId, only a known source tells a same-region replica (no key allowed) from a cross-region one (key required)");
                } else {
                    report(`${what} must encrypt with a customer-managed KMS key (kmsKeyId).`);
                }
            }
            undecided.settle();
        })),
        validateResourceOfType(aws.rds.Cluster, onRaw((c, args, report) => {
            const cfg = configOf<EncryptedConfig>(args, { requireCustomerManagedKey: false });
            const undecided = new Undecided();
            const encrypted = boolOf(c.storageEncrypted);
            if (encrypted === UNKNOWN) {
                undecided.add("storageEncrypted", "it is unknown during preview");
            } else if (encrypted !== true) {
                report(`RDS cluster "${args.name}" must set storageEncrypted: true, got ${c.storageEncrypted ?? "unset"}.`);
            }
            if (cfg.requireCustomerManagedKey && !isSet(c.kmsKeyId)) {
                report(`RDS cluster "${args.name}" must encrypt with a customer-managed KMS key (kmsKeyId).`);
            }
            undecided.settle();
        })),
    ]),
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
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.rds.Instance, onRaw((db, args, report) => {
            const cfg = configOf<NotPublicConfig>(args, { requireSubnetGroup: true });
            const undecided = new Undecided();
            const isPublic = boolOf(db.publiclyAccessible);
            if (isPublic === UNKNOWN) {
                undecided.add("publiclyAccessible", "it is unknown during preview");
            } else if (isPublic === true) {
                report(`RDS instance "${args.name}" must set publiclyAccessible: false.`);
            }
            if (cfg.requireSubnetGroup && !isSet(db.dbSubnetGroupName) && !isSet(db.replicateSourceDb)) {
                report(`RDS instance "${args.name}" must set dbSubnetGroupName to a subnet group of private subnets.`);
            }
            undecided.settle();
        })),
        validateResourceOfType(aws.rds.ClusterInstance, onRaw((db, args, report) => {
            const isPublic = boolOf(db.publiclyAccessible);
            if (isPublic === UNKNOWN) {
                throw new UndecidableError("publiclyAccessible", "it is unknown during preview");
            }
            if (isPublic === true) {
                report(`RDS cluster instance "${args.name}" must set publiclyAccessible: false.`);
            }
        })),
    ]),
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
    validateResource: validateResourceOfType(aws.rds.Instance, onRaw((db, args, report) => {
        const cfg = configOf<MultiAzConfig>(args, { includeReplicas: false });
        const multiAz = boolOf(db.multiAz);
        if (multiAz === true) {
            return;
        }
        const replica = isSet(db.replicateSourceDb);
        if (replica && !cfg.includeReplicas) {
            return;
        }
        if (multiAz === UNKNOWN) {
            throw new UndecidableError("multiAz", "it is unknown during preview");
        }
        report(`RDS ${replica ? "read replica" : "primary"} "${args.name}" must set multiAz: true, got ${db.multiAz ?? "unset (single-AZ)"}.`);
    })),
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
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.rds.Instance, onRaw((db, args, report) => {
            const cfg = configOf<BackupConfig>(args, { minRetentionDays: DEFAULT_MIN_BACKUP_RETENTION_DAYS });
            const days = numOf(db.backupRetentionPeriod);
            if ((typeof days === "number" && days >= cfg.minRetentionDays) || isSet(db.replicateSourceDb)) {
                return;
            }
            if (days === UNKNOWN) {
                throw new UndecidableError("backupRetentionPeriod", "it is unknown during preview");
            }
            report(`RDS primary "${args.name}" must set backupRetentionPeriod >= ${cfg.minRetentionDays} days, got ${days ?? "unset"}.`);
        })),
        validateResourceOfType(aws.rds.Cluster, onRaw((c, args, report) => {
            const cfg = configOf<BackupConfig>(args, { minRetentionDays: DEFAULT_MIN_BACKUP_RETENTION_DAYS });
            const days = numOf(c.backupRetentionPeriod);
            if (days === UNKNOWN) {
                throw new UndecidableError("backupRetentionPeriod", "it is unknown during preview");
            }
            if ((days ?? 1) < cfg.minRetentionDays) {
                report(`RDS cluster "${args.name}" must set backupRetentionPeriod >= ${cfg.minRetentionDays} days, got ${days ?? "unset (1)"}.`);
            }
        })),
    ]),
};

interface DeletionConfig {
    requireFinalSnapshot: boolean;
}

function checkDeletion(what: string, db: any, replica: boolean, cfg: DeletionConfig, report: (m: string) => void): void {
    const protectedDb = boolOf(db.deletionProtection);
    const skips = cfg.requireFinalSnapshot ? boolOf(db.skipFinalSnapshot) : false;
    if ((protectedDb === true && skips !== true && skips !== UNKNOWN) || replica) {
        return; // read replicas are recreated from the primary; deleting one loses nothing
    }
    const undecided = new Undecided();
    if (protectedDb === UNKNOWN) {
        undecided.add("deletionProtection", "it is unknown during preview");
    } else if (protectedDb !== true) {
        report(`${what} must set deletionProtection: true.`);
    }
    if (skips === UNKNOWN) {
        undecided.add("skipFinalSnapshot", "it is unknown during preview");
    } else if (skips === true) {
        report(`${what} must take a final snapshot on deletion (skipFinalSnapshot: false with finalSnapshotIdentifier).`);
    }
    undecided.settle();
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
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.rds.Instance, onRaw((db, args, report) =>
            checkDeletion(`RDS primary "${args.name}"`, db, isSet(db.replicateSourceDb), configOf<DeletionConfig>(args, { requireFinalSnapshot: true }), report))),
        validateResourceOfType(aws.rds.Cluster, onRaw((c, args, report) =>
            checkDeletion(`RDS cluster "${args.name}"`, c, false, configOf<DeletionConfig>(args, { requireFinalSnapshot: true }), report))),
    ]),
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
    validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, onRaw((g, args, report) => {
        const cfg = configOf<CacheEncryptionConfig>(args, { requireAuth: true });
        const what = `ElastiCache replication group "${args.name}"`;
        const undecided = new Undecided();
        // The provider defaults at-rest encryption on for Valkey and off for Redis OSS.
        const given = boolOf(g.atRestEncryptionEnabled);
        const atRest: MaybeUnknown<boolean | undefined> = given !== undefined ? given
            : isUnknown(g.engine) ? UNKNOWN : String(g.engine ?? "redis").toLowerCase() === "valkey";
        if (atRest === UNKNOWN) {
            undecided.add("atRestEncryptionEnabled", "it (or the engine that defaults it) is unknown during preview");
        } else if (atRest !== true) {
            report(`${what} must set atRestEncryptionEnabled: true.`);
        }
        const transit = boolOf(g.transitEncryptionEnabled);
        if (transit === UNKNOWN) {
            undecided.add("transitEncryptionEnabled", "it is unknown during preview");
        } else if (transit !== true) {
            report(`${what} must set transitEncryptionEnabled: true (clients connect with rediss://).`);
        }
        // An AUTH token generated in the same update (random password, secret) is unknown, and present.
        if (cfg.requireAuth && !isSet(g.authToken) && !isSet(g.userGroupIds)) {
            report(`${what} must require authentication (authToken or userGroupIds).`);
        }
        undecided.settle();
    })),
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
    validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, onRaw((g, args, report) => {
        const cfg = configOf<CachePrivateConfig>(args, { requireSubnetGroup: true, requireSecurityGroups: true });
        const what = `ElastiCache replication group "${args.name}"`;
        // Unknown names and ids (created in the same update) are present.
        if (cfg.requireSubnetGroup && !isSet(g.subnetGroupName)) {
            report(`${what} must set subnetGroupName to a subnet group of private subnets.`);
        }
        if (cfg.requireSecurityGroups && !isSet(g.securityGroupIds) && !isSet(g.securityGroupNames)) {
            report(`${what} must set securityGroupIds (not the VPC's default security group).`);
        }
    })),
};

interface ImdsConfig {
    maxHopLimit: number;
}

function checkMetadataOptions(what: string, options: unknown, cfg: ImdsConfig, report: (msg: string) => void): void {
    if (isUnknown(options)) {
        throw new UndecidableError("metadataOptions", "it is unknown during preview");
    }
    const m: any = options ?? {};
    if (m.httpEndpoint === "disabled") {
        return; // no metadata service at all
    }
    const undecided = new Undecided();
    if (isUnknown(m.httpTokens)) {
        undecided.add("metadataOptions.httpTokens", "it is unknown during preview");
    } else if (m.httpTokens !== "required") {
        if (isUnknown(m.httpEndpoint)) {
            undecided.add("metadataOptions.httpEndpoint", "IMDSv1 is allowed unless the endpoint is disabled, which is unknown during preview");
        } else {
            report(`${what} must require IMDSv2: metadataOptions.httpTokens must be "required", got ${m.httpTokens === undefined ? "unset (IMDSv1 allowed)" : JSON.stringify(m.httpTokens)}.`);
        }
    }
    const hops = numOf(m.httpPutResponseHopLimit);
    if (hops === UNKNOWN) {
        undecided.add("metadataOptions.httpPutResponseHopLimit", "it is unknown during preview");
    } else if (typeof hops === "number" && hops > cfg.maxHopLimit) {
        report(`${what} must keep metadataOptions.httpPutResponseHopLimit <= ${cfg.maxHopLimit}, got ${hops}.`);
    }
    undecided.settle();
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
    validateResource: validateResourceOfTypes([
        validateResourceOfType(aws.ec2.LaunchTemplate, onRaw((t, args, report) =>
            checkMetadataOptions(`Launch template "${args.name}"`, t.metadataOptions, configOf<ImdsConfig>(args, { maxHopLimit: DEFAULT_MAX_METADATA_HOP_LIMIT }), report))),
        validateResourceOfType(aws.ec2.Instance, onRaw((i, args, report) =>
            checkMetadataOptions(`EC2 instance "${args.name}"`, i.metadataOptions, configOf<ImdsConfig>(args, { maxHopLimit: DEFAULT_MAX_METADATA_HOP_LIMIT }), report))),
    ]),
};

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** All four flags true; `UNKNOWN` when none is known false but one is unknown. */
function blocksAll(r: PolicyResource): MaybeUnknown<boolean> {
    const p = propsOf(r);
    const flags = BLOCK_FLAGS.map((f) => boolOf(p[f]));
    return flags.every((f) => f === true) ? true : flags.some((f) => f !== true && f !== UNKNOWN) ? false : UNKNOWN;
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
        const accountBlocks = args.resources.filter((r) => r.isType(aws.s3.AccountPublicAccessBlock)).map(blocksAll);
        if (cfg.acceptAccountLevelBlock && accountBlocks.includes(true)) {
            return;
        }
        const blocks = args.resources.filter((r) => r.isType(aws.s3.BucketPublicAccessBlock));
        const buckets = args.resources.filter((r) => r.isType(aws.s3.Bucket) || r.isType(aws.s3.BucketV2));
        const undecided = new Undecided();
        for (const bucket of buckets) {
            // The block names its bucket by id, unknown until the bucket exists: joined by dependency (or parent) then.
            // Every bucket is a candidate, so a component with several buckets (the CDN's origin, replica and logs)
            // does not lend one bucket's block to its siblings through the shared-parent fallback.
            const mine = blocks.filter((b) => linkedResources(b, buckets, [propsOf(b).bucket], ["bucket"]).includes(bucket));
            const verdicts = mine.map(blocksAll);
            if (verdicts.includes(true)) {
                continue;
            }
            if (verdicts.includes(UNKNOWN) || (cfg.acceptAccountLevelBlock && accountBlocks.includes(UNKNOWN))) {
                undecided.add(bucket.name, "a public-access block flag is unknown during preview");
            } else if (mine.length === 0) {
                const unlinked = blocks.filter((b) => isUnknown(propsOf(b).bucket) && !buckets.some((x) => linkedResources(b, [x], [propsOf(b).bucket], ["bucket"]).length > 0));
                if (unlinked.length > 0) {
                    undecided.add(bucket.name, `${unlinked.map((b) => b.name).join(", ")} block(s) an unknown bucket, which may be this one`);
                } else {
                    report(`S3 bucket ${label(bucket)} must have a BucketPublicAccessBlock (all four flags true).`, bucket.urn);
                }
            } else {
                const off = BLOCK_FLAGS.filter((f) => boolOf(propsOf(mine[0])[f]) !== true);
                report(`S3 bucket ${label(bucket)}: its BucketPublicAccessBlock must set ${off.join(", ")} to true.`, bucket.urn);
            }
        }
        undecided.settle();
    },
};

interface EbsConfig {
    acceptEncryptionByDefault: boolean;
    accountEncryptsByDefault: boolean;
}

/**
 * True when the stack turns EBS encryption by default on in the region of `r` (an `aws.ebs.EncryptionByDefault`
 * with `enabled` not false, through the same provider); `UNKNOWN` when only an unknown `enabled` could.
 * After EnableEbsEncryptionByDefault "the EBS volumes that you create are always encrypted"
 * (EC2 API reference, EnableEbsEncryptionByDefault); the provider defaults `enabled` to true.
 */
function regionEncryptsByDefault(r: PolicyResource, resources: readonly PolicyResource[]): MaybeUnknown<boolean> {
    const settings = resources.filter((x) => x.isType(aws.ebs.EncryptionByDefault) && providerKey(x) === providerKey(r)).map((x) => boolOf(propsOf(x).enabled));
    return settings.some((v) => v === true || v === undefined) ? true : settings.includes(UNKNOWN) ? UNKNOWN : false;
}

export const launchTemplateEbsEncrypted: StackValidationPolicy = {
    name: "launch-template-ebs-encrypted",
    description: "EBS volumes of launch templates must be encrypted: every blockDeviceMappings[].ebs sets encrypted \"true\" " +
        "(the provider types it as a string), and a template that maps no EBS volume (its AMI's unencrypted snapshot " +
        "decides) is only accepted when EBS encryption by default is on (an aws.ebs.EncryptionByDefault in the stack for " +
        "the same region, or `accountEncryptsByDefault`). Node root volumes hold container images, logs and emptyDir data.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            acceptEncryptionByDefault: {
                type: "boolean", default: true,
                description: "An aws.ebs.EncryptionByDefault (enabled) in the stack, same provider, covers mappings that leave encrypted unset and templates that map no volume.",
            },
            accountEncryptsByDefault: {
                type: "boolean", default: false,
                description: "The account enables EBS encryption by default outside this stack (landing zone): same as above for every region.",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<EbsConfig>(args, { acceptEncryptionByDefault: true, accountEncryptsByDefault: false });
        const undecided = new Undecided();
        for (const lt of args.resources.filter((r) => r.isType(aws.ec2.LaunchTemplate))) {
            const what = `Launch template ${label(lt)}`;
            const byDefault: MaybeUnknown<boolean> = cfg.accountEncryptsByDefault ? true
                : cfg.acceptEncryptionByDefault ? regionEncryptsByDefault(lt, args.resources) : false;
            const mappings = propsOf(lt).blockDeviceMappings;
            if (isUnknown(mappings)) {
                if (byDefault !== true) {
                    undecided.add(lt.name, "its block device mappings are unknown during preview");
                }
                continue;
            }
            const ebs = (Array.isArray(mappings) ? mappings : []).filter((m: any) => isUnknown(m) || isUnknown(m?.ebs) || (m?.ebs && typeof m.ebs === "object"));
            if (ebs.length === 0) {
                if (byDefault === UNKNOWN) {
                    undecided.add(lt.name, "it maps no EBS volume and whether EBS encryption by default is on is unknown during preview");
                } else if (byDefault !== true) {
                    report(`${what} maps no EBS volume, so its AMI's snapshot decides the root volume's encryption: map the root device with ebs.encrypted "true", or enable EBS encryption by default (aws.ebs.EncryptionByDefault).`, lt.urn);
                }
                continue;
            }
            for (const m of ebs) {
                const device = isUnknown(m) || isUnknown(m.deviceName) ? "(unknown device)" : (m.deviceName ?? "(no device name)");
                const encrypted = isUnknown(m) || isUnknown(m.ebs) ? UNKNOWN : boolOf(m.ebs.encrypted);
                if (encrypted === true) {
                    continue;
                }
                if (encrypted === false) {
                    // Stated intent: reported even where encryption by default would still encrypt the volume.
                    report(`${what}: EBS volume ${device} must set encrypted "true", got "false".`, lt.urn);
                } else if (encrypted === UNKNOWN) {
                    if (byDefault !== true) {
                        undecided.add(lt.name, `the encryption of EBS volume ${device} is unknown during preview`);
                    }
                } else if (byDefault === UNKNOWN) {
                    undecided.add(lt.name, `EBS volume ${device} leaves encrypted unset and whether EBS encryption by default is on is unknown during preview`);
                } else if (byDefault !== true) {
                    report(`${what}: EBS volume ${device} must set encrypted "true", got unset (the snapshot or the account default decides).`, lt.urn);
                }
            }
        }
        undecided.settle();
    },
};

interface BrokerConfig {
    allowedDeploymentModes: string[];
}

/**
 * Amazon MQ brokers (RabbitMQ queue backend, issue 19): never publicly accessible, and deployed over
 * several zones. Amazon MQ always encrypts broker storage at rest (an AWS-owned key unless
 * `encryptionOptions` names another) and RabbitMQ brokers accept AMQP only over TLS (5671), so encryption
 * cannot be switched off; an explicit `encryptionOptions.useAwsOwnedKey: false` still encrypts (aws/mq key).
 */
export const mqBrokerPrivateMultiAz: ResourceValidationPolicy = {
    name: "mq-broker-private-multi-az",
    description: "Amazon MQ brokers must not be publicly accessible and must use a multi-AZ deployment mode " +
        "(`allowedDeploymentModes`, default CLUSTER_MULTI_AZ and ACTIVE_STANDBY_MULTI_AZ): a single-instance broker loses queued jobs with its zone.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedDeploymentModes: {
                type: "array", items: { type: "string", enum: ["CLUSTER_MULTI_AZ", "ACTIVE_STANDBY_MULTI_AZ", "SINGLE_INSTANCE"] },
                default: ["CLUSTER_MULTI_AZ", "ACTIVE_STANDBY_MULTI_AZ"], description: "Deployment modes a broker may use.",
            },
        },
    },
    validateResource: validateResourceOfType(aws.mq.Broker, onRaw((b, args, report) => {
        const cfg = configOf<BrokerConfig>(args, { allowedDeploymentModes: ["CLUSTER_MULTI_AZ", "ACTIVE_STANDBY_MULTI_AZ"] });
        const what = `Amazon MQ broker "${args.name}"`;
        const undecided = new Undecided();
        const pub = boolOf(b.publiclyAccessible);
        if (pub === UNKNOWN) {
            undecided.add("publiclyAccessible", "it is unknown during preview");
        } else if (pub === true) {
            report(`${what} must set publiclyAccessible: false (clients reach it inside the VPC).`);
        }
        const mode = b.deploymentMode;
        if (isUnknown(mode)) {
            undecided.add("deploymentMode", "it is unknown during preview");
        } else {
            // The provider's default is SINGLE_INSTANCE.
            const m = typeof mode === "string" ? mode : "SINGLE_INSTANCE";
            if (!cfg.allowedDeploymentModes.includes(m)) {
                report(`${what} must use one of ${cfg.allowedDeploymentModes.join(", ")}, got deploymentMode ${m}.`);
            }
        }
        undecided.settle();
    })),
};

export const securityPolicies = [
    rdsStorageEncrypted,
    rdsNotPublic,
    rdsMultiAz,
    rdsBackupRetention,
    rdsDeletionProtection,
    elasticacheEncrypted,
    elasticachePrivate,
    mqBrokerPrivateMultiAz,
    imdsv2Required,
    s3BucketPublicAccessBlock,
    launchTemplateEbsEncrypted,
];
