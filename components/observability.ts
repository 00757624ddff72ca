import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, Problems, show } from "./validation";

// ---------------------------------------------------------------------------------------------
// Thresholds: the seeds' warning / critical pairs.
// ---------------------------------------------------------------------------------------------

/** Keys of the overridable threshold pairs (`alerts.thresholds.<key>` in stack config). */
export const THRESHOLD_KEYS = ["cpu", "memory", "p95Ms", "errorRatePercent", "queueDepth", "poolPercent", "storagePercent", "replicaLagSeconds"] as const;
export type ThresholdKey = (typeof THRESHOLD_KEYS)[number];
export type AlertLevel = "warning" | "critical";

export interface ThresholdPair {
    /** Above this the warning alarm fires (warning topic). */
    readonly warning: number;
    /** Above this the critical alarm fires (critical topic); must be above `warning`. */
    readonly critical: number;
}

export type Thresholds = Readonly<Record<ThresholdKey, ThresholdPair>>;

/** Partial overrides keyed by threshold key; a pair may override one side only. */
export type ThresholdOverrides = Readonly<Record<string, Partial<ThresholdPair>>>;

/**
 * Defaults. Seed 003's "Scaling Indicators" table gives the first six pairs; seed 000's capacity table
 * gives disk usage 80 / 90 %; seed 001 says replication lag > 10 s means scale (warning). The critical
 * replica lag of 60 s is this project's choice: a minute-stale replica breaks read-after-write flows
 * users notice, so it pages.
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
    cpu: { warning: 70, critical: 85 },
    memory: { warning: 75, critical: 90 },
    p95Ms: { warning: 300, critical: 500 },
    errorRatePercent: { warning: 0.5, critical: 1 },
    queueDepth: { warning: 1000, critical: 5000 },
    poolPercent: { warning: 80, critical: 95 },
    storagePercent: { warning: 80, critical: 90 },
    replicaLagSeconds: { warning: 10, critical: 60 },
};

/** Thresholds that are percentages (0-100]. */
const PERCENT_KEYS: ReadonlySet<ThresholdKey> = new Set(["cpu", "memory", "errorRatePercent", "poolPercent", "storagePercent"]);

/**
 * Checks threshold overrides: known keys only, finite positive numbers, percentages <= 100, and the
 * merged pair's critical strictly above its warning. Paths are `thresholds.<key>[.side]`.
 */
export function thresholdProblems(overrides: unknown, problems: Problems = new Problems()): Problems {
    if (overrides === undefined) {
        return problems;
    }
    if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
        problems.add("thresholds", `must be a map of threshold key to { warning, critical }, got ${show(overrides)}`);
        return problems;
    }
    for (const [key, pair] of Object.entries(overrides as Record<string, unknown>)) {
        const path = `thresholds.${key}`;
        if (!(THRESHOLD_KEYS as readonly string[]).includes(key)) {
            problems.add(path, `unknown threshold "${key}"; known thresholds are ${THRESHOLD_KEYS.join(", ")}`);
            continue;
        }
        if (pair === null || typeof pair !== "object" || Array.isArray(pair)) {
            problems.add(path, `must be { warning, critical }, got ${show(pair)}`);
            continue;
        }
        const unknownSides = Object.keys(pair).filter((s) => s !== "warning" && s !== "critical");
        if (unknownSides.length > 0) {
            problems.add(path, `unknown field${unknownSides.length > 1 ? "s" : ""} ${unknownSides.map((s) => `"${s}"`).join(", ")}; a threshold has only warning and critical`);
        }
        const k = key as ThresholdKey;
        const given = pair as Partial<Record<AlertLevel, unknown>>;
        let valid = true;
        for (const side of ["warning", "critical"] as const) {
            const v = given[side];
            if (v === undefined) {
                continue;
            }
            if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
                problems.add(`${path}.${side}`, `must be a number > 0, got ${show(v)}`);
                valid = false;
            } else if (PERCENT_KEYS.has(k) && v > 100) {
                problems.add(`${path}.${side}`, `is a percentage and must be <= 100, got ${v}`);
                valid = false;
            }
        }
        if (!valid) {
            continue;
        }
        const warning = (given.warning as number | undefined) ?? DEFAULT_THRESHOLDS[k].warning;
        const critical = (given.critical as number | undefined) ?? DEFAULT_THRESHOLDS[k].critical;
        if (critical <= warning) {
            problems.add(`${path}.critical`, `must be above warning (${warning}), got ${critical}; critical is the escalation of warning, so raise critical or lower warning`);
        }
    }
    return problems;
}

/**
 * The seed defaults with `overrides` applied. Throws one `pulumi.InputPropertiesError` naming every
 * bad key and value (unknown key, non-positive value, percentage above 100, critical <= warning).
 */
