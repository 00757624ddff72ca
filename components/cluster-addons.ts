import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IRSA_AUDIENCE } from "./cluster";
import { LOAD_BALANCER_CONTROLLER_CHART, LoadBalancerController } from "./load-balancer-controller";
import { NODE_TYPE_LABEL, NTH_MANAGED_TAG } from "./node-pool";
import { POD_IDENTITY_CLUSTER_NAME_TAG, PodIdentityRole, sameClusterCondition } from "./pod-identity";
import { KEDA_OPERATOR_SERVICE_ACCOUNT } from "./service-scaling";
import { Problems, show } from "./validation";

export interface HelmChart {
    /** Chart name in `repo`, or a full `oci://` reference when `repo` is absent. */
    readonly chart: string;
    readonly version: string;
    readonly repo?: string;
}

export type AddonKey = "metricsServer" | "clusterAutoscaler" | "keda" | "nodeTerminationHandler" | "loadBalancerController";

/**
 * Pinned charts from their public homes. aws-node-termination-handler is published as an OCI chart on
 * public ECR (its copy in aws/eks-charts stopped at 0.21), so it is referenced by `oci://` URL. Each pin
 * has an `ADDON_COMPATIBILITY` entry: the Kubernetes versions its own project lists for it.
 */
export const ADDON_CHARTS: Readonly<Record<AddonKey, HelmChart>> = {
    metricsServer: { chart: "metrics-server", version: "3.13.0", repo: "https://kubernetes-sigs.github.io/metrics-server/" },
    clusterAutoscaler: { chart: "cluster-autoscaler", version: "9.51.0", repo: "https://kubernetes.github.io/autoscaler" },
    keda: { chart: "keda", version: "2.18.3", repo: "https://kedacore.github.io/charts" },
    nodeTerminationHandler: { chart: "oci://public.ecr.aws/aws-ec2/helm/aws-node-termination-handler", version: "0.27.6" },
    loadBalancerController: LOAD_BALANCER_CONTROLLER_CHART,
};

/** The Kubernetes versions an add-on release supports, as its own project documents them. */
export interface AddonCompatibility {
    /** The chart version this entry describes; it must equal the `ADDON_CHARTS` pin. */
    readonly chartVersion: string;
    /** The application version that chart deploys (its Chart.yaml `appVersion`). */
    readonly appVersion: string;
    /** Oldest Kubernetes minor listed for that application version, e.g. "1.31". */
    readonly minKubernetes: string;
    /** Newest Kubernetes minor listed; absent when the project states an open range ("1.31+"). */
    readonly maxKubernetes?: string;
    /** Where the table was read: repository path at the tag, or documentation page. */
    readonly source: string;
}

/**
 * The compatibility tables of the pinned releases, read at their tags. `validateClusterAddonsArgs`
 * rejects a `kubernetesVersion` outside the range of any chart that is not overridden.
 */
