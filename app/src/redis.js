// @ts-check
/**
 * Valkey/Redis connections from the URLs the platform injects (`cacheUrl` in components/cache.ts):
 * `rediss://:<url-encoded auth token>@<endpoint>:6379`. ioredis parses the URL itself
 * (node_modules/ioredis/built/utils/index.js `parseURL`: WHATWG URL, user and password
 * percent-decoded, so an empty user sends `AUTH <token>`) and turns `rediss://` into TLS
 * (built/Redis.js), verified against Node's CAs: ElastiCache in-transit encryption certificates chain
 * to Amazon's public roots, so nothing else is needed there. Tests add their own CA through `tls`.
 *
 * The stores run with cluster mode disabled for one-shard purposes (components/cache.ts), which is
 * what the platform gives `queue` and `sessions` by default; a purpose with more shards is a cluster
 * behind a configuration endpoint and needs `Redis.Cluster` plus hash-tagged BullMQ prefixes, which this
 * reference app does not do: it checks `cluster_enabled` and refuses to start against one.
 */
const Redis = require("ioredis").default;

/**
 * A client for `url`. `blocking` clients (BullMQ workers, Socket.IO adapter subscribers) never give up a
 * command: BullMQ requires `maxRetriesPerRequest: null` for them.
 * @param {string} url
 * @param {{ blocking?: boolean, tls?: import("tls").ConnectionOptions, name?: string, lazyConnect?: boolean }} [options]
 */
function createRedis(url, options = {}) {
    /** @type {import("ioredis").RedisOptions} */
    const extra = {
        connectionName: options.name,
        lazyConnect: options.lazyConnect ?? false,
        maxRetriesPerRequest: options.blocking ? null : 3,
        // Reconnect with a capped backoff; a failover on ElastiCache takes seconds.
        retryStrategy: (times) => Math.min(times * 200, 5_000),
        // A failover makes the old primary read-only: reconnect so the DNS name resolves to the new one.
        reconnectOnError: (err) => err.message.startsWith("READONLY"),
    };
    if (options.tls) {
        if (!url.startsWith("rediss://")) {
            throw new Error("TLS options given for a redis:// URL; the platform's stores use rediss://");
        }
        extra.tls = options.tls;
    }
    return new Redis(url, extra);
}

/**
 * Fails when the store runs in cluster mode, which this app does not support (see the file comment).
 * @param {import("ioredis").Redis} client
 */
async function assertNotCluster(client) {
    const info = await client.info("cluster");
    if (/cluster_enabled:1/.test(info)) {
        throw new Error("the store runs in cluster mode (cluster_enabled:1); give this purpose one shard (cache.purposes.<purpose>.shards: 1) or use a cluster-aware client");
    }
}

/**
 * Closes a client: `QUIT` when connected (pending replies arrive first), a plain disconnect otherwise.
 * @param {import("ioredis").Redis | undefined} client
 */
async function closeRedis(client) {
    if (!client || client.status === "end") {
        return;
    }
    if (client.status !== "ready") {
        client.disconnect();
        return;
    }
    await client.quit().catch(() => client.disconnect());
}

/** Host and port of a URL without its credentials, for logs. @param {string} url */
function describe(url) {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || 6379}`;
}

module.exports = { createRedis, closeRedis, assertNotCluster, describe };
