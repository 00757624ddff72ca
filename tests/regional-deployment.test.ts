import * as k8s from "@pulumi/kubernetes";
import {
    HPA_BEHAVIOR,
    RegionalDeployment,
    RegionalDeploymentArgs,
    validateRegionalDeploymentArgs,
} from "../components/regional-deployment";
import { imageReferenceProblem } from "../components/workload-spec";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";
import { assertKubernetesSchemas, schemaErrors } from "./k8s-schema";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/api:1.4.2";

function args(over: Partial<RegionalDeploymentArgs> = {}): RegionalDeploymentArgs {
    return {
        app: "api",
        image: IMAGE,
        containerPort: 3000,
        minReplicas: 5,
        maxReplicas: 20,
        resources: { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        ...over,
    };
}

function messageOf(a: RegionalDeploymentArgs): string {
    try {
        new RegionalDeployment("bad", a);
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected RegionalDeployment to throw");
}

describe("RegionalDeployment: bad input fails before anything is created", () => {
    test.each<[string, Partial<RegionalDeploymentArgs>, RegExp]>([
        ["min > max replicas", { minReplicas: 12, maxReplicas: 10 }, /minReplicas: must be <= maxReplicas \(10\), got 12/],
        ["an image that is not a reference", { image: "Not An Image!" }, /image: must be a container image reference .* got "Not An Image!"/],
        ["an empty image", { image: "" }, /image: is required/],
        ["a CPU request that is not a quantity", { resources: { requests: { cpu: "half", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } }, /resources\.requests\.cpu: must be a Kubernetes CPU quantity > 0 .* got "half"/],
        ["a memory limit that is not a quantity", { resources: { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256MB" } } }, /resources\.limits\.memory: must be a Kubernetes memory quantity > 0 .* got "256MB"/],
        ["a CPU limit below the request", { resources: { requests: { cpu: "1", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } }, /resources\.limits\.cpu: must be >= the request \(1\), got "500m"/],
        ["a memory limit below the request", { resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "500m", memory: "256Mi" } } }, /resources\.limits\.memory: must be >= the request \(1Gi\), got "256Mi"/],
        ["the removed nodePort", { nodePort: 30080 } as Partial<RegionalDeploymentArgs>, /nodePort: is no longer accepted \(got 30080\): the Service is ClusterIP and the ALB reaches the pods by IP; pass targetGroupArn/],
        ["the removed session affinity", { sessionAffinity: "ClientIP" } as Partial<RegionalDeploymentArgs>, /sessionAffinity: is no longer accepted \(got "ClientIP"\): with IP targets the ALB's stickiness cookie pins a browser to a pod/],
        ["a grace period shorter than preStop + the app's stop", { terminationGracePeriodSeconds: 30 }, /terminationGracePeriodSeconds: must be a whole number from 40 to 3600 \(must outlast the 15 s preStop pause plus the app's 25 s stop after SIGTERM\), got 30/],
        ["a service account name that is not a DNS label", { serviceAccountName: "Api SA" }, /serviceAccountName: must be a DNS label/],
        ["a privileged container port", { containerPort: 80 }, /containerPort: must be a whole number from 1024 to 65535 \(the container runs as non-root/],
        ["an app name that is not a DNS label", { app: "API_Server" }, /app: must be a DNS label .* got "API_Server"/],
        ["a CPU target of 0 %", { targetCpuUtilization: 0 }, /targetCpuUtilization: must be a whole number from 1 to 100/],
        ["a password in plain env", { env: { DB_PASSWORD: "hunter2" } }, /env\.DB_PASSWORD: looks like a secret; pass it in secretEnv/],
        ["a URL with credentials in plain env", { env: { DATABASE_URL: "postgresql://app:hunter2@db:5432/app" } }, /env\.DATABASE_URL: is a URL with credentials in it/],
        ["a relative health path", { healthPath: "health" }, /healthPath: must be an absolute HTTP path/],
        ["a PDB that blocks drains", { maxUnavailable: 0 }, /maxUnavailable: must be a whole number from 1 to 1000 \(0 would block every node drain\)/],
        ["a request-rate target of 0", { requestRate: { loadBalancerArnSuffix: "app/a/1", targetGroupArnSuffix: "targetgroup/t/1", requestsPerSecondPerPod: 0, region: "us-east-1" } },
            /requestRate\.requestsPerSecondPerPod: must be a whole number from 1/],
        ["a connection trigger without dimensions", { connections: { dimensions: {}, connectionsPerPod: 10000, region: "us-east-1" } }, /connections\.dimensions: must name at least one dimension/],
        ["a schedule floor above the ceiling", { schedules: [{ name: "day", timezone: "UTC", start: "0 6 * * *", end: "0 22 * * *", desiredReplicas: 21 }] }, /schedules\[0\]\.desiredReplicas: must be <= maxReplicas \(20\), got 21/],
        ["a schedule floor of 0", { schedules: [{ name: "day", timezone: "UTC", start: "0 6 * * *", end: "0 22 * * *", desiredReplicas: 0 }] }, /schedules\[0\]\.desiredReplicas: must be a whole number from 1 .*KEDA's cron scaler refuses 0/],
        ["a schedule that is not cron", { schedules: [{ name: "day", timezone: "UTC", start: "06:00", end: "0 22 * * *", desiredReplicas: 6 }] }, /schedules\[0\]\.start: must be a 5-field cron expression/],
        ["a schedule ending when it starts", { schedules: [{ name: "day", timezone: "UTC", start: "0 6 * * *", end: "0 6 * * *", desiredReplicas: 6 }] }, /schedules\[0\]\.end: must differ from start/],
    ])("%s", (_what, over, message) => {
        expect(() => new RegionalDeployment("bad", args(over))).toThrow(message);
    });

    test("every problem is reported at once, naming the component", () => {
        const msg = messageOf(args({ minReplicas: 30, image: "Upper Case", containerPort: 1 }));
        expect(msg).toMatch(/^Invalid arguments for RegionalDeployment "bad" \(3 problems\)/);
        expect(validateRegionalDeploymentArgs(args()).count).toBe(0);
    });

    test.each([
        ["nginx", undefined],
        ["public.ecr.aws/nginx/nginx:1.27", undefined],
        [`${IMAGE}@sha256:${"a".repeat(64)}`, undefined],
        ["localhost:5000/team/app:v1", undefined],
        ["Api:latest", /must be a container image reference/],
        ["app:tag with space", /must be a container image reference/],
        ["", /is required/],
    ])("image reference %j (the check an image Output also gets when it resolves)", (ref, problem) => {
        const got = imageReferenceProblem(ref);
        if (problem === undefined) {
            expect(got).toBeUndefined();
        } else {
            expect(got).toMatch(problem);
        }
    });
});

describe("RegionalDeployment under the mock runtime", () => {
    let run: StackRun<{ api: RegionalDeployment; ws: RegionalDeployment }>;
    let provider: RegisteredResource;
    const find = (type: string, name: string): RegisteredResource => run.get(type, name);

    beforeAll(async () => {
        run = await runComponent(() => {
            const k8sProvider = new k8s.Provider("test", { kubeconfig: "{}" });
            const controller = new k8s.core.v1.ConfigMap("stand-in-controller", {}, { provider: k8sProvider });
            const api = new RegionalDeployment("use1-api", args({
                targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef",
                targetGroupBindingDependsOn: [controller],
                requestRate: { loadBalancerArnSuffix: "app/prod-use1/50dc6c495c0c9188", targetGroupArnSuffix: "targetgroup/api/73e2d6bc24d8a067", requestsPerSecondPerPod: 1000, region: "us-east-1" },
                schedules: [{ name: "business-hours", timezone: "Europe/Berlin", start: "0 6 * * *", end: "0 22 * * *", desiredReplicas: 8 }],
            }), { provider: k8sProvider });
            const ws = new RegionalDeployment("use1-ws", args({
                app: "ws",
                namespace: "shared",
                containerPort: 3001,
                minReplicas: 3,
                serviceAccountName: "ws-gateway",
                env: { LOG_LEVEL: "info" },
                secretEnv: { REDIS_URL: { secretName: "app-secrets", key: "VALKEY_SESSIONS_URL" } },
                envFromSecrets: ["app-secrets"],
                envFromConfigMaps: ["app-config"],
                connections: { dimensions: { Stack: "scaled-web/prod" }, connectionsPerPod: 10000, region: "us-east-1" },
            }), { provider: k8sProvider });
            return { api, ws };
        });
        provider = run.get("pulumi:providers:kubernetes", "test");
    });

    test("creates a restricted Namespace only when none is given", () => {
        const ns = find("kubernetes:core/v1:Namespace", "use1-api-ns");
        expect(ns.inputs.metadata.name).toBe("api");
        expect(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        expect(run.ofType("kubernetes:core/v1:Namespace").map((r) => r.name)).toEqual(["use1-api-ns"]);
        expect(find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs.metadata.namespace).toBe("api");
        expect(find("kubernetes:apps/v1:Deployment", "use1-ws-deploy").inputs.metadata.namespace).toBe("shared");
    });

    test("every child sits under its component and goes through the given k8s provider", () => {
        for (const svc of ["api", "ws"]) {
            const component = find("scaled-web:workloads:RegionalDeployment", `use1-${svc}`);
            const children = run.descendantsOf(component);
            const types = children.map((c) => c.type).sort();
            expect(types).toEqual(expect.arrayContaining([
                "kubernetes:apps/v1:Deployment",
                "kubernetes:keda.sh/v1alpha1:ScaledObject",
                "kubernetes:keda.sh/v1alpha1:TriggerAuthentication",
                "kubernetes:core/v1:Service",
                "kubernetes:policy/v1:PodDisruptionBudget",
            ]));
            for (const c of children) {
                expect(run.parentOf(c)?.urn).toBe(component.urn);
                expect(c.provider?.startsWith(`${provider.urn}::`)).toBe(true);
            }
        }
    });

    test("the Deployment starts at the regional floor and never rolls below it", () => {
        const d = find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs;
        expect(d.spec.replicas).toBe(5);
        expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } });
        expect(d.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "scaled-web" });
        expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    });

    test("the container has the tier's requests and limits, /health probes and the image", () => {
        const c = find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs.spec.template.spec.containers[0];
        expect(c.image).toBe(IMAGE);
        expect(c.resources).toEqual({ requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
            expect(c[probe].httpGet).toMatchObject({ path: "/health", port: "http" });
        }
        expect(c.readinessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
        expect(c.ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
        expect(c.env).toEqual([{ name: "PORT", value: "3000" }]);
    });

    test("pods run non-root, read-only, without capabilities, with an emptyDir /tmp", () => {
        const pod = find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs.spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.containers[0].securityContext).toEqual({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }]);
        expect(pod.containers[0].volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    });

    test("pods can never land on spot nodes and spread over zones and nodes", () => {
        const pod = find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs.spec.template.spec;
        expect(pod.nodeSelector).toBeUndefined();
        expect(pod.tolerations).toBeUndefined();
        const terms = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(terms).toHaveLength(1);
        expect(terms[0].matchExpressions).toContainEqual({ key: "node-type", operator: "NotIn", values: ["spot"] });
        const spread = pod.topologySpreadConstraints;
        expect(spread.map((s: any) => [s.topologyKey, s.whenUnsatisfiable, s.maxSkew])).toEqual([
            ["topology.kubernetes.io/zone", "DoNotSchedule", 1],
            ["kubernetes.io/hostname", "ScheduleAnyway", 1],
        ]);
        expect(spread[0].labelSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "scaled-web" });
    });

    test("the Service is ClusterIP, without node port or session affinity (the ALB cookie pins pods)", () => {
        for (const svc of ["api", "ws"]) {
            const spec = find("kubernetes:core/v1:Service", `use1-${svc}-svc`).inputs.spec;
            expect(spec.type).toBe("ClusterIP");
            expect(spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
            expect(spec.sessionAffinity).toBeUndefined();
            expect(spec.sessionAffinityConfig).toBeUndefined();
            expect(spec.externalTrafficPolicy).toBeUndefined();
        }
    });

    test("a TargetGroupBinding points the given target group at the Service's port 80, after the controller", () => {
        const tgb = find("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", "use1-api-tgb");
        expect(tgb.inputs.metadata).toMatchObject({ name: "api", namespace: "api" });
        expect(tgb.inputs.spec).toEqual({
            serviceRef: { name: "api", port: 80 },
            targetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef",
            targetType: "ip",
            ipAddressType: "ipv4",
        });
        expect(tgb.dependencies).toContain(find("kubernetes:core/v1:ConfigMap", "stand-in-controller").urn);
        // Without a target group ARN there is no binding.
        expect(run.ofType("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding").map((r) => r.name)).toEqual(["use1-api-tgb"]);
        expect(run.outputs.ws.targetGroupBinding).toBeUndefined();
    });

    test("pods run as their own ServiceAccount, which mounts no API token", () => {
        const sa = find("kubernetes:core/v1:ServiceAccount", "use1-api-sa").inputs;
        expect(sa.metadata).toMatchObject({ name: "api", namespace: "api" });
        expect(sa.automountServiceAccountToken).toBe(false);
        expect(find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs.spec.template.spec).toMatchObject({ serviceAccountName: "api", automountServiceAccountToken: false });
        expect(find("kubernetes:core/v1:ServiceAccount", "use1-ws-sa").inputs.metadata.name).toBe("ws-gateway");
        expect(find("kubernetes:apps/v1:Deployment", "use1-ws-deploy").inputs.spec.template.spec.serviceAccountName).toBe("ws-gateway");
    });

    test("stopping drops no request: preStop 15 s inside a 45 s grace period (deregistration delay 40 s on the ALB)", () => {
        const spec = find("kubernetes:apps/v1:Deployment", "use1-api-deploy").inputs.spec;
        expect(spec.template.spec.terminationGracePeriodSeconds).toBe(45);
        expect(spec.template.spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
        expect(spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } });
    });

    test("no HPA: one KEDA ScaledObject per service scales on CPU 70 % and memory 80 % with the seed's timings", () => {
        expect(run.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toEqual([]);
        const so = find("kubernetes:keda.sh/v1alpha1:ScaledObject", "use1-api-scaler").inputs;
        expect(so.metadata.name).toBe("api");
        expect(so.metadata.annotations).toEqual({ "scaledobject.keda.sh/transfer-hpa-ownership": "true" });
        expect(so.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "api" });
        expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([5, 20]);
        const byName = Object.fromEntries(so.spec.triggers.map((t: any) => [t.name, t]));
        expect(byName.cpu).toEqual({ type: "cpu", name: "cpu", metricType: "Utilization", metadata: { value: "70" } });
        expect(byName.memory).toEqual({ type: "memory", name: "memory", metricType: "Utilization", metadata: { value: "80" } });
        const hpa = so.spec.advanced.horizontalPodAutoscalerConfig;
        expect(hpa.name).toBe("api");
        expect(hpa.behavior.scaleUp.stabilizationWindowSeconds).toBe(120);
        expect(hpa.behavior.scaleUp.policies.every((p: any) => p.periodSeconds === 180)).toBe(true);
        expect(hpa.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 600, selectPolicy: "Min", policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] });
        expect(hpa.behavior).toEqual(JSON.parse(JSON.stringify(HPA_BEHAVIOR)));
    });

    test("api: the ALB request count of its target group, 1000 r/s per pod as 60000 requests per minute per pod", () => {
        const so = find("kubernetes:keda.sh/v1alpha1:ScaledObject", "use1-api-scaler").inputs;
        const t = so.spec.triggers.find((x: any) => x.name === "request-rate");
        expect(t).toEqual({
            type: "aws-cloudwatch", name: "request-rate", metricType: "AverageValue",
            metadata: {
                namespace: "AWS/ApplicationELB", metricName: "RequestCount",
                dimensionName: "LoadBalancer;TargetGroup", dimensionValue: "app/prod-use1/50dc6c495c0c9188;targetgroup/api/73e2d6bc24d8a067",
                metricStat: "Sum", metricStatPeriod: "60", metricCollectionTime: "180", metricEndTimeOffset: "60",
                targetMetricValue: "60000", minMetricValue: "0", awsRegion: "us-east-1",
            },
            authenticationRef: { name: "api-aws" },
        });
        // KEDA v2.18.3 aws_cloudwatch_scaler.go: collection time a multiple of the period; period 60 allowed.
        expect(Number(t.metadata.metricCollectionTime) % Number(t.metadata.metricStatPeriod)).toBe(0);
        const auth = find("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "use1-api-aws-auth").inputs;
        expect(auth.spec).toEqual({ podIdentity: { provider: "aws", identityOwner: "keda" } });
    });

    test("api: a schedule is a KEDA cron trigger named so a formula could use it", () => {
        const so = find("kubernetes:keda.sh/v1alpha1:ScaledObject", "use1-api-scaler").inputs;
        expect(so.spec.triggers.filter((t: any) => t.type === "cron")).toEqual([{
            type: "cron", name: "schedule_business_hours",
            metadata: { timezone: "Europe/Berlin", start: "0 6 * * *", end: "0 22 * * *", desiredReplicas: "8" },
        }]);
    });

    test("ws: the pods' connection gauge averaged per pod against 10000, and the pods run as the given ServiceAccount", () => {
        const so = find("kubernetes:keda.sh/v1alpha1:ScaledObject", "use1-ws-scaler").inputs;
        const t = so.spec.triggers.find((x: any) => x.name === "connections");
        expect(t.metricType).toBe("Value");
        expect(t.metadata).toMatchObject({ namespace: "ScaledWeb/WebSockets", metricName: "ActiveConnections", dimensionName: "Stack", dimensionValue: "scaled-web/prod", metricStat: "Average", targetMetricValue: "10000" });
        expect(so.spec.triggers.map((x: any) => x.name)).toEqual(["cpu", "memory", "connections"]);
        const pod = find("kubernetes:apps/v1:Deployment", "use1-ws-deploy").inputs.spec.template.spec;
        expect(pod.serviceAccountName).toBe("ws-gateway");
        expect(pod.automountServiceAccountToken).toBe(false);
    });

    test("a KEDA ScaledObject or TriggerAuthentication with a field the v2.18.3 CRD lacks fails the schema check", () => {
        const so = find("kubernetes:keda.sh/v1alpha1:ScaledObject", "use1-api-scaler").inputs;
        const bad = JSON.parse(JSON.stringify(so));
        bad.spec.triggers[0].treshold = "70";
        expect(schemaErrors("kubernetes:keda.sh/v1alpha1:ScaledObject", bad).join("\n")).toMatch(/triggers\[0\]\.treshold: unknown field/);
        const auth = JSON.parse(JSON.stringify(find("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "use1-api-aws-auth").inputs));
        auth.spec.podIdentity.identityOwner = "operator";
        expect(schemaErrors("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", auth)).toEqual(["spec.podIdentity.identityOwner: must be one of keda, workload, got operator"]);
        delete auth.spec.podIdentity.provider;
        auth.spec.podIdentity.identityOwner = "keda";
        expect(schemaErrors("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", auth)).toEqual(["spec.podIdentity.provider: required (the kubernetes:keda.sh/v1alpha1:TriggerAuthentication CRD)"]);
    });

    test("the PodDisruptionBudget lets one pod go at a time", () => {
        const pdb = find("kubernetes:policy/v1:PodDisruptionBudget", "use1-api-pdb").inputs.spec;
        expect(pdb.maxUnavailable).toBe(1);
        expect(pdb.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "scaled-web" });
    });

    test("ws reads its adapter URL from a Secret key and the rest through envFrom", () => {
        const c = find("kubernetes:apps/v1:Deployment", "use1-ws-deploy").inputs.spec.template.spec.containers[0];
        expect(c.env).toEqual([
            { name: "LOG_LEVEL", value: "info" },
            { name: "PORT", value: "3001" },
            { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: "app-secrets", key: "VALKEY_SESSIONS_URL" } } },
        ]);
        expect(c.envFrom).toEqual([{ configMapRef: { name: "app-config" } }, { secretRef: { name: "app-secrets" } }]);
    });

    test("component outputs are the names", async () => {
        expect(await valueOf(run.outputs.api.deploymentName)).toBe("api");
        expect(await valueOf(run.outputs.ws.serviceName)).toBe("ws");
        expect(await valueOf(run.outputs.ws.namespace)).toBe("shared");
        expect(await valueOf(run.outputs.ws.serviceAccountName)).toBe("ws-gateway");
    });

    test("every Kubernetes object passes schema validation, the TargetGroupBinding against its CRD", () => {
        const report = assertKubernetesSchemas(run.resources);
        // The 11 objects before (Namespace, 2 x (Deployment, Service, ScaledObject, PDB) and the api's TriggerAuthentication…)
        // plus 2 ServiceAccounts, the api's TargetGroupBinding and the stand-in ConfigMap.
        expect(report.validated).toHaveLength(15);
        expect(report.validated).toContain("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding use1-api-tgb");
    });
});

describe("the schema helper itself", () => {
    const deployment = (container: Record<string, unknown>): Record<string, unknown> => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "x", labels: { any: "label" } },
        spec: {
            selector: { matchLabels: { a: "b" } },
            template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "nginx:1", ...container }] } },
        },
    });

    test("a valid object has no errors", () => {
        expect(schemaErrors("kubernetes:apps/v1:Deployment", deployment({ resources: { limits: { cpu: "1", memory: "1Gi" } } }))).toEqual([]);
    });

    test("a misspelt field is reported with its path", () => {
        expect(schemaErrors("kubernetes:apps/v1:Deployment", deployment({ imagePullPolcy: "Always" })))
            .toEqual(["spec.template.spec.containers[0].imagePullPolcy: unknown field (not in the kubernetes:apps/v1:Deployment schema)"]);
    });

    test("a wrong type or an invalid quantity is reported", () => {
        expect(schemaErrors("kubernetes:apps/v1:Deployment", deployment({ resources: { limits: { cpu: "lots" } } })).join("\n")).toMatch(/limits\/cpu must match format "quantity"/);
        expect(schemaErrors("kubernetes:keda.sh/v1alpha1:ScaledObject", {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: "x" },
            spec: { scaleTargetRef: { name: "x" }, triggers: [{ type: "redis", metadata: { listLength: 5 } }] },
        }).join("\n")).toMatch(/listLength must be string/);
    });

    test("an unmapped kind fails loudly instead of passing", () => {
        const fake = { type: "kubernetes:example.com/v1:Widget", name: "w", inputs: {} } as RegisteredResource;
        expect(() => assertKubernetesSchemas([fake])).toThrow(/kubernetes:example.com\/v1:Widget w: no schema model for this type/);
        expect(() => schemaErrors(fake.type, {})).toThrow(/no schema model for kubernetes:example.com\/v1:Widget/);
    });

    test("a run without Kubernetes objects is not a pass", () => {
        expect(() => assertKubernetesSchemas([])).toThrow(/no Kubernetes object was registered/);
    });
});
