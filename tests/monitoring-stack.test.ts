/**
 * issue 19 item 3a: `observability.prometheus` in the stack config and the monitoring stage in the stacks.
 */
import { parse } from "yaml";
import { ConfigError, parseConfig } from "../platform/config";
import { configErrorOf, minimalProdConfig } from "./config-fixtures";
import { DEFAULT_METRICS_ADDON_VERSIONS } from "../components/managed-prometheus";
import { APP_METRICS_PORT, APP_METRICS_PORT_NAME } from "../components/app-metrics";
import { RegionalDeployment } from "../components/regional-deployment";
import { WorkerPool } from "../components/worker-pool";
import { StackRun, runStack } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readSettings } = require("../app/src/settings.js");

const base = minimalProdConfig;

const errorOf = (raw: unknown): ConfigError => configErrorOf(raw, "prod");

describe("observability.prometheus config", () => {
    test("defaults: on, 30 s scrapes, AMP's own retention, the pinned add-on versions", () => {
        const c = parseConfig(base(), "prod");
        expect(c.observability.prometheus).toEqual({ enabled: true, scrapeIntervalSeconds: 30, addonVersions: {} });
    });

    test("values pass through", () => {
        const raw = base();
        raw.observability = { prometheus: { enabled: false, scrapeIntervalSeconds: 60, retentionDays: 400, addonVersions: { "kube-state-metrics": "v2.16.0-eksbuild.1" } } };
        expect(parseConfig(raw, "prod").observability.prometheus).toEqual(raw.observability.prometheus);
    });

    test.each<[string, Record<string, unknown>, RegExp]>([
        ["a scrape interval under the AMP minimum", { scrapeIntervalSeconds: 15 }, /scaled-web:observability\.prometheus\.scrapeIntervalSeconds: must be at least 30 \(the AMP managed collector minimum\)/],
        ["a fractional scrape interval", { scrapeIntervalSeconds: 30.5 }, /scaled-web:observability\.prometheus\.scrapeIntervalSeconds: must be a whole number of seconds/],
        ["a retention above the AMP maximum", { retentionDays: 2000 }, /scaled-web:observability\.prometheus\.retentionDays: must be at most 1095 \(the AMP maximum\)/],
        ["a zero retention", { retentionDays: 0 }, /scaled-web:observability\.prometheus\.retentionDays: must be >= 1/],
        ["an add-on version without eksbuild", { addonVersions: { "prometheus-node-exporter": "1.9.1" } }, /scaled-web:observability\.prometheus\.addonVersions\.prometheus-node-exporter: must be an EKS add-on version/],
        ["an unknown add-on", { addonVersions: { grafana: "v1.0.0-eksbuild.1" } }, /scaled-web:observability\.prometheus\.addonVersions/],
        ["an unknown key", { scrapeInterval: 30 }, /scaled-web:observability\.prometheus/],
        ["enabled as a string", { enabled: "yes" }, /scaled-web:observability\.prometheus\.enabled/],
    ])("rejects %s, naming the key", (_label, prometheus, expected) => {
        const raw = base();
        raw.observability = { prometheus };
        const err = errorOf(raw);
        expect(err.message).toMatch(expected);
        expect(err.issues.every((i) => i.path.startsWith("observability.prometheus"))).toBe(true);
    });
});

