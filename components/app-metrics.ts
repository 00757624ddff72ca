/**
 * Prometheus metric names in one place, so the exporters, the Managed Prometheus alert rules
 * (components/managed-prometheus.ts) and the Grafana dashboards (components/dashboards.ts) cannot drift apart: a rule
 * or panel on a name nothing exports stays silent.
 *
 * The application's own metrics are what the reference app (app/src/metrics.js) exports on its `metrics` port
 * (OpenMetrics conventions: counters end in `_total`, durations are histograms in seconds).
 *
 * `PLATFORM_METRICS`: what the cluster's own exporters publish, which the AMP scraper must scrape for the panels to
 * show data:
 * - cAdvisor (kubelet `/metrics/cadvisor`): `container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`
 *   with `namespace`, `pod`, `container` labels; the root cgroup (`id="/"`) is the whole node;
 * - KEDA operator (its Prometheus endpoint, KEDA docs "Integrate with Prometheus"): `keda_scaler_metrics_value`, the
 *   value each scaler last read (for the queue triggers: the queue's backlog), labels `scaledObject`, `scaler`, `metric`;
 * - kube-state-metrics: `kube_horizontalpodautoscaler_status_current_replicas` / `..._spec_max_replicas`; KEDA names the
 *   HPA it creates for a ScaledObject `keda-hpa-<scaledobject>`.
 */

/** Counter, labels `method`, `route`, `status` (api role). */
export const HTTP_REQUESTS_TOTAL = "http_server_requests_total";
/** Histogram in seconds, labels `method`, `route` (api role); series `_bucket`, `_sum`, `_count`. */
export const HTTP_REQUEST_DURATION_SECONDS = "http_server_request_duration_seconds";
/** Gauge: open WebSocket connections of one ws pod. */
export const WS_OPEN_CONNECTIONS = "ws_open_connections";
/** Counter, label `queue` (worker role). */
export const WORKER_JOBS_PROCESSED_TOTAL = "worker_jobs_processed_total";
/** Counter, label `queue` (worker role). */
export const WORKER_JOBS_FAILED_TOTAL = "worker_jobs_failed_total";
/** Counter: user + system CPU seconds of the process (every role; Prometheus client convention). */
export const PROCESS_CPU_SECONDS_TOTAL = "process_cpu_seconds_total";
/** Gauge: resident set size in bytes (every role; Prometheus client convention). */
export const PROCESS_RESIDENT_MEMORY_BYTES = "process_resident_memory_bytes";

/** Every metric family the app exports (histograms by their base name). */
export const APP_METRIC_NAMES = [
    HTTP_REQUESTS_TOTAL, HTTP_REQUEST_DURATION_SECONDS, WS_OPEN_CONNECTIONS,
    WORKER_JOBS_PROCESSED_TOTAL, WORKER_JOBS_FAILED_TOTAL, PROCESS_CPU_SECONDS_TOTAL, PROCESS_RESIDENT_MEMORY_BYTES,
] as const;

/** The container port (and its name) the app serves `/metrics` on; the scraper keeps pods by this port name. */
export const APP_METRICS_PORT = 9464;
export const APP_METRICS_PORT_NAME = "metrics";
export const APP_METRICS_PATH = "/metrics";

/** The application's metrics by role in the dashboards (the constants above). */
export const APP_METRICS = {
    httpRequests: HTTP_REQUESTS_TOTAL,
    httpRequestDuration: HTTP_REQUEST_DURATION_SECONDS,
    wsOpenConnections: WS_OPEN_CONNECTIONS,
    jobsProcessed: WORKER_JOBS_PROCESSED_TOTAL,
    jobsFailed: WORKER_JOBS_FAILED_TOTAL,
} as const;

/** The cluster's metrics the dashboards read (see the module comment for their exporters). */
export const PLATFORM_METRICS = {
    containerCpu: "container_cpu_usage_seconds_total",
    containerMemory: "container_memory_working_set_bytes",
    kedaScalerValue: "keda_scaler_metrics_value",
    hpaCurrentReplicas: "kube_horizontalpodautoscaler_status_current_replicas",
    hpaMaxReplicas: "kube_horizontalpodautoscaler_spec_max_replicas",
} as const;

/** Every metric name a dashboard may use. */
export const KNOWN_METRICS: readonly string[] = [
    ...Object.values(APP_METRICS).flatMap((m) => (m === APP_METRICS.httpRequestDuration ? [`${m}_bucket`, `${m}_sum`, `${m}_count`] : [m])),
    ...Object.values(PLATFORM_METRICS),
];
