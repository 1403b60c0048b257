// Send windows through the running service: numbers chosen now so that some are inside their
// window and some outside; only the inside ones go, the others wait and the status says so.
import { useApp } from './support/api';
import { batchStatus, messageLog } from './support/dispatch';
import { waitFor } from './support/wait';

const FAST = {
  PROVIDER_MAX_MPS: '0',
  RATE_LIMIT_NORMAL: '1000',
  RECONCILE_INTERVAL_MS: '300',
  DISPATCH_CHUNK_SIZE: '50',
};

const HOUR = 3_600_000;
const hh = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

/** The hour it is now in Tokyo (UTC+9, no DST). */
function tokyoHour(): number {
  return (new Date().getUTCHours() + 9) % 24;
}

describe('send windows (APP_ROLE=all)', () => {
  const service = useApp(FAST);

  it('sends only to the numbers inside their window now; the others wait, counted in the status', async () => {
    // Six hours around Tokyo's present hour: open in Tokyo, closed in Los Angeles (16 or 17
    // hours behind, so its local hour falls 7 or 8 hours after the window's start).
    const start = tokyoHour() - 1;
    const window = { start: hh(start), end: hh(start + 6), timeZone: 'recipient' };
    const tokyo = ['+81312340001', '+81312340002', '+81312340003'];
    const losAngeles = ['+13105550101', '+13105550102'];
    const recipients = [...tokyo, ...losAngeles].map((phoneNumber) => ({
      phoneNumber,
      variables: {},
    }));
    const created = await service.client
      .post('/api/batch', { text: 'Hello', recipients, options: { sendWindow: window } })
      .expect(201);
    const { id } = created.body as { id: string };

    const waiting = await waitFor('the Tokyo messages sent and the others counted', async () => {
      const status = await batchStatus(service.client, id);
      return status.progress.completed === 3 && status.waiting.outsideWindow === 2 && status;
    });
    expect(waiting.status).toBe('processing');
    expect(waiting.progress).toMatchObject({ total: 5, pending: 2, completed: 3 });
    // Los Angeles's window opens within a day, at a whole hour.
    const next = Date.parse(waiting.waiting.nextWindowAt!);
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThan(Date.now() + 24 * HOUR);
    expect(next % HOUR).toBe(0);

    const log = await messageLog(service.client, id);
    expect(log.map((m) => [m.phoneNumber, m.status])).toEqual([
      ...tokyo.map((n) => [n, 'sent']),
      ...losAngeles.map((n) => [n, 'pending']),
    ]);
    const analytics = await service.client.get(`/api/batch/${id}/analytics`).expect(200);
    expect(analytics.body.sendWindow).toMatchObject({
      outsideWindow: 2,
      window: { timeZone: 'recipient' },
    });

    await service.client.post(`/api/batch/${id}/cancel`).expect(200);
  });

  it('a named time zone whose window is closed sends nothing', async () => {
    const start = new Date().getUTCHours() + 2;
    const created = await service.client
      .post('/api/batch', {
        text: 'Hello',
        recipients: [{ phoneNumber: '+81312340004', variables: {} }],
        options: { sendWindow: { start: hh(start), end: hh(start + 1), timeZone: 'Etc/UTC' } },
      })
      .expect(201);
    const { id } = created.body as { id: string };
    const status = await waitFor('the message counted outside its window', async () => {
      const body = await batchStatus(service.client, id);
      return body.waiting.outsideWindow === 1 && body;
    });
    expect(status.progress).toMatchObject({ pending: 1, completed: 0 });
    await service.client.post(`/api/batch/${id}/cancel`).expect(200);
  });

  it.each([
    [{ start: '9:00', end: '20:00' }, 'options.sendWindow.start'],
    [{ start: '09:00', end: '09:00' }, 'options.sendWindow.end'],
    [{ start: '09:00', end: '20:00', timeZone: 'Mars/Base' }, 'options.sendWindow.timeZone'],
    [{ start: '09:00', end: '20:00', days: ['mon', 'someday'] }, 'options.sendWindow.days[1]'],
  ])('refuses the window %j with a 400 naming %s', async (sendWindow, path) => {
    const response = await service.client
      .post('/api/batch', {
        text: 'Hello',
        recipients: [{ phoneNumber: '+81312340005', variables: {} }],
        options: { sendWindow },
      })
      .expect(400);
    expect(response.body).toMatchObject({
      error: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ path })],
    });
  });
});
