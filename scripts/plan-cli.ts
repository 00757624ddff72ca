/**
 * `npm run plan -- [--stack dev] [--preview] [--format text|markdown|json] [--out FILE] [--project-dir DIR]`
 *
 * Runs the real program for `Pulumi.<stack>.yaml` under Pulumi's mock runtime (no cloud, no
 * credentials, no Pulumi CLI), evaluates the policy pack with the stack's policy config, and prints the
 * offline plan report: inventory, architecture at a glance, capacity, policy results and a monthly cost
 * estimate. Started by `scripts/plan.js`, which sets up the transpile cache first.
 *
 * With `--preview` the program runs as in a first `pulumi preview` of a new stack (ids and computed
 * values unknown) and the policies are evaluated as CrossGuard does then: a policy that reads an unknown
 * value cannot decide, and a mandatory one that cannot decide fails the plan (a real preview would only
 * print an advisory "can't run policy" message, leaving the check unenforced).
 *
 * Exit status: 0 OK; 1 a mandatory policy failed or could not decide; 2 the stack's config or files are invalid (or bad
 * usage), with the message and no stack trace; 3 an unexpected error (a bug: its stack trace with --debug).
 */
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, ConfigError, PROJECT_NAME, PlatformConfig, configKeyIssues, parseConfig } from "../platform/config";
import { RegisteredResource, StackFileError, readStackConfig, runOffline } from "../toolkit/offline";
import { platformProgram } from "../platform/program";
import { PlanReport, STACK_TYPE, buildPlanReport, money, renderMarkdown, renderText } from "../toolkit/report";
import { evaluatePoliciesAsync, locatePolicyConfig } from "../toolkit/policy-runner";

export const FORMATS = ["text", "markdown", "json"] as const;
export type Format = (typeof FORMATS)[number];

export const EXIT = { ok: 0, policy: 1, config: 2, internal: 3 } as const;

export interface PlanOptions {
    readonly stack: string;
    readonly format: Format;
    readonly out?: string;
    readonly projectDir: string;
    /** Run as a first `pulumi preview` (unknown ids and computed values) and evaluate policies so. */
    readonly preview?: boolean;
    /** Print phase timings as one JSON line on stderr (used by `npm run bench`). */
    readonly timings: boolean;
    /** Progress on stderr: `auto` = only when stderr is a terminal and the run passes one second. */
    readonly progress: "auto" | "never";
}

export const USAGE = `Usage: npm run plan -- [options]

Runs the program for a stack offline (Pulumi mock runtime: no cloud account, credentials or Pulumi CLI)
and prints its plan: resources per component/region/type, the architecture at a glance, capacity, the
policy pack's results with the stack's policy config (policy-pack/config/<stack>.json, else
<environment>.json), and a monthly cost estimate.

Options:
  --stack NAME         stack whose Pulumi.<NAME>.yaml to read (default: dev)
  --preview            run as a first "pulumi preview" would (ids and computed values unknown); a
                       mandatory policy that cannot decide on unknown values fails the plan
  --format FORMAT      text (default), markdown (for a pull-request comment) or json (for tools)
  --out FILE           write the report to FILE instead of stdout; without --format, FILE's extension
                       picks it (.md/.markdown: markdown, .json: json, else text)
  --project-dir DIR    directory holding Pulumi.yaml and the stack files (default: the project root)
  --no-progress        never show the progress line on stderr
  --timings            print phase timings as one JSON line on stderr
  --debug              keep JavaScript stack traces (off by default: they cost ~40 % of the run)
  -h, --help           show this help

Exit status: 0 OK, 1 a mandatory policy failed (or, with --preview, could not decide), 2 invalid stack
config/files or usage, 3 unexpected error (a bug in the plan or the program; the message says so).

Piping: run it as "npm run -s plan -- ..." (or "node scripts/plan.js ..."), since plain "npm run" prints
its own banner on stdout, e.g. npm run -s plan -- --format json | jq .outcome
`;

/** Bad command-line usage: printed with the usage hint, exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** The format `--out FILE` implies when `--format` is not given: by extension, text otherwise. */
export function formatForFile(file: string): Format {
    const ext = path.extname(file).toLowerCase();
    return ext === ".md" || ext === ".markdown" ? "markdown" : ext === ".json" ? "json" : "text";
}

export function parseArgs(argv: readonly string[], defaultProjectDir: string): PlanOptions | "help" {
    let stack = "dev";
    let format: Format = "text";
    let out: string | undefined;
    let projectDir = defaultProjectDir;
    let timings = false;
    let progress: PlanOptions["progress"] = "auto";
    let preview = false;
    let formatGiven = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const value = (): string => {
            const v = inline ?? argv[++i];
            if (v === undefined || (inline === undefined && v.startsWith("--"))) {
                throw new UsageError(`${flag} needs a value`);
            }
            return v;
        };
        switch (flag) {
            case "-h":
            case "--help":
                return "help";
            case "--stack":
            case "-s":
                stack = value();
                if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
                    throw new UsageError(`--stack must be a stack name such as "dev", got "${stack}"`);
                }
                break;
            case "--format":
            case "-f": {
                const f = value();
                if (!(FORMATS as readonly string[]).includes(f)) {
                    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${f}"`);
                }
                format = f as Format;
                formatGiven = true;
                break;
            }
            case "--out":
            case "-o":
                out = value();
                break;
            case "--project-dir":
                projectDir = path.resolve(value());
                break;
            case "--timings":
                timings = true;
                break;
            case "--no-progress":
                progress = "never";
                break;
            case "--preview":
                preview = true;
                break;
            case "--debug":
                break; // read by scripts/plan.js before anything loads
            default:
                throw new UsageError(`unknown option "${arg}"`);
        }
    }
    if (!formatGiven && out !== undefined) {
        format = formatForFile(out);
    }
    return { stack, format, out, projectDir, timings, progress, preview };
}

