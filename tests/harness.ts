/**
 * Test harness: runs the real program (or one component) under Pulumi's mock runtime and returns every
 * registered resource, with helpers to query them. Every run awaits all outputs before it returns.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { OfflineRun, RegisteredResource, readStackConfig, runOffline } from "../toolkit/offline";
import { PlatformOutputs, platformProgram } from "../platform/program";
import type { ProgramRunner } from "../scripts/plan-cli";

export type { RegisteredResource } from "../toolkit/offline";

/** Resolves any Output (or plain value) to its value. */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/**
 * Runs `fn` with JavaScript stack traces switched off. Pulumi's SDK captures a stack trace for every
 * promise it tracks, which under ts-jest's source maps is most of a mocked run's CPU; the tests never
 * read those traces. Errors keep their messages; assertion failures (outside runs) keep their traces.
 */
async function withoutStackTraces<T>(fn: () => Promise<T>): Promise<T> {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return await fn();
    } finally {
        Error.stackTraceLimit = limit;
    }
}

const ROOT = path.resolve(__dirname, "..");
/**
 * Where finished runs of unchanged stacks are kept (`STACK_RUN_CACHE_DIR` moves it; `STACK_RUN_CACHE=0`
 * turns the cache off). A run is stored under a hash of everything that can change it, so a stale one
 * is never read: see `runInputsKey`.
 */
const RUN_CACHE_DIR = process.env.STACK_RUN_CACHE_DIR ? path.resolve(process.env.STACK_RUN_CACHE_DIR) : path.join(ROOT, ".build", "stack-runs");
/** Sources and settings a stack run depends on, relative to the project root. */
const RUN_INPUT_DIRS = ["components", "platform", "toolkit", "app"];
const RUN_INPUT_PACKAGES = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes", "@pulumi/random", "@pulumi/docker", "@pulumiverse/grafana", "yaml", "zod"];

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            return e.name === "node_modules" ? [] : filesUnder(p);
        }
        return e.isFile() ? [p] : [];
    });
}

let inputsKey: string | undefined;
/**
 * Hash of what a mocked stack run depends on: every file under components/, platform/, toolkit/ and app/
 * (the program, the mock runner, build contexts), this harness, Pulumi.yaml and every stack file, the
 * lock file, the installed versions of the SDKs the program loads, and the Node.js version.
 */
export function runInputsKey(): string {
    if (inputsKey === undefined) {
        const h = crypto.createHash("sha256");
        const files = [
            ...RUN_INPUT_DIRS.flatMap((d) => filesUnder(path.join(ROOT, d))),
            __filename,
            ...fs.readdirSync(ROOT).filter((f) => /^Pulumi(\.[^.]+)?\.yaml$/.test(f)).sort().map((f) => path.join(ROOT, f)),
            path.join(ROOT, "package-lock.json"),
        ];
        for (const f of files) {
            h.update(path.relative(ROOT, f)).update("\0").update(fs.existsSync(f) ? fs.readFileSync(f) : "").update("\0");
        }
        for (const pkg of RUN_INPUT_PACKAGES) {
            try {
                h.update(`${pkg}@${JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [ROOT] }), "utf8")).version}\0`);
            } catch {
                h.update(`${pkg}@none\0`);
            }
        }
        h.update(process.version);
        inputsKey = h.digest("hex").slice(0, 20);
    }
    return inputsKey;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The run of an unchanged stack (no overrides), shared by every test file and every `npm test`: read from
 * the cache when a run with the same inputs is stored, else run once and store it. Test files that start
 * at the same time in two workers do not both run it: the first takes a lock file, the other waits for
 * its result (and runs it itself if none comes). Hit or miss, callers get the run as stored (JSON), so a
 * test sees the same values either way.
 */
async function sharedStackRun(name: string, fresh: () => Promise<OfflineRun<any>>): Promise<OfflineRun<any>> {
    if (process.env.STACK_RUN_CACHE === "0") {
        return fresh();
    }
    const key = runInputsKey();
    const file = path.join(RUN_CACHE_DIR, `${name}-${key}.json`);
    const read = (): OfflineRun<any> | undefined => {
        try {
            return JSON.parse(fs.readFileSync(file, "utf8"));
        } catch {
            return undefined;
        }
    };
    const hit = read();
    if (hit) {
        return hit;
    }
    fs.mkdirSync(RUN_CACHE_DIR, { recursive: true });
    const lock = `${file}.lock`;
    let fd: number | undefined;
    try {
        fd = fs.openSync(lock, "wx");
    } catch {
        // Another worker runs this stack now: wait for its result (a lock older than 5 minutes is stale).
        const started = Date.now();
        while (Date.now() - started < 180_000) {
            await sleep(100);
            const done = read();
            if (done) {
                return done;
            }
            let age = Infinity;
            try {
                age = Date.now() - fs.statSync(lock).mtimeMs;
            } catch {
                age = Infinity; // released without a result (the run failed): run it here
            }
            if (age > 300_000 || !fs.existsSync(lock)) {
                break;
            }
        }
    }
    try {
        const text = JSON.stringify(await fresh());
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, file);
        // Runs of older inputs of this stack are never read again.
        const older = new RegExp(`^${name}-[0-9a-f]{20}\\.json$`);
        for (const f of fs.readdirSync(RUN_CACHE_DIR)) {
            if (older.test(f) && f !== path.basename(file)) {
                fs.rmSync(path.join(RUN_CACHE_DIR, f), { force: true });
            }
        }
        return JSON.parse(text);
    } finally {
        if (fd !== undefined) {
            fs.closeSync(fd);
            fs.rmSync(lock, { force: true });
        }
    }
}

