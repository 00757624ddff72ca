/**
 * The reference application (app/) without any server: it starts with `node` the way the image runs it
 * and answers /health, it drains on SIGTERM, it refuses a bad environment with one message, and the
 * exact environment the platform's Deployments carry (dev stack under the mock runtime) is accepted by
 * its settings and by the real client libraries' parsers (pg, ioredis, the CloudWatch client).
 * The same against real PostgreSQL and Redis/Valkey servers: tests-servers/ (`npm run test:servers`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { Client } from "pg";
import { DEFAULT_CONNECTION_METRIC } from "../components/service-scaling";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import { DEFAULT_API_PORT, DEFAULT_WS_PORT } from "../platform/config";
import { RegisteredResource, StackRun, runStack } from "./harness";
import { AppProcess, request, startApp } from "./app-process";
import { freePort } from "../tests-servers/servers";

// The app is plain JavaScript (checked by `tsc -p app/tsconfig.json`); its modules are loaded as they are.
/* eslint-disable @typescript-eslint/no-require-imports */
const { readSettings, SettingsError } = require("../app/src/settings");
const { pgConfig, resolveRdsHost } = require("../app/src/postgres");
const { createRedis } = require("../app/src/redis");
const { metricRequests, METRIC_NAME, DIMENSION } = require("../app/src/queue-metrics");
const { connectionMetricRequest } = require("../app/src/ws");
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The environment a container of a Deployment sees: `env` and `envFrom`. A Secret is resolved the way External Secrets
 * Operator fills it: its ExternalSecret's `data` entries, each read from the Secrets Manager secret of that name (the
 * SecretVersion the stack wrote) and its JSON `property`.
 */
function containerEnvironment(run: StackRun, deployment: RegisteredResource): Record<string, string> {
    const byName = (type: string, name: string): RegisteredResource => {
        const found = run.ofType(type).find((r) => r.inputs.metadata?.name === name);
        if (!found) {
            throw new Error(`no ${type} named ${name}`);
        }
        return found;
    };
    const container = deployment.inputs.spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
        if (from.configMapRef) {
            Object.assign(env, byName("kubernetes:core/v1:ConfigMap", from.configMapRef.name).inputs.data);
        }
        if (from.secretRef) {
            const es = byName("kubernetes:external-secrets.io/v1:ExternalSecret", from.secretRef.name);
            expect(es.inputs.spec.target.name).toBe(from.secretRef.name);
            for (const d of es.inputs.spec.data) {
                const secret = run.ofType("aws:secretsmanager/secret:Secret").find((r) => r.inputs.name === d.remoteRef.key);
                if (!secret) {
                    throw new Error(`no Secrets Manager secret named ${d.remoteRef.key}`);
                }
                const version = run.get("aws:secretsmanager/secretVersion:SecretVersion", secret.name);
                env[d.secretKey] = JSON.parse(version.inputs.secretString)[d.remoteRef.property];
            }
        }
    }
    // Kubernetes: `env` wins over `envFrom`.
    for (const e of container.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        env[e.name] = ref ? byName("kubernetes:core/v1:Secret", ref.name).inputs.stringData[ref.key] : e.value;
    }
    return env;
}

