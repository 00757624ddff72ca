/**
 * issue 19: the reference app's Prometheus endpoint, run for real (node, no Docker, no servers) and scraped over
 * HTTP, plus the exposition format of the hand-written registry (app/src/metrics.js).
 */
import { io as connect } from "socket.io-client";
import {
    APP_METRIC_NAMES, HTTP_REQUESTS_TOTAL, HTTP_REQUEST_DURATION_SECONDS, PROCESS_CPU_SECONDS_TOTAL, PROCESS_RESIDENT_MEMORY_BYTES,
    WORKER_JOBS_FAILED_TOTAL, WORKER_JOBS_PROCESSED_TOTAL, WS_OPEN_CONNECTIONS,
} from "../components/app-metrics";
import { AppProcess, request, startApp } from "./app-process";
import { freePort } from "../tests-servers/servers";
import * as http from "http";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Registry, createRegistry } = require("../app/src/metrics.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readSettings } = require("../app/src/settings.js");

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Exposition { types: Record<string, string>; samples: Sample[]; contentType?: string }

/**
 * A strict parser of the text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats): every
 * line is `# HELP`, `# TYPE` or `name{label="value",...} number`; anything else fails the test.
 */
function parseExposition(text: string): Exposition {
    const types: Record<string, string> = {};
    const samples: Sample[] = [];
    expect(text.endsWith("\n")).toBe(true);
    for (const line of text.trimEnd().split("\n")) {
        const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
        if (t) {
            types[t[1]] = t[2];
            continue;
        }
        if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) {
            continue;
        }
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN)$/.exec(line);
        if (!m) {
            throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
        }
        const labels: Record<string, string> = {};
        for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
            labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
        }
        samples.push({ name: m[1], labels, value: m[4] === "+Inf" ? Infinity : Number(m[4]) });
    }
    return { types, samples };
}

function scrape(port: number): Promise<Exposition> {
    return new Promise((resolve, reject) => {
        http.get({ host: "127.0.0.1", port, path: "/metrics", agent: false }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => {
                try {
                    expect(res.statusCode).toBe(200);
                    resolve({ ...parseExposition(body), contentType: res.headers["content-type"] });
                } catch (e) {
                    reject(e);
                }
            });
        }).on("error", reject);
    });
}

