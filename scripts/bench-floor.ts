/**
 * The plan's floor: the same resources (types, names, parents, inputs) a stack's program registers,
 * registered directly through the same SDK under the same mock runtime, without the program's own work
 * (config validation, components, Outputs wiring them together). `npm run bench` prints the program's time
 * beside it; the ratio is the program's overhead over the cheapest way to register what it registers.
 *
 * Both are timed in one process after a warm-up run of the program (which also records what to register),
 * so module loading and JIT warm-up count for neither.
 */
import * as pulumi from "@pulumi/pulumi";
import { RegisteredResource, readStackConfig, runOffline } from "../toolkit/offline";
import { platformProgram } from "../platform/program";

export interface FloorResult {
    readonly resources: number;
    readonly programMs: number;
    readonly floorMs: number;
}

class FloorCustom extends pulumi.CustomResource {
    constructor(type: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(type, name, props, opts);
    }
}

class FloorProvider extends pulumi.ProviderResource {
    constructor(pkg: string, name: string, props: pulumi.Inputs, opts: pulumi.ResourceOptions) {
        super(pkg, name, props, opts);
    }
}

/** Registers `resources` again, in their order, as generic custom, provider and component resources. */
function registerSame(resources: readonly RegisteredResource[]): void {
    const byUrn = new Map<string, pulumi.Resource>();
    for (const r of resources) {
        if (r.type === "pulumi:pulumi:Stack") {
            continue;
        }
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        const opts = parent ? { parent } : {};
        let created: pulumi.Resource;
        if (r.type.startsWith("pulumi:providers:")) {
            created = new FloorProvider(r.type.slice("pulumi:providers:".length), r.name, { ...r.inputs }, opts);
        } else if (r.custom) {
            created = new FloorCustom(r.type, r.name, { ...r.inputs }, opts);
        } else {
            created = new pulumi.ComponentResource(r.type, r.name, {}, opts);
        }
        byUrn.set(r.urn, created);
    }
}

export async function floorComparison(stack: string, projectDir: string, runs = 3): Promise<FloorResult> {
    const { project, config } = readStackConfig(stack, projectDir);
    const options = { project, stack, config };
    const warm = await runOffline(() => platformProgram(), options);
    const time = async (fn: () => unknown): Promise<number> => {
        const samples: number[] = [];
        for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            await runOffline(fn, options);
            samples.push(performance.now() - t0);
        }
        return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
    };
    await time(() => registerSame(warm.resources)); // warm-up of the floor path
    const floorMs = await time(() => registerSame(warm.resources));
    const programMs = await time(() => platformProgram());
    return { resources: warm.resources.length, programMs: Math.round(programMs), floorMs: Math.round(floorMs) };
}