describe("the environment the dev stack injects", () => {
    let run: StackRun;
    const envOf = (name: string): Record<string, string> => containerEnvironment(run, run.get("kubernetes:apps/v1:Deployment", name));
    beforeAll(async () => {
        run = await runStack("dev");
    });

    test("api: settings accepted; pg and ioredis parse the URLs with TLS and the credentials", () => {
        const env = envOf("dev-use1-api-deploy");
        const s = readSettings(env);
        expect(s).toMatchObject({ role: "api", port: DEFAULT_API_PORT, healthPath: "/health", queueNames: ["sla-checks", "notifications", "analytics"], queuePrefix: "bull" });
        expect(s.replicaUrl).not.toBe(s.databaseUrl);

        // IAM authentication: no password in the URL or anywhere in the environment; pg gets a token function.
        expect(s).toMatchObject({ databaseAuth: "iam", region: "us-east-1" });
        const url = new URL(env.DATABASE_URL);
        expect(url.password).toBe("");
        expect(Object.keys(env).filter((k) => /PASSWORD/.test(k))).toEqual([]);
        const config = pgConfig(s.databaseUrl, { iam: { region: s.region } });
        expect(typeof config.password).toBe("function");
        const writer = new Client(config) as any;
        expect(writer.connectionParameters).toMatchObject({
            user: "app",
            host: url.hostname,
            port: Number(url.port),
            database: "app",
            // sslmode=require without a root certificate: encrypted, not verified (libpq semantics).
            ssl: { rejectUnauthorized: false },
        });

        const redis = createRedis(s.queueUrl, { lazyConnect: true });
        const q = new URL(env.QUEUE_REDIS_URL);
        expect(redis.options).toMatchObject({ host: q.hostname, port: 6379, username: "", password: decodeURIComponent(q.password) });
        expect(redis.options.tls).toBeTruthy();
        redis.disconnect();
    });

    test("ws: settings accepted; the adapter store URL is the sessions purpose, over TLS", () => {
        const env = envOf("dev-use1-ws-deploy");
        const s = readSettings(env);
        expect(s).toMatchObject({ role: "ws", port: DEFAULT_WS_PORT, adapterUrl: env.SOCKET_IO_REDIS_URL });
        expect(new URL(env.SOCKET_IO_REDIS_URL).hostname).toContain("sessions");
        // ws gets no queue store.
        expect(env.QUEUE_REDIS_URL).toBeUndefined();
        const redis = createRedis(s.adapterUrl, { lazyConnect: true });
        expect(redis.options.tls).toBeTruthy();
        redis.disconnect();
        // issue 19: the pod publishes the connection gauge KEDA scales ws on, with the dimension KEDA reads.
        expect(s.connectionMetrics).toEqual({ namespace: DEFAULT_CONNECTION_METRIC.namespace, stack: "scaled-web/dev", region: "us-east-1", intervalSeconds: 60 });
        const so = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "dev-use1-ws-scaler").inputs.spec.triggers.find((t: any) => t.name === "connections").metadata;
        const req = connectionMetricRequest(s.connectionMetrics, 42, new Date(0));
        expect(req).toEqual({
            Namespace: so.namespace,
            MetricData: [{ MetricName: so.metricName, Dimensions: [{ Name: so.dimensionName, Value: so.dimensionValue }], Timestamp: new Date(0), Value: 42, Unit: "Count" }],
        });
    });

    test.each(["sla-checks", "notifications", "analytics"])("worker %s: settings accepted with the queue, prefix and concurrency the pool sets", (queue) => {
        const env = envOf(`dev-use1-workers-${queue}`);
        expect(readSettings(env)).toMatchObject({ role: "worker", queueName: queue, queuePrefix: "bull", concurrency: Number(env.WORKER_CONCURRENCY), queueUrl: env.QUEUE_REDIS_URL });
        expect(new URL(env.QUEUE_REDIS_URL).hostname).toContain("queue");
        // Workers get no session store and no database URL credentials.
        expect(env.SOCKET_IO_REDIS_URL).toBeUndefined();
    });

    test("queue-metrics: a worker's environment plus QUEUE_NAMES is enough; defaults match the alarms' metric", () => {
        const env = { ...envOf("dev-use1-workers-analytics"), APP_ROLE: "queue-metrics", QUEUE_NAMES: "sla-checks,notifications,analytics" };
        expect(readSettings(env)).toMatchObject({
            role: "queue-metrics", namespace: DEFAULT_QUEUE_DEPTH_METRIC.namespace, intervalSeconds: 60, region: "us-east-1",
            queueNames: ["sla-checks", "notifications", "analytics"],
        });
        expect([METRIC_NAME, DIMENSION]).toEqual([DEFAULT_QUEUE_DEPTH_METRIC.metricName, DEFAULT_QUEUE_DEPTH_METRIC.dimension]);
    });
});

