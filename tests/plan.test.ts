/**
 * `npm run plan` end to end: the report of the real dev and prod stacks matches what the program
 * registered (in-process, one run per stack), and the command's exit codes and formats (three child
 * processes: dev text, prod Markdown, a stack file with a bad value).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { fourRegionProd, median } from "../scripts/bench-cli";
import { MAX_MARKDOWN_CHARS, money } from "../toolkit/report";
import { evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { Writable } from "stream";
import { EXIT, PlanResult, USAGE, formatForFile, main, parseArgs, plan, rawConfigFrom, render } from "../scripts/plan-cli";
import { parseConfig } from "../platform/config";
import { RegisteredResource, readStackConfig } from "../toolkit/offline";
import { stackRun } from "./harness";

/** The suite's shared run of a stack as it is on disk (`plan` with the project's own stack files only). */
const sharedRun = async (o: { stack: string; preview: boolean }): Promise<{ resources: RegisteredResource[] }> => stackRun(o.stack, { preview: o.preview });

const ROOT = path.resolve(__dirname, "..");
const PLAN = path.join(ROOT, "scripts", "plan.js");

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [PLAN, "--no-progress", ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("command line", () => {
    test.each([
        [[], { stack: "dev", format: "text", out: undefined, progress: "auto", timings: false }],
        [["--stack", "prod", "--format", "markdown", "--out", "x.md"], { stack: "prod", format: "markdown", out: "x.md" }],
        [["--stack=prod", "--format=json", "--no-progress", "--timings"], { stack: "prod", format: "json", progress: "never", timings: true }],
        [[], { preview: false }],
        [["--preview", "--stack", "prod"], { stack: "prod", preview: true }],
    ])("parseArgs(%j)", (argv, expected) => {
        expect(parseArgs(argv, ROOT)).toMatchObject(expected);
    });

    // Issue 17: `--out x.md` without --format wrote a text report into a .md file.
    test.each([
        [["--out", "plan.md"], "markdown"],
        [["--out", "report.MARKDOWN"], "markdown"],
        [["--out", "plan.json"], "json"],
        [["--out", "plan.txt"], "text"],
        [["--out", "plan.json", "--format", "text"], "text"],
        [["--format", "markdown", "--out", "plan.json"], "markdown"],
    ])("parseArgs(%j) writes %s", (argv, format) => {
        expect(parseArgs(argv, ROOT)).toMatchObject({ format });
    });

    test("formatForFile picks the format by extension", () => {
        expect([formatForFile("a/b.md"), formatForFile("x.json"), formatForFile("x")]).toEqual(["markdown", "json", "text"]);
    });

    test("the usage names exit code 3 and the pipe-safe `npm run -s`", () => {
        expect(USAGE).toMatch(/3 unexpected error/);
        expect(USAGE).toContain("npm run -s plan -- --format json");
    });

    test.each([
        [["--format", "yaml"], /--format must be one of text, markdown, json, got "yaml"/],
        [["--stack"], /--stack needs a value/],
        [["--stack", "../etc"], /--stack must be a stack name/],
        [["--colour"], /unknown option "--colour"/],
    ])("parseArgs(%j) is a usage error", (argv, message) => {
        expect(() => parseArgs(argv, ROOT)).toThrow(message);
    });

    test("--help prints the usage, which names every flag", () => {
        expect(parseArgs(["--help"], ROOT)).toBe("help");
        for (const flag of ["--stack", "--preview", "--format", "--out", "--project-dir", "--no-progress", "--timings", "--debug"]) {
            expect(USAGE).toContain(flag);
        }
    });

    test("unknown config keys of the project's namespace are a ConfigError naming the key", () => {
        expect(() => rawConfigFrom({ "scaled-web:environment": "dev", "scaled-web:nodePoolz": "{}" }, "dev")).toThrow(/scaled-web:nodePoolz: unknown key/);
        expect(rawConfigFrom({ "scaled-web:environment": "dev", "scaled-web:regions": "{\"us-east-1\":{}}", "aws:region": "x" }, "dev"))
            .toEqual({ environment: "dev", regions: { "us-east-1": {} } });
    });

    test("a namespace that is almost the project's is a ConfigError, not silently ignored", () => {
        expect(() => rawConfigFrom({ "scaled-web:environment": "dev", "scaled_web:tier": "small" }, "dev"))
            .toThrow(/scaled-web:tier: "scaled_web:tier" is in namespace "scaled_web", which this project never reads .*did you mean scaled-web:tier\?/);
    });
});

describe("start-up shortcuts", () => {
    test("the lazily loaded closure modules export exactly the functions the stand-in forwards", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { LAZY_EXPORTS } = require("../scripts/lazy-closure.js");
        for (const [id, names] of Object.entries<string[]>(LAZY_EXPORTS)) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const real = require(require.resolve(`@pulumi/pulumi/runtime/${id.slice(2)}`));
            const exported = Object.keys(real).filter((k) => k !== "__esModule").sort();
            expect(exported).toEqual([...names].sort());
            for (const name of names) {
                expect(typeof real[name]).toBe("function");
            }
        }
    });
});

