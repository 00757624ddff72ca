/**
 * Stack configuration of cluster operations (issue 16 sections 3 and 4): EKS support policy, pinned managed add-on
 * versions, pinned node AMIs and named cluster admins. The zod pieces are spread into `cluster` in
 * `platform/config.ts`; `clusterOpsIssues` holds the cross-field rules, reported as `cluster.<key>` problems.
 */
import { z } from "zod";
import { SUPPORT_TYPES } from "../components/cluster";
import { EKS_ADDON_NAMES, EKS_ADDON_VERSION, SUPPORTED_KUBERNETES_VERSIONS, addonKubernetesMinor, defaultAddonVersions } from "../components/eks-addons";
import { AMI_RELEASE } from "../components/node-pool";
import { DNS_LABEL, instanceCpuArchitecture, show } from "../components/validation";

const minorVersion = z.string().regex(/^1\.\d{2}$/, "must be a Kubernetes minor version such as \"1.33\"");
const amiId = z.string().regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, "must be an AMI id such as \"ami-0123456789abcdef0\"");
const iamPrincipalArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
    "must be an IAM role or user ARN such as \"arn:aws:iam::123456789012:role/platform-admins\"");

/** Keys spread into the `cluster` object of the stack schema. */
export const clusterOpsSchema = {
    /** EKS support policy at the end of standard support: STANDARD (default) or EXTENDED (billed per cluster-hour). */
    supportType: z.enum(SUPPORT_TYPES, { message: `must be one of ${SUPPORT_TYPES.join(", ")}` }).default("STANDARD"),
    /** Managed add-on versions overriding the pinned row of `kubernetesVersion` (components/eks-addons.ts). */
    addonVersions: z.object(Object.fromEntries(EKS_ADDON_NAMES.map((n) => [n,
        z.string().regex(EKS_ADDON_VERSION, "must be an EKS add-on version such as \"v1.20.1-eksbuild.3\"").optional()])) as Record<(typeof EKS_ADDON_NAMES)[number], z.ZodOptional<z.ZodString>>)
        .strict().default({}),
    /**
     * The node AMI, pinned: `release` (amazon-eks-ami release tag such as v20260714, resolved per region and CPU
     * architecture from that release's SSM parameter) or `imageIds` (per region and architecture). `kubernetesVersion`
     * is the AMI's Kubernetes minor (default: the control plane's); it may trail the control plane by up to three.
     */
    nodeAmi: z.object({
        release: z.string().regex(AMI_RELEASE, "must be an amazon-eks-ami release such as \"v20260714\"").optional(),
        imageIds: z.record(z.string(), z.object({ x86_64: amiId.optional(), arm64: amiId.optional() }).strict()).optional(),
        kubernetesVersion: minorVersion.optional(),
    }).strict().optional(),
    /**
     * IAM principals given cluster-admin (AmazonEKSClusterAdminPolicy, cluster scope) in every region, keyed by a
     * name, e.g. `{ platform-admins: arn:aws:iam::123456789012:role/platform-admins }`. Required in prod.
     */
    adminPrincipals: z.record(z.string(), iamPrincipalArn).default({}),
};

export interface ClusterOpsInput {
    readonly kubernetesVersion: string;
    readonly supportType: (typeof SUPPORT_TYPES)[number];
    readonly addonVersions: Partial<Record<(typeof EKS_ADDON_NAMES)[number], string>>;
    readonly nodeAmi?: { readonly release?: string; readonly imageIds?: Record<string, { x86_64?: string; arm64?: string }>; readonly kubernetesVersion?: string };
    readonly adminPrincipals: Readonly<Record<string, string>>;
}

/** Access-entry keys the platform uses itself (platform/deploy-runner.ts). */
export const RESERVED_ADMIN_KEYS = ["deploy", "preview"] as const;

function minorOrdinal(v: string): number {
    const [major, minor] = v.split(".").map(Number);
    return major * 100 + minor;
}

