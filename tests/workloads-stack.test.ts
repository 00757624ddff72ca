import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import { EXTERNAL_SECRETS_CHART } from "../components/external-secrets";
import { PodIdentityRole } from "../components/pod-identity";
import { PlatformConfig, parseConfig } from "../platform/config";
import { ComputeRegion, DataRegion, EdgeRegion, ImageSupply } from "../platform/contracts";
import { wireIdentity } from "../platform/identity";
import { RegionContext, regionCode } from "../platform/program";
import {
    cacheUrlVariable,
    pickPurpose,
    workloadSecretKeys,
    postgresUrl,
    redisConnection,
    wireWorkloads,
} from "../platform/workloads";
import { RegisteredResource, StackRun, runComponent, runStack } from "./harness";
import { assertKubernetesSchemas, kubernetesResources } from "./k8s-schema";

/** Prod's config as `parseConfig` sees it (Pulumi.prod.yaml without the project prefix). */
function prodConfig(): PlatformConfig {
    const doc = YAML.parse(fs.readFileSync(path.resolve(__dirname, "..", "Pulumi.prod.yaml"), "utf8"));
    const raw = Object.fromEntries(Object.entries<unknown>(doc.config).map(([k, v]) => [k.replace(/^scaled-web:/, ""), v]));
    return parseConfig(raw, "prod");
}

const isWorkload = (r: RegisteredResource): boolean => r.type === "kubernetes:apps/v1:Deployment";
const podSpec = (r: RegisteredResource): any => r.inputs.spec.template.spec;
const toleratesSpot = (r: RegisteredResource): boolean =>
    (podSpec(r).tolerations ?? []).some((t: any) => t.key === "spot" && (t.operator === "Exists" || t.value === "true"));
/** Kubernetes objects whose inputs must never carry a credential (everything but Secrets). */
const nonSecretObjects = (resources: readonly RegisteredResource[]): RegisteredResource[] =>
    kubernetesResources(resources).filter((r) => r.type !== "kubernetes:core/v1:Secret");

