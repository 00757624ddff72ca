// @ts-check
/**
 * A small hand-written tracer (no OpenTelemetry SDK dependency): one SERVER span per HTTP request (api), per
 * Socket.IO connection (ws) and one CONSUMER span per job (worker), W3C Trace Context in and out, batches exported
 * as OTLP/HTTP JSON to the collector the platform names (platform/traces.ts, components/trace-collector.ts).
 *
 * Environment (OpenTelemetry SDK environment variable specification):
 * - `OTEL_EXPORTER_OTLP_ENDPOINT`: base URL; spans go to `<endpoint>/v1/traces`. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
 *   when set, is used as is. Neither set (or `OTEL_SDK_DISABLED=true`): tracing is off, nothing is sent, no timer runs.
 * - `OTEL_SERVICE_NAME`: resource `service.name` (default: the role).
 * - `OTEL_RESOURCE_ATTRIBUTES`: `key=value,key=value` (values percent-decoded), e.g. `deployment.environment=prod`.
 *
 * Trace ids are X-Ray compatible: the collector's awsxray exporter reads the first 4 bytes of a trace id as Unix
 * epoch seconds and drops spans whose time is more than 28 days old or 5 minutes ahead
 * (opentelemetry-collector-contrib exporter/awsxrayexporter/internal/translator/segment.go, convertToAmazonTraceID).
 * So new trace ids start with the current time, and an incoming `traceparent` is continued only when its trace id
 * passes the same check; a foreign (fully random) trace id starts a new trace that records the foreign
 * `traceparent` as the attribute `trace.foreign_traceparent` (a span link to it would be dropped the same way).
 * An incoming `traceparent` whose sampled flag is off is continued and propagated but not exported.
 *
 * OTLP JSON encoding (opentelemetry-proto, docs/specification.md "JSON Protobuf Encoding"): trace and span ids are
 * hex strings, enums are integers, 64-bit integers are decimal strings.
 */
const crypto = require("crypto");
const http = require("http");
const https = require("https");

/** OTLP SpanKind values (opentelemetry-proto trace.proto). */
const SPAN_KIND = Object.freeze({ INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 });
/** OTLP Status codes. */
const STATUS_CODE = Object.freeze({ UNSET: 0, OK: 1, ERROR: 2 });
/** The exporter's window (segment.go): at most 28 days old, at most 5 minutes ahead. */
const XRAY_MAX_AGE_SECONDS = 28 * 24 * 3600;
const XRAY_MAX_SKEW_SECONDS = 5 * 60;
const SCOPE = { name: "scaled-web-reference-app", version: "0.1.0" };

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a W3C `traceparent` header (Trace Context level 1, "traceparent Header"): version `ff` is invalid, ids of
 * all zeros are invalid, version 00 has exactly four fields.
 * @param {unknown} header
 * @returns {{ traceId: string, spanId: string, sampled: boolean } | undefined}
 */
function parseTraceparent(header) {
    const value = Array.isArray(header) ? header[0] : header;
    if (typeof value !== "string") {
        return undefined;
    }
    const m = TRACEPARENT.exec(value.trim().toLowerCase());
    if (!m || m[1] === "ff" || (m[1] === "00" && m[5] !== undefined)) {
        return undefined;
    }
    if (/^0+$/.test(m[2]) || /^0+$/.test(m[3])) {
        return undefined;
    }
    return { traceId: m[2], spanId: m[3], sampled: (parseInt(m[4], 16) & 1) === 1 };
}

