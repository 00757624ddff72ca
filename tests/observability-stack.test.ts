import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { DEFAULT_THRESHOLDS, bytesFree, cacheMemberSuffixes } from "../components/observability";
import { publishedQueueDepthMetric } from "../components/queue-metrics";
import { ConfigError, parseConfig } from "../platform/config";
import { ComputeRegion, DataRegion, EdgeRegion } from "../platform/contracts";
import { healthCheckHome, wireObservability } from "../platform/observability";
import { RegionContext } from "../platform/program";
import { RegisteredResource, StackRun, runComponent, runStack } from "./harness";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "aws:sns/topic:Topic";

/** The prod stack file's raw config, as parseConfig takes it. */
function prodRaw(): any {
    const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8"));
    return Object.fromEntries(Object.entries<any>(doc.config).map(([k, v]) => [k.split(":")[1], v]));
}

function providerOf(run: StackRun<unknown>, r: RegisteredResource): RegisteredResource | undefined {
    return run.ofType("pulumi:providers:aws").find((p) => r.provider?.startsWith(`${p.urn}::`));
}

const family = (a: RegisteredResource): string => a.inputs.tags.family;
const level = (a: RegisteredResource): "warning" | "critical" => a.inputs.tags.severity;

describe.each<[string[], string | undefined]>([
    [["us-east-1", "us-west-2"], "us-east-1"],
    [["us-west-2", "us-east-1"], "us-east-1"],
    [["eu-west-1", "us-west-2"], undefined],
])("healthCheckHome(%j)", (regions, expected) => {
    test(`is ${expected ?? "a dedicated us-east-1 provider"}`, () => {
        expect(healthCheckHome(regions.map((name) => ({ name })))).toBe(expected);
    });
});

describe("a config with critical <= warning is rejected", () => {
    test.each([
        [{ cpu: { warning: 85, critical: 70 } }, /scaled-web:alerts\.thresholds\.cpu\.critical: must be above warning \(85\), got 70/],
        [{ queueDepth: { warning: 5000, critical: 5000 } }, /scaled-web:alerts\.thresholds\.queueDepth\.critical: must be above warning \(5000\), got 5000/],
        [{ p95Ms: { critical: 250 } }, /scaled-web:alerts\.thresholds\.p95Ms\.critical: must be above warning \(300\), got 250/],
        [{ latency: { warning: 1, critical: 2 } }, /scaled-web:alerts\.thresholds\.latency: unknown threshold "latency"; known thresholds are cpu, memory, p95Ms/],
        [{ memory: { warning: 75, critical: 120 } }, /scaled-web:alerts\.thresholds\.memory\.critical: is a percentage and must be <= 100, got 120/],
        [{ cpu: { warn: 60 } }, /scaled-web:alerts\.thresholds\.cpu\.warn: unknown key "warn"; did you mean "warning"\?/],
    ])("by parseConfig: %j", (thresholds, message) => {
        const raw = prodRaw();
        raw.alerts = { ...raw.alerts, thresholds };
        expect(() => parseConfig(raw, "prod")).toThrow(ConfigError);
        expect(() => parseConfig(raw, "prod")).toThrow(message);
    });

    test("by the stack program, before any resource is created", async () => {
        await expect(runStack("prod", { alerts: { emails: ["oncall@example.com"], thresholds: { errorRatePercent: { warning: 1, critical: 0.5 } } } }))
            .rejects.toThrow(/alerts\.thresholds\.errorRatePercent\.critical: must be above warning \(1\), got 0\.5/);
    });

    test("valid overrides resolve against the seed defaults", () => {
        const raw = prodRaw();
        raw.alerts = { thresholds: { cpu: { warning: 60 }, queueDepth: { warning: 2000, critical: 8000 } } };
        const t = parseConfig(raw, "prod").alerts.thresholds;
        expect(t.cpu).toEqual({ warning: 60, critical: 85 });
        expect(t.queueDepth).toEqual({ warning: 2000, critical: 8000 });
        expect(t.memory).toEqual(DEFAULT_THRESHOLDS.memory);
    });
});

