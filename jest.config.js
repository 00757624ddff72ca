/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: {
        // Type checking happens once in `npm run lint` (tsc --noEmit); tests only transpile, with the same
        // sucrase settings `pulumi preview/up` starts the program with (scripts/jest-transform.js).
        "^.+\\.ts$": "<rootDir>/scripts/jest-transform.js",
    },
    // Longest files first even on a fresh machine, where jest has no timings of an earlier run.
    testSequencer: "<rootDir>/scripts/jest-sequencer.js",
    testTimeout: 60000,
    // Mocked Pulumi runs are CPU-bound; two workers match the two cores CI has.
    maxWorkers: 2,
};
