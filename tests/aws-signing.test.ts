/**
 * app/src/aws.js: Signature Version 4 without an SDK. The oracle is @smithy/signature-v4 (the signer the AWS SDK for
 * JavaScript v3 and @aws-sdk/rds-signer use; installed here as a dependency of @aws-sdk/client-cloudwatch): the same
 * request, credentials and date must give the same signature, both for a presigned RDS `connect` token and for a
 * header-signed Secrets Manager call. Plus the published AWS SigV4 test-suite vector "get-vanilla".
 */
import * as crypto from "crypto";
import { SignatureV4 } from "@smithy/signature-v4";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { signRequest, rdsAuthToken, rdsEndpointRegion, getCredentials } = require("../app/src/aws");

/** The hash constructor SignatureV4 wants, from node:crypto. */
class Sha256 {
    private readonly h: crypto.Hash | crypto.Hmac;
    constructor(secret?: string | Uint8Array) {
        this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256");
    }
    update(data: string | Uint8Array): void {
        this.h.update(data);
    }
    async digest(): Promise<Uint8Array> {
        return new Uint8Array(this.h.digest());
    }
}

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars" };
const date = new Date("2026-12-01T10:30:00Z");

function smithy(service: string, region: string, creds: typeof credentials | Omit<typeof credentials, "sessionToken">): SignatureV4 {
    return new SignatureV4({ service, region, credentials: creds, sha256: Sha256 as never, uriEscapePath: true, applyChecksum: false });
}

describe("RDS IAM authentication token", () => {
    const host = "prod-use1-db-proxy.proxy-abcdefghijkl.us-east-1.rds.amazonaws.com";

    test.each([
        ["with a session token (Pod Identity)", credentials],
        ["without a session token", { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }],
    ])("matches @smithy/signature-v4's presign, %s", async (_what, creds) => {
        // What @aws-sdk/rds-signer builds: GET https://host:port/?Action=connect&DBUser=user, expiresIn 900, host header with the port.
        const presigned = await smithy("rds-db", "us-east-1", creds).presign({
            method: "GET", protocol: "https:", hostname: host, port: 5432, path: "/",
            query: { Action: "connect", DBUser: "app" }, headers: { host: `${host}:5432` },
        } as never, { expiresIn: 900, signingDate: date });
        const token: string = rdsAuthToken({ host, port: 5432, user: "app", region: "us-east-1", credentials: creds, date });
        const ours = new URL(`https://${token}`);
        expect(ours.host).toBe(`${host}:5432`);
        expect(Object.fromEntries(ours.searchParams)).toEqual(presigned.query);
        expect(ours.searchParams.get("X-Amz-Expires")).toBe("900");
        expect(ours.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20261201/us-east-1/rds-db/aws4_request");
    });

    test("a different user, host or region changes the signature", () => {
        const base = { host, port: 5432, user: "app", region: "us-east-1", credentials, date };
        const sig = (t: string): string | null => new URL(`https://${t}`).searchParams.get("X-Amz-Signature");
        const a = sig(rdsAuthToken(base));
        expect(sig(rdsAuthToken({ ...base, user: "app_admin" }))).not.toBe(a);
        expect(sig(rdsAuthToken({ ...base, region: "us-west-2" }))).not.toBe(a);
        expect(sig(rdsAuthToken({ ...base, port: 5433 }))).not.toBe(a);
    });

    test("the region of an RDS endpoint", () => {
        expect(rdsEndpointRegion(host)).toBe("us-east-1");
        expect(rdsEndpointRegion("prod-use1-db-replica-us-west-2.cabcdefghijk.us-west-2.rds.amazonaws.com")).toBe("us-west-2");
        expect(rdsEndpointRegion("reader.db.internal")).toBeUndefined();
    });
});

describe("header signing", () => {
    test("a Secrets Manager GetSecretValue request matches @smithy/signature-v4's sign", async () => {
        const body = JSON.stringify({ SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-use1-db-master-AbCdEf" });
        const host = "secretsmanager.us-east-1.amazonaws.com";
        const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" };
        const signed: { headers: Record<string, string> } = await smithy("secretsmanager", "us-east-1", credentials).sign({
            method: "POST", protocol: "https:", hostname: host, path: "/", query: {}, headers: { ...headers, host }, body,
        } as never, { signingDate: date }) as never;
        const ours = signRequest({ method: "POST", host, path: "/", headers, body }, { credentials, region: "us-east-1", service: "secretsmanager", date });
        expect(ours.headers.authorization).toBe(signed.headers.authorization);
        expect(ours.headers["x-amz-security-token"]).toBe(credentials.sessionToken);
    });

    test("AWS SigV4 test suite, get-vanilla", () => {
        // AWS General Reference, "Signature Version 4 test suite", get-vanilla (get-vanilla.authz): GET / on
        // example.amazonaws.com, service "service", region us-east-1, 20150830T123600Z, the suite's example keys.
        const { headers } = signRequest({ method: "GET", host: "example.amazonaws.com", path: "/" }, {
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
            region: "us-east-1", service: "service", date: new Date("2015-08-30T12:36:00Z"),
        });
        expect(headers.authorization).toBe("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    });
});

describe("credentials", () => {
    test("static credentials come from the environment", async () => {
        await expect(getCredentials({ AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "tok" }))
            .resolves.toEqual({ accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "tok" });
    });

    test("without any source the error says what is missing", async () => {
        await expect(getCredentials({})).rejects.toThrow(/AWS_CONTAINER_CREDENTIALS_FULL_URI \(EKS Pod Identity\)/);
    });

    test("the Pod Identity endpoint is called with the token file's contents", async () => {
        const http = await import("http");
        const os = await import("os");
        const fs = await import("fs");
        const path = await import("path");
        const seen: (string | undefined)[] = [];
        const server = http.createServer((req, res) => {
            seen.push(req.headers.authorization);
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify({ AccessKeyId: "ASIAPOD", SecretAccessKey: "s", Token: "t", Expiration: new Date(Date.now() + 3600_000).toISOString() }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        const port = (server.address() as { port: number }).port;
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "podid-")), "token");
        fs.writeFileSync(file, "eks-pod-identity-token\n");
        try {
            const c = await getCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/v1/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file });
            expect(c).toMatchObject({ accessKeyId: "ASIAPOD", secretAccessKey: "s", sessionToken: "t" });
            expect(seen).toEqual(["eks-pod-identity-token"]);
        } finally {
            server.close();
        }
    });
});
