import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_REFERENCE, Problems, instanceCpuArchitecture, show } from "./validation";

/** The services a web platform ships by default: HTTP API, WebSocket gateway, queue worker. */
export const DEFAULT_IMAGE_SERVICES: readonly string[] = ["api", "ws", "worker"];
/** Tagged images kept per repository; older ones expire (a rollback window of many releases). */
export const DEFAULT_KEEP_TAGGED_IMAGES = 30;
/** Untagged images (superseded layers of re-pushed builds) expire after this many days. */
export const DEFAULT_EXPIRE_UNTAGGED_AFTER_DAYS = 7;
export const DEFAULT_DOCKERFILE = "Dockerfile";
export const DEFAULT_IMAGE_PLATFORM: ImagePlatform = "linux/amd64";
/** ECR allows at most 25 destinations across a registry's replication rules. */
export const MAX_REPLICATION_DESTINATIONS = 25;

export const IMAGE_PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type ImagePlatform = (typeof IMAGE_PLATFORMS)[number];

/** One path component of an ECR repository name: lower-case letters and digits, separated by `.`, `_` or `-`. */
export const REPOSITORY_NAME_PART = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** An ECR namespace such as `scaled-web/prod`: name parts joined by `/`. */
export const REPOSITORY_NAMESPACE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
/** A Docker tag: word character first, then word characters, `.` or `-`, 128 at most. */
export const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Builds one service image from a local directory and pushes it to the service's repository. */
export interface ImageBuildArgs {
    /** Build context directory. A relative path is resolved against `ImageRepositoryArgs.buildRoot`. */
    readonly context: string;
    /**
     * Dockerfile, relative to the context directory (or absolute).
     * @default "Dockerfile"
     */
    readonly dockerfile?: string;
    /**
     * Target platform; match the CPU architecture of the nodes that run the service
     * (`platformForInstanceTypes` derives it from a node pool's instance types).
     * @default "linux/amd64"
     */
    readonly platform?: ImagePlatform;
    /**
     * Tag to push. Tags are immutable, so a tag must never be reused for different content.
     * @default `build-<hash>`: a hash of every file in the context, the Dockerfile and the platform
     */
    readonly tag?: string;
}

