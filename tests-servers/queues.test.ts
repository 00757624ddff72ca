/**
 * BullMQ on a TLS-only Redis/Valkey with an auth token, through the URL the platform injects
 * (`rediss://:<token>@host:port`, components/cache.ts `cacheUrl`):
 * - the worker role, run with node and the environment WorkerPool gives it, honours WORKER_CONCURRENCY
 *   and finishes its active jobs on SIGTERM;
 * - the queue-metrics role counts wait + prioritized + due delayed jobs and sends them with PutMetricData;
 * - a wrong token is refused.
 */
import { Queue, QueueEvents } from "bullmq";
import Redis from "ioredis";
import { AppProcess, startApp } from "../tests/app-process";
import { CA_FILE, REDIS_TOKEN, TlsRedis, startTlsRedis, testTls } from "./servers";

/* eslint-disable @typescript-eslint/no-require-imports */
const { createRedis } = require("../app/src/redis");
const { startQueueMetrics } = require("../app/src/queue-metrics");
const { readSettings } = require("../app/src/settings");
/* eslint-enable @typescript-eslint/no-require-imports */

let redis: TlsRedis;
let client: Redis;
beforeAll(async () => {
    redis = await startTlsRedis();
    client = createRedis(redis.url, { tls: testTls(), blocking: true });
    await client.ping();
});
afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
});

test("ioredis parses the platform's URL: TLS, the token percent-decoded, AUTH accepted", async () => {
    expect(client.options).toMatchObject({ host: "localhost", port: redis.port, password: REDIS_TOKEN });
    expect(await client.ping()).toBe("PONG");
    const wrong = createRedis(redis.url.replace(encodeURIComponent(REDIS_TOKEN), "wrong"), { tls: testTls(), lazyConnect: true });
    const errors: string[] = [];
    wrong.on("error", (e: Error) => errors.push(e.message));
    await wrong.connect().catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
    }
    wrong.disconnect();
    expect(errors[0]).toMatch(/WRONGPASS|invalid username-password/);
});

test("plain redis:// to the TLS-only port does not get an answer", async () => {
    const plain = createRedis(redis.url.replace("rediss://", "redis://"), { lazyConnect: true });
    plain.on("error", () => undefined);
    const outcome = await Promise.race([
        plain.ping().then(() => "answered", () => "refused"),
        new Promise((r) => setTimeout(() => r("no answer"), 1500)),
    ]);
    expect(outcome).not.toBe("answered");
    plain.disconnect();
});

describe("the worker role", () => {
    let worker: AppProcess | undefined;
    afterEach(async () => {
        await worker?.stop();
    });

    test("runs at most WORKER_CONCURRENCY jobs at once, and drains its active jobs on SIGTERM", async () => {
        const queueName = "sla-checks";
        const prefix = "bull";
        const queue = new Queue(queueName, { connection: client, prefix });
        const eventsConnection = createRedis(redis.url, { tls: testTls(), blocking: true });
        const events = new QueueEvents(queueName, { connection: eventsConnection, prefix });
        await events.waitUntilReady();
        try {
            // As WorkerPool configures a worker (components/worker-pool.ts), plus the queue URL from the Secret.
            worker = startApp({
                APP_ROLE: "worker", QUEUE_NAME: queueName, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: "3",
                QUEUE_REDIS_URL: redis.url, NODE_EXTRA_CA_CERTS: CA_FILE,
            });
            await worker.waitFor('"msg":"consuming"');
            const completed: string[] = [];
            events.on("completed", ({ jobId }) => completed.push(jobId));
            await queue.addBulk(Array.from({ length: 9 }, (_, i) => ({ name: "job", data: { sleepMs: 400 }, opts: { jobId: `j${i}` } })));
            let maxActive = 0;
            const deadline = Date.now() + 20_000;
            while (completed.length < 9 && Date.now() < deadline) {
                maxActive = Math.max(maxActive, await queue.getActiveCount());
                await new Promise((r) => setTimeout(r, 40));
            }
            expect(completed.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `j${i}`).sort());
            expect(maxActive).toBe(3);

            // SIGTERM with jobs running: they complete before the process exits 0.
            await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: "job", data: { sleepMs: 1500 }, opts: { jobId: `late${i}` } })));
            while ((await queue.getActiveCount()) < 3) {
                await new Promise((r) => setTimeout(r, 20));
            }
            expect(await worker.stop()).toBe(0);
            expect(await queue.getJobCounts("completed", "active", "wait")).toEqual({ completed: 12, active: 0, wait: 0 });
        } finally {
            await events.close();
            await queue.close();
            eventsConnection.disconnect();
        }
    });
});

