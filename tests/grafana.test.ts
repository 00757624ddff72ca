/**
 * Amazon Managed Grafana and dashboards as code: the dashboard JSON models (panels, layout, PromQL only over the
 * metric names of components/app-metrics.ts), the GrafanaWorkspace component under the mock runtime (workspace
 * arguments, IAM trust and policies exactly, service account and token, the Grafana provider on the workspace URL,
 * the data sources' JSON, the dashboards), argument rejections, the `observability` stack config (defaults and
 * ConfigErrors naming the key), and the dev stack with Grafana turned on.
 */
import { APP_METRICS, KNOWN_METRICS, PLATFORM_METRICS } from "../components/app-metrics";
import { DATASOURCE_PREFIX, applicationDashboard, capacityDashboard, dashboardModel } from "../components/dashboards";
import {
    AMP_QUERY_ACTIONS, GrafanaWorkspace, GrafanaWorkspaceArgs, MAX_SERVICE_ACCOUNT_TOKEN_SECONDS, grafanaDataPolicy, grafanaTrustPolicy, validateGrafanaWorkspaceArgs,
} from "../components/grafana-workspace";
import { parseConfig } from "../platform/config";
import { configMessageOf } from "./config-fixtures";
import { StackRun, runComponent, runStack } from "./harness";
import { evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";

const dashArgs = { namespace: "scaled-web", stack: "prod" };
const SPECS = [applicationDashboard(dashArgs), capacityDashboard(dashArgs)];

/** Identifiers in a PromQL expression that are metric names (not functions, keywords, labels or label values). */
function metricNames(expr: string): string[] {
    const noStrings = expr.replace(/"[^"]*"/g, '""');
    const noLabels = noStrings.replace(/\{[^}]*\}/g, "{}");
    const noGrouping = noLabels.replace(/\b(by|without)\s*\([^)]*\)/g, "");
    const words = noGrouping.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\{|\[|\)|$|\s(or|and|unless)\b|\s*\/))/g) ?? [];
    const keywords = new Set(["sum", "max", "min", "avg", "rate", "histogram_quantile", "clamp_min", "or", "and", "unless", "by", "without"]);
    return words.filter((w) => !keywords.has(w));
}