const find = (e: Exposition, name: string, labels: Record<string, string> = {}): Sample[] =>
    e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe("the app's /metrics, scraped from the running process", () => {
    let app: AppProcess | undefined;
    afterEach(async () => {
        await app?.stop();
        app = undefined;
    });

    test("api: request count and duration per method/route/status, process CPU and memory, on a port of its own", async () => {
        const [port, metricsPort] = [await freePort(), await freePort()];
        app = startApp({ APP_ROLE: "api", PORT: String(port), METRICS_PORT: String(metricsPort), DATABASE_URL: "postgresql://app:pw@127.0.0.1:1/app?sslmode=require" });
        await app.waitFor(`"msg":"serving metrics","port":${metricsPort}`);
        for (let i = 0; i < 3; i++) {
            expect((await request(port, "GET", "/health")).status).toBe(200);
        }
        expect((await request(port, "GET", "/no/such/path/123")).status).toBe(404);
        // /metrics is not served on the traffic port, and the metrics port serves nothing else.
        expect((await request(port, "GET", "/metrics")).status).toBe(404);
        expect((await request(metricsPort, "GET", "/health")).status).toBe(404);

        const e = await scrape(metricsPort);
        expect(e.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
        expect(e.types[HTTP_REQUESTS_TOTAL]).toBe("counter");
        expect(e.types[HTTP_REQUEST_DURATION_SECONDS]).toBe("histogram");
        expect(find(e, HTTP_REQUESTS_TOTAL, { method: "GET", route: "health", status: "200" })[0].value).toBe(3);
        // Unknown paths (here /no/such/path/123 and /metrics on the traffic port) are counted under "other", never under their raw path.
        expect(find(e, HTTP_REQUESTS_TOTAL, { method: "GET", route: "other", status: "404" })[0].value).toBe(2);
        expect(e.samples.some((s) => s.labels.route === "/no/such/path/123")).toBe(false);

        const buckets = find(e, `${HTTP_REQUEST_DURATION_SECONDS}_bucket`, { method: "GET", route: "health" });
        expect(buckets[buckets.length - 1].labels.le).toBe("+Inf");
        expect(buckets[buckets.length - 1].value).toBe(3);
        for (let i = 1; i < buckets.length; i++) {
            expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
        }
        expect(find(e, `${HTTP_REQUEST_DURATION_SECONDS}_count`, { route: "health" })[0].value).toBe(3);
        expect(find(e, `${HTTP_REQUEST_DURATION_SECONDS}_sum`, { route: "health" })[0].value).toBeGreaterThan(0);

        expect(find(e, PROCESS_CPU_SECONDS_TOTAL)[0].value).toBeGreaterThan(0);
        expect(find(e, PROCESS_RESIDENT_MEMORY_BYTES)[0].value).toBeGreaterThan(10 * 1024 * 1024);
        expect(await app.stop()).toBe(0);
    });

    test("ws: ws_open_connections follows real Socket.IO clients", async () => {
        const [port, metricsPort] = [await freePort(), await freePort()];
        app = startApp({ APP_ROLE: "ws", PORT: String(port), METRICS_PORT: String(metricsPort), SOCKET_IO_REDIS_URL: "redis://127.0.0.1:1" });
        await app.waitFor('"msg":"serving metrics"');
        expect(find(await scrape(metricsPort), WS_OPEN_CONNECTIONS)[0].value).toBe(0);
        const client = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
        try {
            await new Promise<void>((resolve, reject) => {
                client.once("connect", () => resolve());
                client.once("connect_error", reject);
            });
            expect((await scrape(metricsPort)).types[WS_OPEN_CONNECTIONS]).toBe("gauge");
            expect(find(await scrape(metricsPort), WS_OPEN_CONNECTIONS)[0].value).toBe(1);
        } finally {
            client.close();
        }
        for (let i = 0; i < 50 && find(await scrape(metricsPort), WS_OPEN_CONNECTIONS)[0].value !== 0; i++) {
            await new Promise((r) => setTimeout(r, 50));
        }
        expect(find(await scrape(metricsPort), WS_OPEN_CONNECTIONS)[0].value).toBe(0);
    });

    test("worker: processed and failed counters exist per queue from the start (zero), as counters", async () => {
        const metricsPort = await freePort();
        app = startApp({ APP_ROLE: "worker", METRICS_PORT: String(metricsPort), QUEUE_NAME: "notifications", VALKEY_QUEUE_URL: "redis://127.0.0.1:1", WORKER_CONCURRENCY: "2", SHUTDOWN_TIMEOUT_SECONDS: "1" });
        await app.waitFor('"msg":"serving metrics"');
        const e = await scrape(metricsPort);
        expect(e.types[WORKER_JOBS_PROCESSED_TOTAL]).toBe("counter");
        expect(e.types[WORKER_JOBS_FAILED_TOTAL]).toBe("counter");
        expect(find(e, WORKER_JOBS_PROCESSED_TOTAL, { queue: "notifications" })[0].value).toBe(0);
        expect(find(e, WORKER_JOBS_FAILED_TOTAL, { queue: "notifications" })[0].value).toBe(0);
    });

    test("without METRICS_PORT nothing extra listens", async () => {
        const port = await freePort();
        app = startApp({ APP_ROLE: "api", PORT: String(port), DATABASE_URL: "postgresql://app:pw@127.0.0.1:1/app" });
        await app.waitFor('"msg":"listening"');
        expect(app.output()).not.toContain("serving metrics");
    });
});

describe("metrics settings and format", () => {
    test("METRICS_PORT must be a free unprivileged port distinct from PORT", () => {
        const api = { APP_ROLE: "api", DATABASE_URL: "postgresql://u:p@h/db", PORT: "3000" };
        expect(readSettings({ ...api, METRICS_PORT: "9464" }).metricsPort).toBe(9464);
        expect(() => readSettings({ ...api, METRICS_PORT: "3000" })).toThrow(/METRICS_PORT must differ from PORT \(3000\)/);
        expect(() => readSettings({ ...api, METRICS_PORT: "80" })).toThrow(/METRICS_PORT must be a whole number from 1024 to 65535/);
    });

    test("every family of components/app-metrics.ts is one the app can register", () => {
        const r = createRegistry();
        r.counter(HTTP_REQUESTS_TOTAL, "x");
        r.histogram(HTTP_REQUEST_DURATION_SECONDS, "x", [1]);
        r.gauge(WS_OPEN_CONNECTIONS, "x", () => 0);
        r.counter(WORKER_JOBS_PROCESSED_TOTAL, "x");
        r.counter(WORKER_JOBS_FAILED_TOTAL, "x");
        const types = parseExposition(r.render()).types;
        for (const name of APP_METRIC_NAMES) {
            expect(types[name]).toBeDefined();
        }
    });

    test("label values are escaped; counters refuse to go down; a name registers once", () => {
        const r = new Registry();
        const c = r.counter("t_total", "help");
        c.inc({ path: 'a"b\\c\nd' }, 2);
        const e = parseExposition(r.render());
        expect(e.samples).toEqual([{ name: "t_total", labels: { path: 'a"b\\c\nd' }, value: 2 }]);
        expect(() => c.inc({}, -1)).toThrow(/cannot go down/);
        expect(() => r.counter("t_total", "again")).toThrow(/registered twice/);
    });

    test("histogram buckets are cumulative and end with +Inf = count", () => {
        const r = new Registry();
        const h = r.histogram("d_seconds", "help", [0.1, 0.5, 1]);
        for (const v of [0.05, 0.3, 0.3, 2]) {
            h.observe({ route: "x" }, v);
        }
        const e = parseExposition(r.render());
        expect(find(e, "d_seconds_bucket").map((s) => [s.labels.le, s.value])).toEqual([["0.1", 1], ["0.5", 3], ["1", 3], ["+Inf", 4]]);
        expect(find(e, "d_seconds_count")[0].value).toBe(4);
        expect(find(e, "d_seconds_sum")[0].value).toBeCloseTo(2.65);
    });
});
