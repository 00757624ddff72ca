/**
 * `npm run bench -- [--runs 5] [--cases dev,prod,prod-4-regions] [--no-cold] [--compare] [--no-cli] [--no-suite]`
 *
 * Reports what users wait for, each with its floor beside it:
 *  - CLI start (`pulumi preview/up` before the program runs): the program loaded the way the Pulumi CLI's
 *    language host loads it (scripts/cli-start.js), cold (empty transpile caches), warm, and after editing
 *    one file; this project's start (Pulumi.yaml: scripts/pulumi-main.js, sucrase) beside the CLI's own
 *    type-checking ts-node start it had first (tsconfig.json) and a one-bucket program (the floor); and the
 *    policy pack's start (scripts/pack-start.js), this project's beside a type-checking one;
 *  - plan time per stack and per region count, with the floor: the same resources registered directly
 *    through the same SDK (scripts/bench-floor.ts);
 *  - the suite (`npx jest`): wall and CPU time, beside jest's own start-up (`--listTests`);
 *  - the estimated first-deploy duration of prod (critical path, `npm run plan`), beside what data
 *    dependencies alone force.
 * CPU time (user+sys of the child processes) is printed next to wall time: on a shared machine it is the
 * steadier figure.
 *
 * Times `npm run plan` the way a user runs it (a fresh `node scripts/plan.js` process each time) for dev,
 * prod and a synthetic 4-region prod, and prints the median wall time, resources per second, and where
 * the time goes (Node start, module loading, config, program under mocks, policies, report). One extra
 * run with an empty transpile cache shows what the first run after a change costs; `--compare` adds a
 * prod row without the start-up shortcuts (lazy closure serializer, no stack-trace capture).
 *
 * The 4-region case is prod's own config plus eu-west-1 and ap-southeast-1, weights re-split to
 * 40/20/25/15; it is built in memory and written to a temporary project directory (`--project-dir`).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

const PROJECT_DIR = path.resolve(__dirname, "..");
const PLAN = path.join(__dirname, "plan.js");

export interface BenchCase {
    readonly name: string;
    readonly stack: string;
    readonly projectDir: string;
    readonly env?: Readonly<Record<string, string>>;
}

export interface RunSample {
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly exitCode: number;
    readonly timings: Record<string, number>;
    readonly stdout: string;
}

/** user+sys CPU of this process's waited-for children so far, ms (Linux /proc; NaN elsewhere). */
export function childCpuMs(): number {
    try {
        // Fields after the command name: ... utime(14) stime(15) cutime(16) cstime(17), in clock ticks (100/s).
        const stat = fs.readFileSync("/proc/self/stat", "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(fields[13]) + Number(fields[14])) * 10;
    } catch {
        return NaN;
    }
}

/** Runs a command to completion; wall and CPU time (of it and its children) in ms. */
export function timed(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { wallMs: number; cpuMs: number; status: number | null; stdout: string; stderr: string } {
    const cpu0 = childCpuMs();
    const started = process.hrtime.bigint();
    const child = spawnSync(cmd, [...args], { cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { wallMs, cpuMs: childCpuMs() - cpu0, status: child.status, stdout: child.stdout ?? "", stderr: child.stderr ?? "" };
}

/** Prod's stack file with two more regions and the DNS weights re-split to 40/20/25/15. */
export function fourRegionProd(prodYaml: string): Record<string, any> {
    const doc = YAML.parse(prodYaml) ?? {};
    const config = { ...(doc.config ?? {}) };
    const regions = { ...(config["scaled-web:regions"] ?? {}) };
    const names = Object.keys(regions);
    if (names.length < 2) {
        throw new Error("prod is expected to have two regions to extend");
    }
    const weights = [40, 20, 25, 15];
    regions[names[0]] = { ...regions[names[0]], weight: weights[0] };
    regions[names[1]] = { ...regions[names[1]], weight: weights[1] };
    regions["eu-west-1"] = { role: "secondary", weight: weights[2], cidr: "10.30.0.0/16", replicas: { api: 3, ws: 3 } };
    regions["ap-southeast-1"] = { role: "secondary", weight: weights[3], cidr: "10.40.0.0/16", replicas: { api: 3, ws: 3 } };
    config["scaled-web:regions"] = regions;
    return { ...doc, config };
}

/** A temporary project directory holding Pulumi.yaml and the synthetic stack as `Pulumi.prod.yaml`. */
function syntheticProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-bench-"));
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const doc = fourRegionProd(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8"));
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), `# Synthetic 4-region prod for npm run bench.\n${YAML.stringify(doc)}`);
    return dir;
}

function runPlan(c: BenchCase, env: NodeJS.ProcessEnv = { ...process.env, ...(c.env ?? {}) }): RunSample {
    const child = timed(process.execPath, [PLAN, "--stack", c.stack, "--project-dir", c.projectDir, "--format", "json", "--no-progress", "--timings"], { env });
    const line = child.stderr.split("\n").find((l) => l.startsWith("{\"timings\""));
    if (!line || (child.status !== 0 && child.status !== 1)) {
        throw new Error(`plan for ${c.name} exited ${child.status}:\n${child.stderr}`);
    }
    return { wallMs: child.wallMs, cpuMs: child.cpuMs, exitCode: child.status ?? -1, timings: JSON.parse(line).timings, stdout: child.stdout };
}

const CLI_START = path.join(__dirname, "cli-start.js");
const FLOOR = path.join(__dirname, "bench-floor.js");

/** A copy of the program's sources (node_modules linked) in which the bench may edit a file. */
function programCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-cli-"));
    for (const entry of ["index.ts", "components", "platform", "toolkit", "policy-pack", "app", "scripts", "Pulumi.yaml", "tsconfig.json", "package.json"]) {
        const from = path.join(PROJECT_DIR, entry);
        if (fs.existsSync(from)) {
            fs.cpSync(from, path.join(dir, entry), { recursive: true, filter: (f) => !f.includes(`${path.sep}node_modules`) });
        }
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

/** The floor of a CLI start: a one-bucket program through the same loader (Pulumi.yaml's main and options). */
function oneBucketProgram(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-cli-floor-"));
    const project = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify({ name: "floor", main: project.main, runtime: project.runtime }));
    fs.mkdirSync(path.join(dir, "scripts"));
    for (const f of ["pulumi-main.js", "ts-cache.js"]) {
        fs.copyFileSync(path.join(__dirname, f), path.join(dir, "scripts", f));
    }
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true, isolatedModules: true, skipLibCheck: true, types: ["node"] }, include: ["index.ts"] }));
    fs.writeFileSync(path.join(dir, "index.ts"), "import * as aws from \"@pulumi/aws\";\n\nexport = () => ({ bucket: new aws.s3.Bucket(\"b\").id });\n");
    fs.writeFileSync(path.join(dir, "package.json"), "{\"name\":\"floor\",\"private\":true}\n");
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

