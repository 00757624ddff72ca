import * as k8s from "@pulumi/kubernetes";
import {
    DEFAULT_WORKER_TERMINATION_GRACE_SECONDS,
    QUEUE_DEPTH_FORMULA,
    WorkerPool,
    WorkerPoolArgs,
    WorkerQueue,
    bullmqPrefix,
    hashTag,
    prioritizedKey,
    validateWorkerPoolArgs,
    waitListKey,
} from "../components/worker-pool";
import { DEFAULT_QUEUES } from "../platform/config";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/worker:2.0.1";

function args(over: Partial<WorkerPoolArgs> = {}): WorkerPoolArgs {
    return {
        image: IMAGE,
        queues: DEFAULT_QUEUES,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
        queueStore: { secretName: "queue-scaler-auth" },
        ...over,
    };
}

const queue = (over: Partial<WorkerQueue>): Record<string, WorkerQueue> => ({
    "sla-checks": { minReplicas: 2, maxReplicas: 5, threshold: 100, concurrency: 10, ...over },
});

describe("WorkerPool: bad input fails before anything is created", () => {
    test.each<[string, Partial<WorkerPoolArgs>, RegExp]>([
        ["min > max replicas", { queues: queue({ minReplicas: 6 }) }, /queues\.sla-checks\.minReplicas: must be <= maxReplicas \(5\), got 6/],
        ["a queue without a threshold", { queues: queue({ threshold: undefined as any }) }, /queues\.sla-checks\.threshold: is required: the number of waiting jobs per worker at which KEDA adds a worker/],
        ["a threshold of 0", { queues: queue({ threshold: 0 }) }, /queues\.sla-checks\.threshold: must be a whole number from 1 to 1000000 \(waiting jobs per worker\), got 0/],
        ["a concurrency of 0", { queues: queue({ concurrency: 0 }) }, /queues\.sla-checks\.concurrency: must be a whole number from 1 to 1000/],
        ["a queue name that is not a DNS label", { queues: { SLA_checks: DEFAULT_QUEUES["sla-checks"] } }, /queues\.SLA_checks: must be a DNS label .* got "SLA_checks"/],
        ["no queues", { queues: {} }, /queues: must name at least one queue/],
        ["an image that is not a reference", { image: "worker image" }, /image: must be a container image reference .* got "worker image"/],
        ["a CPU request that is not a quantity", { resources: { requests: { cpu: "1 core", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } } }, /resources\.requests\.cpu: must be a Kubernetes CPU quantity > 0 .* got "1 core"/],
        ["a memory request that is not a quantity", { resources: { requests: { cpu: "500m", memory: "1 GB" }, limits: { cpu: "1", memory: "2Gi" } } }, /resources\.requests\.memory: must be a Kubernetes memory quantity > 0 .* got "1 GB"/],
        ["a CPU limit below the request", { resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } } }, /resources\.limits\.cpu: must be >= the request \(2\), got "1"/],
        ["a memory limit below the request", { resources: { requests: { cpu: "500m", memory: "4Gi" }, limits: { cpu: "1", memory: "2Gi" } } }, /resources\.limits\.memory: must be >= the request \(4Gi\), got "2Gi"/],
        ["a grace period shorter than 30 s", { terminationGracePeriodSeconds: 10 }, /terminationGracePeriodSeconds: must be a whole number from 30 to 120 \(workers run on spot nodes: at least 30 s to finish in-flight jobs, at most the 2-minute spot interruption notice\), got 10/],
        ["a grace period beyond the spot notice", { terminationGracePeriodSeconds: 300 }, /terminationGracePeriodSeconds: must be a whole number from 30 to 120 .* got 300/],
        ["no queue store secret", { queueStore: { secretName: "" } }, /queueStore\.secretName: is required/],
        ["a key prefix with a colon", { keyPrefix: "bull:x" }, /keyPrefix: must be a BullMQ prefix without spaces or ':'/],
        ["a prefix without hash tag on a cluster-mode store", { keyPrefix: "bull", queueStore: { secretName: "s", clusterMode: true } },
            /keyPrefix: must contain a Redis Cluster hash tag such as "\{bull\}" on a cluster-mode queue store .* got "bull"/],
        ["an empty hash tag on a cluster-mode store", { keyPrefix: "{}bull", queueStore: { secretName: "s", clusterMode: true } }, /keyPrefix: must contain a Redis Cluster hash tag/],
        ["a secret-looking plain env var", { env: { QUEUE_TOKEN: "abc" } }, /env\.QUEUE_TOKEN: looks like a secret/],
    ])("%s", (_what, over, message) => {
        expect(() => new WorkerPool("bad", args(over))).toThrow(message);
    });

    test("every problem is reported at once, naming the component", () => {
        expect(() => new WorkerPool("bad", args({ queues: queue({ minReplicas: 9, concurrency: 0 }), image: "" })))
            .toThrow(/^Invalid arguments for WorkerPool "bad" \(3 problems\)/);
        expect(validateWorkerPoolArgs(args()).count).toBe(0);
    });

    test.each([
        ["sla-checks", undefined, "bull:sla-checks:wait"],
        ["notifications", "{bull}", "{bull}:notifications:wait"],
    ])("the wait list of %s (prefix %s) is %s", (q, prefix, key) => {
        expect(waitListKey(q, prefix)).toBe(key);
    });

    test("prioritized jobs sit in <prefix>:<queue>:prioritized, in the same hash slot as the wait list", () => {
        expect(prioritizedKey("sla-checks")).toBe("bull:sla-checks:prioritized");
        expect(hashTag(prioritizedKey("reports", "{bull}"))).toBe("bull");
        expect(hashTag(waitListKey("reports", "{bull}"))).toBe("bull");
        expect(hashTag("bull:reports:wait")).toBeUndefined();
        expect(hashTag("{}:reports:wait")).toBeUndefined();
    });

    test.each([
        [undefined, false, "bull"], [undefined, true, "{bull}"], ["{jobs}", true, "{jobs}"], ["app", false, "app"],
    ])("prefix %s on a store with cluster mode %s is %s", (given, clusterMode, expected) => {
        expect(bullmqPrefix(given, clusterMode)).toBe(expected);
    });
});