describe("bench helpers", () => {
    test("the synthetic 4-region prod adds eu-west-1 and ap-southeast-1 and re-splits the weights to 100", () => {
        const doc = fourRegionProd(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
        const regions = doc.config["scaled-web:regions"];
        expect(Object.keys(regions)).toEqual(["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"]);
        expect(Object.values<any>(regions).reduce((s, r) => s + r.weight, 0)).toBe(100);
        expect(Object.values<any>(regions).filter((r) => r.role === "primary")).toHaveLength(1);
        expect(YAML.parse(YAML.stringify(doc))).toEqual(doc);
    });

    test.each([[[3, 1, 2], 2], [[4, 1, 3, 2], 2.5], [[7], 7]])("median(%j) = %d", (values, expected) => {
        expect(median(values)).toBe(expected);
    });
});

describe.each(["dev", "prod"])("the %s report against its own run", (stack) => {
    let result: PlanResult;
    const phases: string[] = [];
    beforeAll(async () => {
        // As scripts/plan.js does: Pulumi's per-promise stack captures are ~40 % of a run and unused here.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            // The program's run is the suite's shared run of this stack (tests/harness.ts); the CLI tests
            // below run the program in a process of their own.
            result = await plan(parseArgs(["--stack", stack], ROOT) as Exclude<ReturnType<typeof parseArgs>, "help">, (p) => phases.push(p), sharedRun);
        } finally {
            Error.stackTraceLimit = limit;
        }
    });

    test("the progress line counts the resources the report lists (issue 17)", () => {
        expect(phases).toContain(`evaluating policies on ${result.report.inventory.total} resources`);
    });

    test("resource counts match what the program registered, in every view", () => {
        const { report, resources } = result;
        const registered = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
        expect(report.inventory.total).toBe(registered.length);
        expect(report.inventory.total).toBeGreaterThan(20);
        expect(report.inventory.byComponent.reduce((s, c) => s + c.count, 0)).toBe(registered.length);
        expect(report.inventory.byRegion.reduce((s, r) => s + r.count, 0)).toBe(registered.length);
        const byType: Record<string, number> = {};
        registered.forEach((r) => (byType[r.type] = (byType[r.type] ?? 0) + 1));
        expect(Object.fromEntries(report.inventory.byType.map((t) => [t.type, t.count]))).toEqual(byType);
    });

    test("every region of the stack file appears, with the resources of its provider", () => {
        const regions = stack === "prod" ? ["us-east-1", "us-west-2"] : ["us-east-1"];
        expect(report().architecture.regions.map((r) => r.region)).toEqual(regions);
        for (const region of regions) {
            const direct = result.resources.filter((r) => r.region === region).length;
            expect(report().inventory.byRegion.find((r) => r.region === region)!.count).toBeGreaterThanOrEqual(direct);
        }
    });

    test("cost lines price what was registered: one line per NAT gateway and EKS cluster, pools at their sizes", () => {
        const { cost } = report();
        const count = (type: string): number => result.resources.filter((r) => r.type === type).length;
        expect(cost.lines.filter((l) => l.type === "aws:ec2/natGateway:NatGateway")).toHaveLength(count("aws:ec2/natGateway:NatGateway"));
        expect(cost.lines.filter((l) => l.type === "aws:eks/cluster:Cluster")).toHaveLength(count("aws:eks/cluster:Cluster"));
        expect(count("aws:eks/cluster:Cluster")).toBe(stack === "prod" ? 2 : 1);
        // Cost lines are per Auto Scaling group; the architecture folds a pool's per-zone groups into one entry.
        for (const region of report().architecture.regions) {
            const instances = cost.lines.filter((l) => l.region === region.region && l.category === "compute" && l.unit.includes("instance"));
            expect(instances.reduce((s, l) => s + l.quantity, 0)).toBe(region.nodePools.reduce((s, p) => s + p.desiredSize, 0));
        }
        expect(cost.total.monthly).toBeCloseTo(cost.lines.reduce((s, l) => s + l.monthly, 0), 6);
        expect(cost.unknown.filter((u) => /instance type/.test(u.what))).toEqual([]);
    });

    test("policies were evaluated with the stack's config, and the exit code follows the mandatory count", () => {
        const { policy, outcome } = report();
        expect(policy.status).toBe("evaluated");
        expect(policy.policies).toBeGreaterThan(0);
        expect(outcome.ok).toBe(policy.mandatory === 0);
        expect(result.exitCode).toBe(policy.mandatory === 0 ? EXIT.ok : EXIT.policy);
    });

    test("the three formats carry the same numbers", () => {
        const r = report();
        expect(JSON.parse(render(r, "json"))).toEqual(r);
        const md = render(r, "markdown");
        expect(md).toContain(`· ${r.inventory.total} resources ·`);
        expect(md).toContain(`**${money(r.cost.total.monthly)}/month**`);
        const text = render(r, "text");
        expect(text).toContain(`RESOURCES  ${r.inventory.total} (`);
        expect(text).toContain(`total         ${money(r.cost.total.monthly)} .. ${money(r.cost.total.monthlyAtMax)}`);
    });

    function report(): PlanResult["report"] {
        return result.report;
    }
});

