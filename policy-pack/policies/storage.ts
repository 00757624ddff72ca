/**
 * Static assets, uploads and backups (issue 18): CloudFront viewers on HTTPS with TLS 1.2+, S3 origins read only
 * through Origin Access Control (never a public bucket), the uploads bucket encrypted with KMS and versioned, and
 * in prod a backup plan that copies every recovery point to another region.
 *
 * Preview-aware (see common.ts): plain props, the decisive field first; an unknown ARN or id (the OAC being created,
 * a KMS key) counts as present; a verdict that needs an unknown value is thrown as `UndecidableError`.
 */
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { UndecidableError, Undecided, boolOf, configOf, isKnownString, isSet, isUnknown, onRaw } from "./common";

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

export const storagePolicies = [cloudfrontViewerHttps, cloudfrontS3OriginPrivate];
