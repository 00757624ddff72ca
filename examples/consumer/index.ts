// Another team's stack, built from the platform's components: one region with its own network, a
// PostgreSQL database behind RDS Proxy and a Valkey cache. It installs the package like any other
// dependency (registry, git or a packed tarball) and passes its own provider and settings.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Cache, Database, DatabaseBackup, Network } from "@scaled-web/platform";

const config = new pulumi.Config();
const region = config.get("region") ?? "eu-west-1";
const tags = { team: "orders", stack: pulumi.getStack() };

// Everything goes through an explicit provider for the team's region.
const provider = new aws.Provider(`aws-${region}`, { region: region as aws.Region, defaultTags: { tags } });

const network = new Network("orders-net", {
    cidrBlock: "10.40.0.0/16",
    availabilityZones: [`${region}a`, `${region}b`, `${region}c`],
    natGateways: "single",
    tags,
}, { provider });

// The team's service runs in this security group (its own ECS service, Lambda or node group).
const app = new aws.ec2.SecurityGroup("orders-app", {
    vpcId: network.vpcId,
    description: "orders service tasks",
    tags,
}, { provider });

const db = new Database("orders-db", {
    region,
    instanceClass: "db.m7g.large",
    memoryGiB: 8,
    allocatedStorageGiB: 50,
    maxConnections: 150,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    allowedSecurityGroupIds: { app: app.id },
    readReplicas: 1,
    tags,
}, { provider });

// Daily AWS Backup recovery points, copied to a vault in a second region (the prod guardrail
// backup-cross-region-copy asks for a copy outside the database's region).
const backupRegion = config.get("backupRegion") ?? "eu-central-1";
const backupProvider = new aws.Provider(`aws-${backupRegion}`, { region: backupRegion as aws.Region, defaultTags: { tags } });
new DatabaseBackup("orders-db-backup", {
    region,
    resourceArns: [db.instanceArn],
    copyTo: { region: backupRegion, provider: backupProvider },
    tags,
}, { provider });

const cache = new Cache("orders-cache", {
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    allowedSecurityGroupIds: { app: app.id },
    purposes: { cache: { nodeType: "cache.t4g.small" } },
    tags,
}, { provider });

export const vpcId = network.vpcId;
export const privateSubnetIds = network.privateSubnetIds;
export const databaseWriter = db.writerEndpoint;
export const databaseReader = db.endpoints[region].reader;
export const cacheEndpoint = cache.endpoints.cache;
