// @ts-check
/**
 * Prometheus metrics of the reference app, hand-written (no client library): counters, gauges and histograms kept
 * in memory and rendered in the Prometheus text exposition format 0.0.4 (`# HELP`, `# TYPE`, one sample per line,
 * label values escaped, histogram buckets cumulative with `le="+Inf"`, `_sum` and `_count`) on `GET /metrics` of a
 * dedicated port (`METRICS_PORT`, 9464 on the platform), so the scraper never shares the traffic port.
 *
 * Names are the ones components/app-metrics.ts declares for the alert rules and dashboards:
 * `http_server_requests_total` / `http_server_request_duration_seconds` (api), `ws_open_connections` (ws),
 * `worker_jobs_processed_total` / `worker_jobs_failed_total` (worker), `process_cpu_seconds_total` and
 * `process_resident_memory_bytes` (every role).
 */
const http = require("http");

/** Latency buckets in seconds: fine around the seed's p95 targets (300 / 500 ms). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10];

/** @param {string} v */
function escapeLabel(v) {
    return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** @param {Record<string, string>} labels */
function labelText(labels) {
    const keys = Object.keys(labels);
    return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",")}}`;
}

/** @param {number} n */
function num(n) {
    return Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
}

class Registry {
    constructor() {
        /** @type {Map<string, { type: string, help: string, render: () => string[] }>} */
        this.families = new Map();
    }

    /**
     * @param {string} name
     * @param {string} type
     * @param {string} help
     * @param {() => string[]} render
     */
    register(name, type, help, render) {
        if (this.families.has(name)) {
            throw new Error(`metric ${name} is registered twice`);
        }
        this.families.set(name, { type, help, render });
    }

    /**
     * A counter (only goes up) keyed by label values.
     * @param {string} name
     * @param {string} help
     */
    counter(name, help) {
        /** @type {Map<string, { labels: Record<string, string>, value: number }>} */
        const series = new Map();
        this.register(name, "counter", help, () => [...series.values()].map((s) => `${name}${labelText(s.labels)} ${num(s.value)}`));
        return {
            /** @param {Record<string, string>} [labels] @param {number} [by] */
            inc(labels = {}, by = 1) {
                if (!(by >= 0)) {
                    throw new Error(`counter ${name} cannot go down (by ${by})`);
                }
                const key = labelText(labels);
                const s = series.get(key) ?? { labels, value: 0 };
                s.value += by;
                series.set(key, s);
            },
        };
    }

    /**
     * A gauge whose value is read when scraped.
     * @param {string} name
     * @param {string} help
     * @param {() => number} read
     */
    gauge(name, help, read) {
        this.register(name, "gauge", help, () => [`${name} ${num(read())}`]);
    }

    /**
     * A histogram with cumulative buckets.
     * @param {string} name
     * @param {string} help
     * @param {number[]} buckets upper bounds, ascending
     */
    histogram(name, help, buckets) {
        /** @type {Map<string, { labels: Record<string, string>, counts: number[], sum: number, count: number }>} */
        const series = new Map();
        this.register(name, "histogram", help, () => [...series.values()].flatMap((s) => [
            ...buckets.map((b, i) => `${name}_bucket${labelText({ ...s.labels, le: num(b) })} ${s.counts[i]}`),
            `${name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${s.count}`,
            `${name}_sum${labelText(s.labels)} ${num(s.sum)}`,
            `${name}_count${labelText(s.labels)} ${s.count}`,
        ]));
        return {
            /** @param {Record<string, string>} labels @param {number} value */
            observe(labels, value) {
                const key = labelText(labels);
                const s = series.get(key) ?? { labels, counts: buckets.map(() => 0), sum: 0, count: 0 };
                buckets.forEach((b, i) => {
                    if (value <= b) {
                        s.counts[i] += 1;
                    }
                });
                s.sum += value;
                s.count += 1;
                series.set(key, s);
            },
        };
    }

    /** The exposition text of every family. */
    render() {
        const lines = [];
        for (const [name, f] of this.families) {
            lines.push(`# HELP ${name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${f.type}`, ...f.render());
        }
        return `${lines.join("\n")}\n`;
    }
}

/**
 * A registry with the process metrics every role exports.
 * @returns {Registry}
 */
function createRegistry() {
    const registry = new Registry();
    registry.register("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", () => {
        const u = process.cpuUsage();
        return [`process_cpu_seconds_total ${num((u.user + u.system) / 1e6)}`];
    });
    registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage().rss);
    registry.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => Math.round(Date.now() / 1000 - process.uptime()));
    return registry;
}

/**
 * The api's request metrics; `route` is a bounded template (never the raw path, which would explode the series).
 * @param {Registry} registry
 */
function httpMetrics(registry) {
    const requests = registry.counter("http_server_requests_total", "HTTP requests answered, by method, route and status.");
    const duration = registry.histogram("http_server_request_duration_seconds", "HTTP request duration in seconds, by method and route.", DURATION_BUCKETS);
    return {
        /**
         * Records one answered request.
         * @param {string} method
         * @param {string} route
         * @param {number} status
         * @param {number} seconds
         */
        record(method, route, status, seconds) {
            requests.inc({ method, route, status: String(status) });
            duration.observe({ method, route }, seconds);
        },
    };
}

/**
 * Serves `GET /metrics` (HEAD too) on `port`; anything else is 404. Resolves with the server and its bound port.
 * @param {Registry} registry
 * @param {number} port
 * @returns {Promise<{ server: import("http").Server, port: number }>}
 */
function startMetricsServer(registry, port) {
    const server = http.createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/metrics" && (req.method === "GET" || req.method === "HEAD")) {
            const body = registry.render();
            res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
            res.end(req.method === "HEAD" ? undefined : body);
            return;
        }
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end("not found\n");
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, () => {
            server.off("error", reject);
            const addr = server.address();
            resolve({ server, port: typeof addr === "object" && addr ? addr.port : port });
        });
    });
}

module.exports = { Registry, createRegistry, httpMetrics, startMetricsServer, DURATION_BUCKETS };