export const ADDON_COMPATIBILITY: Readonly<Record<AddonKey, AddonCompatibility>> = {
    metricsServer: {
        chartVersion: "3.13.0", appVersion: "0.8.0", minKubernetes: "1.31",
        source: "kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.0: README.md \"Compatibility Matrix\" (0.8.x: 1.31+), charts/metrics-server/Chart.yaml appVersion 0.8.0",
    },
    clusterAutoscaler: {
        // cluster-autoscaler is versioned with Kubernetes and must run the control plane's minor.
        chartVersion: "9.51.0", appVersion: "1.33.0", minKubernetes: "1.33", maxKubernetes: "1.33",
        source: "kubernetes/autoscaler@cluster-autoscaler-chart-9.51.0: cluster-autoscaler/README.md \"Releases\" (Kubernetes 1.33.x: CA 1.33.x, chart 9.47.0+), charts/cluster-autoscaler/Chart.yaml appVersion 1.33.0",
    },
    keda: {
        chartVersion: "2.18.3", appVersion: "2.18.3", minKubernetes: "1.31", maxKubernetes: "1.33",
        source: "kedacore/keda-docs content/docs/2.18/operate/cluster.md \"Kubernetes Compatibility\" (v2.18: v1.31 - v1.33); kedacore/charts@v2.18.3 keda/Chart.yaml appVersion 2.18.3",
    },
    nodeTerminationHandler: {
        // The README's table for v1.25.6 stops at 1.32 and no release lists 1.33. The project's E2E matrix
        // was raised to 1.32-1.35 in the next commit (64d4f57, #1261), which changes no Go code, so the
        // v1.25.6 code is what upstream tests on 1.33-1.35.
        chartVersion: "0.27.6", appVersion: "1.25.6", minKubernetes: "1.29", maxKubernetes: "1.35",
        source: "aws/aws-node-termination-handler@v1.25.6: README.md \"Kubernetes Compatibility\" (v1.25.6: 1.29-1.32) and config/helm/aws-node-termination-handler/Chart.yaml appVersion 1.25.6; @64d4f57 .github/workflows/build-and-test.yaml e2e k8sVersion 1.32-1.35 (no Go change since v1.25.6)",
    },
    loadBalancerController: {
        // The project states an open range: "AWS Load Balancer Controller v2.5.0+ requires Kubernetes 1.22+".
        chartVersion: "3.5.0", appVersion: "v3.5.0", minKubernetes: "1.22",
        source: "kubernetes-sigs/aws-load-balancer-controller@v3.5.0 (11eb202c): docs/deploy/installation.md \"Supported Kubernetes versions\" (v2.5.0+: 1.22+), helm/aws-load-balancer-controller/Chart.yaml version 3.5.0 appVersion v3.5.0 (= aws/eks-charts stable/aws-load-balancer-controller)",
    },
};

/** `"1.33"` -> 133, for comparing Kubernetes minors. */
function minorOrdinal(version: string): number {
    const [major, minor] = version.split(".").map(Number);
    return major * 100 + minor;
}

/** Whether `kubernetesVersion` (a minor such as "1.33") is inside the add-on's listed range. */
export function supportsKubernetes(compat: AddonCompatibility, kubernetesVersion: string): boolean {
    const v = minorOrdinal(kubernetesVersion);
    return v >= minorOrdinal(compat.minKubernetes) && (compat.maxKubernetes === undefined || v <= minorOrdinal(compat.maxKubernetes));
}

/** `"1.31 - 1.33"` or `"1.31+"`. */
export function kubernetesRange(compat: AddonCompatibility): string {
    return compat.maxKubernetes === undefined ? `${compat.minKubernetes}+` : `${compat.minKubernetes} - ${compat.maxKubernetes}`;
}

export const SYSTEM_NAMESPACE = "kube-system";
export const KEDA_NAMESPACE = "keda";
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler";
export const NTH_SERVICE_ACCOUNT = "aws-node-termination-handler";
/** Add-ons run on the on-demand pool, never on spot nodes that can vanish under them. */
export const DEFAULT_SYSTEM_NODE_SELECTOR: Readonly<Record<string, string>> = { [NODE_TYPE_LABEL]: "on-demand" };
/**
 * Seconds an interruption message stays in the queue: a spot notice is only worth acting on within
 * its two minutes, so stale messages are dropped rather than replayed.
 */
export const INTERRUPTION_QUEUE_RETENTION_SECONDS = 300;
/** Seed 002: scale down after 10 minutes of low use. */
export const SCALE_DOWN_UNNEEDED_TIME = "10m";

