/**
 * Which availability zones a region's network uses, chosen by zone ID when the program runs.
 *
 * Zone names are per account (`us-east-1a` is a different physical zone in each account); zone IDs
 * (`use1-az1`) are not. The program asks EC2 which zones this account is offered (`aws.getAvailabilityZones`
 * through the region's provider: zones in state `available`, plain Availability Zones only) and takes the
 * stack's pinned `regions.<name>.availabilityZoneIds`, or else the first `azCount` zone IDs in order without
 * the ones the EKS control plane or RDS Proxy cannot use (`UNSUPPORTED_ZONE_IDS`). Invokes run in a real
 * `pulumi preview` too, so the zone names (which key the subnets' resource names) are always known.
 *
 * Existing stacks: the zones are handed to the network in name order and the children keep being named by
 * zone name, so a stack whose chosen zones are the ones it already uses sees no change. A stack created when
 * the program used `<region>a/b/c` should pin the IDs behind those names (see the README) before upgrading,
 * or the preview will show its subnets (and everything in them) being replaced.
 */
import * as aws from "@pulumi/aws";
import { ZoneChoice, chooseAvailabilityZones } from "../components/network";
import { ConfigError, RegionConfig } from "./config";

/**
 * `DescribeAvailabilityZones` filters (EC2 API): `opt-in-status` is always `opt-in-not-required` for an
 * Availability Zone (Local and Wavelength Zones carry their opt-in status), `zone-type` keeps Availability Zones.
 */
export const ZONE_QUERY: aws.GetAvailabilityZonesArgs = {
    state: "available",
    filters: [
        { name: "opt-in-status", values: ["opt-in-not-required"] },
        { name: "zone-type", values: ["availability-zone"] },
    ],
};

/**
 * Looks up the zones the account is offered in `region` and chooses the network's zones; a ConfigError when it
 * cannot. `names[i]` and `zoneIds[i]` describe the same zone: the data source sorts the zones by name and fills
 * both lists in one pass (terraform-provider-aws internal/service/ec2/ec2_availability_zones_data_source.go).
 */
export async function resolveZones(stack: string, region: RegionConfig, provider: aws.Provider): Promise<ZoneChoice> {
    const listing = await aws.getAvailabilityZones(ZONE_QUERY, { provider });
    const choice = chooseAvailabilityZones(listing, { count: region.azCount, strictCount: region.azCountExplicit, pinned: region.availabilityZoneIds });
    if ("problems" in choice) {
        // Say what to change in the stack file: the offered zones are the ones to pin, or fewer of them to ask for.
        const fix = (key: string): string => key === "azCount"
            ? `; lower regions.${region.name}.azCount (got ${region.azCount}) to what the account offers, or leave it out for as many as there are (at least 2)`
            : `; pin zone IDs from the available list in regions.${region.name}.availabilityZoneIds (got ${(region.availabilityZoneIds ?? []).join(", ")}), or leave it out to choose automatically`;
        throw new ConfigError(stack, choice.problems.map((p) => ({ path: `regions.${region.name}.${p.key}`, message: `${p.message}${fix(p.key)}` })));
    }
    return choice;
}
