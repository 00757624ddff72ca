#!/usr/bin/env node
// @ts-check
/**
 * Entry point of the reference application: one image, four roles chosen by `APP_ROLE`
 * (`api`, `ws`, `worker`, `queue-metrics`, and the one-shot `db-bootstrap` the bootstrap Job runs); see settings.js for the environment each reads.
 *
 * Runs as any non-root user on a read-only root filesystem: it writes nothing but stdout/stderr
 * (structured JSON lines). SIGTERM/SIGINT: mark draining (`/health` answers 503), stop accepting,
 * finish in-flight requests or jobs, close the database and store connections, exit 0; a second
 * signal or the shutdown timeout exits at once.
 */
const { readSettings, SettingsError } = require("./settings");
const { createRegistry, startMetricsServer } = require("./metrics");
const { NOOP_TRACER, createTracer } = require("./tracing");

/** Roles that trace (app/src/tracing.js): one span per request, connection or job. */
const TRACED_ROLES = new Set(["api", "ws", "worker"]);

/** @param {Record<string, unknown>} fields */
function log(fields) {
    const line = JSON.stringify({ time: new Date().toISOString(), role: process.env.APP_ROLE, ...fields });
    if (fields.level === "error" || fields.level === "warn") {
        console.error(line);
    } else {
        console.log(line);
    }
}

/**
 * Starts the role `settings` names.
 * @param {import("./settings").Settings} settings
 * @param {{ log: typeof log, state: { draining: boolean, healthPath?: string, probePath?: string }, fatal: (err: Error) => void, metrics?: import("./metrics").Registry, tracer?: import("./tracing").AnyTracer }} ctx
 * @returns {Promise<{ stop: () => Promise<void>, done?: boolean }>}
 */
function start(settings, ctx) {
    switch (settings.role) {
        case "api":
            return require("./api").startApi(settings, ctx);
        case "ws":
            return require("./ws").startWs(settings, ctx);
        case "worker":
            return require("./worker").startWorker(settings, ctx);
        case "queue-metrics":
            return require("./queue-metrics").startQueueMetrics(settings, ctx);
        case "db-bootstrap":
            return require("./bootstrap").startBootstrap(settings, ctx);
    }
}

async function main() {
    let settings;
    try {
        settings = readSettings(process.env);
    } catch (err) {
        if (err instanceof SettingsError) {
            console.error(err.message);
            process.exit(1);
        }
        throw err;
    }
    const state = { draining: false, healthPath: settings.healthPath, probePath: settings.probePath };
    const fatal = (/** @type {Error} */ err) => {
        log({ level: "error", msg: "fatal", error: err.message });
        process.exit(1);
    };
    // OTEL_EXPORTER_OTLP_ENDPOINT unset: a no-op tracer (nothing sent, no timer).
    const tracer = TRACED_ROLES.has(settings.role) ? createTracer(process.env, settings.role, log) : NOOP_TRACER;
    if (tracer.enabled) {
        log({ level: "info", msg: "tracing", endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT });
    }
    // Prometheus metrics (issue 19): each role registers its own on this registry; served on METRICS_PORT when set.
    const metrics = createRegistry();
    const app = await start(settings, { log, state, fatal, metrics, tracer });
    const metricsServer = !app.done && settings.metricsPort !== undefined ? await startMetricsServer(metrics, settings.metricsPort) : undefined;
    if (metricsServer) {
        log({ level: "info", msg: "serving metrics", port: metricsServer.port, path: "/metrics" });
    }
    if (app.done) {
        // A one-shot role (db-bootstrap): its work is finished; exit 0 so the Job completes.
        log({ level: "info", msg: "done" });
        process.exit(0);
    }

    let stopping = false;
    const shutdown = (/** @type {string} */ signal) => {
        if (stopping) {
            log({ level: "warn", msg: "second signal, exiting now", signal });
            process.exit(1);
        }
        stopping = true;
        state.draining = true;
        log({ level: "info", msg: "shutting down", signal });
        const deadline = setTimeout(() => {
            log({ level: "error", msg: "shutdown timed out" });
            process.exit(1);
        }, (settings.shutdownTimeoutSeconds + 5) * 1000);
        deadline.unref();
        // The spans of the requests, connections and jobs that just finished are sent; the metrics port closes last,
        // so the final scrape still sees the drain.
        app.stop().then(() => tracer.shutdown()).then(() => new Promise((resolve) => (metricsServer ? metricsServer.server.close(() => resolve(undefined)) : resolve(undefined)))).then(() => {
            log({ level: "info", msg: "stopped" });
            process.exit(0);
        }, (/** @type {any} */ err) => {
            log({ level: "error", msg: "shutdown failed", error: String(err?.stack ?? err) });
            process.exit(1);
        });
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
}

if (require.main === module) {
    main().catch((err) => {
        log({ level: "error", msg: "failed to start", error: String(err?.stack ?? err) });
        process.exit(1);
    });
}

module.exports = { start, log };