/**
 * Raw config values in the shape `parseConfig` takes, from the CLI's flat `namespace:key` map. Throws
 * `ConfigError` for keys of the project's namespace the schema does not know (as `loadConfig` does).
 */
export function rawConfigFrom(flat: Readonly<Record<string, string>>, stack: string, checkKeys = true): Record<string, unknown> {
    const unknown = checkKeys ? configKeyIssues(Object.keys(flat)) : [];
    if (unknown.length) {
        throw new ConfigError(stack, unknown);
    }
    const raw: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        const text = flat[`${PROJECT_NAME}:${key}`];
        // An empty value (e.g. Pulumi.yaml's default of "" for hostedZoneId) means "not set", as in
        // `loadConfig`, which is what `pulumi up` runs: both paths must read the same file alike.
        if (text === undefined || text === "") {
            continue;
        }
        try {
            raw[key] = JSON.parse(text);
        } catch {
            raw[key] = text;
        }
    }
    return raw;
}

/**
 * `error` with the stack file's own text quoted where YAML turned an unquoted value into a different
 * number (`1.30` read as 1.3): the schema only sees the number, the file says more.
 */
export function withNumberSources(error: ConfigError, sources: Readonly<Record<string, string>>): ConfigError {
    if (!error.issues.some((i) => i.path in sources)) {
        return error;
    }
    return new ConfigError(error.stack, error.issues.map((i) => i.path in sources
        ? { ...i, message: `${i.message.replace(/; an unquoted number in the stack file:.*$/, "")}; the file says ${sources[i.path]}, an unquoted YAML number read as ${Number(sources[i.path].replace(/_/g, ""))}: quote it, "${sources[i.path]}"` }
        : i));
}

/** Errors a user fixes in their files, printed as a message alone (no trace). */
export function isUserError(e: unknown): e is Error {
    if (!(e instanceof Error)) {
        return false;
    }
    return ["ConfigError", "StackFileError", "UsageError", "PolicyConfigError", "PolicyConfigNotFoundError", "InputPropertiesError", "InputPropertyError", "RunError"].includes(e.name) ||
        e instanceof StackFileError || (e as any).__pulumiRunError === true || (e as any).__pulumiInputPropertiesError === true ||
        (e as any).__pulumiInputPropertyError === true;
}

/**
 * A one-line, self-erasing progress indicator on a terminal's stderr, shown once a run passes a second
 * (from process start). The mock runtime works mostly in microtasks, where timers rarely get a turn, so
 * the line is also redrawn at every phase change.
 */
class Progress {
    private phase = "starting";
    private timer?: NodeJS.Timeout;
    private shown = false;
    private readonly enabled: boolean;

    constructor(private readonly stream: NodeJS.WriteStream, enabled: boolean, private readonly label: string) {
        this.enabled = enabled && Boolean(stream.isTTY);
        if (this.enabled) {
            this.timer = setInterval(() => this.draw(), 250);
            this.timer.unref();
        }
    }

    set(phase: string): void {
        this.phase = phase;
        this.draw();
    }

    private draw(): void {
        // performance.now() counts from process start, so module loading is included.
        const elapsed = performance.now() / 1000;
        if (!this.enabled || elapsed < 1) {
            return;
        }
        this.shown = true;
        this.stream.write(`\r\x1b[2K${this.label}: ${this.phase} ${elapsed.toFixed(1)} s`);
    }

    stop(): void {
        if (this.timer) {
            clearInterval(this.timer);
        }
        if (this.shown) {
            this.stream.write("\r\x1b[2K");
        }
    }
}

/**
 * The stack's `--policy-pack-config`: `policy-pack/config/<stack>.json`, else `config/<environment>.json`;
 * neither is a `PolicyConfigNotFoundError` (exit 2) naming both paths. `file` is relative to the project root.
 */
function policyConfigFor(stack: string, environment: string): { config: object; file: string; matchedBy: "stack" | "environment" } {
    const found = locatePolicyConfig(stack, { environment });
    return { config: found.config, file: path.relative(path.resolve(__dirname, ".."), found.file).split(path.sep).join("/"), matchedBy: found.matchedBy };
}

export interface PlanResult {
    readonly report: PlanReport;
    /** What the program registered (the report is built from these). */
    readonly resources: readonly RegisteredResource[];
    readonly exitCode: number;
    readonly timings: Record<string, number>;
}

