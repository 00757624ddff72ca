/**
 * The resource classes the policies validate (`validateResourceOfType`, `isType`), imported one module each instead
 * of `import * as aws from "@pulumi/aws"` / `"@pulumi/kubernetes"`. Those index modules reference every service of the
 * SDK, so type-checking the pack (which `run-policy-pack` does with ts-node's `typeCheck: true` every time the CLI
 * starts the pack) parsed about 3,700 declaration files; importing the classes alone parses about a sixth of them.
 * At run time both reach the same module, so `aws.rds.Instance` here is the SDK's own class (its `__pulumiType`).
 * A policy that needs another class adds it below, under the same path the SDK's index uses.
 */
import { Listener as aws_alb_Listener } from "@pulumi/aws/alb/listener";
import { LoadBalancer as aws_alb_LoadBalancer } from "@pulumi/aws/alb/loadBalancer";
import { Group as aws_autoscaling_Group } from "@pulumi/aws/autoscaling/group";
import { Plan as aws_backup_Plan } from "@pulumi/aws/backup/plan";
import { Vault as aws_backup_Vault } from "@pulumi/aws/backup/vault";
import { Distribution as aws_cloudfront_Distribution } from "@pulumi/aws/cloudfront/distribution";
import { EncryptionByDefault as aws_ebs_EncryptionByDefault } from "@pulumi/aws/ebs/encryptionByDefault";
import { Instance as aws_ec2_Instance } from "@pulumi/aws/ec2/instance";
import { LaunchTemplate as aws_ec2_LaunchTemplate } from "@pulumi/aws/ec2/launchTemplate";
import { SecurityGroup as aws_ec2_SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { SecurityGroupRule as aws_ec2_SecurityGroupRule } from "@pulumi/aws/ec2/securityGroupRule";
import { NodeGroup as aws_eks_NodeGroup } from "@pulumi/aws/eks/nodeGroup";
import { PodIdentityAssociation as aws_eks_PodIdentityAssociation } from "@pulumi/aws/eks/podIdentityAssociation";
import { Cluster as aws_elasticache_Cluster } from "@pulumi/aws/elasticache/cluster";
import { ReplicationGroup as aws_elasticache_ReplicationGroup } from "@pulumi/aws/elasticache/replicationGroup";
import { Listener as aws_lb_Listener } from "@pulumi/aws/lb/listener";
import { LoadBalancer as aws_lb_LoadBalancer } from "@pulumi/aws/lb/loadBalancer";
import { Broker as aws_mq_Broker } from "@pulumi/aws/mq/broker";
import { Cluster as aws_rds_Cluster } from "@pulumi/aws/rds/cluster";
import { ClusterInstance as aws_rds_ClusterInstance } from "@pulumi/aws/rds/clusterInstance";
import { Instance as aws_rds_Instance } from "@pulumi/aws/rds/instance";
import { Record as aws_route53_Record } from "@pulumi/aws/route53/record";
import { AccountPublicAccessBlock as aws_s3_AccountPublicAccessBlock } from "@pulumi/aws/s3/accountPublicAccessBlock";
import { Bucket as aws_s3_Bucket } from "@pulumi/aws/s3/bucket";
import { BucketPublicAccessBlock as aws_s3_BucketPublicAccessBlock } from "@pulumi/aws/s3/bucketPublicAccessBlock";
import { BucketServerSideEncryptionConfiguration as aws_s3_BucketServerSideEncryptionConfiguration } from "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration";
import { BucketServerSideEncryptionConfigurationV2 as aws_s3_BucketServerSideEncryptionConfigurationV2 } from "@pulumi/aws/s3/bucketServerSideEncryptionConfigurationV2";
import { BucketV2 as aws_s3_BucketV2 } from "@pulumi/aws/s3/bucketV2";
import { BucketVersioning as aws_s3_BucketVersioning } from "@pulumi/aws/s3/bucketVersioning";
import { BucketVersioningV2 as aws_s3_BucketVersioningV2 } from "@pulumi/aws/s3/bucketVersioningV2";
import { SecurityGroupIngressRule as aws_vpc_SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import { DaemonSet as k8s_apps_v1_DaemonSet } from "@pulumi/kubernetes/apps/v1/daemonSet";
import { Deployment as k8s_apps_v1_Deployment } from "@pulumi/kubernetes/apps/v1/deployment";
import { StatefulSet as k8s_apps_v1_StatefulSet } from "@pulumi/kubernetes/apps/v1/statefulSet";
import { HorizontalPodAutoscaler as k8s_autoscaling_v1_HorizontalPodAutoscaler } from "@pulumi/kubernetes/autoscaling/v1/horizontalPodAutoscaler";
import { HorizontalPodAutoscaler as k8s_autoscaling_v2_HorizontalPodAutoscaler } from "@pulumi/kubernetes/autoscaling/v2/horizontalPodAutoscaler";
import { CronJob as k8s_batch_v1_CronJob } from "@pulumi/kubernetes/batch/v1/cronJob";
import { Job as k8s_batch_v1_Job } from "@pulumi/kubernetes/batch/v1/job";
import { Pod as k8s_core_v1_Pod } from "@pulumi/kubernetes/core/v1/pod";
import { Service as k8s_core_v1_Service } from "@pulumi/kubernetes/core/v1/service";
import { PodDisruptionBudget as k8s_policy_v1_PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1/podDisruptionBudget";

/** The `@pulumi/aws` classes, under the namespaces the SDK's index gives them (`aws.rds.Instance`). */
export const aws = {
    alb: { Listener: aws_alb_Listener, LoadBalancer: aws_alb_LoadBalancer },
    autoscaling: { Group: aws_autoscaling_Group },
    backup: { Plan: aws_backup_Plan, Vault: aws_backup_Vault },
    cloudfront: { Distribution: aws_cloudfront_Distribution },
    ebs: { EncryptionByDefault: aws_ebs_EncryptionByDefault },
    ec2: { Instance: aws_ec2_Instance, LaunchTemplate: aws_ec2_LaunchTemplate, SecurityGroup: aws_ec2_SecurityGroup, SecurityGroupRule: aws_ec2_SecurityGroupRule },
    eks: { NodeGroup: aws_eks_NodeGroup, PodIdentityAssociation: aws_eks_PodIdentityAssociation },
    elasticache: { Cluster: aws_elasticache_Cluster, ReplicationGroup: aws_elasticache_ReplicationGroup },
    lb: { Listener: aws_lb_Listener, LoadBalancer: aws_lb_LoadBalancer },
    mq: { Broker: aws_mq_Broker },
    rds: { Cluster: aws_rds_Cluster, ClusterInstance: aws_rds_ClusterInstance, Instance: aws_rds_Instance },
    route53: { Record: aws_route53_Record },
    s3: { AccountPublicAccessBlock: aws_s3_AccountPublicAccessBlock, Bucket: aws_s3_Bucket, BucketPublicAccessBlock: aws_s3_BucketPublicAccessBlock, BucketServerSideEncryptionConfiguration: aws_s3_BucketServerSideEncryptionConfiguration, BucketServerSideEncryptionConfigurationV2: aws_s3_BucketServerSideEncryptionConfigurationV2, BucketV2: aws_s3_BucketV2, BucketVersioning: aws_s3_BucketVersioning, BucketVersioningV2: aws_s3_BucketVersioningV2 },
    vpc: { SecurityGroupIngressRule: aws_vpc_SecurityGroupIngressRule },
} as const;

/** The `@pulumi/kubernetes` classes, under the SDK's namespaces (`k8s.apps.v1.Deployment`). */
export const k8s = {
    apps: {
        v1: { DaemonSet: k8s_apps_v1_DaemonSet, Deployment: k8s_apps_v1_Deployment, StatefulSet: k8s_apps_v1_StatefulSet },
    },
    autoscaling: {
        v1: { HorizontalPodAutoscaler: k8s_autoscaling_v1_HorizontalPodAutoscaler },
        v2: { HorizontalPodAutoscaler: k8s_autoscaling_v2_HorizontalPodAutoscaler },
    },
    batch: {
        v1: { CronJob: k8s_batch_v1_CronJob, Job: k8s_batch_v1_Job },
    },
    core: {
        v1: { Pod: k8s_core_v1_Pod, Service: k8s_core_v1_Service },
    },
    policy: {
        v1: { PodDisruptionBudget: k8s_policy_v1_PodDisruptionBudget },
    },
} as const;
