import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * EKS Pod Identity: one IAM role per workload, usable from every cluster of the stack in every region, bound to a
 * Kubernetes service account with an `aws.eks.PodIdentityAssociation` per cluster.
 *
 * Facts this module relies on (EKS User Guide, "Learn how EKS Pod Identity grants pods access to AWS services" and
 * "Create IAM role with trust policy required by EKS Pod Identity"):
 * - the role trusts the service principal `pods.eks.amazonaws.com` for `sts:AssumeRole` and `sts:TagSession`;
 * - IAM roles are global, and the trust policy names no cluster or OIDC issuer, so the same role serves clusters in
 *   any region (unlike IRSA, whose trust names one cluster's OIDC provider);
 * - the agent (the `eks-pod-identity-agent` add-on) must run on the nodes for pods to get the credentials; the
 *   association itself can be created before it;
 * - EKS tags each session with `eks-cluster-arn`, `eks-cluster-name`, `kubernetes-namespace`,
 *   `kubernetes-service-account`, `kubernetes-pod-name` and `kubernetes-pod-uid`, which policies can test as
 *   `aws:PrincipalTag/<key>`.
 */

/** The service principal the EKS Pod Identity agent assumes roles as. */
export const POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com";
/** The session tag EKS sets to the cluster's name (usable as `aws:PrincipalTag/eks-cluster-name`). */
export const POD_IDENTITY_CLUSTER_NAME_TAG = "eks-cluster-name";
/**
 * Resource tag naming the EKS cluster a resource belongs to (ASGs, target groups). A role shared by every region's
 * cluster stays narrow by allowing writes only where this tag equals the session's cluster:
 * `"aws:ResourceTag/scaled-web/eks-cluster": "${aws:PrincipalTag/eks-cluster-name}"` (see `sameClusterCondition`).
 */
export const CLUSTER_RESOURCE_TAG = "scaled-web/eks-cluster";

/** IAM condition: the resource's `CLUSTER_RESOURCE_TAG` equals the calling pod's cluster (a Pod Identity session tag). */
export function sameClusterCondition(): Record<string, Record<string, string>> {
    return { StringEquals: { [`aws:ResourceTag/${CLUSTER_RESOURCE_TAG}`]: `\${aws:PrincipalTag/${POD_IDENTITY_CLUSTER_NAME_TAG}}` } };
}

/**
 * Trust policy of a Pod Identity role. `sourceAccount` narrows it to associations of this account's clusters
 * (`aws:SourceAccount`, the confused-deputy guard the EKS guide suggests).
 */
export function podIdentityTrustPolicy(sourceAccount?: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "EksPodIdentity",
            Effect: "Allow",
            Principal: { Service: POD_IDENTITY_PRINCIPAL },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            ...(sourceAccount ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
        }],
    };
}

export interface PodIdentityRoleArgs {
    /** What the role is for; becomes the role's description. */
    description: string;
    /** The inline policy (least privilege), as a JSON document or an object that is serialised. */
    policy?: pulumi.Input<string | Record<string, unknown>>;
    /** AWS managed or customer policies to attach in addition, e.g. a controller's documented policy. */
    managedPolicyArns?: pulumi.Input<string>[];
    /** Account id the trust policy is narrowed to (`aws:SourceAccount`). Default: the caller's account. */
    sourceAccount?: pulumi.Input<string>;
    tags?: Record<string, string>;
}

export interface PodIdentityBinding {
    /** The cluster to create the association in. */
    clusterName: pulumi.Input<string>;
    namespace: pulumi.Input<string>;
    serviceAccount: pulumi.Input<string>;
    /** The provider of the cluster's region. */
    provider?: pulumi.ProviderResource;
    /** Parent of the association; default: the role component. */
    parent?: pulumi.Resource;
    tags?: Record<string, string>;
}

/**
 * An IAM role for one workload, assumable through EKS Pod Identity. Create it once per stack (IAM is global) and
 * call {@link PodIdentityRole.associate} once per cluster that runs the workload.
 */
export class PodIdentityRole extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly roleArn: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;
    private readonly resourceName: string;

    constructor(name: string, args: PodIdentityRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaled-web:components:PodIdentityRole", name, {}, opts);
        this.resourceName = name;
        const account = args.sourceAccount ?? aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        this.role = new aws.iam.Role(name, {
            description: args.description,
            assumeRolePolicy: pulumi.output(account).apply((a) => JSON.stringify(podIdentityTrustPolicy(a))),
            tags: args.tags,
        }, { parent: this });
        if (args.policy !== undefined) {
            new aws.iam.RolePolicy(name, {
                role: this.role.id,
                policy: pulumi.output(args.policy).apply((p) => (typeof p === "string" ? p : JSON.stringify(p))),
            }, { parent: this });
        }
        (args.managedPolicyArns ?? []).forEach((arn, i) => {
            new aws.iam.RolePolicyAttachment(`${name}-managed-${i}`, { role: this.role.name, policyArn: arn }, { parent: this });
        });
        this.roleArn = this.role.arn;
        this.roleName = this.role.name;
        this.registerOutputs({ roleArn: this.roleArn });
    }

    /** Binds the role to `namespace/serviceAccount` in one cluster. */
    associate(name: string, binding: PodIdentityBinding): aws.eks.PodIdentityAssociation {
        return new aws.eks.PodIdentityAssociation(`${this.resourceName}-${name}`, {
            clusterName: binding.clusterName,
            namespace: binding.namespace,
            serviceAccount: binding.serviceAccount,
            roleArn: this.roleArn,
            tags: binding.tags,
        }, { parent: binding.parent ?? this, provider: binding.provider });
    }
}
