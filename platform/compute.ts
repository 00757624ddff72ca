/**
 * Stage compute: one EKS cluster per region, its node pools (from `config.nodePools`, the tier's
 * `general` on-demand and `workers` spot pools plus any the stack adds) and its add-ons.
 */
import { Cluster } from "../components/cluster";
import { ClusterAddons } from "../components/cluster-addons";
import { NodePool } from "../components/node-pool";
import { ComputeRegion } from "./contracts";
import type { ClusterAccess } from "./deploy-runner";
import type { RegionContext } from "./program";

/** What the compute stage builds in one region: the contract plus the components, for advanced callers. */
export interface ComputeRegionDetails extends ComputeRegion {
    readonly cluster: Cluster;
    readonly nodePools: Readonly<Record<string, NodePool>>;
    readonly addons: ClusterAddons;
}

/**
 * Builds the region's cluster, node pools and add-ons, every resource through the region's provider. `access` says
 * who reaches the private API on 443 and which roles get access entries (platform/deploy-runner.ts).
 */
export function wireCompute(ctx: RegionContext, access?: ClusterAccess): ComputeRegionDetails {
    const { config, prefix, provider, network } = ctx;
    const name = `${prefix}-eks`;
    const tags = { ...config.tags };

    const cluster = new Cluster(name, {
        clusterName: name,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        kubernetesVersion: config.cluster.kubernetesVersion,
        publicEndpoint: config.cluster.publicEndpoint,
        publicAccessCidrs: config.cluster.publicAccessCidrs,
        allowPublicAccessFromAnywhere: config.cluster.allowPublicAccessFromAnywhere,
        privateAccessCidrs: access?.privateAccessCidrs,
        privateAccessSecurityGroupIds: access?.privateAccessSecurityGroupIds,
        adminPrincipals: access?.adminPrincipals,
        viewPrincipals: access?.viewPrincipals,
        deletionProtection: config.protectData,
        tags,
    }, { provider });

    const nodePools: Record<string, NodePool> = {};
    for (const [poolName, pool] of Object.entries(config.nodePools)) {
        nodePools[poolName] = new NodePool(`${name}-pool-${poolName}`, {
            cluster,
            poolName,
            capacityType: pool.capacityType,
            instanceTypes: pool.instanceTypes,
            minSize: pool.minSize,
            maxSize: pool.maxSize,
            desiredSize: pool.desiredSize,
            diskSizeGiB: pool.diskSizeGiB,
            subnetIds: network.privateSubnetIds,
            ...(pool.capacityType === "spot" ? { onDemandBaseCapacity: pool.onDemandBase } : {}),
            tags,
        }, { provider });
    }
    const pools = Object.values(nodePools);

    const addons = new ClusterAddons(`${name}-addons`, {
        clusterName: cluster.clusterName,
        kubernetesVersion: cluster.kubernetesVersion,
        region: ctx.region.name,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        k8sProvider: cluster.k8sProvider,
        autoScalingGroupNames: pools.map((p) => p.autoScalingGroupName),
        tags,
    }, { provider, dependsOn: pools });

    return {
        clusterName: cluster.clusterName,
        k8sProvider: cluster.k8sProvider,
        nodeSecurityGroupId: cluster.nodeSecurityGroupId,
        targetAutoScalingGroupNames: pools.filter((p) => p.capacityType === "on-demand").map((p) => p.autoScalingGroupName),
        autoScalingGroupNames: Object.fromEntries(Object.entries(nodePools).map(([k, p]) => [k, p.autoScalingGroupName])),
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        cluster,
        nodePools,
        addons,
    };
}