export function resolveThresholds(overrides: ThresholdOverrides = {}): Thresholds {
    thresholdProblems(overrides).throwIfAny("alert thresholds");
    const out = {} as Record<ThresholdKey, ThresholdPair>;
    for (const key of THRESHOLD_KEYS) {
        const o = overrides[key] ?? {};
        out[key] = { warning: o.warning ?? DEFAULT_THRESHOLDS[key].warning, critical: o.critical ?? DEFAULT_THRESHOLDS[key].critical };
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Alarm shapes: period, evaluation window and missing-data policy per alarm family.
// ---------------------------------------------------------------------------------------------

export type TreatMissingData = "missing" | "ignore" | "breaching" | "notBreaching";

export const ALARM_FAMILIES = [
    "alb-p95", "alb-5xx", "alb-unhealthy-hosts", "asg-cpu",
    "rds-cpu", "rds-memory", "rds-connections", "rds-storage", "rds-replica-lag",
    "cache-memory", "cache-cpu", "cache-evictions", "cache-hit-rate", "queue-depth", "route53-health",
] as const;
export type AlarmFamily = (typeof ALARM_FAMILIES)[number];

export interface AlarmShape {
    /** Seconds per datapoint. */
    readonly period: number;
    readonly evaluationPeriods: number;
    /** Breaching datapoints within `evaluationPeriods` that fire the alarm ("M out of N"). */
    readonly datapointsToAlarm: number;
    /** What a period without data counts as, per level. */
    readonly treatMissingData: Readonly<Record<AlertLevel, TreatMissingData>>;
    /** Why the missing-data policy is what it is (goes into every alarm description). */
    readonly missingDataReason: string;
}

const both = (t: TreatMissingData): Readonly<Record<AlertLevel, TreatMissingData>> => ({ warning: t, critical: t });

/**
 * One shape per family. Windows are short for user-facing symptoms (3 of 5 minutes), longer for
 * capacity signals that autoscaling should absorb first (seed 003 scales up after 2 minutes at 70 %,
 * so a CPU alarm that still fires after 5-10 minutes means scaling is not keeping up).
 */
export const ALARM_SHAPES: Readonly<Record<AlarmFamily, AlarmShape>> = {
    "alb-p95": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: both("notBreaching"),
        missingDataReason: "no requests means no latency samples; an idle load balancer is healthy",
    },
    "alb-5xx": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: both("notBreaching"),
        missingDataReason: "no requests means no error rate; a missing 5xx count is read as zero (FILL)",
    },
    "alb-unhealthy-hosts": {
        period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: both("notBreaching"),
        missingDataReason: "a target group with no registered targets publishes nothing; losing every target shows up in the 5xx and Route53 alarms",
    },
    "asg-cpu": {
        period: 300, evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: both("notBreaching"),
        missingDataReason: "a pool scaled to zero nodes has no CPU to watch (EC2 basic monitoring publishes every 5 minutes, hence the period)",
    },
    "rds-cpu": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: both("missing"),
        missingDataReason: "RDS publishes every minute while the instance exists; a gap is shown as INSUFFICIENT_DATA rather than guessed either way",
    },
    "rds-memory": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: both("missing"),
        missingDataReason: "RDS publishes every minute while the instance exists; a gap is shown as INSUFFICIENT_DATA rather than guessed either way",
    },
    "rds-connections": {
        period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: both("missing"),
        missingDataReason: "RDS publishes every minute while the instance exists; a gap is shown as INSUFFICIENT_DATA rather than guessed either way",
    },
    "rds-storage": {
        period: 300, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: both("missing"),
        missingDataReason: "free storage changes slowly; a gap is shown as INSUFFICIENT_DATA rather than guessed either way",
    },
    "rds-replica-lag": {
        period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: both("breaching"),
        missingDataReason: "a replica that stops reporting lag has usually stopped replicating, which is worse than lagging",
    },
    "cache-memory": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: both("missing"),
        missingDataReason: "ElastiCache publishes every minute per node; a gap (node replacement) is shown as INSUFFICIENT_DATA",
    },
    "cache-cpu": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: both("missing"),
        missingDataReason: "ElastiCache publishes every minute per node; a gap (node replacement) is shown as INSUFFICIENT_DATA",
    },
    "cache-evictions": {
        period: 60, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: both("notBreaching"),
        missingDataReason: "no eviction count means nothing was evicted",
    },
    "cache-hit-rate": {
        period: 300, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: both("notBreaching"),
        missingDataReason: "a node without lookups has no hit rate; the expression reports 100 % below the lookup floor, so only a measured low ratio notifies",
    },
    "queue-depth": {
        period: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: both("missing"),
        missingDataReason: "the queue-metrics publisher publishes depth; silence (publisher restarting or down) shows as INSUFFICIENT_DATA on the console and dashboard, and only a measured backlog notifies",
    },
    "route53-health": {
        period: 60, evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: both("breaching"),
        missingDataReason: "no health check data means the region's health cannot be confirmed",
    },
};

// ---------------------------------------------------------------------------------------------
// What is watched.
// ---------------------------------------------------------------------------------------------

/**
 * Where queue depth comes from. CloudWatch has no view into BullMQ lists on Valkey, and KEDA reads them
 * for scaling but exports nothing to CloudWatch, so a `QueueMetricsPublisher` (components/queue-metrics.ts)
 * runs the reference app's `queue-metrics` role (app/src/queue-metrics.js), which publishes each queue's
 * backlog (waiting + prioritized + due delayed jobs) every minute with `PutMetricData` to this namespace,
 * one datapoint per queue with the queue name as the dimension. Without a publisher the
 * queue-depth alarms sit in INSUFFICIENT_DATA (see `ALARM_SHAPES["queue-depth"]`).
 */
export interface QueueDepthMetric {
    readonly namespace: string;
    readonly metricName: string;
    /** Dimension holding the queue name. */
    readonly dimension: string;
    /**
     * Further fixed dimensions (plain strings, so the dashboard can name them), e.g. Amazon MQ's
     * `{ Broker: <broker name>, VirtualHost: "/" }` next to `Queue` (issue 19). @default {}
     */
    readonly extraDimensions?: Readonly<Record<string, string>>;
}

export const DEFAULT_QUEUE_DEPTH_METRIC: QueueDepthMetric = { namespace: "ScaledWeb/Queues", metricName: "QueueDepth", dimension: "Queue" };

/** One replication group. Its member clusters are named `<id>-<shard>-<node>` (cluster mode) or `<id>-<node>`. */
export interface CacheTarget {
    readonly replicationGroupId: pulumi.Input<string>;
    /** Node groups; 1 for a non-sharded group. */
    readonly shards: number;
    readonly replicasPerShard: number;
    /** @default shards > 1 */
    readonly clusterMode?: boolean;
    /**
     * Alarm (critical) on any eviction: for `noeviction` stores (queues) an eviction means lost jobs.
     * @default true for the purpose named "queue"
     */
    readonly alarmOnEvictions?: boolean;
    /**
     * Warn when the hit rate stays below `CACHE_HIT_RATE_WARNING_PERCENT` (seed 004: "Cache hit rate: >80%").
     * Meaningful for a cache, not for the queue or session stores (BullMQ polls keys that are often absent).
     * @default true for the purpose named "cache"
     */
    readonly alarmOnHitRate?: boolean;
}

/** Seed 004 "Key Metrics to Monitor": cache hit rate above 80 %. */
export const CACHE_HIT_RATE_WARNING_PERCENT = 80;
/** Below this many lookups (hits + misses) per 5-minute period the ratio is noise; the expression then reads 100 %. */
export const CACHE_HIT_RATE_MIN_LOOKUPS = 300;
export const DEFAULT_HIT_RATE_ALARM_PURPOSE = "cache";
export const CACHE_HIT_RATE_EXPRESSION =
    `IF(FILL(hits, 0) + FILL(misses, 0) >= ${CACHE_HIT_RATE_MIN_LOOKUPS}, 100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(misses, 0)), 100)`;

