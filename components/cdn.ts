/**
 * Static assets behind CloudFront: a private S3 origin bucket (reachable only by this distribution, through
 * Origin Access Control), optionally replicated to a second region and used there as the failover member of
 * an origin group, served at `static.<domain>` with an ACM certificate and a CLOUDFRONT-scope WAF web ACL,
 * both in us-east-1, and standard (legacy) access logs into a bucket of their own.
 *
 * Sources (AWS CloudFront Developer Guide unless named; argument names from @pulumi/aws 7.48 typings):
 * - "Supported Regions and edge locations for CloudFront": an ACM certificate used by CloudFront must be
 *   requested in US East (N. Virginia); a web ACL for CloudFront is created with scope CLOUDFRONT in us-east-1
 *   (AWS WAF Developer Guide, "Using AWS WAF with Amazon CloudFront").
 * - "Restrict access to an Amazon S3 origin": an OAC with origin type `s3`, signing behaviour `always`,
 *   protocol `sigv4`; the bucket policy lets the service principal `cloudfront.amazonaws.com` call
 *   s3:GetObject with `AWS:SourceArn` equal to the distribution's ARN.
 * - "Use managed cache policies": CachingOptimized, ID 658327ea-f89d-4fab-a63d-7e88639e58f6 (min 1 s,
 *   default 86,400 s, max 31,536,000 s; no query strings or cookies in the key; gzip/brotli normalised). It honours
 *   an origin `Cache-Control: max-age=31536000` up to one year, so immutable, content-hashed files uploaded with
 *   seed 000's `Cache-Control: public, max-age=31536000, immutable` stay cached for a year.
 * - "Supported protocols and ciphers between viewers and CloudFront": security policy names `TLSv1.2_2021`,
 *   `TLSv1.2_2025`, `TLSv1.3_2025` (TLS 1.2 or newer only).
 * - "Optimize high availability with CloudFront origin failover": an origin group fails over to its second
 *   member on the listed status codes, for GET, HEAD and OPTIONS requests only.
 * - "Configure standard logging (legacy)": the log bucket must have ACLs enabled (S3 Object Ownership not
 *   `BucketOwnerEnforced`; new buckets have ACLs disabled since April 2023); CloudFront adds the awslogsdelivery
 *   grant itself. Standard logging v2 (CloudWatch vended log deliveries) is not used here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PrivateBucket, denyInsecureTransport, privateBucket, replicate } from "./buckets";
import { DEFAULT_RATE_LIMIT_PER_SECOND, DEFAULT_RATE_LIMIT_WINDOW_SECONDS, wafRateLimit } from "./load-balancer";
import { DNS_LABEL, DNS_NAME, Problems, show } from "./validation";

/** Managed cache policy CachingOptimized (see the sources above). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/** CloudFront viewer security policies that allow TLS 1.2 or newer only. */
export const CLOUDFRONT_TLS12_POLICIES = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"] as const;
export type CloudFrontSecurityPolicy = (typeof CLOUDFRONT_TLS12_POLICIES)[number];
export const DEFAULT_CDN_SECURITY_POLICY: CloudFrontSecurityPolicy = "TLSv1.2_2021";
export const DEFAULT_CDN_HOSTNAME = "static";
/** Content-hashed asset paths, cached as long as the origin's `Cache-Control` says (up to a year). */
export const DEFAULT_IMMUTABLE_PATHS: readonly string[] = ["/assets/*"];
/** HTML and other unversioned files: at most this long at the edge, whatever the origin says. */
export const DEFAULT_HTML_MAX_TTL_SECONDS = 300;
/** ... and this long when the origin sends no `Cache-Control`. */
export const DEFAULT_HTML_DEFAULT_TTL_SECONDS = 60;
export const DEFAULT_CDN_LOG_RETENTION_DAYS = 90;
/** North America and Europe edge locations only: the cheapest class. */
export const DEFAULT_PRICE_CLASS = "PriceClass_100";
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;
/** Origin responses that make an origin group retry on its failover member. */
export const ORIGIN_FAILOVER_STATUS_CODES = [500, 502, 503, 504, 403, 404] as const;
/** Prefix of CloudFront log objects in the log bucket. */
export const CDN_LOG_PREFIX = "cloudfront/";

