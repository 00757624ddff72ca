/**
 * The GitHub Actions workflows: valid YAML with the keys GitHub requires, the triggers and jobs the
 * README promises, pulumi/actions@v6 called only with inputs it declares, previews and deploys that run
 * the policy pack with the stack's policy config, OIDC credentials, fork-safe offline plan comments, and
 * prod behind the `production` environment.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { parseConfig } from "../platform/config";
import { readStackConfig } from "../toolkit/offline";

const DIR = path.resolve(__dirname, "..", ".github", "workflows");
const ROOT = path.resolve(__dirname, "..");

/** Inputs declared by pulumi/actions v6's action.yml. */
const PULUMI_ACTION_INPUTS = new Set([
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number",
    "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map",
    "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target", "target-dependents",
    "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected",
    "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity",
    "log-flow", "debug",
]);
const AWS_CREDENTIALS_INPUTS = new Set(["role-to-assume", "aws-region", "role-session-name", "role-duration-seconds", "audience", "mask-aws-account-id"]);

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
    if?: string;
    id?: string;
}
interface Job {
    name?: string;
    "runs-on": string;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    permissions?: Record<string, string>;
    strategy?: { matrix: Record<string, unknown> };
    steps: Step[];
}
interface Workflow {
    name: string;
    on: Record<string, any>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

function load(file: string): Workflow {
    const doc = YAML.parseDocument(fs.readFileSync(path.join(DIR, file), "utf8"));
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Workflow;
}

const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = Object.fromEntries(files.map((f) => [f, load(f)]));
const allJobs = Object.entries(workflows).flatMap(([file, wf]) => Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })));
const stepsUsing = (job: Job, action: string): Step[] => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));

/** The stack's validated config, read from Pulumi.yaml + Pulumi.<stack>.yaml like `pulumi` does. */
function stackConfig(stack: string): ReturnType<typeof parseConfig> {
    const { project, config } = readStackConfig(stack);
    const raw = Object.fromEntries(Object.entries(config)
        .filter(([k, v]) => k.startsWith(`${project}:`) && v !== "")
        .map(([k, v]) => {
            try {
                return [k.slice(project.length + 1), JSON.parse(v)];
            } catch {
                return [k.slice(project.length + 1), v];
            }
        }));
    return parseConfig(raw, stack, project);
}

/** The stacks a job runs for: its matrix, or the `stack-name` of its Pulumi step. */
function stacksOf(job: Job): string[] {
    const step = stepsUsing(job, "pulumi/actions")[0];
    const name = String(step?.with?.["stack-name"]);
    return name === "${{ matrix.stack }}" ? (job.strategy?.matrix.stack as string[]) : [name];
}

