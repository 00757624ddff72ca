import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { DEFAULT_QUEUE_DEPTH_METRIC } from "../components/observability";
import {
    QueueMetricsPublisher,
    QueueMetricsPublisherArgs,
    publishedQueueDepthMetric,
    queueMetricsPolicy,
    validateQueueMetricsPublisherArgs,
} from "../components/queue-metrics";
import { PodIdentityRole } from "../components/pod-identity";
import { StackRun, runComponent, valueOf } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scaled-web/worker:2.0.1";

function args(over: Partial<QueueMetricsPublisherArgs> = {}): QueueMetricsPublisherArgs {
    return {
        namespace: "scaled-web",
        image: IMAGE,
        queues: ["sla-checks", "notifications", "analytics"],
        region: "us-east-1",
        clusterName: "prod-use1-eks",
        // Validation fails before the role is used; the runtime tests pass a real one.
        role: undefined as unknown as PodIdentityRole,
        k8sProvider: undefined as unknown as k8s.Provider,
        envFromSecrets: ["app-secrets"],
        envFromConfigMaps: ["app-config"],
        ...over,
    };
}

describe("QueueMetricsPublisher: what it publishes and may do", () => {
    test("the published metric is the one the queue alarms read by default", () => {
        expect(publishedQueueDepthMetric()).toEqual(DEFAULT_QUEUE_DEPTH_METRIC);
    });

    test("PutMetricData only, only into its own namespace (condition key cloudwatch:namespace)", () => {
        expect(queueMetricsPolicy("ScaledWeb/Queues")).toEqual({
            Version: "2012-10-17",
            Statement: [{
                Sid: "PutQueueDepth",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": "ScaledWeb/Queues" } },
            }],
        });
    });

    test.each<[string, Partial<QueueMetricsPublisherArgs>, RegExp]>([
        ["no queues", { queues: [] }, /queues: must name at least one BullMQ queue/],
        ["a queue name that is not a DNS label", { queues: ["SLA_checks"] }, /queues\[0\]: must be a DNS label/],
        ["a repeated queue", { queues: ["a", "a"] }, /queues: must not repeat a queue/],
        ["an AWS/ namespace", { metricsNamespace: "AWS/SQS" }, /metricsNamespace: must be a custom CloudWatch namespace .* got "AWS\/SQS"/],
        ["an interval under 10 s", { intervalSeconds: 5 }, /intervalSeconds: must be a whole number from 10 to 300/],
        ["a prefix with a comma", { keyPrefix: "a,b" }, /keyPrefix: must be a BullMQ prefix without spaces, ':' or ','/],
        ["an env var the component sets", { env: { QUEUE_NAMES: "x" } }, /env\.QUEUE_NAMES: is set by the component/],
        ["a bad image", { image: "not an image" }, /image: must be a container image reference/],
    ])("rejects %s before creating anything", (_what, over, message) => {
        expect(() => new QueueMetricsPublisher("bad", args(over))).toThrow(message);
    });

    test("valid args have no problem", () => {
        expect(validateQueueMetricsPublisherArgs(args()).count).toBe(0);
    });
});

describe("QueueMetricsPublisher under the mock runtime", () => {
    let run: StackRun<QueueMetricsPublisher>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-test", { region: "us-east-1" });
            const k8sProvider = new k8s.Provider("k8s-test", { kubeconfig: "{}" });
            const role = new PodIdentityRole("queue-metrics-role", { description: "queue-metrics", policy: queueMetricsPolicy("ScaledWeb/Queues"), sourceAccount: "123456789012" }, { provider });
            return new QueueMetricsPublisher("qm", args({ k8sProvider, role, keyPrefix: "{bull}", tags: { team: "platform" } }), { provider });
        });
    });

    const deployment = (): any => run.get("kubernetes:apps/v1:Deployment", "qm-deployment").inputs;

    test("AWS children go through the region's provider, Kubernetes children through the cluster's, all under the component", () => {
        const component = run.get("scaled-web:workloads:QueueMetricsPublisher", "qm");
        const awsProvider = run.get("pulumi:providers:aws", "aws-test");
        const k8sProvider = run.get("pulumi:providers:kubernetes", "k8s-test");
        const children = run.descendantsOf(component);
        // The role is the caller's (one per stack); the component only associates it in this cluster.
        expect(children.map((c) => c.type).sort()).toEqual([
            "aws:eks/podIdentityAssociation:PodIdentityAssociation", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount",
        ]);
        for (const c of children) {
            const expected = c.type.startsWith("aws:") ? awsProvider : k8sProvider;
            expect(c.provider?.startsWith(`${expected.urn}::`)).toBe(true);
        }
    });

    test("its role reaches the pod through a Pod Identity association for its own service account (no IRSA annotation)", async () => {
        const role = run.get("aws:iam/role:Role", "queue-metrics-role");
        const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "queue-metrics-role-qm");
        expect(association.inputs).toMatchObject({ clusterName: "prod-use1-eks", namespace: "scaled-web", serviceAccount: "queue-metrics", roleArn: role.state.arn, tags: { team: "platform" } });
        expect(association.region).toBe("us-east-1");
        expect(await valueOf(run.outputs.roleArn)).toBe(role.state.arn);
        expect(JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "queue-metrics-role").inputs.policy)).toEqual(queueMetricsPolicy("ScaledWeb/Queues"));
        const sa = run.get("kubernetes:core/v1:ServiceAccount", "qm-sa").inputs;
        expect(sa.metadata.annotations).toBeUndefined();
        expect(sa.automountServiceAccountToken).toBe(false);
    });

    test("one replica on the on-demand pool, restricted, with requests and limits", () => {
        const d = deployment();
        expect(d.spec.replicas).toBe(1);
        const pod = d.spec.template.spec;
        expect(pod.serviceAccountName).toBe("queue-metrics");
        expect(pod.nodeSelector).toEqual({ "node-type": "on-demand" });
        expect(pod.tolerations).toBeUndefined();
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        const c = pod.containers[0];
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(c.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
    });

    test("the app contract: APP_ROLE, QUEUE_NAMES, QUEUE_PREFIX, METRICS_*, AWS_REGION, and the workers' envFrom", () => {
        const c = deployment().spec.template.spec.containers[0];
        expect(c.image).toBe(IMAGE);
        expect(c.env).toEqual([
            { name: "APP_ROLE", value: "queue-metrics" },
            { name: "AWS_REGION", value: "us-east-1" },
            { name: "METRICS_INTERVAL_SECONDS", value: "60" },
            { name: "METRICS_NAMESPACE", value: "ScaledWeb/Queues" },
            { name: "QUEUE_NAMES", value: "sla-checks,notifications,analytics" },
            { name: "QUEUE_PREFIX", value: "{bull}" },
        ]);
        expect(c.envFrom).toEqual([{ configMapRef: { name: "app-config" } }, { secretRef: { name: "app-secrets" } }]);
        expect(run.outputs.metric).toEqual(DEFAULT_QUEUE_DEPTH_METRIC);
    });

    test("every Kubernetes object passes schema validation", () => {
        expect(assertKubernetesSchemas(run.resources).validated).toHaveLength(2);
    });
});
