/**
 * Amazon MQ for RabbitMQ as a queue backend (seeds 001 and 002 queue on a RabbitMQ cluster), plus the KEDA
 * trigger and the CloudWatch metric a RabbitMQ queue is scaled and watched on.
 *
 * Sources:
 * - Amazon MQ Developer Guide, "Managing Amazon MQ for RabbitMQ engine versions": RabbitMQ 4.2 (recommended)
 *   runs only on `mq.m7g` instance types; 3.13 on `mq.t3`, `mq.m5` and `mq.m7g`. A new broker needs only
 *   major.minor. Cluster deployments (`CLUSTER_MULTI_AZ`, three nodes across zones behind one endpoint) are
 *   not offered on `mq.t3.micro`, which is single-instance only.
 * - Pulumi AWS provider `aws.mq.Broker` (node_modules/@pulumi/aws/mq/broker.d.ts): `engineType` "RabbitMQ",
 *   one user at creation (changing it recreates the broker), `publiclyAccessible`, `subnetIds`,
 *   `securityGroups`, `encryptionOptions.useAwsOwnedKey` (default true), `logs.general`.
 * - RabbitMQ on Amazon MQ accepts AMQP only over TLS, on 5671 (`amqps://`).
 * - KEDA v2.18.3 `pkg/scalers/rabbitmq_scaler.go`: metadata `queueName`, `mode` (QueueLength), `value`,
 *   `protocol` (amqp|http|auto), `vhostName`; `host` from trigger metadata, auth params or the env.
 * - Amazon MQ CloudWatch metrics for RabbitMQ: namespace `AWS/AmazonMQ`, per-queue `MessageCount` with the
 *   dimensions `Broker`, `VirtualHost`, `Queue`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Problems, show } from "./validation";

export const RABBITMQ_ENGINE = "RabbitMQ";
export const AMQPS_PORT = 5671;
export const DEFAULT_RABBITMQ_VERSION = "4.2";
export const DEFAULT_BROKER_INSTANCE_TYPE = "mq.m7g.large";
export type BrokerDeploymentMode = "CLUSTER_MULTI_AZ" | "SINGLE_INSTANCE";
/** Instance families per RabbitMQ major.minor (Amazon MQ Developer Guide, see the file comment). */
export const RABBITMQ_VERSION_FAMILIES: Readonly<Record<string, readonly string[]>> = {
    "4.2": ["mq.m7g"],
    "3.13": ["mq.t3", "mq.m5", "mq.m7g"],
};
export const DEFAULT_VHOST = "/";

export interface MessageBrokerArgs {
    /** Broker name (1-50 of letters, digits, '-', '_'). */
    readonly brokerName: string;
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets: 1 for a single instance, 2 or more (in different zones) for a cluster. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** Security groups whose members may connect on 5671 (e.g. the cluster's node security group). */
    readonly clientSecurityGroupIds: readonly pulumi.Input<string>[];
    /** @default "CLUSTER_MULTI_AZ" */
    readonly deploymentMode?: BrokerDeploymentMode;
    /** @default "4.2" */
    readonly engineVersion?: string;
    /** @default "mq.m7g.large" */
    readonly instanceType?: string;
    /** Application user name. @default "app" */
    readonly username?: string;
    tags?: Record<string, string>;
}

export function validateMessageBrokerArgs(args: MessageBrokerArgs): Problems {
    const p = new Problems();
    p.check(typeof args.brokerName === "string" && /^[A-Za-z0-9_-]{1,50}$/.test(args.brokerName), "brokerName", `must be 1-50 letters, digits, '-' or '_', got ${show(args.brokerName)}`);
    const mode = args.deploymentMode ?? "CLUSTER_MULTI_AZ";
    p.check(mode === "CLUSTER_MULTI_AZ" || mode === "SINGLE_INSTANCE", "deploymentMode", `must be "CLUSTER_MULTI_AZ" or "SINGLE_INSTANCE", got ${show(mode)}`);
    const version = args.engineVersion ?? DEFAULT_RABBITMQ_VERSION;
    const type = args.instanceType ?? DEFAULT_BROKER_INSTANCE_TYPE;
    const families = RABBITMQ_VERSION_FAMILIES[version];
    if (!families) {
        p.add("engineVersion", `must be a RabbitMQ version Amazon MQ offers (${Object.keys(RABBITMQ_VERSION_FAMILIES).join(", ")}), got ${show(version)}`);
    } else if (!families.some((f) => type.startsWith(`${f}.`))) {
        p.add("instanceType", `RabbitMQ ${version} runs on ${families.join(", ")} instance types only, got ${show(type)}`);
    }
    if (mode === "CLUSTER_MULTI_AZ" && type === "mq.t3.micro") {
        p.add("instanceType", "mq.t3.micro is single-instance only; a cluster needs mq.m5/mq.m7g (e.g. mq.m7g.large)");
    }
    const subnets = (args.subnetIds ?? []).length;
    if (mode === "SINGLE_INSTANCE") {
        p.check(subnets === 1, "subnetIds", `a single-instance broker takes exactly one subnet, got ${subnets}`);
    } else {
        p.check(subnets >= 2, "subnetIds", `a cluster broker spreads its nodes over subnets in different zones; give at least 2, got ${subnets}`);
    }
    p.check((args.clientSecurityGroupIds ?? []).length >= 1, "clientSecurityGroupIds", "must name at least one security group allowed to connect on 5671");
    if (args.username !== undefined) {
        // Amazon MQ user names: 2-100 of letters, digits, '-', '.', '_', '~'; not "guest".
        p.check(/^[A-Za-z0-9._~-]{2,100}$/.test(args.username) && args.username !== "guest", "username", `must be 2-100 of letters, digits, '-', '.', '_', '~' and not "guest", got ${show(args.username)}`);
    }
    return p;
}

/** `amqps://user:password@host:5671/vhost`, user and password URL-encoded, `/` vhost as `%2F`. */
export function amqpUrl(endpoint: string, username: string, password: string, vhost: string = DEFAULT_VHOST): string {
    const u = new URL(endpoint.startsWith("amqps://") ? endpoint : `amqps://${endpoint}`);
    return `amqps://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${u.hostname}:${u.port || AMQPS_PORT}/${encodeURIComponent(vhost)}`;
}

/** KEDA `rabbitmq` trigger for one queue: its message count per worker, host from the TriggerAuthentication. */
export function rabbitmqQueueTrigger(queue: string, threshold: number, authName: pulumi.Input<string>, vhost: string = DEFAULT_VHOST): Record<string, unknown> {
    return {
        type: "rabbitmq",
        name: "messages",
        metadata: { protocol: "amqp", mode: "QueueLength", value: String(threshold), queueName: queue, vhostName: vhost },
        authenticationRef: { name: authName },
    };
}

/** CloudWatch metric of a queue's depth on the broker (for the queue-depth alarms). */
export function brokerQueueDepthMetric(brokerName: pulumi.Input<string>, queue: string, vhost: string = DEFAULT_VHOST): { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> } {
    return { namespace: "AWS/AmazonMQ", metricName: "MessageCount", dimensions: { Broker: brokerName, VirtualHost: vhost, Queue: queue } };
}

/**
 * A private Amazon MQ for RabbitMQ broker: a cluster of three nodes over the zones by default (single
 * instance allowed, e.g. for dev), reachable only on 5671 (TLS) from the given security groups, general
 * logs on, minor versions upgraded automatically, its one user's password random and kept, with the
 * `amqps://` URL, in a Secrets Manager secret. Pass the region's provider in `opts.provider`.
 */
export class MessageBroker extends pulumi.ComponentResource {
    public readonly broker: aws.mq.Broker;
    public readonly securityGroupId: pulumi.Output<string>;
    /** Secrets Manager secret: JSON `{ username, password, url }`. */
    public readonly secretArn: pulumi.Output<string>;
    /** `amqps://user:password@host:5671/%2F` (secret). */
    public readonly url: pulumi.Output<string>;
    public readonly brokerName: string;