describe("WorkerPool under the mock runtime (seed 003 queues)", () => {
    let run: StackRun<WorkerPool>;
    let provider: RegisteredResource;
    const deployment = (q: string): RegisteredResource => run.get("kubernetes:apps/v1:Deployment", `use1-workers-${q}`);
    const scaler = (q: string): RegisteredResource => run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", `use1-workers-${q}-scaler`);

    beforeAll(async () => {
        run = await runComponent(() => new WorkerPool("use1-workers", args({
            namespace: "scaled-web",
            envFromSecrets: ["app-secrets"],
            envFromConfigMaps: ["app-config"],
        }), { provider: new k8s.Provider("test", { kubeconfig: "{}" }) }));
        provider = run.get("pulumi:providers:kubernetes", "test");
    });

    test("one Deployment and one ScaledObject per queue, nothing else but the TriggerAuthentication", () => {
        expect(run.ofType("kubernetes:apps/v1:Deployment").map((r) => r.name).sort()).toEqual(
            ["use1-workers-analytics", "use1-workers-notifications", "use1-workers-sla-checks"]);
        expect(run.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject")).toHaveLength(3);
        expect(run.ofType("kubernetes:keda.sh/v1alpha1:TriggerAuthentication")).toHaveLength(1);
        expect(run.ofType("kubernetes:core/v1:Namespace")).toHaveLength(0);
    });

    test("every child sits under the pool and goes through the given k8s provider", () => {
        const pool = run.get("scaled-web:workloads:WorkerPool", "use1-workers");
        const children = run.descendantsOf(pool);
        // A ServiceAccount, the TriggerAuthentication, and a Deployment + ScaledObject per queue.
        expect(children).toHaveLength(8);
        for (const c of children) {
            expect(run.parentOf(c)?.urn).toBe(pool.urn);
            expect(c.provider?.startsWith(`${provider.urn}::`)).toBe(true);
        }
    });

    test.each(Object.entries(DEFAULT_QUEUES))("%s workers run on spot with the queue's concurrency", (q, cfg) => {
        const d = deployment(q).inputs;
        expect(d.metadata).toMatchObject({ name: `worker-${q}`, namespace: "scaled-web" });
        expect(d.spec.replicas).toBe(cfg.minReplicas);
        const pod = d.spec.template.spec;
        expect(pod.nodeSelector).toEqual({ "node-type": "spot" });
        expect(pod.tolerations).toEqual([{ key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" }]);
        expect(pod.terminationGracePeriodSeconds).toBe(DEFAULT_WORKER_TERMINATION_GRACE_SECONDS);
        // Every queue's pods run as the pool's own ServiceAccount (a Pod Identity association binds it to a role).
        expect(pod).toMatchObject({ serviceAccountName: "worker", automountServiceAccountToken: false });
        const c = pod.containers[0];
        expect(c.image).toBe(IMAGE);
        expect(c.env).toEqual(expect.arrayContaining([
            { name: "QUEUE_NAME", value: q },
            { name: "WORKER_CONCURRENCY", value: String(cfg.concurrency) },
            { name: "QUEUE_PREFIX", value: "bull" },
        ]));
        expect(c.envFrom).toEqual([{ configMapRef: { name: "app-config" } }, { secretRef: { name: "app-secrets" } }]);
        expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } });
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    });

    test.each(Object.entries(DEFAULT_QUEUES))("%s scales between its min and max on waiting + prioritized jobs", (q, cfg) => {
        const so = scaler(q).inputs;
        expect(so.apiVersion).toBe("keda.sh/v1alpha1");
        expect(so.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: `worker-${q}` });
        expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([cfg.minReplicas, cfg.maxReplicas]);
        const metadata = (key: string): Record<string, string> => ({ listName: key, listLength: String(cfg.threshold), enableTLS: "true", databaseIndex: "0" });
        expect(so.spec.triggers).toEqual([
            { type: "redis", name: "wait", metadata: metadata(`bull:${q}:wait`), authenticationRef: { name: "worker-queue-auth" } },
            { type: "redis", name: "prioritized", metadata: metadata(`bull:${q}:prioritized`), authenticationRef: { name: "worker-queue-auth" } },
        ]);
        // One composite metric, the sum, with the queue's threshold per worker (not the larger of the two).
        expect(so.spec.advanced.scalingModifiers).toEqual({ formula: "wait + prioritized", target: String(cfg.threshold), metricType: "AverageValue" });
        expect(QUEUE_DEPTH_FORMULA).toBe(so.spec.triggers.map((t: any) => t.name).join(" + "));
    });

    test("KEDA reads the store's address and password from the Secret, never from the manifest", () => {
        const ta = run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "use1-workers-queue-auth").inputs;
        expect(ta.spec.secretTargetRef).toEqual([
            { parameter: "address", name: "queue-scaler-auth", key: "address" },
            { parameter: "password", name: "queue-scaler-auth", key: "password" },
        ]);
    });

    test("outputs name each queue's Deployment", async () => {
        expect(run.outputs.queues).toEqual(["sla-checks", "notifications", "analytics"]);
        expect(await valueOf(run.outputs.deploymentNames["analytics"])).toBe("worker-analytics");
        expect(await valueOf(run.outputs.namespace)).toBe("scaled-web");
    });

    test("every Kubernetes object passes schema validation", () => {
        expect(assertKubernetesSchemas(run.resources).validated).toHaveLength(8);
    });
});