describe("workloads helpers", () => {
    test("postgresUrl without a password (IAM authentication) names only the user", () => {
        expect(postgresUrl("app", undefined, "writer.db.internal:5432", "app")).toBe("postgresql://app@writer.db.internal:5432/app?sslmode=require");
        expect(new URL(postgresUrl("app", undefined, "w:5432", "app")).password).toBe("");
    });

    test("each workload's Secret holds only what its role reads: ws no queue, workers no session store", () => {
        const keys = workloadSecretKeys("queue", "sessions");
        expect(keys).toEqual({
            "api-secrets": { QUEUE_REDIS_URL: { purpose: "queue", property: "url" } },
            "ws-secrets": { SOCKET_IO_REDIS_URL: { purpose: "sessions", property: "url" } },
            "worker-secrets": { QUEUE_REDIS_URL: { purpose: "queue", property: "url" } },
            "queue-metrics-secrets": { QUEUE_REDIS_URL: { purpose: "queue", property: "url" } },
            "queue-scaler-auth": { address: { purpose: "queue", property: "address" }, password: { purpose: "queue", property: "password" } },
        });
    });

    test.each([
        ["app", "pw", "db.internal:5432", "app", "postgresql://app:pw@db.internal:5432/app?sslmode=require"],
        ["app", "p@ss/word:+%", "w:5432", "app", "postgresql://app:p%40ss%2Fword%3A%2B%25@w:5432/app?sslmode=require"],
    ])("postgresUrl(%s, %s, %s, %s)", (user, pw, endpoint, db, url) => {
        expect(postgresUrl(user, pw, endpoint, db)).toBe(url);
        expect(new URL(url).password).toBe(encodeURIComponent(pw));
    });

    test.each([
        ["cache", "VALKEY_CACHE_URL"],
        ["sessions", "VALKEY_SESSIONS_URL"],
        ["rate-limit", "VALKEY_RATE_LIMIT_URL"],
    ])("cache purpose %s is exposed as %s", (purpose, variable) => {
        expect(cacheUrlVariable(purpose)).toBe(variable);
    });

    test.each<[string[], string]>([
        [["cache", "queue", "sessions"], "sessions"],
        [["cache", "queue"], "cache"],
        [["jobs"], "jobs"],
    ])("the WebSocket adapter uses %j -> %s", (available, chosen) => {
        expect(pickPurpose(available, ["sessions", "cache"], "the WebSocket adapter")).toBe(chosen);
    });

    test("no cache at all is a clear error", () => {
        expect(() => pickPurpose([], ["queue", "cache"], "the queue workers")).toThrow(/the data stage gave no cache URL; the queue workers needs one of the purposes queue, cache/);
    });

    test.each([
        ["rediss://:t%2Fk@h.example:6380", { address: "h.example:6380", password: "t/k", tls: true }],
        ["redis://:tok@h.example", { address: "h.example:6379", password: "tok", tls: false }],
    ])("redisConnection(%s)", (url, expected) => {
        expect(redisConnection(url)).toEqual(expected);
    });

    test("a cache URL of another scheme is rejected", () => {
        expect(() => redisConnection("https://h.example")).toThrow(/must use redis:\/\/ or rediss:\/\//);
    });
});

describe("wireWorkloads with stand-in compute, data and images (us-west-2 of prod)", () => {
    const TOKENS = { cache: "tok-cache-0001", queue: "tok-queue-0002", sessions: "tok-sessions-0003" };
    const TG = (svc: string): string => `arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/prod-usw2-edge-${svc}/0123456789abcdef`;
    let run: StackRun<unknown>;
    let provider: RegisteredResource;

    beforeAll(async () => {
        const config = prodConfig();
        run = await runComponent(() => {
            const region = config.regions.find((r) => r.name === "us-west-2")!;
            const awsProvider = new aws.Provider("standin-aws", { region: "us-west-2" });
            const ctx = { config, region, prefix: "prod-usw2", provider: awsProvider } as unknown as RegionContext; // network unused here
            const compute = {
                clusterName: pulumi.output("prod-usw2-eks"),
                k8sProvider: new k8s.Provider("standin-k8s", { kubeconfig: "{}" }),
                // A custom resource standing in for the controller's Helm release (dependencies on it are recorded as is).
                loadBalancerController: new aws.cloudwatch.LogGroup("standin-lbc", {}, { provider: awsProvider }),
            } as unknown as ComputeRegion;
            const edge = {
                targetGroupArns: { api: pulumi.output(TG("api")), ws: pulumi.output(TG("ws")) },
                loadBalancerArnSuffix: pulumi.output("app/prod-usw2/50dc6c495c0c9188"),
                targetGroupArnSuffixes: { api: pulumi.output("targetgroup/api/0123456789abcdef"), ws: pulumi.output("targetgroup/ws/0123456789abcdef") },
            } as unknown as EdgeRegion;
            const role = (name: string): PodIdentityRole => new PodIdentityRole(name, { description: name, policy: { Version: "2012-10-17", Statement: [] }, sourceAccount: "123456789012" });
            const data: DataRegion = {
                writerEndpoint: pulumi.output("writer.db.example:5432"),
                readerEndpoint: pulumi.output("reader.db.example:5432"),
                databaseName: "app",
                databaseUser: "app_user",
                cacheSecretNames: Object.fromEntries(Object.keys(TOKENS).map((p) => [p, pulumi.output(`scaled-web/prod/cache-${p}`)])),
                cacheTls: Object.fromEntries(Object.keys(TOKENS).map((p) => [p, pulumi.output(true)])),
                identity: { externalSecrets: role("standin-eso") },
                databaseInstanceIds: [],
                replicaInstanceIds: [],
                cacheReplicationGroupIds: {},
                maxConnections: 200,
            };
            const images: ImageSupply = { imageFor: (s, r) => pulumi.output(`123456789012.dkr.ecr.${r}.amazonaws.com/scaled-web/${s}:1.0.0`) };
            wireWorkloads(ctx, compute, data, images, edge, wireIdentity(config, awsProvider));
            return {};
        });
        provider = run.get("pulumi:providers:kubernetes", "standin-k8s");
    });

    // Namespace, ConfigMap, 4 ServiceAccounts (api/ws/worker/queue-metrics), 2 TriggerAuthentications (api/ws), 2 Services,
    // 2 TargetGroupBindings, Deployments, ScaledObjects, PDBs, the ESO release, its store and ExternalSecrets.
    const WORKLOAD_OBJECTS = 33;

    test("every Kubernetes object goes through the region's k8s provider", () => {
        const objects = kubernetesResources(run.resources);
        // The ServiceAccounts of api/ws/worker, the api/ws TargetGroupBindings and the ExternalSecrets objects included.
        expect(objects.length).toBe(WORKLOAD_OBJECTS);
        for (const r of objects) {
            expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
        }
    });

    test("every Kubernetes object sits under a component (nothing floats at the stack root)", () => {
        for (const r of kubernetesResources(run.resources)) {
            expect(run.parentOf(r)?.type).toMatch(/^scaled-web:workloads:(AppNamespace|RegionalDeployment|WorkerPool|QueueMetricsPublisher|ExternalSecretsOperator|SecretsManagerStore)$/);
        }
    });

    test("Pulumi creates no Kubernetes Secret: every Secret comes from Secrets Manager through ESO", () => {
        expect(run.ofType("kubernetes:core/v1:Secret")).toEqual([]);
        for (const r of kubernetesResources(run.resources)) {
            const text = JSON.stringify(r.inputs);
            for (const t of Object.values(TOKENS)) {
                expect(text).not.toContain(t);
            }
            expect(r.secretInputs).toEqual([]);
        }
    });

    test("one ExternalSecret per workload, each with only the keys that workload reads, from this region's store", () => {
        const es = (name: string): any => run.get("kubernetes:external-secrets.io/v1:ExternalSecret", `prod-usw2-secrets-${name}`).inputs;
        const refs = (name: string): Record<string, unknown> => Object.fromEntries(es(name).spec.data.map((d: any) => [d.secretKey, d.remoteRef]));
        const queueUrl = { key: "scaled-web/prod/cache-queue", property: "url" };
        expect(refs("api-secrets")).toEqual({ QUEUE_REDIS_URL: queueUrl });
        expect(refs("ws-secrets")).toEqual({ SOCKET_IO_REDIS_URL: { key: "scaled-web/prod/cache-sessions", property: "url" } });
        expect(refs("worker-secrets")).toEqual({ QUEUE_REDIS_URL: queueUrl });
        expect(refs("queue-metrics-secrets")).toEqual({ QUEUE_REDIS_URL: queueUrl });
        expect(refs("queue-scaler-auth")).toEqual({
            address: { key: "scaled-web/prod/cache-queue", property: "address" },
            password: { key: "scaled-web/prod/cache-queue", property: "password" },
        });
        // ws never sees the queue store, the workers never see the session store.
        expect(JSON.stringify(es("ws-secrets"))).not.toContain("cache-queue");
        for (const name of ["worker-secrets", "queue-metrics-secrets", "queue-scaler-auth", "api-secrets"]) {
            expect(JSON.stringify(es(name))).not.toContain("cache-sessions");
        }
        for (const name of ["api-secrets", "ws-secrets", "worker-secrets", "queue-metrics-secrets", "queue-scaler-auth"]) {
            expect(es(name).metadata).toMatchObject({ name, namespace: "scaled-web" });
            expect(es(name).spec).toMatchObject({ secretStoreRef: { name: "aws-secrets-manager", kind: "SecretStore" }, target: { name, creationPolicy: "Owner" } });
        }
        const store = run.get("kubernetes:external-secrets.io/v1:SecretStore", "prod-usw2-secrets-store").inputs;
        // The region's own Secrets Manager, the controller's Pod Identity credentials (no auth block).
        expect(store.spec).toEqual({ provider: { aws: { service: "SecretsManager", region: "us-west-2" } } });
    });

    test("ESO: the pinned chart, its controller bound to the stack's role by Pod Identity before it starts", () => {
        const release = run.get("kubernetes:helm.sh/v3:Release", "prod-usw2-eso-eso");
        expect(release.inputs).toMatchObject({
            chart: EXTERNAL_SECRETS_CHART.chart, version: "0.19.2", repositoryOpts: { repo: "https://charts.external-secrets.io" }, namespace: "external-secrets",
        });
        expect(release.inputs.values).toMatchObject({ installCRDs: true, serviceAccount: { name: "external-secrets" }, processClusterStore: false, processClusterExternalSecret: false, processPushSecret: false });
        const assoc = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "standin-eso-prod-usw2-eso-controller");
        expect(assoc.inputs).toMatchObject({ clusterName: "prod-usw2-eks", namespace: "external-secrets", serviceAccount: "external-secrets" });
        expect(assoc.region).toBe("us-west-2");
        expect(release.dependencies).toContain(assoc.urn);
        // The store waits for the chart (its CRDs); each ExternalSecret names the store, so it comes after it.
        const store = run.get("kubernetes:external-secrets.io/v1:SecretStore", "prod-usw2-secrets-store");
        expect(store.dependencies).toContain(release.urn);
        const externalSecrets = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret");
        expect(externalSecrets).toHaveLength(5);
        for (const cr of externalSecrets) {
            expect([cr.name, cr.dependencies.includes(store.urn)]).toEqual([cr.name, true]);
        }
    });

    test("the api runs as its own ServiceAccount, bound to the stack's api role (which may connect to the database)", () => {
        const api = podSpec(run.get("kubernetes:apps/v1:Deployment", "prod-usw2-api-deploy"));
        expect(api.serviceAccountName).toBe("api");
        const sa = run.get("kubernetes:core/v1:ServiceAccount", "prod-usw2-api-sa").inputs;
        expect(sa).toMatchObject({ metadata: { name: "api", namespace: "scaled-web" }, automountServiceAccountToken: false });
        const assoc = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "prod-app-api-prod-usw2-api");
        expect(assoc.inputs).toMatchObject({ clusterName: "prod-usw2-eks", namespace: "scaled-web", serviceAccount: "api" });
        // One association per service account (EKS allows no second one): ws and the workers run as their own accounts.
        expect(run.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").filter((a) => a.inputs.serviceAccount === "api")).toHaveLength(1);
        expect(podSpec(run.get("kubernetes:apps/v1:Deployment", "prod-usw2-ws-deploy")).serviceAccountName).toBe("ws");
        expect(podSpec(run.get("kubernetes:apps/v1:Deployment", "prod-usw2-workers-analytics")).serviceAccountName).toBe("worker");
        // A secondary region gets no bootstrap Job: the role is created once, on the primary.
        expect(run.ofType("kubernetes:batch/v1:Job")).toEqual([]);
    });

    test("non-secret settings go to the ConfigMap, the database URLs without any password", () => {
        const cm = run.get("kubernetes:core/v1:ConfigMap", "prod-usw2-env-app-config");
        expect(cm.secretInputs).toEqual([]);
        expect(cm.inputs.data).toMatchObject({
            AWS_REGION: "us-west-2",
            REGION_ROLE: "secondary",
            DATABASE_NAME: "app",
            DATABASE_WRITER_ENDPOINT: "writer.db.example:5432",
            DATABASE_URL: "postgresql://app_user@writer.db.example:5432/app?sslmode=require",
            DATABASE_REPLICA_URL: "postgresql://app_user@reader.db.example:5432/app?sslmode=require",
            DATABASE_AUTH: "iam",
            PUBLIC_API_URL: "https://api.scaled-web.example.com",
            // Producers (api/ws) enqueue with the prefix the workers, KEDA and the publisher use.
            QUEUE_PREFIX: "bull",
        });
        expect(cm.inputs.data.DATABASE_PASSWORD).toBeUndefined();
    });

    test("each container reads the ConfigMap and its own workload Secret only", () => {
        const envFrom = (type: string, name: string): unknown => podSpec(run.get(type, name)).containers[0].envFrom;
        const D = "kubernetes:apps/v1:Deployment";
        const expected = (secret: string): unknown => [{ configMapRef: { name: "app-config" } }, { secretRef: { name: secret } }];
        expect(envFrom(D, "prod-usw2-api-deploy")).toEqual(expected("api-secrets"));
        expect(envFrom(D, "prod-usw2-ws-deploy")).toEqual(expected("ws-secrets"));
        for (const queue of ["sla-checks", "notifications", "analytics"]) {
            expect(envFrom(D, `prod-usw2-workers-${queue}`)).toEqual(expected("worker-secrets"));
        }
        expect(envFrom(D, "prod-usw2-queue-metrics-deployment")).toEqual(expected("queue-metrics-secrets"));
        // No secretKeyRef anywhere: nothing points into another workload's Secret.
        for (const d of run.ofType(D)) {
            for (const e of podSpec(d).containers[0].env ?? []) {
                expect(e.valueFrom).toBeUndefined();
            }
        }
        const auth = run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "prod-usw2-workers-queue-auth").inputs;
        expect(JSON.stringify(auth.spec)).toContain("queue-scaler-auth");
    });

    test("each container names its reference-app role", () => {
        const container = (name: string): any => podSpec(run.get("kubernetes:apps/v1:Deployment", name)).containers[0];
        const plain = (name: string): Record<string, string> =>
            Object.fromEntries(container(name).env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        expect(plain("prod-usw2-api-deploy")).toMatchObject({ APP_ROLE: "api", PORT: "3000", HEALTH_PATH: "/health", QUEUE_NAMES: "sla-checks,notifications,analytics" });
        // The producers' prefix comes from the ConfigMap (envFrom), the one the workers and KEDA use; no override.
        expect(plain("prod-usw2-api-deploy").QUEUE_PREFIX).toBeUndefined();
        // The ALB routes edge.wsHealthCheckPath to ws unchanged (Route53 check of ws.<domain>): the app answers it.
        expect(plain("prod-usw2-ws-deploy")).toMatchObject({ APP_ROLE: "ws", PORT: "3001", HEALTH_PATH: "/health", PROBE_PATH: "/ws/health" });
        for (const queue of ["sla-checks", "notifications", "analytics"]) {
            expect(plain(`prod-usw2-workers-${queue}`)).toMatchObject({ APP_ROLE: "worker", QUEUE_NAME: queue, QUEUE_PREFIX: "bull" });
        }
    });

    test("each service runs its own region-local image", () => {
        const image = (name: string): string => podSpec(run.get("kubernetes:apps/v1:Deployment", name)).containers[0].image;
        expect(image("prod-usw2-api-deploy")).toBe("123456789012.dkr.ecr.us-west-2.amazonaws.com/scaled-web/api:1.0.0");
        expect(image("prod-usw2-ws-deploy")).toBe("123456789012.dkr.ecr.us-west-2.amazonaws.com/scaled-web/ws:1.0.0");
        expect(image("prod-usw2-workers-analytics")).toBe("123456789012.dkr.ecr.us-west-2.amazonaws.com/scaled-web/worker:1.0.0");
    });

    test("KEDA uses TLS and the plain redis scaler on the single-shard queue store", () => {
        const so = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "prod-usw2-workers-sla-checks-scaler");
        expect(so.inputs.spec.triggers[0]).toMatchObject({ type: "redis", metadata: { enableTLS: "true", listName: "bull:sla-checks:wait" } });
        expect(so.inputs.spec.triggers[1]).toMatchObject({ type: "redis", metadata: { enableTLS: "true", listName: "bull:sla-checks:prioritized" } });
        expect(so.secretInputs).toEqual([]);
    });

    test("the queue-metrics publisher: worker image in its role, every queue, the alarms' namespace, the stack's Pod Identity role", () => {
        const d = run.get("kubernetes:apps/v1:Deployment", "prod-usw2-queue-metrics-deployment").inputs;
        expect(d.metadata).toMatchObject({ name: "queue-metrics", namespace: "scaled-web" });
        expect(d.spec.replicas).toBe(1);
        const pod = d.spec.template.spec;
        expect(pod.serviceAccountName).toBe("queue-metrics");
        expect(pod.nodeSelector).toEqual({ "node-type": "on-demand" });
        const c = pod.containers[0];
        expect(c.image).toBe("123456789012.dkr.ecr.us-west-2.amazonaws.com/scaled-web/worker:1.0.0");
        expect(c.env).toEqual(expect.arrayContaining([
            { name: "APP_ROLE", value: "queue-metrics" },
            { name: "QUEUE_NAMES", value: Object.keys(prodConfig().workers.queues).join(",") },
            { name: "QUEUE_PREFIX", value: "bull" },
            { name: "METRICS_NAMESPACE", value: DEFAULT_QUEUE_DEPTH_METRIC.namespace },
            { name: "AWS_REGION", value: "us-west-2" },
        ]));
        const sa = run.get("kubernetes:core/v1:ServiceAccount", "prod-usw2-queue-metrics-sa");
        expect(sa.inputs.metadata.annotations).toBeUndefined();
        const role = run.get("aws:iam/role:Role", "prod-queue-metrics");
        const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "prod-queue-metrics-prod-usw2-queue-metrics");
        expect(association.inputs).toMatchObject({ clusterName: "prod-usw2-eks", namespace: "scaled-web", serviceAccount: "queue-metrics", roleArn: role.state.arn });
        expect(association.provider?.startsWith(`${run.get("pulumi:providers:aws", "standin-aws").urn}::`)).toBe(true);
    });

    test("api and ws: ClusterIP Services without affinity, and a TargetGroupBinding each to the region's target group, after the controller", () => {
        const controller = run.get("aws:cloudwatch/logGroup:LogGroup", "standin-lbc");
        for (const svc of ["api", "ws"]) {
            const service = run.get("kubernetes:core/v1:Service", `prod-usw2-${svc}-svc`).inputs;
            expect(service.spec.type).toBe("ClusterIP");
            expect(service.spec.sessionAffinity).toBeUndefined();
            const tgb = run.get("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", `prod-usw2-${svc}-tgb`);
            expect(tgb.inputs.metadata).toMatchObject({ name: svc, namespace: "scaled-web" });
            expect(tgb.inputs.spec).toEqual({ serviceRef: { name: svc, port: 80 }, targetGroupARN: TG(svc), targetType: "ip", ipAddressType: "ipv4" });
            // The Service's port 80 forwards to the container port the target group sends to.
            expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
            expect(tgb.dependencies).toContain(controller.urn);
        }
        // The namespace opts in to the controller's ALB readiness gates.
        const ns = run.get("kubernetes:core/v1:Namespace", "prod-usw2-env-ns");
        expect(ns.inputs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"]).toBe("enabled");
    });

    test("api, ws and worker pods run as their own ServiceAccounts, each associated with the stack's role for it", () => {
        for (const [w, deployments] of [["api", ["prod-usw2-api-deploy"]], ["ws", ["prod-usw2-ws-deploy"]], ["worker", ["prod-usw2-workers-sla-checks", "prod-usw2-workers-notifications", "prod-usw2-workers-analytics"]]] as const) {
            for (const d of deployments) {
                expect(podSpec(run.get("kubernetes:apps/v1:Deployment", d)).serviceAccountName).toBe(w);
            }
            const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", `prod-app-${w}-prod-usw2-${w}`);
            expect(association.inputs).toMatchObject({ clusterName: "prod-usw2-eks", namespace: "scaled-web", serviceAccount: w, roleArn: run.get("aws:iam/role:Role", `prod-app-${w}`).state.arn });
            expect(association.region).toBe("us-west-2");
        }
    });

    test("every Kubernetes object passes schema validation, the ESO objects against the pinned CRDs", () => {
        const report = assertKubernetesSchemas(run.resources);
        expect(report.validated).toHaveLength(WORKLOAD_OBJECTS - 1);
        expect(report.validated.filter((id) => id.startsWith("kubernetes:external-secrets.io/v1:"))).toHaveLength(6);
    });
});

