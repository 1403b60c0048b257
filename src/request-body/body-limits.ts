// What each route accepts as a body. Routes name a kind with @JsonBody; the others take the small
// kind (lifecycle actions, retry-failed, everything without a body of its own).
import { SetMetadata } from '@nestjs/common';
import type { ShapeLimits } from './json-shape-scanner';

export type BodyKind = 'batch' | 'preview' | 'small' | 'suppressions';

export const BODY_KIND = 'salvo:body-kind';

/** Declares the kind of JSON body a route reads; read only after the caller is authenticated. */
export const JsonBody = (kind: BodyKind) => SetMetadata(BODY_KIND, kind);

export const OWN_BODY = 'salvo:own-body';

/**
 * The route reads its body itself, in a form and under limits of its own (provider webhooks,
 * src/webhooks/): the JSON reader leaves it untouched.
 */
export const ReadsOwnBody = () => SetMetadata(OWN_BODY, true);

export interface BodyLimits extends ShapeLimits {
  bytes: number;
  /** Said in a 413: which limit the body passed. */
  describe: string;
}

/** Phone numbers one POST /api/suppressions may carry. */
export const MAX_SUPPRESSIONS_PER_REQUEST = 10_000;

const KB = 1024;
const MB = 1024 * KB;

/** Over this, a body waits for one of MAX_CONCURRENT_LARGE_BODIES slots. */
export const LARGE_BODY_BYTES = MB;

/** As errors/body-shape.ts checks after parsing. */
const MAX_DEPTH = 32;
/**
 * V8 hidden classes a body may make JSON.parse create: at worst about 1 kB and 8 µs each. A batch
 * gets more room, since recipients whose variables come in different orders or subsets (a CSV
 * export that leaves out empty columns) each add some.
 */
const BATCH_KEY_LAYOUTS = 50_000;
const SMALL_KEY_LAYOUTS = 10_000;
const SMALL_CONTAINERS = 1_000;

export function bodyLimits(
  kind: BodyKind,
  ingest: { maxBodyMb: number; maxRecipientsPerRequest: number },
): BodyLimits {
  const small = {
    maxDepth: MAX_DEPTH,
    maxKeyLayouts: SMALL_KEY_LAYOUTS,
    maxContainers: SMALL_CONTAINERS,
    maxElements: SMALL_CONTAINERS,
  };
  switch (kind) {
    case 'batch': {
      // A recipient is an object holding an object, and an element of the one array a batch has:
      // room for twice a full batch and its options, so a body past these has too many
      // recipients anyway (up to twice the limit, validation names it TOO_MANY_RECIPIENTS).
      const room = 2 * ingest.maxRecipientsPerRequest + 64;
      return {
        maxDepth: MAX_DEPTH,
        maxKeyLayouts: BATCH_KEY_LAYOUTS,
        maxContainers: room,
        maxElements: room,
        bytes: ingest.maxBodyMb * MB,
        describe: `${ingest.maxBodyMb} MB (MAX_BODY_MB)`,
      };
    }
    case 'preview':
      return { ...small, bytes: MB, describe: '1 MB' };
    case 'small':
      return { ...small, bytes: 16 * KB, describe: '16 kB' };
    case 'suppressions': {
      // POST /api/suppressions: one array of MAX_SUPPRESSIONS_PER_REQUEST numbers; room for twice
      // as many, so that a list just past the limit is named by validation (PAYLOAD_TOO_LARGE with
      // the field) rather than by the scanner.
      const room = 2 * MAX_SUPPRESSIONS_PER_REQUEST + 64;
      return { ...small, maxContainers: room, maxElements: room, bytes: 2 * MB, describe: '2 MB' };
    }
  }
}