export interface ImageRepositoryArgs {
    /** Region the repositories live in: the region of the `aws.Provider` passed in `opts.provider`. */
    readonly region: string;
    /**
     * Namespace of every repository, e.g. `scaled-web/prod`: repositories are `<prefix>/<service>`, and
     * replication and creation templates match this prefix only.
     */
    readonly repositoryPrefix: string;
    /**
     * Services that get a repository, each a lower-case ECR name part.
     * @default ["api", "ws", "worker"]
     */
    readonly services?: readonly string[];
    /**
     * Tagged images kept per repository (the newest by push time); must be >= 1.
     * @default 30
     */
    readonly keepTaggedImages?: number;
    /**
     * Days after which untagged images expire; must be >= 1.
     * @default 7
     */
    readonly expireUntaggedAfterDays?: number;
    /**
     * Protected repositories refuse to be deleted while they hold images (`forceDelete: false`).
     * @default true
     */
    readonly protect?: boolean;
    /**
     * Customer-managed KMS key (ARN) that encrypts the repositories.
     * @default a new key with yearly rotation, owned by this component
     */
    readonly kmsKeyArn?: pulumi.Input<string>;
    /**
     * Regions to replicate every pushed image to, each with its own `aws.Provider`. The provider creates,
     * in that region, the KMS key and the repository creation template that ECR applies to the repositories
     * it creates there on first replication.
     * @default {} (no replication)
     */
    readonly replicaRegions?: Readonly<Record<string, aws.Provider>>;
    /**
     * Image references used as they are for services that are not built, keyed by service
     * (e.g. `{ api: "ghcr.io/acme/api:1.4.2" }`).
     * @default {}
     */
    readonly images?: Readonly<Record<string, string>>;
    /**
     * Services to build with Docker and push to their repository, keyed by service. A built service runs
     * from the region-local repository, pinned by digest.
     * @default {}
     */
    readonly builds?: Readonly<Record<string, ImageBuildArgs>>;
    /**
     * Directory relative build contexts are resolved against.
     * @default the Pulumi project root (`pulumi.getRootDirectory()`), else the working directory
     */
    readonly buildRoot?: string;
    /** Tags for every taggable child. @default {} */
    readonly tags?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers.
// ---------------------------------------------------------------------------------------------

/** `scaled-web/prod` + `api` -> `scaled-web/prod/api`. */
export function repositoryName(prefix: string, service: string): string {
    return `${prefix}/${service}`;
}

/**
 * A repository namespace from a project and stack name (`scaled-web`, `Prod_EU` -> `scaled-web/prod-eu`):
 * lower-cased, characters ECR does not allow replaced by `-`.
 */
export function defaultRepositoryPrefix(project: string, stack: string): string {
    const part = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "default";
    return `${part(project)}/${part(stack)}`;
}

/** The URL of a repository in one region of a registry: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
export function regionalRepositoryUrl(registryId: string, region: string, name: string): string {
    return `${registryId}.dkr.ecr.${region}.amazonaws.com/${name}`;
}

/**
 * The digest (`sha256:<64 hex>`) at the end of a repo digest such as `repo@sha256:...` or
 * `repo:tag@sha256:...`. Throws when there is none.
 */
export function digestOf(repoDigest: string): string {
    const m = /@(sha256:[a-f0-9]{64})$/.exec(repoDigest);
    if (!m) {
        throw new Error(`digestOf: ${show(repoDigest)} does not end in @sha256:<64 hex digits>`);
    }
    return m[1];
}

/** `repo` + `sha256:abc...` -> `repo@sha256:abc...`: a reference that always pulls the same bytes. */
export function pinnedImage(repositoryUrl: string, digest: string): string {
    return `${repositoryUrl}@${digest}`;
}

/** `repo` + `tag` -> `repo:tag`. */
export function taggedImage(repositoryUrl: string, tag: string): string {
    return `${repositoryUrl}:${tag}`;
}

/**
 * The ECR lifecycle policy: untagged images expire `expireUntaggedAfterDays` after their push (rule 1),
 * and only the newest `keepTaggedImages` tagged images are kept (rule 2). Rule 1 has the higher priority,
 * so an untagged image never uses up a tagged slot.
 */
export function lifecyclePolicyDocument(keepTaggedImages: number, expireUntaggedAfterDays: number): string {
    if (!Number.isInteger(keepTaggedImages) || keepTaggedImages < 1) {
        throw new Error(`lifecyclePolicyDocument: keepTaggedImages must be a whole number >= 1, got ${show(keepTaggedImages)}`);
    }
    if (!Number.isInteger(expireUntaggedAfterDays) || expireUntaggedAfterDays < 1) {
        throw new Error(`lifecyclePolicyDocument: expireUntaggedAfterDays must be a whole number >= 1, got ${show(expireUntaggedAfterDays)}`);
    }
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images ${expireUntaggedAfterDays} days after push`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: expireUntaggedAfterDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the newest ${keepTaggedImages} tagged images`,
                selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keepTaggedImages },
                action: { type: "expire" },
            },
        ],
    });
}

/** Docker architecture name of an EC2 instance type (see `instanceCpuArchitecture`); undefined when it is not one. */
export function architectureOfInstanceType(instanceType: string): "amd64" | "arm64" | undefined {
    const arch = instanceCpuArchitecture(instanceType);
    return arch === undefined ? undefined : arch === "arm64" ? "arm64" : "amd64";
}

/**
 * The Docker platform matching a node pool's instance types, or undefined when they mix architectures
 * (or there are none), in which case the build needs an explicit platform.
 */
export function platformForInstanceTypes(instanceTypes: readonly string[]): ImagePlatform | undefined {
    const archs = new Set(instanceTypes.map(architectureOfInstanceType));
    if (archs.size !== 1 || archs.has(undefined)) {
        return undefined;
    }
    return `linux/${[...archs][0]}` as ImagePlatform;
}

/** Absolute context directory and Dockerfile of a build. */
export function resolveBuild(build: ImageBuildArgs, buildRoot: string): { context: string; dockerfile: string } {
    const context = path.resolve(buildRoot, build.context);
    return { context, dockerfile: path.resolve(context, build.dockerfile ?? DEFAULT_DOCKERFILE) };
}

