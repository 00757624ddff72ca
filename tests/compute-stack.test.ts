import * as aws from "@pulumi/aws";
import { ADDON_CHARTS, ADDON_COMPATIBILITY } from "../components/cluster-addons";
import { Network } from "../components/network";
import { wireCompute } from "../platform/compute";
import { DEFAULT_KUBERNETES_VERSION, parseConfig } from "../platform/config";
import { wireIdentity } from "../platform/identity";
import { RegisteredResource, StackRun, runComponent, runStack } from "./harness";

const REGIONS = [["us-east-1", "prod-use1"], ["us-west-2", "prod-usw2"]] as const;
const COMPONENT_TYPES = ["scaled-web:compute:Cluster", "scaled-web:compute:NodePool", "scaled-web:compute:ClusterAddons"];

interface Statement {
    Effect: string;
    Action: string | string[];
    Resource?: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}
const statements = (doc: string): Statement[] => JSON.parse(doc).Statement;
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const tagMap = (r: RegisteredResource): Record<string, string> => Object.fromEntries(r.inputs.tags.map((t: { key: string; value: string }) => [t.key, t.value]));

describe("prod stack: compute", () => {
    let run: StackRun;

    beforeAll(async () => {
        run = await runStack("prod");
    });

    test("one cluster per region, named from the region prefix", () => {
        const clusters = run.ofType("aws:eks/cluster:Cluster");
        expect(clusters.map((c) => [c.name, c.region]).sort()).toEqual(REGIONS.map(([region, prefix]) => [`${prefix}-eks-cluster`, region]));
        for (const c of clusters) {
            expect(c.inputs.accessConfig.authenticationMode).toBe("API");
            expect(c.inputs.vpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
        }
    });

    describe.each(REGIONS)("%s", (region, prefix) => {
        const eks = `${prefix}-eks`;

        test("every AWS resource of compute goes through the region's provider; Helm through the region's cluster", () => {
            const components = run.resources.filter((r) => COMPONENT_TYPES.includes(r.type) && r.name.startsWith(eks));
            expect(components.map((c) => c.name).sort()).toEqual([eks, `${eks}-addons`, `${eks}-pool-general`, `${eks}-pool-workers`]);
            const children = components.flatMap((c) => run.descendantsOf(c));
            const awsChildren = children.filter((c) => c.type.startsWith("aws:"));
            expect(awsChildren.length).toBeGreaterThanOrEqual(30);
            for (const child of awsChildren) {
                expect([child.name, child.region]).toEqual([child.name, region]);
            }
            const releases = children.filter((c) => c.type === "kubernetes:helm.sh/v3:Release");
            // metrics-server, cluster-autoscaler, keda, aws-node-termination-handler, aws-load-balancer-controller.
            expect(releases).toHaveLength(5);
            const k8sProvider = run.get("pulumi:providers:kubernetes", `${eks}-k8s`);
            for (const rel of releases) {
                expect(rel.provider?.startsWith(`${k8sProvider.urn}::`)).toBe(true);
            }
            const ssm = run.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter" && i.provider?.includes(`aws-${region}`));
            expect(ssm.length).toBeGreaterThanOrEqual(1);
        });

        test("general pool: one on-demand ASG per zone (cluster-autoscaler FAQ), min >= 2 in total, no taint", () => {
            const zones = ["a", "b", "c"].map((az) => `${region}${az}`);
            const groups = zones.map((zone) => run.get("aws:autoscaling/group:Group", `${eks}-pool-general-asg-${zone}`));
            expect(run.ofType("aws:autoscaling/group:Group").filter((g) => g.name.startsWith(`${eks}-pool-general`))).toHaveLength(3);
            expect(groups.reduce((sum, g) => sum + g.inputs.minSize, 0)).toBeGreaterThanOrEqual(2);
            groups.forEach((asg, i) => {
                expect(asg.inputs.vpcZoneIdentifiers).toEqual([`${prefix}-net-private-${zones[i]}-id`]);
                expect(asg.inputs.mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity).toBe(100);
                expect(asg.inputs.capacityRebalance).toBe(false);
                const tags = tagMap(asg);
                expect(tags["k8s.io/cluster-autoscaler/node-template/label/node-type"]).toBe("on-demand");
                expect(tags["k8s.io/cluster-autoscaler/node-template/label/node-pool"]).toBe("general");
                expect(Object.keys(tags).some((k) => k.includes("/taint/"))).toBe(false);
            });
            // prod general is 3..12: one node per zone at least, four at most.
            expect(groups.map((g) => [g.inputs.minSize, g.inputs.maxSize])).toEqual([[1, 4], [1, 4], [1, 4]]);
        });

        test("launch templates leave detailed monitoring off (the node alarms use 5-minute periods)", () => {
            for (const pool of ["general", "workers"]) {
                expect(run.get("aws:ec2/launchTemplate:LaunchTemplate", `${eks}-pool-${pool}-lt`).inputs.monitoring).toEqual({ enabled: false });
            }
        });

        test("cluster-autoscaler balances similar node groups (the per-zone ASGs of a pool)", () => {
            const values = run.get("kubernetes:helm.sh/v3:Release", `${eks}-addons-cluster-autoscaler`).inputs.values;
            expect(values.extraArgs["balance-similar-node-groups"]).toBe(true);
        });

        test("workers pool: spot, >= 3 types, capacity rebalance, taint + label, CA node-template tags", () => {
            const asg = run.get("aws:autoscaling/group:Group", `${eks}-pool-workers-asg`);
            const policy = asg.inputs.mixedInstancesPolicy;
            expect(policy.instancesDistribution).toMatchObject({ onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "price-capacity-optimized" });
            expect(policy.launchTemplate.overrides.length).toBeGreaterThanOrEqual(3);
            expect(asg.inputs.capacityRebalance).toBe(true);
            const userData = Buffer.from(run.get("aws:ec2/launchTemplate:LaunchTemplate", `${eks}-pool-workers-lt`).inputs.userData, "base64").toString();
            expect(userData).toMatch(/--node-labels=node-type=spot,node-pool=workers\n/);
            expect(userData).toMatch(/--register-with-taints=spot=true:NoSchedule\n/);
            expect(asg.inputs.tags.every((t: { propagateAtLaunch: boolean }) => t.propagateAtLaunch)).toBe(true);
            expect(tagMap(asg)).toMatchObject({
                "k8s.io/cluster-autoscaler/enabled": "true",
                [`k8s.io/cluster-autoscaler/${eks}`]: "owned",
                "k8s.io/cluster-autoscaler/node-template/label/node-type": "spot",
                "k8s.io/cluster-autoscaler/node-template/taint/spot": "true:NoSchedule",
            });
        });

        test("cluster-autoscaler: the stack's Pod Identity role, associated with kube-system/cluster-autoscaler in this cluster", () => {
            const role = run.get("aws:iam/role:Role", "prod-cluster-autoscaler");
            const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", `prod-cluster-autoscaler-${eks}-addons-cluster-autoscaler`);
            expect(association.region).toBe(region);
            expect(association.inputs).toMatchObject({ clusterName: eks, namespace: "kube-system", serviceAccount: "cluster-autoscaler", roleArn: role.state.arn });
            const release = run.get("kubernetes:helm.sh/v3:Release", `${eks}-addons-cluster-autoscaler`);
            expect(release.inputs.values).toMatchObject({ autoDiscovery: { clusterName: eks }, awsRegion: region, rbac: { serviceAccount: { create: true, name: "cluster-autoscaler" } } });
            // No IRSA annotation: Pod Identity replaces it.
            expect(release.inputs.values.rbac.serviceAccount.annotations).toBeUndefined();
            // Pods get credentials only if created after the association.
            expect(release.dependencies).toContain(association.urn);
            // Every ASG carries the value-tag the shared role's condition matches against the session's cluster name.
            for (const asg of run.ofType("aws:autoscaling/group:Group").filter((g) => g.name.startsWith(`${eks}-pool-`))) {
                expect(tagMap(asg)["scaled-web/eks-cluster"]).toBe(eks);
            }
        });

        test("termination handler and load balancer controller: the stack's roles, associated with their kube-system service accounts", () => {
            for (const [roleName, key, sa] of [["prod-node-termination-handler", "addons-nth", "aws-node-termination-handler"], ["prod-lb-controller", "addons-lbc", "aws-load-balancer-controller"]]) {
                const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", `${roleName}-${eks}-${key}`);
                expect(association.inputs).toMatchObject({ clusterName: eks, namespace: "kube-system", serviceAccount: sa, roleArn: run.get("aws:iam/role:Role", roleName).state.arn });
                expect(association.region).toBe(region);
            }
            const lbc = run.get("kubernetes:helm.sh/v3:Release", `${eks}-addons-lbc-release`);
            expect(lbc.dependencies).toContain(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", `prod-lb-controller-${eks}-addons-lbc`).urn);
        });

        test("aws-load-balancer-controller: pinned chart, cluster/region/VPC given (no IMDS), nothing it could provision on its own", () => {
            const lbc = run.get("kubernetes:helm.sh/v3:Release", `${eks}-addons-lbc-release`);
            expect(lbc.inputs).toMatchObject({
                name: "aws-load-balancer-controller",
                chart: "aws-load-balancer-controller",
                version: "3.5.0",
                namespace: "kube-system",
                repositoryOpts: { repo: "https://aws.github.io/eks-charts" },
            });
            expect(ADDON_CHARTS.loadBalancerController.version).toBe(ADDON_COMPATIBILITY.loadBalancerController.chartVersion);
            expect(lbc.inputs.values).toMatchObject({
                clusterName: eks,
                region,
                // The region's VPC id (the mock names ids `<resource name>-id`).
                vpcId: `${prefix}-net-vpc-id`,
                serviceAccount: { create: true, name: "aws-load-balancer-controller" },
                createIngressClassResource: false,
                ingressClassParams: { create: false },
                enableServiceMutatorWebhook: false,
                enablePodReadinessGateInject: true,
                enableWaf: false,
                enableWafv2: false,
                enableShield: false,
                controllerConfig: { featureGates: { EnableServiceController: false } },
                nodeSelector: { "node-type": "on-demand" },
            });
            expect(lbc.inputs.values.serviceAccount.annotations).toBeUndefined();
        });

        test("least privilege: the only inline policy compute creates per region is the cluster's KMS key; roles are the stack's", () => {
            const components = run.resources.filter((r) => COMPONENT_TYPES.includes(r.type) && r.name.startsWith(eks));
            const docs = components.flatMap((c) => run.descendantsOf(c)).filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
            expect(docs.map((d) => d.name).sort()).toEqual([`${eks}-cluster-kms`]);
            // No per-cluster IAM role for an add-on any more (IRSA is gone from ClusterAddons).
            expect(components.flatMap((c) => run.descendantsOf(c)).filter((r) => r.type === "aws:iam/role:Role" && r.name.includes("addons"))).toEqual([]);
        });

        test("spot interruption: ASG lifecycle rule -> encrypted SQS queue -> termination handler in queue mode", () => {
            const queue = run.get("aws:sqs/queue:Queue", `${eks}-addons-interruptions`);
            expect(queue.inputs).toMatchObject({ sqsManagedSseEnabled: true, messageRetentionSeconds: 300 });
            // Every spot pool has capacity rebalance and a termination lifecycle hook, so the ASG turns spot
            // notices and rebalance recommendations into lifecycle actions (NTH README): no EC2 rules.
            const rules = run.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.startsWith(`${eks}-addons-`));
            expect(rules.map((r) => r.name)).toEqual([`${eks}-addons-asg-lifecycle`]);
            expect(rules.map((r) => JSON.parse(r.inputs.eventPattern)["detail-type"][0])).toEqual(["EC2 Instance-terminate Lifecycle Action"]);
            expect(JSON.parse(rules[0].inputs.eventPattern).detail.AutoScalingGroupName.sort()).toEqual([
                ...["a", "b", "c"].map((az) => `${eks}-pool-general-asg-${region}${az}`), `${eks}-pool-workers-asg`,
            ]);
            expect(run.get("aws:autoscaling/group:Group", `${eks}-pool-workers-asg`).inputs.capacityRebalance).toBe(true);
            for (const rule of rules) {
                expect(run.get("aws:cloudwatch/eventTarget:EventTarget", rule.name).inputs).toMatchObject({ rule: rule.state.name, arn: queue.state.arn });
            }
            const [allow] = statements(run.get("aws:sqs/queuePolicy:QueuePolicy", `${eks}-addons-interruptions`).inputs.policy);
            expect(allow.Condition?.ArnEquals["aws:SourceArn"]).toEqual(rules.map((r) => r.state.arn));
            // Named after the cluster: the shared handler role's ARN pattern resolves to this queue only.
            expect(queue.inputs.name).toBe(`${eks}-interruptions`);
            const nth = statements(run.get("aws:iam/rolePolicy:RolePolicy", "prod-node-termination-handler").inputs.policy);
            expect(nth.find((s) => actions(s).includes("sqs:ReceiveMessage"))?.Resource).toBe("arn:aws:sqs:*:123456789012:${aws:PrincipalTag/eks-cluster-name}-interruptions");
            const release = run.get("kubernetes:helm.sh/v3:Release", `${eks}-addons-aws-node-termination-handler`);
            expect(release.inputs.values).toMatchObject({ enableSqsTerminationDraining: true, queueURL: queue.state.url, awsRegion: region });
            // IMDS-mode keys (values.yaml@v1.25.6 "Only used in IMDS mode") are not set: they would suggest a behaviour queue mode does not have.
            expect(Object.keys(release.inputs.values).filter((k) => /^enable(Spot|Rebalance|ASGLifecycle|ScheduledEvent)/.test(k))).toEqual([]);
            for (const hook of [...["a", "b", "c"].map((az) => `general-drain-${region}${az}`), "workers-drain"]) {
                expect(run.get("aws:autoscaling/lifecycleHook:LifecycleHook", `${eks}-pool-${hook}`).inputs.lifecycleTransition).toBe("autoscaling:EC2_INSTANCE_TERMINATING");
            }
        });

        test("add-ons are pinned Helm releases from their public repositories", () => {
            const byName = Object.fromEntries(["metrics-server", "cluster-autoscaler", "keda", "aws-node-termination-handler", "lbc-release"]
                .map((n) => [n, run.get("kubernetes:helm.sh/v3:Release", `${eks}-addons-${n}`).inputs]));
            expect(byName["metrics-server"]).toMatchObject({ chart: "metrics-server", version: ADDON_CHARTS.metricsServer.version, repositoryOpts: { repo: ADDON_CHARTS.metricsServer.repo } });
            expect(byName["cluster-autoscaler"]).toMatchObject({ version: ADDON_CHARTS.clusterAutoscaler.version, repositoryOpts: { repo: "https://kubernetes.github.io/autoscaler" } });
            // The autoscaler runs the control plane's minor: the pinned chart's appVersion, as its image.
            expect(byName["cluster-autoscaler"].values.image.tag).toBe(`v${ADDON_COMPATIBILITY.clusterAutoscaler.appVersion}`);
            expect(ADDON_COMPATIBILITY.clusterAutoscaler.appVersion.startsWith(`${DEFAULT_KUBERNETES_VERSION}.`)).toBe(true);
            expect(byName.keda).toMatchObject({ chart: "keda", namespace: "keda", createNamespace: true, repositoryOpts: { repo: "https://kedacore.github.io/charts" } });
            expect(byName["aws-node-termination-handler"]).toMatchObject({ chart: ADDON_CHARTS.nodeTerminationHandler.chart, version: ADDON_CHARTS.nodeTerminationHandler.version });
            for (const values of Object.values(byName)) {
                expect(values.version).toMatch(/^\d+\.\d+\.\d+$/);
                expect(values.values.nodeSelector).toEqual({ "node-type": "on-demand" });
            }
        });
    });
});

describe("wireCompute contract", () => {
    let run: StackRun<{ all: Record<string, string>; clusterName: string; sg: string; oidc: string; issuer: string }>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const config = parseConfig({
                environment: "dev", domain: "dev.example.com",
                regions: { "eu-west-1": { role: "primary", weight: 100 } },
                nodePools: { batch: { capacityType: "spot", instanceTypes: ["c7i.large", "c6i.large", "c6a.large"], maxSize: 4 } },
            }, "dev");
            const region = config.regions[0];
            const provider = new aws.Provider("aws-eu-west-1", { region: "eu-west-1" });
            const network = new Network("dev-euw1-net", { cidrBlock: region.cidr, availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }, { provider });
            const c = wireCompute({ config, region, prefix: "dev-euw1", provider, network }, wireIdentity(config, provider));
            return { all: c.autoScalingGroupNames, clusterName: c.clusterName, sg: c.nodeSecurityGroupId, oidc: c.oidcProviderArn, issuer: c.oidcIssuerUrl };
        });
    });

    test("every ASG is listed by its key (the load balancer targets pods, not ASGs)", () => {
        const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
        expect(run.outputs.all).toEqual({
            ...Object.fromEntries(zones.map((z) => [`general-${z}`, `dev-euw1-eks-pool-general-asg-${z}`])),
            workers: "dev-euw1-eks-pool-workers-asg",
            batch: "dev-euw1-eks-pool-batch-asg",
        });
        expect(run.outputs.clusterName).toBe("dev-euw1-eks");
        expect(run.outputs.sg).toBe("dev-euw1-eks-nodes-id");
        expect(run.outputs.oidc).toBe(`arn:aws:iam::123456789012:oidc-provider/${run.outputs.issuer.replace("https://", "")}`);
    });

    test("pools added in config get their own ASG with CA tags", () => {
        const asg = run.get("aws:autoscaling/group:Group", "dev-euw1-eks-pool-batch-asg");
        expect(asg.inputs.capacityRebalance).toBe(true);
        expect(tagMap(asg)["k8s.io/cluster-autoscaler/node-template/label/node-pool"]).toBe("batch");
    });
});

