/**
 * Stage deploy runner: the in-VPC GitHub Actions runner (an AWS CodeBuild project, `DeployRunner`) in the primary
 * region, and who may reach each region's private Kubernetes API on 443:
 *  - the primary region's cluster admits the runner's security group;
 *  - every other region's cluster admits the primary's private subnet CIDRs, where the runner's network interfaces
 *    live, over the VPC peering (security groups cannot be referenced across regions);
 *  - every cluster admits `cluster.privateAccessCidrs`, and its region's `cluster.privateAccessSecurityGroups`.
 * The deploy role gets a cluster-admin access entry and the preview role a read-only one in every region.
 */
import * as pulumi from "@pulumi/pulumi";
import { DeployRunner } from "../components/deploy-runner";
import { PlatformConfig } from "./config";
import type { RegionContext } from "./program";

/** What one region's cluster admits on 443 and which principals get access entries. */
export interface ClusterAccess {
    readonly privateAccessCidrs: Readonly<Record<string, string>>;
    readonly privateAccessSecurityGroupIds: Readonly<Record<string, pulumi.Input<string>>>;
    readonly adminPrincipals: Readonly<Record<string, pulumi.Input<string>>>;
    readonly viewPrincipals: Readonly<Record<string, pulumi.Input<string>>>;
}

export interface DeployRunnerStage {
    /** Undefined when `deployRunner.enabled` is false. */
    readonly runner?: DeployRunner;
    accessFor(region: string): ClusterAccess;
}

/** Creates the runner (when enabled) and answers what each region's cluster must admit. */
export function wireDeployRunner(config: PlatformConfig, regions: readonly RegionContext[]): DeployRunnerStage {
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const cfg = config.deployRunner;
    const runner = cfg.enabled ? new DeployRunner(`${primary.prefix}-deploy-runner`, {
        projectName: cfg.projectName,
        vpcId: primary.network.vpcId,
        subnetIds: primary.network.privateSubnetIds,
        repository: cfg.repository!,
        connectionArn: cfg.connectionArn!,
        allowedActorIds: cfg.allowedActorIds,
        computeType: cfg.computeType,
        image: cfg.image,
        buildTimeoutMinutes: cfg.buildTimeoutMinutes,
        privilegedMode: cfg.privilegedMode,
        tags: config.tags,
    }, { provider: primary.provider }) : undefined;

    return {
        runner,
        accessFor(region: string): ClusterAccess {
            const isPrimary = region === primary.region.name;
            const runnerCidrs = runner && !isPrimary
                ? Object.fromEntries(primary.network.subnets.map((s) => [`runner-${s.availabilityZone}`, s.privateCidr]))
                : {};
            return {
                privateAccessCidrs: { ...config.cluster.privateAccessCidrs, ...runnerCidrs },
                privateAccessSecurityGroupIds: {
                    ...(config.cluster.privateAccessSecurityGroups[region] ?? {}),
                    ...(runner && isPrimary ? { "deploy-runner": runner.securityGroupId } : {}),
                },
                // cluster.adminPrincipals (named admins, required in prod) plus the deploy role; config.ts keeps the two apart.
                adminPrincipals: { ...config.cluster.adminPrincipals, ...(runner && cfg.deployRoleArn ? { deploy: cfg.deployRoleArn } : {}) },
                viewPrincipals: runner && cfg.previewRoleArn ? { preview: cfg.previewRoleArn } : {},
            };
        },
    };
}