/**
 * The prod stack (us-east-1 primary, us-west-2 secondary, large tier): every alarm family in each region
 * with the seed thresholds, routed to the region's topic of its level, through the region's provider.
 */
describe("prod stack observability", () => {
    let run: StackRun;
    const REGIONS = [["us-east-1", "prod-use1"], ["us-west-2", "prod-usw2"]] as const;
    const alarmsIn = (prefix: string): RegisteredResource[] => run.ofType(ALARM).filter((a) => a.name.startsWith(`${prefix}-obs-`));

    beforeAll(async () => {
        run = await runStack("prod");
    });

    test.each(REGIONS)("%s: two KMS-encrypted topics, subscribed from config, through the region's provider", (region, prefix) => {
        const key = run.get("aws:kms/key:Key", `${prefix}-obs-alerts`);
        expect(key.region).toBe(region);
        for (const lvl of ["warning", "critical"]) {
            const topic = run.get(TOPIC, `${prefix}-obs-${lvl}`);
            expect(topic.region).toBe(region);
            expect(providerOf(run, topic)?.name).toBe(`aws-${region}`);
            expect(topic.inputs.kmsMasterKeyId).toBe(key.state.arn);
            const subs = run.ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.topic === topic.state.arn);
            expect(subs.map((s) => [s.inputs.protocol, s.inputs.endpoint])).toEqual([["email", "oncall@example.com"]]);
        }
    });

    const EXPECTED: [string, number, number][] = [
        ["alb-p95", 0.3, 0.5],
        ["alb-5xx", 0.5, 1],
        ["asg-cpu", 70, 85],
        ["rds-cpu", 70, 85],
        ["rds-memory", bytesFree(32, 75), bytesFree(32, 90)],
        ["rds-connections", 160, 190],
        ["rds-storage", bytesFree(200, 80), bytesFree(200, 90)],
        ["rds-replica-lag", 10, 60],
        ["cache-memory", 75, 90],
        ["cache-cpu", 70, 85],
        ["queue-depth", 1000, 5000],
    ];

    describe.each(REGIONS)("%s", (region, prefix) => {
        test.each(EXPECTED)("%s alarms exist at warning %d / critical %d", (fam, warning, critical) => {
            const alarms = alarmsIn(prefix).filter((a) => family(a) === fam);
            expect(alarms.length).toBeGreaterThanOrEqual(2);
            expect(alarms.filter((a) => level(a) === "warning").length).toBe(alarms.filter((a) => level(a) === "critical").length);
            for (const a of alarms) {
                expect(a.inputs.threshold).toBe(level(a) === "warning" ? warning : critical);
            }
        });

        test("single-level alarms: unhealthy hosts per target group (warning), queue-store evictions (critical)", () => {
            const unhealthy = alarmsIn(prefix).filter((a) => family(a) === "alb-unhealthy-hosts");
            expect(unhealthy.map((a) => a.name).sort()).toEqual([`${prefix}-obs-alb-unhealthy-hosts-api-warning`, `${prefix}-obs-alb-unhealthy-hosts-ws-warning`]);
            const evictions = alarmsIn(prefix).filter((a) => family(a) === "cache-evictions");
            expect(evictions.length).toBeGreaterThan(0);
            for (const a of evictions) {
                expect(a.name).toMatch(new RegExp(`^${prefix}-obs-cache-evictions-queue-\\d{3}-critical$`));
                expect(a.inputs).toMatchObject({ threshold: 0, comparisonOperator: "GreaterThanThreshold", statistic: "Sum" });
            }
        });

        test("every alarm is in the region, through its provider, and notifies the topic of its level on ALARM and OK", () => {
            const alarms = alarmsIn(prefix);
            expect(alarms.length).toBeGreaterThan(40);
            const topicArn = (lvl: string): string => run.get(TOPIC, `${prefix}-obs-${lvl}`).state.arn;
            for (const a of alarms) {
                expect(a.region).toBe(region);
                expect(providerOf(run, a)?.name).toBe(`aws-${region}`);
                expect(a.name.endsWith(`-${level(a)}`)).toBe(true);
                expect(a.inputs.alarmActions).toEqual([topicArn(level(a))]);
                expect(a.inputs.okActions).toEqual([topicArn(level(a))]);
                expect(topicArn(level(a))).toContain(`:sns:${region}:`);
            }
        });

        test("alarms watch this region's load balancer, node pools, database instances, cache nodes and queues", () => {
            const alarms = alarmsIn(prefix);
            const dims = (fam: string, key: string): Set<string> => new Set(alarms.filter((a) => family(a) === fam).map((a) => a.inputs.dimensions?.[key] ?? a.inputs.metricQueries?.[0].metric.dimensions[key]));
            const inRegion = (type: string): RegisteredResource[] => run.ofType(type).filter((r) => r.region === region);

            const lbs = inRegion("aws:lb/loadBalancer:LoadBalancer");
            expect(lbs).toHaveLength(1);
            expect(dims("alb-p95", "LoadBalancer")).toEqual(new Set([lbs[0].state.arnSuffix]));
            expect(dims("alb-5xx", "LoadBalancer")).toEqual(new Set([lbs[0].state.arnSuffix]));
            expect(dims("alb-unhealthy-hosts", "TargetGroup")).toEqual(new Set(inRegion("aws:lb/targetGroup:TargetGroup").map((t) => t.state.arnSuffix)));

            const asgs = [...inRegion("aws:autoscaling/group:Group").map((g) => g.state.name), ...inRegion("aws:eks/nodeGroup:NodeGroup").map((g) => g.state.resources[0].autoscalingGroups[0].name)];
            expect([...dims("asg-cpu", "AutoScalingGroupName")].sort()).toEqual([...new Set(asgs)].sort());
            // One pair per ASG: each zone's group of the general pool, and the workers' single group.
            expect(alarms.filter((a) => family(a) === "asg-cpu").map((a) => a.name).sort()).toEqual(
                [...["a", "b", "c"].map((az) => `general-${region}${az}`), "workers"].flatMap((p) => [`${prefix}-obs-asg-cpu-${p}-critical`, `${prefix}-obs-asg-cpu-${p}-warning`]));

            const dbs = inRegion("aws:rds/instance:Instance");
            expect(dbs.length).toBeGreaterThan(0);
            expect(dims("rds-cpu", "DBInstanceIdentifier")).toEqual(new Set(dbs.map((d) => d.state.identifier)));
            const replicas = dbs.filter((d) => d.inputs.replicateSourceDb);
            expect(replicas.length).toBeGreaterThan(0);
            expect(dims("rds-replica-lag", "DBInstanceIdentifier")).toEqual(new Set(replicas.map((d) => d.state.identifier)));

            const nodes = inRegion("aws:elasticache/replicationGroup:ReplicationGroup").flatMap((g) => {
                const clustered = g.inputs.clusterMode === "enabled";
                const suffixes = clustered ? cacheMemberSuffixes(g.inputs.numNodeGroups, g.inputs.replicasPerNodeGroup, true) : cacheMemberSuffixes(1, g.inputs.numCacheClusters - 1, false);
                return suffixes.map((s) => `${g.state.id ?? `${g.name}-id`}-${s}`);
            });
            expect(nodes.length).toBeGreaterThan(0);
            expect([...dims("cache-memory", "CacheClusterId")].sort()).toEqual(nodes.sort());
            expect([...dims("cache-cpu", "CacheClusterId")].sort()).toEqual(nodes.sort());

            expect(dims("queue-depth", "Queue")).toEqual(new Set(["sla-checks", "notifications", "analytics"]));
        });

        test("queue-depth alarms read exactly what the region's queue-metrics publisher publishes, and it may publish it", () => {
            const publisher = run.get("kubernetes:apps/v1:Deployment", `${prefix}-queue-metrics-deployment`);
            const env = Object.fromEntries(publisher.inputs.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
            expect(env.AWS_REGION).toBe(region);
            const published = publishedQueueDepthMetric(env.METRICS_NAMESPACE);
            const alarms = alarmsIn(prefix).filter((a) => family(a) === "queue-depth");
            expect(alarms.length).toBe(2 * env.QUEUE_NAMES.split(",").length);
            for (const a of alarms) {
                expect(a.region).toBe(region);
                expect([a.inputs.namespace, a.inputs.metricName, Object.keys(a.inputs.dimensions)]).toEqual([published.namespace, published.metricName, [published.dimension]]);
                expect(env.QUEUE_NAMES.split(",")).toContain(a.inputs.dimensions[published.dimension]);
            }
            // The stack's one queue-metrics role (EKS Pod Identity), associated with this region's publisher.
            const role = run.get("aws:iam/role:Role", "prod-queue-metrics");
            expect(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", `prod-queue-metrics-${prefix}-queue-metrics`).inputs).toMatchObject({
                serviceAccount: "queue-metrics", roleArn: role.state.arn, clusterName: `${prefix}-eks`,
            });
            const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "prod-queue-metrics").inputs.policy);
            expect(policy.Statement).toEqual([expect.objectContaining({
                Effect: "Allow", Action: "cloudwatch:PutMetricData", Condition: { StringEquals: { "cloudwatch:namespace": published.namespace } },
            })]);
        });

        test("a dashboard of the same metrics in the region", () => {
            const dash = run.get("aws:cloudwatch/dashboard:Dashboard", `${prefix}-obs`);
            expect(dash.region).toBe(region);
            const body = JSON.parse(dash.inputs.dashboardBody);
            const titles = body.widgets.map((w: any) => w.properties.title);
            expect(titles).toEqual(expect.arrayContaining(["ALB p95 target response time (s)", "ALB 5xx rate (%)", "Unhealthy targets", "Node pool CPU (%)",
                "Database CPU (%)", "Database connections", "Replica lag (s)", "Cache memory used (%)", "Cache evictions", "Queue depth (waiting + prioritized jobs)"]));
            for (const w of body.widgets.filter((x: any) => !x.properties.title.startsWith("Route53"))) {
                expect(w.properties.region).toBe(region);
            }
        });
    });

    test("Route53 health check alarms: one per hostname's check in each region, in us-east-1 through the primary's provider, to its critical topic", () => {
        // The regions' endpoint checks (the database's reader checks watch alarms themselves).
        const checks = run.ofType("aws:route53/healthCheck:HealthCheck").filter((c) => c.inputs.type === "HTTPS");
        expect(checks).toHaveLength(4);
        const alarms = run.ofType(ALARM).filter((a) => family(a) === "route53-health");
        expect(alarms.map((a) => a.name).sort()).toEqual(["api-us-east-1", "api-us-west-2", "ws-us-east-1", "ws-us-west-2"].map((k) => `prod-use1-obs-route53-health-${k}-critical`));
        const critical = run.get(TOPIC, "prod-use1-obs-critical");
        for (const a of alarms) {
            expect(a.region).toBe("us-east-1");
            expect(providerOf(run, a)?.name).toBe("aws-us-east-1");
            expect(a.inputs).toMatchObject({ namespace: "AWS/Route53", metricName: "HealthCheckStatus", comparisonOperator: "LessThanThreshold", threshold: 1, treatMissingData: "breaching" });
            expect(a.inputs.alarmActions).toEqual([critical.state.arn]);
        }
        expect(new Set(alarms.map((a) => a.inputs.dimensions.HealthCheckId))).toEqual(new Set(checks.map((c) => `${c.name}-id`)));
        expect(run.ofType("pulumi:providers:aws").map((p) => p.name).sort()).toEqual(["aws-us-east-1", "aws-us-west-2"]);
    });
});

