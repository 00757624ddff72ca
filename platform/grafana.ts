/**
 * Stage dashboards (issue 19 item 3b), only with `observability.grafana.enabled`: one Amazon Managed Grafana
 * workspace for the stack (components/grafana-workspace.ts) in `observability.grafana.region` (default the primary),
 * with a Prometheus data source per region's Amazon Managed Prometheus workspace, an X-Ray data source per region
 * (where each region's trace collector exports, platform/traces.ts), and the application and capacity dashboards
 * (components/dashboards.ts) generated from TypeScript.
 *
 * Sign-in is through IAM Identity Center (AWS_SSO): assign users or groups to the workspace (Admin/Editor/Viewer) in
 * the console or with `aws grafana update-permissions`; Pulumi manages the workspace's content through its own
 * service account token, which lives at most 30 days (`observability.grafana.tokenTtlSeconds`). Once it has
 * expired every preview and update of the Grafana resources fails with 401: change `observability.grafana.tokenRotation`
 * (any new value) and run `pulumi up`, which mints a new token and deletes the old one. The `grafana` stack output
 * names the expiry time.
 */
import * as pulumi from "@pulumi/pulumi";
import { applicationDashboard, capacityDashboard } from "../components/dashboards";
import { GrafanaWorkspace, PrometheusWorkspaceRef } from "../components/grafana-workspace";
import type { PlatformConfig } from "./config";
import type { RegionContext } from "./program";

/** The Amazon Managed Prometheus workspaces, structurally `MonitoringOutputs` of platform/monitoring.ts (the metrics stage). */
export interface PrometheusWorkspaces {
    readonly regions: ReadonlyMap<string, PrometheusWorkspaceRef>;
}

export interface GrafanaOutputs {
    readonly workspace: GrafanaWorkspace;
    readonly url: pulumi.Output<string>;
    readonly workspaceId: pulumi.Output<string>;
    readonly tokenExpiresAt: pulumi.Output<string>;
}

/** The stack's Grafana workspace; undefined when `observability.grafana.enabled` is false. */
export function wireGrafana(config: PlatformConfig, regions: readonly RegionContext[], amp: PrometheusWorkspaces): GrafanaOutputs | undefined {
    const g = config.observability.grafana;
    if (!g.enabled) {
        return undefined;
    }
    const home = regions.find((r) => r.region.name === g.region) ?? regions[0];
    const dashboardArgs = { namespace: config.project, stack: config.stack };
    const workspace = new GrafanaWorkspace(`${config.environment}-grafana`, {
        region: home.region.name,
        prometheus: amp.regions,
        xrayRegions: config.observability.traces.enabled ? regions.map((r) => r.region.name) : [],
        dashboards: [applicationDashboard(dashboardArgs), capacityDashboard(dashboardArgs)],
        grafanaVersion: g.grafanaVersion,
        tokenTtlSeconds: g.tokenTtlSeconds,
        tokenRotation: g.tokenRotation,
        tags: { ...config.tags },
    }, { provider: home.provider });
    return { workspace, url: workspace.url, workspaceId: workspace.workspaceId, tokenExpiresAt: workspace.tokenExpiresAt };
}
