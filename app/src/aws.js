// @ts-check
/**
 * The few AWS calls the application makes besides CloudWatch, without an SDK the image does not ship:
 *
 * - credentials: the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) or the container
 *   credentials endpoint EKS Pod Identity injects (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with the token read from
 *   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` as the `Authorization` header; EKS User Guide, "Learn how EKS Pod
 *   Identity grants pods access to AWS services"; AWS SDKs and Tools Reference Guide, "Container credential
 *   provider"), cached until five minutes before they expire;
 * - Signature Version 4 (IAM User Guide, "Create a signed AWS API request" / "Elements of an AWS API request
 *   signature"): canonical request, string to sign `AWS4-HMAC-SHA256`, signing key HMAC chain over date, region,
 *   service and `aws4_request`; header signing (Secrets Manager) and query-string presigning (the RDS token);
 * - the RDS IAM authentication token: a SigV4-presigned `GET https://<host>:<port>/?Action=connect&DBUser=<user>`
 *   for the service `rds-db`, valid 900 s, without the scheme (RDS User Guide, "Connecting to your DB instance using
 *   IAM authentication": "Authentication tokens are generated using AWS Signature Version 4 [...] a lifetime of 15
 *   minutes"); tests/aws-signing.test.ts checks it against @smithy/signature-v4, the signer @aws-sdk/rds-signer uses;
 * - Secrets Manager `GetSecretValue` (JSON 1.1 protocol, `X-Amz-Target: secretsmanager.GetSecretValue`).
 */
const crypto = require("crypto");
const fs = require("fs");

const ALGORITHM = "AWS4-HMAC-SHA256";
const EMPTY_SHA256 = crypto.createHash("sha256").update("").digest("hex");
/** RDS: "Each token has a lifetime of 15 minutes". */
const RDS_TOKEN_SECONDS = 900;

