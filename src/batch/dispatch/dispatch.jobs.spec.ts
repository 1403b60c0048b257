import { batchIdOfJob, chunkJobId, chunkJobs } from './dispatch.jobs';

const BATCH = '0b6c4f5e-2f8a-4c37-9d0e-5d6f1f3a9b21';

describe('chunkJobs', () => {
  it.each<[string, number, number, [number, number][]]>([
    [
      'an exact multiple',
      600,
      200,
      [
        [0, 200],
        [200, 400],
        [400, 600],
      ],
    ],
    [
      'a short last chunk',
      450,
      200,
      [
        [0, 200],
        [200, 400],
        [400, 450],
      ],
    ],
    ['fewer messages than a chunk', 3, 200, [[0, 3]]],
    [
      'one message per chunk',
      2,
      1,
      [
        [0, 1],
        [1, 2],
      ],
    ],
    ['no messages', 0, 200, []],
  ])('%s', (_case, total, size, ranges) => {
    const jobs = chunkJobs(BATCH, total, size, 4);
    expect(jobs.map((job) => [job.from, job.to])).toEqual(ranges);
    expect(jobs.every((job) => job.batchId === BATCH && job.generation === 4)).toBe(true);
  });

  it('covers 100,000 messages with at most 1 job per 50 messages at the default size', () => {
    expect(chunkJobs(BATCH, 100_000, 200, 0).length).toBeLessThanOrEqual(100_000 / 50);
  });
});

describe('chunkJobId', () => {
  it.each([
    [{ batchId: BATCH, from: 0, to: 200, generation: 0 }, `${BATCH}-0-0`],
    [{ batchId: BATCH, from: 400, to: 600, generation: 3 }, `${BATCH}-400-3`],
  ])('%j -> %s, without ":" and back to its batch', (job, id) => {
    expect(chunkJobId(job)).toBe(id);
    expect(id).not.toContain(':');
    expect(batchIdOfJob(id)).toBe(BATCH);
  });

  it('differs between generations, so a requeue is never ignored by Bull', () => {
    const job = { batchId: BATCH, from: 0, to: 200, generation: 1 };
    expect(chunkJobId(job)).not.toBe(chunkJobId({ ...job, generation: 2 }));
  });
});
