/**
 * Stage static (issue 18): the CDN for static assets. One `Cdn` per stack, its origin bucket in the primary
 * region, replicated to the first secondary region as the origin group's failover member (`cdn.failover`),
 * its certificate and web ACL in us-east-1.
 */
import * as aws from "@pulumi/aws";
import { Cdn } from "../components/cdn";
import { PlatformConfig } from "./config";
import type { RegionContext } from "./program";

export const US_EAST_1 = "us-east-1";

export interface StaticOutputs {
    /** `static.<domain>`, undefined when `cdn.enabled` is false. */
    readonly cdn?: Cdn;
}

/**
 * A provider for us-east-1 (CloudFront's certificate and web ACL live there): the stack's own when one of its
 * regions is us-east-1, else one created for the purpose with the stack's default tags.
 */
export function usEast1Provider(config: PlatformConfig, regions: readonly RegionContext[]): aws.Provider {
    const existing = regions.find((r) => r.region.name === US_EAST_1);
    if (existing) {
        return existing.provider;
    }
    return new aws.Provider(`aws-${US_EAST_1}-global`, { region: US_EAST_1, defaultTags: { tags: { ...config.tags, region: US_EAST_1 } } });
}

export function wireStatic(config: PlatformConfig, regions: readonly RegionContext[], global: aws.Provider): StaticOutputs {
    if (!config.cdn.enabled) {
        return {};
    }
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const secondary = regions.find((r) => r !== primary);
    const c = config.cdn;
    const cdn = new Cdn(`${config.environment}-static`, {
        domain: config.domain,
        hostedZoneId: config.hostedZoneId,
        hostname: c.hostname,
        region: primary.region.name,
        usEast1Provider: global,
        failover: c.failover && secondary ? { region: secondary.region.name, provider: secondary.provider } : undefined,
        minimumProtocolVersion: c.minimumProtocolVersion,
        immutablePaths: c.immutablePaths,
        htmlMaxTtlSeconds: c.htmlMaxTtlSeconds,
        htmlDefaultTtlSeconds: c.htmlDefaultTtlSeconds,
        rateLimitPerSecond: c.rateLimitPerSecond ?? config.edge.rateLimitPerSecond,
        logRetentionDays: c.logRetentionDays,
        priceClass: c.priceClass,
        protectData: config.protectData,
        tags: config.tags,
    }, { provider: primary.provider });
    return { cdn };
}
