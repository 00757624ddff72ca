/**
 * Stack configurations and a config-error helper shared by the tests of `parseConfig` (platform/config.ts).
 */
import { ConfigError, parseConfig } from "../platform/config";

/** The cluster admin a prod config names (prod must name its admins; platform/cluster-ops-config.ts). */
export const PROD_ADMIN_ARN = "arn:aws:iam::123456789012:role/platform-admins";

/**
 * The smallest valid prod stack config: large tier, us-east-1 (primary, 70) and us-west-2 (30), pinned images (prod
 * names them; `imageIssues`), a pinned node AMI release and a named cluster admin. A fresh object on every call, so
 * a test may edit it.
 */
export function minimalProdConfig(): any {
    return {
        environment: "prod",
        tier: "large",
        domain: "example.com",
        regions: { "us-east-1": { role: "primary", weight: 70 }, "us-west-2": { role: "secondary", weight: 30 } },
        api: { image: "registry.example.com/team/api:1.0.0" },
        ws: { image: "registry.example.com/team/ws:1.0.0" },
        workers: { image: "registry.example.com/team/worker:1.0.0" },
        cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": PROD_ADMIN_ARN } },
    };
}

/** The `ConfigError` `parseConfig(raw, stack)` throws; fails the test when it throws nothing or another error. */
export function configErrorOf(raw: unknown, stack = "prod"): ConfigError {
    try {
        parseConfig(raw, stack);
    } catch (e) {
        if (e instanceof ConfigError) {
            return e;
        }
        throw e;
    }
    throw new Error(`expected parseConfig(…, "${stack}") to throw a ConfigError`);
}

/** `configErrorOf(raw, stack).message`: every problem, one per line, each naming its `scaled-web:` key. */
export function configMessageOf(raw: unknown, stack = "prod"): string {
    return configErrorOf(raw, stack).message;
}
