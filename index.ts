// Entry point for `pulumi up` / `pulumi preview`. The Pulumi CLI calls the exported function and
// publishes what it returns as stack outputs. All logic lives in platform/ and components/.
import { platformProgram } from "./platform/program";

export = platformProgram;
