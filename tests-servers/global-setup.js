// Fails the server-backed suite at once, with what to do, when its servers are not prepared.
const fs = require("fs");
const net = require("net");
const path = require("path");

module.exports = async function globalSetup() {
    const tlsDir = process.env.TEST_TLS_DIR ?? "/tmp/scaled-web-test-tls";
    const [host, port] = (process.env.TEST_PG_ENDPOINT ?? "localhost:5432").split(":");
    const problems = [];
    if (!fs.existsSync(path.join(tlsDir, "ca.crt"))) {
        problems.push(`${tlsDir}/ca.crt is missing`);
    }
    const reachable = await new Promise((resolve) => {
        const socket = net.connect({ host, port: Number(port) }, () => {
            socket.end();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
        socket.setTimeout(2000, () => {
            socket.destroy();
            resolve(false);
        });
    });
    if (!reachable) {
        problems.push(`no PostgreSQL answers on ${host}:${port}`);
    }
    if (problems.length > 0) {
        throw new Error(`The server-backed tests need PostgreSQL with TLS and redis-server (or valkey-server): ${problems.join("; ")}. ` +
            "Install the Debian packages postgresql, redis-server and openssl, then run `sudo tests-servers/setup-servers.sh` (README, \"Tests\").");
    }
};