/**
 * Metric math for one node's hit rate. ElastiCache's own `CacheHitRate` (Percent) is the same ratio,
 * `cache_hits / (cache_hits + cache_misses)` from INFO (ElastiCache User Guide, "Metrics for Valkey and
 * Redis OSS"), but reads 0 on an idle node, which would page on every quiet dev cache; `CacheHits` and
 * `CacheMisses` (Count, same page) let the alarm ignore periods with fewer than
 * `CACHE_HIT_RATE_MIN_LOOKUPS` lookups.
 */
export function cacheHitRateQueries(cacheClusterId: pulumi.Input<string>, period: number): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
    const metric = (id: string, metricName: string): aws.types.input.cloudwatch.MetricAlarmMetricQuery => ({
        id,
        returnData: false,
        metric: { namespace: "AWS/ElastiCache", metricName, dimensions: { CacheClusterId: cacheClusterId }, period, stat: "Sum" },
    });
    return [
        metric("hits", "CacheHits"),
        metric("misses", "CacheMisses"),
        { id: "hit_rate", expression: CACHE_HIT_RATE_EXPRESSION, label: "Cache hit rate (%)", returnData: true },
    ];
}

export interface DatabaseTarget {
    /** Instances that are not replicas, keyed by a stable name (e.g. `primary`). */
    readonly instances: Readonly<Record<string, pulumi.Input<string>>>;
    /** Read replicas in this region (same-region or cross-region), keyed by a stable name. @default {} */
    readonly replicas?: Readonly<Record<string, pulumi.Input<string>>>;
    /** The instances' `max_connections`; connection alarms fire at `poolPercent` of it. */
    readonly maxConnections: number;
    /** Instance memory in GiB; freeable memory alarms fire below (100 - `memory`) % of it. */
    readonly memoryGiB: number;
    /** Allocated storage in GiB; free storage alarms fire below (100 - `storagePercent`) % of it. */
    readonly allocatedStorageGiB: number;
}

export interface LoadBalancerTarget {
    /** ALB `arnSuffix` (`app/<name>/<id>`), the CloudWatch `LoadBalancer` dimension. */
    readonly arnSuffix: pulumi.Input<string>;
    /** Target group `arnSuffix`es keyed by name (`api`, `ws`). */
    readonly targetGroups: Readonly<Record<string, pulumi.Input<string>>>;
}

