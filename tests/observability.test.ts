import * as aws from "@pulumi/aws";
import {
    ALARM_FAMILIES,
    ALARM_SHAPES,
    AlarmSpec,
    AlarmTargets,
    DEFAULT_QUEUE_DEPTH_METRIC,
    DEFAULT_THRESHOLDS,
    DashboardSpec,
    CACHE_HIT_RATE_EXPRESSION,
    ERROR_RATE_EXPRESSION,
    Observability,
    ObservabilityArgs,
    THRESHOLD_KEYS,
    alertKeyPolicy,
    alertTopicPolicy,
    bytesFree,
    cacheMemberSuffixes,
    dashboardBody,
    planAlarms,
    resolveThresholds,
    subscriptionKey,
    thresholdProblems,
    validateObservabilityArgs,
} from "../components/observability";
import { RegisteredResource, StackRun, runComponent } from "./harness";

const GIB = 1024 ** 3;

describe("DEFAULT_THRESHOLDS", () => {
    test.each<[keyof typeof DEFAULT_THRESHOLDS, number, number, string]>([
        ["cpu", 70, 85, "seed 003"],
        ["memory", 75, 90, "seed 003"],
        ["p95Ms", 300, 500, "seed 003"],
        ["errorRatePercent", 0.5, 1, "seed 003"],
        ["queueDepth", 1000, 5000, "seed 003"],
        ["poolPercent", 80, 95, "seed 003"],
        ["storagePercent", 80, 90, "seed 000 disk usage"],
        ["replicaLagSeconds", 10, 60, "seed 001 (10 s)"],
    ])("%s is %d / %d (%s)", (key, warning, critical) => {
        expect(DEFAULT_THRESHOLDS[key]).toEqual({ warning, critical });
    });

    test("covers exactly the threshold keys", () => {
        expect(Object.keys(DEFAULT_THRESHOLDS).sort()).toEqual([...THRESHOLD_KEYS].sort());
    });
});

describe("resolveThresholds", () => {
    test("no overrides gives the seed defaults", () => {
        expect(resolveThresholds()).toEqual(DEFAULT_THRESHOLDS);
    });

    test("a pair or one side overrides only what it names", () => {
        const t = resolveThresholds({ cpu: { warning: 60, critical: 80 }, queueDepth: { critical: 8000 } });
        expect(t.cpu).toEqual({ warning: 60, critical: 80 });
        expect(t.queueDepth).toEqual({ warning: 1000, critical: 8000 });
        expect(t.memory).toEqual(DEFAULT_THRESHOLDS.memory);
    });

    test.each([
        ["critical below warning", { cpu: { warning: 85, critical: 70 } }, /thresholds\.cpu\.critical: must be above warning \(85\), got 70/],
        ["critical equal to warning", { p95Ms: { warning: 400, critical: 400 } }, /thresholds\.p95Ms\.critical: must be above warning \(400\), got 400/],
        ["a lone critical under the default warning", { queueDepth: { critical: 900 } }, /thresholds\.queueDepth\.critical: must be above warning \(1000\), got 900/],
        ["a lone warning over the default critical", { memory: { warning: 95 } }, /thresholds\.memory\.critical: must be above warning \(95\), got 90/],
        ["an unknown key", { cpuu: { warning: 1, critical: 2 } }, /thresholds\.cpuu: unknown threshold "cpuu"; known thresholds are cpu, memory, p95Ms, errorRatePercent, queueDepth, poolPercent, storagePercent, replicaLagSeconds/],
        ["a percentage above 100", { poolPercent: { warning: 90, critical: 120 } }, /thresholds\.poolPercent\.critical: is a percentage and must be <= 100, got 120/],
        ["zero", { errorRatePercent: { warning: 0, critical: 1 } }, /thresholds\.errorRatePercent\.warning: must be a number > 0, got 0/],
        ["a string", { cpu: { warning: "70", critical: 85 } }, /thresholds\.cpu\.warning: must be a number > 0, got "70"/],
        ["an unknown side", { cpu: { warn: 60, critical: 85 } }, /thresholds\.cpu: unknown field "warn"; a threshold has only warning and critical/],
        ["a pair that is not an object", { cpu: 70 }, /thresholds\.cpu: must be \{ warning, critical \}, got 70/],
    ])("rejects %s with a message naming key and values", (_label, overrides, message) => {
        expect(() => resolveThresholds(overrides as any)).toThrow(message);
        expect(() => resolveThresholds(overrides as any)).toThrow(/Invalid arguments for alert thresholds/);
    });

    test("lists every problem at once", () => {
        const problems = thresholdProblems({ cpu: { warning: 90, critical: 80 }, nope: { warning: 1, critical: 2 } });
        expect(problems.list.map((p) => p.propertyPath)).toEqual(["thresholds.cpu.critical", "thresholds.nope"]);
    });

    test("rejects a thresholds value that is not a map", () => {
        expect(thresholdProblems([1, 2]).list[0].reason).toMatch(/must be a map of threshold key to \{ warning, critical \}, got \[1,2\]/);
    });
});

