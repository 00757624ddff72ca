/**
 * The platform's database URL (`postgresUrl`: `sslmode=require`, a password that needs URL-encoding)
 * against a real PostgreSQL with TLS on (tests-servers/setup-servers.sh), through the app's `pgConfig`
 * and `pg`.
 */
import * as fs from "fs";
import { Client } from "pg";
import { CA_FILE, OTHER_CA_FILE, PG, platformDatabaseUrl } from "./servers";

/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const { pgConfig } = require("../app/src/postgres");

/** Connects, returns whether the session is encrypted and who it is, and disconnects. */
async function session(config: object): Promise<{ ssl: boolean; user: string; database: string }> {
    const client = new Client(config);
    await client.connect();
    try {
        const r = await client.query("SELECT s.ssl, current_user AS user, current_database() AS database FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()");
        return r.rows[0];
    } finally {
        await client.end();
    }
}

describe("PostgreSQL with the platform's URL", () => {
    test("pgConfig: TLS session, the URL-encoded password authenticates (scram-sha-256)", async () => {
        expect(platformDatabaseUrl()).toContain(encodeURIComponent(PG.password));
        expect(await session(pgConfig(platformDatabaseUrl()))).toEqual({ ssl: true, user: PG.user, database: PG.database });
    });

    test("pgConfig with PGSSLROOTCERT = the server's CA verifies the chain and connects", async () => {
        expect(await session(pgConfig(platformDatabaseUrl(), { rootCertFile: CA_FILE }))).toMatchObject({ ssl: true });
    });

    test("pgConfig with PGSSLROOTCERT = an unrelated CA refuses the server", async () => {
        await expect(session(pgConfig(platformDatabaseUrl(), { rootCertFile: OTHER_CA_FILE }))).rejects.toThrow(/self[- ]signed|unable to (verify|get local issuer)/i);
    });

    test("the same URL handed to pg as it is fails: pg 8 treats sslmode=require as verify-full against Node's CAs", async () => {
        await expect(session({ connectionString: platformDatabaseUrl() })).rejects.toThrow(/self[- ]signed|unable to (verify|get local issuer)/i);
    });

    test("a wrong password is refused", async () => {
        const url = platformDatabaseUrl().replace(encodeURIComponent(PG.password), "wrong");
        await expect(session(pgConfig(url))).rejects.toThrow(/password authentication failed/);
    });

    test("the CA file exists (setup-servers.sh ran)", () => {
        expect(fs.readFileSync(CA_FILE, "utf8")).toMatch(/BEGIN CERTIFICATE/);
    });
});