    constructor(name: string, args: MessageBrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        validateMessageBrokerArgs(args).throwIfAny(`MessageBroker "${name}"`);
        super("scaled-web:data:MessageBroker", name, {}, opts);
        const here = { parent: this };
        const tags = { ...(args.tags ?? {}) };
        const username = args.username ?? "app";
        this.brokerName = args.brokerName;

        const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: args.vpcId, description: `${args.brokerName}: AMQPS from the cluster`, tags }, here);
        args.clientSecurityGroupIds.forEach((source, i) => {
            new aws.vpc.SecurityGroupIngressRule(`${name}-amqps-${i}`, {
                securityGroupId: sg.id, referencedSecurityGroupId: source, ipProtocol: "tcp", fromPort: AMQPS_PORT, toPort: AMQPS_PORT,
                description: "AMQP over TLS from the workloads", tags,
            }, here);
        });
        this.securityGroupId = sg.id;

        const password = new random.RandomPassword(`${name}-user`, { length: 32, special: false }, here);
        this.broker = new aws.mq.Broker(`${name}-broker`, {
            brokerName: args.brokerName,
            engineType: RABBITMQ_ENGINE,
            engineVersion: args.engineVersion ?? DEFAULT_RABBITMQ_VERSION,
            hostInstanceType: args.instanceType ?? DEFAULT_BROKER_INSTANCE_TYPE,
            deploymentMode: args.deploymentMode ?? "CLUSTER_MULTI_AZ",
            publiclyAccessible: false,
            subnetIds: [...args.subnetIds],
            securityGroups: [sg.id],
            autoMinorVersionUpgrade: true,
            logs: { general: true },
            users: [{ username, password: pulumi.secret(password.result) }],
            tags,
        }, here);

        const endpoint = this.broker.instances.apply((i) => i?.[0]?.endpoints?.[0] ?? "");
        this.url = pulumi.secret(pulumi.all([endpoint, password.result]).apply(([e, pw]) => (e ? amqpUrl(e, username, pw) : "")));
        const secret = new aws.secretsmanager.Secret(`${name}-user`, { description: `${args.brokerName}: RabbitMQ user and amqps URL`, tags }, here);
        new aws.secretsmanager.SecretVersion(`${name}-user`, {
            secretId: secret.id,
            secretString: pulumi.secret(pulumi.all([password.result, this.url]).apply(([pw, url]) => JSON.stringify({ username, password: pw, url }))),
        }, here);
        this.secretArn = secret.arn;
        this.registerOutputs({ secretArn: this.secretArn, securityGroupId: this.securityGroupId });
    }
}
