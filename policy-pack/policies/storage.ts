/**
 * Static assets, uploads and backups (issue 18): CloudFront viewers on HTTPS with TLS 1.2+, S3 origins read only
 * through Origin Access Control (never a public bucket), the uploads bucket encrypted with KMS and versioned, and
 * in prod a backup plan that copies every recovery point to another region.
 *
 * Preview-aware (see common.ts): plain props, the decisive field first; an unknown ARN or id (the OAC being created,
 * a KMS key) counts as present; a verdict that needs an unknown value is thrown as `UndecidableError`.
 */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { UndecidableError, Undecided, boolOf, configOf, isKnownString, isSet, isUnknown, label, linkedResources, onRaw, propsOf, raw } from "./common";
import { aws } from "./sdk";

/**
 * CloudFront security policies that admit TLS 1.2 or newer only ("Supported protocols and ciphers between viewers
 * and CloudFront", CloudFront Developer Guide). `TLSv1.2_2018`/`_2019` allow TLS 1.2 too but with CBC/SHA1 ciphers.
 */
export const DEFAULT_ALLOWED_CLOUDFRONT_POLICIES: readonly string[] = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"];
/** Viewer protocol policies that never serve content over plain HTTP. */
const HTTPS_VIEWER_POLICIES = new Set(["redirect-to-https", "https-only"]);

interface ViewerConfig {
    allowedMinimumProtocolVersions: string[];
}

function checkDistributionViewers(d: any, name: string, cfg: ViewerConfig, report: (m: string) => void): void {
    const what = `CloudFront distribution "${name}"`;
    const undecided = new Undecided();
    // Decisive first: the certificate settings (known literals in any sane program).
    const cert = d.viewerCertificate;
    if (isUnknown(cert)) {
        undecided.add("viewerCertificate", "the viewer certificate settings are unknown during preview");
    } else {
        const onDefault = boolOf(cert?.cloudfrontDefaultCertificate);
        const version = cert?.minimumProtocolVersion;
        if (onDefault === true) {
            report(`${what} uses the *.cloudfront.net default certificate, which forces the TLSv1 security policy; serve it with an ACM certificate (us-east-1) and minimumProtocolVersion ${cfg.allowedMinimumProtocolVersions.join(" or ")}.`);
        } else if (isUnknown(version)) {
            undecided.add("viewerCertificate.minimumProtocolVersion", "the security policy is unknown during preview");
        } else if (!isKnownString(version) || !cfg.allowedMinimumProtocolVersions.includes(version)) {
            report(`${what} must set viewerCertificate.minimumProtocolVersion to ${cfg.allowedMinimumProtocolVersions.join(" or ")} (TLS 1.2+), got ${version === undefined ? "unset (TLSv1)" : JSON.stringify(version)}.`);
        }
    }
    const behaviours: [string, unknown][] = [["defaultCacheBehavior", d.defaultCacheBehavior]];
    if (isUnknown(d.orderedCacheBehaviors)) {
        undecided.add("orderedCacheBehaviors", "the ordered cache behaviours are unknown during preview");
    } else {
        (Array.isArray(d.orderedCacheBehaviors) ? d.orderedCacheBehaviors : []).forEach((b: any, i: number) => behaviours.push([`orderedCacheBehaviors[${i}] (${isKnownString(b?.pathPattern) ? b.pathPattern : "?"})`, b]));
    }
    for (const [path, b] of behaviours) {
        const policy = isUnknown(b) ? b : (b as any)?.viewerProtocolPolicy;
        if (isUnknown(policy)) {
            undecided.add(`${path}.viewerProtocolPolicy`, "the viewer protocol policy is unknown during preview");
        } else if (!HTTPS_VIEWER_POLICIES.has(String(policy))) {
            report(`${what}: ${path} must set viewerProtocolPolicy to "redirect-to-https" or "https-only", got ${JSON.stringify(policy ?? "unset")}.`);
        }
    }
    undecided.settle();
}

export const cloudfrontViewerHttps: ResourceValidationPolicy = {
    name: "cloudfront-viewer-https",
    description: "CloudFront distributions serve viewers over HTTPS only (every cache behaviour `redirect-to-https` or `https-only`) " +
        "with a custom certificate and a TLS 1.2+ security policy (`allowedMinimumProtocolVersions`, default TLSv1.2_2021 and newer).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedMinimumProtocolVersions: {
                type: "array", items: { type: "string" }, default: [...DEFAULT_ALLOWED_CLOUDFRONT_POLICIES], description: "CloudFront security policy names.",
            },
        },
    },
    validateResource: validateResourceOfType(aws.cloudfront.Distribution, onRaw((d, args, report) =>
        checkDistributionViewers(d, args.name, configOf<ViewerConfig>(args, { allowedMinimumProtocolVersions: [...DEFAULT_ALLOWED_CLOUDFRONT_POLICIES] }), report))),
};

