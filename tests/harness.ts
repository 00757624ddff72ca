/**
 * Test harness: runs the real program (or one component) under Pulumi's mock runtime and returns every
 * registered resource, with helpers to query them. Every run awaits all outputs before it returns.
 */
import * as pulumi from "@pulumi/pulumi";
import { OfflineRun, RegisteredResource, readStackConfig, runOffline } from "../toolkit/offline";
import { PlatformOutputs, platformProgram } from "../platform/program";

export type { RegisteredResource } from "../toolkit/offline";

/** Resolves any Output (or plain value) to its value. */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/**
 * Runs `fn` with JavaScript stack traces switched off. Pulumi's SDK captures a stack trace for every
 * promise it tracks, which under ts-jest's source maps is most of a mocked run's CPU; the tests never
 * read those traces. Errors keep their messages; assertion failures (outside runs) keep their traces.
 */
async function withoutStackTraces<T>(fn: () => Promise<T>): Promise<T> {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return await fn();
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/**
 * Runs `index.ts`'s program for `stack` with that stack's `Pulumi.<stack>.yaml` (plus `Pulumi.yaml`
 * defaults). `overrides` replaces whole keys (`{ "scaled-web:tier": "medium" }`; objects are JSON-encoded).
 */
export async function runStack(stack: string, overrides: Record<string, unknown> = {}): Promise<StackRun> {
    const { project, config } = readStackConfig(stack);
    for (const [k, v] of Object.entries(overrides)) {
        const key = k.includes(":") ? k : `${project}:${k}`;
        if (v === undefined) {
            delete config[key];
        } else {
            config[key] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    const run = await withoutStackTraces(() => runOffline(() => platformProgram(), { project, stack, config }));
    return new StackRun(run);
}

/** Runs `build` (which creates components) in a mocked stack named `test`. */
export async function runComponent<T>(build: () => T, stack = "test"): Promise<StackRun<pulumi.Unwrap<T>>> {
    const run = await withoutStackTraces(() => runOffline(build, { project: "scaled-web", stack }));
    return new StackRun(run);
}

export class StackRun<T = pulumi.Unwrap<PlatformOutputs>> {
    constructor(private readonly run: OfflineRun<T>) {}

    get resources(): RegisteredResource[] {
        return this.run.resources;
    }

    get outputs(): T {
        return this.run.outputs;
    }

    get invokes(): OfflineRun<T>["invokes"] {
        return this.run.invokes;
    }

    /** Resources of a type token, e.g. `aws:ec2/vpc:Vpc`. */
    ofType(type: string): RegisteredResource[] {
        return this.run.resources.filter((r) => r.type === type);
    }

    /** The one resource of `type` named `name`; throws when absent. */
    get(type: string, name: string): RegisteredResource {
        const r = this.run.resources.find((x) => x.type === type && x.name === name);
        if (!r) {
            const names = this.ofType(type).map((x) => x.name);
            throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
        }
        return r;
    }

    byUrn(urn: string | undefined): RegisteredResource | undefined {
        return urn ? this.run.resources.find((r) => r.urn === urn) : undefined;
    }

    /** The parent resource of `r`. */
    parentOf(r: RegisteredResource): RegisteredResource | undefined {
        return this.byUrn(r.parent);
    }

    /** True when `r` sits (directly or transitively) under `ancestor`. */
    isDescendantOf(r: RegisteredResource, ancestor: RegisteredResource): boolean {
        for (let p = this.parentOf(r); p; p = this.parentOf(p)) {
            if (p.urn === ancestor.urn) {
                return true;
            }
        }
        return false;
    }

    /** Every resource under `ancestor`. */
    descendantsOf(ancestor: RegisteredResource): RegisteredResource[] {
        return this.run.resources.filter((r) => this.isDescendantOf(r, ancestor));
    }

    /** Count of resources per type. */
    countByType(): Record<string, number> {
        const out: Record<string, number> = {};
        for (const r of this.run.resources) {
            out[r.type] = (out[r.type] ?? 0) + 1;
        }
        return out;
    }
}
