/**
 * Stage monitoring (issue 19 item 3a): one `ManagedPrometheus` per region when `observability.prometheus.enabled`
 * (components/managed-prometheus.ts): an AMP workspace, the AMP managed scraper reading the region's cluster (the
 * application pods' `metrics` port, the KEDA operator, kube-state-metrics, node exporter, cAdvisor), alert rules on
 * the stack's `alerts.thresholds` and an alert manager publishing to the region's warning / critical SNS topics
 * (platform/observability.ts; their topic and key policies admit `aps.amazonaws.com` of this account).
 *
 * Runs after observability (it needs the topics). The application namespace's NetworkPolicies open the metrics port
 * to the private subnets the scraper's interfaces sit in (platform/network-isolation.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ManagedPrometheus } from "../components/managed-prometheus";
import type { Observability } from "../components/observability";
import type { ComputeRegionDetails } from "./compute";
import { PlatformConfig } from "./config";
import type { RegionContext } from "./program";
import { appNamespaceOf } from "./workloads";

/** What the Grafana wiring (and the stack outputs) read: each region's workspace. */
export interface MonitoringOutputs {
    readonly regions: ReadonlyMap<string, { workspaceId: pulumi.Output<string>; workspaceArn: pulumi.Output<string>; prometheusEndpoint: pulumi.Output<string> }>;
}

export interface MonitoringDeps {
    readonly compute: ReadonlyMap<string, ComputeRegionDetails>;
    /** The region's alerting (its SNS topics). */
    readonly observability: ReadonlyMap<string, Observability>;
}


/** Creates every region's Managed Prometheus; an empty map when `observability.prometheus.enabled` is false. */
export function wireMonitoring(config: PlatformConfig, regions: readonly RegionContext[], deps: MonitoringDeps): MonitoringOutputs {
    const out = new Map<string, { workspaceId: pulumi.Output<string>; workspaceArn: pulumi.Output<string>; prometheusEndpoint: pulumi.Output<string> }>();
    const prom = config.observability.prometheus;
    if (!prom.enabled) {
        return { regions: out };
    }
    for (const ctx of regions) {
        const region = ctx.region.name;
        const compute = deps.compute.get(region);
        const obs = deps.observability.get(region);
        if (!compute || !obs) {
            throw new Error(`wireMonitoring: region ${region} has no ${compute ? "observability" : "compute"} stage output; wire compute and observability first`);
        }
        const amp = new ManagedPrometheus(`${ctx.prefix}-amp`, {
            region,
            clusterArn: compute.cluster.clusterArn,
            clusterName: compute.clusterName,
            vpcId: ctx.network.vpcId,
            subnetIds: ctx.network.privateSubnetIds,
            nodeSecurityGroupId: compute.nodeSecurityGroupId,
            clusterSecurityGroupId: compute.cluster.clusterSecurityGroupId,
            appNamespace: appNamespaceOf(config),
            warningTopicArn: obs.warningTopicArn,
            criticalTopicArn: obs.criticalTopicArn,
            thresholds: config.alerts.thresholds,
            // Seed 002 high_load: warn when pods stay above the rate KEDA scales each api pod to.
            highLoadRequestsPerSecond: config.scaling.requestsPerSecondPerPod,
            scrapeIntervalSeconds: prom.scrapeIntervalSeconds,
            retentionDays: prom.retentionDays,
            addonVersions: prom.addonVersions,
            addonsAfter: Object.values(compute.nodePools),
            tags: config.tags,
        }, { provider: ctx.provider });
        out.set(region, { workspaceId: amp.workspaceId, workspaceArn: amp.workspaceArn, prometheusEndpoint: amp.prometheusEndpoint });
    }
    return { regions: out };
}