/** The second region holding a replica of the origin bucket. */
export interface CdnFailoverRegion {
    /** Region name, e.g. `us-west-2`. */
    readonly region: string;
    /** That region's explicit provider. */
    readonly provider: aws.Provider;
}

export interface CdnArgs {
    /** The stack's domain; the distribution serves `<hostname>.<domain>`. */
    readonly domain: string;
    /**
     * Route53 public zone of `domain` (certificate validation and the alias records).
     * @default looked up by name (`aws.route53.getZone({ name: domain })`)
     */
    readonly hostedZoneId?: pulumi.Input<string>;
    /** Label of the served name. @default "static" */
    readonly hostname?: string;
    /** Region of the origin bucket and the log bucket (the provider in `opts` must point there). */
    readonly region: string;
    /**
     * A provider for us-east-1, where CloudFront requires its ACM certificate and its CLOUDFRONT-scope web ACL.
     * May be the same provider as `opts.provider` when the stack's primary region is us-east-1.
     */
    readonly usEast1Provider: aws.Provider;
    /** Replicate the origin bucket to this region and fail over to it (origin group). @default none */
    readonly failover?: CdnFailoverRegion;
    /** Viewer security policy (TLS 1.2+ only). @default "TLSv1.2_2021" */
    readonly minimumProtocolVersion?: CloudFrontSecurityPolicy;
    /** Path patterns of immutable, content-hashed files (managed CachingOptimized). @default ["/assets/*"] */
    readonly immutablePaths?: readonly string[];
    /** Longest edge TTL for everything else (HTML), seconds. @default 300 */
    readonly htmlMaxTtlSeconds?: number;
    /** Edge TTL for everything else when the origin sends no Cache-Control, seconds. @default 60 */
    readonly htmlDefaultTtlSeconds?: number;
    /** WAF rate limit per client IP, requests per second (counted over 60 s windows). @default 10 */
    readonly rateLimitPerSecond?: number;
    /** Days the access logs are kept. @default 90 */
    readonly logRetentionDays?: number;
    /** `PriceClass_100`, `PriceClass_200` or `PriceClass_All`. @default "PriceClass_100" */
    readonly priceClass?: (typeof PRICE_CLASSES)[number];
    /** Keep buckets on destroy (no forceDestroy) and protect the origin bucket. @default true */
    readonly protectData?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Problems with `args` (empty when valid). */
export function validateCdnArgs(name: string, args: CdnArgs): Problems {
    const p = new Problems();
    p.check(DNS_NAME.test(args.domain), "domain", `must be a lower-case DNS name such as "example.com" (got ${show(args.domain)})`);
    if (args.hostname !== undefined) {
        p.check(DNS_LABEL.test(args.hostname), "hostname", `must be a DNS label such as "static" (got ${show(args.hostname)})`);
    }
    if (args.minimumProtocolVersion !== undefined) {
        p.check((CLOUDFRONT_TLS12_POLICIES as readonly string[]).includes(args.minimumProtocolVersion), "minimumProtocolVersion",
            `must be one of ${CLOUDFRONT_TLS12_POLICIES.join(", ")} (TLS 1.2 or newer; got ${show(args.minimumProtocolVersion)})`);
    }
    for (const [i, path] of (args.immutablePaths ?? []).entries()) {
        p.check(typeof path === "string" && path.startsWith("/") && path.length <= 255 && path !== "/*" && path !== "*", `immutablePaths[${i}]`,
            `must be a CloudFront path pattern under the root such as "/assets/*", not the default behaviour (got ${show(path)})`);
    }
    const max = args.htmlMaxTtlSeconds ?? DEFAULT_HTML_MAX_TTL_SECONDS;
    const def = args.htmlDefaultTtlSeconds ?? DEFAULT_HTML_DEFAULT_TTL_SECONDS;
    p.check(Number.isInteger(max) && max >= 0 && max <= 31536000, "htmlMaxTtlSeconds", `must be a whole number of seconds, 0-31536000 (got ${show(args.htmlMaxTtlSeconds)})`);
    p.check(Number.isInteger(def) && def >= 0 && def <= max, "htmlDefaultTtlSeconds",
        `must be a whole number of seconds between 0 and htmlMaxTtlSeconds (${max}) (got ${show(args.htmlDefaultTtlSeconds)})`);
    if (args.rateLimitPerSecond !== undefined) {
        p.check(Number.isInteger(args.rateLimitPerSecond) && args.rateLimitPerSecond >= 1, "rateLimitPerSecond", `must be a whole number >= 1 (got ${show(args.rateLimitPerSecond)})`);
    }
    const days = args.logRetentionDays ?? DEFAULT_CDN_LOG_RETENTION_DAYS;
    p.check(Number.isInteger(days) && days >= 1, "logRetentionDays", `must be a whole number of days >= 1 (got ${show(args.logRetentionDays)})`);
    if (args.priceClass !== undefined) {
        p.check((PRICE_CLASSES as readonly string[]).includes(args.priceClass), "priceClass", `must be one of ${PRICE_CLASSES.join(", ")} (got ${show(args.priceClass)})`);
    }
    if (args.failover) {
        p.check(args.failover.region !== args.region, "failover.region",
            `must be another region than the origin's ${args.region} (got ${show(args.failover.region)}); leave failover out for a single-region stack`);
    }
    void name;
    return p;
}

/**
 * The origin bucket's policy: CloudFront (this distribution only) may read objects, nobody may use plain HTTP.
 * "Restrict access to an Amazon S3 origin" (CloudFront Developer Guide).
 */
export function originBucketPolicy(bucketArn: string, distributionArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AllowCloudFrontServicePrincipalReadOnly",
                Effect: "Allow",
                Principal: { Service: "cloudfront.amazonaws.com" },
                Action: "s3:GetObject",
                Resource: `${bucketArn}/*`,
                Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
            },
            denyInsecureTransport(bucketArn),
        ],
    });
}

