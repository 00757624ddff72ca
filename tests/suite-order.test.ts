/**
 * The suite's own tooling: the order jest runs the files in on a fresh machine (scripts/jest-sequencer.js).
 */
import * as fs from "fs";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Sequencer = require("../scripts/jest-sequencer.js") as { new(): { sort(tests: FakeTest[]): FakeTest[] }; COLD_SECONDS: Record<string, number> };

interface FakeTest { path: string; duration?: number; context: { config: { cache: boolean }; hasteFS: { getSize(p: string): number } } }

/** A test file as jest hands it to a sequencer with no timings recorded (cache off), `size` bytes long. */
const fresh = (name: string, size: number): FakeTest => ({
    path: path.join(__dirname, name),
    context: { config: { cache: false }, hasteFS: { getSize: () => size } },
});

describe("test order without recorded timings (a fresh machine)", () => {
    it("starts the files that took longest in a cold run first, by those seconds, then the rest by size as jest does", () => {
        const tests = [fresh("small.test.ts", 10), fresh("policy-mutations-protocol.test.ts", 5), fresh("big.test.ts", 900), fresh("package.test.ts", 1)];
        expect(new Sequencer().sort(tests).map((t) => path.basename(t.path)))
            .toEqual(["package.test.ts", "policy-mutations-protocol.test.ts", "big.test.ts", "small.test.ts"]);
    });

    it("names only test files that exist", () => {
        const missing = Object.keys(Sequencer.COLD_SECONDS).filter((f) => !fs.existsSync(path.join(__dirname, f)));
        expect(missing).toEqual([]);
    });
});
