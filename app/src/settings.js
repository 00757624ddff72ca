// @ts-check
/**
 * The reference application's settings, read once from the environment the platform injects
 * (platform/workloads.ts, components/regional-deployment.ts, components/worker-pool.ts):
 *
 * | variable | roles | from |
 * |---|---|---|
 * | `APP_ROLE` | all | `api`, `ws`, `worker` or `queue-metrics` (one image, four roles) |
 * | `PORT` | api, ws (optional for the others: a `/health` server) | RegionalDeployment (`containerPort`) |
 * | `HEALTH_PATH` (default `/health`) | all that listen | platform/workloads.ts (`edge.healthCheckPath`, the probes' and the ALB's path) |
 * | `PROBE_PATH` (optional) | ws | platform/workloads.ts (`edge.wsHealthCheckPath`: the path the ALB routes to ws for the Route53 check) |
 * | `DATABASE_URL`, `DATABASE_REPLICA_URL` | api | ConfigMap `app-config`: `postgresql://app@<proxy>:5432/app?sslmode=require` (no password with `DATABASE_AUTH=iam`) |
 * | `DATABASE_AUTH` (`password` default, `iam`) | api | ConfigMap: `iam` signs an RDS IAM token per connection (Pod Identity credentials, app/src/aws.js) |
 * | `MASTER_SECRET_ID`, `DATABASE_HOST`, `DATABASE_PORT`, `DATABASE_NAME`, `APP_DB_USER`, `APP_DB_SCHEMA` | db-bootstrap | the bootstrap Job (components/database-bootstrap.ts) |
 * | `PGSSLROOTCERT` | api | the image: the RDS CA bundle (see postgres.js) |
 * | `SOCKET_IO_REDIS_URL` (else `REDIS_URL`) | ws | Secret key of the sessions (else cache) store: `rediss://:<token>@host:6379` |
 * | `QUEUE_REDIS_URL` (else `VALKEY_QUEUE_URL`) | api, worker, queue-metrics | the queue store's `rediss://` URL |
 * | `QUEUE_NAME`, `QUEUE_PREFIX`, `WORKER_CONCURRENCY` | worker | WorkerPool, per queue |
 * | `QUEUE_NAMES` (comma-separated), `QUEUE_PREFIX` | api (optional), queue-metrics | platform/workloads.ts |
 * | `JOB_API_ENABLED` (`true`/`false`, default false) | api | the stack's `api.env`: opens `POST /api/jobs/<queue>` (unauthenticated: dev only) |
 * | `CONNECTION_METRICS_NAMESPACE`, `CONNECTION_METRICS_STACK` (optional), `AWS_REGION` | ws | platform/workloads.ts: publish the pod's open connections (`ActiveConnections`, dimension `Stack`) |
 * | `METRICS_PORT` (optional; 9464 on the platform) | all but db-bootstrap | RegionalDeployment / WorkerPool: Prometheus `GET /metrics` (app/src/metrics.js) on the port named `metrics` |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` (optional; unset = no tracing), `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | api, ws, worker | platform/traces.ts: the region's trace collector (read by tracing.js, not here) |
 * | `METRICS_NAMESPACE` (default `ScaledWeb/Queues`), `METRICS_INTERVAL_SECONDS` (default 60), `AWS_REGION` | queue-metrics | ConfigMap `app-config` / the Deployment |
 *
 * Every problem is collected and reported at once, naming the variable, the value (credentials
 * redacted) and the fix, and the process exits with status 1 before it connects anywhere.
 */

const ROLES = /** @type {const} */ (["api", "ws", "worker", "queue-metrics", "db-bootstrap"]);
/** @typedef {(typeof ROLES)[number]} Role */

/** Defaults, named once. The ports match platform/config.ts DEFAULT_API_PORT / DEFAULT_WS_PORT. */
const DEFAULTS = Object.freeze({
    apiPort: 3000,
    wsPort: 3001,
    /** BullMQ's own default prefix, and components/worker-pool.ts DEFAULT_BULLMQ_PREFIX. */
    queuePrefix: "bull",
    /** components/observability.ts DEFAULT_QUEUE_DEPTH_METRIC.namespace. */
    metricsNamespace: "ScaledWeb/Queues",
    metricsIntervalSeconds: 60,
    /**
     * Seconds to drain after SIGTERM before connections are cut: below the pods' 30 s termination
     * grace period minus the 5 s preStop pause (components/regional-deployment.ts).
     */
    shutdownTimeoutSeconds: 20,
    /** platform/config.ts `edge.healthCheckPath` default. */
    healthPath: "/health",
});