interface StartSample { wallMs: number; cpuMs: number; loadMs: number; transpileOnly: boolean }

/**
 * Cold (empty transpile caches), warm and after-an-edit start of the program in `dir`, as Pulumi.yaml says;
 * with `tsNode`, as the CLI's own ts-node would start `index.ts` with that tsconfig (`typescript: true`).
 */
function cliStarts(dir: string, editFile: string, tsNode?: string): { cold: StartSample; warm: StartSample; edit: StartSample } {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-ts-node-"));
    const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_CACHE_DIRECTORY: path.join(cache, "ts-node"), PLAN_TS_CACHE_DIR: path.join(cache, "ts-cache") };
    delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
    const once = (): StartSample => {
        const r = timed(process.execPath, [CLI_START, "--project-dir", dir, ...(tsNode ? ["--ts-node", tsNode, "--main", "index.ts"] : [])], { env });
        if (r.status !== 0) {
            throw new Error(`cli-start in ${dir} exited ${r.status}:\n${r.stderr}`);
        }
        const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
        return { wallMs: r.wallMs, cpuMs: r.cpuMs, loadMs: out.loadMs, transpileOnly: out.transpileOnly };
    };
    try {
        const cold = once();
        const warm = once();
        fs.appendFileSync(path.join(dir, editFile), `\n// edited by npm run bench at ${Date.now()}\n`);
        const edit = once();
        return { cold, warm, edit };
    } finally {
        fs.rmSync(cache, { recursive: true, force: true });
    }
}

const PACK_START = path.join(__dirname, "pack-start.js");

/**
 * The policy pack's start as `pulumi preview --policy-pack` starts it (scripts/pack-start.js), twice with an empty
 * ts-node cache: this project's pack (main.js, transpile-only) and a copy whose `main` is index.ts, which
 * run-policy-pack's ts-node type-checks (what the pack did before main.js).
 */