/**
 * An origin is an S3 (or other AWS) origin unless it is a custom origin (`customOriginConfig`: an ALB, a web
 * server) or a VPC origin. Such an origin must be signed with Origin Access Control: without it CloudFront
 * requests objects anonymously, which only a public bucket answers.
 */
function checkOriginAccess(d: any, name: string, report: (m: string) => void): void {
    if (isUnknown(d.origins)) {
        throw new UndecidableError("origins", "the distribution's origins are unknown during preview");
    }
    const undecided = new Undecided();
    (Array.isArray(d.origins) ? d.origins : []).forEach((o: any, i: number) => {
        if (isUnknown(o)) {
            undecided.add(`origins[${i}]`, "the origin is unknown during preview");
            return;
        }
        if (isSet(o?.customOriginConfig) || isSet(o?.vpcOriginConfig)) {
            return;
        }
        if (isSet(o?.originAccessControlId)) {
            return;
        }
        const id = isKnownString(o?.originId) ? o.originId : `#${i}`;
        const oai = o?.s3OriginConfig?.originAccessIdentity;
        report(`CloudFront distribution "${name}": S3 origin ${id} must use Origin Access Control (originAccessControlId) so its bucket stays private` +
            (isSet(oai) ? "; origin access identities (OAI) are legacy and do not sign SSE-KMS or PUT requests." : "; without it CloudFront reads the bucket anonymously, which needs a public bucket."));
    });
    undecided.settle();
}

export const cloudfrontS3OriginPrivate: ResourceValidationPolicy = {
    name: "cloudfront-s3-origin-private",
    description: "Every S3 origin of a CloudFront distribution is read through Origin Access Control, so the bucket needs no " +
        "public access (its public-access block stays on, see s3-bucket-public-access-block).",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: validateResourceOfType(aws.cloudfront.Distribution, onRaw((d, args, report) => checkOriginAccess(d, args.name, report))),
};

/** The tag components/uploads-bucket.ts puts on the uploads buckets. */
export const DEFAULT_UPLOADS_TAG = "data-class=user-uploads";
const KMS_ALGORITHMS = new Set(["aws:kms", "aws:kms:dsse"]);

/** The companions (encryption, versioning) of `bucket` among `companions`, joined by id or dependency. */
function companionsOf(bucket: PolicyResource, buckets: readonly PolicyResource[], companions: readonly PolicyResource[]): PolicyResource[] {
    return companions.filter((c) => linkedResources(c, buckets, [propsOf(c).bucket], ["bucket"]).includes(bucket));
}

export const s3UploadsEncryptedVersioned: StackValidationPolicy = {
    name: "s3-uploads-encrypted-versioned",
    description: "S3 buckets holding user uploads (tagged `tag`, default data-class=user-uploads) are encrypted by default with a " +
        "customer KMS key (SSE-KMS, kmsMasterKeyId set) and versioned (status Enabled), so an overwrite or delete can be undone.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            tag: { type: "string", default: DEFAULT_UPLOADS_TAG, description: "key=value tag that marks an uploads bucket." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<{ tag: string }>(args, { tag: DEFAULT_UPLOADS_TAG });
        const [tagKey, tagValue] = cfg.tag.split("=");
        const buckets = args.resources.filter((r) => r.isType(aws.s3.Bucket) || r.isType(aws.s3.BucketV2));
        const encryption = args.resources.filter((r) => r.isType(aws.s3.BucketServerSideEncryptionConfiguration) || r.isType(aws.s3.BucketServerSideEncryptionConfigurationV2));
        const versioning = args.resources.filter((r) => r.isType(aws.s3.BucketVersioning) || r.isType(aws.s3.BucketVersioningV2));
        const undecided = new Undecided();
        for (const bucket of buckets) {
            const tags = propsOf(bucket).tags;
            if (isUnknown(tags)) {
                undecided.add(`${bucket.name}.tags`, "the bucket's tags are unknown during preview");
                continue;
            }
            if (!tags || tags[tagKey] !== tagValue) {
                continue;
            }
            // Encryption: a rule with SSE-KMS and a key (an unknown key ARN counts as set).
            const rules = companionsOf(bucket, buckets, encryption).flatMap((e) => {
                const r = propsOf(e).rules;
                return isUnknown(r) ? [r] : Array.isArray(r) ? r : [];
            });
            const sse = rules.map((r: any) => (isUnknown(r) ? r : r?.applyServerSideEncryptionByDefault));
            if (sse.some((d: any) => isUnknown(d) || isUnknown(d?.sseAlgorithm))) {
                undecided.add(`${bucket.name}.encryption`, "the bucket's default encryption is unknown during preview");
            } else if (!sse.some((d: any) => KMS_ALGORITHMS.has(String(d?.sseAlgorithm)) && isSet(d?.kmsMasterKeyId))) {
                const got = sse.map((d: any) => `${d?.sseAlgorithm ?? "none"}${isSet(d?.kmsMasterKeyId) ? "" : " without a key"}`).join(", ") || "no default-encryption configuration";
                report(`S3 uploads bucket ${label(bucket)} must be encrypted by default with a customer KMS key (sseAlgorithm aws:kms and kmsMasterKeyId); got ${got}.`, bucket.urn);
            }
            const statuses = companionsOf(bucket, buckets, versioning).map((v) => {
                const c = propsOf(v).versioningConfiguration;
                return isUnknown(c) ? c : c?.status;
            });
            if (statuses.some(isUnknown)) {
                undecided.add(`${bucket.name}.versioning`, "the bucket's versioning status is unknown during preview");
            } else if (!statuses.includes("Enabled")) {
                report(`S3 uploads bucket ${label(bucket)} must be versioned (a BucketVersioning with status "Enabled"); got ${statuses.length ? statuses.map((s) => JSON.stringify(s)).join(", ") : "no versioning resource"}.`, bucket.urn);
            }
        }
        undecided.settle();
    },
};

