/**
 * Stage observability: one `Observability` component per region (KMS-encrypted warning and critical
 * SNS topics, alarms on the seeds' thresholds for the region's ALB, node pools, database instances,
 * cache nodes and queues, and a dashboard), plus the Route53 health check alarms.
 *
 * Route53 publishes `HealthCheckStatus` only in us-east-1, so those alarms (and the topic they notify)
 * must live there: they join the us-east-1 region's component when the stack has that region (normally
 * the primary), otherwise a dedicated component runs through a dedicated us-east-1 provider.
 *
 * Queue depth is read from the custom metric `ScaledWeb/Queues` / `QueueDepth` (dimension `Queue`), which
 * the region's `QueueMetricsPublisher` (platform/workloads.ts) publishes every minute: the reference app's
 * `queue-metrics` role counts waiting + prioritized + due delayed BullMQ jobs per queue, with an IRSA role
 * allowed only `PutMetricData` in that namespace; see `DEFAULT_QUEUE_DEPTH_METRIC` and `publishedQueueDepthMetric`.
 */
import { brokerNameFor } from "./workloads";
import { DEFAULT_VHOST } from "../components/message-broker";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CacheTarget, DatabaseTarget, Observability, ObservabilityArgs, ROUTE53_METRICS_REGION } from "../components/observability";
import { PlatformConfig } from "./config";
import { ComputeRegion, DataRegion, EdgeRegion } from "./contracts";
import type { RegionContext } from "./program";

export interface ObservabilityDeps {
    readonly compute: ReadonlyMap<string, ComputeRegion>;
    readonly data: ReadonlyMap<string, DataRegion>;
    readonly edge: ReadonlyMap<string, EdgeRegion>;
    readonly dns: { readonly healthCheckIds: Readonly<Record<string, pulumi.Output<string>>> };
}

export interface ObservabilityOutputs {
    /** The component of each region, keyed by region name. */
    readonly regions: ReadonlyMap<string, Observability>;
    /** The component holding the Route53 health check alarms (always in us-east-1). */
    readonly healthCheckAlarms: Observability;
    /** The us-east-1 provider those alarms go through: a region's own, or a dedicated one. */
    readonly healthCheckProvider: aws.Provider;
}

/**
 * The region whose component takes the Route53 health check alarms: us-east-1 when the stack runs there
 * (the primary region's provider when it is us-east-1), otherwise `undefined`, meaning a dedicated
 * us-east-1 provider and component.
 */
export function healthCheckHome(regions: readonly { readonly name: string }[]): string | undefined {
    return regions.some((r) => r.name === ROUTE53_METRICS_REGION) ? ROUTE53_METRICS_REGION : undefined;
}

/** Keys instance ids by a stable role name: the first is `primary`, then `primary-2`, ... / `replica-1`, ... */
function keyed(ids: readonly pulumi.Output<string>[], role: "primary" | "replica"): Record<string, pulumi.Output<string>> {
    const key = (i: number): string => (role === "primary" ? (i === 0 ? "primary" : `primary-${i + 1}`) : `replica-${i + 1}`);
    return Object.fromEntries(ids.map((id, i) => [key(i), id]));
}

function need<T>(map: ReadonlyMap<string, T>, region: string, stage: string): T {
    const v = map.get(region);
    if (!v) {
        throw new Error(`wireObservability: no ${stage} stage output for region ${region}; wire ${stage} before observability`);
    }
    return v;
}

/** Creates the alerting of every region; see the module comment. */
export function wireObservability(config: PlatformConfig, regions: readonly RegionContext[], deps: ObservabilityDeps): ObservabilityOutputs {
    const common: Pick<ObservabilityArgs, "thresholds" | "emails" | "httpsEndpoints" | "tags"> = {
        thresholds: config.alerts.thresholds,
        emails: config.alerts.emails,
        httpsEndpoints: config.alerts.httpsEndpoints,
        tags: config.tags,
    };
    const home = healthCheckHome(regions.map((r) => r.region));
    const out = new Map<string, Observability>();

    for (const ctx of regions) {
        const region = ctx.region.name;
        const compute = need(deps.compute, region, "compute");
        const data = need(deps.data, region, "data");
        const edge = need(deps.edge, region, "edge");

        const instances = keyed(data.databaseInstanceIds, "primary");
        const replicas = keyed(data.replicaInstanceIds, "replica");
        const database: DatabaseTarget | undefined = Object.keys(instances).length + Object.keys(replicas).length > 0 ? {
            instances,
            replicas,
            maxConnections: data.maxConnections,
            memoryGiB: config.database.memoryGiB,
            allocatedStorageGiB: config.database.allocatedStorageGiB,
        } : undefined;

        const caches: Record<string, CacheTarget> = {};
        for (const [purpose, id] of Object.entries(data.cacheReplicationGroupIds)) {
            const p = config.cache.purposes[purpose];
            if (!p) {
                throw new Error(`wireObservability: cache purpose "${purpose}" of region ${region} is not in config.cache.purposes`);
            }
            caches[purpose] = {
                replicationGroupId: id,
                shards: p.shards,
                replicasPerShard: p.replicasPerShard,
                // The Cache component runs cluster mode exactly when a purpose has more than one shard.
                clusterMode: p.shards > 1,
                alarmOnEvictions: p.maxmemoryPolicy === "noeviction",
            };
        }

        out.set(region, new Observability(`${ctx.prefix}-obs`, {
            ...common,
            region,
            loadBalancer: { arnSuffix: edge.loadBalancerArnSuffix, targetGroups: edge.targetGroupArnSuffixes },
            autoScalingGroups: compute.autoScalingGroupNames,
            database,
            caches,
            queues: Object.keys(config.workers.queues),
            // issue 19: RabbitMQ queues are watched on Amazon MQ's per-queue metric (platform/workloads.ts broker).
            ...(config.queueBackend.type === "rabbitmq" ? {
                queueDepthMetric: { namespace: "AWS/AmazonMQ", metricName: "MessageCount", dimension: "Queue", extraDimensions: { Broker: brokerNameFor(ctx.prefix), VirtualHost: DEFAULT_VHOST } },
            } : {}),
            healthChecks: region === home ? deps.dns.healthCheckIds : undefined,
        }, { provider: ctx.provider }));
    }

    if (home) {
        const ctx = regions.find((r) => r.region.name === home)!;
        return { regions: out, healthCheckAlarms: out.get(home)!, healthCheckProvider: ctx.provider };
    }
    const provider = new aws.Provider(`aws-${ROUTE53_METRICS_REGION}-observability`, {
        region: ROUTE53_METRICS_REGION,
        defaultTags: { tags: { ...config.tags, region: ROUTE53_METRICS_REGION } },
    });
    const healthCheckAlarms = new Observability(`${config.environment}-route53-obs`, {
        ...common,
        region: ROUTE53_METRICS_REGION,
        healthChecks: deps.dns.healthCheckIds,
    }, { provider });
    return { regions: out, healthCheckAlarms, healthCheckProvider: provider };
}