describe.each([
    [1, 1, undefined, ["001", "002"]],
    [1, 2, false, ["001", "002", "003"]],
    [1, 1, true, ["0001-001", "0001-002"]],
    [3, 1, undefined, ["0001-001", "0001-002", "0002-001", "0002-002", "0003-001", "0003-002"]],
    [2, 0, true, ["0001-001", "0002-001"]],
])("cacheMemberSuffixes(%d shards, %d replicas, clusterMode %s)", (shards, replicas, clusterMode, expected) => {
    test(`is ${expected.join(",")}`, () => expect(cacheMemberSuffixes(shards, replicas, clusterMode)).toEqual(expected));
});

describe.each([
    [32, 75, 8 * GIB],
    [32, 90, 3.2 * GIB],
    [200, 80, 40 * GIB],
    [200, 90, 20 * GIB],
])("bytesFree(%d GiB, %d %% used)", (gib, pct, expected) => {
    test(`is ${expected}`, () => expect(bytesFree(gib, pct)).toBe(Math.round(expected)));
});

describe.each([
    ["oncall@example.com", "oncall-example-com"],
    ["On.Call+db@Example.com", "on-call-db-example-com"],
    ["https://events.pagerduty.com/integration/abc/enqueue", "events-pagerduty-com-integration-abc-enqueue"],
])("subscriptionKey(%s)", (endpoint, key) => {
    test(`is ${key}`, () => expect(subscriptionKey(endpoint)).toBe(key));
});

describe("ALARM_SHAPES", () => {
    test.each(ALARM_FAMILIES.map((f) => [f]))("%s has a sane window and a deliberate missing-data policy", (family) => {
        const s = ALARM_SHAPES[family];
        expect(s.datapointsToAlarm).toBeGreaterThanOrEqual(1);
        expect(s.datapointsToAlarm).toBeLessThanOrEqual(s.evaluationPeriods);
        expect([60, 300]).toContain(s.period);
        for (const level of ["warning", "critical"] as const) {
            expect(["missing", "ignore", "breaching", "notBreaching"]).toContain(s.treatMissingData[level]);
        }
        expect(s.missingDataReason.length).toBeGreaterThan(20);
    });

    test("replica lag and Route53 health treat silence as failure; idle ALBs do not", () => {
        expect(ALARM_SHAPES["rds-replica-lag"].treatMissingData.critical).toBe("breaching");
        expect(ALARM_SHAPES["route53-health"].treatMissingData.critical).toBe("breaching");
        expect(ALARM_SHAPES["alb-p95"].treatMissingData.critical).toBe("notBreaching");
        expect(ALARM_SHAPES["queue-depth"].treatMissingData).toEqual({ warning: "missing", critical: "missing" });
    });
});

const TARGETS: AlarmTargets = {
    loadBalancer: { arnSuffix: "app/lb/1", targetGroups: { api: "targetgroup/api/1", ws: "targetgroup/ws/1" } },
    autoScalingGroups: { general: "asg-general", workers: "asg-workers" },
    database: { instances: { primary: "db-primary" }, replicas: { "replica-1": "db-r1" }, maxConnections: 200, memoryGiB: 32, allocatedStorageGiB: 200 },
    caches: {
        cache: { replicationGroupId: "rg-cache", shards: 3, replicasPerShard: 1 },
        queue: { replicationGroupId: "rg-queue", shards: 1, replicasPerShard: 1 },
        sessions: { replicationGroupId: "rg-sessions", shards: 1, replicasPerShard: 1 },
    },
    queues: ["sla-checks", "notifications", "analytics"],
    queueDepthMetric: DEFAULT_QUEUE_DEPTH_METRIC,
    healthChecks: { "us-east-1": "hc-1" },
};

