/**
 * The CrossGuard entry point: `pulumi preview --policy-pack ./policy-pack` runs this file, which serves
 * the policies to the engine. Nothing else constructs a PolicyPack; import `./policies` for the policies.
 *
 *   pulumi preview --stack prod --policy-pack ./policy-pack --policy-pack-config ./policy-pack/config/prod.json
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_DESCRIPTION, PACK_ENFORCEMENT_LEVEL, PACK_NAME, allPolicies } from "./policies";

new PolicyPack(PACK_NAME, {
    description: PACK_DESCRIPTION,
    enforcementLevel: PACK_ENFORCEMENT_LEVEL,
    policies: allPolicies,
});
