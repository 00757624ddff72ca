/**
 * Workload identity of the reference program: ONE IAM role per AWS-calling workload for the whole stack, assumable
 * through EKS Pod Identity from every region's cluster (IAM is global and the Pod Identity trust names no cluster).
 * Each region associates the role with the workload's service account in its own cluster (platform/compute.ts for
 * the add-ons, platform/workloads.ts for the app). Roles shared by all regions stay narrow with the session tag
 * EKS sets (`aws:PrincipalTag/eks-cluster-name`) matched against resource tags or names: a cluster-autoscaler in
 * us-east-1 cannot resize eu-west-1's groups.
 *
 * | workload                       | service account                           | permissions                                          |
 * |--------------------------------|-------------------------------------------|------------------------------------------------------|
 * | cluster-autoscaler             | kube-system/cluster-autoscaler            | resize/terminate ASGs tagged as its own cluster's    |
 * | aws-node-termination-handler   | kube-system/aws-node-termination-handler  | its cluster's interruption queue, own lifecycle hooks |
 * | aws-load-balancer-controller   | kube-system/aws-load-balancer-controller  | register pods in target groups tagged as its cluster's |
 * | queue-metrics                  | <app ns>/queue-metrics                    | PutMetricData in ScaledWeb/Queues only                |
 * | api, ws, worker                | <app ns>/api, /ws, /worker                | none yet: other stages attach policies (`appRoles`)   |
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { clusterAutoscalerPolicy, nodeTerminationHandlerPolicy } from "../components/cluster-addons";
import { loadBalancerControllerPolicy } from "../components/load-balancer-controller";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import { PodIdentityRole } from "../components/pod-identity";
import { queueMetricsPolicy } from "../components/queue-metrics";
import { PlatformConfig } from "./config";

/** The app's workloads that run under their own service account (and role). */
export const APP_WORKLOADS = ["api", "ws", "worker"] as const;
export type AppWorkload = (typeof APP_WORKLOADS)[number];

/** The stack's Pod Identity roles. */
export interface StackIdentity {
    readonly clusterAutoscaler: PodIdentityRole;
    readonly nodeTerminationHandler: PodIdentityRole;
    readonly loadBalancerController: PodIdentityRole;
    readonly queueMetrics: PodIdentityRole;
    /**
     * The application's roles, keyed by workload. They carry no permission of their own; a stage that gives the
     * app access to something (e.g. an uploads bucket) attaches a policy to `appRoles.<workload>.role`.
     */
    readonly appRoles: Readonly<Record<AppWorkload, PodIdentityRole>>;
}

/**
 * Stage identity: creates the roles once, through `provider` (the primary region's; IAM is global). Call before
 * compute and workloads, which associate them in each region's cluster.
 */
export function wireIdentity(config: PlatformConfig, provider: aws.Provider): StackIdentity {
    const opts = { provider };
    const tags = { ...config.tags };
    const account = aws.getCallerIdentityOutput({}, opts).accountId;
    const role = (key: string, description: string, policy?: pulumi.Input<Record<string, unknown>>): PodIdentityRole =>
        new PodIdentityRole(`${config.environment}-${key}`, { description, policy, sourceAccount: account, tags }, opts);
    return {
        clusterAutoscaler: role("cluster-autoscaler", "cluster-autoscaler (EKS Pod Identity): resizes only its own cluster's tagged ASGs", clusterAutoscalerPolicy()),
        nodeTerminationHandler: role("node-termination-handler", "aws-node-termination-handler (EKS Pod Identity): its own cluster's interruption queue and lifecycle hooks",
            account.apply((a) => nodeTerminationHandlerPolicy(a))),
        loadBalancerController: role("lb-controller", "aws-load-balancer-controller (EKS Pod Identity): registers pods in its own cluster's target groups",
            account.apply((a) => loadBalancerControllerPolicy(a))),
        queueMetrics: role("queue-metrics", `queue-metrics (EKS Pod Identity): PutMetricData in ${DEFAULT_QUEUE_DEPTH_METRIC.namespace}`,
            queueMetricsPolicy(DEFAULT_QUEUE_DEPTH_METRIC.namespace)),
        appRoles: Object.fromEntries(APP_WORKLOADS.map((w) => [w, role(`app-${w}`, `${w} pods of ${config.project} (EKS Pod Identity)`)])) as Record<AppWorkload, PodIdentityRole>,
    };
}