describe("planAlarms", () => {
    const specs = planAlarms(TARGETS, DEFAULT_THRESHOLDS);
    const byKey = (key: string): AlarmSpec => {
        const s = specs.find((x) => x.key === key);
        if (!s) {
            throw new Error(`no alarm ${key}; have ${specs.map((x) => x.key).join(", ")}`);
        }
        return s;
    };

    test("keys are unique and every family is present", () => {
        expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
        expect(new Set(specs.map((s) => s.family))).toEqual(new Set(ALARM_FAMILIES));
    });

    test.each([
        ["alb-p95", "GreaterThanThreshold", 0.3, 0.5],
        ["alb-5xx", "GreaterThanThreshold", 0.5, 1],
        ["asg-cpu-general", "GreaterThanThreshold", 70, 85],
        ["asg-cpu-workers", "GreaterThanThreshold", 70, 85],
        ["rds-cpu-primary", "GreaterThanThreshold", 70, 85],
        ["rds-cpu-replica-1", "GreaterThanThreshold", 70, 85],
        ["rds-memory-primary", "LessThanThreshold", 8 * GIB, Math.round(3.2 * GIB)],
        ["rds-connections-primary", "GreaterThanThreshold", 160, 190],
        ["rds-storage-primary", "LessThanThreshold", 40 * GIB, 20 * GIB],
        ["rds-replica-lag-replica-1", "GreaterThanThreshold", 10, 60],
        ["cache-memory-cache-0002-001", "GreaterThanThreshold", 75, 90],
        ["cache-cpu-queue-002", "GreaterThanThreshold", 70, 85],
        ["queue-depth-notifications", "GreaterThanThreshold", 1000, 5000],
    ])("%s: %s warning %d, critical %d", (key, op, warning, critical) => {
        const w = byKey(`${key}-warning`);
        const c = byKey(`${key}-critical`);
        expect([w.level, c.level]).toEqual(["warning", "critical"]);
        expect([w.comparisonOperator, c.comparisonOperator]).toEqual([op, op]);
        expect([w.threshold, c.threshold]).toEqual([warning, critical]);
    });

    test("p95 uses the p95 extended statistic of TargetResponseTime per load balancer", () => {
        expect(byKey("alb-p95-warning").metric).toMatchObject({
            namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", extendedStatistic: "p95", dimensions: { LoadBalancer: "app/lb/1" },
        });
        expect(byKey("alb-p95-warning").metric.statistic).toBeUndefined();
    });

    test("5xx rate is metric math over target and ELB 5xx and the request count", () => {
        const queries = byKey("alb-5xx-critical").metric.metricQueries as any[];
        expect(queries.map((q) => q.metric?.metricName ?? q.expression)).toEqual([
            "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "RequestCount", ERROR_RATE_EXPRESSION,
        ]);
        expect(ERROR_RATE_EXPRESSION).toBe("100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests");
        expect(queries.filter((q) => q.returnData).map((q) => q.id)).toEqual(["error_rate"]);
        for (const q of queries.slice(0, 3)) {
            expect(q.metric).toMatchObject({ stat: "Sum", period: 60, dimensions: { LoadBalancer: "app/lb/1" } });
        }
        expect(byKey("alb-5xx-critical").metric.metricName).toBeUndefined();
    });

    test("unhealthy hosts: one warning alarm per target group, > 0, with both dimensions", () => {
        for (const tg of ["api", "ws"]) {
            const s = byKey(`alb-unhealthy-hosts-${tg}-warning`);
            expect(s).toMatchObject({ level: "warning", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
            expect(s.metric).toMatchObject({ metricName: "UnHealthyHostCount", dimensions: { TargetGroup: `targetgroup/${tg}/1`, LoadBalancer: "app/lb/1" } });
        }
    });

    test("replica lag only on replicas", () => {
        expect(specs.filter((s) => s.family === "rds-replica-lag").map((s) => s.key)).toEqual(["rds-replica-lag-replica-1-warning", "rds-replica-lag-replica-1-critical"]);
    });

    test("cache alarms cover every member node; evictions are critical and only on the queue purpose", async () => {
        expect(specs.filter((s) => s.family === "cache-memory")).toHaveLength(2 * (6 + 2 + 2));
        const evictions = specs.filter((s) => s.family === "cache-evictions");
        expect(evictions.map((s) => s.key)).toEqual(["cache-evictions-queue-001-critical", "cache-evictions-queue-002-critical"]);
        expect(evictions.every((s) => s.level === "critical" && s.threshold === 0 && s.metric.statistic === "Sum")).toBe(true);
    });

    test("cache hit rate (seed 004: > 80 %): one warning per node of the cache purpose only, from CacheHits/CacheMisses with an idle floor", () => {
        const hit = specs.filter((s) => s.family === "cache-hit-rate");
        expect(hit.map((s) => s.key)).toEqual(["0001-001", "0001-002", "0002-001", "0002-002", "0003-001", "0003-002"].map((n) => `cache-hit-rate-cache-${n}-warning`));
        for (const s of hit) {
            expect(s).toMatchObject({ level: "warning", comparisonOperator: "LessThanThreshold", threshold: 80 });
            const q = s.metric.metricQueries as any[];
            expect(q.map((x) => x.id)).toEqual(["hits", "misses", "hit_rate"]);
            expect(q.slice(0, 2).map((x) => x.metric.metricName)).toEqual(["CacheHits", "CacheMisses"]);
            expect(q[0].metric).toMatchObject({ namespace: "AWS/ElastiCache", stat: "Sum", period: 300 });
            expect(q.filter((x) => x.returnData).map((x) => x.id)).toEqual(["hit_rate"]);
        }
        expect(hit[0].metric.metricQueries && (hit[0].metric.metricQueries as any[])[0].metric.dimensions).toEqual({ CacheClusterId: expect.anything() });
        expect(CACHE_HIT_RATE_EXPRESSION).toBe("IF(FILL(hits, 0) + FILL(misses, 0) >= 300, 100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(misses, 0)), 100)");
        const off = planAlarms({ ...TARGETS, caches: { cache: { replicationGroupId: "c", shards: 1, replicasPerShard: 0, alarmOnHitRate: false }, pages: { replicationGroupId: "p", shards: 1, replicasPerShard: 0, alarmOnHitRate: true } } }, DEFAULT_THRESHOLDS);
        expect(off.filter((s) => s.family === "cache-hit-rate").map((s) => s.key)).toEqual(["cache-hit-rate-pages-001-warning"]);
    });

    test("alarmOnEvictions overrides the purpose default", () => {
        const custom = planAlarms({ ...TARGETS, caches: { jobs: { replicationGroupId: "rg-jobs", shards: 1, replicasPerShard: 0, alarmOnEvictions: true }, queue: { replicationGroupId: "q", shards: 1, replicasPerShard: 0, alarmOnEvictions: false } } }, DEFAULT_THRESHOLDS);
        expect(custom.filter((s) => s.family === "cache-evictions").map((s) => s.key)).toEqual(["cache-evictions-jobs-001-critical"]);
    });

    test("queue depth reads the documented custom metric", () => {
        expect(byKey("queue-depth-analytics-critical").metric).toMatchObject({ namespace: "ScaledWeb/Queues", metricName: "QueueDepth", dimensions: { Queue: "analytics" }, statistic: "Maximum" });
    });

    test("Route53 health: critical when HealthCheckStatus < 1", () => {
        expect(byKey("route53-health-us-east-1-critical")).toMatchObject({ level: "critical", comparisonOperator: "LessThanThreshold", threshold: 1 });
        expect(byKey("route53-health-us-east-1-critical").metric).toMatchObject({ namespace: "AWS/Route53", metricName: "HealthCheckStatus", dimensions: { HealthCheckId: "hc-1" } });
    });

    test("overridden thresholds flow into every alarm of the family", () => {
        const t = resolveThresholds({ cpu: { warning: 60, critical: 80 }, poolPercent: { warning: 50, critical: 75 } });
        const custom = planAlarms(TARGETS, t);
        const cpu = custom.filter((s) => ["asg-cpu", "rds-cpu", "cache-cpu"].includes(s.family));
        expect(new Set(cpu.filter((s) => s.level === "warning").map((s) => s.threshold))).toEqual(new Set([60]));
        expect(new Set(cpu.filter((s) => s.level === "critical").map((s) => s.threshold))).toEqual(new Set([80]));
        expect(custom.find((s) => s.key === "rds-connections-primary-critical")!.threshold).toBe(150);
    });

    test("nothing to watch plans nothing", () => {
        expect(planAlarms({ autoScalingGroups: {}, caches: {}, queues: [], queueDepthMetric: DEFAULT_QUEUE_DEPTH_METRIC, healthChecks: {} }, DEFAULT_THRESHOLDS)).toEqual([]);
    });
});

const DASHBOARD: DashboardSpec = {
    region: "us-west-2",
    thresholds: DEFAULT_THRESHOLDS,
    loadBalancer: { arnSuffix: "app/lb/1", targetGroups: { api: "targetgroup/api/1", ws: "targetgroup/ws/1" } },
    autoScalingGroups: { general: "asg-general" },
    database: { instances: { primary: "db-primary" }, replicas: { "replica-1": "db-r1" }, maxConnections: 200, memoryGiB: 32, allocatedStorageGiB: 200 },
    caches: { queue: ["rg-queue-001", "rg-queue-002"] },
    queues: ["sla-checks"],
    queueDepthMetric: DEFAULT_QUEUE_DEPTH_METRIC,
    healthChecks: { "us-west-2": "hc-2" },
};

describe("dashboardBody", () => {
    const body = JSON.parse(dashboardBody(DASHBOARD));
    const widget = (title: string): any => {
        const w = body.widgets.find((x: any) => x.properties.title === title);
        if (!w) {
            throw new Error(`no widget ${title}; have ${body.widgets.map((x: any) => x.properties.title).join(", ")}`);
        }
        return w;
    };

    test("lays widgets out two per row without overlap", () => {
        expect(body.widgets.length).toBe(15);
        const cells = body.widgets.map((w: any) => `${w.x},${w.y}`);
        expect(new Set(cells).size).toBe(cells.length);
        for (const w of body.widgets) {
            expect(w).toMatchObject({ type: "metric", width: 12, height: 6 });
            expect([0, 12]).toContain(w.x);
        }
    });

    test("draws the seed thresholds as annotations", () => {
        expect(widget("ALB p95 target response time (s)").properties.annotations.horizontal.map((a: any) => a.value)).toEqual([0.3, 0.5]);
        expect(widget("ALB 5xx rate (%)").properties.annotations.horizontal.map((a: any) => a.value)).toEqual([0.5, 1]);
        expect(widget("Database connections").properties.annotations.horizontal.map((a: any) => a.value)).toEqual([160, 190]);
        expect(widget("Queue depth (waiting + prioritized jobs)").properties.annotations.horizontal.map((a: any) => a.value)).toEqual([1000, 5000]);
        expect(widget("Cache memory used (%)").properties.annotations.horizontal.map((a: any) => a.value)).toEqual([75, 90]);
    });

    test("uses the same metrics as the alarms", () => {
        expect(widget("ALB p95 target response time (s)").properties.metrics).toEqual([["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", "app/lb/1", { stat: "p95" }]]);
        expect(widget("ALB 5xx rate (%)").properties.metrics[0][0]).toMatchObject({ expression: ERROR_RATE_EXPRESSION, id: "error_rate" });
        expect(widget("Replica lag (s)").properties.metrics).toEqual([["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", "db-r1", { stat: "Maximum", label: "replica-1" }]]);
        expect(widget("Cache evictions").properties.metrics.map((m: any) => m[3])).toEqual(["rg-queue-001", "rg-queue-002"]);
    });

    test("widgets read the dashboard's region, except Route53 health which lives in us-east-1", () => {
        expect(widget("ALB requests").properties.region).toBe("us-west-2");
        expect(widget("Route53 health checks (1 = healthy)").properties.region).toBe("us-east-1");
    });

    test("sections with nothing to show are left out", () => {
        const empty = JSON.parse(dashboardBody({ ...DASHBOARD, loadBalancer: undefined, database: undefined, caches: {}, queues: [], autoScalingGroups: {}, healthChecks: {} }));
        expect(empty.widgets).toEqual([]);
    });
});

describe("policies", () => {
    test("the key lets CloudWatch encrypt for the topics and the account administer it", () => {
        const p = JSON.parse(alertKeyPolicy("aws", "123456789012"));
        const cw = p.Statement.find((s: any) => s.Principal.Service === "cloudwatch.amazonaws.com");
        expect(cw).toMatchObject({ Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey*"] });
        expect(p.Statement.find((s: any) => s.Principal.AWS === "arn:aws:iam::123456789012:root")).toMatchObject({ Action: "kms:*" });
    });

    test("the topic accepts CloudWatch alarms of this account and region only, over TLS", () => {
        const arn = "arn:aws:sns:us-west-2:123456789012:t";
        const p = JSON.parse(alertTopicPolicy(arn, "aws", "us-west-2", "123456789012"));
        const cw = p.Statement.find((s: any) => s.Sid === "CloudWatchAlarmsPublish");
        expect(cw).toMatchObject({
            Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: arn,
            Condition: { ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:*" }, StringEquals: { "aws:SourceAccount": "123456789012" } },
        });
        expect(p.Statement.find((s: any) => s.Effect === "Deny")).toMatchObject({ Condition: { Bool: { "aws:SecureTransport": "false" } } });
    });

    test("issue 19: the topic accepts the account's Managed Prometheus alert managers in this region only", () => {
        const arn = "arn:aws:sns:us-west-2:123456789012:t";
        const p = JSON.parse(alertTopicPolicy(arn, "aws", "us-west-2", "123456789012"));
        const aps = p.Statement.find((s: any) => s.Principal?.Service === "aps.amazonaws.com");
        expect(aps).toEqual({
            Sid: "ManagedPrometheusAlertsPublish", Effect: "Allow", Principal: { Service: "aps.amazonaws.com" },
            Action: ["sns:Publish", "sns:GetTopicAttributes"], Resource: arn,
            Condition: { ArnLike: { "aws:SourceArn": "arn:aws:aps:us-west-2:123456789012:workspace/*" }, StringEquals: { "aws:SourceAccount": "123456789012" } },
        });
    });

    test("issue 19: the key lets the account's AMP alert managers encrypt for the topics", () => {
        const p = JSON.parse(alertKeyPolicy("aws", "123456789012"));
        const aps = p.Statement.find((s: any) => s.Principal?.Service === "aps.amazonaws.com");
        expect(aps).toMatchObject({ Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } });
    });
});

const VALID: ObservabilityArgs = {
    region: "us-east-1",
    emails: ["oncall@example.com"],
    httpsEndpoints: ["https://events.example.com/hook"],
    loadBalancer: { arnSuffix: "app/lb/1", targetGroups: { api: "targetgroup/api/1", ws: "targetgroup/ws/1" } },
    autoScalingGroups: { general: "asg-general", workers: "asg-workers" },
    database: { instances: { primary: "db-primary" }, replicas: { "replica-1": "db-r1" }, maxConnections: 200, memoryGiB: 32, allocatedStorageGiB: 200 },
    caches: {
        cache: { replicationGroupId: "rg-cache", shards: 3, replicasPerShard: 1 },
        queue: { replicationGroupId: "rg-queue", shards: 1, replicasPerShard: 1 },
    },
    queues: ["sla-checks", "analytics"],
    healthChecks: { "us-east-1": "hc-use1", "us-west-2": "hc-usw2" },
    tags: { team: "platform" },
};

describe("validateObservabilityArgs", () => {
    test("accepts the valid args", () => {
        expect(validateObservabilityArgs(VALID).list).toEqual([]);
    });

    test.each<[string, Partial<ObservabilityArgs>, RegExp]>([
        ["critical <= warning", { thresholds: { cpu: { warning: 85, critical: 85 } } }, /thresholds\.cpu\.critical: must be above warning \(85\), got 85/],
        ["an unknown threshold", { thresholds: { latency: { warning: 1, critical: 2 } } }, /thresholds\.latency: unknown threshold "latency"/],
        ["a bad region", { region: "mars-1" }, /region: must be an AWS region such as "us-east-1", got "mars-1"/],
        ["health checks outside us-east-1", { region: "eu-west-1" }, /healthChecks: Route53 health check metrics exist only in us-east-1, but this component is in "eu-west-1"/],
        ["a bad e-mail", { emails: ["oncall"] }, /emails\[0\]: must be an e-mail address, got "oncall"/],
        ["a repeated e-mail", { emails: ["a@example.com", "A@example.com"] }, /emails\[1\]: "A@example.com" repeats "a@example.com"/],
        ["a plain-http endpoint", { httpsEndpoints: ["http://hook.example.com"] }, /httpsEndpoints\[0\]: must be an https:\/\/ URL .* got "http:\/\/hook.example.com"/],
        ["max connections 0", { database: { ...VALID.database!, maxConnections: 0 } }, /database\.maxConnections: must be a whole number >= 1, got 0/],
        ["no database instance", { database: { ...VALID.database!, instances: {}, replicas: {} } }, /database: names no instance/],
        ["a key used as instance and replica", { database: { ...VALID.database!, replicas: { primary: "x" } } }, /database\.replicas\.primary: key "primary" is also an instance key/],
        ["a pool name that is not a label", { autoScalingGroups: { General_Pool: "x" } }, /autoScalingGroups\.General_Pool: key "General_Pool" must be a DNS label/],
        ["zero cache shards", { caches: { cache: { replicationGroupId: "x", shards: 0, replicasPerShard: 1 } } }, /caches\.cache\.shards: must be a whole number 1-500, got 0/],
        ["a non-clustered group with shards", { caches: { cache: { replicationGroupId: "x", shards: 2, replicasPerShard: 1, clusterMode: false } } }, /caches\.cache\.clusterMode: is false but shards is 2/],
        ["a repeated queue", { queues: ["a", "a"] }, /queues: must not repeat a queue, got \["a","a"\]/],
        ["a bad queue name", { queues: ["Emails"] }, /queues\[0\]: must be a queue name .* got "Emails"/],
        ["a KMS window outside 7-30", { kmsDeletionWindowDays: 3 }, /kmsDeletionWindowDays: must be a whole number 7-30 \(the KMS limits\), got 3/],
    ])("the component rejects %s", (_label, patch, message) => {
        const args = { ...VALID, ...patch };
        expect(() => new Observability("bad", args)).toThrow(message);
        expect(() => new Observability("bad", args)).toThrow(/Invalid arguments for Observability "bad"/);
    });
});

describe("Observability under mocks", () => {
    let run: StackRun<Observability>;
    let component: RegisteredResource;
    let alarms: RegisteredResource[];
    const alarm = (key: string): RegisteredResource => run.get("aws:cloudwatch/metricAlarm:MetricAlarm", `prod-use1-obs-${key}`);

    beforeAll(async () => {
        // One mocked run for the file: the full component in us-east-1, plus a minimal one in eu-west-1
        // with overridden thresholds and no dashboard.
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
            const euProvider = new aws.Provider("aws-eu-west-1", { region: "eu-west-1" });
            new Observability("t", { region: "eu-west-1", autoScalingGroups: { general: "asg" }, thresholds: { cpu: { warning: 60, critical: 75 } }, dashboard: false }, { provider: euProvider });
            return new Observability("prod-use1-obs", VALID, { provider });
        });
        component = run.get("scaled-web:observability:Observability", "prod-use1-obs");
        alarms = run.descendantsOf(component).filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
    });

    test("every child sits under the component and goes through its provider", () => {
        const children = run.descendantsOf(component);
        expect(children.length).toBeGreaterThan(50);
        for (const c of children) {
            expect(c.region).toBe("us-east-1");
            expect(run.parentOf(c)?.urn).toBe(component.urn);
        }
    });

    test("a rotating KMS key whose policy lets CloudWatch publish", () => {
        const key = run.get("aws:kms/key:Key", "prod-use1-obs-alerts");
        expect(key.inputs.enableKeyRotation).toBe(true);
        expect(key.inputs.deletionWindowInDays).toBe(30);
        const policy = JSON.parse(key.inputs.policy);
        expect(policy.Statement.find((s: any) => s.Principal.Service === "cloudwatch.amazonaws.com").Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
        expect(policy.Statement[0].Principal.AWS).toBe("arn:aws:iam::123456789012:root");
        expect(run.get("aws:kms/alias:Alias", "prod-use1-obs-alerts").inputs.name).toBe("alias/prod-use1-obs-alerts");
    });

    test("two topics encrypted with that key, each with a CloudWatch publish policy", () => {
        const key = run.get("aws:kms/key:Key", "prod-use1-obs-alerts");
        for (const level of ["warning", "critical"]) {
            const topic = run.get("aws:sns/topic:Topic", `prod-use1-obs-${level}`);
            expect(topic.inputs.kmsMasterKeyId).toBe(key.state.arn);
            expect(topic.inputs.tags).toMatchObject({ team: "platform", severity: level });
            const policy = JSON.parse(run.get("aws:sns/topicPolicy:TopicPolicy", `prod-use1-obs-${level}`).inputs.policy);
            const cw = policy.Statement.find((s: any) => s.Sid === "CloudWatchAlarmsPublish");
            expect(cw.Resource).toBe(topic.state.arn);
            expect(cw.Condition.ArnLike["aws:SourceArn"]).toBe("arn:aws:cloudwatch:us-east-1:123456789012:alarm:*");
        }
    });

    test("e-mail and https subscriptions on both topics", () => {
        const subs = run.descendantsOf(component).filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription");
        expect(subs.map((s) => `${s.name} ${s.inputs.protocol} ${s.inputs.endpoint}`).sort()).toEqual([
            "prod-use1-obs-critical-email-oncall-example-com email oncall@example.com",
            "prod-use1-obs-critical-https-events-example-com-hook https https://events.example.com/hook",
            "prod-use1-obs-warning-email-oncall-example-com email oncall@example.com",
            "prod-use1-obs-warning-https-events-example-com-hook https https://events.example.com/hook",
        ]);
        for (const s of subs) {
            const level = s.name.includes("-critical-") ? "critical" : "warning";
            expect(s.inputs.topic).toBe(run.get("aws:sns/topic:Topic", `prod-use1-obs-${level}`).state.arn);
        }
    });

    test("every alarm routes ALARM and OK to the topic of its level", () => {
        const arn = (level: string): string => run.get("aws:sns/topic:Topic", `prod-use1-obs-${level}`).state.arn;
        expect(alarms.length).toBe(run.outputs.alarmNames.length);
        for (const a of alarms) {
            const level = a.inputs.tags.severity;
            expect(["warning", "critical"]).toContain(level);
            expect(a.name.endsWith(`-${level}`)).toBe(true);
            expect(a.inputs.alarmActions).toEqual([arn(level)]);
            expect(a.inputs.okActions).toEqual([arn(level)]);
            expect(a.inputs.name).toBe(a.name);
            expect(a.inputs.alarmDescription).toMatch(new RegExp(`^\\[${level}\\] .* Missing data: ${a.inputs.treatMissingData} \\(`));
            expect(a.inputs.alarmDescription.length).toBeLessThanOrEqual(1024);
        }
    });

    test("alarm windows and missing-data policies come from ALARM_SHAPES", () => {
        for (const a of alarms) {
            const shape = ALARM_SHAPES[a.inputs.tags.family as keyof typeof ALARM_SHAPES];
            expect(a.inputs.evaluationPeriods).toBe(shape.evaluationPeriods);
            expect(a.inputs.datapointsToAlarm).toBe(shape.datapointsToAlarm);
            expect(a.inputs.treatMissingData).toBe(shape.treatMissingData[a.inputs.tags.severity as "warning" | "critical"]);
            if (a.inputs.metricQueries) {
                expect(a.inputs.period).toBeUndefined();
            } else {
                expect(a.inputs.period).toBe(shape.period);
            }
        }
    });

    test("resolved identifiers reach the alarms", () => {
        expect(alarm("alb-p95-critical").inputs).toMatchObject({ extendedStatistic: "p95", threshold: 0.5, dimensions: { LoadBalancer: "app/lb/1" }, evaluateLowSampleCountPercentiles: "ignore" });
        expect(alarm("alb-5xx-warning").inputs.metricQueries[3]).toMatchObject({ id: "error_rate", expression: ERROR_RATE_EXPRESSION, returnData: true });
        expect(alarm("cache-memory-cache-0003-002-critical").inputs.dimensions).toEqual({ CacheClusterId: "rg-cache-0003-002" });
        expect(alarm("cache-evictions-queue-002-critical").inputs.dimensions).toEqual({ CacheClusterId: "rg-queue-002" });
        expect(alarm("rds-replica-lag-replica-1-warning").inputs).toMatchObject({ threshold: 10, dimensions: { DBInstanceIdentifier: "db-r1" } });
        expect(alarm("route53-health-us-west-2-critical").inputs).toMatchObject({ threshold: 1, comparisonOperator: "LessThanThreshold", dimensions: { HealthCheckId: "hc-usw2" } });
    });

    test("a dashboard with the same metrics", () => {
        const dash = run.get("aws:cloudwatch/dashboard:Dashboard", "prod-use1-obs");
        expect(dash.inputs.dashboardName).toBe("prod-use1-obs");
        const body = JSON.parse(dash.inputs.dashboardBody);
        const titles = body.widgets.map((w: any) => w.properties.title);
        expect(titles).toEqual(expect.arrayContaining(["ALB p95 target response time (s)", "ALB 5xx rate (%)", "Node pool CPU (%)", "Database connections", "Replica lag (s)", "Cache memory used (%)", "Queue depth (waiting + prioritized jobs)", "Route53 health checks (1 = healthy)"]));
        const cacheNodes = body.widgets.find((w: any) => w.properties.title === "Cache memory used (%)").properties.metrics.map((m: any) => m[3]);
        expect(cacheNodes).toEqual(["rg-cache-0001-001", "rg-cache-0001-002", "rg-cache-0002-001", "rg-cache-0002-002", "rg-cache-0003-001", "rg-cache-0003-002", "rg-queue-001", "rg-queue-002"]);
    });

    test("overridden thresholds reach the deployed alarms; optional parts stay out", () => {
        const small = run.get("scaled-web:observability:Observability", "t");
        const children = run.descendantsOf(small);
        const thresholds = children.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => [a.name, a.inputs.threshold, a.region]);
        expect(thresholds).toEqual([["t-asg-cpu-general-warning", 60, "eu-west-1"], ["t-asg-cpu-general-critical", 75, "eu-west-1"]]);
        expect(children.filter((r) => r.type === "aws:cloudwatch/dashboard:Dashboard")).toEqual([]);
        expect(children.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
        const policy = JSON.parse(run.get("aws:sns/topicPolicy:TopicPolicy", "t-critical").inputs.policy);
        expect(policy.Statement[1].Condition.ArnLike["aws:SourceArn"]).toBe("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*");
    });
});
