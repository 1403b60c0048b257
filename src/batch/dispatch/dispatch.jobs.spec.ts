import {
  batchIdOfJob,
  chunkEnd,
  chunkJobId,
  firstJobs,
  lanesFor,
  nextInLane,
  type ChunkJob,
} from './dispatch.jobs';

const BATCH = '0b6c4f5e-2f8a-4c37-9d0e-5d6f1f3a9b21';
const batch = (total: number) => ({ batchId: BATCH, generation: 2, total });

describe('lanesFor', () => {
  it.each([
    [8, 100_000, 200, 1],
    [2, 100_000, 200, 1],
    [1000, 100_000, 200, 4],
    [1_000_000, 100_000, 200, 32],
    [1_000_000, 600, 200, 3], // never more lanes than chunks
  ])('rate %d, %d messages, chunks of %d: %d lanes', (rate, total, size, lanes) => {
    expect(lanesFor(rate, total, size)).toBe(lanes);
  });
});

describe('walking a batch', () => {
  /** Every position each lane visits, following nextInLane from the first jobs. */
  const walk = (total: number, size: number, rate: number, fromSeq = 0) => {
    const visited: [number, number][] = [];
    for (const first of firstJobs(batch(total), size, rate, fromSeq)) {
      for (let job: ChunkJob | null = first; job; job = nextInLane(job)) {
        visited.push([job.from, chunkEnd(job)]);
      }
    }
    return visited.sort((a, b) => a[0] - b[0]);
  };

  it.each<[string, number, number, number, number, [number, number][]]>([
    [
      'one lane, an exact multiple',
      600,
      200,
      8,
      0,
      [
        [0, 200],
        [200, 400],
        [400, 600],
      ],
    ],
    [
      'one lane, a short last chunk',
      450,
      200,
      8,
      0,
      [
        [0, 200],
        [200, 400],
        [400, 450],
      ],
    ],
    ['fewer messages than a chunk', 3, 200, 8, 0, [[0, 3]]],
    [
      'two lanes',
      1000,
      200,
      500,
      0,
      [
        [0, 200],
        [200, 400],
        [400, 600],
        [600, 800],
        [800, 1000],
      ],
    ],
    [
      'resuming at position 450',
      1000,
      200,
      8,
      450,
      [
        [450, 600],
        [600, 800],
        [800, 1000],
      ],
    ],
    ['no messages', 0, 200, 8, 0, []],
  ])('%s covers every position once', (_case, total, size, rate, fromSeq, ranges) => {
    expect(walk(total, size, rate, fromSeq)).toEqual(ranges);
  });

  it('covers 100,000 messages with at most 1 job per 50 messages at the default size', () => {
    expect(walk(100_000, 200, 1_000_000)).toHaveLength(500);
  });
});

describe('chunkJobId', () => {
  const job: ChunkJob = {
    batchId: BATCH,
    generation: 3,
    total: 1000,
    size: 200,
    lanes: 1,
    chunk: 2,
    from: 400,
  };

  it.each<[ChunkJob, string]>([
    [job, `${BATCH}-3-2-400`],
    [{ ...job, from: 437 }, `${BATCH}-3-2-437`],
    [{ ...job, recheck: 2 }, `${BATCH}-3-2-400-recheck-2`],
  ])('%j -> %s, without ":" and back to its batch', (input, id) => {
    expect(chunkJobId(input)).toBe(id);
    expect(id).not.toContain(':');
    expect(batchIdOfJob(id)).toBe(BATCH);
  });

  it("a continuation at the end of a chunk never takes the next chunk's id", () => {
    const continuation = { ...job, from: 600 };
    const next = nextInLane({ ...job, lanes: 1 })!;
    expect(next.from).toBe(600);
    expect(chunkJobId(continuation)).not.toBe(chunkJobId(next));
  });

  it('a recheck never advances its lane', () => {
    expect(nextInLane({ ...job, recheck: 1 })).toBeNull();
  });

  it('differs between generations, so a requeue is never ignored by Bull', () => {
    expect(chunkJobId(job)).not.toBe(chunkJobId({ ...job, generation: 4 }));
  });
});
