// @ts-check
/**
 * Role `api`: the HTTP API behind the ALB's api target group.
 *
 * - `GET /health`: see http.js.
 * - `GET /api/status`: `SELECT 1` on the writer (RDS Proxy) and the reader (`reader.<zone>`), `PING` on
 *   the queue store; 200 when all answer, else 503 with what failed.
 * - `POST /api/jobs/<queue>`: adds a job (the JSON body is its data) to a BullMQ queue listed in
 *   `QUEUE_NAMES`; 202 with the job id. Only with `JOB_API_ENABLED=true`: it has no authentication and
 *   the API is public behind the ALB, so it is for trying the platform out in dev (`api.env`).
 *
 * Tracing (app/src/tracing.js, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set): one SERVER span per request but the health
 * probes; an enqueued job carries the request span's `traceparent` in its data (`data.traceparent`, only when the
 * body is a JSON object without one), which the worker continues.
 *
 * Connections are opened lazily (pg pools on first query, ioredis with `lazyConnect`), so the pod becomes
 * Ready without waiting on the database, and a database outage shows in `/api/status`, not in restarts.
 */
const { Pool } = require("pg");
const { Queue } = require("bullmq");
const { pgConfig } = require("./postgres");
const { createRedis, closeRedis } = require("./redis");
const { createServer, listen, closeServer, sendJson, readJson, spanOf } = require("./http");
const { httpMetrics } = require("./metrics");

/**
 * The route template a request is counted under: a fixed set, so a scan of random paths cannot create series.
 * @param {string} path
 * @param {{ healthPath?: string, probePath?: string }} state
 */
function routeOf(path, state) {
    if (path === (state.healthPath ?? "/health") || path === state.probePath) {
        return "health";
    }
    if (path === "/api/status") {
        return "/api/status";
    }
    if (/^\/api\/jobs\/[^/]+$/.test(path)) {
        return "/api/jobs/:queue";
    }
    return "other";
}

/**
 * @param {import("./settings").ApiSettings} s
 * @param {{ log: (fields: Record<string, unknown>) => void, state: { draining: boolean, healthPath?: string, probePath?: string }, metrics?: import("./metrics").Registry, tracer?: import("./tracing").AnyTracer }} ctx
 */
async function startApi(s, ctx) {
    // DATABASE_AUTH=iam: no password anywhere; each new connection signs an RDS IAM token (postgres.js, aws.js).
    const iam = s.databaseAuth === "iam" ? { region: s.region ?? "" } : undefined;
    const writer = new Pool(pgConfig(s.databaseUrl, { rootCertFile: s.pgRootCertFile, applicationName: "api", iam }));
    const reader = s.replicaUrl === s.databaseUrl ? writer : new Pool(pgConfig(s.replicaUrl, { rootCertFile: s.pgRootCertFile, applicationName: "api-reader", iam }));
    for (const pool of new Set([writer, reader])) {
        // An idle client losing its connection (failover) must not crash the process.
        pool.on("error", (err) => ctx.log({ level: "warn", msg: "idle database client failed", error: err.message }));
    }
    const redis = s.queueUrl ? createRedis(s.queueUrl, { name: "api", lazyConnect: true }) : undefined;
    redis?.on("error", (err) => ctx.log({ level: "warn", msg: "queue store connection failed", error: err.message }));
    /** @type {Map<string, Queue>} */
    const queues = new Map();
    const queueFor = (/** @type {string} */ name) => {
        let q = queues.get(name);
        if (!q && redis) {
            q = new Queue(name, { connection: redis, prefix: s.queuePrefix });
            queues.set(name, q);
        }
        return q;
    };

    /** @param {() => Promise<unknown>} check */
    const probe = async (check) => {
        const started = Date.now();
        try {
            await check();
            return { ok: true, ms: Date.now() - started };
        } catch (/** @type {any} */ err) {
            return { ok: false, ms: Date.now() - started, error: String(err?.message ?? err) };
        }
    };

    const server = createServer("api", async (req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/api/status" && req.method === "GET") {
            const [dbWriter, dbReader, queue] = await Promise.all([
                probe(() => writer.query("SELECT 1")),
                probe(() => reader.query("SELECT 1")),
                redis ? probe(() => redis.ping()) : Promise.resolve({ ok: true, skipped: "no queue store configured" }),
            ]);
            const ok = dbWriter.ok && dbReader.ok && queue.ok;
            sendJson(res, ok ? 200 : 503, { ok, database: { writer: dbWriter, reader: dbReader }, queue });
            return;
        }
        const job = /^\/api\/jobs\/([^/]+)$/.exec(path);
        if (job && req.method === "POST" && s.jobApi) {
            const name = decodeURIComponent(job[1]);
            if (!s.queueNames.includes(name)) {
                sendJson(res, 404, { error: `unknown queue ${JSON.stringify(name)}; queues: ${s.queueNames.join(", ") || "none (QUEUE_NAMES is empty)"}` });
                return;
            }
            const q = queueFor(name);
            if (!q) {
                sendJson(res, 503, { error: "no queue store configured (QUEUE_REDIS_URL)" });
                return;
            }
            const body = await readJson(req);
            const traceparent = spanOf(req)?.traceparent();
            const data = traceparent && body !== null && typeof body === "object" && !Array.isArray(body) && !("traceparent" in body) ? { ...body, traceparent } : body;
            const added = await q.add("job", data, { removeOnComplete: 1000, removeOnFail: 5000 });
            sendJson(res, 202, { id: added.id, queue: name });
            return;
        }
        sendJson(res, 404, { error: "not found" });
    }, ctx.state, ctx.tracer);
    // Request count and duration per method / route / status (app/src/metrics.js), measured until the response is sent.
    const requestMetrics = ctx.metrics ? httpMetrics(ctx.metrics) : undefined;
    if (requestMetrics) {
        server.prependListener("request", (req, res) => {
            const started = process.hrtime.bigint();
            res.once("finish", () => requestMetrics.record(req.method ?? "GET", routeOf((req.url ?? "/").split("?")[0], ctx.state), res.statusCode,
                Number(process.hrtime.bigint() - started) / 1e9));
        });
    }
    const port = await listen(server, s.port);
    ctx.log({ level: "info", msg: "listening", port });

    return {
        port,
        async stop() {
            await closeServer(server, s.shutdownTimeoutSeconds * 1000);
            await Promise.all([...queues.values()].map((q) => q.close()));
            await closeRedis(redis);
            await Promise.all([...new Set([writer, reader])].map((p) => p.end()));
        },
    };
}

module.exports = { startApi, routeOf };
