/**
 * Stack config `observability` (issue 19 item 3): metrics in Amazon Managed Service for Prometheus, traces to
 * X-Ray and the optional Amazon Managed Grafana workspace. Kept out of platform/config.ts (which only references the schema, the resolved type and the issue
 * check) so other areas can add keys beside it.
 *
 * ```yaml
 * scaled-web:observability:
 *   prometheus:
 *     enabled: true            # default true: an AMP workspace, managed scraper and alert rules per region
 *     scrapeIntervalSeconds: 30
 *   traces:
 *     enabled: true            # default true: a collector per cluster, OTLP env on api/ws/worker
 *     collectorReplicas: 2     # default 2 in prod (with a PodDisruptionBudget), 1 elsewhere
 *   grafana:
 *     enabled: false           # default false; needs IAM Identity Center (AWS_SSO) in the account or organization
 *     region: us-east-1        # default the primary region; one of the stack's regions
 *     grafanaVersion: "10.4"   # 9.4, 10.4 or 12.4 (aws.grafana.Workspace grafanaVersion)
 *     tokenTtlSeconds: 2592000 # the service account token's life, at most 30 days (API CreateWorkspaceServiceAccountToken)
 *     tokenRotation: "1"       # change it to mint a new token (the old one is deleted): do so before the token expires
 * ```
 */
import { z } from "zod";
import { MAX_RETENTION_DAYS, METRICS_ADDONS, MIN_SCRAPE_INTERVAL_SECONDS, MetricsAddonName } from "../components/managed-prometheus";
import type { ConfigIssue } from "./config";

/** Versions `aws.grafana.Workspace` accepts (@pulumi/aws 7.48.0 typings: `9.4`, `10.4` and `12.4`). */
export const GRAFANA_VERSIONS = ["9.4", "10.4", "12.4"] as const;
export const DEFAULT_GRAFANA_VERSION = "10.4";
/** API reference CreateWorkspaceServiceAccountToken: `secondsToLive` "up to 30 days in the future". */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

const tracesSchema = z.object({
    enabled: z.boolean().default(true),
    /** Collector pods per cluster. @default 2 in prod, 1 elsewhere */
    collectorReplicas: z.number().int("must be a whole number").min(1, "must be 1-10").max(10, "must be 1-10").optional(),
}).strict().default({});

const grafanaSchema = z.object({
    enabled: z.boolean().default(false),
    /** Region of the workspace. @default the primary region */
    region: z.string().optional(),
    grafanaVersion: z.enum(GRAFANA_VERSIONS, { message: `must be one of ${GRAFANA_VERSIONS.join(", ")}` }).default(DEFAULT_GRAFANA_VERSION),
    tokenTtlSeconds: z.number().int("must be a whole number of seconds")
        .min(3600, "must be at least 3600 (one hour): every preview and update calls Grafana with it")
        .max(MAX_TOKEN_TTL_SECONDS, `must be at most ${MAX_TOKEN_TTL_SECONDS} (30 days, the CreateWorkspaceServiceAccountToken maximum)`)
        .default(MAX_TOKEN_TTL_SECONDS),
    tokenRotation: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, "must be 1-32 letters, digits or '-' (it becomes part of the token's name)").default("1"),
}).strict().default({});


// --- issue 19 item 3a: Amazon Managed Service for Prometheus per region (components/managed-prometheus.ts) -------
/** `observability.prometheus`: one AMP workspace + managed scraper + alert rules per region. */
export const prometheusSchema = z.object({
    /** @default true (every stack: alert rules on pod-level signals CloudWatch cannot see) */
    enabled: z.boolean().default(true),
    /** Seconds between scrapes; AMP managed collectors refuse less than 30 (AMP User Guide "Scraper limitations"). */
    scrapeIntervalSeconds: z.number().int("must be a whole number of seconds")
        .min(MIN_SCRAPE_INTERVAL_SECONDS, `must be at least ${MIN_SCRAPE_INTERVAL_SECONDS} (the AMP managed collector minimum)`)
        .max(300, "must be at most 300 (alert rules look at 5-minute windows)").default(MIN_SCRAPE_INTERVAL_SECONDS),
    /** Days AMP keeps metrics (1-1095). @default AMP's 150 */
    retentionDays: z.number().int("must be a whole number of days").min(1, "must be >= 1")
        .max(MAX_RETENTION_DAYS, `must be at most ${MAX_RETENTION_DAYS} (the AMP maximum)`).optional(),
    /** Versions of the kube-state-metrics / prometheus-node-exporter EKS community add-ons. @default DEFAULT_METRICS_ADDON_VERSIONS */
    addonVersions: z.object(Object.fromEntries(METRICS_ADDONS.map((a) => [a,
        z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "must be an EKS add-on version such as \"v2.15.0-eksbuild.4\" (aws eks describe-addon-versions)").optional()])) as
        Record<MetricsAddonName, z.ZodOptional<z.ZodString>>).strict().default({}),
}).strict().default({});
// --- end issue 19 item 3a ---

export const observabilitySchema = z.object({
    prometheus: prometheusSchema,
    traces: tracesSchema,
    grafana: grafanaSchema,
}).strict().default({});

export type ObservabilityRaw = z.output<typeof observabilitySchema>;

export interface ObservabilityConfig {
    /** Amazon Managed Service for Prometheus per region (platform/monitoring.ts). */
    readonly prometheus: z.output<typeof prometheusSchema>;
    readonly traces: { readonly enabled: boolean; readonly collectorReplicas?: number };
    readonly grafana: {
        readonly enabled: boolean;
        /** Resolved: the primary region when not given. */
        readonly region: string;
        readonly grafanaVersion: (typeof GRAFANA_VERSIONS)[number];
        readonly tokenTtlSeconds: number;
        readonly tokenRotation: string;
    };
}

/** Resolves defaults that depend on the rest of the stack (the primary region). */
export function resolveObservability(raw: ObservabilityRaw, primaryRegion: string): ObservabilityConfig {
    return {
        prometheus: raw.prometheus,
        traces: { ...raw.traces },
        grafana: { ...raw.grafana, region: raw.grafana.region ?? primaryRegion },
    };
}

/** Cross-field rules: the workspace region must be one of the stack's regions (its AMP workspaces live there). */
export function observabilityIssues(raw: ObservabilityRaw, regions: readonly string[]): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    const region = raw.grafana.region;
    if (region !== undefined && !regions.includes(region)) {
        out.push({
            path: "observability.grafana.region",
            message: `must be one of the stack's regions (${regions.join(", ")}), got "${region}"; leave it out to use the primary region`,
        });
    }
    if (raw.traces.enabled === false && raw.traces.collectorReplicas !== undefined) {
        out.push({ path: "observability.traces.collectorReplicas", message: `is set (${raw.traces.collectorReplicas}) but traces.enabled is false; remove it or enable traces` });
    }
    return out;
}