describe("the bootstrap Job of the dev stack", () => {
    test("its environment is accepted by the db-bootstrap role; it names the master secret, never a password", async () => {
        const run = await runStack("dev");
        const job = run.get("kubernetes:batch/v1:Job", "dev-use1-db-bootstrap-job");
        const c = job.inputs.spec.template.spec.containers[0];
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
        const s = readSettings(env);
        expect(s).toMatchObject({
            role: "db-bootstrap", dbPort: 5432, database: "app", appUser: "app", schema: "app", region: "us-east-1",
            masterSecretId: run.get("aws:secretsmanager/secret:Secret", "dev-use1-db-master").state.arn,
            host: run.get("aws:rds/instance:Instance", "dev-use1-db-primary").state.address,
        });
        expect(JSON.stringify(job.inputs)).not.toContain(run.get("random:index/randomPassword:RandomPassword", "dev-use1-db-master").state.result);
    });
});

describe("IAM database authentication (pgConfig with iam)", () => {
    const credentials = async (): Promise<object> => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "tok" });

    test("each connection's password is a fresh token signed for its host, user and the host's region", async () => {
        const config = pgConfig("postgresql://app@prod-use1-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com:5432/app?sslmode=require", { iam: { region: "us-west-2", credentials } });
        const token: string = await config.password({ host: "prod-use1-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com", port: 5432, user: "app" });
        const u = new URL(`https://${token}`);
        expect(u.host).toBe("prod-use1-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com:5432");
        expect(u.searchParams.get("Action")).toBe("connect");
        expect(u.searchParams.get("DBUser")).toBe("app");
        // The proxy lives in us-east-1: a secondary region's pod still signs for us-east-1.
        expect(u.searchParams.get("X-Amz-Credential")).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-east-1\/rds-db\/aws4_request$/);
        // A host that is not an RDS endpoint falls back to the configured region.
        const other: string = await config.password({ host: "localhost", port: 5432, user: "app" });
        expect(new URL(`https://${other}`).searchParams.get("X-Amz-Credential")).toContain("/us-west-2/rds-db/");
    });

    test("a password in the URL or sslmode=disable is refused with iam", () => {
        expect(() => pgConfig("postgresql://app:pw@h:5432/app?sslmode=require", { iam: { region: "us-east-1" } })).toThrow(/must not carry a password/);
        expect(() => pgConfig("postgresql://app@h:5432/app?sslmode=disable", { iam: { region: "us-east-1" } })).toThrow(/needs TLS/);
    });

    test("the reader CNAME is followed to the instance endpoint before signing and connecting", async () => {
        const zone: Record<string, string[]> = {
            "reader.db.internal": ["prod-use1-db-replica-1.abc.us-east-1.rds.amazonaws.com."],
        };
        const resolve = async (name: string): Promise<string[]> => {
            if (zone[name]) {
                return zone[name];
            }
            throw Object.assign(new Error("no CNAME"), { code: "ENODATA" });
        };
        expect(await resolveRdsHost("reader.db.internal", resolve)).toBe("prod-use1-db-replica-1.abc.us-east-1.rds.amazonaws.com");
        expect(await resolveRdsHost("prod-use1-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com", resolve)).toBe("prod-use1-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com");
        expect(await resolveRdsHost("127.0.0.1", resolve)).toBe("127.0.0.1");
        const loop = async (name: string): Promise<string[]> => [`${name}.x`];
        await expect(resolveRdsHost("a.internal", loop)).rejects.toThrow(/more than 5 CNAMEs/);
    });
});

