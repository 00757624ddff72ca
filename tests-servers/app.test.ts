/**
 * The api and ws roles, run with node against the real servers with the environment the platform
 * gives them: the api reaches PostgreSQL (writer and reader URLs, sslmode=require, PGSSLROOTCERT) and
 * the queue store, and enqueues jobs; two ws pods share a Socket.IO broadcast through the Redis adapter
 * on a TLS store with an auth token.
 */
import { Queue } from "bullmq";
import { Socket, io as connect } from "socket.io-client";
import { AppProcess, request, startApp } from "../tests/app-process";
import { CA_FILE, TlsRedis, freePort, platformDatabaseUrl, startTlsRedis, testTls } from "./servers";

/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const { createRedis } = require("../app/src/redis");

let redis: TlsRedis;
beforeAll(async () => {
    redis = await startTlsRedis();
});
afterAll(async () => {
    await redis?.stop();
});

describe("api", () => {
    let api: AppProcess | undefined;
    afterAll(async () => {
        await api?.stop();
    });

    test("reports the database (writer, reader) and the queue store as reachable, and enqueues a job", async () => {
        const port = await freePort();
        api = startApp({
            APP_ROLE: "api", PORT: String(port),
            // Password authentication (DATABASE_AUTH defaults to "password"): a local PostgreSQL cannot check RDS IAM
            // tokens. The image sets PGSSLROOTCERT (here: the test CA).
            DATABASE_URL: platformDatabaseUrl(), DATABASE_REPLICA_URL: platformDatabaseUrl(), PGSSLROOTCERT: CA_FILE,
            QUEUE_REDIS_URL: redis.url, QUEUE_NAMES: "sla-checks,notifications", QUEUE_PREFIX: "bull", JOB_API_ENABLED: "true",
            NODE_EXTRA_CA_CERTS: CA_FILE,
        });
        await api.waitFor('"msg":"listening"');
        const status = await request(port, "GET", "/api/status");
        expect(status.body).toMatchObject({ ok: true, database: { writer: { ok: true }, reader: { ok: true } }, queue: { ok: true } });
        expect(status.status).toBe(200);

        const added = await request(port, "POST", "/api/jobs/notifications", { to: "someone" });
        expect(added).toEqual({ status: 202, body: { id: expect.any(String), queue: "notifications" } });
        expect((await request(port, "POST", "/api/jobs/unknown", {})).status).toBe(404);

        const client = createRedis(redis.url, { tls: testTls() });
        const queue = new Queue("notifications", { connection: client, prefix: "bull" });
        try {
            const job = await queue.getJob(added.body.id);
            expect(job?.data).toEqual({ to: "someone" });
        } finally {
            await queue.close();
            client.disconnect();
        }
        expect(await api.stop()).toBe(0);
        api = undefined;
    });
});

describe("ws", () => {
    const pods: AppProcess[] = [];
    const sockets: Socket[] = [];
    afterAll(async () => {
        sockets.forEach((s) => s.close());
        await Promise.all(pods.map((p) => p.stop()));
    });

    test("a broadcast sent to one pod reaches a client of the other pod (Redis adapter over TLS with AUTH)", async () => {
        const ports = [await freePort(), await freePort()];
        for (const port of ports) {
            const pod = startApp({ APP_ROLE: "ws", PORT: String(port), SOCKET_IO_REDIS_URL: redis.url, REDIS_URL: redis.url, NODE_EXTRA_CA_CERTS: CA_FILE });
            pods.push(pod);
            await pod.waitFor('"msg":"listening"');
        }
        const open = (port: number): Promise<Socket> => new Promise((resolve, reject) => {
            const s = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
            sockets.push(s);
            s.once("connect", () => resolve(s));
            s.once("connect_error", reject);
        });
        const [a, b] = [await open(ports[0]), await open(ports[1])];
        await a.emitWithAck("join", "room-1");
        // The adapter subscribes asynchronously: retry the broadcast until pod A's client sees it.
        const received = new Promise<any>((resolve) => a.once("message", resolve));
        let message: any;
        const deadline = Date.now() + 10_000;
        while (!message && Date.now() < deadline) {
            await b.emitWithAck("broadcast", { room: "room-1", message: "hello" });
            message = await Promise.race([received, new Promise((r) => setTimeout(r, 200))]);
        }
        expect(message).toEqual({ message: "hello", from: expect.any(String) });
        for (const pod of pods) {
            expect(pod.output()).not.toMatch(/adapter (publisher|subscriber) connection failed/);
        }
    });
});
