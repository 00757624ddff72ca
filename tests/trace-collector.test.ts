/**
 * components/trace-collector.ts under the mock runtime: the chart values checked against the pinned chart's own
 * values.schema.json (and a wrong key caught), the collector pipeline, the X-Ray policy (exact), the namespace and
 * its NetworkPolicies (schema-validated and evaluated), the Pod Identity association ordered before the release,
 * argument rejections; and the stacks: a collector per region, the OTLP env on api/ws/worker, the app namespace's
 * egress to the collector.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import * as k8s from "@pulumi/kubernetes";
import { PodIdentityRole } from "../components/pod-identity";
import {
    HEALTH_CHECK_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT, TRACE_COLLECTOR_CHART, TRACE_COLLECTOR_IMAGE, TRACE_COLLECTOR_NAME, TRACE_COLLECTOR_POD_LABELS, TraceCollector,
    collectorConfig, traceCollectorEndpoint, traceCollectorValues, validateTraceCollectorArgs, xrayExporterPolicy,
} from "../components/trace-collector";
import { OTEL_ENV, collectorReplicas, otelEnv } from "../platform/traces";
import { PROGRAM_ENV } from "../platform/config-checks";
import { RegisteredResource, StackRun, runComponent, runStack } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "opentelemetry-collector-0.170.0-values.schema.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const validateValues = ajv.compile(fixture.schema);
/** Helm validates the merged values; the chart's values.yaml supplies `apiVersion` (required), the rest we set. */
const valuesErrors = (values: Record<string, unknown>): string[] =>
    validateValues({ apiVersion: "apps/v1", ...values }) ? [] : (validateValues.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

describe("chart values", () => {
    test("the fixture is the pinned chart's schema", () => {
        expect(fixture.chartVersion).toBe(TRACE_COLLECTOR_CHART.version);
        expect(fixture.source).toContain(`opentelemetry-collector-${TRACE_COLLECTOR_CHART.version}`);
    });

    test("one and two replicas validate against the chart's values.schema.json; a misspelt key or bad mode does not", () => {
        for (const replicas of [1, 2]) {
            expect(valuesErrors(traceCollectorValues({ region: "us-east-1", replicas }))).toEqual([]);
        }
        expect(valuesErrors({ ...traceCollectorValues({ region: "us-east-1" }), replicas: 2 }).join("\n")).toMatch(/additional properties/);
        expect(valuesErrors({ ...traceCollectorValues({ region: "us-east-1" }), mode: "gateway" }).join("\n")).toMatch(/allowed values/);
        expect(valuesErrors({ ...traceCollectorValues({ region: "us-east-1" }), image: { repository: "x", tags: "1" } }).join("\n")).toMatch(/additional properties/);
    });

    test("deployment mode, contrib image, non-root read-only container, OTLP ports only, PDB and spread from 2 replicas", () => {
        const one = traceCollectorValues({ region: "eu-west-1" });
        expect(one).toMatchObject({
            mode: "deployment", fullnameOverride: TRACE_COLLECTOR_NAME, replicaCount: 1,
            image: { repository: "otel/opentelemetry-collector-contrib", tag: TRACE_COLLECTOR_IMAGE.tag },
            serviceAccount: { create: true, name: TRACE_COLLECTOR_NAME },
            podDisruptionBudget: { enabled: false },
            podSecurityContext: { runAsNonRoot: true, runAsUser: 10001 },
            securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
        });
        expect(one.topologySpreadConstraints).toBeUndefined();
        const ports = one.ports as Record<string, { enabled: boolean; containerPort?: number }>;
        expect(Object.entries(ports).filter(([, p]) => p.enabled).map(([k, p]) => [k, p.containerPort])).toEqual([["otlp", 4317], ["otlp-http", 4318]]);
        const two = traceCollectorValues({ region: "eu-west-1", replicas: 2 });
        expect(two).toMatchObject({ replicaCount: 2, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } });
        expect(two.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: TRACE_COLLECTOR_POD_LABELS } })]);
    });

    test("the pipeline: OTLP gRPC+HTTP on the pod IP, memory limiter then batch, awsxray in the region, health check on the probes' port", () => {
        const c = collectorConfig("ap-southeast-2") as any;
        expect(c.receivers.otlp.protocols).toEqual({ grpc: { endpoint: "${env:MY_POD_IP}:4317" }, http: { endpoint: "${env:MY_POD_IP}:4318" } });
        expect(c.exporters).toEqual({ awsxray: { region: "ap-southeast-2", indexed_attributes: ["otel.resource.deployment.environment", "otel.resource.cloud.region"] } });
        expect(c.exporters.awsxray.telemetry).toBeUndefined();
        expect(c.service.pipelines).toEqual({ traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["awsxray"] } });
        expect(c.extensions.health_check.endpoint).toBe(`\${env:MY_POD_IP}:${HEALTH_CHECK_PORT}`);
        expect(c.service.extensions).toEqual(["health_check"]);
        // Every component the pipelines name is configured, and nothing configured is unused.
        const used = [...c.service.pipelines.traces.receivers, ...c.service.pipelines.traces.processors, ...c.service.pipelines.traces.exporters].sort();
        expect([...Object.keys(c.receivers), ...Object.keys(c.processors), ...Object.keys(c.exporters)].sort()).toEqual(used);
    });
});