/** A stack without us-east-1: the health check alarms get a dedicated us-east-1 provider and topics. */
describe("wireObservability without a us-east-1 region", () => {
    let run: StackRun<unknown>;

    beforeAll(async () => {
        const raw = prodRaw();
        raw.regions = { "eu-west-1": { role: "primary", weight: 70 }, "us-west-2": { role: "secondary", weight: 30 } };
        const config = parseConfig(raw, "prod");
        run = await runComponent(() => {
            const regions = config.regions.map((region) => ({
                config, region, prefix: `prod-${region.name === "eu-west-1" ? "euw1" : "usw2"}`,
                provider: new aws.Provider(`aws-${region.name}`, { region: region.name as aws.Region }),
            }) as unknown as RegionContext);
            const id = (s: string): pulumi.Output<string> => pulumi.output(s);
            const compute = new Map(config.regions.map((r) => [r.name, { autoScalingGroupNames: { general: id(`asg-general-${r.name}`) } } as unknown as ComputeRegion]));
            const data = new Map(config.regions.map((r) => [r.name, {
                databaseInstanceIds: r.role === "primary" ? [id("db-primary")] : [],
                replicaInstanceIds: [id(`db-replica-${r.name}`)],
                cacheReplicationGroupIds: { queue: id(`rg-queue-${r.name}`) },
                maxConnections: 200,
            } as unknown as DataRegion]));
            const edge = new Map(config.regions.map((r) => [r.name, {
                loadBalancerArnSuffix: id(`app/lb-${r.name}/1`), targetGroupArnSuffixes: { api: id("targetgroup/api/1"), ws: id("targetgroup/ws/1") },
            } as unknown as EdgeRegion]));
            const dns = { healthCheckIds: { "eu-west-1": id("hc-euw1"), "us-west-2": id("hc-usw2") } };
            wireObservability(config, regions, { compute, data, edge, dns });
            return {};
        });
    });

    test("a dedicated us-east-1 provider carries the Route53 alarms and their topics", () => {
        const provider = run.get("pulumi:providers:aws", "aws-us-east-1-observability");
        expect(provider.inputs.region).toBe("us-east-1");
        const alarms = run.ofType(ALARM).filter((a) => family(a) === "route53-health");
        expect(alarms.map((a) => [a.name, a.inputs.dimensions.HealthCheckId]).sort()).toEqual([
            ["prod-route53-obs-route53-health-eu-west-1-critical", "hc-euw1"],
            ["prod-route53-obs-route53-health-us-west-2-critical", "hc-usw2"],
        ]);
        const topic = run.get(TOPIC, "prod-route53-obs-critical");
        expect(topic.region).toBe("us-east-1");
        for (const a of alarms) {
            expect(a.region).toBe("us-east-1");
            expect(providerOf(run, a)?.name).toBe("aws-us-east-1-observability");
            expect(a.inputs.alarmActions).toEqual([topic.state.arn]);
        }
        const component = run.get("scaled-web:observability:Observability", "prod-route53-obs");
        expect(run.descendantsOf(component).filter((r) => r.type === ALARM)).toHaveLength(2);
    });

    test("regional components keep their own alarms and none of the Route53 ones", () => {
        for (const [region, prefix] of [["eu-west-1", "prod-euw1"], ["us-west-2", "prod-usw2"]]) {
            const alarms = run.ofType(ALARM).filter((a) => a.name.startsWith(`${prefix}-obs-`));
            expect(alarms.length).toBeGreaterThan(10);
            expect(alarms.filter((a) => family(a) === "route53-health")).toEqual([]);
            expect(new Set(alarms.map((a) => a.region))).toEqual(new Set([region]));
            expect(alarms.filter((a) => family(a) === "cache-evictions").map((a) => a.name)).toEqual([`${prefix}-obs-cache-evictions-queue-001-critical`, `${prefix}-obs-cache-evictions-queue-002-critical`]);
        }
        expect(run.get(ALARM, "prod-usw2-obs-rds-replica-lag-replica-1-warning").inputs.dimensions).toEqual({ DBInstanceIdentifier: "db-replica-us-west-2" });
        expect(run.get(ALARM, "prod-euw1-obs-rds-cpu-primary-critical").inputs.dimensions).toEqual({ DBInstanceIdentifier: "db-primary" });
    });
});