describe("dashboards", () => {
    test("the panels the issue asks for are there", () => {
        const titles = SPECS.flatMap((d) => d.panels.map((p) => p.title)).join("\n");
        for (const want of [/API requests per second/, /API latency/, /API error ratio/, /WebSocket open connections/, /Queue depth/, /Replicas KEDA runs/, /Node CPU/, /Node memory/, /Pod CPU/, /Pod memory/, /Jobs processed/]) {
            expect(titles).toMatch(want);
        }
    });

    test("every query uses only exported metric names, balanced brackets, the app namespace where it filters", () => {
        const used = new Set<string>();
        for (const d of SPECS) {
            for (const p of d.panels) {
                for (const q of p.queries) {
                    for (const [open, close] of [["(", ")"], ["{", "}"], ["[", "]"]]) {
                        expect([q.expr, q.expr.split(open).length]).toEqual([q.expr, q.expr.split(close).length]);
                    }
                    const names = metricNames(q.expr);
                    expect(names.length).toBeGreaterThan(0);
                    for (const n of names) {
                        expect([q.expr, KNOWN_METRICS.includes(n)]).toEqual([q.expr, true]);
                        used.add(n);
                    }
                }
            }
        }
        // Every app metric is on a dashboard (the histogram through its buckets).
        for (const m of Object.values(APP_METRICS)) {
            expect([...used].some((u) => u === m || u === `${m}_bucket`)).toBe(true);
        }
        expect(used.has(PLATFORM_METRICS.kedaScalerValue)).toBe(true);
        // The parser in this test must see a misspelt metric.
        expect(metricNames('sum(rate(http_requests_totl{namespace="x"}[5m]))')).toEqual(["http_requests_totl"]);
    });

    test("the JSON model: unique panel ids, non-overlapping 24-column grid, the region variable over the AMP data sources", () => {
        for (const spec of SPECS) {
            const m = dashboardModel(spec) as any;
            expect(m).toMatchObject({ uid: spec.uid, title: spec.title, schemaVersion: 39, editable: false });
            expect(m.templating.list).toEqual([expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus", regex: `/^${DATASOURCE_PREFIX}.*/` })]);
            const ids = m.panels.map((p: any) => p.id);
            expect(new Set(ids).size).toBe(ids.length);
            const cells = new Set<string>();
            for (const p of m.panels) {
                expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
                expect(p.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
                for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
                    for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
                        expect(cells.has(`${x},${y}`)).toBe(false);
                        cells.add(`${x},${y}`);
                    }
                }
                expect(p.targets.map((t: any) => t.refId)).toEqual(p.targets.map((_: unknown, i: number) => String.fromCharCode(65 + i)));
            }
        }
    });
});

const AMP = new Map([
    ["us-east-1", { workspaceId: "ws-1", workspaceArn: "arn:aws:aps:us-east-1:123456789012:workspace/ws-1", prometheusEndpoint: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/" }],
    ["us-west-2", { workspaceId: "ws-2", workspaceArn: "arn:aws:aps:us-west-2:123456789012:workspace/ws-2", prometheusEndpoint: "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-2/" }],
]);
const ARGS: GrafanaWorkspaceArgs = { region: "us-east-1", prometheus: AMP, xrayRegions: ["us-east-1", "us-west-2"], dashboards: SPECS, account: "123456789012", tokenRotation: "2" };

describe("GrafanaWorkspace", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => new GrafanaWorkspace("g", ARGS));
    });

    test("workspace: current account, IAM Identity Center, customer-managed permissions with our role", () => {
        const ws = run.get("aws:grafana/workspace:Workspace", "g-workspace");
        const role = run.get("aws:iam/role:Role", "g-role");
        expect(ws.inputs).toMatchObject({
            accountAccessType: "CURRENT_ACCOUNT", authenticationProviders: ["AWS_SSO"], permissionType: "CUSTOMER_MANAGED",
            roleArn: role.state.arn, dataSources: ["PROMETHEUS", "XRAY"], grafanaVersion: "10.4",
        });
    });

    test("IAM: trust exactly Grafana from this account's workspaces in the region; AMP query on the two workspaces; X-Ray read", () => {
        const role = run.get("aws:iam/role:Role", "g-role");
        expect(JSON.parse(role.inputs.assumeRolePolicy)).toEqual(grafanaTrustPolicy("aws", "123456789012", "us-east-1"));
        expect(grafanaTrustPolicy("aws", "123456789012", "us-east-1")).toEqual({
            Version: "2012-10-17",
            Statement: [{
                Sid: "AmazonManagedGrafana", Effect: "Allow", Principal: { Service: "grafana.amazonaws.com" }, Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": "arn:aws:grafana:us-east-1:123456789012:/workspaces/*" } },
            }],
        });
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "g-data").inputs.policy);
        expect(policy).toEqual({
            Version: "2012-10-17",
            Statement: [
                { Sid: "QueryPrometheus", Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"], Resource: [...AMP.values()].map((w) => w.workspaceArn) },
                { Sid: "ListRegionsForXRay", Effect: "Allow", Action: ["ec2:DescribeRegions"], Resource: "*" },
            ],
        });
        expect(AMP_QUERY_ACTIONS).toHaveLength(4);
        expect((grafanaDataPolicy([]) as any).Statement.map((s: any) => s.Sid)).toEqual(["ListRegionsForXRay"]);
        expect(run.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "g-xray").inputs.policyArn).toBe("arn:aws:iam::aws:policy/AWSXrayReadOnlyAccess");
    });

    test("service account (ADMIN) and a 30-day token named by its rotation; its key is secret and configures the Grafana provider", () => {
        expect(run.get("aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount", "g-pulumi").inputs).toMatchObject({ name: "pulumi", grafanaRole: "ADMIN" });
        const token = run.get("aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken", "g-token");
        expect(token.inputs).toMatchObject({ name: "pulumi-2", secondsToLive: MAX_SERVICE_ACCOUNT_TOKEN_SECONDS });
        expect(MAX_SERVICE_ACCOUNT_TOKEN_SECONDS).toBe(2_592_000);
        const provider = run.resources.find((r) => r.type === "pulumi:providers:grafana")!;
        expect(provider.inputs.url).toMatch(/^https:\/\//);
        expect(provider.secretInputs).toContain("auth");
    });

    test("data sources: a SigV4 Prometheus per AMP workspace, an X-Ray per region, all through the workspace's role", () => {
        const ds = run.ofType("grafana:oss/dataSource:DataSource");
        const byName = Object.fromEntries(ds.map((d) => [d.inputs.name, d.inputs]));
        expect(Object.keys(byName).sort()).toEqual(["amp-us-east-1", "amp-us-west-2", "xray-us-east-1", "xray-us-west-2"]);
        expect(byName["amp-us-west-2"]).toMatchObject({ type: "prometheus", url: "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-2/" });
        expect(JSON.parse(byName["amp-us-west-2"].jsonDataEncoded)).toEqual({ httpMethod: "POST", sigV4Auth: true, sigV4AuthType: "ec2_iam_role", sigV4Region: "us-west-2" });
        expect(byName["xray-us-east-1"].type).toBe("grafana-x-ray-datasource");
        expect(JSON.parse(byName["xray-us-east-1"].jsonDataEncoded)).toEqual({ authType: "ec2_iam_role", defaultRegion: "us-east-1" });
        const provider = run.resources.find((r) => r.type === "pulumi:providers:grafana")!;
        expect(ds.every((d) => d.provider?.startsWith(provider.urn))).toBe(true);
    });

    test("dashboards: the generated models in a folder, overwriting", () => {
        const dashboards = run.ofType("grafana:oss/dashboard:Dashboard");
        expect(dashboards.map((d) => JSON.parse(d.inputs.configJson))).toEqual(SPECS.map((s) => dashboardModel(s)));
        expect(dashboards.every((d) => d.inputs.overwrite === true && d.inputs.folder === "scaled-web")).toBe(true);
        expect(run.get("grafana:oss/folder:Folder", "g-folder").inputs).toEqual(expect.objectContaining({ title: "scaled-web", uid: "scaled-web" }));
    });

    test("rejections name the field", () => {
        const bad = validateGrafanaWorkspaceArgs({ ...ARGS, region: "moon", tokenTtlSeconds: MAX_SERVICE_ACCOUNT_TOKEN_SECONDS + 1, dashboards: [SPECS[0], SPECS[0]], xrayRegions: ["x"] });
        expect(bad.list.map((p) => p.propertyPath).sort()).toEqual(["dashboards[1].uid", "region", "tokenTtlSeconds", "xrayRegions[0]"]);
        expect(validateGrafanaWorkspaceArgs({ region: "us-east-1", xrayRegions: [] }).list.map((p) => p.propertyPath)).toEqual(["xrayRegions"]);
    });
});

describe("observability stack config", () => {
    const base = (observability?: unknown): any => ({
        environment: "dev",
        domain: "dev.example.com",
        regions: { "us-east-1": { role: "primary", weight: 100 }, "eu-west-1": { role: "secondary", weight: 0 } },
        ...(observability === undefined ? {} : { observability }),
    });
    const errorOf = (raw: unknown): string => configMessageOf(raw, "test");

    test("defaults: traces on, Grafana off in the primary region with a 30-day token", () => {
        const c = parseConfig(base(), "test");
        expect(c.observability).toEqual({
            prometheus: { enabled: true, scrapeIntervalSeconds: 30, addonVersions: {} },
            traces: { enabled: true },
            grafana: { enabled: false, region: "us-east-1", grafanaVersion: "10.4", tokenTtlSeconds: 2_592_000, tokenRotation: "1" },
        });
    });

    test.each([
        [{ grafana: { tokenTtlSeconds: 2_592_001 } }, /scaled-web:observability\.grafana\.tokenTtlSeconds: .*30 days/],
        [{ grafana: { tokenTtlSeconds: 60 } }, /scaled-web:observability\.grafana\.tokenTtlSeconds: must be at least 3600/],
        [{ grafana: { grafanaVersion: "11.0" } }, /scaled-web:observability\.grafana\.grafanaVersion: must be one of 9\.4, 10\.4, 12\.4/],
        [{ grafana: { region: "ap-south-1" } }, /scaled-web:observability\.grafana\.region: must be one of the stack's regions \(us-east-1, eu-west-1\), got "ap-south-1"/],
        [{ grafana: { tokenRotation: "a b" } }, /scaled-web:observability\.grafana\.tokenRotation: must be 1-32 letters/],
        [{ traces: { collectorReplicas: 0 } }, /scaled-web:observability\.traces\.collectorReplicas: must be 1-10/],
        [{ traces: { enabled: false, collectorReplicas: 2 } }, /scaled-web:observability\.traces\.collectorReplicas: is set \(2\) but traces\.enabled is false/],
        [{ grafana: { enabeld: true } }, /scaled-web:observability\.grafana.*enabeld/],
    ])("%j is refused naming the key", (observability, expected) => {
        expect(errorOf(base(observability))).toMatch(expected);
    });

    test("the OTLP variables are reserved in api.env", () => {
        expect(errorOf({ ...base(), api: { env: { OTEL_SERVICE_NAME: "x" } } })).toMatch(/scaled-web:api\.env\.OTEL_SERVICE_NAME: is set by the program/);
    });
});

describe("the dev stack with Grafana on", () => {
    test("one workspace in the primary region, the region's AMP workspace and X-Ray as data sources, dashboards, and the grafana output", async () => {
        const run = await runStack("dev", { observability: { grafana: { enabled: true } } });
        const ws = run.ofType("aws:grafana/workspace:Workspace");
        expect(ws).toHaveLength(1);
        expect(ws[0].region).toBe("us-east-1");
        expect(run.ofType("grafana:oss/dataSource:DataSource").map((d) => d.inputs.name).sort()).toEqual(["amp-us-east-1", "xray-us-east-1"]);
        // The Prometheus data source points at the monitoring stage's workspace in that region.
        const amp = run.ofType("grafana:oss/dataSource:DataSource").find((d) => d.inputs.name === "amp-us-east-1")!;
        const workspace = run.ofType("aws:amp/workspace:Workspace").find((w) => w.region === "us-east-1")!;
        expect(amp.inputs.url).toContain(workspace.state.prometheusEndpoint.replace(/\/$/, ""));
        expect(run.ofType("grafana:oss/dashboard:Dashboard")).toHaveLength(2);
        expect((run.outputs as any).grafana).toMatchObject({ url: expect.stringMatching(/^https:\/\//) });
    });

    test("prod with Grafana on: no mandatory policy violation, in an update and in a first preview (unknown workspace URL and token)", async () => {
        const mandatory = (r: ReturnType<typeof evaluatePolicies>): string[] =>
            r.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${v.resourceName}: ${v.message}`);
        for (const preview of [false, true]) {
            const run = await runStack("prod", { observability: { grafana: { enabled: true } } }, { preview });
            expect(run.resources.filter((r) => r.type === "aws:grafana/workspace:Workspace")).toHaveLength(1);
            const report = evaluatePolicies(run.resources, { config: loadPolicyConfig("prod"), preview });
            expect(mandatory(report)).toEqual([]);
            expect(report.undecidable).toEqual([]);
        }
    }, 300_000);

    test("off by default: no Grafana resource, no output", async () => {
        const run = await runStack("dev");
        expect(run.resources.filter((r) => /grafana/i.test(r.type))).toEqual([]);
        expect((run.outputs as any).grafana).toBeUndefined();
    });
});
