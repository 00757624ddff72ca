/**
 * The real servers the server-backed suite talks to (`npm run test:servers`):
 * - PostgreSQL on localhost, prepared by `tests-servers/setup-servers.sh` (TLS on, a CA in
 *   `TEST_TLS_DIR`, a role whose password needs URL-encoding);
 * - a Redis/Valkey server each test file starts itself (`startTlsRedis`): TLS only (port 0 for plain
 *   TCP, as ElastiCache with `transitEncryptionMode: required`), `requirepass` = an auth token with the
 *   characters ElastiCache allows, and the same certificate.
 * Connection strings are built with the platform's own functions (`postgresUrl`, `cacheUrl`).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { cacheUrl } from "../components/cache";
import { postgresUrl } from "../platform/workloads";

export const TLS_DIR = process.env.TEST_TLS_DIR ?? "/tmp/scaled-web-test-tls";
export const CA_FILE = path.join(TLS_DIR, "ca.crt");
export const OTHER_CA_FILE = path.join(TLS_DIR, "other-ca.crt");
export const PG = {
    user: process.env.TEST_PG_USER ?? "app_test",
    password: process.env.TEST_PG_PASSWORD ?? "p@ss/w:rd+%?&=#",
    database: process.env.TEST_PG_DATABASE ?? "app_test",
    endpoint: process.env.TEST_PG_ENDPOINT ?? "localhost:5432",
};
/** An auth token like the platform's (printable, no `/`, `"` or `@`: ElastiCache's AUTH rules), with characters URLs must encode. */
export const REDIS_TOKEN = "t0ken-with+special%chars&=?#!x";

/** The database URL exactly as the platform writes it into the Secret (`sslmode=require`). */
export function platformDatabaseUrl(): string {
    return postgresUrl(PG.user, PG.password, PG.endpoint, PG.database);
}

/** A free TCP port on localhost. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

function redisBinary(): string {
    for (const candidate of [process.env.REDIS_SERVER, "valkey-server", "redis-server"]) {
        if (!candidate) {
            continue;
        }
        try {
            execFileSync(candidate, ["--version"], { stdio: "ignore" });
            return candidate;
        } catch {
            // next
        }
    }
    throw new Error("no valkey-server or redis-server on PATH (set REDIS_SERVER); see README \"Server-backed tests\"");
}

export interface TlsRedis {
    readonly port: number;
    /** `rediss://:<token>@localhost:<port>`, as components/cache.ts `cacheUrl` writes it. */
    readonly url: string;
    stop(): Promise<void>;
}

/** Starts a TLS-only Redis/Valkey server with an auth token; resolves once it accepts connections. */
export async function startTlsRedis(): Promise<TlsRedis> {
    for (const f of [CA_FILE, path.join(TLS_DIR, "server.crt"), path.join(TLS_DIR, "server.key")]) {
        if (!fs.existsSync(f)) {
            throw new Error(`${f} is missing: run tests-servers/setup-servers.sh first (README "Server-backed tests")`);
        }
    }
    const port = await freePort();
    const child: ChildProcess = spawn(redisBinary(), [
        "--port", "0",
        "--tls-port", String(port),
        "--bind", "127.0.0.1",
        "--tls-cert-file", path.join(TLS_DIR, "server.crt"),
        "--tls-key-file", path.join(TLS_DIR, "server.key"),
        "--tls-ca-cert-file", CA_FILE,
        "--tls-auth-clients", "no",
        "--requirepass", REDIS_TOKEN,
        "--save", "",
        "--appendonly", "no",
        // BullMQ's queue store: the platform gives the `queue` purpose maxmemory-policy noeviction.
        "--maxmemory-policy", "noeviction",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const deadline = Date.now() + 10_000;
    for (;;) {
        if (child.exitCode !== null) {
            throw new Error(`redis-server exited (${child.exitCode}):\n${output}`);
        }
        if (output.includes("Ready to accept connections")) {
            break;
        }
        if (Date.now() > deadline) {
            child.kill("SIGKILL");
            throw new Error(`redis-server did not start within 10 s:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    return {
        port,
        url: cacheUrl(REDIS_TOKEN, "localhost", port),
        stop: () => new Promise<void>((resolve) => {
            if (child.exitCode !== null) {
                resolve();
                return;
            }
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
        }),
    };
}

/** TLS options that trust the test CA (ElastiCache needs none: its certificates chain to public roots). */
export function testTls(): { ca: string } {
    return { ca: fs.readFileSync(CA_FILE, "utf8") };
}
