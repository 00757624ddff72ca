// Another team's stack, built from the platform's components. It installs the package like any other
// dependency (registry, git or a packed tarball) and passes its own provider and settings.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Network } from "@scaled-web/platform";

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

export const vpcId = network.vpcId;
export const privateSubnetIds = network.privateSubnetIds;
