/**
 * The reference app's tracer (app/src/tracing.js) against a fake OTLP/HTTP receiver: the api and ws processes export
 * one SERVER span per request / connection as OTLP JSON to `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`, with the resource
 * attributes the platform sets, continuing an incoming W3C `traceparent` (same trace id, parent span id) whose trace
 * id X-Ray accepts; the worker's job span continues the api's; ids have the X-Ray epoch prefix; tracing is off without
 * an endpoint.
 */
import { spawn } from "child_process";
import * as http from "http";
import { io as connect } from "socket.io-client";
import { AppProcess, request, startApp } from "./app-process";
import { freePort } from "../tests-servers/servers";

/* eslint-disable @typescript-eslint/no-require-imports */
const tracing = require("../app/src/tracing");
const { createServer, listen, spanOf } = require("../app/src/http");
const { traceJob } = require("../app/src/worker");
/* eslint-enable @typescript-eslint/no-require-imports */

interface OtlpSpan {
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    kind: number;
    startTimeUnixNano: string;
    endTimeUnixNano: string;
    attributes: { key: string; value: Record<string, unknown> }[];
    status: { code: number; message?: string };
}
interface Export { resource: Record<string, unknown>; spans: OtlpSpan[]; contentType?: string; path?: string }

/** A fake collector: accepts POST /v1/traces (JSON), records every request. */
async function fakeReceiver(): Promise<{ url: string; exports: Export[]; close(): Promise<void>; spans(): OtlpSpan[] }> {
    const exports: Export[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const parsed = JSON.parse(body);
            for (const rs of parsed.resourceSpans) {
                const resource = Object.fromEntries(rs.resource.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
                exports.push({ resource, spans: rs.scopeSpans.flatMap((s: any) => s.spans), contentType: req.headers["content-type"], path: req.url });
            }
            res.writeHead(200, { "content-type": "application/json" });
            res.end("{}");
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as import("net").AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        exports,
        spans: () => exports.flatMap((e) => e.spans),
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}

const attrs = (s: OtlpSpan): Record<string, unknown> => Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
const epochOf = (traceId: string): number => parseInt(traceId.slice(0, 8), 16);
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
/** A traceparent whose trace id X-Ray accepts (current epoch prefix). */
const xrayTraceparent = (): { header: string; traceId: string; spanId: string } => {
    const traceId = tracing.newTraceId();
    const spanId = "00f067aa0ba902b7";
    return { header: `00-${traceId}-${spanId}-01`, traceId, spanId };
};

async function until<T>(get: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = get();
        if (v !== undefined) {
            return v;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
}

function get(port: number, urlPath: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
        http.get({ host: "127.0.0.1", port, path: urlPath, headers, agent: false }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        }).on("error", reject);
    });
}

/**
 * A plain local Redis for the ws role's Socket.IO adapter (the role needs a live store: with none, the adapter's
 * pending commands fail after ioredis' retries and end the process). `REDIS_SERVER` or `redis-server` on PATH.
 */
async function startPlainRedis(): Promise<{ url: string; stop(): void }> {
    const port = await freePort();
    const child = spawn(process.env.REDIS_SERVER ?? "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    await until(() => (/Ready to accept connections/.test(out) ? true : undefined), `redis-server to start:\n${out}`);
    return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

const OTEL = (endpoint: string, service: string): Record<string, string> => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: service,
    OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=dev,cloud.region=us-east-1,cloud.provider=aws,cloud.platform=aws_eks",
});

