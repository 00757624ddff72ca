import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { HelmChart } from "./cluster-addons";
import { NODE_TYPE_LABEL } from "./node-pool";
import { PodIdentityRole, sameClusterCondition } from "./pod-identity";
import { DNS_LABEL, Problems, show } from "./validation";

/**
 * The AWS Load Balancer Controller, used only to keep the pods of a Service registered in a target group that
 * Pulumi owns (`TargetGroupBinding`, `elbv2.k8s.aws/v1beta1`). Pulumi keeps the ALB, listeners, certificate, WAF
 * and target groups (components/load-balancer.ts); the controller creates no load balancer.
 *
 * Facts read at kubernetes-sigs/aws-load-balancer-controller@v3.5.0 (commit 11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4),
 * whose helm/aws-load-balancer-controller is the chart aws-load-balancer-controller 3.5.0 published at
 * https://aws.github.io/eks-charts (aws/eks-charts stable/aws-load-balancer-controller/Chart.yaml: version 3.5.0,
 * appVersion v3.5.0, identical crds/crds.yaml):
 * - values.yaml keys used below: `clusterName` (required by templates/deployment.yaml), `region` and `vpcId`
 *   (rendered as `--aws-region` / `--aws-vpc-id`; docs/deploy/installation.md: set them when pods cannot reach
 *   IMDS, which the nodes' hop limit of 1 prevents), `serviceAccount.create/name`, `replicaCount`,
 *   `createIngressClassResource`, `ingressClassParams.create`, `enableServiceMutatorWebhook`,
 *   `enablePodReadinessGateInject`, `enableShield`, `enableWaf`, `enableWafv2`, `controllerConfig.featureGates`,
 *   `podDisruptionBudget`, `nodeSelector`;
 * - the pod mutating webhook (templates/webhook.yaml, `mpod.elbv2.k8s.aws`) is always installed and acts only in
 *   namespaces labelled `elbv2.k8s.aws/pod-readiness-gate-inject: enabled` (`POD_READINESS_GATE_LABEL`);
 * - `EnableServiceController` is a feature gate (pkg/config/feature_gates.go, default true).
 */
export const LOAD_BALANCER_CONTROLLER_CHART: HelmChart = {
    chart: "aws-load-balancer-controller",
    version: "3.5.0",
    repo: "https://aws.github.io/eks-charts",
};
export const LOAD_BALANCER_CONTROLLER_NAMESPACE = "kube-system";
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller";
/** Namespace label that turns on the controller's pod readiness gate injection (templates/webhook.yaml). */
export const POD_READINESS_GATE_LABEL = { key: "elbv2.k8s.aws/pod-readiness-gate-inject", value: "enabled" } as const;
export const TARGET_GROUP_BINDING_API_VERSION = "elbv2.k8s.aws/v1beta1";

/**
 * The controller's IAM permissions when it only serves `TargetGroupBinding`s of IP target groups that Pulumi
 * created, instead of the documented docs/install/iam_policy.json (which also creates and deletes load
 * balancers, target groups, listeners, rules, security groups, WAF and Shield associations).
 *
 * What that path calls, read in the controller at v3.5.0:
 * - pkg/targetgroupbinding/targets_manager.go: `RegisterTargets`, `DeregisterTargets`, `DescribeTargetHealth`;
 * - webhooks/elbv2/targetgroup_helper.go (TargetGroupBinding mutating/validating webhooks):
 *   `DescribeTargetGroups`;
 * - pkg/targetgroupbinding/resource_manager.go `generateOverrideAzFn` -> VPC info provider: `ec2:DescribeVpcs`
 *   (is the pod IP inside the VPC's CIDRs);
 * - pkg/networking/networking_manager.go touches security groups only when `spec.networking` is set, which the
 *   bindings here never set (the ALB -> pod rules are Pulumi's, see components/load-balancer.ts).
 *
 * Describe calls take no resource ARN. Register/deregister are limited to target groups of this account tagged
 * `scaled-web/eks-cluster` with the name of the cluster the pod runs in (`aws:PrincipalTag/eks-cluster-name`,
 * the session tag EKS Pod Identity sets), so one role serves every region and a cluster can only touch its
 * own region's target groups. (The documented policy conditions ModifyTargetGroup on `aws:ResourceTag`, so
 * target group resources carry that condition key.)
 */
