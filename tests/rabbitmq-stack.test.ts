/**
 * `scaled-web:queueBackend: { type: rabbitmq }` (issue 19): prod with its queues on Amazon MQ for RabbitMQ
 * plans cleanly, the workers scale on KEDA `rabbitmq` triggers, the queue alarms read Amazon MQ's own
 * per-queue metric, and the policy pack (prod config) has nothing to say about the broker. Bad backend
 * settings are config errors naming the key.
 */
import { parseConfig } from "../platform/config";
import { configMessageOf } from "./config-fixtures";
import { assertKubernetesSchemas } from "./k8s-schema";
import { StackRun, runStack } from "./harness";
import { evaluatePolicies, loadPolicyConfig } from "../toolkit/policy-runner";

describe("prod with queueBackend rabbitmq", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("prod", { queueBackend: { type: "rabbitmq" } });
    }, 300_000);

    test.each([["use1", 3], ["usw2", 3]] as const)("%s: a private RabbitMQ 4.2 cluster on mq.m7g.large over the private subnets", (code, subnets) => {
        const b = run.get("aws:mq/broker:Broker", `prod-${code}-queue-broker`).inputs;
        expect(b).toMatchObject({ brokerName: `prod-${code}-queue`, engineType: "RabbitMQ", engineVersion: "4.2", hostInstanceType: "mq.m7g.large", deploymentMode: "CLUSTER_MULTI_AZ", publiclyAccessible: false });
        expect(b.subnetIds).toHaveLength(subnets);
        // No BullMQ leftovers: no queue-depth publisher, no Valkey scaler secret; Pulumi creates no Kubernetes Secret.
        expect(run.ofType("kubernetes:apps/v1:Deployment").filter((d) => d.name.startsWith(`prod-${code}-queue-metrics`))).toEqual([]);
        expect(run.ofType("kubernetes:core/v1:Secret")).toEqual([]);
        // The broker's URL sits in this region's Secrets Manager under the stack's prefix, which ESO's role may read.
        const secret = run.get("aws:secretsmanager/secret:Secret", `prod-${code}-queue-user`);
        expect(secret.inputs.name).toBe("scaled-web/prod/queue-broker");
        const names = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").filter((e) => e.name.startsWith(`prod-${code}-`)).map((e) => e.inputs.metadata.name).sort();
        expect(names).toEqual(["api-secrets", "queue-broker", "worker-secrets", "ws-secrets"]);
    });

    test("workers: one rabbitmq trigger per queue at its threshold, host from the broker Secret; workers read AMQP_URL", () => {
        const so = run.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "prod-use1-workers-notifications-scaler").inputs.spec;
        expect(so.triggers).toEqual([{
            type: "rabbitmq", name: "messages",
            metadata: { protocol: "amqp", mode: "QueueLength", value: "500", queueName: "notifications", vhostName: "/" },
            authenticationRef: { name: "worker-queue-auth" },
        }]);
        expect(so.advanced.scalingModifiers).toBeUndefined();
        const auth = run.get("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "prod-use1-workers-queue-auth").inputs.spec;
        expect(auth).toEqual({ secretTargetRef: [{ parameter: "host", name: "queue-broker", key: "url" }] });
        // The workers' own ExternalSecret carries AMQP_URL from the broker secret, and nothing of the Valkey queue store.
        const workerSecret = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret").find((e) => e.name.startsWith("prod-use1-") && e.inputs.metadata.name === "worker-secrets")!;
        const keys = workerSecret.inputs.spec.data.map((d: any) => [d.secretKey, d.remoteRef.key, d.remoteRef.property]);
        expect(keys).toEqual([["AMQP_URL", "scaled-web/prod/queue-broker", "url"]]);
        const container = run.get("kubernetes:apps/v1:Deployment", "prod-use1-workers-notifications").inputs.spec.template.spec.containers[0];
        expect(container.envFrom).toContainEqual({ secretRef: { name: "worker-secrets" } });
        expect((container.env ?? []).find((e: any) => e.name === "QUEUE_REDIS_URL")).toBeUndefined();
    });

    test("queue alarms read AWS/AmazonMQ MessageCount with Broker, VirtualHost and Queue", () => {
        const alarm = run.get("aws:cloudwatch/metricAlarm:MetricAlarm", "prod-use1-obs-queue-depth-analytics-critical").inputs;
        expect(alarm).toMatchObject({ namespace: "AWS/AmazonMQ", metricName: "MessageCount", dimensions: { Broker: "prod-use1-queue", VirtualHost: "/", Queue: "analytics" } });
    });

    test("every Kubernetes object passes its schema", () => {
        expect(assertKubernetesSchemas(run.resources).validated.length).toBeGreaterThan(20);
    });

    test("the prod policy config finds nothing on the brokers (private, multi-AZ)", () => {
        const report = evaluatePolicies(run.resources, { config: loadPolicyConfig("prod") });
        expect(report.violations.filter((v) => v.policyName === "mq-broker-private-multi-az")).toEqual([]);
        expect(report.policies.map((p) => p.name)).toContain("mq-broker-private-multi-az");
    });
});

