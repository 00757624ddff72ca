import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import {
    LOAD_BALANCER_CONTROLLER_CHART,
    LoadBalancerController,
    POD_READINESS_GATE_LABEL,
    loadBalancerControllerPolicy,
    loadBalancerControllerValues,
    targetGroupBinding,
    targetGroupBindingSpec,
    validateLoadBalancerControllerArgs,
    validateTargetGroupBindingArgs,
} from "../components/load-balancer-controller";
import { ADDON_CHARTS, ADDON_COMPATIBILITY, supportsKubernetes } from "../components/cluster-addons";
import { PodIdentityRole } from "../components/pod-identity";
import { parseConfig } from "../platform/config";
import { APP_WORKLOADS, wireIdentity } from "../platform/identity";
import { StackRun, runComponent } from "./harness";
import { CRD_SCHEMAS, assertKubernetesSchemas, crdSchemaErrors } from "./k8s-schema";

const TGB = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding";
const ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-use1-edge-api/0123456789abcdef";

describe("the pinned controller", () => {
    test("chart 3.5.0 from aws/eks-charts, listed in ADDON_CHARTS with its compatibility source", () => {
        expect(LOAD_BALANCER_CONTROLLER_CHART).toEqual({ chart: "aws-load-balancer-controller", version: "3.5.0", repo: "https://aws.github.io/eks-charts" });
        expect(ADDON_CHARTS.loadBalancerController).toBe(LOAD_BALANCER_CONTROLLER_CHART);
        expect(ADDON_COMPATIBILITY.loadBalancerController).toMatchObject({ chartVersion: "3.5.0", appVersion: "v3.5.0", minKubernetes: "1.22" });
        expect(ADDON_COMPATIBILITY.loadBalancerController.source).toMatch(/aws-load-balancer-controller@v3\.5\.0.*docs\/deploy\/installation\.md/);
        // The platform's pinned range 1.31-1.33 is inside "1.22+".
        for (const v of ["1.31", "1.32", "1.33"]) {
            expect(supportsKubernetes(ADDON_COMPATIBILITY.loadBalancerController, v)).toBe(true);
        }
        expect(supportsKubernetes(ADDON_COMPATIBILITY.loadBalancerController, "1.21")).toBe(false);
    });

    test("the CRD fixture is the chart's v1beta1 TargetGroupBinding schema, with its source", () => {
        const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, "fixtures", "targetgroupbinding-v1beta1.crd.json"), "utf8"));
        expect(fixture.source).toMatch(/aws-load-balancer-controller@v3\.5\.0 .*crds\/crds\.yaml/);
        expect([fixture.group, fixture.kind, fixture.version]).toEqual(["elbv2.k8s.aws", "TargetGroupBinding", "v1beta1"]);
        expect(fixture.openAPIV3Schema.properties.spec.required).toEqual(["serviceRef"]);
        expect(CRD_SCHEMAS[TGB].source).toBe(fixture.source);
    });

    test("values: cluster, region and VPC given (pods cannot read IMDS), nothing it would provision by itself", () => {
        const values = loadBalancerControllerValues({ clusterName: "c", region: "us-east-1", vpcId: "vpc-1", replicas: 2, nodeSelector: { "node-type": "on-demand" } });
        expect(values).toEqual({
            clusterName: "c",
            region: "us-east-1",
            vpcId: "vpc-1",
            replicaCount: 2,
            serviceAccount: { create: true, name: "aws-load-balancer-controller" },
            createIngressClassResource: false,
            ingressClassParams: { create: false },
            enableServiceMutatorWebhook: false,
            controllerConfig: { featureGates: { EnableServiceController: false } },
            enablePodReadinessGateInject: true,
            enableShield: false,
            enableWaf: false,
            enableWafv2: false,
            podDisruptionBudget: { maxUnavailable: 1 },
            nodeSelector: { "node-type": "on-demand" },
        });
        expect(POD_READINESS_GATE_LABEL).toEqual({ key: "elbv2.k8s.aws/pod-readiness-gate-inject", value: "enabled" });
    });

    test("IAM: describe calls on *, register/deregister only in target groups tagged with the caller's cluster", () => {
        const policy = loadBalancerControllerPolicy("123456789012") as any;
        expect(policy.Statement).toEqual([
            { Sid: "Describe", Effect: "Allow", Action: ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "ec2:DescribeVpcs"], Resource: "*" },
            {
                Sid: "RegisterPodsInOwnClustersTargetGroups",
                Effect: "Allow",
                Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                Resource: "arn:aws:elasticloadbalancing:*:123456789012:targetgroup/*/*",
                Condition: { StringEquals: { "aws:ResourceTag/scaled-web/eks-cluster": "${aws:PrincipalTag/eks-cluster-name}" } },
            },
        ]);
        // Nothing that creates, deletes or modifies load balancers, listeners or security groups.
        const actions = policy.Statement.flatMap((s: any) => s.Action);
        expect(actions.filter((a: string) => /Create|Delete|Modify|Authorize|Revoke|SetWebAcl|AddTags/.test(a))).toEqual([]);
    });

    test.each<[string, object, RegExp]>([
        ["no replica", { replicas: 0 }, /replicas: must be 1-10, got 0/],
        ["an unpinned chart", { chart: { chart: "aws-load-balancer-controller", version: "latest", repo: "https://aws.github.io/eks-charts" } }, /chart\.version: must pin an exact chart version/],
        ["a plain-http repo", { chart: { chart: "aws-load-balancer-controller", version: "3.5.0", repo: "http://example.com" } }, /chart\.repo: must be an https:\/\/ chart repository/],
    ])("rejects %s", (_what, patch, message) => {
        const args = { clusterName: "c", region: "us-east-1", vpcId: "vpc-1", k8sProvider: undefined as any, role: undefined as any, ...patch };
        expect(() => validateLoadBalancerControllerArgs(args).throwIfAny("LoadBalancerController \"x\"")).toThrow(message);
        expect(() => new LoadBalancerController("x", args)).toThrow(message);
    });
});

