/**
 * Stage network isolation: the application namespace's NetworkPolicies in one region (components/network-policies.ts),
 * enforced by the VPC CNI's network policy agent that `Cluster` turns on.
 *
 * - The ALB reaches api/ws on their container ports from the region's public subnets (with IP targets it connects
 *   from its own addresses there).
 * - Every pod reaches cluster DNS, the region's caches (private subnets, the cache port), the database endpoints:
 *   in its own region's private subnets (the RDS Proxy in the primary, the reader replica elsewhere) and, in a
 *   secondary region, the primary's RDS Proxy over the peering (the primary's private subnets), AWS endpoints on 443
 *   and the Pod Identity agent.
 * - issue 19: with `observability.prometheus.enabled`, the private subnets (the AMP scraper's interfaces) reach every
 *   platform pod on the metrics port.
 * - With traces on, every pod reaches the trace collector's OTLP ports (4317, 4318) in the `observability` namespace.
 */
import { AMQPS_PORT } from "../components/message-broker";
import { APP_METRICS_PORT } from "../components/app-metrics";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_CACHE_PORT } from "../components/cache";
import { POSTGRES_PORT } from "../components/database";
import { NetworkPolicies } from "../components/network-policies";
import type { ComputeRegion } from "./contracts";
import type { RegionContext } from "./program";
import { TRACE_COLLECTOR_DESTINATION } from "./traces";

export function wireNetworkIsolation(ctx: RegionContext, primary: RegionContext, compute: ComputeRegion, namespace: pulumi.Input<string>): NetworkPolicies {
    const { config } = ctx;
    const ownPrivate = ctx.network.subnets.map((s) => s.privateCidr);
    const primaryPrivate = primary.network.subnets.map((s) => s.privateCidr);
    return new NetworkPolicies(`${ctx.prefix}-netpol`, {
        namespace,
        loadBalancerTargets: { api: config.api.containerPort, ws: config.ws.containerPort },
        loadBalancerCidrs: ctx.network.subnets.map((s) => s.publicCidr),
        dataStores: {
            cache: { cidrs: ownPrivate, port: DEFAULT_CACHE_PORT },
            database: { cidrs: ctx === primary ? ownPrivate : [...ownPrivate, ...primaryPrivate], port: POSTGRES_PORT },
            // issue 19: the region's Amazon MQ broker (private subnets) on AMQPS, with the RabbitMQ queue backend.
            ...(config.queueBackend.type === "rabbitmq" ? { broker: { cidrs: ownPrivate, port: AMQPS_PORT } } : {}),
        },
        // issue 19: the AMP managed scraper connects from its interfaces in the private subnets (platform/monitoring.ts).
        ...(config.observability.prometheus.enabled ? { metricsIngress: { port: APP_METRICS_PORT, cidrs: ownPrivate } } : {}),
        // issue 19 item 3b: OTLP to the region's trace collector (platform/traces.ts), its ports only.
        ...(config.observability.traces.enabled ? { clusterServices: { "trace-collector": TRACE_COLLECTOR_DESTINATION } } : {}),
    }, { provider: compute.k8sProvider });
}