describe("the prod stack's workloads", () => {
    let run: StackRun;
    const regions = [["us-east-1", 5], ["us-west-2", 3]] as const;
    const prefixOf = (region: string): string => `prod-${regionCode(region)}`;

    beforeAll(async () => {
        run = await runStack("prod");
    }, 300_000);

    describe.each(regions)("%s", (region, replicas) => {
        const prefix = prefixOf(region);
        const k8sProvider = (): RegisteredResource => {
            const p = run.ofType("pulumi:providers:kubernetes").find((x) => x.name.startsWith(`${prefix}-`));
            expect(p).toBeDefined();
            return p!;
        };

        test.each(["api", "ws"])(`%s: Deployment + KEDA ScaledObject (no HPA of ours) + PDB with ${replicas} replicas, through the region's cluster`, (svc) => {
            const deployment = run.get("kubernetes:apps/v1:Deployment", `${prefix}-${svc}-deploy`);
            const hpa = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", `${prefix}-${svc}-scaler`);
            const pdb = run.get("kubernetes:policy/v1:PodDisruptionBudget", `${prefix}-${svc}-pdb`);
            expect(run.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toEqual([]);
            expect(deployment.inputs.spec.replicas).toBe(replicas);
            expect([hpa.inputs.spec.minReplicaCount, hpa.inputs.spec.maxReplicaCount]).toEqual([replicas, 20]);
            expect(hpa.inputs.spec.scaleTargetRef.name).toBe(svc);
            expect(pdb.inputs.spec.maxUnavailable).toBe(1);
            for (const r of [deployment, hpa, pdb]) {
                expect(r.provider?.startsWith(`${k8sProvider().urn}::`)).toBe(true);
            }
            // The large tier (seed 003) sizes api/ws pods.
            expect(podSpec(deployment).containers[0].resources).toEqual({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } });
        });

        test.each(["sla-checks", "notifications", "analytics"])("worker %s: a spot Deployment scaled by its own ScaledObject", (queue) => {
            const deployment = run.get("kubernetes:apps/v1:Deployment", `${prefix}-workers-${queue}`);
            const so = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", `${prefix}-workers-${queue}-scaler`);
            expect(podSpec(deployment).nodeSelector).toEqual({ "node-type": "spot" });
            expect(podSpec(deployment).tolerations).toEqual([{ key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" }]);
            expect(so.inputs.spec.scaleTargetRef.name).toBe(deployment.inputs.metadata.name);
            expect(so.provider?.startsWith(`${k8sProvider().urn}::`)).toBe(true);
        });

        test("workers and their ScaledObjects: exactly one per queue", () => {
            const workers = run.ofType("kubernetes:apps/v1:Deployment").filter((d) => d.name.startsWith(`${prefix}-workers-`));
            const scalers = run.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject").filter((d) => d.name.startsWith(`${prefix}-`));
            expect(workers.map((d) => d.inputs.metadata.name).sort()).toEqual(["worker-analytics", "worker-notifications", "worker-sla-checks"]);
            expect(scalers.map((s) => [s.inputs.spec.scaleTargetRef.name, s.inputs.spec.minReplicaCount, s.inputs.spec.maxReplicaCount]).sort()).toEqual([
                ["api", replicas, 20],
                ["worker-analytics", 1, 3],
                ["worker-notifications", 2, 8],
                ["worker-sla-checks", 2, 5],
                ["ws", replicas, 20],
            ]);
        });

        test("api/ws TargetGroupBindings point at this region's target groups and wait for this region's controller", () => {
            const controller = run.get("kubernetes:helm.sh/v3:Release", `${prefix}-eks-addons-lbc-release`);
            for (const svc of ["api", "ws"]) {
                const tgb = run.get("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", `${prefix}-${svc}-tgb`);
                expect(tgb.inputs.spec.targetGroupARN).toBe(run.get("aws:lb/targetGroup:TargetGroup", `${prefix}-edge-${svc}`).state.arn);
                expect(tgb.inputs.spec.serviceRef).toEqual({ name: svc, port: 80 });
                expect(tgb.provider?.startsWith(`${k8sProvider().urn}::`)).toBe(true);
                expect(tgb.dependencies).toContain(controller.urn);
                expect(run.get("kubernetes:core/v1:Service", `${prefix}-${svc}-svc`).inputs.spec.type).toBe("ClusterIP");
            }
        });

        test("the app's service accounts are associated in this region's cluster with the stack's one role per workload", () => {
            for (const w of ["api", "ws", "worker"]) {
                const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", `prod-app-${w}-${prefix}-${w}`);
                expect(association.region).toBe(region);
                expect(association.inputs).toMatchObject({ clusterName: `${prefix}-eks`, namespace: "scaled-web", serviceAccount: w, roleArn: run.get("aws:iam/role:Role", `prod-app-${w}`).state.arn });
            }
        });

        test("api scales on its own target group's ALB request count (1000 r/s per pod), ws on the connection gauge (10000 per pod)", () => {
            const edgeLb = run.ofType("aws:lb/loadBalancer:LoadBalancer").find((r) => r.name.startsWith(`${prefix}-`));
            expect(edgeLb).toBeDefined();
            const api = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", `${prefix}-api-scaler`).inputs.spec;
            const rr = api.triggers.find((t: any) => t.name === "request-rate");
            expect(rr.metadata).toMatchObject({ namespace: "AWS/ApplicationELB", metricName: "RequestCount", dimensionName: "LoadBalancer;TargetGroup", targetMetricValue: "60000", awsRegion: region });
            expect(rr.metadata.dimensionValue).toMatch(/^app\/.+;targetgroup\/.+$/);
            const ws = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", `${prefix}-ws-scaler`).inputs.spec;
            expect(ws.triggers.find((t: any) => t.name === "connections").metadata).toMatchObject({ dimensionName: "Stack", dimensionValue: "scaled-web/prod", targetMetricValue: "10000" });
            // The ws pods publish the gauge under the stack's ws role (Pod Identity), limited to that namespace.
            const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "prod-app-ws").inputs.policy);
            expect(policy.Statement).toEqual([expect.objectContaining({ Action: "cloudwatch:PutMetricData", Condition: { StringEquals: { "cloudwatch:namespace": "ScaledWeb/WebSockets" } } })]);
        });

        test("KEDA objects wait for the KEDA add-on that installs their CRDs", () => {
            const keda = run.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.name.startsWith(`${prefix}-`) && r.name.endsWith("-keda"));
            expect(keda).toBeDefined();
            const auth = run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", `${prefix}-workers-queue-auth`);
            // Through its parent: the SDK registers a child once its parent is registered, and the WorkerPool's
            // registration waits for its dependsOn (the KEDA release alone, not every add-on).
            const pool = run.parentOf(auth)!;
            expect(pool.type).toBe("scaled-web:workloads:WorkerPool");
            expect(pool.dependencies).toEqual([keda!.urn]);
            for (const so of run.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject").filter((s) => s.name.startsWith(`${prefix}-workers-`))) {
                expect(so.dependencies).toContain(auth.urn);
            }
            for (const svc of ["api", "ws"]) {
                expect(run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", `${prefix}-${svc}-scaler`).dependencies).toContain(keda!.urn);
                expect(run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", `${prefix}-${svc}-aws-auth`).dependencies).toContain(keda!.urn);
            }
        });
    });

    test("every container of every Deployment has CPU and memory requests and limits", () => {
        const deployments = run.ofType("kubernetes:apps/v1:Deployment");
        expect(deployments.length).toBeGreaterThanOrEqual(10);
        for (const d of deployments) {
            for (const c of podSpec(d).containers) {
                for (const kind of ["requests", "limits"]) {
                    expect(c.resources?.[kind]).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
                }
            }
        }
    });

    test("no api/ws pod can land on spot: only workers tolerate the spot taint", () => {
        const deployments = run.resources.filter(isWorkload);
        const component = (d: RegisteredResource): string => d.inputs.metadata.labels?.["app.kubernetes.io/component"];
        const web = deployments.filter((d) => component(d) === "api" || component(d) === "ws");
        expect(web.map((d) => d.inputs.metadata.name).sort()).toEqual(["api", "api", "ws", "ws"]);
        for (const d of web) {
            expect(toleratesSpot(d)).toBe(false);
            expect(podSpec(d).nodeSelector?.["node-type"]).not.toBe("spot");
            const terms = podSpec(d).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
            expect(terms.length).toBeGreaterThan(0);
            for (const term of terms) {
                expect(term.matchExpressions).toContainEqual({ key: "node-type", operator: "NotIn", values: ["spot"] });
            }
        }
        const publishers = deployments.filter((d) => component(d) === "queue-metrics");
        expect(publishers).toHaveLength(2);
        for (const d of publishers) {
            expect(toleratesSpot(d)).toBe(false);
            expect(podSpec(d).nodeSelector).toEqual({ "node-type": "on-demand" });
        }
        const onSpot = deployments.filter(toleratesSpot);
        expect(onSpot).toHaveLength(6);
        expect(onSpot.every((d) => component(d) === "worker")).toBe(true);
    });

    test("no generated password or auth token appears in any Kubernetes object; Pulumi creates no Kubernetes Secret", () => {
        const generated = run.ofType("random:index/randomPassword:RandomPassword").map((p) => String(p.state.result));
        expect(generated.length).toBeGreaterThan(0);
        const master = run.get("random:index/randomPassword:RandomPassword", "prod-use1-db-master").state.result;
        expect(generated).toContain(master);
        for (const r of nonSecretObjects(run.resources)) {
            const text = JSON.stringify(r.inputs);
            for (const s of generated) {
                expect(text).not.toContain(s);
            }
        }
        expect(run.ofType("kubernetes:core/v1:Secret")).toEqual([]);
    });

    test("the bootstrap Job runs once, in the primary region, reading the master secret itself", () => {
        const jobs = run.ofType("kubernetes:batch/v1:Job");
        expect(jobs.map((j) => j.name)).toEqual(["prod-use1-db-bootstrap-job"]);
        const pod = jobs[0].inputs.spec.template.spec;
        expect(pod.serviceAccountName).toBe("db-bootstrap");
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
        expect(env).toMatchObject({
            APP_ROLE: "db-bootstrap",
            AWS_REGION: "us-east-1",
            MASTER_SECRET_ID: run.get("aws:secretsmanager/secret:Secret", "prod-use1-db-master").state.arn,
            DATABASE_HOST: run.get("aws:rds/instance:Instance", "prod-use1-db-primary").state.address,
            DATABASE_NAME: "app",
            APP_DB_USER: "app",
        });
        expect(pod.containers[0].envFrom).toBeUndefined();
        expect(jobs[0].secretInputs).toEqual([]);
        const assoc = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "prod-use1-db-bootstrap-prod-use1-db-bootstrap-sa");
        expect(assoc.inputs).toMatchObject({ namespace: "scaled-web", serviceAccount: "db-bootstrap" });
        expect(jobs[0].dependencies).toContain(assoc.urn);
    });

    test("stack-wide roles: least privilege for ESO, the api and the bootstrap Job", () => {
        const policy = (name: string): any => JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", name).inputs.policy);
        expect(policy("prod-use1-external-secrets").Statement).toEqual([{
            Sid: "ReadStackSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:aws:secretsmanager:*:123456789012:secret:scaled-web/prod/*"],
        }]);
        // The api's stack role (platform/identity.ts) carries the database grant; only the api role does.
        const apiDb = run.get("aws:iam/rolePolicy:RolePolicy", "prod-use1-api-db-connect");
        expect(apiDb.propertyDependencies?.role).toEqual([run.get("aws:iam/role:Role", "prod-app-api").urn]);
        const connect = policy("prod-use1-api-db-connect").Statement;
        expect(connect).toHaveLength(1);
        expect(connect[0].Action).toEqual(["rds-db:connect"]);
        expect(connect[0].Resource.length).toBeGreaterThanOrEqual(2);
        for (const arn of connect[0].Resource) {
            expect(arn).toMatch(/^arn:aws:rds-db:us-(east-1|west-2):123456789012:dbuser:(prx|db)-[^/]+\/app$/);
        }
        const boot = policy("prod-use1-db-bootstrap").Statement;
        expect(boot[0]).toEqual({ Sid: "ReadMasterSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: run.get("aws:secretsmanager/secret:Secret", "prod-use1-db-master").state.arn });
        expect(boot[1].Condition).toEqual({ StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } });
        // One role each for the whole stack, associated per cluster.
        const assocs = run.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation");
        expect(assocs.filter((a) => a.inputs.serviceAccount === "external-secrets")).toHaveLength(2);
        expect(assocs.filter((a) => a.inputs.serviceAccount === "api")).toHaveLength(2);
    });

    test("every region's cache tokens sit in that region's Secrets Manager under the stack's prefix", () => {
        for (const [region, prefix] of [["us-east-1", "prod-use1"], ["us-west-2", "prod-usw2"]]) {
            for (const purpose of ["cache", "queue", "sessions"]) {
                const secret = run.get("aws:secretsmanager/secret:Secret", `${prefix}-cache-${purpose}`);
                expect(secret.inputs.name).toBe(`scaled-web/prod/cache-${purpose}`);
                expect(secret.region).toBe(region);
                const version = run.get("aws:secretsmanager/secretVersion:SecretVersion", `${prefix}-cache-${purpose}`);
                expect(version.secretInputs).toContain("secretString");
                expect(Object.keys(JSON.parse(version.inputs.secretString)).sort()).toEqual(["address", "password", "url"]);
            }
        }
    });

    test("every Kubernetes object passes schema validation", () => {
        const report = assertKubernetesSchemas(run.resources);
        expect(report.validated.length).toBe(kubernetesResources(run.resources).length - report.notApiObjects.length);
        // 26 workload objects per region, plus whatever other stages register.
        expect(report.validated.length).toBeGreaterThanOrEqual(52);
        expect(report.validated.filter((v) => v.startsWith("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding "))).toHaveLength(4);
    });
});