export function loadBalancerControllerPolicy(accountId = "*"): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Describe",
                Effect: "Allow",
                Action: [
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "ec2:DescribeVpcs",
                ],
                Resource: "*",
            },
            {
                Sid: "RegisterPodsInOwnClustersTargetGroups",
                Effect: "Allow",
                Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                Resource: `arn:aws:elasticloadbalancing:*:${accountId}:targetgroup/*/*`,
                Condition: sameClusterCondition(),
            },
        ],
    };
}

export interface LoadBalancerControllerArgs {
    readonly clusterName: pulumi.Input<string>;
    /** Region of the cluster (`--aws-region`): the pods cannot learn it from IMDS (hop limit 1). */
    readonly region: pulumi.Input<string>;
    /** VPC of the cluster and the target groups (`--aws-vpc-id`), for the same reason. */
    readonly vpcId: pulumi.Input<string>;
    /** Provider of the cluster; the Helm release goes through it. */
    readonly k8sProvider: k8s.Provider;
    /**
     * The stack's controller role (created once, e.g. by platform/identity.ts, with `loadBalancerControllerPolicy`);
     * this component associates it with the controller's service account in this cluster.
     */
    readonly role: PodIdentityRole;
    /** @default LOAD_BALANCER_CONTROLLER_CHART (3.5.0) */
    readonly chart?: HelmChart;
    /** @default 2 (with a PodDisruptionBudget of maxUnavailable 1; the webhooks need a live replica) */
    readonly replicas?: number;
    /** @default { "node-type": "on-demand" } */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Tags of the Pod Identity association. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** Checks plain LoadBalancerController args; returns the problems found (empty when valid). */
export function validateLoadBalancerControllerArgs(args: LoadBalancerControllerArgs): Problems {
    const p = new Problems();
    const replicas = args.replicas ?? 2;
    p.check(Number.isInteger(replicas) && replicas >= 1 && replicas <= 10, "replicas", `must be 1-10, got ${show(replicas)}`);
    if (args.chart !== undefined) {
        p.check(/^\d+\.\d+\.\d+$/.test(args.chart.version), "chart.version", `must pin an exact chart version such as "3.5.0", got ${show(args.chart.version)}`);
        p.check(args.chart.repo === undefined || /^https:\/\//.test(args.chart.repo), "chart.repo", `must be an https:// chart repository, got ${show(args.chart.repo)}`);
    }
    return p;
}

/** Helm values of the controller: TargetGroupBinding only, nothing it could provision on its own. */
export function loadBalancerControllerValues(a: {
    clusterName: pulumi.Input<string>;
    region: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    replicas: number;
    nodeSelector: Readonly<Record<string, string>>;
}): Record<string, unknown> {
    return {
        clusterName: a.clusterName,
        region: a.region,
        vpcId: a.vpcId,
        replicaCount: a.replicas,
        serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT },
        // No IngressClass "alb" (nor its IngressClassParams): no Ingress is meant to create an ALB here.
        createIngressClassResource: false,
        ingressClassParams: { create: false },
        // No mutating webhook that makes it the default for Services of type LoadBalancer (the policy pack
        // forbids them for api/ws anyway), and no Service reconciler at all.
        enableServiceMutatorWebhook: false,
        controllerConfig: { featureGates: { EnableServiceController: false } },
        // Readiness gates: a new pod only turns Ready once the ALB sees it healthy, so a rolling update never
        // takes old pods away before their replacements take traffic (see RegionalDeployment).
        enablePodReadinessGateInject: true,
        // WAF and Shield are Pulumi's (components/load-balancer.ts); the controller must not touch them.
        enableShield: false,
        enableWaf: false,
        enableWafv2: false,
        podDisruptionBudget: { maxUnavailable: 1 },
        nodeSelector: { ...a.nodeSelector },
    };
}

/**
 * The AWS Load Balancer Controller in one cluster (Helm chart 3.5.0 from aws/eks-charts), its identity through
 * EKS Pod Identity (the stack's shared role, associated here with `kube-system/aws-load-balancer-controller`).
 * Its readiness gate webhook and TargetGroupBinding CRD are what `TargetGroupBinding` objects and the app
 * namespace's readiness gate label rely on: make those depend on `release`.
 */
export class LoadBalancerController extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;
    public readonly serviceAccountName: string;
    public readonly namespace: string;

