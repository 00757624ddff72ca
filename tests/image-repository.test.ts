import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import {
    ImageRepository,
    ImageRepositoryArgs,
    architectureOfInstanceType,
    buildContextTag,
    defaultRepositoryPrefix,
    digestOf,
    lifecyclePolicyDocument,
    pinnedImage,
    platformForInstanceTypes,
    regionalRepositoryUrl,
    repositoryName,
    taggedImage,
    validateImageRepositoryArgs,
} from "../components/image-repository";
import { MOCK_ACCOUNT_ID } from "../toolkit/offline";
import { RegisteredResource, StackRun, runComponent, valueOf } from "./harness";

const DIGEST = `sha256:${"ab".repeat(32)}`;

let tmp: string;
beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-repository-"));
    fs.mkdirSync(path.join(tmp, "api"));
    fs.writeFileSync(path.join(tmp, "api", "Dockerfile"), "FROM public.ecr.aws/docker/library/node:22-alpine\nCOPY . /app\n");
    fs.writeFileSync(path.join(tmp, "api", "server.js"), "console.log('api');\n");
    fs.mkdirSync(path.join(tmp, "worker", "docker"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "worker", "docker", "worker.Dockerfile"), "FROM public.ecr.aws/docker/library/node:22-alpine\n");
    fs.writeFileSync(path.join(tmp, "not-a-dir"), "x");
    fs.mkdirSync(path.join(tmp, "no-dockerfile"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("lifecyclePolicyDocument", () => {
    describe.each([
        [30, 7],
        [1, 1],
        [100, 14],
    ])("keep %i tagged, expire untagged after %i days", (keep, days) => {
        const doc = JSON.parse(lifecyclePolicyDocument(keep, days));
        test("has two rules with distinct ascending priorities", () => {
            expect(doc.rules.map((r: any) => r.rulePriority)).toEqual([1, 2]);
            expect(doc.rules.every((r: any) => r.action.type === "expire")).toBe(true);
        });
        test("rule 1 expires untagged images by age", () => {
            expect(doc.rules[0].selection).toEqual({ tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: days });
        });
        test("rule 2 keeps the newest tagged images by count", () => {
            expect(doc.rules[1].selection).toEqual({ tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keep });
        });
    });

    test.each<[number, number, RegExp]>([
        [0, 7, /keepTaggedImages must be a whole number >= 1, got 0/],
        [2.5, 7, /keepTaggedImages must be a whole number >= 1, got 2.5/],
        [30, 0, /expireUntaggedAfterDays must be a whole number >= 1, got 0/],
    ])("rejects keep=%p days=%p", (keep, days, expected) => {
        expect(() => lifecyclePolicyDocument(keep, days)).toThrow(expected);
    });
});

describe.each([
    ["m7i.large", "amd64"],
    ["m6a.xlarge", "amd64"],
    ["g4dn.xlarge", "amd64"],
    ["m7i-flex.large", "amd64"],
    ["m7g.large", "arm64"],
    ["c7gn.2xlarge", "arm64"],
    ["r6gd.large", "arm64"],
    ["t4g.medium", "arm64"],
    ["im4gn.large", "arm64"],
    ["is4gen.xlarge", "arm64"],
    ["a1.large", "arm64"],
    ["not-an-instance", undefined],
])("architectureOfInstanceType(%s)", (type, arch) => {
    test(`is ${arch}`, () => expect(architectureOfInstanceType(type)).toBe(arch));
});

describe.each<[string[], string | undefined]>([
    [["m7i.2xlarge"], "linux/amd64"],
    [["m7i.xlarge", "m6i.xlarge", "m6a.xlarge", "m5.xlarge"], "linux/amd64"],
    [["m7g.xlarge", "m6g.xlarge", "c7g.xlarge"], "linux/arm64"],
    [["m7g.xlarge", "m7i.xlarge"], undefined],
    [[], undefined],
])("platformForInstanceTypes(%j)", (types, platform) => {
    test(`is ${platform}`, () => expect(platformForInstanceTypes(types)).toBe(platform));
});

describe("image reference helpers", () => {
    test.each([
        ["scaled-web", "prod", "scaled-web/prod"],
        ["scaled-web", "Prod_EU", "scaled-web/prod-eu"],
        ["My Project", "dev", "my-project/dev"],
    ])("defaultRepositoryPrefix(%s, %s) = %s", (project, stack, expected) => {
        expect(defaultRepositoryPrefix(project, stack)).toBe(expected);
    });

    test("repository names and region-local URLs", () => {
        expect(repositoryName("scaled-web/prod", "api")).toBe("scaled-web/prod/api");
        expect(regionalRepositoryUrl("123456789012", "us-west-2", "scaled-web/prod/api")).toBe("123456789012.dkr.ecr.us-west-2.amazonaws.com/scaled-web/prod/api");
        expect(taggedImage("r.example.com/a", "v1")).toBe("r.example.com/a:v1");
    });

    test.each([
        [`123.dkr.ecr.us-east-1.amazonaws.com/a@${DIGEST}`],
        [`123.dkr.ecr.us-east-1.amazonaws.com/a:build-1@${DIGEST}`],
    ])("digestOf(%s) takes the digest and pinnedImage re-homes it", (repoDigest) => {
        expect(digestOf(repoDigest)).toBe(DIGEST);
        expect(pinnedImage("999.dkr.ecr.us-west-2.amazonaws.com/a", digestOf(repoDigest))).toBe(`999.dkr.ecr.us-west-2.amazonaws.com/a@${DIGEST}`);
    });

    test("digestOf rejects a reference without a digest", () => {
        expect(() => digestOf("repo:latest")).toThrow(/"repo:latest" does not end in @sha256:<64 hex digits>/);
    });
});

describe("buildContextTag", () => {
    let ctx: string;
    beforeEach(() => {
        ctx = fs.mkdtempSync(path.join(tmp, "ctx-"));
        fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM scratch\n");
        fs.mkdirSync(path.join(ctx, "src"));
        fs.writeFileSync(path.join(ctx, "src", "a.txt"), "a");
    });
    const tag = (): string => buildContextTag(ctx, path.join(ctx, "Dockerfile"), "linux/amd64");

    test("is a stable, valid tag for an unchanged tree", () => {
        expect(tag()).toMatch(/^build-[0-9a-f]{16}$/);
        expect(tag()).toBe(tag());
    });
    test("changes with a file's content, a new file, the Dockerfile and the platform", () => {
        const before = tag();
        fs.writeFileSync(path.join(ctx, "src", "a.txt"), "b");
        const edited = tag();
        expect(edited).not.toBe(before);
        fs.writeFileSync(path.join(ctx, "src", "b.txt"), "");
        const added = tag();
        expect(added).not.toBe(edited);
        fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM scratch\nUSER 1000\n");
        expect(tag()).not.toBe(added);
        expect(buildContextTag(ctx, path.join(ctx, "Dockerfile"), "linux/arm64")).not.toBe(tag());
    });
    test("ignores .git", () => {
        const before = tag();
        fs.mkdirSync(path.join(ctx, ".git"));
        fs.writeFileSync(path.join(ctx, ".git", "HEAD"), "ref: refs/heads/main\n");
        expect(tag()).toBe(before);
    });
});

const VALID: ImageRepositoryArgs = { region: "us-east-1", repositoryPrefix: "scaled-web/test" };

describe("ImageRepository validation", () => {
    test.each<[string, Partial<ImageRepositoryArgs>, RegExp]>([
        ["a lifecycle count below 1", { keepTaggedImages: 0 }, /keepTaggedImages: must be a whole number >= 1 \(the lifecycle policy keeps at least one tagged image\), got 0/],
        ["a fractional lifecycle count", { keepTaggedImages: 1.5 }, /keepTaggedImages: must be a whole number >= 1 .*got 1.5/],
        ["untagged expiry below 1 day", { expireUntaggedAfterDays: 0 }, /expireUntaggedAfterDays: must be a whole number of days >= 1, got 0/],
        ["a service name with upper case", { services: ["api", "Web_API"] }, /services\[1\]: "Web_API" is not a valid repository name: use lower-case letters and digits/],
        ["a service name with a slash", { services: ["team/api"] }, /services\[0\]: "team\/api" is not a valid repository name/],
        ["a repeated service", { services: ["api", "api"] }, /services: must not repeat a service, got \["api","api"\]/],
        ["no services", { services: [] }, /services: must name at least one service/],
        ["a bad prefix", { repositoryPrefix: "Scaled Web/" }, /repositoryPrefix: must be an ECR namespace .* got "Scaled Web\/"/],
        ["a bad region", { region: "useast1" }, /region: must be an AWS region such as "us-east-1", got "useast1"/],
        ["an invalid image reference", { images: { api: "Not An Image!" } }, /images\.api: must be a container image reference .* got "Not An Image!"/],
        ["an image reference with an upper-case path", { images: { ws: "registry.example.com/Team/ws:1" } }, /images\.ws: must be a container image reference/],
        ["a build for a service without repository", { builds: { web: { context: "api" } } }, /builds\.web: "web" has no repository; add it to services/],
        ["a bad platform", { builds: { api: { context: "api", platform: "linux/riscv64" as any } } }, /builds\.api\.platform: must be one of linux\/amd64, linux\/arm64, got "linux\/riscv64"/],
        ["a bad tag", { builds: { api: { context: "api", tag: "-latest" } } }, /builds\.api\.tag: must be a Docker tag .* got "-latest"/],
    ])("rejects %s", (_label, patch, expected) => {
        const args = { ...VALID, ...patch };
        expect(() => validateImageRepositoryArgs(args, tmp).throwIfAny('ImageRepository "r"')).toThrow(expected);
        expect(() => new ImageRepository("r", { ...args, buildRoot: tmp })).toThrow(expected);
    });

    test("a build context that does not exist names the path, the root and the resolved path", () => {
        const args = { ...VALID, buildRoot: tmp, builds: { api: { context: "services/missing" } } };
        const resolved = path.join(tmp, "services", "missing");
        expect(() => new ImageRepository("r", args)).toThrow(
            `builds.api.context: build context "services/missing" does not exist: resolved against ${tmp} to ${resolved}; create it or give a directory relative to ${tmp}`,
        );
    });

    test("a build context that is a file, and a missing Dockerfile, are reported", () => {
        expect(() => new ImageRepository("r", { ...VALID, buildRoot: tmp, builds: { api: { context: "not-a-dir" } } }))
            .toThrow(/builds\.api\.context: build context "not-a-dir" \(resolved against .* to .*not-a-dir\) is a file/);
        expect(() => new ImageRepository("r", { ...VALID, buildRoot: tmp, builds: { api: { context: "no-dockerfile" } } }))
            .toThrow(/builds\.api\.dockerfile: Dockerfile "Dockerfile" does not exist: resolved against the context .*no-dockerfile to .*no-dockerfile\/Dockerfile/);
    });

    test("replica regions must differ from the primary", () => {
        expect(() => validateImageRepositoryArgs({ ...VALID, replicaRegions: { "us-east-1": {} as aws.Provider } }).throwIfAny("x"))
            .toThrow(/replicaRegions\.us-east-1: is the repositories' own region/);
    });

    test("reports every problem at once and creates nothing", async () => {
        const run = await runComponent(() => {
            try {
                new ImageRepository("bad", { ...VALID, keepTaggedImages: 0, services: ["API"], images: { api: "::" } });
            } catch (e) {
                return (e as Error).message;
            }
            return "created";
        });
        expect(run.outputs).toMatch(/Invalid arguments for ImageRepository "bad" \(3 problems\)/);
        expect(run.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    });
});

interface Built {
    readonly imageRefs: Record<string, Record<string, string>>;
    readonly unknownRegion: string;
    readonly unknownService: string;
}

describe("ImageRepository under the mock runtime (primary us-east-1, replicas us-west-2 and eu-west-1)", () => {
    let run: StackRun<Built>;
    let component: RegisteredResource;
    const ofType = (type: string): RegisteredResource[] => run.ofType(type).filter((r) => run.isDescendantOf(r, component));

    beforeAll(async () => {
        run = (await runComponent(async () => {
            const providers = Object.fromEntries(["us-east-1", "us-west-2", "eu-west-1"].map((r) => [r, new aws.Provider(`aws-${r}`, { region: r as aws.Region })]));
            const repo = new ImageRepository("img", {
                region: "us-east-1",
                repositoryPrefix: "scaled-web/test",
                keepTaggedImages: 12,
                expireUntaggedAfterDays: 3,
                replicaRegions: { "us-west-2": providers["us-west-2"], "eu-west-1": providers["eu-west-1"] },
                images: { ws: "ghcr.io/acme/ws:2.0.1", worker: "ghcr.io/acme/worker:2.0.1", api: "ghcr.io/acme/api:ignored-when-built" },
                buildRoot: tmp,
                builds: {
                    api: { context: "api", platform: "linux/arm64" },
                    worker: { context: "worker", dockerfile: "docker/worker.Dockerfile", tag: "v2.0.1" },
                },
                tags: { team: "platform" },
            }, { provider: providers["us-east-1"] });
            const imageRefs: Record<string, Record<string, string>> = {};
            for (const service of ["api", "ws", "worker"]) {
                imageRefs[service] = {};
                for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
                    imageRefs[service][region] = await valueOf(repo.imageFor(service, region));
                }
            }
            const message = (f: () => unknown): string => {
                try {
                    f();
                    return "no error";
                } catch (e) {
                    return (e as Error).message;
                }
            };
            return {
                imageRefs,
                unknownRegion: message(() => repo.imageFor("api", "ap-south-1")),
                unknownService: message(() => new ImageRepository("img2", { region: "us-east-1", repositoryPrefix: "x/y", services: ["jobs"] }, { provider: providers["us-east-1"] }).imageFor("jobs", "us-east-1")),
            };
        })) as unknown as StackRun<Built>; // the program is async; runOffline awaits it
        component = run.get("scaled-web:images:ImageRepository", "img");
    });

    test("one immutable, scanned, KMS-encrypted, protected repository per default service, in the primary region", () => {
        const repos = ofType("aws:ecr/repository:Repository");
        expect(repos.map((r) => r.inputs.name).sort()).toEqual(["scaled-web/test/api", "scaled-web/test/worker", "scaled-web/test/ws"]);
        const key = run.get("aws:kms/key:Key", "img-key");
        expect(key.inputs.enableKeyRotation).toBe(true);
        for (const repo of repos) {
            expect(repo.name).toBe(`img-${repo.inputs.name.split("/").pop()}`);
            expect(run.parentOf(repo)?.urn).toBe(component.urn);
            expect(repo.region).toBe("us-east-1");
            expect(repo.inputs.imageTagMutability).toBe("IMMUTABLE");
            expect(repo.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
            expect(repo.inputs.encryptionConfigurations).toEqual([{ encryptionType: "KMS", kmsKey: key.state.arn }]);
            expect(repo.inputs.forceDelete).toBe(false);
            expect(repo.inputs.tags).toMatchObject({ team: "platform", service: repo.inputs.name.split("/").pop() });
        }
    });

    test("each repository has the lifecycle policy: untagged after 3 days, keep 12 tagged", () => {
        const policies = ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy");
        expect(policies.map((p) => p.inputs.repository).sort()).toEqual(["scaled-web/test/api", "scaled-web/test/worker", "scaled-web/test/ws"]);
        for (const p of policies) {
            const doc = JSON.parse(p.inputs.policy);
            expect(doc.rules.map((r: any) => [r.rulePriority, r.selection.tagStatus, r.selection.countType, r.selection.countNumber])).toEqual([
                [1, "untagged", "sinceImagePushed", 3],
                [2, "tagged", "imageCountMoreThan", 12],
            ]);
        }
    });

    test("one registry replication rule sends the prefix to every replica region of this account", () => {
        const configs = ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration");
        expect(configs).toHaveLength(1);
        expect(configs[0].region).toBe("us-east-1");
        const rules = configs[0].inputs.replicationConfiguration.rules;
        expect(rules).toHaveLength(1);
        expect(rules[0].destinations).toEqual([
            { region: "us-west-2", registryId: MOCK_ACCOUNT_ID },
            { region: "eu-west-1", registryId: MOCK_ACCOUNT_ID },
        ]);
        expect(rules[0].repositoryFilters).toEqual([{ filter: "scaled-web/test/", filterType: "PREFIX_MATCH" }]);
    });

    test("each replica region gets, through its own provider, a KMS key and a creation template applied on replication", () => {
        const templates = ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
        expect(templates.map((t) => t.region).sort()).toEqual(["eu-west-1", "us-west-2"]);
        const role = run.get("aws:iam/role:Role", "img-replica-creator");
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "ecr.amazonaws.com" });
        for (const t of templates) {
            const key = run.get("aws:kms/key:Key", `img-key-${t.region}`);
            expect(key.region).toBe(t.region);
            expect(t.inputs).toMatchObject({
                prefix: "scaled-web/test",
                appliedFors: ["REPLICATION"],
                imageTagMutability: "IMMUTABLE",
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key.state.arn }],
                customRoleArn: role.state.arn,
            });
            expect(JSON.parse(t.inputs.lifecyclePolicy).rules[1].selection.countNumber).toBe(12);
        }
        const policy = JSON.parse(run.get("aws:iam/rolePolicy:RolePolicy", "img-replica-creator").inputs.policy);
        expect(policy.Statement[0].Resource).toEqual([
            `arn:aws:ecr:us-west-2:${MOCK_ACCOUNT_ID}:repository/scaled-web/test/*`,
            `arn:aws:ecr:eu-west-1:${MOCK_ACCOUNT_ID}:repository/scaled-web/test/*`,
        ]);
        expect(policy.Statement[1].Resource.sort()).toEqual(templates.map((t) => run.get("aws:kms/key:Key", `img-key-${t.region}`).state.arn).sort());
    });

    test("the replication configuration waits for the templates", () => {
        const replication = run.get("aws:ecr/replicationConfiguration:ReplicationConfiguration", "img-replication");
        for (const t of ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")) {
            expect(replication.dependencies).toContain(t.urn);
        }
    });

    test("built services are pushed with a registry login, for their platform, after replication is configured", () => {
        const images = ofType("docker:index/image:Image");
        expect(images.map((i) => i.name).sort()).toEqual(["img-api", "img-worker"]);
        const replication = run.get("aws:ecr/replicationConfiguration:ReplicationConfiguration", "img-replication");
        const api = run.get("docker:index/image:Image", "img-api");
        const apiTag = buildContextTag(path.join(tmp, "api"), path.join(tmp, "api", "Dockerfile"), "linux/arm64");
        expect(api.inputs.imageName).toBe(`${MOCK_ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/scaled-web/test/api:${apiTag}`);
        expect(api.inputs.build.platform).toBe("linux/arm64");
        expect(path.resolve(api.inputs.build.context)).toBe(path.join(tmp, "api"));
        expect(path.resolve(api.inputs.build.dockerfile)).toBe(path.join(tmp, "api", "Dockerfile"));
        expect(api.inputs.registry).toEqual({ server: `${MOCK_ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/scaled-web/test/api`, username: "AWS", password: "mock-ecr-token" });
        // The password is a secret (the mock runtime reports the secret at the enclosing object).
        expect(api.secretInputs.some((p) => "registry.password".startsWith(p))).toBe(true);
        expect(api.dependencies).toContain(replication.urn);

        const worker = run.get("docker:index/image:Image", "img-worker");
        expect(worker.inputs.imageName).toMatch(/scaled-web\/test\/worker:v2\.0\.1$/);
        expect(worker.inputs.build.platform).toBe("linux/amd64");
        expect(path.resolve(worker.inputs.build.dockerfile)).toBe(path.join(tmp, "worker", "docker", "worker.Dockerfile"));
        expect(run.invokes.filter((i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken")[0].inputs).toEqual({ registryId: MOCK_ACCOUNT_ID });
    });

    test.each(["us-east-1", "us-west-2", "eu-west-1"])("in %s a built service runs from the region-local repository, pinned by digest", (region) => {
        expect(run.outputs.imageRefs.api[region]).toBe(`${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/scaled-web/test/api@${DIGEST}`);
        expect(run.outputs.imageRefs.worker[region]).toBe(`${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/scaled-web/test/worker@${DIGEST}`);
    });

    test.each(["us-east-1", "us-west-2", "eu-west-1"])("in %s a service that is not built runs the given reference unchanged", (region) => {
        expect(run.outputs.imageRefs.ws[region]).toBe("ghcr.io/acme/ws:2.0.1");
    });

    test("an unknown region or a service without an image is an error", () => {
        expect(run.outputs.unknownRegion).toBe('ImageRepository "img": no images in region "ap-south-1"; regions are us-east-1, us-west-2, eu-west-1');
        expect(run.outputs.unknownService).toMatch(/ImageRepository "img2": no image for service "jobs"; give images\.jobs or builds\.jobs/);
    });
});

describe("ImageRepository options", () => {
    let run: StackRun<unknown>;
    beforeAll(async () => {
        run = await runComponent(() => {
            const provider = new aws.Provider("aws-eu", { region: "eu-central-1" });
            new ImageRepository("open", {
                region: "eu-central-1",
                repositoryPrefix: "acme/dev",
                services: ["web"],
                protect: false,
                kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/shared",
            }, { provider });
        });
    });

    test("an unprotected repository may be deleted with its images; a given key is used and none is created", () => {
        const repo = run.get("aws:ecr/repository:Repository", "open-web");
        expect(repo.inputs.name).toBe("acme/dev/web");
        expect(repo.region).toBe("eu-central-1");
        expect(repo.inputs.forceDelete).toBe(true);
        expect(repo.inputs.encryptionConfigurations).toEqual([{ encryptionType: "KMS", kmsKey: "arn:aws:kms:eu-central-1:123456789012:key/shared" }]);
        expect(run.ofType("aws:kms/key:Key")).toEqual([]);
    });

    test("without replica regions there is no replication configuration, template or role, and without builds no image", () => {
        expect(run.ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration")).toEqual([]);
        expect(run.ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")).toEqual([]);
        expect(run.ofType("aws:iam/role:Role")).toEqual([]);
        expect(run.ofType("docker:index/image:Image")).toEqual([]);
        expect(run.invokes.map((i) => i.token)).not.toContain("aws:ecr/getAuthorizationToken:getAuthorizationToken");
    });
});