describe("WorkerPool on a cluster-mode store with its own namespace", () => {
    let run: StackRun<WorkerPool>;

    beforeAll(async () => {
        run = await runComponent(() => new WorkerPool("c-workers", args({
            app: "jobs",
            queues: { reports: { minReplicas: 0, maxReplicas: 4, threshold: 50, concurrency: 2 } },
            keyPrefix: "{bull}",
            terminationGracePeriodSeconds: 30,
            queueStore: { secretName: "store", addressKey: "nodes", passwordKey: "token", clusterMode: true },
        }), { provider: new k8s.Provider("test", { kubeconfig: "{}" }) }));
    });

    test("uses KEDA's redis-cluster scaler and the cluster's hash-tagged keys", () => {
        const so = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "c-workers-reports-scaler").inputs;
        expect(so.spec.minReplicaCount).toBe(0);
        expect(so.spec.triggers[0]).toMatchObject({ type: "redis-cluster", metadata: { listName: "{bull}:reports:wait", listLength: "50" } });
        expect(so.spec.triggers[1]).toMatchObject({ type: "redis-cluster", metadata: { listName: "{bull}:reports:prioritized", listLength: "50" } });
        expect(so.spec.triggers[0].metadata.databaseIndex).toBeUndefined();
        const ta = run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "c-workers-queue-auth").inputs;
        expect(ta.spec.secretTargetRef).toEqual([
            { parameter: "addresses", name: "store", key: "nodes" },
            { parameter: "password", name: "store", key: "token" },
        ]);
    });

    test("creates a restricted namespace named after the app", () => {
        const ns = run.get("kubernetes:core/v1:Namespace", "c-workers-ns").inputs;
        expect(ns.metadata.name).toBe("jobs");
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        expect(run.get("kubernetes:apps/v1:Deployment", "c-workers-reports").inputs.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
        assertKubernetesSchemas(run.resources);
    });
});

describe("WorkerPool on a cluster-mode store without an explicit prefix", () => {
    test("defaults to the hash-tagged {bull} prefix for workers and KEDA alike", async () => {
        const run = await runComponent(() => new WorkerPool("d-workers", args({
            queues: { reports: { minReplicas: 1, maxReplicas: 4, threshold: 50, concurrency: 2 } },
            queueStore: { secretName: "store", clusterMode: true },
        }), { provider: new k8s.Provider("test", { kubeconfig: "{}" }) }));
        const so = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "d-workers-reports-scaler").inputs;
        expect(so.spec.triggers.map((t: any) => t.metadata.listName)).toEqual(["{bull}:reports:wait", "{bull}:reports:prioritized"]);
        const env = run.get("kubernetes:apps/v1:Deployment", "d-workers-reports").inputs.spec.template.spec.containers[0].env;
        expect(env).toContainEqual({ name: "QUEUE_PREFIX", value: "{bull}" });
    });
});