describe("TargetGroupBinding", () => {
    const manifest = (spec: Record<string, unknown>): Record<string, unknown> => ({
        apiVersion: "elbv2.k8s.aws/v1beta1", kind: "TargetGroupBinding", metadata: { name: "api", namespace: "scaled-web" }, spec,
    });

    test("the spec the platform sends is valid against the CRD", () => {
        const spec = targetGroupBindingSpec({ serviceName: "api", servicePort: 80, targetGroupArn: ARN });
        expect(spec).toEqual({ serviceRef: { name: "api", port: 80 }, targetGroupARN: ARN, targetType: "ip", ipAddressType: "ipv4" });
        expect(crdSchemaErrors(TGB, manifest(spec))).toEqual([]);
        // A named Service port is int-or-string in the CRD.
        expect(crdSchemaErrors(TGB, manifest({ ...spec, serviceRef: { name: "api", port: "http" } }))).toEqual([]);
    });

    test.each<[string, Record<string, unknown>, RegExp]>([
        ["a misspelt field", { serviceRef: { name: "api", port: 80 }, targetGroupArn: ARN }, /\/spec: must NOT have additional properties \(targetGroupArn\)/],
        ["a target type the CRD does not know", { serviceRef: { name: "api", port: 80 }, targetGroupARN: ARN, targetType: "pod" }, /\/spec\/targetType: must be equal to one of the allowed values/],
        ["no serviceRef", { targetGroupARN: ARN }, /\/spec: must have required property 'serviceRef'/],
        ["a serviceRef without port", { serviceRef: { name: "api" }, targetGroupARN: ARN }, /\/spec\/serviceRef: must have required property 'port'/],
    ])("the CRD schema rejects %s", (_what, spec, message) => {
        expect(crdSchemaErrors(TGB, manifest(spec)).join("\n")).toMatch(message);
    });

    test.each<[string, object, RegExp]>([
        ["a name that is not a DNS label", { name: "API" }, /name: must be a DNS label/],
        ["a port out of range", { servicePort: 0 }, /servicePort: must be the Service port's number \(1-65535\) or name, got 0/],
    ])("the helper rejects %s", (_what, patch, message) => {
        const args = { name: "api", namespace: "scaled-web", serviceName: "api", servicePort: 80, targetGroupArn: ARN, ...patch };
        expect(() => validateTargetGroupBindingArgs(args).throwIfAny("TargetGroupBinding \"x\"")).toThrow(message);
    });
});

describe("LoadBalancerController under the mock runtime", () => {
    let run: StackRun<unknown>;

    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-use1", { region: "us-east-1" });
            const k8sProvider = new k8s.Provider("use1-k8s", { kubeconfig: "{}" });
            const role = new PodIdentityRole("lb-controller", { description: "lbc", policy: loadBalancerControllerPolicy("123456789012"), sourceAccount: "123456789012" }, { provider });
            const lbc = new LoadBalancerController("use1-lbc", { clusterName: "prod-use1-eks", region: "us-east-1", vpcId: "vpc-1", k8sProvider, role }, { provider });
            targetGroupBinding("use1-api-tgb", { name: "api", namespace: "scaled-web", serviceName: "api", servicePort: 80, targetGroupArn: ARN }, { provider: k8sProvider, dependsOn: [lbc.release] });
            return {};
        });
    });

    test("associates the role with kube-system/aws-load-balancer-controller in the region, then installs the release", () => {
        const association = run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "lb-controller-use1-lbc");
        expect(association.inputs).toMatchObject({ clusterName: "prod-use1-eks", namespace: "kube-system", serviceAccount: "aws-load-balancer-controller" });
        expect(association.inputs.roleArn).toBe(run.get("aws:iam/role:Role", "lb-controller").state.arn);
        expect(association.region).toBe("us-east-1");
        const release = run.get("kubernetes:helm.sh/v3:Release", "use1-lbc-release");
        expect(release.inputs).toMatchObject({ name: "aws-load-balancer-controller", chart: "aws-load-balancer-controller", version: "3.5.0", namespace: "kube-system", atomic: true });
        expect(release.dependencies).toContain(association.urn);
        expect(release.provider?.startsWith(run.get("pulumi:providers:kubernetes", "use1-k8s").urn)).toBe(true);
    });

    test("the role trusts EKS Pod Identity only, for this account", () => {
        const trust = JSON.parse(run.get("aws:iam/role:Role", "lb-controller").inputs.assumeRolePolicy);
        expect(trust.Statement).toEqual([{
            Sid: "EksPodIdentity", Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        }]);
    });

    test("the binding waits for the release and passes its CRD schema", () => {
        const tgb = run.get(TGB, "use1-api-tgb");
        expect(tgb.dependencies).toContain(run.get("kubernetes:helm.sh/v3:Release", "use1-lbc-release").urn);
        expect(assertKubernetesSchemas(run.resources).validated).toEqual([`${TGB} use1-api-tgb`]);
    });
});

