// @ts-check
/**
 * PostgreSQL connections from the URLs the platform injects (`postgresUrl` in platform/workloads.ts):
 * `postgresql://<user>:<password>@<host>:5432/<db>?sslmode=require`.
 *
 * Why not hand the URL to `pg` as it is: pg 8 (pg-connection-string 2.x) treats `sslmode=require` as an
 * alias of `verify-full` (node_modules/pg-connection-string/index.js, "SECURITY WARNING: The SSL modes
 * 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'") and verifies against
 * Node's bundled CAs only. The writer URL names the RDS Proxy, whose certificate comes from ACM (a public
 * CA Node trusts), but the reader URL names `reader.<private zone>`, a CNAME to RDS instances whose
 * certificates are issued by the RDS CAs (not in Node's store) for the instance endpoint, not for the
 * CNAME: `verify-full` fails there. So the URL is read with libpq semantics (pg-connection-string parses it,
 * but the `sslmode` parameter is read here, not by pg), which is what `sslmode=require` means in PostgreSQL:
 *
 * - `disable`: no TLS; `require`: TLS, and when a root certificate file is given (`PGSSLROOTCERT`, libpq's
 *   own variable; the image sets it to the RDS global bundle) the chain is verified against it plus Node's
 *   CAs (libpq: "if a root CA file exists, sslmode=require behaves like verify-ca"), else not verified;
 * - `verify-ca`: chain verified, host name not; `verify-full`: both.
 *
 * IAM database authentication (`options.iam`, the platform's mode: `DATABASE_AUTH=iam`): the URL carries the user and
 * no password; every new connection gets a fresh RDS IAM token (app/src/aws.js) as its password, signed for the
 * host it connects to, in that host's region (read from the RDS endpoint name, else `options.iam.region`). A host
 * that is not an RDS endpoint (the private `reader.<zone>` CNAME) is first resolved, CNAME by CNAME, to the RDS
 * endpoint it names, and the connection goes there: the token is signed for, and TLS verified against, the
 * instance's own name, and each new connection follows the weighted reader record again.
 *
 * Sources: https://www.postgresql.org/docs/current/libpq-ssl.html (SSL mode descriptions);
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html (RDS CAs, global bundle);
 * AWS Prescriptive Guidance "Amazon RDS Proxy best practices" (RDS Proxy uses ACM certificates).
 */
const dns = require("dns");
const fs = require("fs");
const tls = require("tls");
const { Client } = require("pg");
const { parse } = require("pg-connection-string");
const { getCredentials, rdsAuthToken, rdsEndpointRegion } = require("./aws");

/** CNAME hops followed before giving up (the reader record is one hop to an instance endpoint). */
const MAX_CNAME_HOPS = 5;

/**
 * The RDS endpoint behind `host`: `host` itself when it is one (or an IP), else the CNAME chain's end.
 * @param {string} host
 * @param {(name: string) => Promise<string[]>} [resolveCname]
 */
async function resolveRdsHost(host, resolveCname = dns.promises.resolveCname) {
    let name = host;
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
        if (rdsEndpointRegion(name) !== undefined || /^[\d.]+$/.test(name) || name.includes(":")) {
            return name;
        }
        let targets;
        try {
            targets = await resolveCname(name);
        } catch (/** @type {any} */ err) {
            if (err?.code === "ENODATA" || err?.code === "ENOTFOUND") {
                return name; // no CNAME: an address record (e.g. a local test server)
            }
            throw err;
        }
        if (targets.length === 0) {
            return name;
        }
        name = targets[0].replace(/\.$/, "");
    }
    throw new Error(`${host}: more than ${MAX_CNAME_HOPS} CNAMEs without reaching an RDS endpoint`);
}

