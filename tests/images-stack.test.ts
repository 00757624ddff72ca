import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import type { Network } from "../components/network";
import { ConfigError, PlatformConfig, imagePinning, parseConfig } from "../platform/config";
import * as imagesModule from "../platform/images";
import { MOCK_ACCOUNT_ID, readStackConfig } from "../toolkit/offline";
import { RegionContext, regionCode } from "../platform/program";
import { RegisteredResource, StackRun, runComponent, runStack, valueOf } from "./harness";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const SERVICES = ["api", "ws", "worker"];

/** The resolved config of `Pulumi.<stack>.yaml` with whole keys replaced by `overrides`. */
function stackConfig(stack: string, overrides: Record<string, unknown> = {}): PlatformConfig {
    const { project, config } = readStackConfig(stack);
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(config)) {
        const key = fullKey.split(":")[1];
        try {
            raw[key] = JSON.parse(text);
        } catch {
            raw[key] = text;
        }
    }
    return parseConfig({ ...raw, ...overrides }, stack, project);
}

/** What `wireImages` needs of each region (its name, prefix and provider), without the rest of the program. */
function regionContexts(config: PlatformConfig): RegionContext[] {
    return config.regions.map((region) => ({
        config,
        region,
        prefix: `${config.environment}-${regionCode(region.name)}`,
        provider: new aws.Provider(`aws-${region.name}`, { region: region.name as aws.Region }),
        network: undefined as unknown as Network,
    }));
}

/** Runs only the images stage for a stack's config; returns its resources and the supply's answers. */
async function runImagesStage(config: PlatformConfig): Promise<StackRun<{ refs: Record<string, Record<string, string>> }> & { supply: imagesModule.StackImageSupply }> {
    let supply: imagesModule.StackImageSupply | undefined;
    const run = await runComponent(async () => {
        const wired = imagesModule.wireImages(config, regionContexts(config));
        supply = wired;
        const refs: Record<string, Record<string, string>> = {};
        for (const service of SERVICES) {
            refs[service] = {};
            for (const region of config.regions) {
                refs[service][region.name] = await valueOf(wired.imageFor(service, region.name));
            }
        }
        return { refs };
    });
    // The program is async (runOffline awaits it); its outputs are plain values, the supply is kept aside.
    return Object.assign(run as unknown as StackRun<{ refs: Record<string, Record<string, string>> }>, { supply: supply! });
}