describe("the queue-metrics role", () => {
    test("publishes wait + prioritized + due delayed jobs per queue, with the alarms' metric and dimension", async () => {
        const prefix = "bull";
        const names = ["notifications", "analytics"];
        const queues = names.map((n) => new Queue(n, { connection: client, prefix }));
        try {
            const [notifications, analytics] = queues;
            await notifications.addBulk([{ name: "a", data: {} }, { name: "b", data: {} }]);
            await notifications.add("urgent", {}, { priority: 1 });
            await notifications.add("due", {}, { delay: 50 });
            await notifications.add("later", {}, { delay: 3_600_000 });
            await analytics.add("later", {}, { delay: 3_600_000 });
            await new Promise((r) => setTimeout(r, 200));

            const sent: any[] = [];
            const settings = readSettings({ APP_ROLE: "queue-metrics", QUEUE_NAMES: names.join(","), QUEUE_REDIS_URL: redis.url, AWS_REGION: "us-east-1" });
            const app = await startQueueMetrics(settings, {
                log: () => undefined,
                state: { draining: false },
                fatal: (e: Error) => {
                    throw e;
                },
                redisTls: testTls(),
                cloudwatch: { send: async (command: any) => sent.push(command.input) },
            });
            try {
                const deadline = Date.now() + 10_000;
                while (sent.length === 0 && Date.now() < deadline) {
                    await new Promise((r) => setTimeout(r, 20));
                }
            } finally {
                await app.stop();
            }
            expect(sent[0]).toEqual({
                Namespace: "ScaledWeb/Queues",
                MetricData: [
                    { MetricName: "QueueDepth", Dimensions: [{ Name: "Queue", Value: "notifications" }], Timestamp: expect.any(Date), Value: 4, Unit: "Count" },
                    { MetricName: "QueueDepth", Dimensions: [{ Name: "Queue", Value: "analytics" }], Timestamp: expect.any(Date), Value: 0, Unit: "Count" },
                ],
            });
        } finally {
            await Promise.all(queues.map((q) => q.obliterate({ force: true }).then(() => q.close())));
        }
    });

    test("as a process: starts from its environment, answers /health on PORT, exits 0 on SIGTERM", async () => {
        const { freePort } = await import("./servers");
        const { request } = await import("../tests/app-process");
        const port = await freePort();
        const app = startApp({
            APP_ROLE: "queue-metrics", QUEUE_NAMES: "sla-checks", QUEUE_REDIS_URL: redis.url, NODE_EXTRA_CA_CERTS: CA_FILE,
            AWS_REGION: "us-east-1", PORT: String(port),
            // No AWS account here: the SDK fails to sign and the role logs it and keeps going.
            AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_ENDPOINT_URL_CLOUDWATCH: "http://127.0.0.1:1",
        });
        try {
            await app.waitFor('"msg":"PutMetricData failed"');
            expect(app.output()).toContain('"namespace":"ScaledWeb/Queues","depths":{"sla-checks":0}');
            expect((await request(port, "GET", "/health")).status).toBe(200);
        } finally {
            expect(await app.stop()).toBe(0);
        }
    });
});
