/**
 * Stage compute: one EKS cluster per region, its node pools (from `config.nodePools`, the tier's
 * `general` on-demand and `workers` spot pools plus any the stack adds) and its add-ons.
 *
 * On-demand pools get one ASG per availability zone (`nodePools.<pool>.perZone`, default on): api/ws
 * spread over zones with `whenUnsatisfiable: DoNotSchedule`, and cluster-autoscaler can only add a node in
 * a chosen zone when that zone has a group of its own (its FAQ; it runs with
 * `--balance-similar-node-groups`, see ClusterAddons). The spot pool stays one group over all zones.
 */
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../components/cluster";
import { ClusterAddons } from "../components/cluster-addons";
import { NodePool } from "../components/node-pool";
import { ComputeRegion } from "./contracts";
import type { ClusterAccess } from "./deploy-runner";
import type { StackIdentity } from "./identity";
import type { RegionContext } from "./program";

/** What the compute stage builds in one region: the contract plus the components, for advanced callers. */
export interface ComputeRegionDetails extends ComputeRegion {
    readonly cluster: Cluster;
    readonly nodePools: Readonly<Record<string, NodePool>>;
    readonly addons: ClusterAddons;
}

/**
 * Builds the region's cluster, node pools and add-ons, every resource through the region's provider. `access` says
 * who reaches the private API on 443 and which roles get access entries (platform/deploy-runner.ts); `identity`
 * holds the stack's Pod Identity roles the add-ons are associated with (platform/identity.ts).
 */
export function wireCompute(ctx: RegionContext, identity: StackIdentity, access?: ClusterAccess): ComputeRegionDetails {
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
            availabilityZones: network.availabilityZones,
            perZone: pool.perZone,
            detailedMonitoring: pool.detailedMonitoring,
            ...(pool.capacityType === "spot" ? { onDemandBaseCapacity: pool.onDemandBase } : {}),
            tags,
        }, { provider });
    }
    const pools = Object.values(nodePools);

    const addons = new ClusterAddons(`${name}-addons`, {
        clusterName: cluster.clusterName,
        kubernetesVersion: cluster.kubernetesVersion,
        region: ctx.region.name,
        vpcId: network.vpcId,
        roles: {
            clusterAutoscaler: identity.clusterAutoscaler,
            nodeTerminationHandler: identity.nodeTerminationHandler,
            loadBalancerController: identity.loadBalancerController,
        },
        k8sProvider: cluster.k8sProvider,
        autoScalingGroupNames: pools.flatMap((p) => Object.values(p.autoScalingGroupNames)),
        tags,
    }, { provider, dependsOn: pools });

    return {
        clusterName: cluster.clusterName,
        k8sProvider: cluster.k8sProvider,
        nodeSecurityGroupId: cluster.nodeSecurityGroupId,
        loadBalancerController: addons.loadBalancerController.release,
        autoScalingGroupNames: Object.assign({}, ...pools.map((p) => p.autoScalingGroupNames)) as Record<string, pulumi.Output<string>>,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        cluster,
        nodePools,
        addons,
    };
}
