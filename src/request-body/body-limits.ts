// What each route accepts as a body. Routes name a kind with @JsonBody; the others take the small
// kind (lifecycle actions, retry-failed, everything without a body of its own).
import { SetMetadata } from '@nestjs/common';
import type { ShapeLimits } from './json-shape-scanner';

export type BodyKind = 'batch' | 'preview' | 'small';

export const BODY_KIND = 'salvo:body-kind';

/** Declares the kind of JSON body a route reads; read only after the caller is authenticated. */
export const JsonBody = (kind: BodyKind) => SetMetadata(BODY_KIND, kind);

export interface BodyLimits extends ShapeLimits {
  bytes: number;
  /** Said in a 413: which limit the body passed. */
  describe: string;
}

const KB = 1024;
const MB = 1024 * KB;

/** Over this, a body waits for one of MAX_CONCURRENT_LARGE_BODIES slots. */
export const LARGE_BODY_BYTES = MB;

/** As errors/body-shape.ts checks after parsing. */
const MAX_DEPTH = 32;
/** V8 hidden classes a body may make JSON.parse create: about 10 MB and 80 ms at worst. */
const MAX_KEY_LAYOUTS = 10_000;
const SMALL_CONTAINERS = 1_000;

export function bodyLimits(
  kind: BodyKind,
  ingest: { maxBodyMb: number; maxRecipientsPerRequest: number },
): BodyLimits {
  const shape = { maxDepth: MAX_DEPTH, maxKeyLayouts: MAX_KEY_LAYOUTS };
  switch (kind) {
    case 'batch':
      return {
        ...shape,
        bytes: ingest.maxBodyMb * MB,
        // A recipient is an object holding an object: room for a full batch and its options, so
        // a body past this has too many recipients anyway.
        maxContainers: 2 * ingest.maxRecipientsPerRequest + 64,
        describe: `${ingest.maxBodyMb} MB (MAX_BODY_MB)`,
      };
    case 'preview':
      return { ...shape, bytes: MB, maxContainers: SMALL_CONTAINERS, describe: '1 MB' };
    case 'small':
      return { ...shape, bytes: 16 * KB, maxContainers: SMALL_CONTAINERS, describe: '16 kB' };
  }
}
