/**
 * Server-backed tests (`npm run test:servers`): the reference app and the client libraries against a real
 * PostgreSQL (TLS on, prepared by tests-servers/setup-servers.sh) and a TLS-only Redis/Valkey each test
 * file starts. Not part of `npm test`, which must pass on a machine without those servers.
 * @type {import('jest').Config}
 */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests-servers"],
    globalSetup: "<rootDir>/tests-servers/global-setup.js",
    testMatch: ["**/*.test.ts"],
    transform: {
        "^.+\\.ts$": "<rootDir>/scripts/jest-transform.js",
    },
    testTimeout: 60000,
    // One file at a time: each starts its own server processes.
    maxWorkers: 1,
};
