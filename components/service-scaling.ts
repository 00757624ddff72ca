/**
 * KEDA triggers for the HTTP services (api, ws): what `RegionalDeployment`'s ScaledObject scales on
 * besides CPU and memory. Pure builders, so tests and the platform can check them without a cluster.
 *
 * Sources (KEDA v2.18.3, the pinned chart's appVersion; kedacore/keda at tag v2.18.3):
 * - `pkg/scalers/aws_cloudwatch_scaler.go`: metadata `namespace`, `metricName`, `dimensionName` /
 *   `dimensionValue` (`;`-separated, same length), `metricStat` (default Average), `metricStatPeriod`
 *   (1, 5, 10, 30, 60 or a multiple of 60), `metricCollectionTime` (a multiple of the period),
 *   `metricEndTimeOffset`, `targetMetricValue`, `minMetricValue` (required; used when CloudWatch has no
 *   datapoint and `ignoreNullValues` is true, the default), `awsRegion`, `identityOwner`. The scaler takes
 *   `MetricDataResults[0].Values[0]`, the newest period of the window.
 * - `pkg/scalers/aws/aws_common.go` + `aws_config_cache.go`: with a TriggerAuthentication
 *   `podIdentity.provider: aws` and no `roleArn`, KEDA loads the AWS SDK's default credential chain of
 *   the KEDA operator pod itself (IRSA web identity or EKS Pod Identity, whichever the operator has).
 *   `identityOwner: keda` (CRD enum keda|workload) says so explicitly; `aws-eks` is the deprecated provider.
 * - `pkg/scalers/cron_scaler.go`: metadata `timezone`, `start`, `end` (5-field cron), `desiredReplicas`
 *   (must not be 0; start != end).
 * - `pkg/scalers/cpu_memory_scaler.go`: trigger-level `metricType: Utilization` with metadata `value`.
 */
import * as pulumi from "@pulumi/pulumi";

/** ALB metrics namespace and the per-target-group request count (ELB User Guide, "CloudWatch metrics for your Application Load Balancer"). */
export const ALB_NAMESPACE = "AWS/ApplicationELB";
export const ALB_REQUEST_COUNT = "RequestCount";
/** One-minute periods: the ALB publishes every 60 s. */
export const CLOUDWATCH_PERIOD_SECONDS = 60;
/** Read the last 3 minutes and skip the current, still-filling minute. */
export const CLOUDWATCH_COLLECTION_SECONDS = 180;
export const CLOUDWATCH_END_OFFSET_SECONDS = 60;
/** Seed 000 (KEDA trigger `threshold: '1000'` on `http_requests_per_second`) and seed 002 (`threshold_up: 1000`). */
export const DEFAULT_REQUESTS_PER_SECOND_PER_POD = 1000;
/** Seed 003: "WebSocket servers: 10k connections per server". */
export const DEFAULT_CONNECTIONS_PER_POD = 10_000;
/** The gauge the reference app's ws role publishes (app/src/ws.js): connected Socket.IO clients of one pod. */
export const DEFAULT_CONNECTION_METRIC = { namespace: "ScaledWeb/WebSockets", metricName: "ActiveConnections", dimension: "Stack" } as const;
/** Trigger names (unique per ScaledObject; shown in KEDA's metrics and events). */
export const SCALING_TRIGGER_NAMES = { cpu: "cpu", memory: "memory", requestRate: "request-rate", connections: "connections" } as const;
/** KEDA's operator service account in the chart's defaults (kedacore/charts v2.18.3 keda/values.yaml `serviceAccount.operator.name`). */
export const KEDA_OPERATOR_SERVICE_ACCOUNT = "keda-operator";

/** The api's request-rate signal: the ALB's request count for the service's target group. */
export interface RequestRateTrigger {
    /** `app/<name>/<id>`: the load balancer's `arnSuffix` (the `LoadBalancer` dimension). */
    readonly loadBalancerArnSuffix: pulumi.Input<string>;
    /** `targetgroup/<name>/<id>`: the target group's `arnSuffix` (the `TargetGroup` dimension). */
    readonly targetGroupArnSuffix: pulumi.Input<string>;
    /** Requests per second one pod should serve; KEDA adds pods above it. */
    readonly requestsPerSecondPerPod: number;
    /** Region of the load balancer (its CloudWatch). */
    readonly region: string;
}

/** The ws connection signal: a per-pod gauge the pods publish to CloudWatch. */
export interface ConnectionTrigger {
    /** CloudWatch namespace. @default "ScaledWeb/WebSockets" */
    readonly namespace?: string;
    /** @default "ActiveConnections" */
    readonly metricName?: string;
    /** Dimensions the pods publish with, e.g. `{ Stack: "scaled-web/prod" }` (CloudWatch is regional, so the region is implied). */
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    /** Open connections one pod should hold; KEDA adds pods above it. */
    readonly connectionsPerPod: number;
    readonly region: string;
}

/** A replica floor for a time window (KEDA cron trigger). */
export interface ReplicaSchedule {
    /** Trigger name suffix: the trigger is `schedule_<name>` (see `scheduleTriggerName`). A DNS label. */
    readonly name: string;
    /** IANA time zone, e.g. "Europe/Berlin". */
    readonly timezone: string;
    /** 5-field cron expression at which the floor starts, e.g. "0 6 * * *". */
    readonly start: string;
    /** 5-field cron expression at which it ends, e.g. "0 22 * * *". */
    readonly end: string;
    /** Replicas kept between start and end (>= 1). */
    readonly desiredReplicas: number;
}

