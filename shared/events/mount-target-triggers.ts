import { str } from "./cloudtrail.js";
import type { Extractor } from "./triggers.js";

/**
 * efs-mount-target-private's triggers (issue 15), in a module of their own: only the mount-targets guard carries
 * them (Guard.extractors), so the other functions' bundles (kms-key at its size budget) do not.
 */
const SOURCE = "ec2.amazonaws.com";

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    const s = str(value);
    if (s !== undefined) return s;
  }
  return undefined;
}

// --- efs-mount-target-private (issue 15): the EC2 events that can make a mount target's subnet public ----------
const SUBNET_ID = /^subnet-[0-9a-f]+$/;
const ROUTE_TABLE_ID = /^rtb-[0-9a-f]+$/;

/** ModifySubnetAttribute names the subnet (EC2 API Reference, request parameter SubnetId). */
const subnetModified: Extractor = (e) => {
  const id = firstString(e.requestParameters.subnetId);
  return id && SUBNET_ID.test(id) ? [{ type: "subnet", subnetId: id }] : [];
};

/** CreateRoute / ReplaceRoute name the route table; the route in the request is re-read, never trusted. */
const routeChanged: Extractor = (e) => {
  const id = firstString(e.requestParameters.routeTableId);
  return id && ROUTE_TABLE_ID.test(id) ? [{ type: "route-table", routeTableId: id }] : [];
};

/** AssociateRouteTable: a subnet now uses the table (a gateway edge association names no subnet: not ours). */
const routeTableAssociated: Extractor = (e) => {
  const id = firstString(e.requestParameters.routeTableId);
  const subnetId = firstString(e.requestParameters.subnetId);
  if (!id || !ROUTE_TABLE_ID.test(id) || !subnetId || !SUBNET_ID.test(subnetId)) return [];
  return [{ type: "route-table", routeTableId: id, subnetId }];
};

/** ReplaceRouteTableAssociation: the association EC2 answers with (newAssociationId) now points at the table. */
const routeTableAssociationReplaced: Extractor = (e) => {
  const id = firstString(e.requestParameters.routeTableId);
  const associationId = firstString(e.responseElements.newAssociationId);
  if (!id || !ROUTE_TABLE_ID.test(id)) return [];
  return [{ type: "route-table", routeTableId: id, ...(associationId ? { associationId } : {}) }];
};

export const MOUNT_TARGET_PRIVATE_SPECS: Record<string, Extractor> = {
  [`${SOURCE}:ModifySubnetAttribute`]: subnetModified,
  [`${SOURCE}:CreateRoute`]: routeChanged,
  [`${SOURCE}:ReplaceRoute`]: routeChanged,
  [`${SOURCE}:AssociateRouteTable`]: routeTableAssociated,
  [`${SOURCE}:ReplaceRouteTableAssociation`]: routeTableAssociationReplaced,
};
// --- end efs-mount-target-private -----------------------------------------------------------------------------
