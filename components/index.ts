// Public entry point of the component library: `import { Network, ... } from "@scaled-web/platform"`.
export * from "./validation";
export * from "./network";
export * from "./region-peering";
export * from "./load-balancer";
export * from "./weighted-dns";
export * from "./cluster";
export * from "./node-pool";
export * from "./cluster-addons";
export * from "./deploy-runner";
export * from "./image-repository";
export * from "./database";
export * from "./cache";
export * from "./workload-spec";
export * from "./app-namespace";
export * from "./regional-deployment";
export * from "./worker-pool";
export * from "./observability";