/** The cross-field rules of the cluster-operations keys. */
export function clusterOpsIssues(
    cluster: ClusterOpsInput,
    ctx: {
        readonly prod: boolean;
        readonly regionNames: readonly string[];
        readonly poolInstanceTypes: Readonly<Record<string, readonly string[]>>;
        readonly deployRoleArn?: string;
        readonly previewRoleArn?: string;
    },
): { path: string; message: string }[] {
    const issues: { path: string; message: string }[] = [];
    const version = cluster.kubernetesVersion;

    // Managed add-on versions: a pinned row, or an override for every add-on.
    if (defaultAddonVersions(version) === undefined) {
        const missing = EKS_ADDON_NAMES.filter((n) => cluster.addonVersions[n] === undefined);
        if (missing.length > 0) {
            issues.push({
                path: "cluster.kubernetesVersion",
                message: `${version} has no pinned EKS add-on versions (pinned: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}); use one of those, or name the versions of ${missing.join(", ")} in cluster.addonVersions (aws eks describe-addon-versions --kubernetes-version ${version})`,
            });
        }
    }
    const kubeProxy = cluster.addonVersions["kube-proxy"];
    const proxyMinor = kubeProxy ? addonKubernetesMinor("kube-proxy", kubeProxy) : undefined;
    if (proxyMinor !== undefined) {
        const skew = minorOrdinal(version) - minorOrdinal(proxyMinor);
        if (skew < 0 || skew > 3) {
            issues.push({
                path: "cluster.addonVersions.kube-proxy",
                message: `${show(kubeProxy)} is built for Kubernetes ${proxyMinor}; kube-proxy may not be newer than the control plane (${version}) nor more than three minors older; drop the override to get the pinned ${defaultAddonVersions(version)?.["kube-proxy"] ?? "version"}`,
            });
        }
    }

    // Node AMI: pinned in prod, one way of pinning, covering every region and CPU architecture in use.
    const ami = cluster.nodeAmi;
    if (ctx.prod && (ami === undefined || (ami.release === undefined && ami.imageIds === undefined))) {
        issues.push({
            path: "cluster.nodeAmi",
            message: "is required in prod: pin the node AMI, e.g. { release: v20260714 } (an amazon-eks-ami release), so a preview never picks up a new AMI by itself; see README \"Upgrading a cluster\"",
        });
    }
    if (ami?.release !== undefined && ami.imageIds !== undefined) {
        issues.push({ path: "cluster.nodeAmi", message: "sets both release and imageIds; pin the AMI one way (release resolves the AMI id of every region from SSM)" });
    }
    if (ami?.kubernetesVersion !== undefined && /^1\.\d{2}$/.test(ami.kubernetesVersion)) {
        const skew = minorOrdinal(version) - minorOrdinal(ami.kubernetesVersion);
        if (skew < 0 || skew > 3) {
            issues.push({
                path: "cluster.nodeAmi.kubernetesVersion",
                message: `must be the control plane's minor (${version}) or up to three older (kubelet version skew policy), got ${show(ami.kubernetesVersion)}`,
            });
        }
    }
    if (ami?.imageIds !== undefined) {
        const arches = new Set(Object.values(ctx.poolInstanceTypes).map((types) => instanceCpuArchitecture(types[0] ?? "") ?? "x86_64"));
        for (const region of Object.keys(ami.imageIds)) {
            if (!ctx.regionNames.includes(region)) {
                issues.push({ path: `cluster.nodeAmi.imageIds.${region}`, message: `"${region}" is not one of this stack's regions (${ctx.regionNames.join(", ")}); AMI ids are regional` });
            }
        }
        for (const region of ctx.regionNames) {
            for (const arch of arches) {
                if (ami.imageIds[region]?.[arch] === undefined) {
                    issues.push({ path: `cluster.nodeAmi.imageIds.${region}.${arch}`, message: `is missing: a node pool runs ${arch} instances in ${region}; name its AMI id (or pin by release instead)` });
                }
            }
        }
    }

    // Cluster admins: named in prod; keys and principals distinct from the deploy runner's own entries.
    const admins = cluster.adminPrincipals;
    if (ctx.prod && Object.keys(admins).length === 0) {
        issues.push({
            path: "cluster.adminPrincipals",
            message: "is empty: prod names its cluster admins (access entries with AmazonEKSClusterAdminPolicy) instead of relying on the implicit admin of whoever created the cluster, e.g. { platform-admins: arn:aws:iam::123456789012:role/platform-admins }",
        });
    }
    for (const [key, arn] of Object.entries(admins)) {
        if (!DNS_LABEL.test(key) || key.length > 32 || (RESERVED_ADMIN_KEYS as readonly string[]).includes(key)) {
            issues.push({ path: `cluster.adminPrincipals.${key}`, message: `key must be a DNS label of at most 32 characters other than ${RESERVED_ADMIN_KEYS.join(", ")} (it names the access entry), got "${key}"` });
        }
        if (arn === ctx.deployRoleArn || arn === ctx.previewRoleArn) {
            issues.push({
                path: `cluster.adminPrincipals.${key}`,
                message: `${show(arn)} is the deploy runner's ${arn === ctx.deployRoleArn ? "deploy" : "preview"} role, which already has its own access entry; EKS refuses a second entry for one principal, so drop it here`,
            });
        }
    }
    const arns = Object.values(admins);
    const dupes = arns.filter((a, i) => arns.indexOf(a) !== i);
    if (dupes.length > 0) {
        issues.push({ path: "cluster.adminPrincipals", message: `names ${show([...new Set(dupes)])} more than once; one principal gets one access entry` });
    }
    return issues;
}