/**
 * Request-rate trigger. Why `RequestCount` and not `RequestCountPerTarget`: the latter is already averaged over
 * the target group's registered targets (the pods, with IP targets), and KEDA's `AverageValue` divides the metric
 * by the replica count once more. The target group's total request count per minute, divided by the replica
 * count (AverageValue), is requests per pod per minute whatever the target type, so the target is
 * `requestsPerSecondPerPod * 60`.
 */
export function requestRateTrigger(t: RequestRateTrigger, authName: pulumi.Input<string>): Record<string, unknown> {
    return {
        type: "aws-cloudwatch",
        name: SCALING_TRIGGER_NAMES.requestRate,
        metricType: "AverageValue",
        metadata: {
            namespace: ALB_NAMESPACE,
            metricName: ALB_REQUEST_COUNT,
            // RequestCount per target group needs both dimensions (TargetGroup, LoadBalancer).
            dimensionName: "LoadBalancer;TargetGroup",
            dimensionValue: pulumi.interpolate`${t.loadBalancerArnSuffix};${t.targetGroupArnSuffix}`,
            metricStat: "Sum",
            metricStatPeriod: String(CLOUDWATCH_PERIOD_SECONDS),
            metricCollectionTime: String(CLOUDWATCH_COLLECTION_SECONDS),
            metricEndTimeOffset: String(CLOUDWATCH_END_OFFSET_SECONDS),
            targetMetricValue: String(t.requestsPerSecondPerPod * CLOUDWATCH_PERIOD_SECONDS),
            minMetricValue: "0",
            awsRegion: t.region,
        },
        authenticationRef: { name: authName },
    };
}

/**
 * Connection trigger: the pods' gauge averaged over a minute (statistic Average over every pod's
 * datapoints = connections per pod), compared with `connectionsPerPod` as a `Value` target, which makes
 * the HPA compute `ceil(replicas * average / target)`: the same rule as a utilization target.
 */
export function connectionTrigger(t: ConnectionTrigger, authName: pulumi.Input<string>): Record<string, unknown> {
    const names = Object.keys(t.dimensions);
    return {
        type: "aws-cloudwatch",
        name: SCALING_TRIGGER_NAMES.connections,
        metricType: "Value",
        metadata: {
            namespace: t.namespace ?? DEFAULT_CONNECTION_METRIC.namespace,
            metricName: t.metricName ?? DEFAULT_CONNECTION_METRIC.metricName,
            dimensionName: names.join(";"),
            dimensionValue: pulumi.all(names.map((n) => t.dimensions[n])).apply((v) => v.join(";")),
            metricStat: "Average",
            metricStatPeriod: String(CLOUDWATCH_PERIOD_SECONDS),
            metricCollectionTime: String(CLOUDWATCH_COLLECTION_SECONDS),
            metricEndTimeOffset: String(CLOUDWATCH_END_OFFSET_SECONDS),
            targetMetricValue: String(t.connectionsPerPod),
            minMetricValue: "0",
            awsRegion: t.region,
        },
        authenticationRef: { name: authName },
    };
}

/**
 * Trigger name of a schedule: `schedule_<name>` with `-` as `_`, so a `scalingModifiers` formula (an
 * expr-lang expression over trigger names, apis/keda/v1alpha1/scaledobject_webhook.go at v2.18.3) can
 * name it (a `-` would read as a minus).
 */
export function scheduleTriggerName(name: string): string {
    return `schedule_${name.replace(/-/g, "_")}`;
}

/**
 * One KEDA cron trigger per schedule: while active its metric is `desiredReplicas` against a target of 1
 * per pod, so the HPA keeps at least that many replicas; outside the window it reports 0.
 */
export function cronTriggers(schedules: readonly ReplicaSchedule[]): Record<string, unknown>[] {
    return schedules.map((s) => ({
        type: "cron",
        name: scheduleTriggerName(s.name),
        metadata: { timezone: s.timezone, start: s.start, end: s.end, desiredReplicas: String(s.desiredReplicas) },
    }));
}

/** CPU and memory triggers (`metricType: Utilization`, % of the request). */
export function resourceTriggers(cpuPercent: number, memoryPercent: number): Record<string, unknown>[] {
    return [
        { type: "cpu", name: SCALING_TRIGGER_NAMES.cpu, metricType: "Utilization", metadata: { value: String(cpuPercent) } },
        { type: "memory", name: SCALING_TRIGGER_NAMES.memory, metricType: "Utilization", metadata: { value: String(memoryPercent) } },
    ];
}

/** TriggerAuthentication spec: the KEDA operator's own AWS identity (see the file comment). */
export function operatorAwsIdentity(): Record<string, unknown> {
    return { podIdentity: { provider: "aws", identityOwner: "keda" } };
}

/**
 * Least privilege for the KEDA operator's role: reading metrics. `GetMetricData` (what the scaler calls)
 * and `GetMetricStatistics` support no resource-level permissions (Service Authorization Reference,
 * Amazon CloudWatch: resource type column empty), hence `*`.
 */
export function kedaCloudWatchPolicy(): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"], Resource: "*" }],
    };
}

/** `cloudwatch:PutMetricData` limited to one namespace (the ws pods' connection gauge). */
export function connectionMetricsPolicy(namespace: string = DEFAULT_CONNECTION_METRIC.namespace): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "PutConnectionCount",
            Effect: "Allow",
            Action: "cloudwatch:PutMetricData",
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
        }],
    };
}
