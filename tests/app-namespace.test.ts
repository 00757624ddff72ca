import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppNamespace, AppNamespaceArgs, validateAppNamespaceArgs } from "../components/app-namespace";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";
import { assertKubernetesSchemas } from "./k8s-schema";

describe("AppNamespace: bad input fails before anything is created", () => {
    test.each<[string, Partial<AppNamespaceArgs>, RegExp]>([
        ["a namespace that is not a DNS label", { namespace: "Scaled_Web" }, /namespace: must be a DNS label .* got "Scaled_Web"/],
        ["a privileged namespace", { podSecurity: "privileged" as any }, /podSecurity: must be "restricted" or "baseline" \("privileged" is not offered\), got "privileged"/],
        ["a Secret name that is not a Kubernetes name", { secrets: { App_Secrets: {} } }, /secrets\.App_Secrets: must be a Kubernetes object name/],
        ["a ConfigMap key with a space", { configMaps: { "app-config": { "LOG LEVEL": "info" } } }, /configMaps\.app-config\.LOG LEVEL: must be a ConfigMap key/],
        ["credentials in a ConfigMap", { configMaps: { "app-config": { DATABASE_URL: "postgresql://app:pw@db:5432/app" } } }, /configMaps\.app-config\.DATABASE_URL: is a URL with credentials in it; put it in a Secret/],
    ])("%s", (_what, over, message) => {
        expect(() => new AppNamespace("bad", { namespace: "scaled-web", ...over })).toThrow(message);
    });

    test("a valid namespace has no problems", () => {
        expect(validateAppNamespaceArgs({ namespace: "scaled-web", secrets: { "app-secrets": {} }, configMaps: { "app-config": { A: "1" } } }).count).toBe(0);
    });
});

describe("AppNamespace under the mock runtime", () => {
    let run: StackRun<{ ns: AppNamespace }>;
    let provider: RegisteredResource;

    beforeAll(async () => {
        run = await runComponent(() => ({
            ns: new AppNamespace("use1-env", {
                namespace: "scaled-web",
                secrets: { "app-secrets": { DATABASE_PASSWORD: pulumi.secret("pw-123"), PLAIN: "not-marked-by-caller" } },
                configMaps: { "app-config": { AWS_REGION: "us-east-1", DATABASE_NAME: pulumi.output("app") } },
            }, { provider: new k8s.Provider("test", { kubeconfig: "{}" }) }),
        }));
        provider = run.get("pulumi:providers:kubernetes", "test");
    });

    test("the namespace enforces the restricted Pod Security Standard", () => {
        const ns = run.get("kubernetes:core/v1:Namespace", "use1-env-ns").inputs;
        expect(ns.metadata.name).toBe("scaled-web");
        expect(ns.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        });
    });

    test("a Secret's data is stored as a secret even for values the caller did not mark", () => {
        const secret = run.get("kubernetes:core/v1:Secret", "use1-env-app-secrets");
        expect(secret.inputs.metadata).toMatchObject({ name: "app-secrets", namespace: "scaled-web" });
        expect(secret.inputs.stringData).toEqual({ DATABASE_PASSWORD: "pw-123", PLAIN: "not-marked-by-caller" });
        expect(secret.secretInputs).toContain("stringData");
    });

    test("the ConfigMap holds plain settings and is not secret", () => {
        const cm = run.get("kubernetes:core/v1:ConfigMap", "use1-env-app-config");
        expect(cm.inputs.data).toEqual({ AWS_REGION: "us-east-1", DATABASE_NAME: "app" });
        expect(cm.secretInputs).toEqual([]);
    });

    test("children sit under the component, go through the given provider and pass the schema", async () => {
        const component = run.get("scaled-web:workloads:AppNamespace", "use1-env");
        const children = run.descendantsOf(component);
        expect(children).toHaveLength(3);
        for (const c of children) {
            expect(run.parentOf(c)?.urn).toBe(component.urn);
            expect(c.provider?.startsWith(`${provider.urn}::`)).toBe(true);
        }
        expect(assertKubernetesSchemas(run.resources).validated).toHaveLength(3);
        expect(await valueOf(run.outputs.ns.secretNames["app-secrets"])).toBe("app-secrets");
        expect(await valueOf(run.outputs.ns.namespace)).toBe("scaled-web");
    });
});
