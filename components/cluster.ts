import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "./network";
import { EksAddonName, EksAddonVersions, EksAddons, validateEksAddonsArgs } from "./eks-addons";
import type { NodePoolClusterRef } from "./node-pool";
import { CLOUDWATCH_RETENTION_DAYS, Problems, show } from "./validation";

/** Kubernetes minor version of a new control plane. */
export const DEFAULT_CLUSTER_VERSION = "1.33";
/**
 * Service (ClusterIP) range. Fixed rather than left to EKS so node user data can name it without a
 * lookup, and chosen outside 10.0.0.0/8, where the platform's VPCs live.
 */
export const DEFAULT_SERVICE_IPV4_CIDR = "172.20.0.0/16";
/** Days CloudWatch keeps control-plane logs (EKS would otherwise create the group with no expiry). */
export const DEFAULT_CONTROL_PLANE_LOG_RETENTION_DAYS = 90;
/** Every control-plane log type EKS can ship. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
/**
 * SHA-1 thumbprint of the root CA behind `oidc.eks.<region>.amazonaws.com`. IAM no longer checks it for
 * EKS issuers (it trusts its own CA library for them), but the field is still accepted and some tools
 * compare it, so a stable constant is recorded instead of fetching the certificate chain at deploy time.
 */
export const EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
/** Audience the IRSA web-identity tokens carry. */
export const IRSA_AUDIENCE = "sts.amazonaws.com";
/** EKS support policies (`upgradePolicy.supportType`). */
export const SUPPORT_TYPES = ["STANDARD", "EXTENDED"] as const;
export type SupportType = (typeof SUPPORT_TYPES)[number];
/**
 * Standard support: EKS upgrades the control plane when its minor leaves standard support, never billing the
 * extended rate. Set explicitly because EKS's own default is EXTENDED (EKS API reference, UpgradePolicyRequest: "The
 * default value is EXTENDED").
 */
export const DEFAULT_SUPPORT_TYPE: SupportType = "STANDARD";
/**
 * The managed add-ons a node needs before it runs pods: the CNI (pod IPs, and the node turns Ready only with a
 * CNI), kube-proxy (Service routing) and the Pod Identity agent (credentials). All three are DaemonSets, which are
 * healthy with zero nodes, so they go in with the control plane and every node pool waits for them.
 */
export const NODE_ADDONS: readonly EksAddonName[] = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"];
/** AWS-managed policies of the node role (ECR pull-only, not read-only; SSM replaces SSH keys). */
export const NODE_ROLE_POLICIES = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
] as const;

