/**
 * Prometheus metric names the reference app (app/src/metrics.js) exports on its `metrics` port, shared by the
 * Managed Prometheus alert rules (components/managed-prometheus.ts) and the Grafana dashboards. Keep these names
 * identical wherever they are used: a rule or panel on a name nothing exports stays silent.
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
