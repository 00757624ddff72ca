import * as aws from "@pulumi/aws";
import { POD_IDENTITY_PRINCIPAL, PodIdentityRole, podIdentityTrustPolicy } from "../components/pod-identity";
import { runComponent } from "./harness";

describe("PodIdentityRole", () => {
    test("trust policy: the Pod Identity service principal may assume and tag, from this account only", () => {
        const doc = podIdentityTrustPolicy("123456789012") as { Statement: Record<string, unknown>[] };
        expect(doc.Statement).toEqual([{
            Sid: "EksPodIdentity",
            Effect: "Allow",
            Principal: { Service: POD_IDENTITY_PRINCIPAL },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        }]);
        expect(POD_IDENTITY_PRINCIPAL).toBe("pods.eks.amazonaws.com");
    });

    test("one role, one association per cluster, each through its region's provider", async () => {
        const run = await runComponent(() => {
            const east = new aws.Provider("east", { region: "us-east-1" });
            const west = new aws.Provider("west", { region: "us-west-2" });
            const role = new PodIdentityRole("publisher", {
                description: "publishes metrics",
                policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" }] },
            });
            role.associate("use1", { clusterName: "c-east", namespace: "app", serviceAccount: "pub", provider: east });
            role.associate("usw2", { clusterName: "c-west", namespace: "app", serviceAccount: "pub", provider: west });
            return { arn: role.roleArn };
        });
        expect(run.ofType("aws:iam/role:Role")).toHaveLength(1);
        const trust = JSON.parse(run.get("aws:iam/role:Role", "publisher").inputs.assumeRolePolicy as string);
        expect(trust.Statement[0].Principal.Service).toBe(POD_IDENTITY_PRINCIPAL);
        expect(trust.Statement[0].Condition.StringEquals["aws:SourceAccount"]).toMatch(/^\d{12}$/);
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "publisher").inputs.policy as string);
        expect(policy.Statement[0].Action).toBe("cloudwatch:PutMetricData");
        const assocs = run.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation");
        expect(assocs.map((a) => [a.name, a.inputs.clusterName, a.inputs.namespace, a.inputs.serviceAccount]).sort()).toEqual([
            ["publisher-use1", "c-east", "app", "pub"],
            ["publisher-usw2", "c-west", "app", "pub"],
        ]);
        expect(assocs.every((a) => a.inputs.roleArn === run.outputs.arn)).toBe(true);
        expect(new Set(assocs.map((a) => a.provider))).toHaveProperty("size", 2);
    });
});