function packStarts(): { name: string; first: StartSample; second: StartSample }[] {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-pack-ts-node-"));
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-pack-copy-"));
    try {
        fs.cpSync(path.join(PROJECT_DIR, "policy-pack"), copy, { recursive: true, filter: (f) => !f.includes(`${path.sep}node_modules`) });
        const pkg = JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8"));
        fs.writeFileSync(path.join(copy, "package.json"), JSON.stringify({ ...pkg, main: "index.ts" }, null, 4));
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(copy, "node_modules"), "dir");
        const once = (dir: string, cacheDir: string): StartSample => {
            const r = timed(process.execPath, [PACK_START, "--pack-dir", dir], { env: { ...process.env, TS_NODE_CACHE_DIRECTORY: cacheDir } });
            if (r.status !== 0) {
                throw new Error(`pack-start in ${dir} exited ${r.status}:\n${r.stderr}`);
            }
            return { wallMs: JSON.parse(r.stdout.trim()).startMs, cpuMs: r.cpuMs, loadMs: 0, transpileOnly: dir !== copy };
        };
        const rows: { name: string; first: StartSample; second: StartSample }[] = [];
        for (const [name, dir] of [["this project (main.js, sucrase)", path.join(PROJECT_DIR, "policy-pack")], ["before: main index.ts, ts-node type-checks", copy]] as const) {
            const cacheDir = path.join(cache, String(rows.length));
            rows.push({ name, first: once(dir, cacheDir), second: once(dir, cacheDir) });
        }
        return rows;
    } finally {
        fs.rmSync(cache, { recursive: true, force: true });
        fs.rmSync(copy, { recursive: true, force: true });
    }
}

function table(rows: string[][]): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ")).join("\n") + "\n";
}

export function median(values: readonly number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function parseArgs(argv: readonly string[]): { runs: number; cases: string[]; cold: boolean; compare: boolean; cli: boolean; suite: boolean } {
    let runs = 5;
    let cases = ["dev", "prod", "prod-4-regions"];
    let cold = true;
    let compare = false;
    let cli = true;
    let suite = true;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].includes("=") ? argv[i].split("=", 2) : [argv[i], undefined];
        const value = (): string => inline ?? argv[++i] ?? "";
        if (flag === "--runs") {
            runs = Number(value());
            if (!Number.isInteger(runs) || runs < 1) {
                throw new Error(`--runs must be a whole number >= 1, got ${runs}`);
            }
        } else if (flag === "--cases") {
            cases = value().split(",").filter(Boolean);
        } else if (flag === "--no-cold") {
            cold = false;
        } else if (flag === "--compare") {
            compare = true;
        } else if (flag === "--no-cli") {
            cli = false;
        } else if (flag === "--no-suite") {
            suite = false;
        } else {
            throw new Error(`unknown option ${argv[i]}; use --runs N, --cases a,b, --no-cold, --compare, --no-cli, --no-suite`);
        }
    }
    return { runs, cases, cold, compare, cli, suite };
}

const ms = (n: number): string => `${Math.round(n)} ms`;

