/**
 * A read-only index over the resources an offline run registered: parents, top-level components and
 * the AWS region each resource lands in. Pure: works on any `RegisteredResource[]`, so the report can
 * be tested on hand-made lists.
 */
import type { RegisteredResource } from "../offline";

export const STACK_TYPE = "pulumi:pulumi:Stack";
/** Region label for resources that belong to no single region (Route53, IAM, a stack-wide component). */
export const GLOBAL = "global";

/** Short region code as `platform/program.ts` names things: us-east-1 -> use1. */
export function regionCodeOf(region: string): string | undefined {
    const [geo, dir, n] = region.split("-");
    if (!geo || !dir || !n) {
        return undefined;
    }
    const short = dir.replace(/north/g, "n").replace(/south/g, "s").replace(/east/g, "e").replace(/west/g, "w").replace(/central/g, "c");
    return `${geo}${short}${n}`;
}

/** URN of a provider reference `urn::id`. */
export function providerUrn(ref: string | undefined): string | undefined {
    if (!ref) {
        return undefined;
    }
    const i = ref.lastIndexOf("::");
    return i > 0 ? ref.slice(0, i) : ref;
}

/** `metadata.name` of a Kubernetes object as the program set it, or its Pulumi name. */
export function k8sName(r: RegisteredResource): string {
    return r.inputs?.metadata?.name ?? r.state?.metadata?.name ?? r.name;
}

export function k8sNamespace(r: RegisteredResource): string | undefined {
    return r.inputs?.metadata?.namespace ?? r.state?.metadata?.namespace;
}

export class ResourceGraph {
    /** Every resource but the root stack. */
    readonly resources: readonly RegisteredResource[];
    readonly stack?: RegisteredResource;
    private readonly byUrn = new Map<string, RegisteredResource>();
    private readonly byType = new Map<string, RegisteredResource[]>();
    private readonly descendantRegions = new Map<string, Set<string>>();
    private readonly regionCache = new Map<RegisteredResource, string | undefined>();
    private readonly nameHints: { token: RegExp; region: string }[];

    /** `knownRegions`: the stack's regions, used to read a region from a resource name as a last resort. */
    constructor(all: readonly RegisteredResource[], knownRegions: readonly string[] = []) {
        this.stack = all.find((r) => r.type === STACK_TYPE);
        this.resources = all.filter((r) => r.type !== STACK_TYPE);
        for (const r of all) {
            if (r.urn) {
                this.byUrn.set(r.urn, r);
            }
        }
        for (const r of this.resources) {
            const list = this.byType.get(r.type) ?? [];
            list.push(r);
            this.byType.set(r.type, list);
        }
        this.nameHints = knownRegions.flatMap((region) => {
            const code = regionCodeOf(region);
            const hints = [{ token: new RegExp(`(^|[-.])${region}($|[-.])`), region }];
            if (code) {
                hints.push({ token: new RegExp(`(^|-)${code}($|-)`), region });
            }
            return hints;
        });
        // Every region any descendant was created in, per component: a component's own region.
        for (const r of this.resources) {
            const region = this.baseRegion(r);
            if (!region) {
                continue;
            }
            for (let p = this.parentOf(r); p; p = this.parentOf(p)) {
                const set = this.descendantRegions.get(p.urn) ?? new Set<string>();
                set.add(region);
                this.descendantRegions.set(p.urn, set);
            }
        }
    }

    ofType(type: string): RegisteredResource[] {
        return this.byType.get(type) ?? [];
    }

    get(urn: string | undefined): RegisteredResource | undefined {
        return urn ? this.byUrn.get(urn) : undefined;
    }

    /** Parent, or undefined when the parent is the stack (or unknown). */
    parentOf(r: RegisteredResource): RegisteredResource | undefined {
        const p = this.get(r.parent);
        return p && p.type !== STACK_TYPE ? p : undefined;
    }

    /** The resource's top-level ancestor (a direct child of the stack); itself when top-level. */
    topLevelOf(r: RegisteredResource): RegisteredResource {
        let cur = r;
        for (let p = this.parentOf(cur); p; p = this.parentOf(p)) {
            cur = p;
        }
        return cur;
    }

    ancestorsOf(r: RegisteredResource): RegisteredResource[] {
        const out: RegisteredResource[] = [];
        for (let p = this.parentOf(r); p; p = this.parentOf(p)) {
            out.push(p);
        }
        return out;
    }

    providerOf(r: RegisteredResource): RegisteredResource | undefined {
        return this.get(providerUrn(r.provider));
    }

    /** Region from the resource alone: its aws.Provider's region, or the region input of a provider. */
    private baseRegion(r: RegisteredResource): string | undefined {
        if (r.region) {
            return r.region;
        }
        if (r.type === "pulumi:providers:aws" && typeof r.inputs?.region === "string") {
            return r.inputs.region;
        }
        return undefined;
    }

    /** The single region a component's descendants were created in, if they agree. */
    private componentRegion(r: RegisteredResource): string | undefined {
        const set = this.descendantRegions.get(r.urn);
        return set && set.size === 1 ? [...set][0] : undefined;
    }

    private fromNameOrAncestors(r: RegisteredResource): string | undefined {
        for (const a of this.ancestorsOf(r)) {
            const region = this.baseRegion(a) ?? this.componentRegion(a);
            if (region) {
                return region;
            }
        }
        for (const candidate of [r, ...this.ancestorsOf(r)]) {
            const hit = this.nameHints.find((h) => h.token.test(candidate.name));
            if (hit) {
                return hit.region;
            }
        }
        return undefined;
    }

    /**
     * The AWS region a resource lands in: its provider's region; for a component, the one region all
     * its descendants share; for a Kubernetes object, its provider's (cluster's) region; else the nearest
     * ancestor's; else a region named in its (or an ancestor's) name. Undefined means global.
     */
    regionOf(r: RegisteredResource): string | undefined {
        if (this.regionCache.has(r)) {
            return this.regionCache.get(r);
        }
        let region = this.baseRegion(r);
        if (!region && !r.custom) {
            region = this.componentRegion(r);
        }
        if (!region) {
            const provider = this.providerOf(r);
            if (provider) {
                region = this.baseRegion(provider) ?? this.fromNameOrAncestors(provider);
            }
        }
        if (!region) {
            region = this.fromNameOrAncestors(r);
        }
        this.regionCache.set(r, region);
        return region;
    }

    /** `regionOf`, with `global` for resources that belong to no region. */
    regionLabel(r: RegisteredResource): string {
        return this.regionOf(r) ?? GLOBAL;
    }
}