export interface ClusterArgs {
    /** VPC of the cluster; the node security group is created in it. */
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets for the control-plane ENIs and the nodes, in >= 2 AZs. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /**
     * EKS cluster name (also the name the subnets' `kubernetes.io/cluster/<name>` tags use).
     * @default the component name
     */
    readonly clusterName?: string;
    /** @default "1.33" */
    readonly kubernetesVersion?: string;
    /**
     * Expose the API server on a public endpoint as well as the private one.
     * @default false
     */
    readonly publicEndpoint?: boolean;
    /**
     * CIDRs allowed to reach the public endpoint. Required (non-empty) when `publicEndpoint` is on;
     * must be empty otherwise.
     * @default []
     */
    readonly publicAccessCidrs?: readonly string[];
    /**
     * Accept `0.0.0.0/0` in `publicAccessCidrs`. Off, so an internet-facing API server is never an accident.
     * @default false
     */
    readonly allowPublicAccessFromAnywhere?: boolean;
    /**
     * CIDRs admitted on 443 to the private API endpoint (an ingress rule on the EKS-created cluster security group,
     * which otherwise admits only itself), keyed by a stable name, e.g. `{ vpn: "10.99.0.0/16" }` or another
     * region's deploy-runner subnets reached over VPC peering.
     * @default {}
     */
    readonly privateAccessCidrs?: Readonly<Record<string, string>>;
    /**
     * Security groups (of this cluster's VPC or a peered VPC in the same region) admitted on 443 to the private API
     * endpoint, keyed by a stable name, e.g. `{ "deploy-runner": runner.securityGroupId }`.
     * @default {}
     */
    readonly privateAccessSecurityGroupIds?: Readonly<Record<string, pulumi.Input<string>>>;
    /** @default "172.20.0.0/16" */
    readonly serviceIpv4Cidr?: string;
    /** @default 90 */
    readonly logRetentionDays?: number;
    /**
     * IAM principals (roles/users) given cluster-admin through access entries, keyed by a stable name,
     * e.g. `{ platform: "arn:aws:iam::123456789012:role/platform-admins" }`. The identity that runs
     * `pulumi up` is always admin (it needs that to install add-ons and workloads).
     * @default {}
     */
    readonly adminPrincipals?: Readonly<Record<string, pulumi.Input<string>>>;
    /**
     * IAM principals given read-only access (`AmazonEKSViewPolicy`, cluster scope) through access entries, keyed by a
     * stable name, e.g. the role a pull request's `pulumi preview` runs as.
     * @default {}
     */
    readonly viewPrincipals?: Readonly<Record<string, pulumi.Input<string>>>;
    /**
     * EKS deletion protection on the control plane.
     * @default false
     */
    readonly deletionProtection?: boolean;
    /**
     * AWS CLI profile the generated kubeconfig passes to `aws eks get-token` (`AWS_PROFILE`).
     * @default the caller's default credential chain
     */
    readonly awsProfile?: string;
    /**
     * EKS support policy at the end of standard support: `STANDARD` (the control plane is upgraded automatically
     * when its minor leaves standard support) or `EXTENDED` (up to 12 more months on that minor, billed at the
     * extended-support rate per cluster-hour).
     * @default "STANDARD"
     */
    readonly supportType?: SupportType;
    /**
     * Let EKS install self-managed vpc-cni, kube-proxy and CoreDNS when it creates the cluster. Off: the managed
     * add-ons (`EksAddons`) are the only install. EKS reads it at creation only (changing it replaces the cluster in
     * the AWS provider), so the component ignores later changes: a cluster created with `true` keeps it, and its
     * self-managed install is adopted by the managed add-ons (`resolveConflictsOnCreate: OVERWRITE`).
     * @default false
     */
    readonly bootstrapSelfManagedAddons?: boolean;
    /**
     * Version overrides of the managed add-ons (vpc-cni, kube-proxy, eks-pod-identity-agent here; coredns in the
     * `EksAddons` the caller creates after the node pools).
     * @default the pinned row of `kubernetesVersion` in EKS_ADDON_VERSIONS
     */
    readonly addonVersions?: Partial<EksAddonVersions>;
    /**
     * Enforce Kubernetes NetworkPolicies (the VPC CNI's network policy agent).
     * @default true
     */
    readonly networkPolicy?: boolean;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

const EKS_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const PRINCIPAL_KEY = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
/** EC2 security group ids: `sg-` and 8 or 17 hex digits. */
export const SECURITY_GROUP_ID = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** The port the EKS API server listens on behind its endpoint. */
export const API_SERVER_PORT = 443;

function isPrivateRange(base: number, prefix: number): boolean {
    const inRange = (start: string, bits: number): boolean => {
        const s = parseCidr(`${start}/${bits}`)!;
        return prefix >= bits && Math.floor(base / 2 ** (32 - bits)) === Math.floor(s.base / 2 ** (32 - bits));
    };
    return inRange("10.0.0.0", 8) || inRange("172.16.0.0", 12) || inRange("192.168.0.0", 16);
}

/** Checks plain Cluster args; returns the problems found (empty when valid). */
export function validateClusterArgs(name: string, args: ClusterArgs): Problems {
    const problems = new Problems();
    const clusterName = args.clusterName ?? name;
    problems.check(EKS_NAME.test(clusterName), args.clusterName === undefined ? "name" : "clusterName",
        `must be an EKS cluster name (letters, digits, '-', '_', starting alphanumeric, <= 100 characters), got ${show(clusterName)}`);
    const version = args.kubernetesVersion ?? DEFAULT_CLUSTER_VERSION;
    problems.check(/^1\.\d{2}$/.test(version), "kubernetesVersion", `must be a Kubernetes minor version such as "1.33", got ${show(version)}`);
    if (/^1\.\d{2}$/.test(version)) {
        // The node add-ons' versions: every supported minor has a pinned row; another one needs overrides.
        const addonProblems = validateEksAddonsArgs({ clusterName, kubernetesVersion: version, addons: NODE_ADDONS, versions: args.addonVersions });
        for (const p of addonProblems.list) {
            problems.add(p.propertyPath.replace(/^versions\./, "addonVersions."), p.reason.replace("set versions for", "set addonVersions for"));
        }
    }
    problems.check(args.supportType === undefined || (SUPPORT_TYPES as readonly string[]).includes(args.supportType), "supportType",
        `must be one of ${SUPPORT_TYPES.join(", ")}, got ${show(args.supportType)}`);
    problems.check(args.subnetIds.length >= 2, "subnetIds", `must list >= 2 private subnets in different AZs (EKS requires two), got ${args.subnetIds.length}`);

    const cidrs = args.publicAccessCidrs ?? [];
    cidrs.forEach((c, i) => problems.check(parseCidr(c) !== undefined, `publicAccessCidrs[${i}]`, `must be an aligned IPv4 CIDR such as "203.0.113.0/24", got ${show(c)}`));
    if (args.publicEndpoint) {
        problems.check(cidrs.length > 0, "publicAccessCidrs",
            "must list the CIDRs allowed to reach the public endpoint when publicEndpoint is true (EKS would otherwise open it to 0.0.0.0/0), got []");
        problems.check(!cidrs.includes("0.0.0.0/0") || args.allowPublicAccessFromAnywhere === true, "publicAccessCidrs",
            `contains 0.0.0.0/0 (${show(cidrs)}); list your own CIDRs, or set allowPublicAccessFromAnywhere: true to accept an internet-facing API server`);
    } else {
        problems.check(cidrs.length === 0, "publicAccessCidrs", `is set (${show(cidrs)}) but publicEndpoint is false; set publicEndpoint: true or drop the CIDRs`);
    }

    const svc = args.serviceIpv4Cidr ?? DEFAULT_SERVICE_IPV4_CIDR;
    const parsedSvc = parseCidr(svc);
    problems.check(parsedSvc !== undefined && parsedSvc.prefix >= 12 && parsedSvc.prefix <= 24 && isPrivateRange(parsedSvc.base, parsedSvc.prefix), "serviceIpv4Cidr",
        `must be a /12 to /24 block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got ${show(svc)}`);

    const retention = args.logRetentionDays ?? DEFAULT_CONTROL_PLANE_LOG_RETENTION_DAYS;
    problems.check((CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(retention), "logRetentionDays",
        `must be one of the values CloudWatch accepts (${CLOUDWATCH_RETENTION_DAYS.join(", ")}), got ${show(retention)}`);
    for (const field of ["adminPrincipals", "viewPrincipals"] as const) {
        for (const key of Object.keys(args[field] ?? {})) {
            problems.check(PRINCIPAL_KEY.test(key), `${field}.${key}`, `key must be a short DNS label (it names the access entry), got ${show(key)}`);
        }
    }
    const both = Object.keys(args.adminPrincipals ?? {}).filter((k) => k in (args.viewPrincipals ?? {}));
    problems.check(both.length === 0, "viewPrincipals", `keys ${show(both)} are also in adminPrincipals; one principal gets one access entry`);
    for (const [key, cidr] of Object.entries(args.privateAccessCidrs ?? {})) {
        problems.check(PRINCIPAL_KEY.test(key), `privateAccessCidrs.${key}`, `key must be a short DNS label (it names the ingress rule), got ${show(key)}`);
        const parsed = parseCidr(cidr);
        problems.check(parsed !== undefined && parsed.prefix > 0, `privateAccessCidrs.${key}`,
            `must be an aligned IPv4 CIDR narrower than 0.0.0.0/0 such as "10.99.0.0/16" (who may reach the API server), got ${show(cidr)}`);
    }
    const dupes = Object.keys(args.privateAccessCidrs ?? {}).filter((k) => k in (args.privateAccessSecurityGroupIds ?? {}));
    problems.check(dupes.length === 0, "privateAccessSecurityGroupIds", `keys ${show(dupes)} are also in privateAccessCidrs; each key names one ingress rule`);
    for (const [key, id] of Object.entries(args.privateAccessSecurityGroupIds ?? {})) {
        problems.check(PRINCIPAL_KEY.test(key), `privateAccessSecurityGroupIds.${key}`, `key must be a short DNS label (it names the ingress rule), got ${show(key)}`);
        if (typeof id === "string") {
            problems.check(SECURITY_GROUP_ID.test(id), `privateAccessSecurityGroupIds.${key}`, `must be a security group id such as "sg-0123456789abcdef0", got ${show(id)}`);
        }
    }
    return problems;
}

/** An IAM trust policy for an AWS service principal. */
export function serviceTrustPolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
    });
}