export interface ObservabilityArgs {
    /** The AWS region the component's provider points at, e.g. `us-east-1` (dashboards name it). */
    readonly region: string;
    /** Overrides of the seed thresholds (`DEFAULT_THRESHOLDS`), validated. @default {} */
    readonly thresholds?: ThresholdOverrides;
    /** E-mail addresses subscribed to both topics (each must confirm). @default [] */
    readonly emails?: readonly string[];
    /** https:// endpoints subscribed to both topics (paging tools, chat webhooks). @default [] */
    readonly httpsEndpoints?: readonly string[];
    /** The region's ALB. @default none */
    readonly loadBalancer?: LoadBalancerTarget;
    /** ASG names keyed by node pool, or by `<pool>-<zone>` for a pool with one group per zone (`NodePool.autoScalingGroupNames`). @default {} */
    readonly autoScalingGroups?: Readonly<Record<string, pulumi.Input<string>>>;
    /** RDS instances living in this region. @default none */
    readonly database?: DatabaseTarget;
    /** ElastiCache replication groups keyed by purpose. @default {} */
    readonly caches?: Readonly<Record<string, CacheTarget>>;
    /** Queue names whose depth is watched. @default [] */
    readonly queues?: readonly string[];
    /** @default DEFAULT_QUEUE_DEPTH_METRIC */
    readonly queueDepthMetric?: QueueDepthMetric;
    /**
     * Route53 health check ids keyed by name (e.g. `api-us-east-1`, `ws-us-east-1`: one per hostname and region). Their metrics exist only in us-east-1, so
     * this component must then run through a us-east-1 provider (`region: "us-east-1"`). @default {}
     */
    readonly healthChecks?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Create the CloudWatch dashboard. @default true */
    readonly dashboard?: boolean;
    /** KMS key deletion window. @default 30 */
    readonly kmsDeletionWindowDays?: number;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

export const DEFAULT_KMS_DELETION_WINDOW_DAYS = 30;
/** Route53 health check metrics are published only here. */
export const ROUTE53_METRICS_REGION = "us-east-1";
/** Purpose whose store runs `noeviction` and must never evict (seed 003). */
export const DEFAULT_EVICTION_ALARM_PURPOSE = "queue";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const GIB = 1024 ** 3;

/** Checks the plain inputs; returns every problem found. */
export function validateObservabilityArgs(args: ObservabilityArgs): Problems {
    const problems = new Problems();
    problems.check(typeof args.region === "string" && REGION.test(args.region), "region", `must be an AWS region such as "us-east-1", got ${show(args.region)}`);
    thresholdProblems(args.thresholds, problems);
    const emailKeys = new Map<string, string>();
    (args.emails ?? []).forEach((e, i) => {
        if (!problems.check(typeof e === "string" && EMAIL.test(e), `emails[${i}]`, `must be an e-mail address, got ${show(e)}`)) {
            return;
        }
        const key = subscriptionKey(e);
        const prior = emailKeys.get(key);
        problems.check(prior === undefined, `emails[${i}]`, `${show(e)} repeats ${show(prior)}; list each address once`);
        emailKeys.set(key, e);
    });
    const urlKeys = new Map<string, string>();
    (args.httpsEndpoints ?? []).forEach((u, i) => {
        if (!problems.check(typeof u === "string" && /^https:\/\/[^\s/]+/.test(u), `httpsEndpoints[${i}]`, `must be an https:// URL (alerts never travel in clear text), got ${show(u)}`)) {
            return;
        }
        const key = subscriptionKey(u);
        const prior = urlKeys.get(key);
        problems.check(prior === undefined, `httpsEndpoints[${i}]`, `${show(u)} repeats ${show(prior)}; list each endpoint once`);
        urlKeys.set(key, u);
    });
    const label = (path: string, key: string): void => {
        problems.check(DNS_LABEL.test(key), path, `key ${show(key)} must be a DNS label (lower-case letters, digits, '-'); it names the alarms`);
    };
    for (const tg of Object.keys(args.loadBalancer?.targetGroups ?? {})) {
        label(`loadBalancer.targetGroups.${tg}`, tg);
    }
    for (const pool of Object.keys(args.autoScalingGroups ?? {})) {
        label(`autoScalingGroups.${pool}`, pool);
    }
    const db = args.database;
    if (db) {
        problems.check(Number.isInteger(db.maxConnections) && db.maxConnections >= 1, "database.maxConnections", `must be a whole number >= 1, got ${show(db.maxConnections)}`);
        problems.check(typeof db.memoryGiB === "number" && db.memoryGiB > 0, "database.memoryGiB", `must be > 0, got ${show(db.memoryGiB)}`);
        problems.check(typeof db.allocatedStorageGiB === "number" && db.allocatedStorageGiB > 0, "database.allocatedStorageGiB", `must be > 0, got ${show(db.allocatedStorageGiB)}`);
        const instanceKeys = Object.keys(db.instances ?? {});
        const replicaKeys = Object.keys(db.replicas ?? {});
        problems.check(instanceKeys.length + replicaKeys.length > 0, "database", "names no instance; give instances and/or replicas, or leave database out");
        instanceKeys.forEach((k) => label(`database.instances.${k}`, k));
        replicaKeys.forEach((k) => {
            label(`database.replicas.${k}`, k);
            problems.check(!instanceKeys.includes(k), `database.replicas.${k}`, `key ${show(k)} is also an instance key; keys must be unique across instances and replicas`);
        });
    }
    for (const [purpose, c] of Object.entries(args.caches ?? {})) {
        label(`caches.${purpose}`, purpose);
        problems.check(Number.isInteger(c.shards) && c.shards >= 1 && c.shards <= 500, `caches.${purpose}.shards`, `must be a whole number 1-500, got ${show(c.shards)}`);
        problems.check(Number.isInteger(c.replicasPerShard) && c.replicasPerShard >= 0 && c.replicasPerShard <= 5, `caches.${purpose}.replicasPerShard`, `must be a whole number 0-5, got ${show(c.replicasPerShard)}`);
        if (c.clusterMode === false) {
            problems.check(c.shards === 1, `caches.${purpose}.clusterMode`, `is false but shards is ${c.shards}; a non-clustered replication group has exactly one shard`);
        }
    }
    const queues = args.queues ?? [];
    queues.forEach((q, i) => {
        problems.check(typeof q === "string" && DNS_LABEL.test(q), `queues[${i}]`, `must be a queue name made of lower-case letters, digits and '-', got ${show(q)}`);
    });
    problems.check(new Set(queues).size === queues.length, "queues", `must not repeat a queue, got ${show(queues)}`);
    const checks = Object.keys(args.healthChecks ?? {});
    checks.forEach((k) => label(`healthChecks.${k}`, k));
    if (checks.length > 0) {
        problems.check(
            args.region === ROUTE53_METRICS_REGION,
            "healthChecks",
            `Route53 health check metrics exist only in ${ROUTE53_METRICS_REGION}, but this component is in ${show(args.region)}; create the health check alarms through a ${ROUTE53_METRICS_REGION} provider`,
        );
    }
    const days = args.kmsDeletionWindowDays;
    if (days !== undefined) {
        problems.check(Number.isInteger(days) && days >= 7 && days <= 30, "kmsDeletionWindowDays", `must be a whole number 7-30 (the KMS limits), got ${show(days)}`);
    }
    return problems;
}

/** A stable, name-safe key for a subscription endpoint: `oncall@example.com` -> `oncall-example-com`. */
export function subscriptionKey(endpoint: string): string {
    return endpoint.toLowerCase().replace(/^https:\/\//, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
}

/**
 * Suffixes ElastiCache gives a replication group's member clusters: `0001-001`, `0001-002`, ... with
 * cluster mode (shard-node), `001`, `002`, ... without. Each member publishes its own metrics.
 */
export function cacheMemberSuffixes(shards: number, replicasPerShard: number, clusterMode: boolean = shards > 1): string[] {
    const pad = (n: number, w: number): string => String(n).padStart(w, "0");
    const out: string[] = [];
    for (let s = 1; s <= shards; s++) {
        for (let n = 1; n <= replicasPerShard + 1; n++) {
            out.push(clusterMode ? `${pad(s, 4)}-${pad(n, 3)}` : pad(n, 3));
        }
    }
    return out;
}

/** Bytes below which `percentFree` % of `gib` GiB is left: used for freeable memory and free storage. */
export function bytesFree(gib: number, percentUsed: number): number {
    return Math.round(gib * GIB * (100 - percentUsed) / 100);
}

// ---------------------------------------------------------------------------------------------
// The alarm plan: every alarm as data, so tests can read it without a Pulumi run.
// ---------------------------------------------------------------------------------------------

type MetricFields = Pick<aws.cloudwatch.MetricAlarmArgs,
    "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic" | "metricQueries" | "unit" | "evaluateLowSampleCountPercentiles">;

export interface AlarmSpec {
    /** Stable key, unique within the component: the alarm is named `<component>-<key>`. */
    readonly key: string;
    readonly family: AlarmFamily;
    readonly level: AlertLevel;
    readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
    readonly threshold: number;
    /** What the alarm means and what to do (seed 003's "Action" column where it has one). */
    readonly description: string;
    readonly metric: MetricFields;
}

/** The watched resources with the component's plain settings resolved. */
export interface AlarmTargets {
    readonly loadBalancer?: LoadBalancerTarget;
    readonly autoScalingGroups: Readonly<Record<string, pulumi.Input<string>>>;
    readonly database?: DatabaseTarget;
    readonly caches: Readonly<Record<string, CacheTarget>>;
    readonly queues: readonly string[];
    readonly queueDepthMetric: QueueDepthMetric;
    readonly healthChecks: Readonly<Record<string, pulumi.Input<string>>>;
}

const LEVELS: readonly AlertLevel[] = ["warning", "critical"];

/**
 * Plans every alarm for `targets` at `thresholds`. Pairs produce a warning and a critical alarm;
 * unhealthy hosts (warning), queue-store evictions (critical) and Route53 health (critical) are single.
 */
export function planAlarms(targets: AlarmTargets, thresholds: Thresholds): AlarmSpec[] {
    const specs: AlarmSpec[] = [];
    const pair = (key: string, family: AlarmFamily, t: ThresholdKey, build: (level: AlertLevel, value: number) => Omit<AlarmSpec, "key" | "family" | "level">): void => {
        for (const level of LEVELS) {
            specs.push({ key: `${key}-${level}`, family, level, ...build(level, thresholds[t][level]) });
        }
    };

    const lb = targets.loadBalancer;
    if (lb) {
        const dims = { LoadBalancer: lb.arnSuffix };
        pair("alb-p95", "alb-p95", "p95Ms", (_l, ms) => ({
            comparisonOperator: "GreaterThanThreshold",
            threshold: ms / 1000,
            description: `ALB p95 target response time above ${ms} ms. Optimize or scale (seed 003).`,
            metric: {
                namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", dimensions: dims,
                extendedStatistic: "p95", evaluateLowSampleCountPercentiles: "ignore",
            },
        }));
        pair("alb-5xx", "alb-5xx", "errorRatePercent", (_l, pct) => ({
            comparisonOperator: "GreaterThanThreshold",
            threshold: pct,
            description: `ALB 5xx rate (target + load balancer 5xx over requests) above ${pct} %. Investigate, possibly scale (seed 003).`,
            metric: { metricQueries: errorRateQueries(lb.arnSuffix, ALARM_SHAPES["alb-5xx"].period) },
        }));
        for (const [tg, suffix] of Object.entries(lb.targetGroups)) {
            specs.push({
                key: `alb-unhealthy-hosts-${tg}-warning`, family: "alb-unhealthy-hosts", level: "warning",
                comparisonOperator: "GreaterThanThreshold", threshold: 0,
                description: `Target group ${tg} has unhealthy targets. Check the nodes and pods behind it.`,
                metric: { namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: { TargetGroup: suffix, LoadBalancer: lb.arnSuffix }, statistic: "Maximum" },
            });
        }
    }

    for (const [pool, asg] of Object.entries(targets.autoScalingGroups)) {
        pair(`asg-cpu-${pool}`, "asg-cpu", "cpu", (_l, pct) => ({
            comparisonOperator: "GreaterThanThreshold", threshold: pct,
            description: `Node pool ${pool}: average CPU above ${pct} %. Scale horizontally (seed 003): check the cluster autoscaler and the pool's maxSize.`,
            metric: { namespace: "AWS/EC2", metricName: "CPUUtilization", dimensions: { AutoScalingGroupName: asg }, statistic: "Average" },
        }));
    }

    const db = targets.database;
    if (db) {
        const all: [string, pulumi.Input<string>, boolean][] = [
            ...Object.entries(db.instances).map(([k, v]): [string, pulumi.Input<string>, boolean] => [k, v, false]),
            ...Object.entries(db.replicas ?? {}).map(([k, v]): [string, pulumi.Input<string>, boolean] => [k, v, true]),
        ];
        for (const [key, id, replica] of all) {
            const dims = { DBInstanceIdentifier: id };
            pair(`rds-cpu-${key}`, "rds-cpu", "cpu", (_l, pct) => ({
                comparisonOperator: "GreaterThanThreshold", threshold: pct,
                description: `Database ${key}: CPU above ${pct} %. Add read replicas or scale the instance class.`,
                metric: { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: dims, statistic: "Average" },
            }));
            pair(`rds-memory-${key}`, "rds-memory", "memory", (_l, pct) => ({
                comparisonOperator: "LessThanThreshold", threshold: bytesFree(db.memoryGiB, pct),
                description: `Database ${key}: freeable memory below ${100 - pct} % of ${db.memoryGiB} GiB (memory use above ${pct} %). Scale vertically (seed 003).`,
                metric: { namespace: "AWS/RDS", metricName: "FreeableMemory", dimensions: dims, statistic: "Minimum" },
            }));
            pair(`rds-connections-${key}`, "rds-connections", "poolPercent", (_l, pct) => ({
                comparisonOperator: "GreaterThanThreshold", threshold: db.maxConnections * pct / 100,
                description: `Database ${key}: connections above ${pct} % of max_connections (${db.maxConnections}). Increase the pool or add replicas (seed 003).`,
                metric: { namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: dims, statistic: "Maximum" },
            }));
            pair(`rds-storage-${key}`, "rds-storage", "storagePercent", (_l, pct) => ({
                comparisonOperator: "LessThanThreshold", threshold: bytesFree(db.allocatedStorageGiB, pct),
                description: `Database ${key}: free storage below ${100 - pct} % of ${db.allocatedStorageGiB} GiB. Check storage autoscaling and its maximum.`,
                metric: { namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: dims, statistic: "Minimum" },
            }));
            if (replica) {
                pair(`rds-replica-lag-${key}`, "rds-replica-lag", "replicaLagSeconds", (_l, s) => ({
                    comparisonOperator: "GreaterThanThreshold", threshold: s,
                    description: `Replica ${key}: replication lag above ${s} s (seed 001: lag > 10 s means scale). Check write load and the replica's size.`,
                    metric: { namespace: "AWS/RDS", metricName: "ReplicaLag", dimensions: dims, statistic: "Maximum" },
                }));
            }
        }
    }

    for (const [purpose, cache] of Object.entries(targets.caches)) {
        const evictions = cache.alarmOnEvictions ?? purpose === DEFAULT_EVICTION_ALARM_PURPOSE;
        const hitRate = cache.alarmOnHitRate ?? purpose === DEFAULT_HIT_RATE_ALARM_PURPOSE;
        for (const suffix of cacheMemberSuffixes(cache.shards, cache.replicasPerShard, cache.clusterMode)) {
            const node = pulumi.interpolate`${cache.replicationGroupId}-${suffix}`;
            const dims = { CacheClusterId: node };
            pair(`cache-memory-${purpose}-${suffix}`, "cache-memory", "memory", (_l, pct) => ({
                comparisonOperator: "GreaterThanThreshold", threshold: pct,
                description: `Cache ${purpose} node ${suffix}: memory use above ${pct} % of maxmemory. Scale vertically or add shards (seed 003).`,
                metric: { namespace: "AWS/ElastiCache", metricName: "DatabaseMemoryUsagePercentage", dimensions: dims, statistic: "Maximum" },
            }));
            pair(`cache-cpu-${purpose}-${suffix}`, "cache-cpu", "cpu", (_l, pct) => ({
                comparisonOperator: "GreaterThanThreshold", threshold: pct,
                description: `Cache ${purpose} node ${suffix}: engine CPU above ${pct} %. Add shards or a larger node type.`,
                metric: { namespace: "AWS/ElastiCache", metricName: "EngineCPUUtilization", dimensions: dims, statistic: "Average" },
            }));
            if (evictions) {
                specs.push({
                    key: `cache-evictions-${purpose}-${suffix}-critical`, family: "cache-evictions", level: "critical",
                    comparisonOperator: "GreaterThanThreshold", threshold: 0,
                    description: `Cache ${purpose} node ${suffix} evicted keys. This store runs noeviction and must never evict: jobs are being lost. Add memory now.`,
                    metric: { namespace: "AWS/ElastiCache", metricName: "Evictions", dimensions: dims, statistic: "Sum" },
                });
            }
            if (hitRate) {
                specs.push({
                    key: `cache-hit-rate-${purpose}-${suffix}-warning`, family: "cache-hit-rate", level: "warning",
                    comparisonOperator: "LessThanThreshold", threshold: CACHE_HIT_RATE_WARNING_PERCENT,
                    description: `Cache ${purpose} node ${suffix}: hit rate below ${CACHE_HIT_RATE_WARNING_PERCENT} % for 15 minutes (seed 004 wants > 80 %). ` +
                        "Check TTLs, key design and evictions; add memory if keys are evicted.",
                    metric: { metricQueries: cacheHitRateQueries(node, ALARM_SHAPES["cache-hit-rate"].period) },
                });
            }
        }
    }

    const qm = targets.queueDepthMetric;
    for (const queue of targets.queues) {
        pair(`queue-depth-${queue}`, "queue-depth", "queueDepth", (_l, jobs) => ({
            comparisonOperator: "GreaterThanThreshold", threshold: jobs,
            description: `Queue ${queue}: more than ${jobs} waiting + prioritized jobs. Scale workers (seed 003): check KEDA and the spot pool.`,
            metric: { namespace: qm.namespace, metricName: qm.metricName, dimensions: { ...(qm.extraDimensions ?? {}), [qm.dimension]: queue }, statistic: "Maximum" },
        }));
    }

    for (const [key, id] of Object.entries(targets.healthChecks)) {
        specs.push({
            key: `route53-health-${key}-critical`, family: "route53-health", level: "critical",
            comparisonOperator: "LessThanThreshold", threshold: 1,
            description: `Route53 health check ${key} is failing: DNS is steering that hostname's traffic away from the region. Check the region's load balancer and the service behind that hostname (api or ws).`,
            metric: { namespace: "AWS/Route53", metricName: "HealthCheckStatus", dimensions: { HealthCheckId: id }, statistic: "Minimum" },
        });
    }
    return specs;
}

/** Metric math for the ALB 5xx rate: `100 * (target 5xx + ELB 5xx) / requests`, missing counts read as 0. */
export function errorRateQueries(loadBalancer: pulumi.Input<string>, period: number): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
    const metric = (id: string, metricName: string): aws.types.input.cloudwatch.MetricAlarmMetricQuery => ({
        id,
        returnData: false,
        metric: { namespace: "AWS/ApplicationELB", metricName, dimensions: { LoadBalancer: loadBalancer }, period, stat: "Sum" },
    });
    return [
        metric("target5xx", "HTTPCode_Target_5XX_Count"),
        metric("elb5xx", "HTTPCode_ELB_5XX_Count"),
        metric("requests", "RequestCount"),
        { id: "error_rate", expression: ERROR_RATE_EXPRESSION, label: "5xx rate (%)", returnData: true },
    ];
}

export const ERROR_RATE_EXPRESSION = "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests";

// ---------------------------------------------------------------------------------------------
// Dashboard.
// ---------------------------------------------------------------------------------------------

/** Everything a dashboard shows, with identifiers resolved to strings. */
export interface DashboardSpec {
    /** Region of the dashboard's widgets (the Route53 widget always reads us-east-1). */
    readonly region: string;
    readonly thresholds: Thresholds;
    readonly loadBalancer?: { readonly arnSuffix: string; readonly targetGroups: Readonly<Record<string, string>> };
    readonly autoScalingGroups: Readonly<Record<string, string>>;
    readonly database?: {
        readonly instances: Readonly<Record<string, string>>;
        readonly replicas: Readonly<Record<string, string>>;
        readonly maxConnections: number;
        readonly memoryGiB: number;
        readonly allocatedStorageGiB: number;
    };
    /** Member cluster ids per cache purpose. */
    readonly caches: Readonly<Record<string, readonly string[]>>;
    readonly queues: readonly string[];
    readonly queueDepthMetric: QueueDepthMetric;
    /** Health check ids keyed by name; drawn from us-east-1 whatever the dashboard's region. */
    readonly healthChecks: Readonly<Record<string, string>>;
}

const WIDGET_WIDTH = 12;
const WIDGET_HEIGHT = 6;

type Annotation = { label: string; value: number; color: string };

function bands(t: ThresholdPair, scale: (v: number) => number = (v) => v): Annotation[] {
    return [
        { label: `warning (${t.warning})`, value: scale(t.warning), color: "#ff7f0e" },
        { label: `critical (${t.critical})`, value: scale(t.critical), color: "#d62728" },
    ];
}

/**
 * The dashboard body (CloudWatch dashboard JSON): one time-series widget per signal, two per row,
 * with the warning and critical thresholds drawn as horizontal annotations.
 */
export function dashboardBody(spec: DashboardSpec): string {
    const t = spec.thresholds;
    const widgets: { title: string; properties: Record<string, unknown> }[] = [];
    const add = (title: string, metrics: unknown[][], extra: Record<string, unknown> = {}, annotations: Annotation[] = []): void => {
        if (metrics.length === 0) {
            return;
        }
        widgets.push({
            title,
            properties: {
                title, region: spec.region, view: "timeSeries", stacked: false, period: 60, metrics,
                ...(annotations.length > 0 ? { annotations: { horizontal: annotations } } : {}),
                ...extra,
            },
        });
    };

    const lb = spec.loadBalancer;
    if (lb) {
        add("ALB p95 target response time (s)", [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb.arnSuffix, { stat: "p95" }]],
            {}, bands(t.p95Ms, (ms) => ms / 1000));
        add("ALB 5xx rate (%)", [
            [{ expression: ERROR_RATE_EXPRESSION, label: "5xx rate (%)", id: "error_rate" }],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb.arnSuffix, { id: "target5xx", stat: "Sum", visible: false }],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", lb.arnSuffix, { id: "elb5xx", stat: "Sum", visible: false }],
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb.arnSuffix, { id: "requests", stat: "Sum", visible: false }],
        ], {}, bands(t.errorRatePercent));
        add("ALB requests", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb.arnSuffix, { stat: "Sum" }]]);
        add("Unhealthy targets", Object.entries(lb.targetGroups).map(([name, tg]) =>
            ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", tg, "LoadBalancer", lb.arnSuffix, { stat: "Maximum", label: name }]));
    }
    add("Node pool CPU (%)", Object.entries(spec.autoScalingGroups).map(([pool, asg]) =>
        ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", asg, { stat: "Average", label: pool }]), { period: 300 }, bands(t.cpu));

    const db = spec.database;
    if (db) {
        const instances = [...Object.entries(db.instances), ...Object.entries(db.replicas)];
        const per = (metric: string, stat: string): unknown[][] => instances.map(([key, id]) => ["AWS/RDS", metric, "DBInstanceIdentifier", id, { stat, label: key }]);
        add("Database CPU (%)", per("CPUUtilization", "Average"), {}, bands(t.cpu));
        add("Database connections", per("DatabaseConnections", "Maximum"), {}, bands(t.poolPercent, (p) => db.maxConnections * p / 100));
        add("Database freeable memory (bytes)", per("FreeableMemory", "Minimum"), {}, [
            { label: `warning (${t.memory.warning} % used)`, value: bytesFree(db.memoryGiB, t.memory.warning), color: "#ff7f0e" },
            { label: `critical (${t.memory.critical} % used)`, value: bytesFree(db.memoryGiB, t.memory.critical), color: "#d62728" },
        ]);
        add("Database free storage (bytes)", per("FreeStorageSpace", "Minimum"), {}, [
            { label: `warning (${t.storagePercent.warning} % used)`, value: bytesFree(db.allocatedStorageGiB, t.storagePercent.warning), color: "#ff7f0e" },
            { label: `critical (${t.storagePercent.critical} % used)`, value: bytesFree(db.allocatedStorageGiB, t.storagePercent.critical), color: "#d62728" },
        ]);
        add("Replica lag (s)", Object.entries(db.replicas).map(([key, id]) => ["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", id, { stat: "Maximum", label: key }]),
            {}, bands(t.replicaLagSeconds));
    }

    const cacheMetric = (metric: string, stat: string): unknown[][] => Object.entries(spec.caches).flatMap(([purpose, nodes]) =>
        nodes.map((node) => ["AWS/ElastiCache", metric, "CacheClusterId", node, { stat, label: `${purpose} ${node}` }]));
    add("Cache memory used (%)", cacheMetric("DatabaseMemoryUsagePercentage", "Maximum"), {}, bands(t.memory));
    add("Cache engine CPU (%)", cacheMetric("EngineCPUUtilization", "Average"), {}, bands(t.cpu));
    add("Cache evictions", cacheMetric("Evictions", "Sum"));

    const qm = spec.queueDepthMetric;
    add("Queue depth (waiting + prioritized jobs)", spec.queues.map((q) => [qm.namespace, qm.metricName, ...Object.entries(qm.extraDimensions ?? {}).flat(), qm.dimension, q, { stat: "Maximum", label: q }]), {}, bands(t.queueDepth));

    add("Route53 health checks (1 = healthy)", Object.entries(spec.healthChecks).map(([key, id]) =>
        ["AWS/Route53", "HealthCheckStatus", "HealthCheckId", id, { stat: "Minimum", label: key }]), { region: ROUTE53_METRICS_REGION, yAxis: { left: { min: 0, max: 1 } } });

    return JSON.stringify({
        widgets: widgets.map((w, i) => ({
            type: "metric",
            x: (i % 2) * WIDGET_WIDTH,
            y: Math.floor(i / 2) * WIDGET_HEIGHT,
            width: WIDGET_WIDTH,
            height: WIDGET_HEIGHT,
            properties: w.properties,
        })),
    });
}

// ---------------------------------------------------------------------------------------------
// Policies.
// ---------------------------------------------------------------------------------------------

/** Key policy: the account administers the key; CloudWatch alarms and the account's AMP alert managers may use it to publish to the topics. */
export function alertKeyPolicy(partition: string, accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersKey",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchAlarmsPublishEncrypted",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
            },
            // issue 19: the Managed Prometheus alert manager publishes to the encrypted topics too (AMP User Guide "Giving
            // Amazon Managed Service for Prometheus permission to send alert messages to your Amazon SNS topic": an
            // SSE topic needs kms:GenerateDataKey* and kms:Decrypt for aps.amazonaws.com), only for this account's workspaces.
            {
                Sid: "ManagedPrometheusAlertsPublishEncrypted",
                Effect: "Allow",
                Principal: { Service: "aps.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
        ],
    });
}

