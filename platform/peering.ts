/**
 * Stage peering: hub-and-spoke VPC peering from the primary region to every secondary region, so that
 * secondary-region workloads reach the primary's RDS Proxy (their `writerEndpoint`). Each peering routes
 * only between private subnets; the data stage then admits the secondary region's private subnet CIDRs on
 * 5432 at the proxy. Secondary regions are not peered with each other: they only need the primary.
 */
import { RegionPeering, peeringSide } from "../components/region-peering";
import { PlatformConfig } from "./config";
import { PeeringRegion } from "./contracts";
import type { RegionContext } from "./program";

/** Peers the primary region with each other region; returns what each secondary region's peering gives, keyed by region. */
export function wirePeering(config: PlatformConfig, regions: readonly RegionContext[]): Map<string, PeeringRegion> {
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const out = new Map<string, PeeringRegion>();
    for (const ctx of regions.filter((r) => r !== primary)) {
        const peering = new RegionPeering(`${primary.prefix}-peer-${ctx.region.name}`, {
            requester: peeringSide(primary.network, primary.provider, primary.region.name),
            accepter: peeringSide(ctx.network, ctx.provider, ctx.region.name),
            tags: config.tags,
        });
        out.set(ctx.region.name, {
            peeringConnectionId: peering.peeringConnectionId,
            clientCidrBlocks: Object.fromEntries(ctx.network.subnets.map((s) => [s.availabilityZone, s.privateCidr])),
        });
    }
    return out;
}
