// @ts-check
/**
 * Role `queue-metrics`: publishes each BullMQ queue's backlog to CloudWatch, where the platform's
 * queue-depth alarms and dashboard read it (components/observability.ts DEFAULT_QUEUE_DEPTH_METRIC:
 * namespace `ScaledWeb/Queues`, metric `QueueDepth`, dimension `Queue` = the queue name, statistic
 * Maximum). One pod per region is enough: the metric is a gauge, and each region has its own store,
 * alarms and CloudWatch.
 *
 * What "backlog" is, from BullMQ's key layout at the installed version (bullmq 6.7.0:
 * dist/cjs/classes/queue-keys.js, dist/cjs/commands/getCounts-1.lua, queue-getters.js):
 *
 * | key under `<prefix>:<queue>:` | type | counted | why |
 * |---|---|---|---|
 * | `wait` | list | yes | jobs ready to run (`getWaitingCount`); a paused queue keeps its jobs here too |
 * | `prioritized` | sorted set | yes | jobs ready to run that carry a priority; never in `wait` |
 * | `delayed` (score <= now) | sorted set | yes | due jobs (a retry's backoff has run out) not yet promoted to `wait` |
 * | `delayed` (score > now) | sorted set | no | scheduled for later: a job scheduler keeps one there at all times |
 * | `active`, `waiting-children`, `completed`, `failed` | - | no | running, blocked on children, or done |
 * | `paused` | list | no | legacy: `pause-7.lua` now only sets `paused` in `meta` and leaves the jobs in `wait` (the list is drained on resume; `JobType` no longer names it) |
 *
 * So `QueueDepth = wait + prioritized + delayed due now` (`getJobCounts("wait", "prioritized")` plus `getDelayedCount(now)`, which counts `delayed` up to the cutoff). KEDA scales the
 * workers on the `wait` list alone (components/worker-pool.ts): the alarm also sees prioritized and
 * overdue jobs that the scaler does not.
 *
 * PutMetricData (API reference: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html):
 * one datum per queue, `Unit: "Count"`, up to 1000 data per request; the pod's identity needs
 * `cloudwatch:PutMetricData` (resource `*`, optionally conditioned on `cloudwatch:namespace`).
 */
const { Queue } = require("bullmq");
const { CloudWatchClient, PutMetricDataCommand } = require("@aws-sdk/client-cloudwatch");
const { createRedis, closeRedis, assertNotCluster } = require("./redis");
const { createServer, listen, closeServer } = require("./http");

const METRIC_NAME = "QueueDepth";
const DIMENSION = "Queue";
/** PutMetricData accepts at most 1000 data per request. */
const MAX_DATA_PER_REQUEST = 1000;

/**
 * The backlog of one queue (see the file comment).
 * @param {Queue} queue
 * @param {number} now epoch milliseconds
 */
async function queueDepth(queue, now = Date.now()) {
    const [counts, dueDelayed] = await Promise.all([
        queue.getJobCounts("wait", "prioritized"),
        queue.getDelayedCount(now),
    ]);
    return (counts.wait ?? 0) + (counts.prioritized ?? 0) + dueDelayed;
}

/**
 * PutMetricData inputs for the depth of each queue, in requests of at most 1000 data.
 * @param {string} namespace
 * @param {Readonly<Record<string, number>>} depths queue -> jobs
 * @param {Date} timestamp
 * @returns {import("@aws-sdk/client-cloudwatch").PutMetricDataCommandInput[]}
 */
function metricRequests(namespace, depths, timestamp) {
    const data = Object.entries(depths).map(([queue, value]) => ({
        MetricName: METRIC_NAME,
        Dimensions: [{ Name: DIMENSION, Value: queue }],
        Timestamp: timestamp,
        Value: value,
        Unit: /** @type {const} */ ("Count"),
    }));
    const requests = [];
    for (let i = 0; i < data.length; i += MAX_DATA_PER_REQUEST) {
        requests.push({ Namespace: namespace, MetricData: data.slice(i, i + MAX_DATA_PER_REQUEST) });
    }
    return requests;
}

/**
 * @param {import("./settings").QueueMetricsSettings} s
 * @param {{ log: (fields: Record<string, unknown>) => void, state: { draining: boolean, healthPath?: string, probePath?: string }, fatal: (err: Error) => void,
 *   redisTls?: import("tls").ConnectionOptions, cloudwatch?: { send: (command: PutMetricDataCommand) => Promise<unknown> } }} ctx
 */
async function startQueueMetrics(s, ctx) {
    const connection = createRedis(s.queueUrl, { name: "queue-metrics", tls: ctx.redisTls });
    connection.on("error", (err) => ctx.log({ level: "warn", msg: "queue store connection failed", error: err.message }));
    connection.once("ready", () => {
        assertNotCluster(connection).catch((err) => ctx.fatal(err));
    });
    const queues = s.queueNames.map((name) => new Queue(name, { connection, prefix: s.queuePrefix }));
    const cloudwatch = ctx.cloudwatch ?? new CloudWatchClient({ region: s.region });

    let stopped = false;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    /** @type {Promise<void>} */
    let running = Promise.resolve();

    const publishOnce = async () => {
        const now = new Date();
        /** @type {Record<string, number>} */
        const depths = {};
        for (const q of queues) {
            try {
                depths[q.name] = await queueDepth(q, now.getTime());
            } catch (/** @type {any} */ err) {
                // No datum rather than a wrong one: the alarm treats missing data as missing.
                ctx.log({ level: "warn", msg: "cannot read queue depth", queue: q.name, error: String(err?.message ?? err) });
            }
        }
        let published = true;
        for (const input of metricRequests(s.namespace, depths, now)) {
            try {
                await cloudwatch.send(new PutMetricDataCommand(input));
            } catch (/** @type {any} */ err) {
                published = false;
                ctx.log({ level: "warn", msg: "PutMetricData failed", namespace: s.namespace, depths, error: String(err?.message ?? err) });
            }
        }
        if (published) {
            ctx.log({ level: "info", msg: "published queue depth", namespace: s.namespace, depths });
        }
    };
    const tick = () => {
        running = publishOnce().finally(() => {
            if (!stopped) {
                timer = setTimeout(tick, s.intervalSeconds * 1000);
            }
        });
    };
    tick();

    const server = s.port === undefined ? undefined : createServer("queue-metrics", undefined, ctx.state);
    const port = server && s.port !== undefined ? await listen(server, s.port) : undefined;

    return {
        port,
        publishOnce,
        async stop() {
            stopped = true;
            clearTimeout(timer);
            await running;
            if (server) {
                await closeServer(server, 1000);
            }
            await Promise.all(queues.map((q) => q.close()));
            await closeRedis(connection);
        },
    };
}

module.exports = { startQueueMetrics, queueDepth, metricRequests, METRIC_NAME, DIMENSION };
