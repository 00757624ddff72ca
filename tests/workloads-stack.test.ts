import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import { PlatformConfig, parseConfig } from "../platform/config";
import { ComputeRegion, DataRegion, EdgeRegion, ImageSupply } from "../platform/contracts";
import { wireIdentity } from "../platform/identity";
import { RegionContext, regionCode } from "../platform/program";
import {
    cacheUrlVariable,
    pickPurpose,
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
    const PASSWORD = "Db-S3cret/pw+1";
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
                k8sProvider: new k8s.Provider("standin-k8s", { kubeconfig: "{}" }),
                clusterName: pulumi.output("prod-usw2-eks"),
                // A custom resource standing in for the controller's Helm release (dependencies on it are recorded as is).
                loadBalancerController: new aws.cloudwatch.LogGroup("standin-lbc", {}, { provider: awsProvider }),
            } as unknown as ComputeRegion;
            const edge = { targetGroupArns: { api: pulumi.output(TG("api")), ws: pulumi.output(TG("ws")) } } as unknown as EdgeRegion;
            const cacheUrls = Object.fromEntries(Object.entries(TOKENS).map(([purpose, token]) =>
                [purpose, pulumi.secret(`rediss://:${token}@${purpose}.cache.example:6379`)]));
            const data: DataRegion = {
                writerEndpoint: pulumi.output("writer.db.example:5432"),
                readerEndpoint: pulumi.output("reader.db.example:5432"),
                databaseName: "app",
                databaseUser: "app_user",
                databasePassword: pulumi.secret(PASSWORD),
                cacheUrls,
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

    test("every Kubernetes object goes through the region's k8s provider", () => {
        const objects = kubernetesResources(run.resources);
        // 21 before Pod Identity and IP targets, plus the api/ws/worker ServiceAccounts and the api/ws TargetGroupBindings.
        expect(objects.length).toBe(26);
        for (const r of objects) {
            expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
        }
    });

    test("every Kubernetes object sits under a component (nothing floats at the stack root)", () => {
        for (const r of kubernetesResources(run.resources)) {
            expect(run.parentOf(r)?.type).toMatch(/^scaled-web:workloads:(AppNamespace|RegionalDeployment|WorkerPool|QueueMetricsPublisher)$/);
        }
    });

    test("no password or token appears in any manifest but the Secrets, whose data is secret", () => {
        const secrets = [PASSWORD, encodeURIComponent(PASSWORD), ...Object.values(TOKENS)];
        const others = nonSecretObjects(run.resources);
        expect(others.length).toBeGreaterThan(0);
        for (const r of others) {
            const text = JSON.stringify(r.inputs);
            for (const s of secrets) {
                expect(text).not.toContain(s);
            }
        }
        for (const r of run.ofType("kubernetes:core/v1:Secret")) {
            expect(r.secretInputs).toContain("stringData");
            expect(r.inputs.data).toBeUndefined();
        }
    });

    test("the app Secret holds the database URLs and one URL per cache purpose", () => {
        const s = run.get("kubernetes:core/v1:Secret", "prod-usw2-env-app-secrets").inputs;
        expect(s.metadata).toMatchObject({ name: "app-secrets", namespace: "scaled-web" });
        expect(s.stringData).toEqual({
            DATABASE_URL: `postgresql://app_user:${encodeURIComponent(PASSWORD)}@writer.db.example:5432/app?sslmode=require`,
            DATABASE_PRIMARY_URL: `postgresql://app_user:${encodeURIComponent(PASSWORD)}@writer.db.example:5432/app?sslmode=require`,
            DATABASE_REPLICA_URL: `postgresql://app_user:${encodeURIComponent(PASSWORD)}@reader.db.example:5432/app?sslmode=require`,
            DATABASE_PASSWORD: PASSWORD,
            VALKEY_CACHE_URL: "rediss://:tok-cache-0001@cache.cache.example:6379",
            VALKEY_QUEUE_URL: "rediss://:tok-queue-0002@queue.cache.example:6379",
            VALKEY_SESSIONS_URL: "rediss://:tok-sessions-0003@sessions.cache.example:6379",
        });
        const keda = run.get("kubernetes:core/v1:Secret", "prod-usw2-env-queue-scaler-auth").inputs;
        expect(keda.stringData).toEqual({ address: "queue.cache.example:6379", password: "tok-queue-0002" });
    });

    test("non-secret settings go to the ConfigMap", () => {
        const cm = run.get("kubernetes:core/v1:ConfigMap", "prod-usw2-env-app-config");
        expect(cm.secretInputs).toEqual([]);
        expect(cm.inputs.data).toMatchObject({
            AWS_REGION: "us-west-2",
            REGION_ROLE: "secondary",
            DATABASE_NAME: "app",
            DATABASE_WRITER_ENDPOINT: "writer.db.example:5432",
            PUBLIC_API_URL: "https://api.scaled-web.example.com",
            // Producers (api/ws) enqueue with the prefix the workers, KEDA and the publisher use.
            QUEUE_PREFIX: "bull",
        });
    });

    test("containers read the Secret and ConfigMap; ws gets its adapter URL from a Secret key", () => {
        for (const d of run.ofType("kubernetes:apps/v1:Deployment")) {
            expect(podSpec(d).containers[0].envFrom).toEqual([{ configMapRef: { name: "app-config" } }, { secretRef: { name: "app-secrets" } }]);
        }
        const env = podSpec(run.get("kubernetes:apps/v1:Deployment", "prod-usw2-ws-deploy")).containers[0].env;
        for (const name of ["REDIS_URL", "SOCKET_IO_REDIS_URL"]) {
            expect(env).toContainEqual({ name, valueFrom: { secretKeyRef: { name: "app-secrets", key: "VALKEY_SESSIONS_URL" } } });
        }
    });

    test("each container names its reference-app role; api and workers read the queue store's URL from a Secret key", () => {
        const container = (name: string): any => podSpec(run.get("kubernetes:apps/v1:Deployment", name)).containers[0];
        const plain = (name: string): Record<string, string> =>
            Object.fromEntries(container(name).env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        const queueUrl = { name: "QUEUE_REDIS_URL", valueFrom: { secretKeyRef: { name: "app-secrets", key: "VALKEY_QUEUE_URL" } } };
        expect(plain("prod-usw2-api-deploy")).toMatchObject({ APP_ROLE: "api", PORT: "3000", HEALTH_PATH: "/health", QUEUE_NAMES: "sla-checks,notifications,analytics" });
        // The producers' prefix comes from the ConfigMap (envFrom), the one the workers and KEDA use; no override.
        expect(plain("prod-usw2-api-deploy").QUEUE_PREFIX).toBeUndefined();
        expect(container("prod-usw2-api-deploy").env).toContainEqual(queueUrl);
        // The ALB routes edge.wsHealthCheckPath to ws unchanged (Route53 check of ws.<domain>): the app answers it.
        expect(plain("prod-usw2-ws-deploy")).toMatchObject({ APP_ROLE: "ws", PORT: "3001", HEALTH_PATH: "/health", PROBE_PATH: "/ws/health" });
        for (const queue of ["sla-checks", "notifications", "analytics"]) {
            expect(plain(`prod-usw2-workers-${queue}`)).toMatchObject({ APP_ROLE: "worker", QUEUE_NAME: queue, QUEUE_PREFIX: "bull" });
            expect(container(`prod-usw2-workers-${queue}`).env).toContainEqual(queueUrl);
        }
        // The publisher reads the same store, whichever cache purpose holds the queues (not only VALKEY_QUEUE_URL).
        expect(run.get("kubernetes:apps/v1:Deployment", "prod-usw2-queue-metrics-deployment").inputs.spec.template.spec.containers[0].env).toContainEqual(queueUrl);
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
        // The same Secret/ConfigMap the workers read: the queue store URL comes from there.
        expect(c.envFrom).toEqual([{ configMapRef: { name: "app-config" } }, { secretRef: { name: "app-secrets" } }]);
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

    test("every Kubernetes object passes schema validation", () => {
        expect(assertKubernetesSchemas(run.resources).validated).toHaveLength(26);
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

        test.each(["api", "ws"])(`%s: Deployment + HPA + PDB with ${replicas} replicas, through the region's cluster`, (svc) => {
            const deployment = run.get("kubernetes:apps/v1:Deployment", `${prefix}-${svc}-deploy`);
            const hpa = run.get("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `${prefix}-${svc}-hpa`);
            const pdb = run.get("kubernetes:policy/v1:PodDisruptionBudget", `${prefix}-${svc}-pdb`);
            expect(deployment.inputs.spec.replicas).toBe(replicas);
            expect([hpa.inputs.spec.minReplicas, hpa.inputs.spec.maxReplicas]).toEqual([replicas, 20]);
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
                ["worker-analytics", 1, 3],
                ["worker-notifications", 2, 8],
                ["worker-sla-checks", 2, 5],
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

        test("KEDA objects wait for the KEDA add-on that installs their CRDs", () => {
            const keda = run.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.name.startsWith(`${prefix}-`) && r.name.endsWith("-keda"));
            expect(keda).toBeDefined();
            const auth = run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", `${prefix}-workers-queue-auth`);
            expect(auth.dependencies).toContain(keda!.urn);
            for (const so of run.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject").filter((s) => s.name.startsWith(`${prefix}-`))) {
                expect(so.dependencies).toContain(auth.urn);
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

    test("no generated password or auth token appears in any manifest but the Secrets", () => {
        const generated = run.ofType("random:index/randomPassword:RandomPassword").map((p) => String(p.state.result));
        expect(generated.length).toBeGreaterThan(0);
        for (const r of nonSecretObjects(run.resources)) {
            const text = JSON.stringify(r.inputs);
            for (const s of generated) {
                expect(text).not.toContain(s);
            }
        }
        const secrets = run.ofType("kubernetes:core/v1:Secret");
        expect(secrets).toHaveLength(4);
        for (const s of secrets) {
            expect(s.secretInputs).toContain("stringData");
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
