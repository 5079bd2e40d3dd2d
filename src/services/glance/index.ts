export { type GlanceConfig, loadGlanceConfig } from './config.js';
export { DetailedError } from './errors.js';
export type { FormatInspector, Inspection } from './format-inspector.js';
export {
  Glance,
  type GlanceOptions,
  IMAGE_SIZE_CAP_DEFAULT,
  type ImageDataRead,
  type ImagePage,
} from './glance.js';
export { IMPORT_METHODS, ImageImport } from './image-import.js';
export { ImageMembers } from './members.js';
export { PATCH_MEDIA_TYPES, parseChanges } from './patch.js';
export { buildSparseQcow2, parseQcow2Header } from './qcow2.js';
export { imageSchema, imagesSchema, memberSchema, membersSchema } from './schemas.js';