describe.each(["dev", "prod"])("the %s report in preview mode", (stack) => {
    let result: PlanResult;
    beforeAll(async () => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            result = await plan(parseArgs(["--stack", stack, "--preview"], ROOT) as Exclude<ReturnType<typeof parseArgs>, "help">, undefined, sharedRun);
        } finally {
            Error.stackTraceLimit = limit;
        }
    });

    test("runs the program as a preview and reports what the policies could not decide", () => {
        const { report, resources } = result;
        expect(report.mode).toBe("preview");
        const direct = evaluatePolicies(resources, { config: loadPolicyConfig(stack), preview: true });
        expect(report.policy.undecidable.map((u) => `${u.policyName} ${u.resourceUrn ?? ""} ${u.message}`).sort())
            .toEqual(direct.undecidable.map((u) => `${u.policyName} ${u.resourceUrn ?? ""} ${u.message}`).sort());
        expect(report.policy.undecidableMandatory).toBe(report.policy.undecidable.filter((u) => u.enforcementLevel === "mandatory" || u.enforcementLevel === "remediate").length);
    });

    test("fails (exit 1) exactly when a mandatory policy failed or could not decide", () => {
        const { policy, outcome } = result.report;
        expect(outcome.ok).toBe(policy.mandatory === 0 && policy.undecidableMandatory === 0);
        expect(result.exitCode).toBe(outcome.ok ? EXIT.ok : EXIT.policy);
        if (!outcome.ok && policy.undecidableMandatory > 0) {
            expect(outcome.failures.join("; ")).toMatch(/mandatory policy checks? could not be decided on unknown values/);
        }
    });

    test("shows no unknown sentinel anywhere in the report", () => {
        expect(JSON.stringify(result.report)).not.toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    });
});

