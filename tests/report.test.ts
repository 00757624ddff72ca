/**
 * The plan report's pure parts on a hand-made resource list: inventory counts, region resolution,
 * architecture read-back, cost arithmetic against the price table, unknown prices, and the renderers.
 */
import type { RegisteredResource } from "../toolkit/offline";
import { EC2_INSTANCES, HOURS_PER_MONTH, MQ_BROKER_INSTANCES, SPOT_DISCOUNT } from "../toolkit/prices";
import {
    GROUP_COST_LINES_FROM, MAX_MARKDOWN_CHARS, ResourceGraph, buildInventory, buildPlanReport, keyInName, money, onDemandCount, placementOf, renderMarkdown, renderText, summarizePolicy,
} from "../toolkit/report";
import type { PolicyReport } from "../toolkit/report-types";

const STACK_URN = "urn:pulumi:test::scaled-web::pulumi:pulumi:Stack::scaled-web-test";

interface Opts {
    parent?: string;
    region?: string;
    custom?: boolean;
    provider?: string;
}

function res(type: string, name: string, inputs: Record<string, any> = {}, o: Opts = {}): RegisteredResource {
    const urn = `urn:pulumi:test::scaled-web::${type}::${name}`;
    return {
        urn, type, name, inputs, state: { ...inputs, arn: `arn:aws:test:${o.region ?? "x"}:1:${name}` },
        parent: o.parent ?? STACK_URN, provider: o.provider, region: o.region,
        custom: o.custom ?? true, protect: false, dependencies: [], secretInputs: [],
    };
}
const urnOf = (type: string, name: string): string => `urn:pulumi:test::scaled-web::${type}::${name}`;

const E1 = "us-east-1";
const POOL = "test:compute:NodePool";
const K8S_PROVIDER = urnOf("pulumi:providers:kubernetes", "k8s-use1");