describe("queueBackend: switching is a validated change", () => {
    const base = (queueBackend: unknown, over: Record<string, unknown> = {}): any => ({
        environment: "prod", tier: "large", domain: "example.com",
        regions: { "us-east-1": { role: "primary", weight: 100 } },
        api: { image: "registry.example.com/team/api:1.0.0" },
        ws: { image: "registry.example.com/team/ws:1.0.0" },
        workers: { image: "registry.example.com/team/worker:1.0.0" },
        cluster: { nodeAmi: { release: "v20260714" }, adminPrincipals: { "platform-admins": "arn:aws:iam::123456789012:role/platform-admins" } },
        queueBackend, ...over,
    });
    const messageOf = (raw: unknown, stack = "prod"): string => configMessageOf(raw, stack);

    test("bullmq by default; rabbitmq with its defaults", () => {
        expect(parseConfig(base(undefined), "prod").queueBackend).toEqual({ type: "bullmq", engineVersion: "4.2", instanceType: "mq.m7g.large", deploymentMode: "CLUSTER_MULTI_AZ" });
        expect(parseConfig(base({ type: "rabbitmq" }), "prod").queueBackend.type).toBe("rabbitmq");
    });

    test.each<[string, unknown, Record<string, unknown>, RegExp]>([
        ["a single instance in prod", { type: "rabbitmq", deploymentMode: "SINGLE_INSTANCE" }, {}, /scaled-web:queueBackend\.deploymentMode: must be "CLUSTER_MULTI_AZ" in prod/],
        ["4.2 on mq.m5", { type: "rabbitmq", instanceType: "mq.m5.large" }, {}, /scaled-web:queueBackend\.instanceType: RabbitMQ 4\.2 runs on mq\.m7g instance types only, got "mq\.m5\.large"/],
        ["a version Amazon MQ does not offer", { type: "rabbitmq", engineVersion: "3.8" }, {}, /scaled-web:queueBackend\.engineVersion: must be a RabbitMQ version Amazon MQ offers/],
        ["an unknown backend", { type: "sqs" }, {}, /scaled-web:queueBackend\.type: must be "bullmq" or "rabbitmq"/],
        ["the BullMQ-only reference app", { type: "rabbitmq" }, { workers: {} }, /scaled-web:workers\.image: is required with queueBackend\.type rabbitmq: the reference app \(app\/\) speaks BullMQ only/],
    ])("%s", (_what, backend, over, message) => {
        expect(messageOf(base(backend, over))).toMatch(message);
    });

    test("dev may run a single 3.13 instance on mq.t3.micro", () => {
        const c = parseConfig(base({ type: "rabbitmq", deploymentMode: "SINGLE_INSTANCE", engineVersion: "3.13", instanceType: "mq.t3.micro" }, { environment: "dev", tier: "small" }), "dev");
        expect(c.queueBackend).toMatchObject({ deploymentMode: "SINGLE_INSTANCE", instanceType: "mq.t3.micro" });
    });
});
