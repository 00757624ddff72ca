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
import { EksAddons } from "../components/eks-addons";
import { NodePool, instanceArchitecture } from "../components/node-pool";
import { ComputeRegion } from "./contracts";
import type { ClusterAccess } from "./deploy-runner";
import type { StackIdentity } from "./identity";
import type { RegionContext } from "./program";

/** What the compute stage builds in one region: the contract plus the components, for advanced callers. */
export interface ComputeRegionDetails extends ComputeRegion {
    readonly cluster: Cluster;
    readonly nodePools: Readonly<Record<string, NodePool>>;
    readonly addons: ClusterAddons;
    /** The CoreDNS managed add-on (the node-side ones are `cluster.nodeAddons`). */
    readonly dns: EksAddons;
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
        supportType: config.cluster.supportType,
        addonVersions: config.cluster.addonVersions,
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
            // The node AMI pinned in cluster.nodeAmi: a release (resolved from its fixed SSM parameter) or an id.
            imageId: config.cluster.nodeAmi?.imageIds?.[ctx.region.name]?.[instanceArchitecture(pool.instanceTypes[0])],
            amiRelease: config.cluster.nodeAmi?.release,
            amiKubernetesVersion: config.cluster.nodeAmi?.kubernetesVersion ?? config.cluster.kubernetesVersion,
            ...(pool.capacityType === "spot" ? { onDemandBaseCapacity: pool.onDemandBase } : {}),
            // issue 19: the pool follows the replica schedules (scaling.schedules.<name>.nodePools).
            schedules: config.scaling.nodePools[poolName] ?? [],
            tags,
        }, { provider });
    }
    const pools = Object.values(nodePools);

    const dns = new EksAddons(`${name}-dns`, {
        clusterName: cluster.clusterName,
        kubernetesVersion: cluster.kubernetesVersion,
        addons: ["coredns"],
        versions: config.cluster.addonVersions,
        // CoreDNS is a Deployment, so its add-on stays DEGRADED until its pods run on Ready nodes, and the provider's
        // create waits for ACTIVE with CREATING and DEGRADED as pending states (terraform-provider-aws
        // internal/service/eks wait.go, waitAddonCreated, 20 min default): created before the pools it would time out.
        // No input of the add-on refers to the node pools (EksAddons applies `after` as dependsOn).
        after: pools,
        tags,
    }, { provider });

    const addons = new ClusterAddons(`${name}-addons`, {
        clusterName: cluster.clusterName,
        kubernetesVersion: cluster.kubernetesVersion,
        region: ctx.region.name,
        vpcId: network.vpcId,
        roles: {
            clusterAutoscaler: identity.clusterAutoscaler,
            nodeTerminationHandler: identity.nodeTerminationHandler,
            loadBalancerController: identity.loadBalancerController,
            keda: identity.keda,
        },
        k8sProvider: cluster.k8sProvider,
        autoScalingGroupNames: pools.flatMap((p) => Object.values(p.autoScalingGroupNames)),
        tags,
    }, {
        provider,
        // order: the Helm releases are atomic (they wait for their pods to be ready), and pods need nodes;
        // the releases reference no node pool output.
        dependsOn: pools,
    });

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
        dns,
    };
}