/** @param {string} traceId @param {boolean} sampled @param {string} spanId */
function formatTraceparent(traceId, spanId, sampled) {
    return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

/**
 * Whether X-Ray (through the awsxray exporter) accepts this trace id at `nowSeconds`.
 * @param {string} traceId
 * @param {number} [nowSeconds]
 */
function xrayCompatible(traceId, nowSeconds = Math.floor(Date.now() / 1000)) {
    const epoch = parseInt(traceId.slice(0, 8), 16);
    const delta = nowSeconds - epoch;
    return delta <= XRAY_MAX_AGE_SECONDS && delta >= -XRAY_MAX_SKEW_SECONDS;
}

/** A trace id whose first 4 bytes are the current Unix time (X-Ray's format), the other 12 random. */
function newTraceId(nowSeconds = Math.floor(Date.now() / 1000)) {
    return nowSeconds.toString(16).padStart(8, "0").slice(-8) + crypto.randomBytes(12).toString("hex");
}

function newSpanId() {
    let id;
    do {
        id = crypto.randomBytes(8).toString("hex");
    } while (id === "0000000000000000");
    return id;
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES`: comma-separated `key=value`, values percent-encoded (SDK resource specification).
 * Malformed entries are skipped.
 * @param {string | undefined} text
 * @returns {Record<string, string>}
 */
function parseResourceAttributes(text) {
    /** @type {Record<string, string>} */
    const out = {};
    for (const part of (text ?? "").split(",")) {
        const i = part.indexOf("=");
        if (i <= 0) {
            continue;
        }
        const key = part.slice(0, i).trim();
        try {
            out[key] = decodeURIComponent(part.slice(i + 1).trim());
        } catch {
            // not percent-decodable: skip
        }
    }
    return out;
}

/**
 * An OTLP AnyValue.
 * @param {unknown} v
 */
function anyValue(v) {
    if (typeof v === "boolean") {
        return { boolValue: v };
    }
    if (typeof v === "number") {
        return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
    }
    return { stringValue: String(v) };
}

/** @param {Record<string, unknown>} attrs */
function keyValues(attrs) {
    return Object.entries(attrs).filter(([, v]) => v !== undefined && v !== null).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** Nanoseconds since the epoch as a decimal string, from a ms clock plus a monotonic offset. */
function nowNanos() {
    const ns = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    return ns.toString();
}

/**
 * @typedef {{ traceId: string, spanId: string, parentSpanId?: string, name: string, kind: number, start: string,
 *   attributes: Record<string, unknown>, status?: { code: number, message?: string }, sampled: boolean, ended: boolean }} SpanData
 */

class Span {
    /** @param {Tracer} tracer @param {SpanData} data */
    constructor(tracer, data) {
        this.tracer = tracer;
        this.data = data;
    }

    get traceId() {
        return this.data.traceId;
    }

    get spanId() {
        return this.data.spanId;
    }

    get parentSpanId() {
        return this.data.parentSpanId;
    }

    /** The `traceparent` to send downstream (this span as the parent). */
    traceparent() {
        return formatTraceparent(this.data.traceId, this.data.spanId, this.data.sampled);
    }

    /** @param {string} key @param {unknown} value */
    setAttribute(key, value) {
        this.data.attributes[key] = value;
        return this;
    }

    /** Marks the span failed (OTLP status ERROR). @param {string} [message] */
    setError(message) {
        this.data.status = { code: STATUS_CODE.ERROR, ...(message ? { message } : {}) };
        return this;
    }

    end() {
        if (this.data.ended) {
            return;
        }
        this.data.ended = true;
        this.tracer.record(this.data, nowNanos());
    }
}

/** A tracer that records nothing (tracing off). */
class NoopSpan {
    get traceId() {
        return "";
    }

    get spanId() {
        return "";
    }

    get parentSpanId() {
        return undefined;
    }

    traceparent() {
        return undefined;
    }

    /** @param {string} _key @param {unknown} _value */
    setAttribute(_key, _value) {
        return this;
    }

    /** @param {string} [_message] */
    setError(_message) {
        return this;
    }

    end() {}
}

const NOOP_SPAN = new NoopSpan();

const NOOP_TRACER = Object.freeze({
    enabled: false,
    /** @param {string} _name @param {{ kind?: number, parent?: unknown, attributes?: Record<string, unknown> }} [_options] */
    startSpan(_name, _options) {
        return NOOP_SPAN;
    },
    async flush() {},
    async shutdown() {},
});

class Tracer {
    /**
     * @param {{ url: string, resource: Record<string, string>, log?: (fields: Record<string, unknown>) => void,
     *   maxBatch?: number, maxQueue?: number, flushIntervalMs?: number, timeoutMs?: number }} options
     */
    constructor(options) {
        this.enabled = true;
        this.url = new URL(options.url);
        this.resource = options.resource;
        this.log = options.log ?? (() => {});
        this.maxBatch = options.maxBatch ?? 256;
        this.maxQueue = options.maxQueue ?? 2048;
        this.timeoutMs = options.timeoutMs ?? 5000;
        /** @type {object[]} */
        this.queue = [];
        this.dropped = 0;
        /** @type {Promise<void>} */
        this.inflight = Promise.resolve();
        this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 2000);
        this.timer.unref();
    }

    /**
     * Starts a span. `parent` is an incoming `traceparent` header value (or undefined).
     * @param {string} name
     * @param {{ kind?: number, parent?: unknown, attributes?: Record<string, unknown> }} [options]
     */
    startSpan(name, options = {}) {
        const parent = parseTraceparent(options.parent);
        const attributes = { ...(options.attributes ?? {}) };
        let traceId;
        let parentSpanId;
        let sampled = true;
        if (parent && xrayCompatible(parent.traceId)) {
            traceId = parent.traceId;
            parentSpanId = parent.spanId;
            sampled = parent.sampled;
        } else {
            traceId = newTraceId();
            if (parent) {
                attributes["trace.foreign_traceparent"] = formatTraceparent(parent.traceId, parent.spanId, parent.sampled);
            }
        }
        return new Span(this, {
            traceId, spanId: newSpanId(), parentSpanId, name, kind: options.kind ?? SPAN_KIND.INTERNAL, start: nowNanos(), attributes, sampled, ended: false,
        });
    }

    /** @param {SpanData} d @param {string} end */
    record(d, end) {
        if (!d.sampled) {
            return;
        }
        if (this.queue.length >= this.maxQueue) {
            this.dropped++;
            return;
        }
        this.queue.push({
            traceId: d.traceId,
            spanId: d.spanId,
            ...(d.parentSpanId ? { parentSpanId: d.parentSpanId } : {}),
            name: d.name,
            kind: d.kind,
            startTimeUnixNano: d.start,
            endTimeUnixNano: end,
            attributes: keyValues(d.attributes),
            status: d.status ?? { code: STATUS_CODE.UNSET },
        });
        if (this.queue.length >= this.maxBatch) {
            void this.flush();
        }
    }

    /** Sends what is queued (in batches of `maxBatch`); never rejects. */
    flush() {
        this.inflight = this.inflight.then(async () => {
            while (this.queue.length > 0) {
                const spans = this.queue.splice(0, this.maxBatch);
                const body = JSON.stringify({
                    resourceSpans: [{ resource: { attributes: keyValues(this.resource) }, scopeSpans: [{ scope: SCOPE, spans }] }],
                });
                try {
                    await this.post(body);
                } catch (/** @type {any} */ err) {
                    this.log({ level: "warn", msg: "trace export failed", spans: spans.length, error: String(err?.message ?? err) });
                }
            }
            if (this.dropped > 0) {
                this.log({ level: "warn", msg: "trace spans dropped (queue full)", dropped: this.dropped });
                this.dropped = 0;
            }
        });
        return this.inflight;
    }

    /** @param {string} body */
    post(body) {
        return new Promise((resolve, reject) => {
            const client = this.url.protocol === "https:" ? https : http;
            const req = client.request(this.url, {
                method: "POST",
                headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
                timeout: this.timeoutMs,
            }, (res) => {
                res.resume();
                res.on("end", () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve(undefined) : reject(new Error(`collector answered ${res.statusCode}`))));
            });
            req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
            req.on("error", reject);
            req.end(body);
        });
    }

    /** Stops the timer and sends what is left. */
    async shutdown() {
        clearInterval(this.timer);
        await this.flush();
    }
}

/**
 * The signal URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`.
 * @param {Record<string, string | undefined>} env
 */
function tracesUrl(env) {
    const signal = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? "").trim();
    if (signal) {
        return signal;
    }
    const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "").trim();
    return base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
}

