/**
 * MessageBroker (Amazon MQ for RabbitMQ, the RabbitMQ queue backend) under the mock runtime, its
 * argument checks, and the KEDA `rabbitmq` trigger against the KEDA v2.18.3 ScaledObject schema.
 */
import {
    MessageBroker, MessageBrokerArgs, amqpUrl, brokerQueueDepthMetric, rabbitmqQueueTrigger, validateMessageBrokerArgs,
} from "../components/message-broker";
import { StackRun, runComponent, valueOf } from "./harness";
import { schemaErrors } from "./k8s-schema";

function args(over: Partial<MessageBrokerArgs> = {}): MessageBrokerArgs {
    return { brokerName: "prod-use1-queue", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b", "subnet-c"], clientSecurityGroupIds: ["sg-nodes"], ...over };
}

describe("MessageBroker: bad input fails before anything is created", () => {
    test.each<[string, Partial<MessageBrokerArgs>, RegExp]>([
        ["RabbitMQ 4.2 on mq.m5", { instanceType: "mq.m5.large" }, /instanceType: RabbitMQ 4\.2 runs on mq\.m7g instance types only, got "mq\.m5\.large"/],
        ["an engine version Amazon MQ does not offer", { engineVersion: "3.12" }, /engineVersion: must be a RabbitMQ version Amazon MQ offers \(4\.2, 3\.13\), got "3\.12"/],
        ["a cluster on mq.t3.micro", { engineVersion: "3.13", instanceType: "mq.t3.micro" }, /instanceType: mq\.t3\.micro is single-instance only/],
        ["a cluster in one subnet", { subnetIds: ["subnet-a"] }, /subnetIds: a cluster broker spreads its nodes over subnets in different zones; give at least 2, got 1/],
        ["a single instance in three subnets", { deploymentMode: "SINGLE_INSTANCE" }, /subnetIds: a single-instance broker takes exactly one subnet, got 3/],
        ["no client security group", { clientSecurityGroupIds: [] }, /clientSecurityGroupIds: must name at least one security group/],
        ["the guest user", { username: "guest" }, /username: must be 2-100 .* not "guest"/],
        ["a broker name with dots", { brokerName: "prod.queue" }, /brokerName: must be 1-50 letters, digits/],
    ])("%s", (_what, over, message) => {
        expect(() => new MessageBroker("bad", args(over))).toThrow(message);
    });

    test("valid: a cluster on mq.m7g with 4.2, and a dev single instance on mq.t3.micro with 3.13", () => {
        expect(validateMessageBrokerArgs(args()).count).toBe(0);
        expect(validateMessageBrokerArgs(args({ deploymentMode: "SINGLE_INSTANCE", engineVersion: "3.13", instanceType: "mq.t3.micro", subnetIds: ["subnet-a"] })).count).toBe(0);
    });
});

describe("MessageBroker under the mock runtime", () => {
    let run: StackRun<{ broker: MessageBroker }>;
    beforeAll(async () => {
        run = await runComponent(() => ({ broker: new MessageBroker("use1-queue", args()) }));
    });

    test("a private RabbitMQ cluster over the given subnets, reachable on 5671 from the node security group only", () => {
        const b = run.get("aws:mq/broker:Broker", "use1-queue-broker").inputs;
        expect(b).toMatchObject({
            brokerName: "prod-use1-queue", engineType: "RabbitMQ", engineVersion: "4.2", hostInstanceType: "mq.m7g.large",
            deploymentMode: "CLUSTER_MULTI_AZ", publiclyAccessible: false, subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
            autoMinorVersionUpgrade: true, logs: { general: true },
        });
        expect(b.users).toHaveLength(1);
        expect(b.users[0].username).toBe("app");
        const rule = run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "use1-queue-amqps-0").inputs;
        expect(rule).toMatchObject({ referencedSecurityGroupId: "sg-nodes", ipProtocol: "tcp", fromPort: 5671, toPort: 5671 });
        expect(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).toHaveLength(1);
    });

    test("the user's password and the amqps URL live in a Secrets Manager secret, as a Pulumi secret", async () => {
        const v = run.get("aws:secretsmanager/secretVersion:SecretVersion", "use1-queue-user");
        expect(v.secretInputs).toContain("secretString");
        const value = JSON.parse(v.inputs.secretString);
        expect(value.username).toBe("app");
        const pw = run.get("random:index/randomPassword:RandomPassword", "use1-queue-user");
        expect(pw.inputs).toMatchObject({ length: 32, special: false });
        expect(value.password).toBe(pw.state.result);
        expect(run.get("aws:mq/broker:Broker", "use1-queue-broker").secretInputs).toContain("users[0].password");
        expect(await valueOf(run.outputs.broker.secretArn)).toBeDefined();
    });
});

describe("RabbitMQ wiring helpers", () => {
    test("amqpUrl: TLS on 5671, credentials encoded, the default vhost as %2F", () => {
        expect(amqpUrl("amqps://b-1.mq.us-east-1.amazonaws.com:5671", "app", "p@ss/word")).toBe("amqps://app:p%40ss%2Fword@b-1.mq.us-east-1.amazonaws.com:5671/%2F");
        expect(amqpUrl("b-1.mq.us-east-1.amazonaws.com", "app", "x")).toBe("amqps://app:x@b-1.mq.us-east-1.amazonaws.com:5671/%2F");
    });

    test("the KEDA rabbitmq trigger (v2.18.3 metadata) passes the ScaledObject schema", () => {
        const trigger = rabbitmqQueueTrigger("notifications", 500, "worker-amqp-auth");
        expect(trigger).toEqual({
            type: "rabbitmq", name: "messages",
            metadata: { protocol: "amqp", mode: "QueueLength", value: "500", queueName: "notifications", vhostName: "/" },
            authenticationRef: { name: "worker-amqp-auth" },
        });
        const so = {
            apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "worker-notifications", namespace: "scaled-web" },
            spec: { scaleTargetRef: { name: "worker-notifications" }, minReplicaCount: 2, maxReplicaCount: 8, triggers: [trigger] },
        };
        expect(schemaErrors("kubernetes:keda.sh/v1alpha1:ScaledObject", so)).toEqual([]);
    });

    test("queue depth from Amazon MQ's own per-queue metric", () => {
        expect(brokerQueueDepthMetric("prod-use1-queue", "analytics")).toEqual({
            namespace: "AWS/AmazonMQ", metricName: "MessageCount", dimensions: { Broker: "prod-use1-queue", VirtualHost: "/", Queue: "analytics" },
        });
    });
});