/** A small stack: two node pools, a NAT gateway, a database, a cache, workloads, and two unpriceable things. */
const RESOURCES: RegisteredResource[] = [
    { ...res("pulumi:pulumi:Stack", "scaled-web-test", {}, { custom: false }), urn: STACK_URN, parent: undefined },
    res("pulumi:providers:aws", "aws-us-east-1", { region: E1 }),
    res("pulumi:providers:aws", "aws-eu-west-1", { region: "eu-west-1" }),
    // pool "general": on-demand, 2..4, desired 2, 50 GiB
    res(POOL, "t-use1-pool-general", {}, { custom: false }),
    res("aws:ec2/launchTemplate:LaunchTemplate", "t-use1-pool-general-lt", { instanceType: "m7i.large", blockDeviceMappings: [{ ebs: { volumeSize: 50 } }] }, { parent: urnOf(POOL, "t-use1-pool-general"), region: E1 }),
    res("aws:autoscaling/group:Group", "t-use1-pool-general-asg", { minSize: 2, maxSize: 4, desiredCapacity: 2, launchTemplate: { id: "t-use1-pool-general-lt-id" } }, { parent: urnOf(POOL, "t-use1-pool-general"), region: E1 }),
    // pool "workers": 1 on-demand base then spot, 0..5, desired 3, 20 GiB
    res(POOL, "t-use1-pool-workers", {}, { custom: false }),
    res("aws:ec2/launchTemplate:LaunchTemplate", "t-use1-pool-workers-lt", { blockDeviceMappings: [{ ebs: { volumeSize: 20 } }] }, { parent: urnOf(POOL, "t-use1-pool-workers"), region: E1 }),
    res("aws:autoscaling/group:Group", "t-use1-pool-workers-asg", {
        minSize: 0, maxSize: 5, desiredCapacity: 3,
        mixedInstancesPolicy: {
            instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0 },
            launchTemplate: { launchTemplateSpecification: { launchTemplateId: "t-use1-pool-workers-lt-id" }, overrides: [{ instanceType: "m7i.large" }, { instanceType: "m6i.large" }, { instanceType: "m5.large" }] },
        },
    }, { parent: urnOf(POOL, "t-use1-pool-workers"), region: E1 }),
    // a pool of a type the table does not know
    res("aws:ec2/launchTemplate:LaunchTemplate", "t-use1-odd-lt", { instanceType: "x9.mega" }, { region: E1 }),
    res("aws:autoscaling/group:Group", "t-use1-odd-asg", { minSize: 1, maxSize: 1, launchTemplate: { id: "t-use1-odd-lt-id" } }, { region: E1 }),
    res("aws:ec2/natGateway:NatGateway", "t-use1-nat", {}, { region: E1 }),
    res("aws:ec2/natGateway:NatGateway", "t-euw1-nat", {}, { region: "eu-west-1" }),
    res("aws:rds/instance:Instance", "t-use1-db", { instanceClass: "db.t4g.medium", multiAz: true, allocatedStorage: 100, engine: "postgres" }, { region: E1 }),
    res("aws:rds/instance:Instance", "t-use1-db-replica", { instanceClass: "db.t4g.medium", replicateSourceDb: "arn:aws:test:us-east-1:1:t-use1-db" }, { region: E1 }),
    res("aws:elasticache/replicationGroup:ReplicationGroup", "t-use1-cache-queue", { nodeType: "cache.t4g.small", numNodeGroups: 1, replicasPerNodeGroup: 1, engine: "valkey" }, { region: E1 }),
    // Kubernetes: a cluster component holds the k8s provider; workloads reach the region through it.
    res("test:compute:Cluster", "t-use1-eks", {}, { custom: false }),
    res("aws:eks/cluster:Cluster", "t-use1-eks-cluster", { version: "1.33" }, { parent: urnOf("test:compute:Cluster", "t-use1-eks"), region: E1 }),
    res("pulumi:providers:kubernetes", "k8s-use1", {}, { parent: urnOf("test:compute:Cluster", "t-use1-eks") }),
    res("kubernetes:apps/v1:Deployment", "t-use1-api", {
        metadata: { name: "api", namespace: "app" },
        spec: { replicas: 2, template: { spec: {
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "node-type", operator: "NotIn", values: ["spot"] }] }] } } },
            containers: [{ name: "api", resources: { requests: { cpu: "250m", memory: "128Mi" } } }],
        } } },
    }, { provider: `${K8S_PROVIDER}::k8s-use1-id` }),
    res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "t-use1-api-hpa", { metadata: { namespace: "app" }, spec: { scaleTargetRef: { kind: "Deployment", name: "api" }, minReplicas: 2, maxReplicas: 10 } }, { provider: `${K8S_PROVIDER}::k8s-use1-id` }),
    res("kubernetes:apps/v1:Deployment", "t-use1-worker-emails", {
        metadata: { name: "worker-emails", namespace: "app" },
        spec: { template: { spec: { nodeSelector: { "node-type": "spot" }, containers: [{ name: "w", resources: { requests: { cpu: "500m", memory: "1Gi" } } }] } } },
    }, { provider: `${K8S_PROVIDER}::k8s-use1-id` }),
    res("kubernetes:keda.sh/v1alpha1:ScaledObject", "t-use1-worker-emails-so", {
        metadata: { namespace: "app" }, spec: { scaleTargetRef: { name: "worker-emails" }, minReplicaCount: 1, maxReplicaCount: 3, triggers: [{ type: "redis", metadata: { listName: "emails" } }] },
    }, { provider: `${K8S_PROVIDER}::k8s-use1-id` }),
];

const perMonth = (hourly: number): number => hourly * HOURS_PER_MONTH;

describe("helpers", () => {
    test.each([
        [3, 1, 0, 1], [5, 1, 0, 1], [3, 0, 100, 3], [4, 0, 50, 2], [3, 0, 50, 2], [0, 2, 0, 0], [10, 2, 25, 4],
    ])("onDemandCount(%i instances, base %i, %i %% above) = %i", (n, base, pct, expected) => {
        expect(onDemandCount(n, base, pct)).toBe(expected);
    });

    test.each([
        ["prod-use1-cache-queue", ["cache", "queue", "sessions"], "queue"],
        ["prod-use1-cache-cache", ["cache", "queue", "sessions"], "cache"],
        ["prod-use1-eks-pool-general-asg", ["general", "workers"], "general"],
        ["prod-use1-workers-sla-checks", ["sla-checks", "analytics"], "sla-checks"],
        ["prod-use1-nothing", ["general"], undefined],
    ])("keyInName(%s, %j) = %s", (name, keys, expected) => {
        expect(keyInName(name, keys)).toBe(expected);
    });

    test.each([
        [{ nodeSelector: { "node-type": "spot" } }, "spot"],
        [{ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "node-type", operator: "NotIn", values: ["spot"] }] }] } } } }, "on-demand"],
        [{ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "eks.amazonaws.com/capacityType", operator: "In", values: ["SPOT"] }] }] } } } }, "spot"],
        [{}, "on-demand"],
    ])("placementOf(%j) = %s", (spec, expected) => {
        expect(placementOf(spec)).toBe(expected);
    });

    test("money formats two decimals with thousands separators", () => {
        expect(money(1234.5)).toBe("$1,234.50");
        expect(money(0)).toBe("$0.00");
    });
});