describe("monitoring in the prod stack", () => {
    let prod: StackRun;
    beforeAll(async () => {
        prod = await runStack("prod");
    }, 240_000);

    test("one workspace, scraper, rule namespace and alert manager per region, through the region's provider", () => {
        for (const type of ["aws:amp/workspace:Workspace", "aws:amp/scraper:Scraper", "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "aws:amp/alertManagerDefinition:AlertManagerDefinition"]) {
            expect(prod.ofType(type).map((r) => [r.name, r.region]).sort()).toEqual([["prod-use1-amp", "us-east-1"], ["prod-usw2-amp", "us-west-2"]]);
        }
    });

    test("the alert manager publishes to the same region's warning and critical topics, whose policies admit aps.amazonaws.com", () => {
        for (const [prefix, region] of [["prod-use1", "us-east-1"], ["prod-usw2", "us-west-2"]]) {
            const def = parse(parse(prod.get("aws:amp/alertManagerDefinition:AlertManagerDefinition", `${prefix}-amp`).inputs.definition).alertmanager_config);
            const topicArn = (level: string): string => prod.get("aws:sns/topic:Topic", `${prefix}-obs-${level}`).state.arn;
            for (const level of ["warning", "critical"]) {
                const receiver = def.receivers.find((r: any) => r.name === level);
                expect(receiver.sns_configs[0]).toMatchObject({ topic_arn: topicArn(level), sigv4: { region } });
                const policy = JSON.parse(prod.get("aws:sns/topicPolicy:TopicPolicy", `${prefix}-obs-${level}`).inputs.policy);
                expect(policy.Statement.find((s: any) => s.Principal?.Service === "aps.amazonaws.com").Condition.ArnLike["aws:SourceArn"])
                    .toBe(`arn:aws:aps:${region}:123456789012:workspace/*`.replace("123456789012", topicArn(level).split(":")[4]));
            }
        }
    });

    test("the scraper reads its own region's cluster from the private subnets, and the add-ons are pinned", () => {
        const scraper = prod.get("aws:amp/scraper:Scraper", "prod-use1-amp");
        const cluster = prod.get("aws:eks/cluster:Cluster", "prod-use1-eks-cluster");
        expect(scraper.inputs.source.eks.clusterArn).toBe(cluster.state.arn);
        expect(scraper.inputs.source.eks.subnetIds).toHaveLength(3);
        const addons = prod.ofType("aws:eks/addon:Addon").filter((a) => a.name.startsWith("prod-use1-amp-"));
        expect(Object.fromEntries(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion]))).toEqual(DEFAULT_METRICS_ADDON_VERSIONS);
    });

    test("the workspace endpoints are stack outputs", () => {
        const out = prod.outputs.regions["us-east-1"].prometheus;
        expect(out?.prometheusEndpoint).toMatch(/^https:\/\/aps-workspaces\.us-east-1\.amazonaws\.com\/workspaces\/.+\/$/);
        expect(out?.workspaceId).toBeDefined();
    });

    test("api, ws and every worker declare the metrics port (named as the scraper keeps it) and get METRICS_PORT; schema-valid", () => {
        const deployments = prod.ofType("kubernetes:apps/v1:Deployment").filter((d) => d.name.startsWith("prod-use1-") && /-(api-deploy|ws-deploy|workers-[a-z-]+)$/.test(d.name));
        expect(deployments).toHaveLength(5);
        for (const d of deployments) {
            const c = d.inputs.spec.template.spec.containers[0];
            expect({ name: d.name, port: c.ports.find((p: any) => p.name === APP_METRICS_PORT_NAME) }).toEqual({ name: d.name, port: { name: "metrics", containerPort: APP_METRICS_PORT, protocol: "TCP" } });
            expect(c.env).toContainEqual({ name: "METRICS_PORT", value: String(APP_METRICS_PORT) });
        }
        assertKubernetesSchemas(deployments);
        // The app accepts what the pods get (settings of the api with the platform's ports).
        const api = deployments.find((d) => d.name === "prod-use1-api-deploy")!.inputs.spec.template.spec.containers[0];
        const env = Object.fromEntries(api.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        expect(readSettings({ ...env, DATABASE_URL: "postgresql://app@h:5432/app" }).metricsPort).toBe(APP_METRICS_PORT);
    });

    test("KEDA's operator exposes its metrics port for the scraper", () => {
        const kedas = prod.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.name === "keda");
        expect(kedas).toHaveLength(2);
        for (const keda of kedas) {
            expect(keda.inputs.values.prometheus).toEqual({ operator: { enabled: true } });
        }
    });
});

describe("monitoring switched off", () => {
    test("no AMP resource, no metrics NetworkPolicy, no output", async () => {
        const dev = await runStack("dev", { observability: { prometheus: { enabled: false } } });
        expect(dev.resources.filter((r) => r.type.startsWith("aws:amp/"))).toEqual([]);
        expect(dev.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").some((r) => r.inputs.metadata.name === "allow-metrics-scrape")).toBe(false);
        for (const d of dev.ofType("kubernetes:apps/v1:Deployment")) {
            for (const c of d.inputs.spec.template.spec.containers) {
                expect((c.env ?? []).some((e: any) => e.name === "METRICS_PORT")).toBe(false);
                expect((c.ports ?? []).some((p: any) => p.name === APP_METRICS_PORT_NAME)).toBe(false);
            }
        }
        for (const region of Object.values(dev.outputs.regions)) {
            expect(region.prometheus).toBeUndefined();
        }
    }, 240_000);
});

describe("metricsPort on the workload components", () => {
    test("RegionalDeployment refuses a metrics port equal to the traffic port or below 1024", () => {
        const base = { app: "api", namespace: "scaled-web", image: "registry.example.com/api:1.0.0", containerPort: 3000, minReplicas: 1, maxReplicas: 2 } as any;
        expect(() => new RegionalDeployment("d", { ...base, metricsPort: 3000 })).toThrow(/metricsPort: must differ from containerPort \(3000\)/);
        expect(() => new RegionalDeployment("d", { ...base, metricsPort: 80 })).toThrow(/metricsPort/);
    });

    test("WorkerPool refuses a privileged metrics port", () => {
        expect(() => new WorkerPool("w", { namespace: "scaled-web", image: "registry.example.com/w:1.0.0", metricsPort: 443,
            queues: { q: { minReplicas: 1, maxReplicas: 2, threshold: 10, concurrency: 1 } }, queueStore: { secretName: "s", addressKey: "a", passwordKey: "p" } } as any))
            .toThrow(/metricsPort: must be a whole number from 1024 to 65535/);
    });
});