export function main(argv: readonly string[]): number {
    const opts = parseArgs(argv);
    const all: BenchCase[] = [];
    let tmp: string | undefined;
    for (const name of opts.cases) {
        if (name === "prod-4-regions") {
            tmp = tmp ?? syntheticProject();
            all.push({ name, stack: "prod", projectDir: tmp });
        } else {
            all.push({ name, stack: name, projectDir: PROJECT_DIR });
        }
    }
    if (opts.compare) {
        all.push({ name: "prod, no shortcuts", stack: "prod", projectDir: PROJECT_DIR, env: { PLAN_NO_SHORTCUTS: "1" } });
    }
    try {
        process.stdout.write(`npm run bench: ${opts.runs} runs per case (+1 warm-up), node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n\n`);
        if (opts.cli) {
            process.stdout.write("CLI START  the program loaded as `pulumi preview/up` loads it (Pulumi.yaml main and runtime.options), wall / CPU\n");
            const copy = programCopy();
            const floorDir = oneBucketProgram();
            try {
                const rows: string[][] = [["program", "checks types", "cold", "warm", "after an edit"]];
                const fmt = (s: StartSample): string => `${ms(s.wallMs)} / ${ms(s.cpuMs)}`;
                const add = (name: string, r: ReturnType<typeof cliStarts>): void => {
                    rows.push([name, r.cold.transpileOnly ? "no (npm run lint does)" : "yes", fmt(r.cold), fmt(r.warm), fmt(r.edit)]);
                };
                add("this project (Pulumi.yaml)", cliStarts(copy, "components/network.ts"));
                add("before: type-checking ts-node", cliStarts(copy, "components/network.ts", "tsconfig.json"));
                add("floor: one-bucket program", cliStarts(floorDir, "index.ts"));
                process.stdout.write(table(rows) + "\n");
                process.stdout.write("POLICY PACK START  until the pack serves its port, as `pulumi preview --policy-pack` starts it; wall (CPU of the whole run)\n");
                const packRows: string[][] = [["pack", "checks types", "first start (empty ts-node cache)", "second start"]];
                for (const r of packStarts()) {
                    packRows.push([r.name, r.first.transpileOnly ? "no (npm run lint does)" : "yes", `${ms(r.first.wallMs)} (${ms(r.first.cpuMs)})`, `${ms(r.second.wallMs)} (${ms(r.second.cpuMs)})`]);
                }
                process.stdout.write(table(packRows) + "\n");
            } finally {
                fs.rmSync(copy, { recursive: true, force: true });
                fs.rmSync(floorDir, { recursive: true, force: true });
            }
        }
        if (opts.cold && all.length) {
            const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-ts-cache-"));
            const sample = runPlan(all[0], { ...process.env, PLAN_TS_CACHE_DIR: cacheDir });
            fs.rmSync(cacheDir, { recursive: true, force: true });
            process.stdout.write(`cold start (${all[0].name}, empty transpile cache, ${sample.timings.transpiledFiles} files transpiled): ${ms(sample.wallMs)}, of which module load ${ms(sample.timings.moduleLoadMs)}\n\n`);
        }
        const rows: string[][] = [["case", "resources", "wall median", "CPU median", "min..max", "res/s (wall)", "node", "modules", "config", "program", "res/s (program)", "policy", "report", "exit"]];
        const floors: string[][] = [["case", "program (in-process, warm)", "floor: same resources, same SDK", "ratio"]];
        let deploy: any;
        for (const c of all) {
            runPlan(c); // warm-up: fills the transpile cache and the OS file cache
            const samples = Array.from({ length: opts.runs }, () => runPlan(c));
            if (c.name === "prod") {
                deploy = JSON.parse(samples[0].stdout).deploy;
            }
            if (!c.env) {
                const f = timed(process.execPath, [FLOOR, "--stack", c.stack, "--project-dir", c.projectDir]);
                if (f.status === 0) {
                    const r = JSON.parse(f.stdout.trim());
                    floors.push([c.name, ms(r.programMs), ms(r.floorMs), `${(r.programMs / r.floorMs).toFixed(2)}x`]);
                } else {
                    floors.push([c.name, "failed", f.stderr.split("\n")[0], ""]);
                }
            }
            const med = (key: string): number => median(samples.map((s) => s.timings[key] ?? 0));
            const wall = median(samples.map((s) => s.wallMs));
            const resources = samples[0].timings.resources;
            rows.push([
                c.name, String(resources), ms(wall), ms(median(samples.map((s) => s.cpuMs))),
                `${Math.round(Math.min(...samples.map((s) => s.wallMs)))}..${Math.round(Math.max(...samples.map((s) => s.wallMs)))}`,
                (resources / (wall / 1000)).toFixed(0),
                ms(med("nodeStartMs")), ms(med("moduleLoadMs")), ms(med("configMs")), ms(med("programMs")),
                (resources / (med("programMs") / 1000)).toFixed(0), ms(med("policyMs")), ms(med("reportMs")),
                [...new Set(samples.map((s) => s.exitCode))].join("/"),
            ]);
        }
        process.stdout.write("PLAN  `npm run plan` per stack and region count (fresh process each run)\n");
        process.stdout.write(table(rows));
        process.stdout.write("\nnode = process start until our first line runs; modules = loading @pulumi/*, the program and the report code;\n" +
            "program = the real program under the mock runtime (registration of every resource); exit 1 = a mandatory policy failed.\n\n");
        if (floors.length > 1) {
            process.stdout.write("PLAN FLOOR  the program's registration time beside registering the same resources directly (median of 3, one process)\n");
            process.stdout.write(table(floors) + "\n");
        }
        if (opts.suite) {
            const jest = path.join(PROJECT_DIR, "node_modules", "jest", "bin", "jest.js");
            const floor = timed(process.execPath, [jest, "--listTests"], { cwd: PROJECT_DIR });
            const suite = timed(process.execPath, [jest, "--silent"], { cwd: PROJECT_DIR });
            const summary = suite.stderr.split("\n").filter((l) => /^Tests?:|^Test Suites:/.test(l)).join("; ");
            process.stdout.write(`SUITE  npx jest: ${ms(suite.wallMs)} wall, ${ms(suite.cpuMs)} CPU (${summary || `exit ${suite.status}`}); ` +
                `floor (jest start-up, --listTests): ${ms(floor.wallMs)} wall, ${ms(floor.cpuMs)} CPU\n\n`);
        }
        if (deploy) {
            const min = (s: number): string => `${Math.round(s / 60)} min`;
            process.stdout.write(`DEPLOY  prod first \`pulumi up\` estimate (critical path, typical creation times): ${min(deploy.totalSeconds)}; ` +
                `floor (data dependencies alone): ${min(deploy.dataOnlySeconds)}; explicit dependsOn edges on the path: ${deploy.explicitOnPath}\n`);
            process.stdout.write(`  path: ${deploy.criticalPath.filter((s: any) => s.seconds >= 60).map((s: any) => `${s.name} (${min(s.seconds)})`).join(" -> ")}\n`);
        }
        return 0;
    } finally {
        if (tmp) {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    }
}