export interface KubeconfigParams {
    readonly clusterName: string;
    readonly endpoint: string;
    readonly certificateAuthorityData: string;
    readonly region: string;
    readonly awsProfile?: string;
}

/**
 * A kubeconfig that authenticates with `aws eks get-token` (short-lived tokens from the caller's AWS
 * credentials; nothing long-lived is stored in state). Returned as an object; `JSON.stringify` it.
 */
export function buildKubeconfig(p: KubeconfigParams): Record<string, unknown> {
    const user = `${p.clusterName}-aws`;
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: p.clusterName, cluster: { server: p.endpoint, "certificate-authority-data": p.certificateAuthorityData } }],
        contexts: [{ name: p.clusterName, context: { cluster: p.clusterName, user } }],
        "current-context": p.clusterName,
        users: [{
            name: user,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", p.clusterName, "--region", p.region, "--output", "json"],
                    env: p.awsProfile ? [{ name: "AWS_PROFILE", value: p.awsProfile }] : [],
                    interactiveMode: "Never",
                },
            },
        }],
    };
}

/**
 * One EKS control plane in a region's private subnets, secured by default: private API endpoint
 * (public only with an explicit CIDR allow-list), secrets envelope-encrypted with a rotating KMS key,
 * every control-plane log type shipped to a retained log group, access entries (`API` mode, no
 * aws-auth ConfigMap), an IAM OIDC provider for IRSA, and the node identity every `NodePool` uses:
 * an IAM role + instance profile registered through an `EC2_LINUX` access entry and a node security group.
 *
 * Nodes get two security groups: the EKS-created cluster security group (control plane <-> nodes and
 * node <-> node traffic) and `nodeSecurityGroupId`, which carries no rules but egress, so other
 * components can open their ports to it (ALB -> pod container ports, nodes -> databases) with standalone rule
 * resources. Add rules to it with `aws.vpc.SecurityGroupIngressRule`, never inline blocks. It is not
 * tagged `kubernetes.io/cluster/<name>` (that tag belongs to the cluster security group alone).
 *
 * `k8sProvider` talks to the cluster through a kubeconfig that calls `aws eks get-token`, so the
 * machine running Pulumi needs the AWS CLI. Pass the region's `aws.Provider` in `opts.provider`.
 */
