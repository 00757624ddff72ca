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
            const api = new RegionalDeployment("use1-api", args({ targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef", targetGroupBindingDependsOn: [controller] }), { provider: k8sProvider });
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
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
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

    test("the HPA scales on CPU 70 % and memory 80 % with the seed's timings", () => {
        const hpa = find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "use1-api-hpa").inputs;
        expect(hpa.apiVersion).toBe("autoscaling/v2");
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "api" });
        expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([5, 20]);
        expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([["cpu", 70], ["memory", 80]]);
        expect(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds).toBe(120);
        expect(hpa.spec.behavior.scaleUp.policies.every((p: any) => p.periodSeconds === 180)).toBe(true);
        expect(hpa.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 600, selectPolicy: "Min", policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] });
        expect(hpa.spec.behavior).toEqual(JSON.parse(JSON.stringify(HPA_BEHAVIOR)));
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
        // Namespace, 2 x (ServiceAccount, Deployment, Service, HPA, PDB), the api's TargetGroupBinding, the stand-in ConfigMap.
        expect(report.validated).toHaveLength(13);
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