describe("the app as a process, exporting to a fake OTLP receiver", () => {
    let app: AppProcess | undefined;
    let receiver: Awaited<ReturnType<typeof fakeReceiver>>;
    beforeEach(async () => {
        receiver = await fakeReceiver();
    });
    afterEach(async () => {
        await app?.stop();
        app = undefined;
        await receiver.close();
    });

    test("api: one SERVER span per request (none for /health), continuing traceparent, resource attributes from the env, sent as JSON to /v1/traces", async () => {
        const port = await freePort();
        app = startApp({ APP_ROLE: "api", PORT: String(port), DATABASE_URL: "postgresql://app:pw@127.0.0.1:1/app?sslmode=require", ...OTEL(receiver.url, "api") });
        await app.waitFor('"msg":"listening"');
        const parent = xrayTraceparent();
        expect(await get(port, "/nope?x=1", { traceparent: parent.header, "user-agent": "jest" })).toBe(404);
        expect(await get(port, "/other", {})).toBe(404);
        expect((await request(port, "GET", "/health")).status).toBe(200);
        // SIGTERM flushes what is queued before the process exits.
        expect(await app.stop()).toBe(0);
        const spans = receiver.spans();
        expect(spans).toHaveLength(2);
        expect(receiver.exports.every((e) => e.path === "/v1/traces" && e.contentType === "application/json")).toBe(true);
        expect(receiver.exports[0].resource).toMatchObject({
            "service.name": "api", "deployment.environment": "dev", "cloud.region": "us-east-1", "cloud.provider": "aws", "cloud.platform": "aws_eks",
        });
        const child = spans.find((s) => s.name === "GET /nope")!;
        expect(child).toMatchObject({ kind: 2, traceId: parent.traceId, parentSpanId: parent.spanId, status: { code: 0 } });
        expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
        expect(attrs(child)).toEqual({ "http.request.method": "GET", "url.path": "/nope", "url.scheme": "http", "user_agent.original": "jest", "http.response.status_code": "404" });
        expect(BigInt(child.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(child.startTimeUnixNano));
        // Without a traceparent: a new trace whose id starts with the current epoch (X-Ray's format), no parent.
        const root = spans.find((s) => s.name === "GET /other")!;
        expect(root.parentSpanId).toBeUndefined();
        expect(root.traceId).not.toBe(parent.traceId);
        expect(Math.abs(epochOf(root.traceId) - nowSeconds())).toBeLessThan(60);
    });

    test("ws: one SERVER span per Socket.IO connection, ended at disconnect, continuing the handshake's traceparent", async () => {
        const port = await freePort();
        const redis = await startPlainRedis();
        try {
            app = startApp({ APP_ROLE: "ws", PORT: String(port), SOCKET_IO_REDIS_URL: redis.url, ...OTEL(receiver.url, "ws") });
            await app.waitFor('"msg":"listening"');
            const parent = xrayTraceparent();
            const socket = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"], extraHeaders: { traceparent: parent.header }, reconnection: false });
            await new Promise<void>((resolve, reject) => {
                socket.once("connect", () => resolve());
                socket.once("connect_error", reject);
            });
            socket.disconnect();
            const span = await until(() => receiver.spans().find((s) => s.name === "socket.io connection"), `the connection span; app output:\n${app!.output()}`, 15_000);
            expect(span).toMatchObject({ kind: 2, traceId: parent.traceId, parentSpanId: parent.spanId });
            expect(attrs(span)).toMatchObject({ "ws.transport": "websocket", "ws.disconnect_reason": "client namespace disconnect" });
            expect(receiver.exports[0].resource["service.name"]).toBe("ws");
            expect(await app!.stop()).toBe(0);
        } finally {
            redis.stop();
        }
    }, 30_000);

    test("no endpoint: the app runs without tracing and sends nothing", async () => {
        const port = await freePort();
        app = startApp({ APP_ROLE: "api", PORT: String(port), DATABASE_URL: "postgresql://app:pw@127.0.0.1:1/app?sslmode=require", OTEL_SERVICE_NAME: "api" });
        await app.waitFor('"msg":"listening"');
        expect(await get(port, "/nope", {})).toBe(404);
        expect(await app.stop()).toBe(0);
        expect(receiver.exports).toEqual([]);
        expect(app.output()).not.toContain('"msg":"tracing"');
    });
});

describe("tracer in process", () => {
    let receiver: Awaited<ReturnType<typeof fakeReceiver>>;
    beforeEach(async () => {
        receiver = await fakeReceiver();
    });
    afterEach(async () => {
        await receiver.close();
    });

    test("api -> job -> worker: the handler's span propagates into the job, and the job's span is its child in the same trace", async () => {
        const api = tracing.createTracer({ OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` }, "api");
        const worker = tracing.createTracer({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "worker" }, "worker");
        let jobData: Record<string, unknown> = {};
        const server = createServer("api", (req: http.IncomingMessage, res: http.ServerResponse) => {
            jobData = { sleepMs: 0, traceparent: spanOf(req)?.traceparent() };
            res.writeHead(202);
            res.end();
        }, { draining: false }, api);
        const port = await listen(server, 0);
        try {
            expect(await get(port, "/api/jobs/q", {})).toBe(202);
        } finally {
            server.close();
        }
        await expect(traceJob(worker, { id: "7", data: jobData, attemptsMade: 0 }, "notifications", async () => "done")).resolves.toBe("done");
        await expect(traceJob(worker, { id: "8", data: {} }, "notifications", async () => {
            throw new Error("boom");
        })).rejects.toThrow("boom");
        await api.shutdown();
        await worker.shutdown();
        const spans = receiver.spans();
        const request = spans.find((s) => s.name === "GET /api/jobs/q")!;
        const job = spans.find((s) => attrs(s)["messaging.message.id"] === "7")!;
        expect(jobData.traceparent).toBe(`00-${request.traceId}-${request.spanId}-01`);
        expect(job).toMatchObject({ kind: 2, name: "process notifications", traceId: request.traceId, parentSpanId: request.spanId, status: { code: 0 } });
        expect(attrs(job)).toMatchObject({ "messaging.system": "bullmq", "messaging.destination.name": "notifications", "messaging.operation.type": "process" });
        const failed = spans.find((s) => attrs(s)["messaging.message.id"] === "8")!;
        expect(failed.status).toEqual({ code: 2, message: "boom" });
        expect(failed.parentSpanId).toBeUndefined();
        const services = receiver.exports.map((e) => e.resource["service.name"]).sort();
        expect(services).toEqual(["api", "worker"]);
    });

    test("a foreign (random) trace id starts an X-Ray-valid trace and is kept as an attribute; an unsampled parent is propagated, not exported", async () => {
        const t = tracing.createTracer({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, "api");
        const foreign = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        const a = t.startSpan("a", { parent: foreign });
        expect(a.traceId).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736");
        expect(tracing.xrayCompatible(a.traceId)).toBe(true);
        a.end();
        const unsampled = xrayTraceparent().header.replace(/-01$/, "-00");
        const b = t.startSpan("b", { parent: unsampled });
        expect(b.traceparent()).toMatch(/-00$/);
        b.end();
        await t.shutdown();
        const spans = receiver.spans();
        expect(spans.map((s) => s.name)).toEqual(["a"]);
        expect(attrs(spans[0])["trace.foreign_traceparent"]).toBe(foreign);
        expect(spans[0].parentSpanId).toBeUndefined();
    });

    test("traceparent parsing follows W3C Trace Context; X-Ray's 28-day window and 5-minute skew", () => {
        expect(tracing.parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true });
        for (const bad of ["ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", undefined, 42]) {
            expect(tracing.parseTraceparent(bad)).toBeUndefined();
        }
        // A future version may carry more fields.
        expect(tracing.parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more")).toMatchObject({ sampled: false });
        const now = 1_800_000_000;
        const id = (epoch: number): string => epoch.toString(16).padStart(8, "0") + "a".repeat(24);
        expect(tracing.xrayCompatible(id(now - 28 * 24 * 3600), now)).toBe(true);
        expect(tracing.xrayCompatible(id(now - 28 * 24 * 3600 - 1), now)).toBe(false);
        expect(tracing.xrayCompatible(id(now + 300), now)).toBe(true);
        expect(tracing.xrayCompatible(id(now + 301), now)).toBe(false);
        expect(tracing.newTraceId(now).slice(0, 8)).toBe(now.toString(16));
        expect(tracing.newTraceId(now)).toMatch(/^[0-9a-f]{32}$/);
    });

    test("endpoint rules: base + /v1/traces, the signal variable as is, OTEL_SDK_DISABLED, resource attributes percent-decoded", () => {
        expect(tracing.tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe("http://c:4318/v1/traces");
        expect(tracing.tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })).toBe("http://c:4318/v1/traces");
        expect(tracing.tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://d/x" })).toBe("http://d/x");
        expect(tracing.tracesUrl({})).toBeUndefined();
        expect(tracing.createTracer({}, "api").enabled).toBe(false);
        expect(tracing.createTracer({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }, "api").enabled).toBe(false);
        expect(tracing.parseResourceAttributes("a=1, b=x%2Cy,bad,=z")).toEqual({ a: "1", b: "x,y" });
    });
});