describe("inventory and regions", () => {
    const graph = new ResourceGraph(RESOURCES, [E1, "eu-west-1"]);
    const inv = buildInventory(graph, [E1, "eu-west-1"]);

    test("counts every resource but the stack, and each view sums to the total", () => {
        expect(inv.total).toBe(RESOURCES.length - 1);
        expect(inv.byComponent.reduce((s, c) => s + c.count, 0)).toBe(inv.total);
        expect(inv.byRegion.reduce((s, r) => s + r.count, 0)).toBe(inv.total);
        expect(inv.byType.reduce((s, t) => s + t.count, 0)).toBe(inv.total);
        expect(inv.components).toBe(RESOURCES.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack").length);
    });

    test("groups children under their top-level component", () => {
        const general = inv.byComponent.find((c) => c.name === "t-use1-pool-general")!;
        expect(general).toMatchObject({ type: POOL, region: E1, count: 3 });
        expect(general.byType).toEqual({ [POOL]: 1, "aws:autoscaling/group:Group": 1, "aws:ec2/launchTemplate:LaunchTemplate": 1 });
        expect(inv.byComponent.find((c) => c.name === "t-use1-eks")?.count).toBe(3);
    });

    test("Kubernetes objects land in their cluster's region through the provider; components in their children's", () => {
        const byName = (n: string): RegisteredResource => RESOURCES.find((r) => r.name === n)!;
        expect(graph.regionOf(byName("t-use1-api"))).toBe(E1);
        expect(graph.regionOf(byName("t-use1-pool-general"))).toBe(E1);
        expect(graph.regionOf(byName("t-euw1-nat"))).toBe("eu-west-1");
        expect(inv.byRegion.map((r) => r.region)).toEqual([E1, "eu-west-1"]);
        expect(inv.byRegion.find((r) => r.region === "eu-west-1")?.count).toBe(2);
    });
});

describe("architecture read back from the resources", () => {
    const report = buildPlanReport({ project: "scaled-web", stack: "test", resources: RESOURCES });
    const use1 = report.architecture.regions.find((r) => r.region === E1)!;

    test("node pools with capacity type, sizes, types and disks", () => {
        const pools = Object.fromEntries(use1.nodePools.map((p) => [p.resource, p]));
        expect(pools["t-use1-pool-general-asg"]).toMatchObject({ capacity: "on-demand", instanceTypes: ["m7i.large"], minSize: 2, maxSize: 4, desiredSize: 2, diskGiB: 50 });
        expect(pools["t-use1-pool-workers-asg"]).toMatchObject({ capacity: "mixed", onDemandBase: 1, onDemandPercentAboveBase: 0, instanceTypes: ["m7i.large", "m6i.large", "m5.large"], diskGiB: 20 });
    });

    test("workloads: HPA range for api, KEDA range and queue for the worker, placement", () => {
        expect(use1.services).toEqual([expect.objectContaining({ name: "api", kind: "api", minReplicas: 2, maxReplicas: 10, scaler: "HPA", placement: "on-demand", podCpuMillis: 250 })]);
        expect(use1.workers).toEqual([expect.objectContaining({ name: "worker-emails", queue: "emails", minReplicas: 1, maxReplicas: 3, scaler: "KEDA", placement: "spot" })]);
    });

    test("database primary and replica, cache shards x replicas", () => {
        expect(use1.databases.map((d) => [d.name, d.role, d.replicaOf, d.storageGiB])).toEqual([
            ["t-use1-db", "primary", undefined, 100],
            ["t-use1-db-replica", "replica", "t-use1-db", 100], // storage of its source
        ]);
        expect(use1.caches).toEqual([expect.objectContaining({ purpose: "t-use1-cache-queue", shards: 1, replicasPerShard: 1, nodes: 2, engine: "valkey" })]);
    });

    test("capacity: nodes x instance size against pod requests at min and max replicas", () => {
        const cap = report.architecture.capacity.find((c) => c.region === E1)!;
        const od = cap.classes.find((c) => c.purchase === "on-demand")!;
        // general 2..4 + the workers' on-demand base 1..1 (m7i.large: 2 vCPU, 8 GiB); the odd pool's type is unknown.
        expect(od.nodes).toEqual({ desired: 2 + 1 + 1, max: 4 + 1 + 1 });
        expect(od.vcpu).toEqual({ desired: 6, max: 10 });
        expect(od.unknownTypes).toEqual(["x9.mega"]);
        expect(od.requests.cpuAtMin).toBeCloseTo(0.5);
        expect(od.requests.cpuAtMax).toBeCloseTo(2.5);
        const spot = cap.classes.find((c) => c.purchase === "spot")!;
        expect(spot.nodes).toEqual({ desired: 2, max: 4 });
        expect(spot.requests.memoryGiBAtMax).toBeCloseTo(3);
    });
});

describe("a pool split into one ASG per zone, with detailed monitoring", () => {
    const parent = { parent: urnOf(POOL, "z-use1-pool-web"), region: E1 };
    const ZONED: RegisteredResource[] = [
        RESOURCES[0], RESOURCES[1],
        res(POOL, "z-use1-pool-web", {}, { custom: false }),
        res("aws:ec2/launchTemplate:LaunchTemplate", "z-use1-pool-web-lt", { instanceType: "m7i.large", monitoring: { enabled: true }, blockDeviceMappings: [{ ebs: { volumeSize: 50 } }] }, parent),
        ...["a", "b", "c"].map((z, i) => res("aws:autoscaling/group:Group", `z-use1-pool-web-asg-us-east-1${z}`, {
            minSize: [1, 1, 0][i], maxSize: [4, 3, 3][i], desiredCapacity: [1, 1, 0][i], launchTemplate: { id: "z-use1-pool-web-lt-id" },
        }, parent)),
        // Basic monitoring (the default): no monitoring line.
        res("aws:ec2/launchTemplate:LaunchTemplate", "z-use1-pool-basic-lt", { instanceType: "m7i.large", monitoring: { enabled: false } }, { region: E1 }),
        res("aws:autoscaling/group:Group", "z-use1-pool-basic-asg", { minSize: 2, maxSize: 2, desiredCapacity: 2, launchTemplate: { id: "z-use1-pool-basic-lt-id" } }, { region: E1 }),
    ];
    const report = buildPlanReport({ project: "scaled-web", stack: "test", resources: ZONED });

    test("the architecture shows the zone groups as one pool with the summed sizes", () => {
        const pools = report.architecture.regions.find((r) => r.region === E1)!.nodePools;
        expect(pools).toHaveLength(2);
        expect(pools[0]).toMatchObject({ resource: "z-use1-pool-web-asg-us-east-1a", minSize: 2, maxSize: 10, desiredSize: 2, zoneGroups: 3, detailedMonitoring: true });
        expect(pools[1]).toMatchObject({ resource: "z-use1-pool-basic-asg", detailedMonitoring: false });
        expect(pools[1].zoneGroups).toBeUndefined();
        const od = report.architecture.capacity.find((c) => c.region === E1)!.classes.find((c) => c.purchase === "on-demand")!;
        expect(od.nodes).toEqual({ desired: 2 + 2, max: 10 + 2 });
        expect(renderText(report)).toMatch(/2\.\.10 nodes, desired 2, 50 GiB disk, one ASG per zone \(3\), detailed monitoring/);
    });

    test("detailed monitoring is priced per instance (7 metrics x $0.30), at desired and max, only where it is on", () => {
        const lines = report.cost.lines.filter((l) => l.unit === "instance with detailed monitoring");
        expect(lines.map((l) => [l.resource, l.quantity, l.category])).toEqual([
            ["z-use1-pool-web-asg-us-east-1a", 1, "observability"],
            ["z-use1-pool-web-asg-us-east-1b", 1, "observability"],
            ["z-use1-pool-web-asg-us-east-1c", 0, "observability"],
        ]);
        expect(lines.reduce((s, l) => s + l.monthly, 0)).toBeCloseTo(2 * 7 * 0.3, 6);
        expect(lines.reduce((s, l) => s + l.monthlyAtMax, 0)).toBeCloseTo(10 * 7 * 0.3, 6);
        // Cost stays per group: each zone's instances are their own line.
        expect(report.cost.lines.filter((l) => l.unit === "m7i.large instance").map((l) => l.resource)).toHaveLength(4);
    });
});

describe("cost arithmetic", () => {
    const cost = buildPlanReport({ project: "scaled-web", stack: "test", resources: RESOURCES }).cost;
    const line = (resource: string, unitPrefix: string): { monthly: number; monthlyAtMax: number; purchase: string } => {
        const l = cost.lines.find((x) => x.resource === resource && x.unit.startsWith(unitPrefix));
        if (!l) {
            throw new Error(`no ${unitPrefix} line for ${resource}; have ${cost.lines.map((x) => `${x.resource}/${x.unit}`).join(", ")}`);
        }
        return l;
    };
    const m7i = EC2_INSTANCES["m7i.large"].hourly;

    test("on-demand pool: instances at desired and at max, plus gp3 root volumes", () => {
        expect(line("t-use1-pool-general-asg", "m7i.large").monthly).toBeCloseTo(2 * perMonth(m7i), 6);
        expect(line("t-use1-pool-general-asg", "m7i.large").monthlyAtMax).toBeCloseTo(4 * perMonth(m7i), 6);
        expect(line("t-use1-pool-general-asg", "GiB-month").monthly).toBeCloseTo(2 * 50 * 0.08, 6);
        expect(line("t-use1-pool-general-asg", "GiB-month").monthlyAtMax).toBeCloseTo(4 * 50 * 0.08, 6);
    });

    test("spot pool: on-demand base at the first type, the rest at the dearest type less the assumed discount", () => {
        expect(line("t-use1-pool-workers-asg", "m7i.large").monthly).toBeCloseTo(1 * perMonth(m7i), 6);
        const spot = line("t-use1-pool-workers-asg", "spot instance");
        expect(spot.purchase).toBe("spot");
        expect(spot.monthly).toBeCloseTo(2 * perMonth(m7i) * (1 - SPOT_DISCOUNT), 6);
        expect(spot.monthlyAtMax).toBeCloseTo(4 * perMonth(m7i) * (1 - SPOT_DISCOUNT), 6);
    });

    test("NAT, Multi-AZ database (instance and storage doubled), replica, Valkey cache nodes", () => {
        expect(line("t-use1-nat", "NAT").monthly).toBeCloseTo(0.045 * 730, 6);
        expect(line("t-use1-db", "db.t4g.medium").monthly).toBeCloseTo(2 * 0.065 * 730, 6);
        expect(line("t-use1-db", "GiB-month").monthly).toBeCloseTo(2 * 100 * 0.115, 6);
        expect(line("t-use1-db-replica", "db.t4g.medium").monthly).toBeCloseTo(0.065 * 730, 6);
        expect(line("t-use1-cache-queue", "cache.t4g.small").monthly).toBeCloseTo(2 * 0.032 * 0.8 * 730, 6);
    });

    test("totals are the sum of the lines, split by purchase option, region and component", () => {
        const sum = cost.lines.reduce((s, l) => s + l.monthly, 0);
        expect(cost.total.monthly).toBeCloseTo(sum, 6);
        expect(cost.byPurchase["on-demand"].monthly + cost.byPurchase.spot.monthly).toBeCloseTo(sum, 6);
        expect(cost.byPurchase.spot.monthly).toBeCloseTo(2 * perMonth(m7i) * (1 - SPOT_DISCOUNT), 6);
        expect(cost.byRegion.reduce((s, r) => s + r.monthly, 0)).toBeCloseTo(sum, 6);
        expect(cost.byComponent.reduce((s, c) => s + c.monthly, 0)).toBeCloseTo(sum, 6);
        expect(cost.byComponent.find((c) => c.component === "t-use1-pool-general")?.monthly).toBeCloseTo(2 * perMonth(m7i) + 8, 6);
        expect(cost.total.monthlyAtMax).toBeGreaterThan(cost.total.monthly);
    });

    test("unknown instance types and unpriced regions are reported, not guessed, and stay out of the totals", () => {
        expect(cost.unknown).toEqual(expect.arrayContaining([
            expect.objectContaining({ resource: "t-use1-odd-asg", what: "instance type x9.mega" }),
            expect.objectContaining({ resource: "t-euw1-nat", region: "eu-west-1", what: expect.stringMatching(/^region eu-west-1/) }),
        ]));
        expect(cost.lines.some((l) => l.resource === "t-use1-odd-asg" || l.resource === "t-euw1-nat")).toBe(false);
        expect(cost.source).toMatch(/AWS public on-demand list prices, us-east-1\/us-west-2, as recorded on \d{4}-\d{2}-\d{2}.*verify before budgeting/);
        expect(cost.spotAssumption).toMatch(/assum/);
    });
});

describe("Amazon MQ for RabbitMQ brokers (queueBackend rabbitmq)", () => {
    const provider = urnOf("pulumi:providers:aws", "aws-us-east-1");
    const broker = (name: string, hostInstanceType: string, deploymentMode?: string): RegisteredResource =>
        res("aws:mq/broker:Broker", name, { engineType: "RabbitMQ", hostInstanceType, ...(deploymentMode ? { deploymentMode } : {}) }, { region: E1, provider });
    const cost = buildPlanReport({
        project: "scaled-web", stack: "test", resources: [
            { ...res("pulumi:pulumi:Stack", "scaled-web-test", {}, { custom: false }), urn: STACK_URN, parent: undefined },
            res("pulumi:providers:aws", "aws-us-east-1", { region: E1 }),
            broker("t-use1-queue-broker", "mq.m5.large", "CLUSTER_MULTI_AZ"),
            broker("t-use1-small-broker", "mq.m5.xlarge"),
            broker("t-use1-graviton-broker", "mq.m7g.large", "CLUSTER_MULTI_AZ"),
        ],
    }).cost;

    test("a cluster is three broker instances, a single instance one (the provider's default mode)", () => {
        const cluster = cost.lines.find((l) => l.resource === "t-use1-queue-broker");
        expect(cluster).toMatchObject({ category: "queue", quantity: 3, unit: "mq.m5.large broker instance" });
        expect(cluster!.monthly).toBeCloseTo(3 * perMonth(MQ_BROKER_INSTANCES["mq.m5.large"]), 6);
        const single = cost.lines.find((l) => l.resource === "t-use1-small-broker");
        expect(single!.monthly).toBeCloseTo(perMonth(MQ_BROKER_INSTANCES["mq.m5.xlarge"]), 6);
    });

    test("an instance type outside the table is unknown, not guessed", () => {
        expect(cost.unknown).toEqual(expect.arrayContaining([expect.objectContaining({ resource: "t-use1-graviton-broker", what: "Amazon MQ broker instance type mq.m7g.large" })]));
        expect(cost.lines.some((l) => l.resource === "t-use1-graviton-broker")).toBe(false);
        expect(cost.notEstimated.join(" ")).toMatch(/Amazon MQ broker storage/);
    });
});

describe("cost settings read back from the resources", () => {
    const W2 = "us-west-2";
    const settings = buildPlanReport({
        project: "scaled-web", stack: "test", resources: [
            { ...res("pulumi:pulumi:Stack", "scaled-web-test", {}, { custom: false }), urn: STACK_URN, parent: undefined },
            res("aws:cloudwatch/logGroup:LogGroup", "t-use1-net-flow-logs", { retentionInDays: 30 }, { region: E1 }),
            res("aws:ec2/flowLog:FlowLog", "t-use1-net-flow-log", { trafficType: "REJECT", maxAggregationInterval: 600, logDestinationType: "cloud-watch-logs", logDestination: "arn:aws:test:us-east-1:1:t-use1-net-flow-logs" }, { region: E1 }),
            res("aws:ec2/flowLog:FlowLog", "t-usw2-net-flow-log", { trafficType: "ALL", maxAggregationInterval: 60, logDestinationType: "s3", logDestination: "arn:aws:s3:::logs" }, { region: W2 }),
            res("aws:rds/instance:Instance", "t-db-primary", { identifier: "t-db-primary", instanceClass: "db.t4g.medium", multiAz: true }, { region: E1 }),
            res("aws:cloudwatch/logGroup:LogGroup", "t-db-primary-postgresql-logs", { name: "/aws/rds/instance/t-db-primary/postgresql", retentionInDays: 30 }, { region: E1 }),
            res("aws:rds/instance:Instance", "t-db-replica-us-west-2", { identifier: "t-db-replica-us-west-2", instanceClass: "db.t4g.medium", multiAz: false, replicateSourceDb: "arn:aws:test:us-east-1:1:t-db-primary" }, { region: W2 }),
        ],
    }).cost.settings;

    test("flow logs: what is captured, how often, where, and for how long", () => {
        expect(settings).toEqual(expect.arrayContaining([
            { region: E1, subject: "flow logs t-use1-net-flow-log", value: "REJECT every 600 s to cloud-watch-logs, kept 30 days", key: "network.flowLog*" },
            { region: W2, subject: "flow logs t-usw2-net-flow-log", value: "ALL every 60 s to s3 (bucket lifecycle sets retention)", key: "network.flowLog*" },
        ]));
    });

    test("RDS log retention per instance (an instance without a pre-created group is flagged) and the DR replica's Multi-AZ", () => {
        expect(settings).toEqual(expect.arrayContaining([
            { region: E1, subject: "PostgreSQL logs of t-db-primary", value: "kept 30 days", key: "database.logRetentionDays" },
            { region: W2, subject: "PostgreSQL logs of t-db-replica-us-west-2", value: "no log group created first: RDS creates one that never expires", key: "database.logRetentionDays" },
            { region: W2, subject: "DR replica t-db-replica-us-west-2", value: "single-AZ", key: "database.crossRegionReplicaMultiAz" },
        ]));
    });
});

test("architecture: each region's zones by name, with the zone ID its subnets were placed by", () => {
    const arch = buildPlanReport({
        project: "scaled-web", stack: "test", resources: [
            { ...res("pulumi:pulumi:Stack", "scaled-web-test", {}, { custom: false }), urn: STACK_URN, parent: undefined },
            res("aws:ec2/subnet:Subnet", "t-use1-net-private-us-east-1b", { availabilityZoneId: "use1-az4" }, { region: E1 }),
            res("aws:ec2/subnet:Subnet", "t-use1-net-public-us-east-1b", { availabilityZoneId: "use1-az4" }, { region: E1 }),
            res("aws:ec2/subnet:Subnet", "t-use1-net-private-us-east-1a", { availabilityZoneId: "use1-az2" }, { region: E1 }),
            res("aws:ec2/subnet:Subnet", "t-euw1-net-private-eu-west-1a", { availabilityZone: "eu-west-1a" }, { region: "eu-west-1" }),
        ],
    }).architecture;
    expect(arch.regions.find((r) => r.region === E1)?.zones).toEqual([{ name: "us-east-1a", zoneId: "use1-az2" }, { name: "us-east-1b", zoneId: "use1-az4" }]);
    expect(arch.regions.find((r) => r.region === "eu-west-1")?.zones).toEqual([{ name: "eu-west-1a" }]);
});

describe("policy summary and outcome", () => {
    const policy: PolicyReport = {
        packName: "pack",
        policies: [{ name: "a", enforcementLevel: "mandatory", description: "" }, { name: "b", enforcementLevel: "advisory", description: "" }],
        violations: [
            { policyName: "b", enforcementLevel: "advisory", message: "B must", resourceName: "x", resourceType: "t" },
            { policyName: "a", enforcementLevel: "mandatory", message: "A | must", resourceName: "y", resourceType: "t" },
        ],
        mandatoryCount: 1,
        advisoryCount: 1,
        undecidable: [],
    };

    test("counts by level, mandatory first; a mandatory violation fails the plan", () => {
        const s = summarizePolicy(policy);
        expect(s).toMatchObject({ status: "evaluated", policies: 2, mandatory: 1, advisory: 1 });
        expect(s.violations.map((v) => v.policyName)).toEqual(["a", "b"]);
        const report = buildPlanReport({ project: "p", stack: "s", resources: RESOURCES, policy });
        expect(report.outcome).toEqual({ ok: false, failures: ["1 mandatory policy violation"] });
        expect(buildPlanReport({ project: "p", stack: "s", resources: RESOURCES, policy: { ...policy, violations: [policy.violations[0]], mandatoryCount: 0 } }).outcome.ok).toBe(true);
    });

    test("renderers: text, Markdown with its marker and escaped cells, JSON round trip", () => {
        const report = buildPlanReport({ project: "p", stack: "s", resources: RESOURCES, policy });
        const text = renderText(report);
        expect(text).toMatch(/^RESOURCES {2}\d+ /m);
        expect(text).toMatch(/RESULT {2}FAILED: 1 mandatory policy violation/);
        expect(text).toContain("x9.mega");
        const md = renderMarkdown(report);
        expect(md.startsWith("<!-- scaled-web-plan:s -->\n")).toBe(true);
        expect(md).toContain("#### Policies");
        expect(md).toContain("A \\| must");
        expect(md).toContain("**Unknown prices**");
        expect(md).toContain(`**${money(report.cost.total.monthly)}**`);
        expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    });

    test("undecidable policies: listed with their level and resource; a mandatory one fails the plan, an advisory one does not", () => {
        const target = RESOURCES[RESOURCES.length - 1];
        const undecidable = [
            { policyName: "b", resourceUrn: target.urn, message: "string value at .certificateArn can't be known during preview" },
            { policyName: "a", message: "string value at .id can't be known during preview" },
        ];
        const clean = { ...policy, violations: [policy.violations[0]], mandatoryCount: 0 };
        const advisoryOnly = buildPlanReport({ project: "p", stack: "s", resources: RESOURCES, policy: { ...clean, undecidable: [undecidable[0]] }, mode: "preview" });
        expect(advisoryOnly.outcome.ok).toBe(true);
        expect(advisoryOnly.policy.undecidable).toEqual([{ ...undecidable[0], enforcementLevel: "advisory", resourceName: target.name, resourceType: target.type }]);
        const report = buildPlanReport({ project: "p", stack: "s", resources: RESOURCES, policy: { ...clean, undecidable }, mode: "preview" });
        expect(report.mode).toBe("preview");
        expect(report.policy.undecidableMandatory).toBe(1);
        expect(report.policy.undecidable.map((u) => u.policyName)).toEqual(["a", "b"]);
        expect(report.outcome).toEqual({ ok: false, failures: ["1 mandatory policy check could not be decided on unknown values (a)"] });
        const text = renderText(report);
        expect(text).toMatch(/: offline plan, preview mode/);
        expect(text).toMatch(/^POLICIES {2}pack, 2 policies: 0 mandatory, 1 advisory violation, 2 undecidable \(1 of mandatory policies\)$/m);
        expect(text).toMatch(/^ {2}undecidable \(mandatory\) +a +\(stack\) +string value at \.id can't be known during preview$/m);
        expect(text).toMatch(/RESULT {2}FAILED: 1 mandatory policy check could not be decided/);
        const md = renderMarkdown(report);
        expect(md).toContain("preview mode");
        expect(md).toContain("| mandatory | `a` | (stack) | string value at .id can't be known during preview |");
        // Outside preview mode nothing is said when everything was decided.
        const update = renderText(buildPlanReport({ project: "p", stack: "s", resources: RESOURCES, policy: clean }));
        expect(update).not.toMatch(/undecidable|preview/);
    });

    // Issue 17: a prod comment listed ~170 alarm rows of $0.10 each.
    test("Markdown sums a run of one kind of cost line into one row; fewer than the threshold stay one row each", () => {
        const alarms = Array.from({ length: 40 }, (_, i) => res("aws:cloudwatch/metricAlarm:MetricAlarm", `t-use1-obs-alarm-${i}`, { period: 60 }, { region: E1 }));
        // RESOURCES has one NAT gateway in E1 already: with these, one short of a group.
        const nats = Array.from({ length: GROUP_COST_LINES_FROM - 2 }, (_, i) => res("aws:ec2/natGateway:NatGateway", `t-use1-nat-${i}`, {}, { region: E1 }));
        const report = buildPlanReport({ project: "p", stack: "s", resources: [...RESOURCES, ...alarms, ...nats], policy });
        const alarmLines = report.cost.lines.filter((l) => l.resource.startsWith("t-use1-obs-alarm-"));
        expect(alarmLines).toHaveLength(40);
        const md = renderMarkdown(report);
        const total = alarmLines.reduce((t, l) => t + l.monthly, 0);
        expect(md).toContain(`| ${E1} | 40 resources: t-use1-obs-alarm-0 ... t-use1-obs-alarm-39 | 40 x ${alarmLines[0].unit} | ${money(total)} |`);
        expect(md).not.toContain(`| ${E1} | t-use1-obs-alarm-17 |`);
        for (const n of nats) {
            expect(md).toContain(`| ${E1} | ${n.name} |`);
        }
        // Every section has a heading; the text and JSON forms keep one line per resource.
        for (const h of ["#### Architecture", "#### Policies", "#### Monthly cost estimate (USD)", "#### Inventory"]) {
            expect(md).toContain(h);
        }
        expect(renderText(report)).toContain("t-use1-obs-alarm-17");
    });

    test("Markdown stays under GitHub's comment limit: long tables and violations are cut, with a pointer", () => {
        const many = Array.from({ length: 1500 }, (_, i) => res("aws:ec2/natGateway:NatGateway", `t-use1-nat-with-a-rather-long-name-${i}`, {}, { region: E1 }));
        const violations = Array.from({ length: 400 }, (_, i) => ({ ...policy.violations[1], resourceName: `r${i}`, message: "x".repeat(200) }));
        const big = buildPlanReport({ project: "p", stack: "s", resources: [...RESOURCES, ...many], policy: { ...policy, violations, mandatoryCount: 400 } });
        expect(renderText(big).length).toBeGreaterThan(MAX_MARKDOWN_CHARS);
        const md = renderMarkdown(big);
        expect(md.length).toBeLessThanOrEqual(MAX_MARKDOWN_CHARS);
        expect(md).toMatch(/cost lines left out to fit a comment/);
        expect(md).toContain("...and 350 more (run `npm run plan` for all of them).");
        expect(md).toContain(`**${money(big.cost.total.monthly)}**`);
    });
});
