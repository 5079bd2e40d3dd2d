// Image members (glance/api/v2/image_members.py): the owner shares a `shared` image with other
// projects; a member project accepts or rejects it. Pending and rejected images stay visible by
// id to the member, but lists only carry accepted ones by default (member_status=accepted).
import type { GlanceRepo, ImageMemberRow, ImageRow, MemberStatus } from '../../store/index.js';
import { badRequest, conflict, forbidden, notFound, ServiceError } from '../errors.js';
import type { RequestContext } from '../policy.js';
import { glancePolicy, isOwner, target } from './policy.js';
import { pyRepr } from './python-repr.js';

const STATUSES: readonly MemberStatus[] = ['pending', 'accepted', 'rejected'];

export class ImageMembers {
  constructor(
    private readonly repo: GlanceRepo,
    private readonly find: (ctx: RequestContext, id: string) => ImageRow | undefined,
    private readonly now: () => string,
    /** image_member_quota: -1 is unlimited. */
    private readonly quota = 128,
  ) {}

  private image(ctx: RequestContext, imageId: string): ImageRow {
    const image = this.find(ctx, imageId);
    if (!image) throw notFound(`Image ${imageId} not found.`);
    return image;
  }

  add(ctx: RequestContext, imageId: string, body: unknown): ImageMemberRow {
    const image = this.image(ctx, imageId);
    glancePolicy.enforce('add_member', ctx, target(image));
    const member = (body as { member?: unknown } | undefined)?.member;
    if (typeof member !== 'string' || member === '') throw badRequest('Member to be added not specified');
    if (image.visibility !== 'shared') throw forbidden('Only shared images have members.');
    if (this.repo.getMember(imageId, member))
      throw conflict(`Member ${member} is duplicated for image ${imageId}`);
    const attempted = this.repo.listMembers(imageId).length + 1;
    if (this.quota >= 0 && attempted > this.quota)
      throw new ServiceError(
        'RequestTooLarge',
        `The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${this.quota}`,
      );
    const at = this.now();
    const row: ImageMemberRow = { imageId, member, status: 'pending', createdAt: at, updatedAt: at };
    this.repo.saveMember(row);
    return row;
  }

  /** The owner sees every member; a member project only its own membership. */
  list(ctx: RequestContext, imageId: string): ImageMemberRow[] {
    const image = this.image(ctx, imageId);
    glancePolicy.enforce('get_members', ctx, target(image));
    const all = this.repo.listMembers(imageId);
    if (isOwner(ctx, image) || ctx.roles.includes('admin')) return all;
    return all.filter((m) => m.member === ctx.projectId);
  }

  get(ctx: RequestContext, imageId: string, memberId: string): ImageMemberRow {
    const found = this.list(ctx, imageId).find((m) => m.member === memberId);
    if (!found) throw notFound(`Member ${memberId} not found`);
    return found;
  }

  /** Only the member project itself accepts or rejects. */
  setStatus(ctx: RequestContext, imageId: string, memberId: string, body: unknown): ImageMemberRow {
    const current = this.get(ctx, imageId, memberId);
    const status = (body as { status?: unknown } | undefined)?.status;
    if (status === undefined) throw badRequest('Status not specified');
    if (!STATUSES.includes(status as MemberStatus))
      throw badRequest(
        `Provided object does not match schema 'member': ${pyRepr(status)} is not one of ${pyRepr(STATUSES)}`,
      );
    if (ctx.projectId !== memberId)
      throw forbidden('You are not authorized to complete modify_member action.');
    const row: ImageMemberRow = { ...current, status: status as MemberStatus, updatedAt: this.now() };
    this.repo.saveMember(row);
    return row;
  }

  remove(ctx: RequestContext, imageId: string, memberId: string): void {
    const image = this.image(ctx, imageId);
    glancePolicy.enforce('delete_member', ctx, target(image));
    if (!this.repo.getMember(imageId, memberId)) throw notFound(`Member ${memberId} not found`);
    this.repo.deleteMember(imageId, memberId);
  }
}