function hashTree(hash: crypto.Hash, dir: string, rel: string): void {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (entry.name === ".git") {
            continue;
        }
        const full = path.join(dir, entry.name);
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
            hash.update(`d:${relPath}\0`);
            hashTree(hash, full, relPath);
        } else if (entry.isSymbolicLink()) {
            hash.update(`l:${relPath}\0${fs.readlinkSync(full)}\0`);
        } else if (entry.isFile()) {
            hash.update(`f:${relPath}\0`);
            hash.update(fs.readFileSync(full));
            hash.update("\0");
        }
    }
}

/**
 * A tag that changes exactly when what the build sees changes: `build-` and 16 hex digits of a SHA-256
 * over every file of the context (but `.git`), the Dockerfile and the platform. Repositories are
 * immutable, so a rebuild with new content must push under a new tag; an unchanged tree gives the same
 * tag and no new push.
 */
export function buildContextTag(contextDir: string, dockerfile: string, platform: string): string {
    const hash = crypto.createHash("sha256");
    hash.update(`platform:${platform}\0`);
    hashTree(hash, contextDir, "");
    hash.update("dockerfile\0");
    hash.update(fs.readFileSync(dockerfile));
    return `build-${hash.digest("hex").slice(0, 16)}`;
}

/**
 * Checks plain ImageRepository args, including that every build context and Dockerfile exists.
 * Returns the problems found (empty when valid).
 */
export function validateImageRepositoryArgs(args: ImageRepositoryArgs, buildRoot: string = defaultBuildRoot()): Problems {
    const problems = new Problems();
    problems.check(REGION_NAME.test(args.region), "region", `must be an AWS region such as "us-east-1", got ${show(args.region)}`);
    const prefixOk = problems.check(
        REPOSITORY_NAMESPACE.test(args.repositoryPrefix) && args.repositoryPrefix.length <= 200,
        "repositoryPrefix",
        `must be an ECR namespace of lower-case parts joined by "/" (e.g. "scaled-web/prod"), at most 200 characters, got ${show(args.repositoryPrefix)}`,
    );

    const services = args.services ?? DEFAULT_IMAGE_SERVICES;
    problems.check(services.length > 0, "services", "must name at least one service, e.g. [\"api\"]");
    services.forEach((s, i) => problems.check(
        REPOSITORY_NAME_PART.test(s),
        `services[${i}]`,
        `${show(s)} is not a valid repository name: use lower-case letters and digits, separated by ".", "_" or "-" (e.g. "api", "ws-gateway")`,
    ));
    if (new Set(services).size !== services.length) {
        problems.add("services", `must not repeat a service, got ${show(services)}`);
    }
    if (prefixOk) {
        services.filter((s) => repositoryName(args.repositoryPrefix, s).length > 256).forEach((s) =>
            problems.add("services", `repository name ${show(repositoryName(args.repositoryPrefix, s))} is longer than ECR's 256 characters; shorten repositoryPrefix or the service name`));
    }

    const keep = args.keepTaggedImages;
    if (keep !== undefined) {
        problems.check(Number.isInteger(keep) && keep >= 1, "keepTaggedImages", `must be a whole number >= 1 (the lifecycle policy keeps at least one tagged image), got ${show(keep)}`);
    }
    const days = args.expireUntaggedAfterDays;
    if (days !== undefined) {
        problems.check(Number.isInteger(days) && days >= 1, "expireUntaggedAfterDays", `must be a whole number of days >= 1, got ${show(days)}`);
    }

    const replicas = Object.keys(args.replicaRegions ?? {});
    for (const r of replicas) {
        if (!problems.check(REGION_NAME.test(r), `replicaRegions.${r}`, `must be an AWS region such as "us-west-2", got ${show(r)}`)) {
            continue;
        }
        problems.check(r !== args.region, `replicaRegions.${r}`, `is the repositories' own region; replicate to other regions only`);
    }
    problems.check(replicas.length <= MAX_REPLICATION_DESTINATIONS, "replicaRegions", `ECR replicates to at most ${MAX_REPLICATION_DESTINATIONS} destinations, got ${replicas.length}`);

    for (const [service, ref] of Object.entries(args.images ?? {})) {
        problems.check(
            typeof ref === "string" && IMAGE_REFERENCE.test(ref),
            `images.${service}`,
            `must be a container image reference such as "registry.example.com/team/api:1.2.3" or "repo@sha256:<digest>", got ${show(ref)}`,
        );
    }

    for (const [service, build] of Object.entries(args.builds ?? {})) {
        const at = `builds.${service}`;
        problems.check(services.includes(service), at, `${show(service)} has no repository; add it to services (${show(services)}) or remove the build`);
        if (build.platform !== undefined) {
            problems.check((IMAGE_PLATFORMS as readonly string[]).includes(build.platform), `${at}.platform`, `must be one of ${IMAGE_PLATFORMS.join(", ")}, got ${show(build.platform)}`);
        }
        if (build.tag !== undefined) {
            problems.check(IMAGE_TAG.test(build.tag), `${at}.tag`, `must be a Docker tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"), got ${show(build.tag)}`);
        }
        if (typeof build.context !== "string" || build.context.length === 0) {
            problems.add(`${at}.context`, `must be a directory path, got ${show(build.context)}`);
            continue;
        }
        const { context, dockerfile } = resolveBuild(build, buildRoot);
        if (!fs.existsSync(context)) {
            problems.add(`${at}.context`, `build context ${show(build.context)} does not exist: resolved against ${buildRoot} to ${context}; create it or give a directory relative to ${buildRoot}`);
            continue;
        }
        if (!fs.statSync(context).isDirectory()) {
            problems.add(`${at}.context`, `build context ${show(build.context)} (resolved against ${buildRoot} to ${context}) is a file; give the directory that holds the Dockerfile`);
            continue;
        }
        if (!fs.existsSync(dockerfile) || !fs.statSync(dockerfile).isFile()) {
            problems.add(`${at}.dockerfile`, `Dockerfile ${show(build.dockerfile ?? DEFAULT_DOCKERFILE)} does not exist: resolved against the context ${context} to ${dockerfile}; add it or set dockerfile to its path relative to the context`);
        }
    }
    return problems;
}

