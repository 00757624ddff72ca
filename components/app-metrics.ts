/**
 * Prometheus metric names the dashboards (components/dashboards.ts) query, in one place so the exporters and the
 * dashboards cannot drift apart.
 *
 * `APP_METRICS`: what the reference application exposes on `/metrics` (the metrics work of issue 19 item 3 uses these
 * exact names; OpenMetrics conventions: counters end in `_total`, durations are histograms in seconds).
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

/** The application's metrics (the names the metrics helper exports; see the module comment). */
export const APP_METRICS = {
    /** Counter of finished HTTP requests (api), labels `method`, `route`, `status`. */
    httpRequests: "http_server_requests_total",
    /** Histogram of HTTP request durations in seconds (api): `_bucket{le}`, `_sum`, `_count`. */
    httpRequestDuration: "http_server_request_duration_seconds",
    /** Gauge of open Socket.IO connections (ws). */
    wsOpenConnections: "ws_open_connections",
    /** Counter of jobs completed by a worker, label `queue`. */
    jobsProcessed: "worker_jobs_processed_total",
    /** Counter of jobs failed by a worker, label `queue`. */
    jobsFailed: "worker_jobs_failed_total",
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