export class Cluster extends pulumi.ComponentResource implements NodePoolClusterRef {
    public readonly cluster: aws.eks.Cluster;
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterArn: pulumi.Output<string>;
    public readonly endpoint: pulumi.Output<string>;
    public readonly certificateAuthorityData: pulumi.Output<string>;
    public readonly kubernetesVersion: string;
    public readonly serviceIpv4Cidr: string;
    /** `upgradePolicy.supportType` of the control plane. */
    public readonly supportType: SupportType;
    /** The node-side managed add-ons (vpc-cni, kube-proxy, eks-pod-identity-agent). */
    public readonly nodeAddons: EksAddons;
    /** What a node pool waits for before it launches nodes: the node access entry and the node add-ons. */
    public readonly nodeDependencies: readonly pulumi.Resource[];
    /** `https://oidc.eks.<region>.amazonaws.com/id/<id>` */
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly clusterSecurityGroupId: pulumi.Output<string>;
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    /** Security groups every node gets: the node group and the cluster group. */
    public readonly nodeSecurityGroupIds: pulumi.Output<string>[];
    public readonly nodeRoleArn: pulumi.Output<string>;
    public readonly nodeRoleName: pulumi.Output<string>;
    public readonly nodeInstanceProfileArn: pulumi.Output<string>;
    /** The access entry that lets nodes join; node pools wait for it. */
    public readonly nodeAccessEntry: aws.eks.AccessEntry;
    /** Ingress rules on the cluster security group that admit `privateAccessCidrs` / `privateAccessSecurityGroupIds` on 443. */
    public readonly apiIngressRules: aws.vpc.SecurityGroupIngressRule[];
    /** Secret: kubeconfig JSON (exec-based, holds no credentials). */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly k8sProvider: k8s.Provider;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        validateClusterArgs(name, args).throwIfAny(`Cluster "${name}"`);
        super("scaled-web:compute:Cluster", name, {}, opts);