/**
 * Topic policy: CloudWatch alarms and Managed Prometheus alert managers of this account and region may publish; the account keeps topic
 * administration; anything over plain HTTP is refused.
 */
export function alertTopicPolicy(topicArn: string, partition: string, region: string, accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountManagesTopic",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission", "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"],
                Resource: topicArn,
            },
            {
                Sid: "CloudWatchAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: {
                    ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*` },
                    StringEquals: { "aws:SourceAccount": accountId },
                },
            },
            // issue 19: the Managed Prometheus alert manager of this account and region (AMP User Guide "Giving Amazon
            // Managed Service for Prometheus permission to send alert messages to your Amazon SNS topic": sns:Publish and
            // sns:GetTopicAttributes for aps.amazonaws.com, aws:SourceArn + aws:SourceAccount against the confused deputy).
            // The workspace ARN is matched by pattern: the topic exists before any workspace.
            {
                Sid: "ManagedPrometheusAlertsPublish",
                Effect: "Allow",
                Principal: { Service: "aps.amazonaws.com" },
                Action: ["sns:Publish", "sns:GetTopicAttributes"],
                Resource: topicArn,
                Condition: {
                    ArnLike: { "aws:SourceArn": `arn:${partition}:aps:${region}:${accountId}:workspace/*` },
                    StringEquals: { "aws:SourceAccount": accountId },
                },
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

// ---------------------------------------------------------------------------------------------
// The component.
// ---------------------------------------------------------------------------------------------

/**
 * Alerting for one region: a KMS key, a warning and a critical SNS topic (encrypted, subscribed from
 * `emails` / `httpsEndpoints`), CloudWatch alarms on the seeds' thresholds for every resource given
 * (warning alarms to the warning topic, critical to the critical one, both on ALARM and OK) and a
 * dashboard of the same metrics.
 *
 * Pass the region's `aws.Provider` in `opts.provider`; every child uses it. Route53 health check
 * alarms need a us-east-1 provider (their metrics live only there).
 */
export class Observability extends pulumi.ComponentResource {
    public readonly thresholds: Thresholds;
    public readonly kmsKey: aws.kms.Key;
    public readonly warningTopic: aws.sns.Topic;
    public readonly criticalTopic: aws.sns.Topic;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly warningTopicArn: pulumi.Output<string>;
    public readonly criticalTopicArn: pulumi.Output<string>;
    /** Alarms keyed by their stable key (`alb-p95-warning`, `rds-cpu-primary-critical`, ...). */
    public readonly alarms: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
    /** Names of every alarm (`<name>-<key>`), known before deployment. */
    public readonly alarmNames: readonly string[];
    public readonly dashboard?: aws.cloudwatch.Dashboard;
    public readonly dashboardName?: pulumi.Output<string>;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        validateObservabilityArgs(args).throwIfAny(`Observability "${name}"`);
        super("scaled-web:observability:Observability", name, {}, opts);

        const child = { parent: this };
        const tags = { ...(args.tags ?? {}) };
        this.thresholds = resolveThresholds(args.thresholds ?? {});
        const targets: AlarmTargets = {
            loadBalancer: args.loadBalancer,
            autoScalingGroups: args.autoScalingGroups ?? {},
            database: args.database,
            caches: args.caches ?? {},
            queues: args.queues ?? [],
            queueDepthMetric: args.queueDepthMetric ?? DEFAULT_QUEUE_DEPTH_METRIC,
            healthChecks: args.healthChecks ?? {},
        };

        const identity = aws.getCallerIdentityOutput({}, child);
        const partition = aws.getPartitionOutput({}, child);

        this.kmsKey = new aws.kms.Key(`${name}-alerts`, {
            description: `Encrypts the ${name} alert topics; CloudWatch alarms may use it to publish`,
            enableKeyRotation: true,
            deletionWindowInDays: args.kmsDeletionWindowDays ?? DEFAULT_KMS_DELETION_WINDOW_DAYS,
            policy: pulumi.all([partition.partition, identity.accountId]).apply(([p, a]) => alertKeyPolicy(p, a)),
            tags,
        }, child);
        new aws.kms.Alias(`${name}-alerts`, { name: `alias/${name}-alerts`, targetKeyId: this.kmsKey.keyId }, child);

        const topics = {} as Record<AlertLevel, aws.sns.Topic>;
        for (const level of LEVELS) {
            const topic = new aws.sns.Topic(`${name}-${level}`, {
                name: `${name}-${level}`,
                displayName: `${name} ${level} alerts`,
                kmsMasterKeyId: this.kmsKey.arn,
                tags: { ...tags, severity: level },
            }, child);
            new aws.sns.TopicPolicy(`${name}-${level}`, {
                arn: topic.arn,
                policy: pulumi.all([topic.arn, partition.partition, identity.accountId]).apply(([arn, p, a]) => alertTopicPolicy(arn, p, args.region, a)),
            }, child);
            for (const email of args.emails ?? []) {
                new aws.sns.TopicSubscription(`${name}-${level}-email-${subscriptionKey(email)}`, { topic: topic.arn, protocol: "email", endpoint: email }, child);
            }
            for (const url of args.httpsEndpoints ?? []) {
                new aws.sns.TopicSubscription(`${name}-${level}-https-${subscriptionKey(url)}`, { topic: topic.arn, protocol: "https", endpoint: url }, child);
            }
            topics[level] = topic;
        }
        this.warningTopic = topics.warning;
        this.criticalTopic = topics.critical;
        this.kmsKeyArn = this.kmsKey.arn;
        this.warningTopicArn = this.warningTopic.arn;
        this.criticalTopicArn = this.criticalTopic.arn;

        const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
        for (const spec of planAlarms(targets, this.thresholds)) {
            const shape = ALARM_SHAPES[spec.family];
            const alarmName = `${name}-${spec.key}`;
            const actions = [topics[spec.level].arn];
            alarms[spec.key] = new aws.cloudwatch.MetricAlarm(alarmName, {
                name: alarmName,
                alarmDescription: `[${spec.level}] ${spec.description} Missing data: ${shape.treatMissingData[spec.level]} (${shape.missingDataReason}).`,
                comparisonOperator: spec.comparisonOperator,
                threshold: spec.threshold,
                ...spec.metric,
                // Metric-math alarms carry their period inside each query.
                period: spec.metric.metricQueries ? undefined : shape.period,
                evaluationPeriods: shape.evaluationPeriods,
                datapointsToAlarm: shape.datapointsToAlarm,
                treatMissingData: shape.treatMissingData[spec.level],
                actionsEnabled: true,
                alarmActions: actions,
                okActions: actions,
                tags: { ...tags, severity: spec.level, family: spec.family },
            }, child);
        }
        this.alarms = alarms;
        this.alarmNames = Object.keys(alarms).map((k) => `${name}-${k}`);

        if (args.dashboard ?? true) {
            const resolved = pulumi.output({
                loadBalancer: targets.loadBalancer,
                autoScalingGroups: targets.autoScalingGroups,
                instances: targets.database?.instances ?? {},
                replicas: targets.database?.replicas ?? {},
                caches: Object.fromEntries(Object.entries(targets.caches).map(([purpose, c]) => [
                    purpose,
                    cacheMemberSuffixes(c.shards, c.replicasPerShard, c.clusterMode).map((s) => pulumi.interpolate`${c.replicationGroupId}-${s}`),
                ])),
                healthChecks: targets.healthChecks,
            });
            this.dashboard = new aws.cloudwatch.Dashboard(name, {
                dashboardName: name,
                dashboardBody: resolved.apply((r) => dashboardBody({
                    region: args.region,
                    thresholds: this.thresholds,
                    loadBalancer: r.loadBalancer as DashboardSpec["loadBalancer"],
                    autoScalingGroups: r.autoScalingGroups as Record<string, string>,
                    database: targets.database ? {
                        instances: r.instances as Record<string, string>,
                        replicas: r.replicas as Record<string, string>,
                        maxConnections: targets.database.maxConnections,
                        memoryGiB: targets.database.memoryGiB,
                        allocatedStorageGiB: targets.database.allocatedStorageGiB,
                    } : undefined,
                    caches: r.caches as Record<string, string[]>,
                    queues: targets.queues,
                    queueDepthMetric: targets.queueDepthMetric,
                    healthChecks: r.healthChecks as Record<string, string>,
                })),
            }, child);
            this.dashboardName = this.dashboard.dashboardName;
        }

        this.registerOutputs({
            kmsKeyArn: this.kmsKeyArn,
            warningTopicArn: this.warningTopicArn,
            criticalTopicArn: this.criticalTopicArn,
            alarmNames: this.alarmNames,
            dashboardName: this.dashboardName,
        });
    }
}