/**
 * The Pulumi project root (the directory of `Pulumi.yaml`) when the engine reports one that exists,
 * else the working directory (mock runs report a placeholder).
 */
export function defaultBuildRoot(): string {
    const root = pulumi.runtime.getRootDirectory();
    return root && path.isAbsolute(root) && fs.existsSync(root) ? root : process.cwd();
}

// ---------------------------------------------------------------------------------------------
// Component.
// ---------------------------------------------------------------------------------------------

/**
 * The container image supply of a platform: one private ECR repository per service in the primary
 * region (immutable tags, scan on push, KMS encryption with a customer key, lifecycle policy), registry
 * replication of those repositories to every replica region, and optional Docker builds pushed to them.
 *
 * Replication: ECR keeps ONE replication configuration per registry (account and region). This component
 * owns it for the account's registry in `region` and REPLACES any configuration that exists there, including
 * rules of other stacks. When several stacks share an account, let one of them own replication (give the
 * others no `replicaRegions`) or pass a shared `repositoryPrefix`.
 *
 * Replica repositories are created by ECR on first replication, with the same names. Without a template ECR
 * would encrypt them with the AWS-managed key and allow mutable tags; this component therefore creates, in
 * every replica region, a repository creation template for the prefix (applied for REPLICATION) with
 * immutable tags, the region's own customer KMS key and the same lifecycle policy, plus the IAM role ECR
 * uses to apply it. Replication is asynchronous (usually seconds to minutes): a pod in a replica region
 * that starts before its image arrives retries the pull until it does.
 *
 * Pass the primary region's `aws.Provider` in `opts.provider`.
 */
export class ImageRepository extends pulumi.ComponentResource {
    /** Repositories keyed by service. */
    public readonly repositories: Readonly<Record<string, aws.ecr.Repository>>;
    /** `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<service>` keyed by service. */
    public readonly repositoryUrls: Readonly<Record<string, pulumi.Output<string>>>;
    public readonly repositoryArns: Readonly<Record<string, pulumi.Output<string>>>;
    /** Repository names keyed by service (the same in every region). */
    public readonly repositoryNames: Readonly<Record<string, string>>;
    public readonly registryId: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** Built images keyed by service. */
    public readonly images: Readonly<Record<string, docker.Image>>;
    /** The registry replication configuration; undefined without replica regions. */
    public readonly replication?: aws.ecr.ReplicationConfiguration;
    /** Regions an image reference can be asked for: the primary first, then the replicas. */
    public readonly regions: readonly string[];
    public readonly services: readonly string[];

