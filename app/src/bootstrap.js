// @ts-check
/**
 * Role `db-bootstrap`: run once per change by the platform's bootstrap Job (components/database-bootstrap.ts) in the
 * primary region's cluster. It reads the RDS master credentials from Secrets Manager at run time (its own Pod Identity
 * role may read that one secret; nothing is mounted from a Kubernetes Secret), connects to the primary instance
 * directly (not through RDS Proxy, which admits only the application role), and makes the application role exist
 * with exactly the rights the application needs, idempotently:
 *
 * - `CREATE ROLE <app> LOGIN` when missing (no superuser, replication or bypassrls: the defaults, and a
 *   non-superuser may not set them, so an existing role that has them fails the run); `ALTER ROLE` to no
 *   createdb/createrole and no password (it can only log in with an IAM token);
 * - `GRANT rds_iam` (the RDS role that switches a user to IAM authentication; RDS User Guide, "Creating a database
 *   account using IAM authentication": `GRANT rds_iam TO db_userx;`), when the server has that role;
 * - `CONNECT` on the database (and `PUBLIC`'s default `CONNECT`/`TEMPORARY` revoked); `USAGE` on the application's
 *   schema (owned by the master user: schema changes are the migrations' business, run here as the owner);
 *   `SELECT, INSERT, UPDATE, DELETE` on its tables and `USAGE, SELECT` on its sequences (`nextval`), now and (default
 *   privileges) for every object the owner creates later; `search_path` set to that schema.
 *
 * Environment: `MASTER_SECRET_ID` (ARN), `DATABASE_HOST` (the primary instance's address), `DATABASE_PORT` (5432),
 * `DATABASE_NAME`, `APP_DB_USER`, `APP_DB_SCHEMA` (default `app`), `AWS_REGION` (the secret's region),
 * `PGSSLROOTCERT` (the image's RDS CA bundle: the instance endpoint's certificate is verified in full).
 */
const { Client, escapeIdentifier, escapeLiteral } = require("pg");
const { getSecretString } = require("./aws");
const { pgConfig } = require("./postgres");

/**
 * The statements, in order. Identifiers are quoted with pg's escapeIdentifier; the names are also checked by the
 * settings (PostgreSQL identifiers), so a quote never appears in them.
 * @param {{ appUser: string, database: string, schema: string }} p
 * @returns {string[]}
 */
function bootstrapStatements(p) {
    const user = escapeIdentifier(p.appUser);
    const db = escapeIdentifier(p.database);
    const schema = escapeIdentifier(p.schema);
    return [
        `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${escapeLiteral(p.appUser)}) THEN CREATE ROLE ${user} LOGIN; END IF; END $$`,
        // A non-superuser (the RDS master) may not even reset SUPERUSER/REPLICATION/BYPASSRLS ("must be superuser to
        // alter superuser roles"), so those are checked instead: CREATE ROLE leaves them off.
        `ALTER ROLE ${user} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL`,
        `DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${escapeLiteral(p.appUser)} AND (rolsuper OR rolreplication OR rolbypassrls)) THEN RAISE EXCEPTION 'role % has SUPERUSER, REPLICATION or BYPASSRLS; remove them (as a superuser) before the application uses it', ${escapeLiteral(p.appUser)}; END IF; END $$`,
        `DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN GRANT rds_iam TO ${user}; END IF; END $$`,
        `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
        `GRANT CONNECT ON DATABASE ${db} TO ${user}`,
        `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
        `CREATE SCHEMA IF NOT EXISTS ${schema}`,
        `GRANT USAGE ON SCHEMA ${schema} TO ${user}`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${user}`,
        `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${user}`,
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${user}`,
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${user}`,
        `ALTER ROLE ${user} IN DATABASE ${db} SET search_path = ${schema}`,
    ];
}

/**
 * Runs the statements in one transaction on a client connected as the schema's future owner (the master user).
 * @param {import("pg").ClientBase} client
 * @param {{ appUser: string, database: string, schema: string }} p
 */
async function bootstrapAppRole(client, p) {
    await client.query("BEGIN");
    try {
        for (const sql of bootstrapStatements(p)) {
            await client.query(sql);
        }
        await client.query("COMMIT");
    } catch (err) {
        await client.query("ROLLBACK");
        throw err;
    }
}

/**
 * @param {import("./settings").BootstrapSettings} s
 * @param {{ log: (fields: Record<string, unknown>) => void }} ctx
 */
async function runBootstrap(s, ctx) {
    const secret = JSON.parse(await getSecretString({ secretId: s.masterSecretId, region: s.region }));
    if (typeof secret.username !== "string" || typeof secret.password !== "string") {
        throw new Error(`the secret ${s.masterSecretId} has no username/password (expected the RDS master credentials JSON)`);
    }
    const url = `postgresql://${encodeURIComponent(secret.username)}@${s.host}:${s.port}/${encodeURIComponent(s.database)}?sslmode=verify-full`;
    const client = new Client({ ...pgConfig(url, { rootCertFile: s.pgRootCertFile, applicationName: "db-bootstrap" }), password: secret.password });
    await client.connect();
    try {
        await bootstrapAppRole(client, { appUser: s.appUser, database: s.database, schema: s.schema });
        ctx.log({ level: "info", msg: "application role ready", user: s.appUser, database: s.database, schema: s.schema });
    } finally {
        await client.end();
    }
}

/**
 * The role as main.js starts it: bootstrap, then exit (a Job's container).
 * @param {import("./settings").BootstrapSettings} s
 * @param {{ log: (fields: Record<string, unknown>) => void }} ctx
 */
async function startBootstrap(s, ctx) {
    await runBootstrap(s, ctx);
    return { stop: async () => undefined, done: true };
}

module.exports = { bootstrapStatements, bootstrapAppRole, runBootstrap, startBootstrap };