const UNKNOWN_REGION: unique symbol = Symbol("unknown region");

/** Region an AWS resource is managed in: its provider's `region` (undefined for the default provider; `UNKNOWN` sentinel kept). */
function regionOf(r: PolicyResource): unknown {
    return raw(r.provider?.props)?.region;
}

/** `arn:aws:backup:<region>:<account>:backup-vault:<name>` -> region. */
function arnRegion(arn: string): string | undefined {
    return arn.split(":")[3] || undefined;
}

export const backupCrossRegionCopy: StackValidationPolicy = {
    name: "backup-cross-region-copy",
    description: "Every AWS Backup plan copies each rule's recovery points to a vault in another region (a copy action whose " +
        "destination vault is not in the plan's region), and a stack with an RDS primary has such a plan: a regional outage " +
        "or a deleted vault must not take every backup with it. Meant for prod.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requirePlanForDatabases: { type: "boolean", default: true, description: "An RDS primary (no replicateSourceDb) needs an AWS Backup plan in the stack." },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf<{ requirePlanForDatabases: boolean }>(args, { requirePlanForDatabases: true });
        const plans = args.resources.filter((r) => r.isType(aws.backup.Plan));
        const vaults = args.resources.filter((r) => r.isType(aws.backup.Vault));
        const undecided = new Undecided();
        if (cfg.requirePlanForDatabases && plans.length === 0) {
            for (const db of args.resources.filter((r) => r.isType(aws.rds.Instance))) {
                const source = propsOf(db).replicateSourceDb;
                if (!isSet(source)) {
                    report(`RDS primary ${label(db)} has no AWS Backup plan in the stack; add one that copies its recovery points to another region.`, db.urn);
                }
            }
        }
        for (const plan of plans) {
            const home = regionOf(plan);
            const rules = propsOf(plan).rules;
            if (isUnknown(rules)) {
                undecided.add(`${plan.name}.rules`, "the plan's rules are unknown during preview");
                continue;
            }
            (Array.isArray(rules) ? rules : []).forEach((rule: any, i: number) => {
                const name = isKnownString(rule?.ruleName) ? rule.ruleName : `#${i}`;
                const actions = isUnknown(rule?.copyActions) ? rule.copyActions : Array.isArray(rule?.copyActions) ? rule.copyActions : [];
                if (isUnknown(actions)) {
                    undecided.add(`${plan.name}.rules[${i}].copyActions`, "the copy actions are unknown during preview");
                    return;
                }
                // Destination regions: from a known ARN, else from the vaults the plan's rules depend on (its target
                // vault and the copy vault while their ARNs are unknown): a vault in another region settles it.
                const regions = (actions as any[]).map((a): string | typeof UNKNOWN_REGION => {
                    const arn = a?.destinationVaultArn;
                    if (isKnownString(arn)) {
                        return arnRegion(arn) ?? UNKNOWN_REGION;
                    }
                    const known = linkedResources(plan, vaults, [arn], ["rules"]).map(regionOf).filter(isKnownString);
                    return known.find((r) => r !== home) ?? known[0] ?? UNKNOWN_REGION;
                });
                if (isKnownString(home) && regions.some((r) => typeof r === "string" && r !== home)) {
                    return;
                }
                if (regions.length > 0 && (!isKnownString(home) || regions.includes(UNKNOWN_REGION))) {
                    undecided.add(`${plan.name}.rules[${i}]`, "the region of the copy destination (or of the plan) is unknown during preview");
                    return;
                }
                report(`AWS Backup plan ${label(plan)}: rule ${name} must copy its recovery points to a vault in another region than ${isKnownString(home) ? home : "the plan's"}; ` +
                    `got ${regions.length === 0 ? "no copy action" : `copies to ${regions.map((r) => (typeof r === "string" ? r : "?")).join(", ")}`}.`, plan.urn);
            });
        }
        undecided.settle();
    },
};

export const storagePolicies = [cloudfrontViewerHttps, cloudfrontS3OriginPrivate, s3UploadsEncryptedVersioned, backupCrossRegionCopy];