/** The message `f` throws (fails the test when it does not throw). */
async function failure(f: () => Promise<unknown>): Promise<string> {
    try {
        await f();
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected an error, got none");
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "images-stack-"));
    for (const dir of ["api", "worker"]) {
        fs.mkdirSync(path.join(tmp, dir));
        fs.writeFileSync(path.join(tmp, dir, "Dockerfile"), `FROM public.ecr.aws/docker/library/node:22-alpine\nLABEL service=${dir}\n`);
    }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the prod stack with api and worker built (Graviton general pool), ws given", () => {
    let run: StackRun;
    let supply: imagesModule.StackImageSupply | undefined;
    beforeAll(async () => {
        const original = imagesModule.wireImages;
        const spy = jest.spyOn(imagesModule, "wireImages").mockImplementation((config, regions) => (supply = original(config, regions)));
        try {
            run = await runStack("prod", {
                ws: { image: "ghcr.io/acme/ws:1.0.0" },
                nodePools: { general: { instanceTypes: ["m7g.2xlarge"] } },
                images: { build: { api: { context: path.join(tmp, "api") }, worker: { context: path.join(tmp, "worker"), tag: "release-7" } } },
            });
        } finally {
            spy.mockRestore();
        }
    });

    /** Container images of the Deployments of one region, keyed by Deployment name. */
    const deploymentImages = (region: string): Record<string, string[]> => Object.fromEntries(
        run.ofType("kubernetes:apps/v1:Deployment")
            .filter((d) => d.name.startsWith(`prod-${regionCode(region)}-`))
            .map((d: RegisteredResource) => [d.name, d.inputs.spec.template.spec.containers.map((c: { image: string }) => c.image)]),
    );

    test("the program wires the images stage once", () => {
        expect(supply).toBeDefined();
    });

    test("one protected, immutable repository per service, in the primary region only", () => {
        const repos = run.ofType("aws:ecr/repository:Repository");
        expect(repos.map((r) => [r.inputs.name, r.region, r.inputs.forceDelete, r.inputs.imageTagMutability]).sort()).toEqual([
            ["scaled-web/prod/api", "us-east-1", false, "IMMUTABLE"],
            ["scaled-web/prod/worker", "us-east-1", false, "IMMUTABLE"],
            ["scaled-web/prod/ws", "us-east-1", false, "IMMUTABLE"],
        ]);
        const policies = run.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy").map((p) => JSON.parse(p.inputs.policy));
        expect(policies.map((doc) => doc.rules.map((r: any) => [r.rulePriority, r.selection.tagStatus, r.selection.countNumber]))).toEqual([
            [[1, "untagged", 7], [2, "tagged", 30]],
            [[1, "untagged", 7], [2, "tagged", 30]],
            [[1, "untagged", 7], [2, "tagged", 30]],
        ]);
    });

    test("replication goes from us-east-1 to us-west-2 for the stack's prefix, with a template in us-west-2", () => {
        const [replication, ...more] = run.ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration");
        expect(more).toEqual([]);
        expect(replication.region).toBe("us-east-1");
        expect(replication.inputs.replicationConfiguration.rules).toEqual([{
            destinations: [{ region: "us-west-2", registryId: MOCK_ACCOUNT_ID }],
            repositoryFilters: [{ filter: "scaled-web/prod/", filterType: "PREFIX_MATCH" }],
        }]);
        const templates = run.ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
        expect(templates.map((t) => [t.region, t.inputs.prefix, t.inputs.imageTagMutability])).toEqual([["us-west-2", "scaled-web/prod", "IMMUTABLE"]]);
    });

    test("each built service is pushed to its primary repository for the architecture of the pool that runs it", () => {
        expect(run.ofType("docker:index/image:Image").map((i) => i.name).sort()).toEqual(["prod-use1-images-api", "prod-use1-images-worker"]);
        const api = run.get("docker:index/image:Image", "prod-use1-images-api");
        expect(api.inputs.build.platform).toBe("linux/arm64"); // general pool: m7g (Graviton)
        expect(api.inputs.imageName).toMatch(new RegExp(`^${MOCK_ACCOUNT_ID}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/scaled-web/prod/api:build-[0-9a-f]{16}$`));
        const worker = run.get("docker:index/image:Image", "prod-use1-images-worker");
        expect(worker.inputs.build.platform).toBe("linux/amd64"); // spot pool: m7i/m6i/m6a/m5
        expect(worker.inputs.imageName).toBe(`${MOCK_ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/scaled-web/prod/worker:release-7`);
    });

    test.each(["us-east-1", "us-west-2"])("the Deployments in %s run built images from the region-local repository pinned by digest, and the given ws image unchanged", (region) => {
        const images = deploymentImages(region);
        const local = `${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/scaled-web/prod`;
        const byService = (match: (name: string) => boolean): string[] => [...new Set(Object.entries(images).filter(([n]) => match(n)).flatMap(([, i]) => i))];
        expect(Object.keys(images).length).toBeGreaterThanOrEqual(3);
        expect(byService((n) => /-api(-|$)/.test(n))).toEqual([`${local}/api@${DIGEST}`]);
        expect(byService((n) => /-ws(-|$)/.test(n))).toEqual(["ghcr.io/acme/ws:1.0.0"]);
        const others = byService((n) => !/-(api|ws)(-|$)/.test(n));
        expect(others).toEqual([`${local}/worker@${DIGEST}`]);
    });
});