describe("settings", () => {
    test("every problem of a role at once, naming the variable, the value (credentials redacted) and the fix", () => {
        let error: Error | undefined;
        try {
            readSettings({ APP_ROLE: "queue-metrics", QUEUE_REDIS_URL: "http://:s3cret@host:6379", QUEUE_NAMES: "Bad Name,ok", METRICS_INTERVAL_SECONDS: "5", AWS_REGION: "virginia" });
        } catch (e) {
            error = e as Error;
        }
        expect(error).toBeInstanceOf(SettingsError);
        const lines = error!.message.split("\n").slice(1);
        expect(lines).toEqual([
            expect.stringMatching(/QUEUE_REDIS_URL must use redis:\/\/ or rediss:\/\/, got the scheme "http:" in "http:\/\/:\*\*\*@host:6379\/"/),
            expect.stringMatching(/QUEUE_NAMES: "Bad Name" is not a queue name/),
            expect.stringMatching(/METRICS_INTERVAL_SECONDS must be a whole number from 10 to 3600 .* got "5"/),
            expect.stringMatching(/AWS_REGION must be an AWS region such as "us-east-1", got "virginia"/),
        ]);
        expect(error!.message).not.toContain("s3cret");
    });

    test.each([
        [{}, /APP_ROLE must be one of api, ws, worker, queue-metrics, db-bootstrap, got nothing/],
        [{ APP_ROLE: "api", DATABASE_URL: "postgresql://u:p@h/db", DATABASE_AUTH: "iam", AWS_REGION: "us-east-1" }, /DATABASE_URL carries a password but DATABASE_AUTH=iam/],
        [{ APP_ROLE: "api", DATABASE_URL: "postgresql://u@h/db", DATABASE_AUTH: "iam" }, /AWS_REGION must name the region .* when DATABASE_AUTH=iam/],
        [{ APP_ROLE: "api", DATABASE_URL: "postgresql://u@h/db", DATABASE_AUTH: "token" }, /DATABASE_AUTH must be "password" or "iam", got "token"/],
        [{ APP_ROLE: "db-bootstrap" }, /MASTER_SECRET_ID is not set/],
        [{ APP_ROLE: "db-bootstrap", MASTER_SECRET_ID: "arn", DATABASE_HOST: "h", DATABASE_NAME: "app", APP_DB_USER: "app; DROP", AWS_REGION: "us-east-1" }, /APP_DB_USER must be a PostgreSQL identifier/],
        [{ APP_ROLE: "api" }, /DATABASE_URL is not set/],
        [{ APP_ROLE: "api", DATABASE_URL: "mysql://u:p@h/db" }, /DATABASE_URL must use postgresql:\/\/ or postgres:\/\/, got the scheme "mysql:" in "mysql:\/\/u:\*\*\*@h\/db"/],
        [{ APP_ROLE: "api", DATABASE_URL: "postgresql://u:p@h/db", PORT: "80" }, /PORT must be a whole number from 1024 to 65535/],
        [{ APP_ROLE: "ws" }, /neither SOCKET_IO_REDIS_URL nor REDIS_URL is set/],
        [{ APP_ROLE: "worker", QUEUE_NAME: "q", VALKEY_QUEUE_URL: "rediss://:t@h:6379", WORKER_CONCURRENCY: "0" }, /WORKER_CONCURRENCY must be a whole number from 1 to 1000/],
        [{ APP_ROLE: "queue-metrics", VALKEY_QUEUE_URL: "rediss://:t@h:6379", AWS_REGION: "us-east-1", QUEUE_NAMES: "a", METRICS_NAMESPACE: "AWS/SQS" }, /METRICS_NAMESPACE must be a custom CloudWatch namespace/],
    ])("%j is refused: %s", (env, expected) => {
        expect(() => readSettings(env)).toThrow(expected);
    });
});