describe("stack config for compute", () => {
    test.each<[string, Record<string, unknown>, RegExp]>([
        ["a spot pool with 2 types", { nodePools: { workers: { instanceTypes: ["m7i.xlarge", "m6i.xlarge"] } } }, /nodePools.workers.instanceTypes: a spot pool needs >= 3 instance types/],
        ["min > max", { nodePools: { workers: { minSize: 5, maxSize: 4, desiredSize: 4 } } }, /nodePools.workers.minSize: must be <= maxSize \(4\), got 5/],
        ["desired outside [min, max]", { nodePools: { general: { desiredSize: 20 } } }, /nodePools.general.desiredSize: must be within \[minSize, maxSize\] = \[3, 12\], got 20/],
        ["a pool name that is not a DNS label", { nodePools: { Big_Pool: { instanceTypes: ["m7i.large"], maxSize: 3, minSize: 2 } } }, /nodePools.Big_Pool: pool name "Big_Pool" must be a DNS label/],
        ["an invalid instance type", { nodePools: { general: { instanceTypes: ["m7i-large"] } } }, /nodePools.general.instanceTypes.0: must be an EC2 instance type such as "m7i.large"/],
        ["an on-demand pool below 2 nodes", { nodePools: { general: { minSize: 1, desiredSize: 1 } } }, /nodePools.general.minSize: an on-demand pool keeps >= 2 nodes .* got 1/],
        ["a per-zone pool with fewer nodes at most than zones", { nodePools: { general: { minSize: 2, desiredSize: 2, maxSize: 2 } } },
            /nodePools.general.maxSize: must be >= 3 \(the zones of us-east-1\): with perZone every zone gets its own ASG and needs room for a node, got 2; raise maxSize or set perZone: false/],
        ["a public endpoint without CIDRs", { cluster: { publicEndpoint: true } }, /cluster.publicAccessCidrs: must list the CIDRs allowed to reach the public API endpoint/],
        ["a public endpoint open to 0.0.0.0/0", { cluster: { publicEndpoint: true, publicAccessCidrs: ["0.0.0.0/0"] } }, /cluster.publicAccessCidrs: contains 0.0.0.0\/0; .*cluster.allowPublicAccessFromAnywhere: true/],
    ])("rejects %s with one clear message", async (_label, overrides, expected) => {
        const error = await runStack("prod", overrides).then(() => undefined, (e: Error) => e);
        expect(error?.name).toBe("ConfigError");
        expect(error?.message).toMatch(/^Stack "prod" has an invalid configuration \(Pulumi.prod.yaml\)/);
        expect(error?.message).toMatch(expected);
    });
});