    constructor(name: string, args: LoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        validateLoadBalancerControllerArgs(args).throwIfAny(`LoadBalancerController "${name}"`);
        super("scaled-web:compute:LoadBalancerController", name, {}, opts);
        const chart = args.chart ?? LOAD_BALANCER_CONTROLLER_CHART;
        this.namespace = LOAD_BALANCER_CONTROLLER_NAMESPACE;
        this.serviceAccountName = LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT;
        const association = args.role.associate(name, {
            clusterName: args.clusterName,
            namespace: this.namespace,
            serviceAccount: this.serviceAccountName,
            parent: this,
            tags: { ...(args.tags ?? {}) },
        });
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "aws-load-balancer-controller",
            chart: chart.chart,
            version: chart.version,
            ...(chart.repo ? { repositoryOpts: { repo: chart.repo } } : {}),
            namespace: this.namespace,
            values: loadBalancerControllerValues({
                clusterName: args.clusterName,
                region: args.region,
                vpcId: args.vpcId,
                replicas: args.replicas ?? 2,
                nodeSelector: args.nodeSelector ?? { [NODE_TYPE_LABEL]: "on-demand" },
            }),
            atomic: true,
            cleanupOnFail: true,
        }, {
            parent: this,
            provider: args.k8sProvider,
            // order: Pod Identity injects credentials only into pods created after the association exists;
            // nothing in the release's inputs refers to the association.
            dependsOn: [association],
        });
        this.registerOutputs({ releaseStatus: this.release.status });
    }
}

export interface TargetGroupBindingArgs {
    /** Namespace of the Service (the binding lives next to it). */
    readonly namespace: pulumi.Input<string>;
    /** Name of the ClusterIP Service whose ready endpoints are registered. */
    readonly serviceName: pulumi.Input<string>;
    /** The Service's port (`spec.ports[].port`, number or name); the controller registers its target port on each pod. */
    readonly servicePort: number | string;
    /** ARN of the IP target group (Pulumi's; unknown in the first preview). */
    readonly targetGroupArn: pulumi.Input<string>;
    /** Kubernetes name of the binding, a DNS label. */
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
}

/** The `TargetGroupBinding` object's `spec` (CRD elbv2.k8s.aws/v1beta1 at v3.5.0). */
export function targetGroupBindingSpec(args: Pick<TargetGroupBindingArgs, "serviceName" | "servicePort" | "targetGroupArn">): Record<string, unknown> {
    return {
        serviceRef: { name: args.serviceName, port: args.servicePort },
        targetGroupARN: args.targetGroupArn,
        // Stated, so the controller's mutating webhook need not describe the target group to infer them.
        targetType: "ip",
        ipAddressType: "ipv4",
        // No `networking`: the ALB -> pod security group rules are Pulumi's (components/load-balancer.ts).
    };
}

/** Checks plain TargetGroupBinding args. */
export function validateTargetGroupBindingArgs(args: TargetGroupBindingArgs): Problems {
    const p = new Problems();
    p.check(typeof args.name === "string" && DNS_LABEL.test(args.name), "name", `must be a DNS label, got ${show(args.name)}`);
    const port = args.servicePort;
    p.check((typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) || (typeof port === "string" && DNS_LABEL.test(port)),
        "servicePort", `must be the Service port's number (1-65535) or name, got ${show(port)}`);
    return p;
}

/**
 * A `TargetGroupBinding` (elbv2.k8s.aws/v1beta1): keeps the ready pods behind `serviceName:servicePort`
 * registered by IP in the target group. Pass the cluster's provider and, in `dependsOn`, the
 * `LoadBalancerController.release` that installs the CRD and its webhooks.
 */
export function targetGroupBinding(resourceName: string, args: TargetGroupBindingArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    validateTargetGroupBindingArgs(args).throwIfAny(`TargetGroupBinding "${resourceName}"`);
    return new k8s.apiextensions.CustomResource(resourceName, {
        apiVersion: TARGET_GROUP_BINDING_API_VERSION,
        kind: "TargetGroupBinding",
        metadata: { name: args.name, namespace: args.namespace, labels: { ...(args.labels ?? {}) } },
        spec: targetGroupBindingSpec(args),
    }, opts);
}