describe("pgConfig follows libpq's sslmode", () => {
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgconfig-"));
        fs.writeFileSync(path.join(dir, "root.crt"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const url = (mode: string): string => `postgresql://app:p%40ss@db.example:5432/app?sslmode=${mode}`;

    test("pg itself would treat the platform's sslmode=require as verify-full (the reason pgConfig exists)", () => {
        const raw = new Client({ connectionString: url("require") }) as any;
        expect(raw.connectionParameters.ssl).toEqual({});
        expect(raw.connectionParameters.ssl.rejectUnauthorized).toBeUndefined(); // Node's default: verify
    });

    test("require with PGSSLROOTCERT verifies the chain (Node's CAs plus the file) but not the host name", () => {
        const ssl = pgConfig(url("require"), { rootCertFile: path.join(dir, "root.crt") }).ssl;
        expect(ssl.rejectUnauthorized).toBe(true);
        expect(ssl.ca).toContain(fs.readFileSync(path.join(dir, "root.crt"), "utf8"));
        expect(ssl.ca.length).toBeGreaterThan(100);
        expect(ssl.checkServerIdentity("any.host", {})).toBeUndefined();
    });

    test.each([
        ["disable", false],
        ["require", { rejectUnauthorized: false }],
        ["verify-full", { rejectUnauthorized: true }],
    ])("sslmode=%s without a root certificate -> %j", (mode, expected) => {
        expect(pgConfig(url(mode)).ssl).toEqual(expected);
    });

    test("verify-ca without a root certificate is refused", () => {
        expect(() => pgConfig(url("verify-ca"))).toThrow(/sslmode=verify-ca needs a root certificate file: set PGSSLROOTCERT/);
    });
});

describe("queue depth datapoints", () => {
    test("one datum per queue with the alarms' metric, dimension and unit", () => {
        const at = new Date("2026-01-01T00:00:00Z");
        expect(metricRequests("ScaledWeb/Queues", { "sla-checks": 3, analytics: 0 }, at)).toEqual([{
            Namespace: "ScaledWeb/Queues",
            MetricData: [
                { MetricName: "QueueDepth", Dimensions: [{ Name: "Queue", Value: "sla-checks" }], Timestamp: at, Value: 3, Unit: "Count" },
                { MetricName: "QueueDepth", Dimensions: [{ Name: "Queue", Value: "analytics" }], Timestamp: at, Value: 0, Unit: "Count" },
            ],
        }]);
        const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`q${i}`, i]));
        expect(metricRequests("N", many, at).map((r: any) => r.MetricData.length)).toEqual([1000, 1]);
    });

    test("the CloudWatch client accepts and signs the request (no network: the request handler captures it)", async () => {
        const sent: { path: string; headers: Record<string, string>; body: string }[] = [];
        const client = new CloudWatchClient({
            region: "us-east-1",
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
            requestHandler: {
                handle: async (req: any) => {
                    sent.push({ path: req.path, headers: req.headers, body: Buffer.from(req.body ?? "").toString("latin1") });
                    throw new Error("captured, not sent");
                },
            } as any,
            maxAttempts: 1,
        });
        const [input] = metricRequests("ScaledWeb/Queues", { "sla-checks": 7 }, new Date());
        await expect(client.send(new PutMetricDataCommand(input))).rejects.toThrow("captured, not sent");
        expect(sent).toHaveLength(1);
        for (const text of ["ScaledWeb/Queues", "QueueDepth", "Queue", "sla-checks", "Count"]) {
            expect(sent[0].body).toContain(text);
        }
        expect(sent[0].headers.authorization ?? sent[0].headers.Authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/monitoring\/aws4_request/);
    });
});