        const clusterName = args.clusterName ?? name;
        const tags = { ...(args.tags ?? {}) };
        const child = { parent: this };
        this.kubernetesVersion = args.kubernetesVersion ?? DEFAULT_CLUSTER_VERSION;
        this.serviceIpv4Cidr = args.serviceIpv4Cidr ?? DEFAULT_SERVICE_IPV4_CIDR;
        this.supportType = args.supportType ?? DEFAULT_SUPPORT_TYPE;
        const partition = aws.getPartitionOutput({}, child).partition;
        const region = aws.getRegionOutput({}, child).region;
        const managedPolicy = (policy: string): pulumi.Output<string> => pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;

        const key = new aws.kms.Key(`${name}-secrets`, {
            description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags,
        }, child);
        this.kmsKeyArn = key.arn;

        const clusterRole = new aws.iam.Role(`${name}-cluster-role`, {
            description: `EKS control plane of ${clusterName}`,
            assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com"),
            tags,
        }, child);
        const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, {
            role: clusterRole.name,
            policyArn: managedPolicy("AmazonEKSClusterPolicy"),
        }, child);
        const clusterKms = new aws.iam.RolePolicy(`${name}-cluster-kms`, {
            role: clusterRole.id,
            policy: key.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: arn }],
            })),
        }, child);

        // Created before the cluster so EKS writes into a group with a retention period.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
            name: `/aws/eks/${clusterName}/cluster`,
            retentionInDays: args.logRetentionDays ?? DEFAULT_CONTROL_PLANE_LOG_RETENTION_DAYS,
            tags,
        }, child);

        const publicEndpoint = args.publicEndpoint ?? false;
        this.cluster = new aws.eks.Cluster(`${name}-cluster`, {
            name: clusterName,
            version: this.kubernetesVersion,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: [...args.subnetIds],
                endpointPrivateAccess: true,
                endpointPublicAccess: publicEndpoint,
                ...(publicEndpoint ? { publicAccessCidrs: [...(args.publicAccessCidrs ?? [])] } : {}),
            },
            accessConfig: {
                authenticationMode: "API",
                // The deployer must be able to install add-ons and workloads through k8sProvider.
                bootstrapClusterCreatorAdminPermissions: true,
            },
            kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: this.serviceIpv4Cidr },
            encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
            enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
            // The managed add-ons below are the only install of the VPC CNI, kube-proxy and CoreDNS.
            bootstrapSelfManagedAddons: args.bootstrapSelfManagedAddons ?? false,
            upgradePolicy: { supportType: this.supportType },
            deletionProtection: args.deletionProtection ?? false,
            tags: { ...tags, Name: clusterName },
        }, {
            ...child,
            // order: the role's policies and KMS grant are attached by name/id, not read by the cluster, and EKS must
            // find the retained log group before it creates its own.
            dependsOn: [clusterPolicy, clusterKms, logGroup],
            // Read by EKS at creation only; the provider would replace the cluster on a change (pulumi-aws
            // eks/cluster.d.ts: "Changing this value will force a new cluster to be created"). Clusters created with
            // `true` keep it, and their self-managed install is adopted by the managed add-ons.
            ignoreChanges: ["bootstrapSelfManagedAddons"],
        });

        this.clusterName = this.cluster.name;
        this.clusterArn = this.cluster.arn;
        this.endpoint = this.cluster.endpoint;
        this.certificateAuthorityData = this.cluster.certificateAuthority.apply((ca) => ca.data);
        this.clusterSecurityGroupId = this.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);
        this.oidcIssuerUrl = this.cluster.identities.apply((ids) => ids[0].oidcs[0].issuer);

        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: this.oidcIssuerUrl,
            clientIdLists: [IRSA_AUDIENCE],
            thumbprintLists: [EKS_OIDC_THUMBPRINT],
            tags,
        }, child);
        this.oidcProviderArn = oidc.arn;

        // Node identity shared by every pool.
        const nodeRole = new aws.iam.Role(`${name}-node-role`, {
            description: `Worker nodes of EKS cluster ${clusterName}`,
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        }, child);
        const nodePolicies = NODE_ROLE_POLICIES.map((policy) => new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, {
            role: nodeRole.name,
            policyArn: managedPolicy(policy),
        }, child));
        const profile = new aws.iam.InstanceProfile(`${name}-node`, { role: nodeRole.name, tags }, child);
        this.nodeRoleArn = nodeRole.arn;
        this.nodeRoleName = nodeRole.name;
        this.nodeInstanceProfileArn = profile.arn;
        this.nodeAccessEntry = new aws.eks.AccessEntry(`${name}-nodes`, {
            clusterName: this.cluster.name,
            principalArn: nodeRole.arn,
            type: "EC2_LINUX",
            tags,
        }, {
            ...child,
            // order: the node groups wait for this entry (NodePool), so this puts the role's policy
            // attachments (ECR pull, VPC CNI, worker node) in place before any node boots; neither the entry
            // nor the launch template references the attachments.
            dependsOn: nodePolicies,
        });

        this.nodeAddons = new EksAddons(`${name}-managed`, {
            clusterName: this.cluster.name,
            kubernetesVersion: this.kubernetesVersion,
            addons: NODE_ADDONS,
            versions: args.addonVersions,
            networkPolicy: args.networkPolicy ?? true,
            tags,
        }, child);
        this.nodeDependencies = [this.nodeAccessEntry, ...NODE_ADDONS.map((a) => this.nodeAddons.addons[a]!)];

        const adminAssociations: aws.eks.AccessPolicyAssociation[] = [];
        for (const [key, principalArn] of Object.entries(args.adminPrincipals ?? {})) {
            const entry = new aws.eks.AccessEntry(`${name}-admin-${key}`, {
                clusterName: this.cluster.name,
                principalArn,
                type: "STANDARD",
                tags,
            }, child);
            const association = new aws.eks.AccessPolicyAssociation(`${name}-admin-${key}`, {
                clusterName: this.cluster.name,
                principalArn: entry.principalArn,
                policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
                accessScope: { type: "cluster" },
            }, child);
            adminAssociations.push(association);
        }

        for (const [key, principalArn] of Object.entries(args.viewPrincipals ?? {})) {
            const entry = new aws.eks.AccessEntry(`${name}-view-${key}`, {
                clusterName: this.cluster.name,
                principalArn,
                type: "STANDARD",
                tags,
            }, child);
            // Read-only: server-side dry-runs are refused (403) and the Kubernetes provider previews those objects
            // client-side instead (pulumi-kubernetes provider/pkg/provider/provider.go, Create/Update on preview).
            new aws.eks.AccessPolicyAssociation(`${name}-view-${key}`, {
                clusterName: this.cluster.name,
                principalArn: entry.principalArn,
                policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy`,
                accessScope: { type: "cluster" },
            }, child);
        }

        // The private endpoint's ENIs carry the EKS-created cluster security group, which admits only itself:
        // whoever runs `pulumi up` (the deploy runner, a VPN) must be admitted on 443 by name.
        this.apiIngressRules = [
            ...Object.entries(args.privateAccessCidrs ?? {}).map(([key, cidr]) => new aws.vpc.SecurityGroupIngressRule(`${name}-api-${key}`, {
                securityGroupId: this.clusterSecurityGroupId,
                description: `Kubernetes API from ${key} (${cidr})`,
                ipProtocol: "tcp",
                fromPort: API_SERVER_PORT,
                toPort: API_SERVER_PORT,
                cidrIpv4: cidr,
                tags,
            }, child)),
            ...Object.entries(args.privateAccessSecurityGroupIds ?? {}).map(([key, sg]) => new aws.vpc.SecurityGroupIngressRule(`${name}-api-${key}`, {
                securityGroupId: this.clusterSecurityGroupId,
                description: `Kubernetes API from security group ${key}`,
                ipProtocol: "tcp",
                fromPort: API_SERVER_PORT,
                toPort: API_SERVER_PORT,
                referencedSecurityGroupId: sg,
                tags,
            }, child)),
        ];

        const nodeSg = new aws.ec2.SecurityGroup(`${name}-nodes`, {
            vpcId: args.vpcId,
            description: `Worker nodes of EKS cluster ${clusterName}; other components add ingress rules to it`,
            tags: { ...tags, Name: `${clusterName}-nodes` },
        }, child);
        new aws.vpc.SecurityGroupEgressRule(`${name}-nodes-egress`, {
            securityGroupId: nodeSg.id,
            description: "Nodes reach AWS APIs, ECR and package mirrors through the NAT gateways",
            ipProtocol: "-1",
            cidrIpv4: "0.0.0.0/0",
            tags,
        }, child);
        this.nodeSecurityGroupId = nodeSg.id;
        this.nodeSecurityGroupIds = [nodeSg.id, this.clusterSecurityGroupId];

        this.kubeconfig = pulumi.secret(pulumi.all([this.cluster.name, this.endpoint, this.certificateAuthorityData, region]).apply(
            ([n, endpoint, ca, r]) => JSON.stringify(buildKubeconfig({ clusterName: n, endpoint, certificateAuthorityData: ca, region: r, awsProfile: args.awsProfile })),
        ));
        // Waits for the API ingress rules (without them every Kubernetes call from the runner times out) and the
        // admin access entries (a deploy role that did not create the cluster is refused until its entry exists).
        this.k8sProvider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            enableServerSideApply: true,
        }, {
            ...child,
            // order: the kubeconfig (cluster name, endpoint, CA) already waits for the cluster; nothing in it
            // waits for the API ingress rules or the admin access-policy associations, without which the
            // provider's first calls time out or are refused.
            dependsOn: [...this.apiIngressRules, ...adminAssociations],
        });

        this.registerOutputs({
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            oidcProviderArn: this.oidcProviderArn,
            oidcIssuerUrl: this.oidcIssuerUrl,
            nodeSecurityGroupId: this.nodeSecurityGroupId,
            nodeRoleArn: this.nodeRoleArn,
            nodeInstanceProfileArn: this.nodeInstanceProfileArn,
            kmsKeyArn: this.kmsKeyArn,
        });
    }
}