/** A pg Client that connects to the RDS endpoint behind its host (see the module comment). */
class RdsEndpointClient extends Client {
    /** @param {any} [callback] @returns {any} */
    connect(callback) {
        const self = /** @type {any} */ (this);
        const go = resolveRdsHost(self.host).then((host) => {
            self.host = host;
            self.connectionParameters.host = host;
        });
        if (typeof callback === "function") {
            go.then(() => super.connect(callback), callback);
            return undefined;
        }
        return go.then(() => super.connect());
    }
}

/**
 * The `pg` client config for a connection URL, with TLS options that follow libpq's `sslmode`.
 * @param {string} url `postgresql://...`
 * @param {{ rootCertFile?: string, max?: number, applicationName?: string, iam?: { region: string, credentials?: () => Promise<import("./aws").Credentials> } }} [options]
 * @returns {import("pg").PoolConfig}
 */
function pgConfig(url, options = {}) {
    // sslmode and sslrootcert are interpreted here; pg-connection-string parses the rest (credentials are
    // percent-decoded there).
    const u = new URL(url);
    const sslmode = u.searchParams.get("sslmode") ?? "prefer";
    const sslrootcert = u.searchParams.get("sslrootcert") ?? undefined;
    u.searchParams.delete("sslmode");
    u.searchParams.delete("sslrootcert");
    const parsed = parse(u.toString());
    /** @type {import("pg").PoolConfig["ssl"]} */
    let ssl;
    if (sslmode === "disable") {
        ssl = false;
    } else {
        const root = options.rootCertFile ?? sslrootcert;
        // Node's CAs stay trusted next to the file's: the writer (RDS Proxy) has a public ACM certificate.
        const ca = root ? [...tls.rootCertificates, fs.readFileSync(root, "utf8")] : undefined;
        switch (sslmode) {
            case "verify-full":
                ssl = { ...(ca ? { ca } : {}), rejectUnauthorized: true };
                break;
            case "verify-ca":
                if (!ca) {
                    throw new Error("sslmode=verify-ca needs a root certificate file: set PGSSLROOTCERT (or sslrootcert in the URL)");
                }
                ssl = { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
                break;
            case "require":
                ssl = ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
                break;
            case "prefer":
            case "allow":
                // pg has no "try TLS, fall back to plain"; encrypt without verification, as libpq does when TLS is up.
                ssl = { rejectUnauthorized: false };
                break;
            default:
                throw new Error(`unknown sslmode ${JSON.stringify(sslmode)}; use disable, require, verify-ca or verify-full`);
        }
    }
    const iam = options.iam;
    if (iam && parsed.password) {
        throw new Error("DATABASE_AUTH=iam: the database URL must not carry a password (each connection signs an IAM token)");
    }
    if (iam && ssl === false) {
        throw new Error("DATABASE_AUTH=iam needs TLS: RDS refuses IAM tokens over unencrypted connections; drop sslmode=disable");
    }
    const credentials = iam?.credentials ?? (() => getCredentials());
    return {
        host: parsed.host ?? undefined,
        port: parsed.port ? Number(parsed.port) : 5432,
        database: parsed.database ?? undefined,
        user: parsed.user,
        // pg calls a password function once per new connection with the connection parameters (pg/lib/client.js _getPassword).
        password: iam
            ? /** @type {any} */ (async (/** @type {{ host: string, port: number, user: string }} */ params) => rdsAuthToken({
                host: params.host,
                port: params.port,
                user: params.user,
                region: rdsEndpointRegion(params.host) ?? iam.region,
                credentials: await credentials(),
            }))
            : parsed.password,
        ...(iam ? { Client: RdsEndpointClient } : {}),
        ssl,
        max: options.max ?? 10,
        application_name: options.applicationName,
        // RDS Proxy holds idle clients for its idle timeout (30 min); recycle sooner, fail fast when down.
        idleTimeoutMillis: 60_000,
        connectionTimeoutMillis: 5_000,
    };
}

/** The host of a URL without its credentials, for logs. @param {string} url */
function describe(url) {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

module.exports = { pgConfig, describe, resolveRdsHost, RdsEndpointClient };