export class Cdn extends pulumi.ComponentResource {
    /** `static.<domain>`. */
    readonly fqdn: string;
    readonly distributionId: pulumi.Output<string>;
    readonly distributionArn: pulumi.Output<string>;
    /** `dxxxx.cloudfront.net`. */
    readonly distributionDomainName: pulumi.Output<string>;
    /** Where CI uploads the assets (`aws s3 sync`). */
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    /** The replica in the failover region, when there is one. */
    readonly replicaBucketName?: pulumi.Output<string>;
    readonly logBucketName: pulumi.Output<string>;
    readonly webAclArn: pulumi.Output<string>;
    readonly certificateArn: pulumi.Output<string>;

    constructor(name: string, args: CdnArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("scaled-web:edge:Cdn", name, {}, opts);
        validateCdnArgs(name, args).throwIfAny(`Cdn "${name}"`);
        const tags = { ...(args.tags ?? {}) };
        const protectData = args.protectData ?? true;
        const here: pulumi.CustomResourceOptions = { parent: this };
        const global: pulumi.CustomResourceOptions = { parent: this, provider: args.usEast1Provider };
        this.fqdn = `${args.hostname ?? DEFAULT_CDN_HOSTNAME}.${args.domain}`;
        const zoneId = args.hostedZoneId !== undefined
            ? pulumi.output(args.hostedZoneId)
            : aws.route53.getZoneOutput({ name: args.domain, privateZone: false }, here).zoneId;

        // --- Origin bucket (and its replica) ------------------------------------------------------
        const origin = privateBucket(`${name}-origin`, { versioned: args.failover !== undefined, forceDestroy: !protectData, tags }, { ...here, protect: protectData });
        let replica: PrivateBucket | undefined;
        if (args.failover) {
            const there: pulumi.CustomResourceOptions = { parent: this, provider: args.failover.provider };
            replica = privateBucket(`${name}-origin-replica`, { versioned: true, forceDestroy: !protectData, tags }, { ...there, protect: protectData });
            replicate(`${name}-origin`, {
                source: origin, destination: replica, sourceRegion: args.region, destinationRegion: args.failover.region, deleteMarkers: true, tags,
            }, here);
        }
        const oac = new aws.cloudfront.OriginAccessControl(`${name}-oac`, {
            name: `${name}-oac`.slice(0, 64),
            description: `${name}: CloudFront signs every origin request (SigV4)`,
            originAccessControlOriginType: "s3",
            signingBehavior: "always",
            signingProtocol: "sigv4",
        }, here);

        // --- Access logs (standard logging, legacy: ACLs enabled) -----------------------------------
        const logs = privateBucket(`${name}-logs`, { versioned: false, objectOwnership: "BucketOwnerPreferred", forceDestroy: !protectData, tags }, here);
        new aws.s3.BucketLifecycleConfiguration(`${name}-logs`, {
            bucket: logs.bucket.id,
            rules: [{
                id: "expire-access-logs",
                status: "Enabled",
                filter: { prefix: CDN_LOG_PREFIX },
                expiration: { days: args.logRetentionDays ?? DEFAULT_CDN_LOG_RETENTION_DAYS },
            }],
        }, here);
        new aws.s3.BucketPolicy(`${name}-logs`, {
            bucket: logs.bucket.id,
            policy: logs.bucket.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [denyInsecureTransport(arn)] })),
            // order: a bucket policy put while the public-access block is being created can be refused; the block is a sibling.
        }, { ...here, dependsOn: [logs.publicAccessBlock] });

        // --- Certificate (us-east-1) ----------------------------------------------------------------
        const cert = new aws.acm.Certificate(`${name}-cert`, {
            domainName: this.fqdn,
            validationMethod: "DNS",
            options: { certificateTransparencyLoggingPreference: "ENABLED" },
            tags,
        }, global);
        const option = cert.domainValidationOptions.apply((opts) => {
            const found = opts.find((o) => o.domainName === this.fqdn);
            if (!found) {
                throw new Error(`ACM returned no DNS validation option for ${this.fqdn}`);
            }
            return found;
        });
        const validationRecord = new aws.route53.Record(`${name}-cert`, {
            zoneId,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            ttl: 300,
            allowOverwrite: true,
        }, { ...here, retainOnDelete: true });
        const validation = new aws.acm.CertificateValidation(`${name}-cert`, {
            certificateArn: cert.arn,
            validationRecordFqdns: [validationRecord.fqdn],
        }, global);

        // --- WAF (CLOUDFRONT scope, us-east-1) ------------------------------------------------------
        const metric = (suffix: string) => `${name}-${suffix}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 128);
        const acl = new aws.wafv2.WebAcl(`${name}-waf`, {
            scope: "CLOUDFRONT",
            description: `Rate limit per client IP for ${this.fqdn}`,
            defaultAction: { allow: {} },
            rules: [{
                name: "rate-limit-per-ip",
                priority: 0,
                action: { block: {} },
                statement: {
                    rateBasedStatement: {
                        aggregateKeyType: "IP",
                        limit: wafRateLimit(args.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND, DEFAULT_RATE_LIMIT_WINDOW_SECONDS),
                        evaluationWindowSec: DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
                    },
                },
                visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metric("rate-limit") },
            }],
            visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metric("waf") },
            tags,
        }, global);

        // --- Cache policy for HTML (short-lived) ----------------------------------------------------
        const htmlPolicy = new aws.cloudfront.CachePolicy(`${name}-html`, {
            name: `${name}-html`.slice(0, 128),
            comment: "Unversioned files: honour the origin's Cache-Control, never longer than the max TTL",
            minTtl: 0,
            defaultTtl: args.htmlDefaultTtlSeconds ?? DEFAULT_HTML_DEFAULT_TTL_SECONDS,
            maxTtl: args.htmlMaxTtlSeconds ?? DEFAULT_HTML_MAX_TTL_SECONDS,
            parametersInCacheKeyAndForwardedToOrigin: {
                cookiesConfig: { cookieBehavior: "none" },
                headersConfig: { headerBehavior: "none" },
                queryStringsConfig: { queryStringBehavior: "none" },
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
            },
        }, here);

        // --- Distribution ---------------------------------------------------------------------------
        const PRIMARY = "origin-primary";
        const REPLICA = "origin-replica";
        const GROUP = "origin-group";
        const target = replica ? GROUP : PRIMARY;
        const behaviour = {
            targetOriginId: target,
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: ["GET", "HEAD", "OPTIONS"],
            cachedMethods: ["GET", "HEAD"],
            compress: true,
        };
        const distribution = new aws.cloudfront.Distribution(`${name}-cdn`, {
            enabled: true,
            comment: `${name}: static assets for ${this.fqdn}`,
            aliases: [this.fqdn],
            isIpv6Enabled: true,
            httpVersion: "http2and3",
            priceClass: args.priceClass ?? DEFAULT_PRICE_CLASS,
            defaultRootObject: "index.html",
            origins: [
                { originId: PRIMARY, domainName: origin.bucket.bucketRegionalDomainName, originAccessControlId: oac.id },
                ...(replica ? [{ originId: REPLICA, domainName: replica.bucket.bucketRegionalDomainName, originAccessControlId: oac.id }] : []),
            ],
            originGroups: replica ? [{
                originId: GROUP,
                failoverCriteria: { statusCodes: [...ORIGIN_FAILOVER_STATUS_CODES] },
                members: [{ originId: PRIMARY }, { originId: REPLICA }],
            }] : [],
            defaultCacheBehavior: { ...behaviour, cachePolicyId: htmlPolicy.id },
            orderedCacheBehaviors: (args.immutablePaths ?? DEFAULT_IMMUTABLE_PATHS).map((pathPattern) => ({
                ...behaviour, pathPattern, cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
            })),
            restrictions: { geoRestriction: { restrictionType: "none" } },
            viewerCertificate: {
                acmCertificateArn: validation.certificateArn,
                sslSupportMethod: "sni-only",
                minimumProtocolVersion: args.minimumProtocolVersion ?? DEFAULT_CDN_SECURITY_POLICY,
            },
            webAclId: acl.arn,
            loggingConfig: { bucket: logs.bucket.bucketDomainName, prefix: CDN_LOG_PREFIX, includeCookies: false },
            tags,
            // order: CloudFront checks the log bucket's ACL setting when logging is turned on; the ownership
            // controls are a sibling of the bucket the distribution names.
        }, { ...here, dependsOn: [logs.ownership] });

        const origins: [string, PrivateBucket, pulumi.CustomResourceOptions][] = [[`${name}-origin`, origin, here]];
        if (replica && args.failover) {
            origins.push([`${name}-origin-replica`, replica, { parent: this, provider: args.failover.provider }]);
        }
        for (const [key, b, o] of origins) {
            new aws.s3.BucketPolicy(key, {
                bucket: b.bucket.id,
                policy: pulumi.all([b.bucket.arn, distribution.arn]).apply(([arn, dist]) => originBucketPolicy(arn, dist)),
                // order: as for the log bucket, the policy waits for the bucket's public-access block.
            }, { ...o, dependsOn: [b.publicAccessBlock] });
        }

        for (const type of ["A", "AAAA"] as const) {
            new aws.route53.Record(`${name}-${type.toLowerCase()}`, {
                zoneId,
                name: this.fqdn,
                type,
                aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
            }, here);
        }

        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.distributionDomainName = distribution.domainName;
        this.bucketName = origin.bucket.bucket;
        this.bucketArn = origin.bucket.arn;
        this.replicaBucketName = replica?.bucket.bucket;
        this.logBucketName = logs.bucket.bucket;
        this.webAclArn = acl.arn;
        this.certificateArn = validation.certificateArn;
        this.registerOutputs({
            distributionId: this.distributionId,
            distributionDomainName: this.distributionDomainName,
            bucketName: this.bucketName,
            ...(this.replicaBucketName ? { replicaBucketName: this.replicaBucketName } : {}),
            logBucketName: this.logBucketName,
        });
    }
}