test("the X-Ray policy is exactly PutTraceSegments (PutTelemetryRecords only with the exporter's telemetry)", () => {
    expect(xrayExporterPolicy()).toEqual({
        Version: "2012-10-17",
        Statement: [{ Sid: "PutTraceSegments", Effect: "Allow", Action: ["xray:PutTraceSegments"], Resource: "*" }],
    });
    expect((xrayExporterPolicy(true) as any).Statement[0].Action).toEqual(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);
});

test("endpoint: the Service's cluster DNS name on the OTLP/HTTP port", () => {
    expect(traceCollectorEndpoint()).toBe("http://otel-collector.observability.svc.cluster.local:4318");
});

describe("TraceCollector", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const k8sProvider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            const role = new PodIdentityRole("otel", { description: "otel", policy: xrayExporterPolicy(), sourceAccount: "123456789012" });
            new TraceCollector("use1-traces", { clusterName: "prod-use1-eks", region: "us-east-1", role, sourceNamespaces: ["scaled-web"], replicas: 2 }, { provider: k8sProvider });
            return {};
        });
    });

    test("every Kubernetes object validates against its schema", () => {
        const report = assertKubernetesSchemas(run.resources);
        expect(report.validated.length).toBe(4);
    });

    test("the release: pinned chart, its namespace, our values, after the Pod Identity association", () => {
        const release = run.get(RELEASE, "use1-traces-release");
        expect(release.inputs).toMatchObject({ name: "otel-collector", chart: "opentelemetry-collector", version: "0.170.0", namespace: "observability", atomic: true });
        expect(release.inputs.repositoryOpts).toEqual({ repo: "https://open-telemetry.github.io/opentelemetry-helm-charts" });
        expect(release.inputs.values).toMatchObject({ replicaCount: 2, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } });
        expect(valuesErrors(release.inputs.values)).toEqual([]);
        const association = run.ofType(ASSOCIATION)[0];
        expect(association.inputs).toMatchObject({ clusterName: "prod-use1-eks", namespace: "observability", serviceAccount: "otel-collector" });
        expect(release.dependencies).toContain(association.urn);
    });

    test("namespace: restricted Pod Security; network: default deny, OTLP in from the app namespace only, egress DNS/443/agent", () => {
        const ns = run.ofType("kubernetes:core/v1:Namespace")[0];
        expect(ns.inputs.metadata).toMatchObject({ name: "observability", labels: { "pod-security.kubernetes.io/enforce": "restricted" } });
        const policies = run.ofType(POLICY);
        expect(policies.map((p) => p.inputs.metadata.name).sort()).toEqual(["allow-egress", "allow-otlp-ingress", "default-deny"]);
        expect(policies.every((p) => p.inputs.metadata.namespace === "observability")).toBe(true);
        const ingress = policies.find((p) => p.inputs.metadata.name === "allow-otlp-ingress")!.inputs.spec;
        expect(ingress).toEqual({
            podSelector: { matchLabels: TRACE_COLLECTOR_POD_LABELS },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "scaled-web" } } }], ports: [{ protocol: "TCP", port: 4317 }, { protocol: "TCP", port: 4318 }] }],
        });
        const egress = policies.find((p) => p.inputs.metadata.name === "allow-egress")!.inputs.spec;
        const ports = egress.egress.map((r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`).join(",")).sort();
        expect(ports).toEqual(["TCP/443", "TCP/80", "UDP/53,TCP/53"]);
        expect(egress.egress.find((r: any) => r.ports[0].port === 80).to).toEqual([{ ipBlock: { cidr: "169.254.170.23/32" } }]);
    });
});

test("argument rejections name the field", () => {
    const role = {} as PodIdentityRole;
    const base = { clusterName: "c", region: "us-east-1", role, sourceNamespaces: ["app"] };
    expect(validateTraceCollectorArgs(base).count).toBe(0);
    const bad = validateTraceCollectorArgs({ ...base, region: "mars-1", replicas: 0, namespace: "Observability", sourceNamespaces: [], resources: { requests: { cpu: "lots", memory: "128Mi" }, limits: { memory: "256Mi" } } });
    expect(bad.list.map((p) => p.propertyPath).sort()).toEqual(["namespace", "region", "replicas", "resources.requests.cpu", "sourceNamespaces"]);
});

describe("the stacks", () => {
    const envOf = (d: RegisteredResource): Record<string, string> => Object.fromEntries((d.inputs.spec.template.spec.containers[0].env ?? []).map((e: any) => [e.name, e.value]));

    test("dev: one collector per region (1 replica, no PDB), its role is PutTraceSegments only, api/ws/worker carry the OTLP contract", async () => {
        const run = await runStack("dev");
        const releases = run.ofType(RELEASE).filter((r) => r.inputs.chart === "opentelemetry-collector");
        expect(releases.map((r) => r.name)).toEqual(["dev-use1-traces-release"]);
        expect(releases[0].inputs.values).toMatchObject({ replicaCount: 1, podDisruptionBudget: { enabled: false }, nodeSelector: { "node-type": "on-demand" } });
        expect(releases[0].inputs.values.alternateConfig.exporters.awsxray.region).toBe("us-east-1");
        const policy = run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "dev-otel-collector")!;
        expect(JSON.parse(policy.inputs.policy)).toEqual(xrayExporterPolicy());
        const deployments = run.ofType("kubernetes:apps/v1:Deployment");
        const byApp = (name: string): RegisteredResource => deployments.find((d) => d.name === name)!;
        for (const [name, service] of [["dev-use1-api-deploy", "api"], ["dev-use1-ws-deploy", "ws"]] as const) {
            expect(envOf(byApp(name))).toMatchObject({
                OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.observability.svc.cluster.local:4318",
                OTEL_SERVICE_NAME: service,
                OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=dev,cloud.region=us-east-1,cloud.provider=aws,cloud.platform=aws_eks",
            });
        }
        const workers = deployments.filter((d) => envOf(d).APP_ROLE === "worker");
        expect(workers.length).toBeGreaterThan(0);
        for (const w of workers) {
            expect(envOf(w)).toMatchObject({ OTEL_SERVICE_NAME: "worker", OTEL_EXPORTER_OTLP_ENDPOINT: traceCollectorEndpoint() });
        }
        // The app namespace may reach the collector pods on the OTLP ports, and nothing else in observability.
        const appEgress = run.ofType(POLICY).find((p) => p.inputs.metadata.name === "allow-egress" && p.inputs.metadata.namespace === "scaled-web")!;
        const toCollector = appEgress.inputs.spec.egress.filter((r: any) => r.to.some((t: any) => t.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "observability"));
        expect(toCollector).toEqual([{
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: TRACE_COLLECTOR_POD_LABELS } }],
            ports: [{ protocol: "TCP", port: OTLP_GRPC_PORT }, { protocol: "TCP", port: OTLP_HTTP_PORT }],
        }]);
    });

    test("prod: 2 collector replicas with a PodDisruptionBudget in every region", async () => {
        const run = await runStack("prod");
        const releases = run.ofType(RELEASE).filter((r) => r.inputs.chart === "opentelemetry-collector");
        expect(releases.length).toBeGreaterThanOrEqual(2);
        for (const r of releases) {
            expect(r.inputs.values).toMatchObject({ replicaCount: 2, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } });
            expect(valuesErrors(r.inputs.values)).toEqual([]);
        }
    });

    test("traces off: no collector, no OTLP env, no egress rule", async () => {
        const run = await runStack("dev", { observability: { traces: { enabled: false } } });
        expect(run.ofType(RELEASE).filter((r) => r.inputs.chart === "opentelemetry-collector")).toEqual([]);
        const api = run.get("kubernetes:apps/v1:Deployment", "dev-use1-api-deploy");
        expect(Object.keys(envOf(api)).filter((k) => k.startsWith("OTEL_"))).toEqual([]);
        expect(run.ofType(POLICY).some((p) => JSON.stringify(p.inputs.spec).includes("observability"))).toBe(false);
    });
});

test("the OTLP names are reserved in api/ws env and collectorReplicas follows the environment", () => {
    for (const name of OTEL_ENV) {
        expect(PROGRAM_ENV.api).toContain(name);
        expect(PROGRAM_ENV.ws).toContain(name);
    }
    const traces = (collectorReplicasOverride?: number) => ({ prometheus: {} as any, traces: { enabled: true, collectorReplicas: collectorReplicasOverride }, grafana: {} as any });
    expect(collectorReplicas({ environment: "prod", observability: traces() })).toBe(2);
    expect(collectorReplicas({ environment: "dev", observability: traces() })).toBe(1);
    expect(collectorReplicas({ environment: "dev", observability: traces(3) })).toBe(3);
    expect(otelEnv({ environment: "dev", observability: { prometheus: {} as any, traces: { enabled: false }, grafana: {} as any } }, "us-east-1", "api")).toEqual({});
});