describe("the app as a process (node, no Docker, no servers)", () => {
    let app: AppProcess | undefined;
    afterEach(async () => {
        await app?.stop();
        app = undefined;
    });

    test.each([
        ["api", { DATABASE_URL: "postgresql://app:pw@127.0.0.1:1/app?sslmode=require" }],
        ["ws", { SOCKET_IO_REDIS_URL: "rediss://:tok@127.0.0.1:1" }],
    ])("%s listens on PORT, answers /health with 200 and exits 0 on SIGTERM", async (role, extra) => {
        const port = await freePort();
        app = startApp({ APP_ROLE: role, PORT: String(port), ...extra });
        await app.waitFor(`"msg":"listening","port":${port}`);
        expect(await request(port, "GET", "/health")).toEqual({ status: 200, body: { status: "ok", role } });
        expect((await request(port, "GET", "/nope")).status).toBe(404);
        // The job API is off unless JOB_API_ENABLED=true (it is unauthenticated).
        expect((await request(port, "POST", "/api/jobs/sla-checks", {})).status).toBe(404);
        expect(await app.stop()).toBe(0);
        expect(app.output()).toContain('"msg":"stopped"');
    });

    test("HEALTH_PATH (the stack's edge.healthCheckPath) moves the health answer", async () => {
        const port = await freePort();
        app = startApp({ APP_ROLE: "ws", PORT: String(port), HEALTH_PATH: "/healthz", SOCKET_IO_REDIS_URL: "rediss://:tok@127.0.0.1:1" });
        await app.waitFor('"msg":"listening"');
        expect((await request(port, "GET", "/healthz")).status).toBe(200);
        expect((await request(port, "GET", "/health")).status).toBe(404);
    });

    test("PROBE_PATH (the stack's edge.wsHealthCheckPath, which the ALB routes to ws unchanged) is answered too", async () => {
        const port = await freePort();
        app = startApp({ APP_ROLE: "ws", PORT: String(port), PROBE_PATH: "/ws/health", SOCKET_IO_REDIS_URL: "rediss://:tok@127.0.0.1:1" });
        await app.waitFor('"msg":"listening"');
        expect(await request(port, "GET", "/ws/health")).toEqual({ status: 200, body: { status: "ok", role: "ws" } });
        expect((await request(port, "GET", "/health")).status).toBe(200);
        expect((await request(port, "GET", "/ws/other")).status).toBe(404);
    });

    test("an in-flight request finishes after SIGTERM; /health turns 503 meanwhile; then the process exits 0", async () => {
        const port = await freePort();
        // The database never answers (a listening socket that accepts and stays silent).
        const net = await import("net");
        const silent = net.createServer(() => undefined);
        await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
        const dbPort = (silent.address() as import("net").AddressInfo).port;
        try {
            app = startApp({ APP_ROLE: "api", PORT: String(port), DATABASE_URL: `postgresql://app:pw@127.0.0.1:${dbPort}/app?sslmode=disable`, SHUTDOWN_TIMEOUT_SECONDS: "10" });
            await app.waitFor('"msg":"listening"');
            const inFlight = request(port, "GET", "/api/status");
            await new Promise((r) => setTimeout(r, 300));
            app.child.kill("SIGTERM");
            await app.waitFor('"msg":"shutting down"');
            // The connection timeout (5 s) ends the status request with 503; it is answered, not cut.
            const answer = await inFlight;
            expect(answer.status).toBe(503);
            expect(answer.body.database.writer.ok).toBe(false);
            expect(await app.exited()).toBe(0);
        } finally {
            silent.close();
        }
    });

    test("a worker without its environment exits 1 with one message listing every missing variable", async () => {
        app = startApp({ APP_ROLE: "worker" });
        expect(await app.exited()).toBe(1);
        expect(app.output()).toMatch(/The worker cannot start, 3 problems[^]*QUEUE_NAME is not set[^]*neither QUEUE_REDIS_URL nor VALKEY_QUEUE_URL is set[^]*WORKER_CONCURRENCY is not set/);
    });

    test("a worker that cannot reach its queue store stops at once on SIGTERM, exit 0 (no job can be running)", async () => {
        // BullMQ's plain close() waits for the connection, so this used to end at the shutdown deadline with exit 1.
        app = startApp({ APP_ROLE: "worker", QUEUE_NAME: "notifications", VALKEY_QUEUE_URL: "redis://127.0.0.1:1", WORKER_CONCURRENCY: "2", SHUTDOWN_TIMEOUT_SECONDS: "30" });
        await app.waitFor('"msg":"consuming"');
        await app.waitFor("queue store connection failed");
        expect(await app.stop()).toBe(0);
        expect(app.output()).toContain('"msg":"stopped"');
        expect(app.output()).not.toContain("shutdown timed out");
    });

    test("the app writes no file into its working directory or HOME (the image gives it a read-only root filesystem)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ro-app-"));
        try {
            fs.chmodSync(dir, 0o555);
            const port = await freePort();
            app = startApp({ APP_ROLE: "api", PORT: String(port), HOME: dir, DATABASE_URL: "postgresql://a:b@127.0.0.1:1/x" }, dir);
            await app.waitFor('"msg":"listening"');
            expect((await request(port, "GET", "/health")).status).toBe(200);
            expect(await app.stop()).toBe(0);
            expect(fs.readdirSync(dir)).toEqual([]);
        } finally {
            fs.chmodSync(dir, 0o755);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