describe("every workflow file", () => {
    test("there are the three workflows", () => {
        expect(files).toEqual(["deploy.yml", "plan-comment.yml", "pull-request.yml"]);
    });

    test.each(files)("%s has a name, a trigger, read-only default permissions and well-formed jobs", (file) => {
        const wf = workflows[file];
        expect(typeof wf.name).toBe("string");
        expect(Object.keys(wf.on).length).toBeGreaterThan(0);
        expect(wf.permissions).toEqual({ contents: "read" });
        for (const [id, job] of Object.entries(wf.jobs)) {
            expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
            // Jobs that run Pulumi (and so reach a cluster API) are checked below; the rest are GitHub-hosted.
            if (stepsUsing(job, "pulumi/actions").length === 0) {
                expect(job["runs-on"]).toBe("ubuntu-latest");
            }
            expect(Array.isArray(job.steps) && job.steps.length > 0).toBe(true);
            for (const step of job.steps) {
                // A step either runs a command or uses an action, pinned to a major version.
                expect(Boolean(step.run) !== Boolean(step.uses)).toBe(true);
                if (step.uses) {
                    expect(step.uses).toMatch(/^[\w-]+\/[\w-]+(\/[\w-]+)*@v\d+$/);
                }
            }
            for (const need of [job.needs ?? []].flat()) {
                expect(Object.keys(wf.jobs)).toContain(need);
            }
        }
    });

    test("pulumi/actions is v6 and gets only inputs it declares; AWS credentials come from OIDC", () => {
        const pulumiSteps = allJobs.flatMap(({ job }) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")));
        expect(pulumiSteps.length).toBe(3); // preview (dev+prod matrix), up dev, up prod
        for (const step of pulumiSteps) {
            expect(step.uses).toBe("pulumi/actions@v6");
            for (const input of Object.keys(step.with ?? {})) {
                expect(PULUMI_ACTION_INPUTS).toContain(input);
            }
            expect(step.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        }
        for (const { job } of allJobs.filter(({ job }) => stepsUsing(job, "pulumi/actions").length)) {
            const creds = stepsUsing(job, "aws-actions/configure-aws-credentials");
            expect(creds).toHaveLength(1);
            expect(creds[0].uses).toBe("aws-actions/configure-aws-credentials@v4");
            for (const input of Object.keys(creds[0].with ?? {})) {
                expect(AWS_CREDENTIALS_INPUTS).toContain(input);
            }
            expect(creds[0].with?.["role-to-assume"]).toMatch(/^\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}$/);
            expect(JSON.stringify(creds[0].with)).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
            expect(job.permissions?.["id-token"]).toBe("write");
            // The credentials are configured before Pulumi runs.
            expect(job.steps.indexOf(creds[0])).toBeLessThan(job.steps.indexOf(stepsUsing(job, "pulumi/actions")[0]));
        }
    });

    test("every Pulumi run passes the policy pack and the stack's own policy config, which exists", () => {
        for (const { job } of allJobs) {
            for (const step of stepsUsing(job, "pulumi/actions")) {
                const stack = String(step.with?.["stack-name"]);
                const resolved = stack === "${{ matrix.stack }}" ? (job.strategy?.matrix.stack as string[]) : [stack];
                expect(step.with?.policyPacks).toBe("policy-pack");
                for (const s of resolved) {
                    const config = String(step.with?.policyPackConfigs).replace("${{ matrix.stack }}", s);
                    expect(config).toBe(`policy-pack/config/${s}.json`);
                    expect(fs.existsSync(path.join(ROOT, config))).toBe(true);
                    expect(fs.existsSync(path.join(ROOT, `Pulumi.${s}.yaml`))).toBe(true);
                }
                expect(fs.existsSync(path.join(ROOT, "policy-pack", "PulumiPolicy.yaml"))).toBe(true);
            }
        }
    });
});

describe("jobs that touch Kubernetes run where the private cluster API is reachable", () => {
    const pulumiJobs = allJobs.filter(({ job }) => stepsUsing(job, "pulumi/actions").length > 0);

    test("there are the preview and both deploy jobs", () => {
        expect(pulumiJobs.map(({ file, id }) => `${file}:${id}`).sort()).toEqual(["deploy.yml:deploy-dev", "deploy.yml:deploy-prod", "pull-request.yml:preview"]);
    });

    // The old workflows ran `pulumi up`/`preview` on ubuntu-latest, outside every VPC: each Helm release and
    // Kubernetes object then timed out against the private endpoint.
    test.each(pulumiJobs.map(({ file, id, job }) => [`${file}:${id}`, job] as const))("%s runs on its stack's in-VPC CodeBuild runner, never GitHub-hosted", (_label, job) => {
        expect(job["runs-on"]).not.toMatch(/ubuntu|windows|macos/);
        for (const stack of stacksOf(job)) {
            const cfg = stackConfig(stack);
            expect(cfg.deployRunner.enabled).toBe(true);
            // CodeBuild user guide, "Label overrides supported with the CodeBuild-hosted GitHub Actions runner":
            // `codebuild-<project-name>-${{ github.run_id }}-${{ github.run_attempt }}`, project = the runner's project.
            const label = String(job["runs-on"]).replace("${{ matrix.stack }}", stack);
            expect(label).toBe(`codebuild-${cfg.deployRunner.projectName}-\${{ github.run_id }}-\${{ github.run_attempt }}`);
        }
    });

    test("the project names the labels use are the ones the stacks create", () => {
        expect(stackConfig("dev").deployRunner.projectName).toBe("scaled-web-dev-deploy-runner");
        expect(stackConfig("prod").deployRunner.projectName).toBe("scaled-web-prod-deploy-runner");
    });

    test("the deploy jobs' and the preview's OIDC roles are the ones the stacks give access entries (documented in the headers)", () => {
        for (const stack of ["dev", "prod"]) {
            const cfg = stackConfig(stack);
            expect(cfg.deployRunner.deployRoleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
            expect(cfg.deployRunner.previewRoleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
        }
        expect(fs.readFileSync(path.join(DIR, "deploy.yml"), "utf8")).toMatch(/AWS_DEPLOY_ROLE_ARN[\s\S]*deployRunner\.deployRoleArn/);
        expect(fs.readFileSync(path.join(DIR, "pull-request.yml"), "utf8")).toMatch(/AWS_PREVIEW_ROLE_ARN[\s\S]*deployRunner\.previewRoleArn/);
    });

    test("a fork's pull request never reaches the runner: the preview job is skipped for forks", () => {
        const preview = workflows["pull-request.yml"].jobs.preview;
        expect(preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
        // The jobs fork code runs in stay GitHub-hosted and secret-free.
        for (const id of ["checks", "offline-plan"]) {
            expect(workflows["pull-request.yml"].jobs[id]["runs-on"]).toBe("ubuntu-latest");
        }
        expect(workflows["plan-comment.yml"].jobs.comment["runs-on"]).toBe("ubuntu-latest");
    });
});

describe("pull-request.yml", () => {
    const wf = workflows["pull-request.yml"];

    test("runs on pull requests to main with lint/test, offline plan and preview jobs", () => {
        expect(wf.on).toEqual({ pull_request: { branches: ["main"] } });
        expect(Object.keys(wf.jobs)).toEqual(["checks", "offline-plan", "preview"]);
        expect(wf.jobs.checks.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci --no-audit --no-fund", "npm run lint", "npm test"]);
    });

    test("preview: pulumi preview of dev and prod, commenting on the PR, only where secrets exist", () => {
        const job = wf.jobs.preview;
        expect(job.strategy?.matrix.stack).toEqual(["dev", "prod"]);
        expect(job.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
        expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
        const [step] = stepsUsing(job, "pulumi/actions");
        expect(step.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true, "work-dir": "./" });
    });

    test("offline plan: no secrets, no write token, markdown report for both stacks uploaded for the comment", () => {
        const job = wf.jobs["offline-plan"];
        expect(job.strategy?.matrix.stack).toEqual(["dev", "prod"]);
        expect(job.permissions).toBeUndefined(); // the workflow's contents: read
        expect(JSON.stringify(job)).not.toMatch(/secrets\./);
        const plan = job.steps.find((s) => s.id === "plan")!;
        expect(plan.run).toMatch(/npm run plan -- --stack "\$STACK" --format markdown --out "plan\/\$STACK\.md"/);
        const upload = stepsUsing(job, "actions/upload-artifact")[0];
        expect(upload.with).toMatchObject({ name: "plan-${{ matrix.stack }}", path: "plan/" });
        // The job still fails when the plan does (after the report is uploaded).
        const fail = job.steps[job.steps.length - 1];
        expect(fail.if).toBe("steps.plan.outputs.exit-code != '0'");
        expect(job.steps.indexOf(upload)).toBeLessThan(job.steps.indexOf(fail));
    });
});

describe("plan-comment.yml", () => {
    const wf = workflows["plan-comment.yml"];

    test("runs after pull-request in the base repository and posts each stack's report without checking out PR code", () => {
        expect(wf.on).toEqual({ workflow_run: { workflows: ["pull-request"], types: ["completed"] } });
        const job = wf.jobs.comment;
        expect(job.permissions).toEqual({ actions: "read", "pull-requests": "write" });
        expect(job.steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
        expect(stepsUsing(job, "actions/download-artifact")[0].with).toMatchObject({ name: "plan-${{ matrix.stack }}", "run-id": "${{ github.event.workflow_run.id }}" });
        const script = String(stepsUsing(job, "actions/github-script")[0].with?.script);
        expect(script).toContain("<!-- scaled-web-plan:${stack} -->");
        expect(script).toMatch(/updateComment/);
        expect(script).toMatch(/createComment/);
    });

    test("the marker it looks for is the one the Markdown report starts with", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { markdownMarker } = require("../toolkit/report/render");
        expect(markdownMarker("prod")).toBe("<!-- scaled-web-plan:prod -->");
    });
});

describe("deploy.yml", () => {
    const wf = workflows["deploy.yml"];

    test("runs on push to main: verify, then pulumi up dev, then prod", () => {
        expect(wf.on.push).toEqual({ branches: ["main"] });
        expect(Object.keys(wf.jobs)).toEqual(["verify", "deploy-dev", "deploy-prod"]);
        expect(wf.jobs["deploy-dev"].needs).toBe("verify");
        expect(wf.jobs["deploy-prod"].needs).toBe("deploy-dev");
        expect(wf.jobs.verify.steps.map((s) => s.run).filter(Boolean)).toEqual(expect.arrayContaining(["npm run plan -- --stack dev", "npm run plan -- --stack prod"]));
        for (const [id, stack] of [["deploy-dev", "dev"], ["deploy-prod", "prod"]]) {
            const [step] = stepsUsing(wf.jobs[id], "pulumi/actions");
            expect(step.with).toMatchObject({ command: "up", "stack-name": stack, policyPacks: "policy-pack", policyPackConfigs: `policy-pack/config/${stack}.json` });
        }
    });

    test("prod deploys in the `production` environment (reviewers live in the repository settings), one update at a time", () => {
        const prod = wf.jobs["deploy-prod"] as Job & { concurrency?: { group: string; "cancel-in-progress": boolean } };
        expect(prod.environment).toBe("production");
        expect(prod.concurrency).toEqual({ group: "deploy-prod", "cancel-in-progress": false });
        expect(fs.readFileSync(path.join(DIR, "deploy.yml"), "utf8")).toMatch(/Settings -> Environments -> production -> Required reviewers/);
    });
});
