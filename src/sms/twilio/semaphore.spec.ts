import { NoSlotError, Semaphore } from './semaphore';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('Semaphore', () => {
  it('gives up a wait past its bound without running the task, and keeps the order for the rest', async () => {
    const places = new Semaphore(1);
    const ran: string[] = [];
    const task = (name: string, ms: number) => async () => {
      ran.push(name);
      await later(ms);
      return name;
    };
    const first = places.run(task('first', 100));
    const impatient = places.run(task('impatient', 0), undefined, 30);
    const patient = places.run(task('patient', 0));
    await expect(impatient).rejects.toBeInstanceOf(NoSlotError);
    await expect(Promise.all([first, patient])).resolves.toEqual(['first', 'patient']);
    expect(ran).toEqual(['first', 'patient']);
    expect(places.running).toBe(0);
  });

  it('runs a bounded task that gets its place in time', async () => {
    const places = new Semaphore(1);
    const first = places.run(() => later(20));
    await expect(places.run(() => Promise.resolve('ran'), undefined, 500)).resolves.toBe('ran');
    await first;
  });
});
