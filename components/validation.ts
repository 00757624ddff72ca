import * as pulumi from "@pulumi/pulumi";

/**
 * Collects every problem with a component's plain inputs so that it can fail once, before any
 * child resource is registered, with a message that names each input, the value received and the fix.
 */
export class Problems {
    private readonly items: pulumi.InputPropertyErrorDetails[] = [];

    /** Records a problem: `path` is the input's property path, `reason` says what is wrong and how to fix it. */
    add(path: string, reason: string): void {
        this.items.push({ propertyPath: path, reason });
    }

    /** Records a problem when `condition` is false. Returns `condition` so checks can be chained. */
    check(condition: boolean, path: string, reason: string): boolean {
        if (!condition) {
            this.add(path, reason);
        }
        return condition;
    }

    get count(): number {
        return this.items.length;
    }

    get list(): readonly pulumi.InputPropertyErrorDetails[] {
        return this.items;
    }

    /**
     * Throws one `pulumi.InputPropertiesError` listing every problem, if there are any.
     * `what` names the component, e.g. `Database "app-db"`.
     */
    throwIfAny(what: string): void {
        if (this.items.length === 0) {
            return;
        }
        const lines = this.items.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
        throw new pulumi.InputPropertiesError({
            message: `Invalid arguments for ${what} (${this.items.length} problem${this.items.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
            errors: [...this.items],
        });
    }
}

/** Renders a received value for an error message. */
export function show(value: unknown): string {
    if (value === undefined) {
        return "undefined";
    }
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    try {
        return JSON.stringify(value);
    } catch {
        return String(value);
    }
}

/** Retention periods (days) CloudWatch Logs accepts; any other value fails at deploy time. */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** A DNS label (RFC 1123): lower-case letters, digits and '-', 1-63 characters, alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A fully qualified DNS name without the trailing dot, e.g. `api.example.com`. */
export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** An EC2 instance type such as `m7i.large`, `c6gn.16xlarge`, `u-6tb1.metal`. */
export const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(-[0-9]+xl)?)$/;

/**
 * CPU architecture of an EC2 instance type: Graviton families carry a `g` among the attribute letters
 * after the generation (`m7g`, `c7gn`, `r6gd`, `im4gn`, `is4gen`), and `a1` is the first Graviton.
 * Returns undefined for a string that is not an instance type.
 */
export function instanceCpuArchitecture(instanceType: string): "arm64" | "x86_64" | undefined {
    const m = /^([a-z]+)(\d+)([a-z-]*)\./.exec(instanceType);
    if (!m) {
        return undefined;
    }
    const [, family, generation, attributes] = m;
    return `${family}${generation}` === "a1" || attributes.replace(/-.*$/, "").includes("g") ? "arm64" : "x86_64";
}

/** Kubernetes resource quantity (`250m`, `1`, `0.5`, `128Mi`, `1G`, `1e3`). */
export const K8S_QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

// The quantity parsers live with the policy pack, which must stay self-contained when `pulumi policy
// publish` packs its folder alone; the library re-exports them so both judge quantities the same way.
export { cpuMillicores, memoryBytes } from "../policy-pack/policies/quantity";

/**
 * A container image reference: `[registry[:port]/]path[:tag][@sha256:digest]`.
 * Lower-case repository path, tag of at most 128 characters.
 */
export const IMAGE_REFERENCE =
    /^(?:(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