export interface ClusterAddonsArgs {
    readonly clusterName: pulumi.Input<string>;
    /** Kubernetes minor version; picks the cluster-autoscaler image (it must match the control plane). */
    readonly kubernetesVersion: string;
    /** Region of the cluster (cluster-autoscaler, the termination handler and the load balancer controller call regional APIs). */
    readonly region: pulumi.Input<string>;
    /** VPC of the cluster: the load balancer controller's `--aws-vpc-id` (its pods cannot read IMDS). */
    readonly vpcId: pulumi.Input<string>;
    /**
     * The stack's Pod Identity roles (one per add-on, shared by every region's cluster; see platform/identity.ts and
     * `clusterAutoscalerPolicy`, `nodeTerminationHandlerPolicy`, `loadBalancerControllerPolicy`). The component
     * associates each with its add-on's service account in this cluster. The cluster needs the
     * `eks-pod-identity-agent` add-on for the pods to receive credentials.
     */
    readonly roles: ClusterAddonRoles;
    /** Provider of the cluster; every Helm release goes through it. */
    readonly k8sProvider: k8s.Provider;
    /**
     * ASGs whose termination lifecycle events reach the interruption queue.
     * @default every ASG of the account and region
     */
    readonly autoScalingGroupNames?: readonly pulumi.Input<string>[];
    /** @default { "node-type": "on-demand" } */
    readonly systemNodeSelector?: Readonly<Record<string, string>>;
    /**
     * Chart overrides per add-on (e.g. a newer version after testing it).
     * @default ADDON_CHARTS
     */
    readonly charts?: Partial<Readonly<Record<AddonKey, HelmChart>>>;
    /**
     * cluster-autoscaler image tag; it must share the control plane's minor version.
     * @default `v<kubernetesVersion>.0`
     */
    readonly clusterAutoscalerImageTag?: string;
    /**
     * Also route EC2 spot interruption warnings and rebalance recommendations to the termination handler.
     * Not needed when every spot instance sits in an ASG with capacity rebalance and a termination
     * lifecycle hook (what `NodePool` builds): the ASG then turns both into termination lifecycle actions,
     * the rebalance one only after the replacement is in service (NTH README "Create Amazon EventBridge
     * Rules"). Turn it on for spot capacity outside such ASGs, knowing that in queue mode a rebalance
     * recommendation makes the handler cordon and drain the node at once (its `enableRebalance*` keys
     * only apply to IMDS mode).
     * @default false
     */
    readonly spotEventRules?: boolean;
    /** Tags for every taggable AWS child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** The Pod Identity role of each AWS-calling add-on. */
export interface ClusterAddonRoles {
    readonly clusterAutoscaler: PodIdentityRole;
    readonly nodeTerminationHandler: PodIdentityRole;
    readonly loadBalancerController: PodIdentityRole;
    /** The KEDA operator's: reads CloudWatch metrics for the api/ws `aws-cloudwatch` triggers. */
    readonly keda: PodIdentityRole;
}

/** Checks plain ClusterAddons args; returns the problems found (empty when valid). */
export function validateClusterAddonsArgs(args: ClusterAddonsArgs): Problems {
    const problems = new Problems();
    const versionOk = typeof args.kubernetesVersion === "string" && /^1\.\d{2}$/.test(args.kubernetesVersion);
    problems.check(versionOk, "kubernetesVersion", `must be a Kubernetes minor version such as "1.33", got ${show(args.kubernetesVersion)}`);
    if (versionOk) {
        // Only the pinned charts have a known compatibility table; an override is the caller's call.
        for (const key of Object.keys(ADDON_CHARTS) as AddonKey[]) {
            const compat = ADDON_COMPATIBILITY[key];
            problems.check(args.charts?.[key] !== undefined || supportsKubernetes(compat, args.kubernetesVersion), "kubernetesVersion",
                `${args.kubernetesVersion} is outside what the pinned ${ADDON_CHARTS[key].chart} chart ${compat.chartVersion} (app ${compat.appVersion}) supports: Kubernetes ${kubernetesRange(compat)} (${compat.source}); ` +
                `pass charts.${key} with a release that lists ${args.kubernetesVersion}, or use a Kubernetes version in that range`);
        }
    }
    for (const [key, chart] of Object.entries(args.charts ?? {})) {
        problems.check(/^\d+\.\d+\.\d+$/.test(chart.version), `charts.${key}.version`, `must pin an exact chart version such as "1.2.3", got ${show(chart.version)}`);
        problems.check(chart.repo !== undefined ? /^https:\/\//.test(chart.repo) : chart.chart.startsWith("oci://"), `charts.${key}`,
            `must name an https:// repo or an oci:// chart, got ${show(chart)}`);
    }
    const tag = args.clusterAutoscalerImageTag;
    const tagOk = tag === undefined || (typeof tag === "string" && /^v\d+\.\d+\.\d+$/.test(tag));
    problems.check(tagOk, "clusterAutoscalerImageTag", `must be a release tag such as "v1.33.0", got ${show(tag)}`);
    if (tag !== undefined && tagOk && versionOk) {
        problems.check(tag.startsWith(`v${args.kubernetesVersion}.`), "clusterAutoscalerImageTag",
            `must share the control plane's minor version ${args.kubernetesVersion} (cluster-autoscaler README "Releases"), got ${show(tag)}; use v${args.kubernetesVersion}.<patch>`);
    }
    return problems;
}

/** The issuer without its scheme, as IAM condition keys spell it (`oidc.eks.<region>.amazonaws.com/id/<id>`). */
export function issuerHost(issuerUrl: string): string {
    return issuerUrl.replace(/^https:\/\//, "");
}

/**
 * Trust policy of an IRSA role: only the named Kubernetes service account, through the cluster's
 * OIDC provider, with the STS audience.
 */
export function irsaTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, serviceAccount: string): Record<string, unknown> {
    const host = issuerHost(issuerUrl);
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Federated: oidcProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: {
                    [`${host}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                    [`${host}:aud`]: IRSA_AUDIENCE,
                },
            },
        }],
    };
}

/**
 * cluster-autoscaler's permissions, one policy for the stack's single role used by every region's cluster:
 * read-only discovery everywhere (those calls take no resource), but it can only change capacity of, or
 * terminate instances in, ASGs that are auto-discovery enabled and tagged `scaled-web/eks-cluster` with the
 * name of the cluster the calling pod runs in (`aws:PrincipalTag/eks-cluster-name`, an EKS Pod Identity
 * session tag). The ASG tag `k8s.io/cluster-autoscaler/<cluster>` names the cluster in its key, which a policy
 * variable cannot fill, hence the value-carrying tag NodePool adds.
 */
export function clusterAutoscalerPolicy(): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Discover",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: "*",
            },
            {
                Sid: "ScaleOwnClustersGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: {
                    StringEquals: {
                        ...sameClusterCondition().StringEquals,
                        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                    },
                },
            },
        ],
    };
}

/** Name of a cluster's interruption queue: what the termination handler's shared policy resolves per cluster. */
export function interruptionQueueName(clusterName: string): string {
    return `${clusterName}-interruptions`;
}

/**
 * aws-node-termination-handler's permissions, one policy for the stack's single role: read and delete
 * messages only of the queue named after the calling pod's cluster (`<cluster>-interruptions`, the
 * `aws:PrincipalTag/eks-cluster-name` policy variable in the ARN), describe instances and ASGs, and complete
 * lifecycle actions only on ASGs tagged as that cluster's.
 */
export function nodeTerminationHandlerPolicy(accountId = "*"): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadOwnClustersQueue",
                Effect: "Allow",
                Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                Resource: `arn:aws:sqs:*:${accountId}:${interruptionQueueName(`\${aws:PrincipalTag/${POD_IDENTITY_CLUSTER_NAME_TAG}}`)}`,
            },
            {
                Sid: "Describe",
                Effect: "Allow",
                Action: ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeTags", "ec2:DescribeInstances"],
                Resource: "*",
            },
            {
                Sid: "CompleteOwnClustersLifecycleActions",
                Effect: "Allow",
                Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
                Resource: "*",
                Condition: sameClusterCondition(),
            },
        ],
    };
}

/**
 * EventBridge patterns that feed the termination handler's queue, keyed by a stable name: ASG
 * termination lifecycle actions (scale-in, capacity rebalance, spot interruptions in ASGs with capacity
 * rebalance, instance refresh), optionally narrowed to some ASGs; with `spotEvents`, also EC2 spot
 * interruption warnings and rebalance recommendations (see `ClusterAddonsArgs.spotEventRules`).
 */
export function interruptionEventPatterns(autoScalingGroupNames?: readonly string[], spotEvents = false): Record<string, Record<string, unknown>> {
    return {
        "asg-lifecycle": {
            source: ["aws.autoscaling"],
            "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
            ...(autoScalingGroupNames && autoScalingGroupNames.length > 0 ? { detail: { AutoScalingGroupName: [...autoScalingGroupNames] } } : {}),
        },
        ...(spotEvents ? {
            "spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
            rebalance: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
        } : {}),
    };
}

/**
 * Helm values of aws-node-termination-handler in queue-processor mode. Only keys its chart reads in that
 * mode are set (config/helm/aws-node-termination-handler/values.yaml@v1.25.6: `enableSpotInterruptionDraining`,
 * `enableRebalanceMonitoring` and `enableRebalanceDraining` are "Only used in IMDS mode"); what the handler
 * does with each event kind is fixed by pkg/interruptionevent/draincordon/handler.go: cordon and drain,
 * rebalance recommendations included, unless `cordonOnly`.
 */
export function nodeTerminationHandlerValues(a: {
    queueUrl: pulumi.Input<string>;
    region: pulumi.Input<string>;
    nodeSelector: Readonly<Record<string, string>>;
}): Record<string, unknown> {
    return {
        enableSqsTerminationDraining: true,
        queueURL: a.queueUrl,
        awsRegion: a.region,
        replicas: 2,
        // Credentials through EKS Pod Identity (an association for this service account), so no role annotation.
        serviceAccount: { create: true, name: NTH_SERVICE_ACCOUNT },
        // Drain only instances of the node pools (they carry the managed tag), never other ASGs' instances.
        checkTagBeforeDraining: true,
        managedTag: NTH_MANAGED_TAG,
        deleteSqsMsgIfNodeNotFound: true,
        nodeSelector: { ...a.nodeSelector },
    };
}

/** Queue policy: EventBridge may send, only from the given rules, and only over TLS. */
export function interruptionQueuePolicy(queueArn: string, ruleArns: readonly string[]): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EventBridgeRules",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sqs:*",
                Resource: queueArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

/** Default cluster-autoscaler image for a control-plane version (same minor, first patch). */
export function clusterAutoscalerImageTag(kubernetesVersion: string): string {
    return `v${kubernetesVersion}.0`;
}

/**
 * The add-ons the platform's scaling depends on, installed with Helm from pinned public charts:
 *
 * - **metrics-server** (2 replicas): CPU/memory metrics for the HorizontalPodAutoscalers;
 * - **cluster-autoscaler**, whose Pod Identity role may only resize or terminate in ASGs tagged
 *   `scaled-web/eks-cluster: <its cluster>`; it discovers the pools by tag and balances similar ones;
 * - **KEDA**: queue-length driven scaling of the workers (`ScaledObject`s);
 * - **aws-node-termination-handler** in queue mode: an EventBridge rule for the pools' ASG termination
 *   lifecycle actions feeds an SQS queue; the handler cordons and drains the node, then completes the
 *   lifecycle action. Spot pools use capacity rebalance, so spot interruptions and rebalance
 *   recommendations arrive as lifecycle actions too (a rebalance only once its replacement runs); direct
 *   spot/rebalance rules are opt-in (`spotEventRules`). Queue mode (rather than a DaemonSet polling
 *   IMDS) works with the nodes' IMDS hop limit of 1 and sees ASG scale-ins too;
 * - **aws-load-balancer-controller** (`LoadBalancerController`): registers api/ws pods by IP in the target groups
 *   Pulumi owns, through `TargetGroupBinding`s, and injects the ALB readiness gates.
 *
 * Every AWS-calling add-on gets its credentials from EKS Pod Identity: the stack's role for it (`roles`) is
 * associated here with its service account; no IRSA annotation, no OIDC trust per cluster.
 *
 * Pass the region's `aws.Provider` in `opts.provider`; Helm releases use `args.k8sProvider`.
 */
export class ClusterAddons extends pulumi.ComponentResource {
    public readonly clusterAutoscalerRoleArn: pulumi.Output<string>;
    public readonly nodeTerminationHandlerRoleArn: pulumi.Output<string>;
    /** IRSA role of the KEDA operator (CloudWatch read for api/ws triggers). */
    public readonly kedaOperatorRoleArn: pulumi.Output<string>;
    public readonly interruptionQueueUrl: pulumi.Output<string>;
    public readonly interruptionQueueArn: pulumi.Output<string>;
    public readonly metricsServer: k8s.helm.v3.Release;
    public readonly clusterAutoscaler: k8s.helm.v3.Release;
    /** Workloads that create `ScaledObject`s depend on it (it installs the CRDs). */
    public readonly keda: k8s.helm.v3.Release;
    public readonly nodeTerminationHandler: k8s.helm.v3.Release;
    /** Install the TargetGroupBinding CRD and webhooks: TargetGroupBindings depend on `loadBalancerController.release`. */
    public readonly loadBalancerController: LoadBalancerController;
    /** The Pod Identity associations created here, keyed by add-on. */
    public readonly podIdentityAssociations: Readonly<Record<"clusterAutoscaler" | "nodeTerminationHandler" | "keda", aws.eks.PodIdentityAssociation>>;

    constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        validateClusterAddonsArgs(args).throwIfAny(`ClusterAddons "${name}"`);
        super("scaled-web:compute:ClusterAddons", name, {}, opts);

        const child = { parent: this };
        const helm = { parent: this, provider: args.k8sProvider };
        const tags = { ...(args.tags ?? {}) };
        const charts = { ...ADDON_CHARTS, ...(args.charts ?? {}) };
        const nodeSelector = { ...(args.systemNodeSelector ?? DEFAULT_SYSTEM_NODE_SELECTOR) };
        const release = (key: AddonKey, releaseName: string, namespace: string, values: pulumi.Input<Record<string, unknown>>, extra: Partial<k8s.helm.v3.ReleaseArgs> = {},
            after: pulumi.Resource[] = []): k8s.helm.v3.Release => {
            const c = charts[key];
            return new k8s.helm.v3.Release(`${name}-${releaseName}`, {
                name: releaseName,
                chart: c.chart,
                version: c.version,
                ...(c.repo ? { repositoryOpts: { repo: c.repo } } : {}),
                namespace,
                values,
                atomic: true,
                cleanupOnFail: true,
                ...extra,
            }, {
                ...helm,
                // order: callers pass what the release's pods need before they start and no value refers to (the
                // Pod Identity association of the add-on's service account).
                dependsOn: after,
            });
        };
        const associate = (role: PodIdentityRole, key: string, serviceAccount: string, namespace: string = SYSTEM_NAMESPACE): aws.eks.PodIdentityAssociation => role.associate(`${name}-${key}`, {
            clusterName: args.clusterName,
            namespace,
            serviceAccount,
            parent: this,
            tags,
        });

        // metrics-server: the HPA's resource metrics.
        this.metricsServer = release("metricsServer", "metrics-server", SYSTEM_NAMESPACE, {
            replicas: 2,
            podDisruptionBudget: { enabled: true, minAvailable: 1 },
            nodeSelector,
        });

        // cluster-autoscaler with the stack's role, limited to ASGs tagged as this cluster's.
        const caAssociation = associate(args.roles.clusterAutoscaler, "cluster-autoscaler", CLUSTER_AUTOSCALER_SERVICE_ACCOUNT);
        this.clusterAutoscalerRoleArn = args.roles.clusterAutoscaler.roleArn;
        this.clusterAutoscaler = release("clusterAutoscaler", "cluster-autoscaler", SYSTEM_NAMESPACE, {
            cloudProvider: "aws",
            awsRegion: args.region,
            autoDiscovery: { clusterName: args.clusterName },
            fullnameOverride: "cluster-autoscaler",
            image: { tag: args.clusterAutoscalerImageTag ?? clusterAutoscalerImageTag(args.kubernetesVersion) },
            rbac: {
                create: true,
                // Credentials through EKS Pod Identity (the association above), so no role annotation.
                serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT },
            },
            // Chart values key `extraArgs` renders each entry as `--<key>=<value>`
            // (kubernetes/autoscaler charts/cluster-autoscaler/templates/deployment.yaml @ cluster-autoscaler-chart-9.46.6).
            extraArgs: {
                // On-demand pools run one ASG per zone (NodePool perZone): the FAQ's answer for zone-spread pods
                // ("use separate node groups per zone ... --balance-similar-node-groups will keep nodes balanced
                // across zones", cluster-autoscaler/FAQ.md @ cluster-autoscaler-chart-9.46.6).
                "balance-similar-node-groups": true,
                expander: "least-waste",
                "skip-nodes-with-system-pods": false,
                "scale-down-unneeded-time": SCALE_DOWN_UNNEEDED_TIME,
            },
            nodeSelector,
        }, {},
        // order: Pod Identity hands credentials only to pods created after the association; the values do not refer to it.
        [caAssociation]);

        // KEDA: queue-driven scaling of the workers, and api/ws scaling on CloudWatch metrics. The operator reads
        // CloudWatch for TriggerAuthentications with `podIdentity.provider: aws` under its own identity: the stack's
        // KEDA role through Pod Identity on its service account (no chart value needed: the agent's credentials reach
        // the operator through the SDK's default chain; the chart's podIdentity.aws.irsa.* values are for IRSA only).
        const kedaAssociation = associate(args.roles.keda, "keda", KEDA_OPERATOR_SERVICE_ACCOUNT, KEDA_NAMESPACE);
        this.kedaOperatorRoleArn = args.roles.keda.roleArn;
        // `prometheus.operator.enabled` exposes the operator's metrics on its `metrics` port 8080 (kedacore/charts@v2.18.3
        // keda/templates/manager/deployment.yaml: the port and `--metrics-bind-address` exist only with it on), which the
        // AMP managed scraper reads (components/managed-prometheus.ts).
        this.keda = release("keda", "keda", KEDA_NAMESPACE, { nodeSelector, prometheus: { operator: { enabled: true } } }, { createNamespace: true },
            // order: Pod Identity hands credentials only to pods created after the association; the values do not refer to it.
            [kedaAssociation]);

        // Spot interruption handling: EventBridge -> SQS -> aws-node-termination-handler (queue mode).
        const queue = new aws.sqs.Queue(`${name}-interruptions`, {
            // Named after the cluster: the shared handler role may only read the queue of its own cluster.
            name: pulumi.output(args.clusterName).apply(interruptionQueueName),
            messageRetentionSeconds: INTERRUPTION_QUEUE_RETENTION_SECONDS,
            sqsManagedSseEnabled: true,
            tags,
        }, child);
        this.interruptionQueueUrl = queue.url;
        this.interruptionQueueArn = queue.arn;
        const spotEvents = args.spotEventRules ?? false;
        const patterns = pulumi.all([...(args.autoScalingGroupNames ?? [])]).apply((names) => interruptionEventPatterns(names, spotEvents));
        const ruleKeys = Object.keys(interruptionEventPatterns(undefined, spotEvents));
        const rules = ruleKeys.map((key) => {
            const rule = new aws.cloudwatch.EventRule(`${name}-${key}`, {
                description: `${key} events for aws-node-termination-handler`,
                eventPattern: patterns.apply((p) => JSON.stringify(p[key])),
                tags,
            }, child);
            new aws.cloudwatch.EventTarget(`${name}-${key}`, { rule: rule.name, arn: queue.arn }, child);
            return rule;
        });
        new aws.sqs.QueuePolicy(`${name}-interruptions`, {
            queueUrl: queue.url,
            policy: pulumi.all([queue.arn, ...rules.map((r) => r.arn)]).apply(([arn, ...ruleArns]) => JSON.stringify(interruptionQueuePolicy(arn, ruleArns))),
        }, child);

        const nthAssociation = associate(args.roles.nodeTerminationHandler, "nth", NTH_SERVICE_ACCOUNT);
        this.nodeTerminationHandlerRoleArn = args.roles.nodeTerminationHandler.roleArn;
        this.nodeTerminationHandler = release("nodeTerminationHandler", "aws-node-termination-handler", SYSTEM_NAMESPACE,
            nodeTerminationHandlerValues({ queueUrl: queue.url, region: args.region, nodeSelector }), {},
            // order: credentials reach only pods created after the association; the values do not refer to it.
            [nthAssociation]);
        this.podIdentityAssociations = { clusterAutoscaler: caAssociation, nodeTerminationHandler: nthAssociation, keda: kedaAssociation };

        // AWS Load Balancer Controller: keeps the api/ws pods registered in Pulumi's target groups.
        this.loadBalancerController = new LoadBalancerController(`${name}-lbc`, {
            clusterName: args.clusterName,
            region: args.region,
            vpcId: args.vpcId,
            k8sProvider: args.k8sProvider,
            role: args.roles.loadBalancerController,
            chart: charts.loadBalancerController,
            nodeSelector,
            tags,
        }, child);

        this.registerOutputs({
            clusterAutoscalerRoleArn: this.clusterAutoscalerRoleArn,
            nodeTerminationHandlerRoleArn: this.nodeTerminationHandlerRoleArn,
            interruptionQueueUrl: this.interruptionQueueUrl,
        });
    }
}