    private readonly givenImages: Readonly<Record<string, string>>;
    private readonly componentName: string;

    constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        const buildRoot = args.buildRoot ?? defaultBuildRoot();
        validateImageRepositoryArgs(args, buildRoot).throwIfAny(`ImageRepository "${name}"`);
        super("scaled-web:images:ImageRepository", name, {}, opts);

        const services = [...(args.services ?? DEFAULT_IMAGE_SERVICES)];
        const keep = args.keepTaggedImages ?? DEFAULT_KEEP_TAGGED_IMAGES;
        const untaggedDays = args.expireUntaggedAfterDays ?? DEFAULT_EXPIRE_UNTAGGED_AFTER_DAYS;
        const protect = args.protect ?? true;
        const tags = args.tags ?? {};
        const replicaRegions = Object.entries(args.replicaRegions ?? {});
        const child = { parent: this };
        const policy = lifecyclePolicyDocument(keep, untaggedDays);

        this.componentName = name;
        this.services = services;
        this.regions = [args.region, ...replicaRegions.map(([r]) => r)];
        this.givenImages = { ...(args.images ?? {}) };

        if (args.kmsKeyArn !== undefined) {
            this.kmsKeyArn = pulumi.output(args.kmsKeyArn);
        } else {
            const key = new aws.kms.Key(`${name}-key`, {
                description: `Encrypts the container images under ${args.repositoryPrefix}/ in ${args.region}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                tags,
            }, child);
            new aws.kms.Alias(`${name}-key`, { name: `alias/ecr/${args.repositoryPrefix}`, targetKeyId: key.keyId }, child);
            this.kmsKeyArn = key.arn;
        }

        const repositories: Record<string, aws.ecr.Repository> = {};
        const names: Record<string, string> = {};
        for (const service of services) {
            names[service] = repositoryName(args.repositoryPrefix, service);
            repositories[service] = new aws.ecr.Repository(`${name}-${service}`, {
                name: names[service],
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: this.kmsKeyArn }],
                forceDelete: !protect,
                tags: { ...tags, service },
            }, child);
            new aws.ecr.LifecyclePolicy(`${name}-${service}`, {
                repository: repositories[service].name,
                policy,
            }, child);
        }
        this.repositories = repositories;
        this.repositoryNames = names;
        this.repositoryUrls = Object.fromEntries(services.map((s) => [s, repositories[s].repositoryUrl]));
        this.repositoryArns = Object.fromEntries(services.map((s) => [s, repositories[s].arn]));

        const identity = aws.getCallerIdentityOutput({}, { parent: this, provider: opts?.provider });
        this.registryId = identity.accountId;

        if (replicaRegions.length > 0) {
            // ECR assumes this role to create the replica repositories with a customer key and tags.
            const creatorRole = new aws.iam.Role(`${name}-replica-creator`, {
                description: `Lets ECR create the replica repositories of ${args.repositoryPrefix}/ with their KMS key`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "ecr.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            }, child);

            const templates: aws.ecr.RepositoryCreationTemplate[] = [];
            const replicaKeyArns: pulumi.Output<string>[] = [];
            for (const [region, provider] of replicaRegions) {
                const regional = { parent: this, provider };
                const key = new aws.kms.Key(`${name}-key-${region}`, {
                    description: `Encrypts the replicated container images under ${args.repositoryPrefix}/ in ${region}`,
                    enableKeyRotation: true,
                    deletionWindowInDays: 30,
                    tags,
                }, regional);
                replicaKeyArns.push(key.arn);
                templates.push(new aws.ecr.RepositoryCreationTemplate(`${name}-template-${region}`, {
                    prefix: args.repositoryPrefix,
                    description: `Replicas of ${args.repositoryPrefix}/: immutable tags, customer KMS key, lifecycle policy`,
                    appliedFors: ["REPLICATION"],
                    imageTagMutability: "IMMUTABLE",
                    encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key.arn }],
                    lifecyclePolicy: policy,
                    customRoleArn: creatorRole.arn,
                    resourceTags: tags,
                }, regional));
            }

            const creatorPolicy = new aws.iam.RolePolicy(`${name}-replica-creator`, {
                role: creatorRole.id,
                policy: pulumi.all([this.registryId, pulumi.all(replicaKeyArns)]).apply(([account, keyArns]) => JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"],
                            Resource: replicaRegions.map(([r]) => `arn:aws:ecr:${r}:${account}:repository/${args.repositoryPrefix}/*`),
                        },
                        { Effect: "Allow", Action: ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"], Resource: keyArns },
                    ],
                })),
            }, child);

            // Templates first: they only apply to repositories ECR creates after they exist.
            this.replication = new aws.ecr.ReplicationConfiguration(`${name}-replication`, {
                replicationConfiguration: {
                    rules: [{
                        destinations: replicaRegions.map(([region]) => ({ region, registryId: this.registryId })),
                        repositoryFilters: [{ filter: `${args.repositoryPrefix}/`, filterType: "PREFIX_MATCH" }],
                    }],
                },
            }, {
                ...child,
                // order: creation templates only apply to repositories ECR creates after they exist, and the
                // replication role's policy must be in place before ECR first replicates; replication
                // references neither.
                dependsOn: [...templates, creatorPolicy],
            });
        }

        const images: Record<string, docker.Image> = {};
        const builds = Object.entries(args.builds ?? {});
        if (builds.length > 0) {
            const token = aws.ecr.getAuthorizationTokenOutput({ registryId: this.registryId }, { parent: this, provider: opts?.provider });
            for (const [service, build] of builds) {
                const platform = build.platform ?? DEFAULT_IMAGE_PLATFORM;
                const { context, dockerfile } = resolveBuild(build, buildRoot);
                const tag = build.tag ?? buildContextTag(context, dockerfile, platform);
                const repo = repositories[service];
                images[service] = new docker.Image(`${name}-${service}`, {
                    imageName: pulumi.interpolate`${repo.repositoryUrl}:${tag}`,
                    build: {
                        // Paths relative to the working directory, where the Docker provider resolves them;
                        // absolute paths would differ between machines and force a rebuild on each.
                        context: path.relative(process.cwd(), context) || ".",
                        dockerfile: path.relative(process.cwd(), dockerfile),
                        platform,
                    },
                    registry: {
                        server: repo.repositoryUrl,
                        username: token.userName,
                        password: pulumi.secret(token.password),
                    },
                }, {
                    parent: this,
                    // order: push only once replication is configured, or the first push never reaches the
                    // replicas; the image references the repository, not the replication configuration.
                    dependsOn: [...(this.replication ? [this.replication] : [])],
                });
            }
        }
        this.images = images;

        this.registerOutputs({
            repositoryUrls: this.repositoryUrls,
            repositoryArns: this.repositoryArns,
            registryId: this.registryId,
            kmsKeyArn: this.kmsKeyArn,
            imageDigests: Object.fromEntries(Object.entries(images).map(([s, i]) => [s, i.repoDigest])),
        });
    }

    /** True when the service's image is built and pushed by this component. */
    isBuilt(service: string): boolean {
        return service in this.images;
    }

    /**
     * The image reference `service` runs in `region`: for a built service the region-local repository
     * pinned by digest (`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<service>@sha256:...`; replication
     * keeps the digest), otherwise the given reference unchanged. Throws for a region or service it does
     * not know.
     */
    imageFor(service: string, region: string): pulumi.Output<string> {
        if (!this.regions.includes(region)) {
            throw new Error(`ImageRepository "${this.componentName}": no images in region ${show(region)}; regions are ${this.regions.join(", ")}`);
        }
        const built = this.images[service];
        if (built) {
            const name = this.repositoryNames[service];
            return pulumi.all([this.registryId, built.repoDigest]).apply(([account, repoDigest]) =>
                pinnedImage(regionalRepositoryUrl(account, region, name), digestOf(repoDigest)));
        }
        const given = this.givenImages[service];
        if (given !== undefined) {
            return pulumi.output(given);
        }
        const known = [...new Set([...Object.keys(this.images), ...Object.keys(this.givenImages)])];
        throw new Error(`ImageRepository "${this.componentName}": no image for service ${show(service)}; give images.${service} or builds.${service} (known: ${known.join(", ") || "none"})`);
    }

}
