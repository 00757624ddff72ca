// @ts-check
/**
 * The HTTP side every role shares: `/health` (the readiness, liveness and startup probe path and the
 * ALB target group's health check; the platform passes its `edge.healthCheckPath` as `HEALTH_PATH`),
 * JSON answers, a drain flag and a graceful stop.
 *
 * `/health` says whether this process can take traffic: 200 while it runs, 503 once it drains. It does not
 * probe the database or the cache: the same path drives the liveness probe, and a database failover must
 * not restart every pod at once. `/api/status` (api role) reports the dependencies instead.
 */
const http = require("http");
const { SPAN_KIND } = require("./tracing");

/** The server span of each request being handled (set when a tracer is on), for handlers that propagate it. */
const requestSpans = new WeakMap();

/**
 * The server span of `req`, when the server traces (see `createServer`).
 * @param {import("http").IncomingMessage} req
 * @returns {import("./tracing").AnySpan | undefined}
 */
function spanOf(req) {
    return requestSpans.get(req);
}

const HEALTH_PATH = "/health";

/**
 * @param {import("http").ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function sendJson(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
    res.end(text);
}

/**
 * Reads a JSON request body (at most `limit` bytes).
 * @param {import("http").IncomingMessage} req
 * @param {number} [limit]
 * @returns {Promise<unknown>}
 */
function readJson(req, limit = 64 * 1024) {
    return new Promise((resolve, reject) => {
        /** @type {Buffer[]} */
        const chunks = [];
        let size = 0;
        req.on("data", (/** @type {Buffer} */ c) => {
            size += c.length;
            if (size > limit) {
                reject(Object.assign(new Error(`request body over ${limit} bytes`), { status: 413 }));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (text.trim() === "") {
                resolve({});
                return;
            }
            try {
                resolve(JSON.parse(text));
            } catch {
                reject(Object.assign(new Error("request body is not JSON"), { status: 400 }));
            }
        });
        req.on("error", reject);
    });
}

/**
 * An HTTP server answering the health path (`HEALTH_PATH`, default `/health`, and `PROBE_PATH` when set) for `role`, and passing
 * every other request to `handler` (404 without one). `state.draining` turns the health answer into 503.
 * With a `tracer` (app/src/tracing.js) every request but the health probes gets a SERVER span continuing the
 * request's W3C `traceparent`, ended when the response finishes (status >= 500 marks it failed).
 * @param {string} role
 * @param {((req: import("http").IncomingMessage, res: import("http").ServerResponse) => Promise<void> | void) | undefined} handler
 * @param {{ draining: boolean, healthPath?: string, probePath?: string }} state
 * @param {import("./tracing").AnyTracer} [tracer]
 */
function createServer(role, handler, state, tracer) {
    const healthPaths = new Set([state.healthPath ?? HEALTH_PATH, ...(state.probePath ? [state.probePath] : [])]);
    const server = http.createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (healthPaths.has(path) && (req.method === "GET" || req.method === "HEAD")) {
            sendJson(res, state.draining ? 503 : 200, { status: state.draining ? "draining" : "ok", role });
            return;
        }
        if (tracer?.enabled) {
            // Attribute names: OpenTelemetry HTTP semantic conventions (stable), which the awsxray exporter maps
            // to the segment's http block (exporter/awsxrayexporter/internal/translator/http.go).
            const span = tracer.startSpan(`${req.method ?? "GET"} ${path}`, {
                kind: SPAN_KIND.SERVER,
                parent: req.headers.traceparent,
                attributes: {
                    "http.request.method": req.method ?? "GET",
                    "url.path": path,
                    "url.scheme": "http",
                    ...(req.headers["user-agent"] ? { "user_agent.original": req.headers["user-agent"] } : {}),
                },
            });
            requestSpans.set(req, span);
            res.once("close", () => {
                span.setAttribute("http.response.status_code", res.statusCode);
                if (res.statusCode >= 500) {
                    span.setError(`HTTP ${res.statusCode}`);
                }
                span.end();
            });
        }
        if (!handler) {
            sendJson(res, 404, { error: "not found" });
            return;
        }
        Promise.resolve(handler(req, res)).catch((/** @type {any} */ err) => {
            if (!res.headersSent) {
                sendJson(res, typeof err?.status === "number" ? err.status : 500, { error: err?.status ? String(err.message) : "internal error" });
            } else {
                res.destroy();
            }
            if (!err?.status) {
                console.error(JSON.stringify({ level: "error", role, msg: "request failed", path, error: String(err?.stack ?? err) }));
            }
        });
    });
    // Longer than the ALB's idle timeout would be pointless; shorter than it causes 502s (keep-alive race).
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    return server;
}

/**
 * Listens on `port` (all interfaces); resolves with the bound port.
 * @param {import("http").Server} server
 * @param {number} port
 * @returns {Promise<number>}
 */
function listen(server, port) {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, () => {
            server.off("error", reject);
            const addr = server.address();
            resolve(typeof addr === "object" && addr ? addr.port : port);
        });
    });
}

/**
 * Stops accepting connections, lets in-flight requests finish (idle keep-alive connections are closed at
 * once, busy ones after their response), and cuts whatever is left after `timeoutMs`.
 * @param {import("http").Server} server
 * @param {number} timeoutMs
 * @returns {Promise<void>}
 */
function closeServer(server, timeoutMs) {
    return new Promise((resolve) => {
        if (!server.listening) {
            resolve();
            return;
        }
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        timer.unref();
        server.close(() => {
            clearTimeout(timer);
            resolve();
        });
        server.closeIdleConnections();
    });
}

module.exports = { HEALTH_PATH, sendJson, readJson, createServer, listen, closeServer, spanOf };
