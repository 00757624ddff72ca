/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: {
        // Type checking happens once in `npm run lint` (tsc --noEmit); tests only transpile.
        "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    },
    testTimeout: 60000,
    // Mocked Pulumi runs are CPU-bound; two workers match the two cores CI has.
    maxWorkers: 2,
};