describe("platform/identity.ts: one role per workload for the whole stack", () => {
    let run: StackRun<unknown>;

    beforeAll(async () => {
        const doc = YAML.parse(fs.readFileSync(path.resolve(__dirname, "..", "Pulumi.prod.yaml"), "utf8"));
        const raw = Object.fromEntries(Object.entries<unknown>(doc.config).map(([k, v]) => [k.replace(/^scaled-web:/, ""), v]));
        const config = parseConfig(raw, "prod");
        run = await runComponent(() => {
            wireIdentity(config, new aws.Provider("aws-us-east-1", { region: "us-east-1" }));
            return {};
        });
    });

    test("seven roles, each trusted by pods.eks.amazonaws.com for this account only", () => {
        const roles = run.ofType("aws:iam/role:Role");
        expect(roles.map((r) => r.name).sort()).toEqual([
            "prod-app-api", "prod-app-worker", "prod-app-ws", "prod-cluster-autoscaler", "prod-lb-controller", "prod-node-termination-handler", "prod-queue-metrics",
        ]);
        for (const r of roles) {
            const [trust] = JSON.parse(r.inputs.assumeRolePolicy).Statement;
            expect(trust.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
            expect(trust.Condition.StringEquals["aws:SourceAccount"]).toBe("123456789012");
            expect(r.region).toBe("us-east-1");
        }
        expect(APP_WORKLOADS).toEqual(["api", "ws", "worker"]);
    });

    test("shared roles stay per-cluster through the eks-cluster-name session tag; the app roles start without permissions", () => {
        const policy = (name: string): any => JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", name).inputs.policy);
        const conditioned = (doc: any): string[] => doc.Statement.filter((s: any) => JSON.stringify(s).includes("${aws:PrincipalTag/eks-cluster-name}")).map((s: any) => s.Sid);
        expect(conditioned(policy("prod-cluster-autoscaler"))).toEqual(["ScaleOwnClustersGroups"]);
        expect(conditioned(policy("prod-node-termination-handler"))).toEqual(["ReadOwnClustersQueue", "CompleteOwnClustersLifecycleActions"]);
        expect(conditioned(policy("prod-lb-controller"))).toEqual(["RegisterPodsInOwnClustersTargetGroups"]);
        expect(policy("prod-queue-metrics").Statement[0].Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "ScaledWeb/Queues" } });
        expect(run.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => p.name).filter((n) => n.startsWith("prod-app-"))).toEqual([]);
    });
});