/**
 * The tracer the environment asks for: a no-op when no endpoint is set (or `OTEL_SDK_DISABLED=true`).
 * @param {Record<string, string | undefined>} env
 * @param {string} role
 * @param {(fields: Record<string, unknown>) => void} [log]
 * @param {{ flushIntervalMs?: number, maxBatch?: number }} [options]
 * @returns {Tracer | typeof NOOP_TRACER}
 */
function createTracer(env, role, log, options = {}) {
    const url = tracesUrl(env);
    if (!url || (env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") {
        return NOOP_TRACER;
    }
    try {
        new URL(url);
    } catch {
        log?.({ level: "warn", msg: "tracing off: the OTLP endpoint is not a URL", endpoint: url });
        return NOOP_TRACER;
    }
    const resource = {
        ...parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
        "service.name": (env.OTEL_SERVICE_NAME ?? "").trim() || role,
        "telemetry.sdk.name": SCOPE.name,
        "telemetry.sdk.language": "nodejs",
    };
    return new Tracer({ url, resource, log, ...options });
}

/** @typedef {Tracer | typeof NOOP_TRACER} AnyTracer */
/** @typedef {Span | NoopSpan} AnySpan */

module.exports = {
    SPAN_KIND, STATUS_CODE, NOOP_TRACER, Tracer, createTracer, parseTraceparent, formatTraceparent, xrayCompatible, newTraceId, newSpanId,
    parseResourceAttributes, tracesUrl,
};
