// Glance's default policies (Zed, as Debian 12 ships them, scope enforcement off) and its
// visibility rules. What a caller cannot see is 404 "No image found with ID …", never 403
// (reference/real-glance/other_project_get_404.json); what it sees but may not change is 403
// "You are not authorized to complete <action> action."
import type { ImageRow, MemberStatus } from '../../store/index.js';
import { forbidden } from '../errors.js';
import { isAdmin, Policy, type RequestContext, type Rule, rules } from '../policy.js';

const adminOrOwner: Rule = (ctx, t) => isAdmin(ctx) || (ctx.projectId !== null && t.owner === ctx.projectId);

const table: Record<string, Rule> = {
  add_image: rules.any,
  publicize_image: rules.admin,
  communitize_image: adminOrOwner,
  modify_image: adminOrOwner,
  delete_image: adminOrOwner,
  upload_image: adminOrOwner,
  download_image: rules.any,
  deactivate: adminOrOwner,
  reactivate: adminOrOwner,
  add_member: adminOrOwner,
  delete_member: adminOrOwner,
  get_members: rules.any,
  modify_member: rules.any,
};

export const glancePolicy = new Policy(table, (action) =>
  forbidden(`You are not authorized to complete ${action} action.`),
);

export const isOwner = (ctx: RequestContext, image: ImageRow) =>
  ctx.projectId !== null && image.owner === ctx.projectId;

/**
 * Glance's is_image_visible: admin sees everything; others their own project's images, public
 * and community ones, and shared ones they are a member of (in any member status).
 */
export function imageVisible(ctx: RequestContext, image: ImageRow, membership?: MemberStatus): boolean {
  if (isAdmin(ctx) || isOwner(ctx, image)) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  return image.visibility === 'shared' && membership !== undefined;
}

/** What the policy rules read of an image. */
export const target = (image: ImageRow) => ({ owner: image.owner, visibility: image.visibility });