/** A queue name as the platform allows it (a DNS label, platform/config.ts). */
const QUEUE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * A CloudWatch namespace: 1-255 of letters, digits, `.`, `-`, `_`, `/`, `#`, `:` and space, not starting
 * with `:` (API PutMetricData, `Namespace`; CloudWatch concepts, "Namespaces"); `AWS/` is reserved.
 */
const METRICS_NAMESPACE = /^(?!:)[A-Za-z0-9.\-_/#: ]{1,255}$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** A PostgreSQL identifier the platform uses unquoted (role, database, schema names). */
const PG_IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;

class SettingsError extends Error {
    /** @param {string} role @param {string[]} problems */
    constructor(role, problems) {
        super(`The ${role || "reference app"} cannot start, ${problems.length} problem${problems.length === 1 ? "" : "s"} with its environment:\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "SettingsError";
        this.problems = problems;
    }
}

/** A URL with its password replaced, for messages. @param {string} value */
function redact(value) {
    try {
        const u = new URL(value);
        if (u.password) {
            u.password = "***";
        }
        return JSON.stringify(u.toString());
    } catch {
        return value.length > 12 ? `"${value.slice(0, 4)}..." (${value.length} characters)` : JSON.stringify(value);
    }
}

/**
 * @typedef {{ role: "api", port: number, databaseUrl: string, replicaUrl: string, pgRootCertFile?: string,
 *   queueUrl?: string, queueNames: string[], queuePrefix: string, jobApi: boolean, shutdownTimeoutSeconds: number, healthPath: string, probePath?: string,
 *   databaseAuth: "password" | "iam", region?: string }} ApiSettings
 * @typedef {{ namespace: string, stack: string, region: string, intervalSeconds: number }} ConnectionMetricsSettings
 * @typedef {{ role: "ws", port: number, adapterUrl: string, shutdownTimeoutSeconds: number, healthPath: string, probePath?: string, connectionMetrics?: ConnectionMetricsSettings }} WsSettings
 * @typedef {{ role: "worker", port?: number, queueUrl: string, queueName: string, queuePrefix: string,
 *   concurrency: number, shutdownTimeoutSeconds: number, healthPath: string, probePath?: string }} WorkerSettings
 * @typedef {{ role: "queue-metrics", port?: number, queueUrl: string, queueNames: string[], queuePrefix: string,
 *   namespace: string, intervalSeconds: number, region: string, shutdownTimeoutSeconds: number, healthPath: string, probePath?: string }} QueueMetricsSettings
 * @typedef {{ role: "db-bootstrap", port?: undefined, masterSecretId: string, host: string, dbPort: number, database: string, appUser: string,
 *   schema: string, region: string, pgRootCertFile?: string, shutdownTimeoutSeconds: number, healthPath: string, probePath?: string }} BootstrapSettings
 * @typedef {(ApiSettings | WsSettings | WorkerSettings | QueueMetricsSettings | BootstrapSettings) & { metricsPort?: number }} Settings
 */

/**
 * Reads and checks the settings of the role named by `APP_ROLE`.
 * @param {Record<string, string | undefined>} env
 * @returns {Settings}
 */
function readSettings(env) {
    /** @type {string[]} */
    const problems = [];
    /** @param {string} name */
    const get = (name) => {
        const v = env[name];
        return v === undefined || v.trim() === "" ? undefined : v.trim();
    };
    /** @param {string} name @param {string} fix */
    const required = (name, fix) => {
        const v = get(name);
        if (v === undefined) {
            problems.push(`${name} is not set; ${fix}`);
        }
        return v ?? "";
    };
    /** @param {string} name @param {number | undefined} fallback @param {number} min @param {number} max @param {string} why */
    const integer = (name, fallback, min, max, why) => {
        const v = get(name);
        if (v === undefined) {
            if (fallback === undefined) {
                problems.push(`${name} is not set; ${why}`);
                return min;
            }
            return fallback;
        }
        const n = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
            problems.push(`${name} must be a whole number from ${min} to ${max} (${why}), got ${JSON.stringify(v)}`);
            return fallback ?? min;
        }
        return n;
    };
    /** @param {string} name @param {string} value @param {readonly string[]} schemes @param {string} example */
    const url = (name, value, schemes, example) => {
        if (value === "") {
            return value;
        }
        let u;
        try {
            u = new URL(value);
        } catch {
            problems.push(`${name} must be a URL such as ${example}, got ${redact(value)}`);
            return value;
        }
        if (!schemes.includes(u.protocol)) {
            problems.push(`${name} must use ${schemes.map((s) => `${s}//`).join(" or ")}, got the scheme "${u.protocol}" in ${redact(value)}`);
        } else if (!u.hostname) {
            problems.push(`${name} has no host: ${redact(value)}; expected ${example}`);
        }
        return value;
    };
    const redisExample = "rediss://:<auth token>@<primary endpoint>:6379";
    const pgExample = "postgresql://<user>:<password>@<host>:5432/<database>?sslmode=require";
    /** The queue store's URL: QUEUE_REDIS_URL, else the `queue` cache purpose's VALKEY_QUEUE_URL. @param {boolean} needed */
    const queueUrl = (needed) => {
        const name = get("QUEUE_REDIS_URL") !== undefined ? "QUEUE_REDIS_URL" : "VALKEY_QUEUE_URL";
        const v = get(name);
        if (v === undefined) {
            if (needed) {
                problems.push(`neither QUEUE_REDIS_URL nor VALKEY_QUEUE_URL is set; give the queue store's URL (${redisExample})`);
            }
            return undefined;
        }
        return url(name, v, ["redis:", "rediss:"], redisExample);
    };
    const queuePrefix = () => {
        const v = get("QUEUE_PREFIX") ?? DEFAULTS.queuePrefix;
        if (!/^[^\s:{}]+$/.test(v) && !/^\{[^\s:{}]+\}$/.test(v)) {
            problems.push(`QUEUE_PREFIX must be a BullMQ key prefix without spaces or ':' (e.g. "bull"), got ${JSON.stringify(v)}`);
        }
        return v;
    };
    /** @param {boolean} needed */
    const queueNames = (needed) => {
        const raw = get("QUEUE_NAMES");
        if (raw === undefined) {
            if (needed) {
                problems.push("QUEUE_NAMES is not set; list the BullMQ queues, comma-separated (e.g. \"sla-checks,notifications,analytics\")");
            }
            return [];
        }
        const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
        if (names.length === 0 && needed) {
            problems.push(`QUEUE_NAMES must list at least one queue, got ${JSON.stringify(raw)}`);
        }
        for (const n of names) {
            if (!QUEUE_NAME.test(n)) {
                problems.push(`QUEUE_NAMES: ${JSON.stringify(n)} is not a queue name (lower-case letters, digits and '-', as in workers.queues)`);
            }
        }
        if (new Set(names).size !== names.length) {
            problems.push(`QUEUE_NAMES names a queue twice: ${JSON.stringify(raw)}`);
        }
        return names;
    };
    const shutdownTimeoutSeconds = integer("SHUTDOWN_TIMEOUT_SECONDS", DEFAULTS.shutdownTimeoutSeconds, 1, 3600, "seconds to drain after SIGTERM");
    const healthPath = get("HEALTH_PATH") ?? DEFAULTS.healthPath;
    if (!/^\/[\w\-./~%]*$/.test(healthPath)) {
        problems.push(`HEALTH_PATH must be an absolute HTTP path such as "/health", got ${JSON.stringify(healthPath)}`);
    }
    // The load balancer's own probe path for this service (ws: `edge.wsHealthCheckPath`, `/ws/health`), which the
    // ALB forwards unchanged and the Route53 check of `ws.<domain>` requests; answered like HEALTH_PATH.
    const probePath = get("PROBE_PATH");
    if (probePath !== undefined && !/^\/[\w\-./~%]*$/.test(probePath)) {
        problems.push(`PROBE_PATH must be an absolute HTTP path such as "/ws/health", got ${JSON.stringify(probePath)}`);
    }

    const role = get("APP_ROLE");
    if (role === undefined || !(/** @type {readonly string[]} */ (ROLES)).includes(role)) {
        problems.push(`APP_ROLE must be one of ${ROLES.join(", ")}, got ${role === undefined ? "nothing" : JSON.stringify(role)}; the platform sets it per Deployment`);
        throw new SettingsError("", problems);
    }

    /** @type {Settings} */
    let settings;
    switch (/** @type {Role} */ (role)) {
        case "api": {
            const databaseUrl = url("DATABASE_URL", required("DATABASE_URL", `give the writer's URL (${pgExample}); the platform puts it in the Secret app-secrets`), ["postgresql:", "postgres:"], pgExample);
            const replica = get("DATABASE_REPLICA_URL");
            const jobApi = get("JOB_API_ENABLED") ?? "false";
            const databaseAuth = get("DATABASE_AUTH") ?? "password";
            if (databaseAuth !== "password" && databaseAuth !== "iam") {
                problems.push(`DATABASE_AUTH must be "password" or "iam", got ${JSON.stringify(databaseAuth)}`);
            }
            const apiRegion = get("AWS_REGION");
            if (databaseAuth === "iam") {
                for (const [name, value] of [["DATABASE_URL", databaseUrl], ["DATABASE_REPLICA_URL", get("DATABASE_REPLICA_URL")]]) {
                    if (value && URL.canParse(value) && new URL(value).password) {
                        problems.push(`${name} carries a password but DATABASE_AUTH=iam signs an IAM token per connection; drop the password from ${redact(value)}`);
                    }
                }
                if (apiRegion === undefined || !AWS_REGION.test(apiRegion)) {
                    problems.push(`AWS_REGION must name the region (e.g. "us-east-1") when DATABASE_AUTH=iam: tokens for hosts that are not RDS endpoints are signed for it, got ${apiRegion === undefined ? "nothing" : JSON.stringify(apiRegion)}`);
                }
            }
            if (jobApi !== "true" && jobApi !== "false") {
                problems.push(`JOB_API_ENABLED must be "true" or "false", got ${JSON.stringify(jobApi)}`);
            }
            settings = {
                role: "api",
                port: integer("PORT", DEFAULTS.apiPort, 1024, 65535, "the port the platform sets as containerPort; below 1024 needs root"),
                databaseUrl,
                replicaUrl: replica === undefined ? databaseUrl : url("DATABASE_REPLICA_URL", replica, ["postgresql:", "postgres:"], pgExample),
                pgRootCertFile: get("PGSSLROOTCERT"),
                queueUrl: queueUrl(false),
                queueNames: queueNames(false),
                queuePrefix: queuePrefix(),
                jobApi: jobApi === "true",
                databaseAuth: databaseAuth === "iam" ? "iam" : "password",
                region: apiRegion,
                shutdownTimeoutSeconds,
                healthPath,
                probePath,
            };
            break;
        }
        case "ws": {
            const name = get("SOCKET_IO_REDIS_URL") !== undefined ? "SOCKET_IO_REDIS_URL" : "REDIS_URL";
            const value = get(name);
            if (value === undefined) {
                problems.push(`neither SOCKET_IO_REDIS_URL nor REDIS_URL is set; give the Socket.IO adapter's store (${redisExample})`);
            }
            settings = {
                role: "ws",
                port: integer("PORT", DEFAULTS.wsPort, 1024, 65535, "the port the platform sets as containerPort; below 1024 needs root"),
                adapterUrl: url(name, value ?? "", ["redis:", "rediss:"], redisExample),
                shutdownTimeoutSeconds,
                healthPath,
                probePath,
            };
            // Optional: publish this pod's open connections (the gauge KEDA scales ws on, platform issue 19).
            const connNamespace = get("CONNECTION_METRICS_NAMESPACE");
            if (connNamespace !== undefined) {
                if (!METRICS_NAMESPACE.test(connNamespace) || connNamespace.startsWith("AWS/")) {
                    problems.push(`CONNECTION_METRICS_NAMESPACE must be a custom CloudWatch namespace (letters, digits, space and . - _ / # :, not starting with ":" or "AWS/"), got ${JSON.stringify(connNamespace)}`);
                }
                const stack = required("CONNECTION_METRICS_STACK", "name the value of the metric's Stack dimension (the platform sets <project>/<stack>)");
                const region = required("AWS_REGION", "name the region whose CloudWatch receives the metric (the ConfigMap app-config sets it)");
                if (region !== "" && !AWS_REGION.test(region)) {
                    problems.push(`AWS_REGION must be an AWS region such as "us-east-1", got ${JSON.stringify(region)}`);
                }
                const intervalSeconds = integer("METRICS_INTERVAL_SECONDS", DEFAULTS.metricsIntervalSeconds, 10, 3600, "seconds between two PutMetricData calls");
                settings.connectionMetrics = { namespace: connNamespace, stack, region, intervalSeconds };
            }
            break;
        }
        case "worker": {
            const queueName = required("QUEUE_NAME", "name the BullMQ queue this worker consumes (WorkerPool sets it per queue)");
            if (queueName !== "" && !QUEUE_NAME.test(queueName)) {
                problems.push(`QUEUE_NAME must be a queue name (lower-case letters, digits and '-'), got ${JSON.stringify(queueName)}`);
            }
            settings = {
                role: "worker",
                port: get("PORT") === undefined ? undefined : integer("PORT", undefined, 1024, 65535, "optional /health port"),
                queueUrl: queueUrl(true) ?? "",
                queueName,
                queuePrefix: queuePrefix(),
                concurrency: integer("WORKER_CONCURRENCY", undefined, 1, 1000, "jobs one worker runs at once; WorkerPool sets it from workers.queues.<queue>.concurrency"),
                shutdownTimeoutSeconds,
                healthPath,
                probePath,
            };
            break;
        }
        case "queue-metrics": {
            const store = queueUrl(true) ?? "";
            const names = queueNames(true);
            const prefix = queuePrefix();
            const namespace = get("METRICS_NAMESPACE") ?? DEFAULTS.metricsNamespace;
            if (!METRICS_NAMESPACE.test(namespace) || namespace.startsWith("AWS/")) {
                problems.push(`METRICS_NAMESPACE must be a custom CloudWatch namespace (letters, digits, space and . - _ / # :, not starting with ":" or "AWS/"), got ${JSON.stringify(namespace)}`);
            }
            // CloudWatch's standard resolution is one minute; below 10 s PutMetricData costs more than it tells.
            const intervalSeconds = integer("METRICS_INTERVAL_SECONDS", DEFAULTS.metricsIntervalSeconds, 10, 3600, "seconds between two PutMetricData calls");
            const region = required("AWS_REGION", "name the region whose CloudWatch receives the metric (the ConfigMap app-config sets it)");
            if (region !== "" && !AWS_REGION.test(region)) {
                problems.push(`AWS_REGION must be an AWS region such as "us-east-1", got ${JSON.stringify(region)}`);
            }
            settings = {
                role: "queue-metrics",
                port: get("PORT") === undefined ? undefined : integer("PORT", undefined, 1024, 65535, "optional /health port"),
                queueUrl: store,
                queueNames: names,
                queuePrefix: prefix,
                namespace,
                intervalSeconds,
                region,
                shutdownTimeoutSeconds,
                healthPath,
                probePath,
            };
            break;
        }
        case "db-bootstrap": {
            const ident = (/** @type {string} */ name, /** @type {string | undefined} */ fallback, /** @type {string} */ fix) => {
                const v = fallback === undefined ? required(name, fix) : (get(name) ?? fallback);
                if (v !== "" && !PG_IDENTIFIER.test(v)) {
                    problems.push(`${name} must be a PostgreSQL identifier (a letter, then letters, digits or '_', at most 63), got ${JSON.stringify(v)}`);
                }
                return v;
            };
            const region = required("AWS_REGION", "name the region of the master secret (the Job sets it)");
            if (region !== "" && !AWS_REGION.test(region)) {
                problems.push(`AWS_REGION must be an AWS region such as "us-east-1", got ${JSON.stringify(region)}`);
            }
            settings = {
                role: "db-bootstrap",
                masterSecretId: required("MASTER_SECRET_ID", "give the ARN of the Secrets Manager secret holding the master credentials (the Job sets it)"),
                host: required("DATABASE_HOST", "give the primary instance's address (the Job sets it)"),
                dbPort: integer("DATABASE_PORT", 5432, 1, 65535, "the database port"),
                database: ident("DATABASE_NAME", undefined, "name the application database"),
                appUser: ident("APP_DB_USER", undefined, "name the application's login role"),
                schema: ident("APP_DB_SCHEMA", "app", ""),
                region,
                pgRootCertFile: get("PGSSLROOTCERT"),
                shutdownTimeoutSeconds,
                healthPath,
                probePath,
            };
            break;
        }
    }
    // issue 19: the Prometheus endpoint (app/src/metrics.js) on a port of its own, for every long-running role.
    if (get("METRICS_PORT") !== undefined && role !== "db-bootstrap") {
        const metricsPort = integer("METRICS_PORT", undefined, 1024, 65535, "the metrics port the platform declares as the container port named metrics");
        if (metricsPort === settings.port) {
            problems.push(`METRICS_PORT must differ from PORT (${settings.port}): /metrics gets a port of its own, got ${metricsPort}`);
        }
        settings = { ...settings, metricsPort };
    }
    if (problems.length > 0) {
        throw new SettingsError(role, problems);
    }
    return settings;
}

module.exports = { readSettings, SettingsError, ROLES, DEFAULTS, redact };
