// @ts-check
/**
 * Role `ws`: the Socket.IO gateway behind the ALB's ws target group (`/socket.io/*`).
 *
 * Pods share broadcasts through the Redis adapter (@socket.io/redis-adapter, PUBLISH/SUBSCRIBE on the
 * store named by `SOCKET_IO_REDIS_URL`), so an event emitted on one pod reaches the clients of every pod.
 * Events: `join` (room) puts the socket in a room; `broadcast` ({ room?, message }) emits `message` to
 * the room, or to everyone, on every pod, and acknowledges with the pod's name.
 *
 * Tracing (app/src/tracing.js): one SERVER span per Socket.IO connection, from `connection` to `disconnect`,
 * continuing the handshake request's W3C `traceparent`.
 *
 * Readiness does not wait for the store: ioredis reconnects in the background and the adapter resumes.
 */
const os = require("os");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createRedis, closeRedis, assertNotCluster } = require("./redis");
const { CloudWatchClient, PutMetricDataCommand } = require("@aws-sdk/client-cloudwatch");
const { createServer, listen } = require("./http");
const { SPAN_KIND } = require("./tracing");

/** The connection gauge KEDA scales ws on (components/service-scaling.ts DEFAULT_CONNECTION_METRIC). */
const CONNECTION_METRIC = "ActiveConnections";
const CONNECTION_DIMENSION = "Stack";

/**
 * PutMetricData input for this pod's open Socket.IO connections (one datum, Unit Count). KEDA reads the
 * one-minute Average over every pod's datum: connections per pod.
 * @param {import("./settings").ConnectionMetricsSettings} m
 * @param {number} connections
 * @param {Date} timestamp
 * @returns {import("@aws-sdk/client-cloudwatch").PutMetricDataCommandInput}
 */
function connectionMetricRequest(m, connections, timestamp) {
    return {
        Namespace: m.namespace,
        MetricData: [{
            MetricName: CONNECTION_METRIC,
            Dimensions: [{ Name: CONNECTION_DIMENSION, Value: m.stack }],
            Timestamp: timestamp,
            Value: connections,
            Unit: /** @type {const} */ ("Count"),
        }],
    };
}

/**
 * @param {import("./settings").WsSettings} s
 * @param {{ log: (fields: Record<string, unknown>) => void, state: { draining: boolean, healthPath?: string, probePath?: string }, fatal: (err: Error) => void, redisTls?: import("tls").ConnectionOptions,
 *   cloudwatch?: { send: (command: PutMetricDataCommand) => Promise<unknown> }, metrics?: import("./metrics").Registry,
 *   tracer?: import("./tracing").AnyTracer }} ctx
 */
async function startWs(s, ctx) {
    const pub = createRedis(s.adapterUrl, { name: "ws-pub", tls: ctx.redisTls });
    const sub = pub.duplicate({ connectionName: "ws-sub" });
    for (const [client, which] of /** @type {const} */ ([[pub, "publisher"], [sub, "subscriber"]])) {
        client.on("error", (err) => ctx.log({ level: "warn", msg: `Socket.IO adapter ${which} connection failed`, error: err.message }));
    }
    pub.once("ready", () => {
        assertNotCluster(pub).catch((err) => ctx.fatal(err));
    });

    const server = createServer("ws", undefined, ctx.state);
    const io = new Server(server, {
        adapter: createAdapter(pub, sub, { key: "socket.io" }),
        // Long-polling needs the ALB's cookie stickiness (platform: lb_cookie) and the Service's ClientIP affinity.
        transports: ["polling", "websocket"],
        pingInterval: 25_000,
        pingTimeout: 20_000,
    });
    const pod = os.hostname();
    io.on("connection", (socket) => {
        if (ctx.tracer?.enabled) {
            const span = ctx.tracer.startSpan("socket.io connection", {
                kind: SPAN_KIND.SERVER,
                parent: socket.handshake.headers.traceparent,
                attributes: { "url.path": "/socket.io/", "url.scheme": "http", "network.protocol.name": "socket.io", "ws.transport": socket.conn.transport.name },
            });
            socket.once("disconnect", (reason) => {
                span.setAttribute("ws.disconnect_reason", reason);
                span.end();
            });
        }
        socket.on("join", (/** @type {unknown} */ room, /** @type {unknown} */ ack) => {
            if (typeof room === "string" && room.length > 0 && room.length <= 128) {
                void socket.join(room);
            }
            if (typeof ack === "function") {
                ack({ pod, room });
            }
        });
        socket.on("broadcast", (/** @type {any} */ payload, /** @type {unknown} */ ack) => {
            const room = typeof payload?.room === "string" ? payload.room : undefined;
            const message = { message: payload?.message ?? null, from: pod };
            (room ? io.to(room) : io).emit("message", message);
            if (typeof ack === "function") {
                ack({ pod });
            }
        });
    });

    ctx.metrics?.gauge("ws_open_connections", "Open Socket.IO connections of this pod.", () => io.engine.clientsCount);
    const port = await listen(server, s.port);
    ctx.log({ level: "info", msg: "listening", port });

    /** @type {NodeJS.Timeout | undefined} */
    let metricsTimer;
    const m = s.connectionMetrics;
    if (m) {
        const cloudwatch = ctx.cloudwatch ?? new CloudWatchClient({ region: m.region });
        metricsTimer = setInterval(() => {
            const connections = io.engine.clientsCount;
            cloudwatch.send(new PutMetricDataCommand(connectionMetricRequest(m, connections, new Date())))
                .catch((/** @type {any} */ err) => ctx.log({ level: "warn", msg: "PutMetricData failed", namespace: m.namespace, error: String(err?.message ?? err) }));
        }, m.intervalSeconds * 1000);
        metricsTimer.unref();
    }

    return {
        port,
        io,
        async stop() {
            clearInterval(metricsTimer);
            // Clients reconnect elsewhere: by now the pod is out of the Service's endpoints (preStop pause).
            io.disconnectSockets(true);
            await new Promise((resolve) => {
                const timer = setTimeout(() => {
                    server.closeAllConnections();
                    resolve(undefined);
                }, s.shutdownTimeoutSeconds * 1000);
                timer.unref();
                void io.close(() => {
                    clearTimeout(timer);
                    resolve(undefined);
                });
            });
            await Promise.all([closeRedis(pub), closeRedis(sub)]);
        },
    };
}

module.exports = { startWs, connectionMetricRequest };