describe("the command as a child process", () => {
    let tmp: string;
    beforeAll(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
    });
    afterAll(() => {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    test("`npm run plan` (dev, text) prints the report and exits 0", () => {
        const r = cli([]);
        expect(r.stderr).not.toMatch(/unexpected error/);
        expect(r.status).toBe(EXIT.ok);
        expect(r.stdout).toMatch(/^scaled-web \/ stack dev \(environment dev, tier small\): offline plan/);
        for (const section of ["RESOURCES", "ARCHITECTURE", "CAPACITY", "POLICIES", "COST", "RESULT  OK"]) {
            expect(r.stdout).toContain(section);
        }
    });

    test("prod as Markdown to a file: the PR comment, exit status from the policy results", () => {
        const out = path.join(tmp, "prod.md");
        const r = cli(["--stack", "prod", "--format", "markdown", "--out", out]);
        const md = fs.readFileSync(out, "utf8");
        expect(md.startsWith("<!-- scaled-web-plan:prod -->")).toBe(true);
        expect(md).toContain("### Offline plan: `prod` (prod, large tier)");
        expect(md).toMatch(/\| \*\*Total\*\* \| \*\*\$[\d,]+\.\d\d\*\* \|/);
        expect(r.stdout).not.toContain("Offline plan"); // --out keeps stdout free
        const failed = /\*\*FAILED\*\*/.test(md);
        expect(r.status).toBe(failed ? EXIT.policy : EXIT.ok);
        expect(r.stderr).toMatch(new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(prod: ${failed ? "FAILED" : "OK"}`));
        expect(md).toMatch(/ · \d+ resources · /);
        // Issue 17: made for a comment: under GitHub's limit, a heading per section, the ~170 alarms as one row per region.
        expect(md.length).toBeLessThanOrEqual(MAX_MARKDOWN_CHARS);
        for (const h of ["#### Architecture", "#### Capacity", "#### Policies", "#### Monthly cost estimate (USD)", "#### Inventory"]) {
            expect(md).toContain(h);
        }
        expect(md).toMatch(/^\| us-east-1 \| \d+ resources: prod-use1-obs-\S+ \.\.\. prod-use1-obs-\S+ \| \d+ x alarm \|/m);
        expect(md).not.toMatch(/^\| us-east-1 \| prod-use1-obs-[^|]*-warning \|/m);
    });

    test("a stack file with a bad value exits 2, naming the key, without a stack trace", () => {
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(tmp, "Pulumi.yaml"));
        const dev = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
        dev.config["scaled-web:regions"]["us-east-1"].weight = 150;
        dev.config["scaled-web:tier"] = "huge";
        fs.writeFileSync(path.join(tmp, "Pulumi.dev.yaml"), YAML.stringify(dev));
        const r = cli(["--project-dir", tmp]);
        expect(r.status).toBe(EXIT.config);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/Stack "dev" has an invalid configuration \(Pulumi\.dev\.yaml\), 2 problems/);
        expect(r.stderr).toContain("scaled-web:tier: must be one of small, medium, large, enterprise (got \"huge\")");
        expect(r.stderr).toContain("scaled-web:regions.us-east-1.weight: must be 0-100 (got 150)");
        expect(r.stderr).not.toMatch(/\n\s+at /);
    });
});

/** Runs the command in-process on a stack file of `text` in a temp project; exit status and output. */
async function planFile(dir: string, stack: string, text: string): Promise<{ status: number; stdout: string; stderr: string }> {
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
    let stdout = "";
    let stderr = "";
    const sink = (write: (s: string) => void): Writable => new Writable({ write(chunk, _enc, done) { write(String(chunk)); done(); } });
    const io = { stdout: sink((t) => { stdout += t; }), stderr: sink((t) => { stderr += t; }) as unknown as NodeJS.WriteStream };
    const status = await main(["--project-dir", dir, "--stack", stack, "--no-progress"], io);
    return { status, stdout, stderr };
}

// Issue 17 item 4: each bug reproduced on a stack file, then the message it must give instead.
describe("stack file mistakes: exit 2, the key, the value and the fix, no stack trace", () => {
    const DEV = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-files-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    });
    afterAll(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const edit = (from: string | RegExp, to: string): string => {
        const out = DEV.replace(from, to);
        expect(out).not.toBe(DEV);
        return out;
    };

    test.each<[string, () => string, (string | RegExp)[], string[]]>([
        ["an encrypted top-level secret (was exit 3)", () => `${DEV}  scaled-web:dbPassword:\n    secure: AAABAHZmbG9vcg==\n`,
            ["Pulumi.bad.yaml: scaled-web:dbPassword is an encrypted secret (secure: ...)", "remove the entry"], []],
        ["two encrypted secrets, both named", () => `${DEV}  scaled-web:a:\n    secure: AAAB\n  other:token:\n    secure: AAAC\n`,
            ["scaled-web:a, other:token are encrypted secrets"], []],
        ["an empty file (was: four missing keys, one about hostedZoneId never written)", () => "",
            ["Pulumi.bad.yaml is empty", 'top-level "config:" map', "scaled-web:environment: dev"], ["hostedZoneId", "is required"]],
        ["a file of comments only", () => "# nothing yet\n", ["Pulumi.bad.yaml is empty"], ["is required"]],
        ["the keys without a `config:` root (was: missing keys)", () => DEV.replace(/^config:\n/m, "").replace(/^ {2}/gm, ""),
            ['Pulumi.bad.yaml has no top-level "config:" key; "scaled-web:environment", "scaled-web:tier"', 'Indent them under a "config:" line'], ["is required"]],
        ["`config:` spelt otherwise", () => DEV.replace(/^config:$/m, "configuration:"),
            ['has no top-level "config:" key (top-level keys: configuration)'], []],
        ["`config:` that is not a map", () => "config: [a, b]\n", ['"config:" must be a map of scaled-web:<key> settings, got ["a","b"]'], []],
        ["a top-level list", () => "- config\n", ['Pulumi.bad.yaml must be a map with a top-level "config:" key, got a list'], []],
        ["an unclosed double quote (was: reported at the end of the file)", () => edit("scaled-web:tier: small", 'scaled-web:tier: "small'),
            ["Pulumi.bad.yaml is not valid YAML, 1 problem", `line ${DEV.split("\n").findIndex((l) => l.includes("scaled-web:tier")) + 1}: a double-quoted value opened here is never closed`,
                'scaled-web:tier: "small'], []],
        ["an unclosed single quote", () => edit("scaled-web:tier: small", "scaled-web:tier: 'small"),
            [`line ${DEV.split("\n").findIndex((l) => l.includes("scaled-web:tier")) + 1}: a single-quoted value opened here is never closed`], []],
        ["an unclosed single quote, and an apostrophe in a later plain value", () => "config:\n  scaled-web:environment: 'dev\n  scaled-web:domain: it's.example.com\n",
            ["line 2: a single-quoted value opened here is never closed", "scaled-web:environment: 'dev"], ["line 3"]],
        ["an unclosed flow map (was: reported on the next key)", () => edit(/ {2}scaled-web:tags:\n {4}team: platform\n {4}cost-center: web-dev\n/, "  scaled-web:tags: { team: platform\n"),
            [`line ${DEV.split("\n").findIndex((l) => l.includes("scaled-web:tags")) + 1}: a flow map "{" opened here is never closed; close it with "}"`], []],
        ["a tab as indentation", () => edit("  scaled-web:tier: small", "\tscaled-web:tier: small"),
            [`line ${DEV.split("\n").findIndex((l) => l.includes("scaled-web:tier")) + 1}: Tabs are not allowed as indentation`], []],
        ["an octet above 255 (was: \"host bits set\")", () => edit("cidr: 10.10.0.0/16", "cidr: 10.300.0.0/16"),
            ['scaled-web:regions.us-east-1.cidr: octet 300 out of range (each of the four numbers must be 0-255), got "10.300.0.0/16"'], ["host bits"]],
        ["host bits set", () => edit("cidr: 10.10.0.0/16", "cidr: 10.10.0.1/16"),
            ['scaled-web:regions.us-east-1.cidr: has host bits set', 'use "10.10.0.0/16", got "10.10.0.1/16"'], []],
        ["an unquoted 1.30 (was: shown as 1.3 only)", () => edit("  scaled-web:cluster:\n", "  scaled-web:cluster:\n    kubernetesVersion: 1.30\n"),
            ["scaled-web:cluster.kubernetesVersion: Expected string, received number (got 1.3)", 'the file says 1.30, an unquoted YAML number read as 1.3: quote it, "1.30"'], []],
    ])("%s", async (_name, file, expected, absent) => {
        const r = await planFile(dir, "bad", file());
        expect(r.status).toBe(EXIT.config);
        expect(r.stdout).toBe("");
        for (const e of expected) {
            if (typeof e === "string") {
                expect(r.stderr).toContain(e);
            } else {
                expect(r.stderr).toMatch(e);
            }
        }
        for (const a of absent) {
            expect(r.stderr).not.toContain(a);
        }
        expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    });

    // Pulumi.yaml documents hostedZoneId as "looked up by name when empty" (default ""); `pulumi up` runs
    // loadConfig, which skips "", and LoadBalancer/WeightedDns call route53.getZone({ name: domain }).
    test.each([
        ["omitted", () => edit(/^ {2}scaled-web:hostedZoneId: .*\n/m, "")],
        ["empty", () => edit(/^ {2}scaled-web:hostedZoneId: .*$/m, '  scaled-web:hostedZoneId: ""')],
    ])("hostedZoneId %s reads as not set, as under `pulumi up`", (_name, file) => {
        fs.writeFileSync(path.join(dir, "Pulumi.zone.yaml"), file());
        const { project, config: flat } = readStackConfig("zone", dir);
        expect(flat["scaled-web:hostedZoneId"]).toBe(""); // Pulumi.yaml's default
        const config = parseConfig(rawConfigFrom(flat, "zone"), "zone", project);
        expect(config.hostedZoneId).toBeUndefined();
    });

    test("hostedZoneId omitted plans, with the records in the zone looked up by domain", async () => {
        fs.writeFileSync(path.join(dir, "Pulumi.zone.yaml"), edit(/^ {2}scaled-web:hostedZoneId: .*\n/m, ""));
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        let result: PlanResult;
        try {
            result = await plan({ stack: "zone", format: "json", projectDir: dir, timings: false, progress: "never" });
        } finally {
            Error.stackTraceLimit = limit;
        }
        const records = result.resources.filter((r) => r.type === "aws:route53/record:Record");
        expect(records.length).toBeGreaterThan(0);
        // toolkit/mock-outputs.ts answers getZone({ name }) with a zone id derived from the name.
        // (The database's private zone is the program's own resource; the public records go to the lookup.)
        const zones = records.map((r) => r.inputs.zoneId);
        expect(zones).toContain("ZDEVSCALEDWEBEXAMPLEC");
        expect(zones).not.toContain("Z0DEV0000000000000001");
    }, 120_000);
});

// Issue 17 item 5: the plan's output as a tool, and what a clone of the repository has.
describe("the README and .gitignore for the plan's users", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    test("every piped plan example runs npm silently, and exit code 3 is explained", () => {
        const piped = readme.split("\n").filter((l) => /npm run\b.*\bplan\b.*\|/.test(l));
        expect(piped.length).toBeGreaterThan(0);
        for (const line of piped) {
            expect(line).toMatch(/npm run -s plan/);
        }
        expect(readme).toMatch(/and 3 on an unexpected error, which is a bug/);
    });

    test("no README reference points outside the repository", () => {
        expect(readme).not.toMatch(/\]\(\.\.\/|`\.\.\/[^`]*`/);
    });

    test.each(["plan.json", "plan.md", "plan-report.json", "examples/consumer/package-lock.json"])("git ignores %s", (file) => {
        const r = spawnSync("git", ["check-ignore", "--no-index", "-q", file], { cwd: ROOT });
        expect(r.status).toBe(0);
    });

    test("git does not ignore the project's own lock file", () => {
        expect(spawnSync("git", ["check-ignore", "--no-index", "-q", "package-lock.json"], { cwd: ROOT }).status).toBe(1);
    });
});
