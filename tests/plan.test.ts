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
import { money } from "../toolkit/report";
import { evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";
import { EXIT, PlanResult, USAGE, parseArgs, plan, rawConfigFrom, render } from "../scripts/plan-cli";

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
    beforeAll(async () => {
        // As scripts/plan.js does: Pulumi's per-promise stack captures are ~40 % of a run and unused here.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            result = await plan(parseArgs(["--stack", stack], ROOT) as Exclude<ReturnType<typeof parseArgs>, "help">);
        } finally {
            Error.stackTraceLimit = limit;
        }
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
            result = await plan(parseArgs(["--stack", stack, "--preview"], ROOT) as Exclude<ReturnType<typeof parseArgs>, "help">);
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
