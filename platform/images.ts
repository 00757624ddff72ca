/**
 * Stage images: the container images every region runs. One ECR repository per service in the primary
 * region, replicated to every secondary region; services with a build context in `images.build` are built
 * and pushed here, for the CPU architecture of the node pool that runs them. Dev stacks build the
 * reference application (`app/`) for every built-in service that names no image (`images.referenceApp`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    DEFAULT_IMAGE_SERVICES,
    ImageBuildArgs,
    ImagePlatform,
    ImageRepository,
    defaultBuildRoot,
    defaultRepositoryPrefix,
    platformForInstanceTypes,
} from "../components/image-repository";
import { ConfigError, ConfigIssue, IMAGE_KEYS, NodePoolConfig, PlatformConfig, REFERENCE_APP_CONTEXT } from "./config";
import { ImageSupply } from "./contracts";
import type { RegionContext } from "./program";

/** The service whose image runs on the spot pool(s); every other service runs on the on-demand pool(s). */
export const WORKER_SERVICE = "worker";

/** The configured image reference of each built-in service that names one (used unless the service is built). */
export function givenImages(config: PlatformConfig): Record<string, string> {
    const given: Record<string, string | undefined> = { api: config.api.image, ws: config.ws.image, [WORKER_SERVICE]: config.workers.image };
    return Object.fromEntries(Object.entries(given).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * What each service builds: the stack's `images.build`, plus, with `images.referenceApp` (dev by default),
 * the reference application (`app/`, one image for every role) for each built-in service that names
 * neither an image nor a build. The config check (`imageIssues`) has already made sure that every
 * built-in service is covered.
 */
export function buildRequests(config: PlatformConfig): Record<string, PlatformConfig["images"]["build"][string]> {
    const builds = { ...config.images.build };
    if (config.images.referenceApp) {
        const given = givenImages(config);
        for (const service of Object.keys(IMAGE_KEYS)) {
            if (!(service in builds) && !(service in given)) {
                builds[service] = { context: REFERENCE_APP_CONTEXT };
            }
        }
    }
    return builds;
}

/** The node pools a service's pods land on: spot pools for the worker, on-demand pools for the rest. */
export function poolsForService(service: string, nodePools: Readonly<Record<string, NodePoolConfig>>): string[] {
    const wanted = service === WORKER_SERVICE ? "spot" : "on-demand";
    return Object.keys(nodePools).filter((p) => nodePools[p].capacityType === wanted);
}

/**
 * The Docker platform to build `service` for: the configured one, else the architecture of the instance
 * types of the pools that run it. Mixed architectures need an explicit platform.
 */
export function buildPlatform(service: string, config: PlatformConfig): { platform?: ImagePlatform; issue?: ConfigIssue } {
    const explicit = config.images.build[service]?.platform;
    if (explicit) {
        return { platform: explicit };
    }
    const pools = poolsForService(service, config.nodePools);
    const types = [...new Set(pools.flatMap((p) => config.nodePools[p].instanceTypes))];
    const platform = platformForInstanceTypes(types);
    if (!platform) {
        return {
            issue: {
                path: `images.build.${service}.platform`,
                message: `cannot be derived: the ${pools.length ? `pools that run ${service} (${pools.join(", ")})` : `stack has no pool for ${service}`} ` +
                    `mix or lack CPU architectures (${types.join(", ") || "no instance types"}); set it to "linux/amd64" or "linux/arm64"`,
            },
        };
    }
    return { platform };
}

/** The ImageRepository builds for a stack (`buildRequests`), each with its resolved platform. */
export function imageBuilds(config: PlatformConfig): Record<string, ImageBuildArgs> {
    const issues: ConfigIssue[] = [];
    const builds: Record<string, ImageBuildArgs> = {};
    for (const [service, build] of Object.entries(buildRequests(config))) {
        const { platform, issue } = buildPlatform(service, config);
        if (issue) {
            const reference = !(service in config.images.build);
            issues.push(reference
                ? { ...issue, message: `${issue.message} (this is the reference app build from images.referenceApp: give it as images.build.${service}: { context: "${REFERENCE_APP_CONTEXT}", platform: ... })` }
                : issue);
            continue;
        }
        builds[service] = { context: build.context, dockerfile: build.dockerfile, tag: build.tag, platform };
    }
    if (issues.length > 0) {
        throw new ConfigError(config.stack, issues);
    }
    return builds;
}

/** The stack's image supply, with the component behind it for callers that want its repositories. */
export interface StackImageSupply extends ImageSupply {
    readonly repository: ImageRepository;
}

/**
 * Creates the stack's image supply in the primary region, replicating to every secondary region through
 * that region's provider, and answers which image each service runs in each region.
 */
export function wireImages(config: PlatformConfig, regions: readonly RegionContext[]): StackImageSupply {
    const primary = regions.find((r) => r.region.role === "primary") ?? regions[0];
    const secondaries = regions.filter((r) => r !== primary);
    const replicaRegions: Record<string, aws.Provider> = Object.fromEntries(secondaries.map((r) => [r.region.name, r.provider]));

    const repository = new ImageRepository(`${primary.prefix}-images`, {
        region: primary.region.name,
        repositoryPrefix: config.images.repositoryPrefix ?? defaultRepositoryPrefix(config.project, config.stack),
        services: config.images.services ?? DEFAULT_IMAGE_SERVICES,
        keepTaggedImages: config.images.keepTaggedImages,
        expireUntaggedAfterDays: config.images.expireUntaggedAfterDays,
        protect: config.protectData,
        replicaRegions,
        images: givenImages(config),
        builds: imageBuilds(config),
        buildRoot: defaultBuildRoot(),
        tags: { ...config.tags },
    }, { provider: primary.provider });

    return {
        repository,
        imageFor: (service: string, region: string): pulumi.Output<string> => repository.imageFor(service, region),
    };
}