/** Runs the program offline and returns what it registered; `runOffline` of the real program by default. */
export type ProgramRunner = (run: { project: string; stack: string; config: Record<string, string>; preview: boolean }) => Promise<{ resources: RegisteredResource[] }>;

const runProgram: ProgramRunner = ({ project, stack, config, preview }) => runOffline(() => platformProgram(), { project, stack, config, preview });

/**
 * Runs the program for `options.stack` offline, evaluates policies and builds the report. Throws user errors as-is.
 * `runner` replaces the program run (the tests hand in the suite's shared run of the same stack).
 */
export async function plan(options: PlanOptions, onPhase: (phase: string) => void = () => undefined, runner: ProgramRunner = runProgram): Promise<PlanResult> {
    const timings: Record<string, number> = {};
    let t = performance.now();
    const lap = (name: string): void => {
        const now = performance.now();
        timings[name] = Math.round((now - t) * 10) / 10;
        t = now;
    };

    onPhase("reading config");
    const { project, config: flat, numberSources } = readStackConfig(options.stack, options.projectDir);
    // Unknown keys and near-miss namespaces are reported together with every other problem (issue 17), as loadConfig does.
    const keyIssues = configKeyIssues(Object.keys(flat));
    let config: PlatformConfig;
    try {
        config = parseConfig(rawConfigFrom(flat, options.stack, false), options.stack, project);
    } catch (e) {
        throw e instanceof ConfigError ? withNumberSources(new ConfigError(options.stack, [...keyIssues, ...e.issues]), numberSources) : e;
    }
    if (keyIssues.length > 0) {
        throw new ConfigError(options.stack, keyIssues);
    }
    // Before the program runs: a stack without a policy config fails fast.
    const policyConfig = policyConfigFor(options.stack, config.environment);
    lap("configMs");

    const preview = options.preview ?? false;
    onPhase(preview ? "running the program under mocks, as a preview" : "running the program under mocks");
    const run = await runner({ project, stack: options.stack, config: flat, preview });
    lap("programMs");

    // The count the report's inventory shows: every resource but the stack itself.
    onPhase(`evaluating policies on ${run.resources.filter((r) => r.type !== STACK_TYPE).length} resources`);
    const policy = await evaluatePoliciesAsync(run.resources, { config: policyConfig.config, preview });
    lap("policyMs");

    onPhase("building the report");
    const report = buildPlanReport({ project, stack: options.stack, resources: run.resources, config, policy,
        policyConfig: { file: policyConfig.file, matchedBy: policyConfig.matchedBy }, mode: preview ? "preview" : "update" });
    lap("reportMs");
    timings.resources = report.inventory.total;
    return { report, resources: run.resources, exitCode: report.outcome.ok ? EXIT.ok : EXIT.policy, timings };
}

export function render(report: PlanReport, format: Format): string {
    switch (format) {
        case "json":
            return JSON.stringify(report, null, 2) + "\n";
        case "markdown":
            return renderMarkdown(report);
        default:
            return renderText(report);
    }
}

export interface Io {
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WriteStream;
}

/** The command: parses `argv`, plans, prints; returns the exit status. */
export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }, startup: Record<string, number> = {}, runner: ProgramRunner = runProgram): Promise<number> {
    let options: PlanOptions | "help";
    try {
        options = parseArgs(argv, path.resolve(__dirname, ".."));
    } catch (e) {
        io.stderr.write(`plan: ${(e as Error).message}\n\n${USAGE}`);
        return EXIT.config;
    }
    if (options === "help") {
        io.stdout.write(USAGE);
        return EXIT.ok;
    }
    const opts = options;
    const progress = new Progress(io.stderr, opts.progress === "auto", `plan ${opts.stack}${opts.preview ? " (preview)" : ""}`);
    try {
        const result = await plan(opts, (phase) => progress.set(phase), runner);
        progress.stop();
        const text = render(result.report, opts.format);
        if (opts.out) {
            fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
            fs.writeFileSync(opts.out, text);
            const r = result.report;
            io.stderr.write(`plan: wrote ${opts.out} (${r.stack}: ${r.outcome.ok ? "OK" : "FAILED"}, ${r.inventory.total} resources, ${money(r.cost.total.monthly)}/month)\n`);
        } else {
            io.stdout.write(text);
        }
        if (!result.report.outcome.ok) {
            io.stderr.write(`plan: ${result.report.stack} FAILED: ${result.report.outcome.failures.join("; ")}\n`);
        }
        if (opts.timings) {
            io.stderr.write(`${JSON.stringify({ timings: { ...startup, ...result.timings } })}\n`);
        }
        return result.exitCode;
    } catch (e) {
        progress.stop();
        if (isUserError(e)) {
            io.stderr.write(`plan: ${e.message}\n`);
            return EXIT.config;
        }
        const trace = Error.stackTraceLimit === 0 ? "\n(run again with --debug for the stack trace)" : "";
        io.stderr.write(`plan: unexpected error (a bug, please report it):\n${(e as Error)?.stack ?? String(e)}${trace}\n`);
        return EXIT.internal;
    }
}
