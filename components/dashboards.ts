/**
 * Grafana dashboards as code: the dashboard JSON model (Grafana docs "JSON model": `uid`, `title`, `panels` with
 * `gridPos`, `targets`, `fieldConfig`; `templating.list` variables) generated from TypeScript, with PromQL over the
 * metric names in components/app-metrics.ts only. A `datasource` variable picks the region's Amazon Managed
 * Prometheus data source (their names start with `DATASOURCE_PREFIX`), so one dashboard serves every region.
 */
import { APP_METRICS, PLATFORM_METRICS } from "./app-metrics";

/** Names of the AMP data sources start with this (the dashboards' `datasource` variable matches it). */
export const DATASOURCE_PREFIX = "amp-";
/** Grafana dashboard schema version the models are written in (Grafana 10.x reads it and migrates older ones). */
export const DASHBOARD_SCHEMA_VERSION = 39;

export interface GrafanaPanelSpec {
    readonly title: string;
    /** PromQL, one per series; `legend` is the legendFormat. */
    readonly queries: readonly { readonly expr: string; readonly legend: string }[];
    /** Grafana unit id, e.g. `reqps`, `s`, `percentunit`, `short`, `bytes`. */
    readonly unit: string;
    readonly description?: string;
}

export interface GrafanaDashboardSpec {
    readonly uid: string;
    readonly title: string;
    readonly tags: readonly string[];
    /** Rows of up to two panels each, top to bottom. */
    readonly panels: readonly GrafanaPanelSpec[];
}

/** The Grafana JSON model of a dashboard (timeseries panels, two per row, 12 units wide, 8 high). */
export function dashboardModel(spec: GrafanaDashboardSpec): Record<string, unknown> {
    const ds = { type: "prometheus", uid: "${datasource}" };
    return {
        uid: spec.uid,
        title: spec.title,
        tags: [...spec.tags],
        timezone: "utc",
        editable: false,
        schemaVersion: DASHBOARD_SCHEMA_VERSION,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        templating: {
            list: [{
                name: "datasource",
                label: "Region",
                type: "datasource",
                query: "prometheus",
                regex: `/^${DATASOURCE_PREFIX}.*/`,
                hide: 0,
            }],
        },
        annotations: { list: [] },
        panels: spec.panels.map((p, i) => ({
            id: i + 1,
            type: "timeseries",
            title: p.title,
            ...(p.description ? { description: p.description } : {}),
            datasource: ds,
            gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
            fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
            options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
            targets: p.queries.map((q, j) => ({ refId: String.fromCharCode(65 + j), datasource: ds, expr: q.expr, legendFormat: q.legend, range: true })),
        })),
    };
}

const RATE = "[5m]";

/** The application dashboard: api request rate, latency, errors; ws connections; worker jobs; queue depth. */
export function applicationDashboard(args: { readonly namespace: string; readonly stack: string }): GrafanaDashboardSpec {
    const m = APP_METRICS;
    const ns = `namespace="${args.namespace}"`;
    return {
        uid: `${args.stack}-application`.slice(0, 40),
        title: `scaled-web ${args.stack}: application`,
        tags: ["scaled-web", args.stack],
        panels: [
            {
                title: "API requests per second by status",
                unit: "reqps",
                queries: [{ expr: `sum by (status) (rate(${m.httpRequests}{${ns}}${RATE}))`, legend: "{{status}}" }],
            },
            {
                title: "API latency (p50, p95, p99)",
                unit: "s",
                queries: [0.5, 0.95, 0.99].map((q) => ({
                    expr: `histogram_quantile(${q}, sum by (le) (rate(${m.httpRequestDuration}_bucket{${ns}}${RATE})))`,
                    legend: `p${Math.round(q * 100)}`,
                })),
            },
            {
                title: "API error ratio (5xx / all)",
                unit: "percentunit",
                queries: [{
                    expr: `sum(rate(${m.httpRequests}{${ns},status=~"5.."}${RATE})) / clamp_min(sum(rate(${m.httpRequests}{${ns}}${RATE})), 1e-9)`,
                    legend: "5xx ratio",
                }],
            },
            {
                title: "WebSocket open connections",
                unit: "short",
                queries: [
                    { expr: `sum(${m.wsOpenConnections}{${ns}})`, legend: "total" },
                    { expr: `sum by (pod) (${m.wsOpenConnections}{${ns}})`, legend: "{{pod}}" },
                ],
            },
            {
                title: "Jobs processed and failed per second by queue",
                unit: "ops",
                queries: [
                    { expr: `sum by (queue) (rate(${m.jobsProcessed}{${ns}}${RATE}))`, legend: "{{queue}} processed" },
                    { expr: `sum by (queue) (rate(${m.jobsFailed}{${ns}}${RATE}))`, legend: "{{queue}} failed" },
                ],
            },
            {
                title: "Queue depth (as KEDA's scalers read it)",
                unit: "short",
                description: "keda_scaler_metrics_value of the worker ScaledObjects: the backlog each queue trigger last read",
                queries: [{ expr: `max by (scaledObject) (${PLATFORM_METRICS.kedaScalerValue}{exported_namespace="${args.namespace}"} or ${PLATFORM_METRICS.kedaScalerValue}{namespace="${args.namespace}"})`, legend: "{{scaledObject}}" }],
            },
        ],
    };
}

/** The capacity dashboard: KEDA-driven replicas against their ceilings, node and pod CPU/memory. */
export function capacityDashboard(args: { readonly namespace: string; readonly stack: string }): GrafanaDashboardSpec {
    const p = PLATFORM_METRICS;
    const ns = `namespace="${args.namespace}"`;
    return {
        uid: `${args.stack}-capacity`.slice(0, 40),
        title: `scaled-web ${args.stack}: capacity`,
        tags: ["scaled-web", args.stack],
        panels: [
            {
                title: "Replicas KEDA runs, per ScaledObject",
                unit: "short",
                queries: [
                    { expr: `sum by (horizontalpodautoscaler) (${p.hpaCurrentReplicas}{${ns},horizontalpodautoscaler=~"keda-hpa-.*"})`, legend: "{{horizontalpodautoscaler}}" },
                    { expr: `sum by (horizontalpodautoscaler) (${p.hpaMaxReplicas}{${ns},horizontalpodautoscaler=~"keda-hpa-.*"})`, legend: "{{horizontalpodautoscaler}} max" },
                ],
            },
            {
                title: "Node CPU (cores in use)",
                unit: "short",
                queries: [{ expr: `sum by (instance) (rate(${p.containerCpu}{id="/"}${RATE}))`, legend: "{{instance}}" }],
            },
            {
                title: "Node memory (working set)",
                unit: "bytes",
                queries: [{ expr: `sum by (instance) (${p.containerMemory}{id="/"})`, legend: "{{instance}}" }],
            },
            {
                title: "Pod CPU (cores) in the app namespace",
                unit: "short",
                queries: [{ expr: `sum by (pod) (rate(${p.containerCpu}{${ns},container!="",container!="POD"}${RATE}))`, legend: "{{pod}}" }],
            },
            {
                title: "Pod memory (working set) in the app namespace",
                unit: "bytes",
                queries: [{ expr: `sum by (pod) (${p.containerMemory}{${ns},container!="",container!="POD"})`, legend: "{{pod}}" }],
            },
        ],
    };
}