/** @typedef {{ accessKeyId: string, secretAccessKey: string, sessionToken?: string, expiration?: Date }} Credentials */

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). @param {string} s */
function uriEncode(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** @param {crypto.BinaryLike} key @param {string} data */
const hmac = (key, data) => crypto.createHmac("sha256", key).update(data, "utf8").digest();
/** @param {string | Buffer} data */
const sha256Hex = (data) => crypto.createHash("sha256").update(data).digest("hex");

/** `20150830T123600Z` and `20150830`. @param {Date} date */
function amzDates(date) {
    const long = date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    return { long, short: long.slice(0, 8) };
}

/** @param {string} secret @param {string} date @param {string} region @param {string} service */
function signingKey(secret, date, region, service) {
    return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
}

/** @param {Record<string, string>} query */
function canonicalQuery(query) {
    return Object.keys(query).sort().map((k) => `${uriEncode(k)}=${uriEncode(query[k])}`).join("&");
}

/**
 * Signs a request in place of the SDK. `query` signing (presign) when `presignSeconds` is given, else headers.
 * @param {{ method: string, host: string, path?: string, query?: Record<string, string>, headers?: Record<string, string>, body?: string }} req
 * @param {{ credentials: Credentials, region: string, service: string, date?: Date, presignSeconds?: number }} opts
 * @returns {{ query: Record<string, string>, headers: Record<string, string> }}
 */
function signRequest(req, opts) {
    const { long, short } = amzDates(opts.date ?? new Date());
    const scope = `${short}/${opts.region}/${opts.service}/aws4_request`;
    const query = { ...(req.query ?? {}) };
    /** @type {Record<string, string>} */
    const headers = {};
    for (const [k, v] of Object.entries({ host: req.host, ...(req.headers ?? {}) })) {
        headers[k.toLowerCase()] = String(v).trim().replace(/\s+/g, " ");
    }
    const presign = opts.presignSeconds !== undefined;
    if (presign) {
        if (opts.credentials.sessionToken) {
            query["X-Amz-Security-Token"] = opts.credentials.sessionToken;
        }
        query["X-Amz-Algorithm"] = ALGORITHM;
        query["X-Amz-Credential"] = `${opts.credentials.accessKeyId}/${scope}`;
        query["X-Amz-Date"] = long;
        query["X-Amz-Expires"] = String(opts.presignSeconds);
    } else {
        headers["x-amz-date"] = long;
        if (opts.credentials.sessionToken) {
            headers["x-amz-security-token"] = opts.credentials.sessionToken;
        }
    }
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(";");
    if (presign) {
        query["X-Amz-SignedHeaders"] = signedHeaders;
    }
    const canonical = [
        req.method,
        (req.path ?? "/").split("/").map(uriEncode).join("/"),
        canonicalQuery(query),
        names.map((n) => `${n}:${headers[n]}\n`).join(""),
        signedHeaders,
        req.body === undefined ? EMPTY_SHA256 : sha256Hex(req.body),
    ].join("\n");
    const stringToSign = [ALGORITHM, long, scope, sha256Hex(canonical)].join("\n");
    const signature = crypto.createHmac("sha256", signingKey(opts.credentials.secretAccessKey, short, opts.region, opts.service)).update(stringToSign, "utf8").digest("hex");
    if (presign) {
        query["X-Amz-Signature"] = signature;
    } else {
        headers.authorization = `${ALGORITHM} Credential=${opts.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    }
    return { query, headers };
}

/**
 * The password for `user` at `host:port`: an RDS IAM authentication token.
 * @param {{ host: string, port: number, user: string, region: string, credentials: Credentials, date?: Date }} p
 */
function rdsAuthToken(p) {
    const hostPort = `${p.host}:${p.port}`;
    const { query } = signRequest(
        { method: "GET", host: hostPort, path: "/", query: { Action: "connect", DBUser: p.user } },
        { credentials: p.credentials, region: p.region, service: "rds-db", date: p.date, presignSeconds: RDS_TOKEN_SECONDS },
    );
    return `${hostPort}/?${canonicalQuery(query)}`;
}

/** The region in an RDS endpoint (`<id>.<hash>.<region>.rds.amazonaws.com`), else undefined. @param {string} host */
function rdsEndpointRegion(host) {
    return /\.([a-z]{2}(?:-[a-z]+)+-\d)\.rds\.amazonaws\.com\.?$/.exec(host)?.[1];
}

/** @type {Credentials | undefined} */
let cached;

/**
 * Credentials from the environment or the container credentials endpoint (EKS Pod Identity).
 * @param {Record<string, string | undefined>} [env]
 * @returns {Promise<Credentials>}
 */
async function getCredentials(env = process.env) {
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
    }
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 5 * 60_000)) {
        return cached;
    }
    const uri = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    if (!uri) {
        throw new Error("no AWS credentials: neither AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY nor AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity) is set; is the service account associated with a role?");
    }
    /** @type {Record<string, string>} */
    const headers = {};
    const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
    if (tokenFile) {
        headers.Authorization = fs.readFileSync(tokenFile, "utf8").trim();
    } else if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN) {
        headers.Authorization = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    }
    const res = await fetch(uri, { headers, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) {
        throw new Error(`container credentials endpoint answered ${res.status}`);
    }
    const body = /** @type {{ AccessKeyId: string, SecretAccessKey: string, Token?: string, Expiration?: string }} */ (await res.json());
    cached = {
        accessKeyId: body.AccessKeyId,
        secretAccessKey: body.SecretAccessKey,
        sessionToken: body.Token,
        expiration: body.Expiration ? new Date(body.Expiration) : undefined,
    };
    return cached;
}

/**
 * Secrets Manager GetSecretValue: the secret's `SecretString`.
 * @param {{ secretId: string, region: string, credentials?: Credentials, endpoint?: string }} p
 * @returns {Promise<string>}
 */
async function getSecretString(p) {
    const credentials = p.credentials ?? await getCredentials();
    const host = p.endpoint ?? `secretsmanager.${p.region}.amazonaws.com`;
    const body = JSON.stringify({ SecretId: p.secretId });
    const { headers } = signRequest({
        method: "POST",
        host,
        path: "/",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" },
        body,
    }, { credentials, region: p.region, service: "secretsmanager" });
    const res = await fetch(`https://${host}/`, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (!res.ok) {
        throw new Error(`GetSecretValue ${p.secretId} failed with ${res.status}: ${text.slice(0, 300)}`);
    }
    const out = /** @type {{ SecretString?: string }} */ (JSON.parse(text));
    if (typeof out.SecretString !== "string") {
        throw new Error(`GetSecretValue ${p.secretId}: the secret has no SecretString`);
    }
    return out.SecretString;
}

module.exports = { signRequest, rdsAuthToken, rdsEndpointRegion, getCredentials, getSecretString, uriEncode, RDS_TOKEN_SECONDS };
