/**
 * Edge of the reference program: one `LoadBalancer` per region (stage edge) and one `WeightedDns`
 * across regions (stage dns), wired from the stack's config and the compute stage's node pools.
 */
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancer } from "../components/load-balancer";
import { WeightedDns, WeightedDnsRegion } from "../components/weighted-dns";
import { PlatformConfig } from "./config";
import { ComputeRegion, EdgeRegion } from "./contracts";
import type { RegionContext } from "./program";

/**
 * Stage edge: the region's ALB in its public subnets, with IP target groups on the api/ws container ports. The
 * pods are registered by the workloads stage's `TargetGroupBinding`s (the cluster's AWS Load Balancer Controller);
 * the target groups carry the cluster's name, which is what the controller's role may register into.
 */
export function wireEdge(ctx: RegionContext, compute: ComputeRegion): EdgeRegion {
    const { config, prefix, provider, network } = ctx;
    const lb = new LoadBalancer(`${prefix}-edge`, {
        vpcId: network.vpcId,
        subnetIds: network.publicSubnetIds,
        domain: config.domain,
        hostedZoneId: config.hostedZoneId,
        apiHostname: config.edge.apiHostname,
        wsHostname: config.edge.wsHostname,
        nodeSecurityGroupId: compute.nodeSecurityGroupId,
        apiContainerPort: config.api.containerPort,
        wsContainerPort: config.ws.containerPort,
        targetClusterName: compute.clusterName,
        wsPaths: config.edge.wsPaths,
        wsProbePath: config.edge.wsHealthCheckPath,
        idleTimeoutSeconds: config.edge.idleTimeoutSeconds,
        healthCheck: { path: config.edge.healthCheckPath },
        rateLimitPerSecond: config.edge.rateLimitPerSecond,
        deletionProtection: config.protectData,
        tags: config.tags,
    }, { provider });
    return {
        loadBalancerArnSuffix: lb.arnSuffix,
        dnsName: lb.dnsName,
        zoneId: lb.zoneId,
        targetGroupArnSuffixes: lb.targetGroupArnSuffixes,
        targetGroupArns: lb.targetGroupArns,
    };
}

export interface DnsOutputs {
    /** Route53 health check id per hostname and region, keyed `<hostname>-<region>` (e.g. `ws-us-west-2`). */
    readonly healthCheckIds: Record<string, pulumi.Output<string>>;
    /** Names published, e.g. `["api.example.com", "ws.example.com"]`. */
    readonly fqdns: readonly string[];
}

/**
 * Stage dns: `api.<domain>` and `ws.<domain>` weighted across the regions by their configured weights,
 * each hostname's records in a region guarded by that hostname's own health check on the region's ALB:
 * `api` requests `edge.healthCheckPath` (`/health`, the listener's default action: api pods), `ws`
 * requests `edge.wsHealthCheckPath` (`/ws/health`, the listener's ws probe rule: ws pods). So a region
 * whose ws service is down leaves `ws.<domain>` and stays in `api.<domain>`. Route53 is global; the
 * records and checks are created through the primary region's provider.
 */
export function wireDns(config: PlatformConfig, regions: readonly RegionContext[], edges: ReadonlyMap<string, EdgeRegion>): DnsOutputs {
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const targets: Record<string, WeightedDnsRegion> = {};
    for (const ctx of regions) {
        const edge = edges.get(ctx.region.name);
        if (!edge) {
            throw new Error(`wireDns: region ${ctx.region.name} has no load balancer; run wireEdge for every region first`);
        }
        targets[ctx.region.name] = { weight: ctx.region.weight, dnsName: edge.dnsName, zoneId: edge.zoneId };
    }
    const dns = new WeightedDns(`${config.environment}-dns`, {
        domain: config.domain,
        hostedZoneId: config.hostedZoneId,
        hostnames: [config.edge.apiHostname, config.edge.wsHostname],
        regions: targets,
        healthCheckPath: config.edge.healthCheckPath,
        // The same paths wireEdge gives each LoadBalancer (its `probePaths`).
        healthCheckPaths: { [config.edge.apiHostname]: config.edge.healthCheckPath, [config.edge.wsHostname]: config.edge.wsHealthCheckPath },
        healthCheckIntervalSeconds: config.edge.healthCheckIntervalSeconds,
        tags: config.tags,
    }, { provider: primary.provider });
    return { healthCheckIds: dns.healthCheckIds, fqdns: dns.fqdns };
}
