/**
 * The database bootstrap (app/src/bootstrap.js) against a real PostgreSQL: connected as the test role, which like the
 * RDS master user owns the database and may create roles (tests-servers/setup-servers.sh gives it CREATEROLE), it
 * creates the application role with exactly the rights the application needs, and running it again changes nothing.
 * `rds_iam` (an RDS role) is created here when the server lacks it, to check the grant, and dropped afterwards.
 */
import { Client } from "pg";
import { CA_FILE, PG, platformDatabaseUrl } from "./servers";

/* eslint-disable @typescript-eslint/no-require-imports */
const { pgConfig } = require("../app/src/postgres");
const { bootstrapAppRole, bootstrapStatements } = require("../app/src/bootstrap");
/* eslint-enable @typescript-eslint/no-require-imports */

const APP = "app_bootstrap_test";
const SCHEMA = "app_bootstrap_schema";

describe("bootstrapAppRole on PostgreSQL", () => {
    let master: Client;
    let createdRdsIam = false;

    const one = async (sql: string, params: unknown[] = []): Promise<any> => (await master.query(sql, params)).rows[0];
    /**
     * Removes the role and what it was granted. Not `DROP OWNED BY`: that needs membership in the role, which a
     * CREATEROLE user (like the RDS master) does not have in PostgreSQL 15.
     */
    const dropAppRole = async (): Promise<void> => {
        await master.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
        if (await one("SELECT 1 AS x FROM pg_roles WHERE rolname = $1", [APP])) {
            await master.query(`REVOKE ALL ON DATABASE ${PG.database} FROM ${APP}`);
            await master.query(`ALTER ROLE ${APP} IN DATABASE ${PG.database} RESET ALL`);
            await master.query(`DROP ROLE ${APP}`);
        }
    };

    beforeAll(async () => {
        master = new Client(pgConfig(platformDatabaseUrl(), { rootCertFile: CA_FILE }));
        await master.connect();
        await dropAppRole();
        if (!(await one("SELECT 1 AS x FROM pg_roles WHERE rolname = 'rds_iam'"))) {
            await master.query("CREATE ROLE rds_iam NOLOGIN");
            createdRdsIam = true;
        }
        await bootstrapAppRole(master, { appUser: APP, database: PG.database, schema: SCHEMA });
        // A table and a sequence the owner (the migrations) creates after the bootstrap.
        await master.query(`CREATE TABLE ${SCHEMA}.orders (id bigserial PRIMARY KEY, note text)`);
    });

    afterAll(async () => {
        try {
            await dropAppRole();
            if (createdRdsIam) {
                await master.query("DROP ROLE rds_iam");
            }
            // Give PUBLIC back what the bootstrap took from the shared test database.
            await master.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${PG.database} TO PUBLIC`);
        } finally {
            await master.end();
        }
    });

    test("the role can log in, with no password and none of the powerful attributes", async () => {
        const r = await one("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1", [APP]);
        expect(r).toEqual({ rolcanlogin: true, rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false });
        // No password: pg_roles masks the column, so log in as the role and be refused (on RDS, rds_iam makes the
        // server ask for an IAM token instead).
        const url = new URL(platformDatabaseUrl());
        url.username = APP;
        url.password = "any-password";
        const client = new Client(pgConfig(url.toString(), { rootCertFile: CA_FILE }));
        await expect(client.connect()).rejects.toThrow(/password authentication failed/);
        expect(bootstrapStatements({ appUser: APP, database: "d", schema: "s" }).some((q: string) => q.endsWith("PASSWORD NULL"))).toBe(true);
    });

    test("it is a member of rds_iam (IAM authentication on RDS)", async () => {
        expect((await one("SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS m", [APP])).m).toBe(true);
    });

    test("CONNECT on the database, nothing more; PUBLIC lost its default CONNECT", async () => {
        const db = PG.database;
        const r = await one(`SELECT has_database_privilege($1, $2, 'CONNECT') AS c, has_database_privilege($1, $2, 'CREATE') AS cr, has_database_privilege($1, $2, 'TEMPORARY') AS t`, [APP, db]);
        expect(r).toEqual({ c: true, cr: false, t: false });
        const acl = await one("SELECT datacl::text AS acl FROM pg_database WHERE datname = $1", [db]);
        expect(acl.acl).not.toMatch(/(^|[{,])=[A-Za-z]*c/); // no "=c..." entry: PUBLIC has no CONNECT
    });

    test("USAGE on its schema, no CREATE there or in public", async () => {
        const r = await one(`SELECT has_schema_privilege($1, $2, 'USAGE') AS u, has_schema_privilege($1, $2, 'CREATE') AS c, has_schema_privilege($1, 'public', 'CREATE') AS pc`, [APP, SCHEMA]);
        expect(r).toEqual({ u: true, c: false, pc: false });
    });

    test("DML on tables created later (default privileges), no TRUNCATE, REFERENCES, TRIGGER or ownership", async () => {
        const t = `${SCHEMA}.orders`;
        const privs = await one(`SELECT ${["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"].map((p) => `has_table_privilege($1, $2, '${p}') AS "${p}"`).join(", ")}`, [APP, t]);
        expect(privs).toEqual({ SELECT: true, INSERT: true, UPDATE: true, DELETE: true, TRUNCATE: false, REFERENCES: false, TRIGGER: false });
        const owner = await one("SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'orders'", [SCHEMA]);
        expect(owner.tableowner).toBe(PG.user);
        const seq = await one(`SELECT has_sequence_privilege($1, $2, 'USAGE') AS u, has_sequence_privilege($1, $2, 'UPDATE') AS up`, [APP, `${SCHEMA}.orders_id_seq`]);
        expect(seq).toEqual({ u: true, up: false });
    });

    test("its search_path in the database is its schema", async () => {
        const r = await one(`SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = $1 AND d.datname = $2`, [APP, PG.database]);
        expect(r.setconfig).toEqual([`search_path=${SCHEMA}`]);
    });

    test("running it again is a no-op, and a failing run rolls back as a whole", async () => {
        await bootstrapAppRole(master, { appUser: APP, database: PG.database, schema: SCHEMA });
        expect((await one("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1", [APP])).n).toBe(1);
        await expect(bootstrapAppRole(master, { appUser: APP, database: "no_such_database", schema: "app_bootstrap_rollback" })).rejects.toThrow(/does not exist/);
        expect(await one("SELECT 1 AS x FROM pg_namespace WHERE nspname = 'app_bootstrap_rollback'")).toBeUndefined();
    });

    test("identifiers are quoted: a hostile name stays one identifier", () => {
        const sql: string[] = bootstrapStatements({ appUser: 'x"; DROP TABLE t; --', database: "app", schema: "app" });
        expect(sql[0]).toContain('CREATE ROLE "x""; DROP TABLE t; --" LOGIN');
    });
});