describe("the images stage for the prod config as given (nothing built)", () => {
    let run: Awaited<ReturnType<typeof runImagesStage>>;
    beforeAll(async () => {
        run = await runImagesStage(stackConfig("prod"));
    });

    test.each(["us-east-1", "us-west-2"])("workloads in %s receive the configured references unchanged", (region) => {
        const ecr = `${MOCK_ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/scaled-web/prod`;
        expect(SERVICES.map((s) => run.outputs.refs[s][region])).toEqual([`${ecr}/api:1.0.0`, `${ecr}/ws:1.0.0`, `${ecr}/worker:1.0.0`]);
        expect(run.ofType("docker:index/image:Image")).toEqual([]);
    });

    test("repositories, replication and the replica template each go through their region's provider", () => {
        expect(run.ofType("aws:ecr/repository:Repository").map((r) => r.region)).toEqual(["us-east-1", "us-east-1", "us-east-1"]);
        expect(run.ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration").map((r) => r.region)).toEqual(["us-east-1"]);
        expect(run.ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate").map((r) => r.region)).toEqual(["us-west-2"]);
        expect(run.ofType("aws:kms/key:Key").map((k) => [k.name, k.region])).toEqual([["prod-use1-images-key", "us-east-1"], ["prod-use1-images-key-us-west-2", "us-west-2"]]);
    });
});

describe("the images stage for the dev config (one region)", () => {
    let run: Awaited<ReturnType<typeof runImagesStage>>;
    beforeAll(async () => {
        run = await runImagesStage(stackConfig("dev", { images: { services: ["api", "ws", "worker", "cron"], keepTaggedImages: 5 } }));
    });

    test("repositories without replication; unprotected in dev, so they may be deleted with their images", () => {
        expect(run.ofType("aws:ecr/repository:Repository").map((r) => [r.inputs.name, r.region, r.inputs.forceDelete])).toEqual([
            ["scaled-web/dev/api", "us-east-1", true],
            ["scaled-web/dev/ws", "us-east-1", true],
            ["scaled-web/dev/worker", "us-east-1", true],
            ["scaled-web/dev/cron", "us-east-1", true],
        ]);
        expect(run.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy").map((p) => JSON.parse(p.inputs.policy).rules[1].selection.countNumber)).toEqual([5, 5, 5, 5]);
        expect(run.ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration")).toEqual([]);
        expect(run.ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")).toEqual([]);
    });

    test("asking for a region the stack does not have, or a service without an image, is an error", () => {
        expect(() => run.supply.imageFor("api", "us-west-2")).toThrow(/no images in region "us-west-2"; regions are us-east-1/);
        expect(() => run.supply.imageFor("cron", "us-east-1")).toThrow(/no image for service "cron"; give images\.cron or builds\.cron/);
    });
});

describe("bad image config", () => {
    test.each<[string, Record<string, unknown>, RegExp]>([
        ["an invalid image reference", { api: { image: "Registry/API Image" } }, /scaled-web:api\.image: must be a container image reference .*got "Registry\/API Image"/],
        ["an invalid worker image reference", { workers: { image: "nginx:" } }, /scaled-web:workers\.image: must be a container image reference .*got "nginx:"/],
        ["a lifecycle count below 1", { images: { keepTaggedImages: 0 } }, /scaled-web:images\.keepTaggedImages: must be >= 1 \(got 0\)/],
        ["an untagged expiry below 1 day", { images: { expireUntaggedAfterDays: 0 } }, /scaled-web:images\.expireUntaggedAfterDays: must be >= 1 \(got 0\)/],
        ["an unknown build platform", { images: { build: { api: { context: "x", platform: "linux/s390x" } } } }, /scaled-web:images\.build\.api\.platform: must be "linux\/amd64" or "linux\/arm64"/],
        ["an empty build context", { images: { build: { api: { context: "" } } } }, /scaled-web:images\.build\.api\.context: must be a directory relative to the project root/],
    ])("%s is a ConfigError naming the key", (_label, overrides, expected) => {
        expect(() => stackConfig("dev", overrides)).toThrow(ConfigError);
        expect(() => stackConfig("dev", overrides)).toThrow(expected);
    });

    test("a build context that does not exist names the path and the root it was resolved against", async () => {
        const missing = path.join(tmp, "nope");
        // Issue 17: the ImageRepository's own check runs on the config first, under the stack key.
        const message = await failure(async () => runImagesStage(stackConfig("dev", { images: { build: { api: { context: missing } } } })));
        expect(message).toMatch(new RegExp(`scaled-web:images\\.build\\.api\\.context: build context "${escape(missing)}" does not exist: resolved against .* to ${escape(missing)}`));
    });

    test("a relative build context is resolved against the project root", async () => {
        const message = await failure(async () => runImagesStage(stackConfig("dev", { images: { build: { worker: { context: "services/worker" } } } })));
        expect(message).toContain(`build context "services/worker" does not exist: resolved against ${process.cwd()} to ${path.join(process.cwd(), "services", "worker")}`);
    });

    test("a service name that is not a valid repository name is rejected", async () => {
        const message = await failure(async () => runImagesStage(stackConfig("dev", { images: { services: ["api", "Web API"] } })));
        expect(message).toMatch(/scaled-web:images\.services\.1: "Web API" is not a valid repository name/);
    });

    test("the whole program fails on a missing build context too", async () => {
        await expect(runStack("dev", { images: { build: { api: { context: "no/such/dir" } } } })).rejects.toThrow(/scaled-web:images\.build\.api\.context: build context "no\/such\/dir" does not exist/);
    });

    test("a build whose on-demand pools mix CPU architectures needs an explicit platform", async () => {
        // api/ws may land on any on-demand pool, so one image must fit both architectures: ask for one.
        const pools = { "general-arm": { capacityType: "on-demand", instanceTypes: ["m7g.large"], minSize: 2, maxSize: 3, desiredSize: 2 } };
        // ws names its image: otherwise dev builds the reference app for it, which needs a platform as well.
        const ws = { image: "ghcr.io/acme/ws:1.0.0" };
        const message = await failure(async () => runImagesStage(stackConfig("dev", { nodePools: pools, ws, images: { build: { api: { context: path.join(tmp, "api") } } } })));
        expect(message).toMatch(/scaled-web:images\.build\.api\.platform: cannot be derived: the pools that run api \(general, general-arm\) mix or lack CPU architectures \(m7i\.large, m7g\.large\); set it to "linux\/amd64" or "linux\/arm64"/);

        // Without ws's image, the reference app build for ws needs the platform too, and the message says how.
        const reference = await failure(async () => runImagesStage(stackConfig("dev", { nodePools: pools, images: { build: { api: { context: path.join(tmp, "api"), platform: "linux/arm64" } } } })));
        expect(reference).toMatch(/scaled-web:images\.build\.ws\.platform: cannot be derived: .*\(this is the reference app build from images\.referenceApp: give it as images\.build\.ws: \{ context: "app", platform: \.\.\. \}\)/);

        const explicit = await runImagesStage(stackConfig("dev", { nodePools: pools, ws, images: { build: { api: { context: path.join(tmp, "api"), platform: "linux/arm64" } } } }));
        expect(explicit.get("docker:index/image:Image", "dev-use1-images-api").inputs.build.platform).toBe("linux/arm64");
    });
});

describe("the reference application: dev builds it by default, prod names pinned images", () => {
    const ecr = (region: string): string => `${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`;

    test("the dev stack builds app/ once per built-in service and runs it pinned by digest", async () => {
        const run = await runImagesStage(stackConfig("dev"));
        const images = run.ofType("docker:index/image:Image");
        expect(images.map((i) => i.name)).toEqual(["dev-use1-images-api", "dev-use1-images-ws", "dev-use1-images-worker"]);
        for (const image of images) {
            expect(image.inputs.build).toMatchObject({ context: "app", dockerfile: path.join("app", "Dockerfile"), platform: "linux/amd64" });
        }
        // One context, one content hash: the same tag in each service's repository.
        const tags = images.map((i) => /:(build-[0-9a-f]{16})$/.exec(i.inputs.imageName)?.[1]);
        expect(new Set(tags).size).toBe(1);
        expect(images.map((i) => i.inputs.imageName)).toEqual(SERVICES.map((s) => `${ecr("us-east-1")}/scaled-web/dev/${s}:${tags[0]}`));
        expect(SERVICES.map((s) => run.outputs.refs[s]["us-east-1"])).toEqual(SERVICES.map((s) => `${ecr("us-east-1")}/scaled-web/dev/${s}@${DIGEST}`));
    });

    test("a service that names its image runs it; the others still get the reference app", async () => {
        const run = await runImagesStage(stackConfig("dev", { api: { image: "ghcr.io/acme/api:2.0.0" } }));
        expect(run.ofType("docker:index/image:Image").map((i) => i.name)).toEqual(["dev-use1-images-ws", "dev-use1-images-worker"]);
        expect(run.outputs.refs.api["us-east-1"]).toBe("ghcr.io/acme/api:2.0.0");
    });

    test("the reference app's Dockerfile runs as uid 10001 with no write outside /tmp", () => {
        const dockerfile = fs.readFileSync(path.join(__dirname, "..", "app", "Dockerfile"), "utf8");
        expect(dockerfile).toMatch(/^USER 10001:10001$/m);
        expect(dockerfile).toMatch(/HOME=\/tmp/);
        expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "src\/main\.js"\]$/m);
    });

    test.each<[string, string, Record<string, unknown>, RegExp[]]>([
        ["dev without the reference app names every missing image", "dev", { images: { referenceApp: false } }, [
            /scaled-web:api\.image: is required: images\.referenceApp is false, so name the api image .*images\.build\.api.*images\.referenceApp: true/,
            /scaled-web:ws\.image: is required/,
            /scaled-web:workers\.image: is required/,
        ]],
        ["prod without images", "prod", { api: {}, ws: {}, workers: {} }, [
            /scaled-web:api\.image: is required in prod: name the api image pinned by tag or digest/,
            /scaled-web:ws\.image: is required in prod/,
            /scaled-web:workers\.image: is required in prod/,
        ]],
        ["prod with an untagged or latest image", "prod", { api: { image: "ghcr.io/acme/api" }, ws: { image: "ghcr.io/acme/ws:latest" } }, [
            /scaled-web:api\.image: must be pinned by tag or digest in prod, got "ghcr\.io\/acme\/api" \(no tag pulls "latest"\); use e\.g\. "ghcr\.io\/acme\/api:1\.4\.2"/,
            /scaled-web:ws\.image: must be pinned by tag or digest in prod, got "ghcr\.io\/acme\/ws:latest" \("latest" moves\)/,
        ]],
        ["prod asking for the reference app", "prod", { images: { referenceApp: true } }, [
            /scaled-web:images\.referenceApp: is true, but prod runs the images it names, pinned by tag or digest/,
        ]],
    ])("%s is one ConfigError naming each key", (_label, stack, overrides, expected) => {
        let message = "";
        try {
            stackConfig(stack, overrides);
        } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
            message = (e as Error).message;
        }
        for (const m of expected) {
            expect(message).toMatch(m);
        }
        expect((message.match(/^ {2}- /gm) ?? []).length).toBe(expected.length);
    });

    test("prod accepts images pinned by tag or digest, and its own builds", () => {
        const config = stackConfig("prod", {
            api: { image: `ghcr.io/acme/api@${DIGEST}` },
            ws: { image: "registry.example.com:5000/acme/ws:2024.06.1" },
            workers: {},
            images: { build: { worker: { context: "app" } } },
        });
        expect(config.images.referenceApp).toBe(false);
        expect(imagesModule.buildRequests(config)).toEqual({ worker: { context: "app" } });
    });

    test.each([
        ["repo@sha256:" + "ab".repeat(32), "digest"],
        ["registry.example.com:5000/team/api:1.4.2", "tag"],
        ["registry.example.com:5000/team/api", "unpinned"],
        ["api:latest", "unpinned"],
        ["api", "unpinned"],
    ])("imagePinning(%s) = %s", (ref, pinning) => {
        expect(imagePinning(ref)).toBe(pinning);
    });
});