/**
 * Runs `index.ts`'s program for `stack` with that stack's `Pulumi.<stack>.yaml` (plus `Pulumi.yaml`
 * defaults). `overrides` replaces whole keys (`{ "scaled-web:tier": "medium" }`; objects are JSON-encoded);
 * `preview` runs it as a first `pulumi preview` (unknown ids and computed values).
 * Every run is shared between test files and `npm test` runs through a cache keyed by its inputs and the
 * overrides (`sharedStackRun`).
 */
export async function runStack(stack: string, overrides: Record<string, unknown> = {}, options: { preview?: boolean } = {}): Promise<StackRun> {
    const preview = options.preview ?? false;
    if (Object.keys(overrides).length === 0) {
        return new StackRun(await stackRun(stack, { preview }));
    }
    // A variant is cached like the plain stack, under a name that carries a hash of its overrides (and the mode).
    return new StackRun(await sharedStackRun(`${stack}${preview ? "-preview" : ""}-o${hashOf(overrides)}`, () => runStackFresh(stack, overrides, preview)));
}

/** A short, stable hash of a JSON-able value (object keys in any order give the same hash). */
function hashOf(value: unknown): string {
    const canonical = (v: unknown): unknown => (Array.isArray(v) ? v.map(canonical)
        : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
            : v === undefined ? "\u0000undefined" : v);
    return crypto.createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex").slice(0, 12);
}

/**
 * A `ProgramRunner` for `plan()` (scripts/plan-cli.ts) that shares runs through the same cache as `runStack`:
 * keyed by the project, stack name, the whole config the plan read and the mode, on top of `runInputsKey`.
 */
export const cachedProgramRunner: ProgramRunner = (run) =>
    sharedStackRun(`plan-${run.stack}-${hashOf({ project: run.project, config: run.config, preview: run.preview })}`,
        () => withoutStackTraces(() => runOffline(() => platformProgram(), run)));

/**
 * The shared run of an unchanged stack (its own config, no overrides), as `runOffline` returns it; with
 * `preview`, as a first `pulumi preview` (unknown ids and computed values). Test files that need the plain
 * stack should use this (or `runStack(stack)`) rather than running the program again.
 */
export async function stackRun(stack: string, options: { preview?: boolean } = {}): Promise<OfflineRun<pulumi.Unwrap<PlatformOutputs>>> {
    const preview = options.preview ?? false;
    return sharedStackRun(preview ? `${stack}-preview` : stack, () => runStackFresh(stack, {}, preview));
}

async function runStackFresh(stack: string, overrides: Record<string, unknown>, preview = false): Promise<OfflineRun<pulumi.Unwrap<PlatformOutputs>>> {
    const { project, config } = readStackConfig(stack);
    for (const [k, v] of Object.entries(overrides)) {
        const key = k.includes(":") ? k : `${project}:${k}`;
        if (v === undefined) {
            delete config[key];
        } else {
            config[key] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    return withoutStackTraces(() => runOffline(() => platformProgram(), { project, stack, config, preview }));
}

/** Runs `build` (which creates components) in a mocked stack named `test`. */
export async function runComponent<T>(build: () => T, stack = "test"): Promise<StackRun<pulumi.Unwrap<T>>> {
    const run = await withoutStackTraces(() => runOffline(build, { project: "scaled-web", stack }));
    return new StackRun(run);
}

export class StackRun<T = pulumi.Unwrap<PlatformOutputs>> {
    constructor(private readonly run: OfflineRun<T>) {}

    get resources(): RegisteredResource[] {
        return this.run.resources;
    }

    get outputs(): T {
        return this.run.outputs;
    }

    get invokes(): OfflineRun<T>["invokes"] {
        return this.run.invokes;
    }

    /** Resources of a type token, e.g. `aws:ec2/vpc:Vpc`. */
    ofType(type: string): RegisteredResource[] {
        return this.run.resources.filter((r) => r.type === type);
    }

    /** The one resource of `type` named `name`; throws when absent. */
    get(type: string, name: string): RegisteredResource {
        const r = this.run.resources.find((x) => x.type === type && x.name === name);
        if (!r) {
            const names = this.ofType(type).map((x) => x.name);
            throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
        }
        return r;
    }

    byUrn(urn: string | undefined): RegisteredResource | undefined {
        return urn ? this.run.resources.find((r) => r.urn === urn) : undefined;
    }

    /** The parent resource of `r`. */
    parentOf(r: RegisteredResource): RegisteredResource | undefined {
        return this.byUrn(r.parent);
    }

    /** True when `r` sits (directly or transitively) under `ancestor`. */
    isDescendantOf(r: RegisteredResource, ancestor: RegisteredResource): boolean {
        for (let p = this.parentOf(r); p; p = this.parentOf(p)) {
            if (p.urn === ancestor.urn) {
                return true;
            }
        }
        return false;
    }

    /** Every resource under `ancestor`. */
    descendantsOf(ancestor: RegisteredResource): RegisteredResource[] {
        return this.run.resources.filter((r) => this.isDescendantOf(r, ancestor));
    }

    /** Count of resources per type. */
    countByType(): Record<string, number> {
        const out: Record<string, number> = {};
        for (const r of this.run.resources) {
            out[r.type] = (out[r.type] ?? 0) + 1;
        }
        return out;
    }
}
