// @ts-check
/**
 * Role `worker`: consumes one BullMQ queue (`QUEUE_NAME`, keys under `QUEUE_PREFIX`), running at most
 * `WORKER_CONCURRENCY` jobs at once, as components/worker-pool.ts configures per queue.
 *
 * The reference job: `{ sleepMs?: number, fail?: string }` waits `sleepMs` (capped at 60 s) and returns
 * `{ pod, queue, jobId }`, or fails with `fail` as its reason. Replace `processJob` with real work.
 *
 * SIGTERM: `worker.close()` stops taking jobs and waits for the active ones (the pod's termination grace
 * period, 90 s by default, fits inside the spot interruption notice); a job that outlives it loses its
 * lock and BullMQ hands it to another worker as stalled.
 */
const os = require("os");
const { Worker } = require("bullmq");
const { createRedis, closeRedis, assertNotCluster } = require("./redis");
const { createServer, listen, closeServer } = require("./http");
const { SPAN_KIND } = require("./tracing");

const MAX_SLEEP_MS = 60_000;

/**
 * The reference job.
 * @param {import("bullmq").Job} job
 * @param {string} queue
 */
async function processJob(job, queue) {
    const data = /** @type {{ sleepMs?: unknown, fail?: unknown }} */ (job.data ?? {});
    const ms = typeof data.sleepMs === "number" && data.sleepMs > 0 ? Math.min(data.sleepMs, MAX_SLEEP_MS) : 0;
    if (ms > 0) {
        await new Promise((resolve) => setTimeout(resolve, ms));
    }
    if (typeof data.fail === "string") {
        throw new Error(data.fail);
    }
    return { pod: os.hostname(), queue, jobId: job.id };
}

/**
 * Runs `work` inside one SERVER span for `job` (a segment of its own in X-Ray, under the worker's service name),
 * continuing `job.data.traceparent` (set by the api when it enqueued the job); a throw marks the span failed and is
 * rethrown. Attribute names: OpenTelemetry messaging semantic conventions.
 * @template T
 * @param {import("./tracing").AnyTracer | undefined} tracer
 * @param {{ id?: string, data?: any, attemptsMade?: number }} job
 * @param {string} queue
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
async function traceJob(tracer, job, queue, work) {
    if (!tracer?.enabled) {
        return work();
    }
    const span = tracer.startSpan(`process ${queue}`, {
        kind: SPAN_KIND.SERVER,
        parent: job.data?.traceparent,
        attributes: {
            "messaging.system": "bullmq",
            "messaging.operation.type": "process",
            "messaging.destination.name": queue,
            ...(job.id !== undefined ? { "messaging.message.id": String(job.id) } : {}),
            ...(job.attemptsMade !== undefined ? { "bullmq.attempts_made": job.attemptsMade } : {}),
        },
    });
    try {
        return await work();
    } catch (/** @type {any} */ err) {
        span.setError(String(err?.message ?? err));
        throw err;
    } finally {
        span.end();
    }
}

/**
 * @param {import("./settings").WorkerSettings} s
 * @param {{ log: (fields: Record<string, unknown>) => void, state: { draining: boolean, healthPath?: string, probePath?: string }, fatal: (err: Error) => void, redisTls?: import("tls").ConnectionOptions,
 *   metrics?: import("./metrics").Registry,
 *   tracer?: import("./tracing").AnyTracer }} ctx
 */
async function startWorker(s, ctx) {
    const connection = createRedis(s.queueUrl, { name: `worker-${s.queueName}`, blocking: true, tls: ctx.redisTls });
    connection.on("error", (err) => ctx.log({ level: "warn", msg: "queue store connection failed", error: err.message }));
    connection.once("ready", () => {
        assertNotCluster(connection).catch((err) => ctx.fatal(err));
    });
    let running = 0; // jobs this process is working on now
    const worker = new Worker(s.queueName, async (job) => {
        running++;
        try {
            return await traceJob(ctx.tracer, job, s.queueName, () => processJob(job, s.queueName));
        } finally {
            running--;
        }
    }, {
        connection,
        prefix: s.queuePrefix,
        concurrency: s.concurrency,
        autorun: true,
    });
    worker.on("error", (err) => ctx.log({ level: "warn", msg: "worker error", error: err.message }));
    // Jobs finished per queue (app/src/metrics.js): BullMQ emits `completed` / `failed` once per attempt outcome.
    const processed = ctx.metrics?.counter("worker_jobs_processed_total", "Jobs this worker completed, by queue.");
    const failed = ctx.metrics?.counter("worker_jobs_failed_total", "Job attempts that failed on this worker, by queue.");
    processed?.inc({ queue: s.queueName }, 0);
    failed?.inc({ queue: s.queueName }, 0);
    worker.on("completed", () => processed?.inc({ queue: s.queueName }));
    worker.on("failed", (job, err) => {
        failed?.inc({ queue: s.queueName });
        ctx.log({ level: "info", msg: "job failed", queue: s.queueName, jobId: job?.id, error: err.message });
    });

    const server = s.port === undefined ? undefined : createServer("worker", undefined, ctx.state);
    const port = server && s.port !== undefined ? await listen(server, s.port) : undefined;
    ctx.log({ level: "info", msg: "consuming", queue: s.queueName, prefix: s.queuePrefix, concurrency: s.concurrency, ...(port ? { port } : {}) });

    return {
        port,
        worker,
        async stop() {
            // Without a queue-store connection and with no job running there is nothing to drain, and a plain close()
            // would wait for the connection (until the shutdown deadline, then exit 1): close without waiting then.
            // With a job running it waits as always, so a connection blip never abandons work.
            await worker.close(connection.status !== "ready" && running === 0);
            if (server) {
                await closeServer(server, 1000);
            }
            await closeRedis(connection);
        },
    };
}

module.exports = { startWorker, processJob, traceJob };
