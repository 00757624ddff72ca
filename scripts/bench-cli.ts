/**
 * `npm run bench -- [--runs 5] [--cases dev,prod,prod-4-regions] [--no-cold] [--compare]`
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
    readonly exitCode: number;
    readonly timings: Record<string, number>;
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
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, [PLAN, "--stack", c.stack, "--project-dir", c.projectDir, "--format", "json", "--no-progress", "--timings"], {
        env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const line = (child.stderr ?? "").split("\n").find((l) => l.startsWith("{\"timings\""));
    if (!line || (child.status !== 0 && child.status !== 1)) {
        throw new Error(`plan for ${c.name} exited ${child.status}:\n${child.stderr}`);
    }
    return { wallMs, exitCode: child.status ?? -1, timings: JSON.parse(line).timings };
}

export function median(values: readonly number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function parseArgs(argv: readonly string[]): { runs: number; cases: string[]; cold: boolean; compare: boolean } {
    let runs = 5;
    let cases = ["dev", "prod", "prod-4-regions"];
    let cold = true;
    let compare = false;
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
        } else {
            throw new Error(`unknown option ${argv[i]}; use --runs N, --cases a,b, --no-cold, --compare`);
        }
    }
    return { runs, cases, cold, compare };
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
        if (opts.cold && all.length) {
            const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "scaled-web-ts-cache-"));
            const sample = runPlan(all[0], { ...process.env, PLAN_TS_CACHE_DIR: cacheDir });
            fs.rmSync(cacheDir, { recursive: true, force: true });
            process.stdout.write(`cold start (${all[0].name}, empty transpile cache, ${sample.timings.transpiledFiles} files transpiled): ${ms(sample.wallMs)}, of which module load ${ms(sample.timings.moduleLoadMs)}\n\n`);
        }
        const rows: string[][] = [["case", "resources", "wall median", "min..max", "res/s (wall)", "node", "modules", "config", "program", "res/s (program)", "policy", "report", "exit"]];
        for (const c of all) {
            runPlan(c); // warm-up: fills the transpile cache and the OS file cache
            const samples = Array.from({ length: opts.runs }, () => runPlan(c));
            const med = (key: string): number => median(samples.map((s) => s.timings[key] ?? 0));
            const wall = median(samples.map((s) => s.wallMs));
            const resources = samples[0].timings.resources;
            rows.push([
                c.name, String(resources), ms(wall),
                `${Math.round(Math.min(...samples.map((s) => s.wallMs)))}..${Math.round(Math.max(...samples.map((s) => s.wallMs)))}`,
                (resources / (wall / 1000)).toFixed(0),
                ms(med("nodeStartMs")), ms(med("moduleLoadMs")), ms(med("configMs")), ms(med("programMs")),
                (resources / (med("programMs") / 1000)).toFixed(0), ms(med("policyMs")), ms(med("reportMs")),
                [...new Set(samples.map((s) => s.exitCode))].join("/"),
            ]);
        }
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows) {
            process.stdout.write(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ") + "\n");
        }
        process.stdout.write("\nnode = process start until our first line runs; modules = loading @pulumi/*, the program and the report code;\n" +
            "program = the real program under the mock runtime (registration of every resource); exit 1 = a mandatory policy failed.\n");
        return 0;
    } finally {
        if (tmp) {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    }
}
