import { parseSendWindow } from './send-window';

describe('parseSendWindow', () => {
  it('fills the defaults and canonicalises the zone', () => {
    expect(parseSendWindow({ start: '09:00', end: '20:00' }, 'w')).toEqual({
      window: {
        start: '09:00',
        end: '20:00',
        timeZone: 'recipient',
        days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      },
    });
    expect(
      parseSendWindow(
        { start: '22:00', end: '24:00', timeZone: 'europe/paris', days: ['fri', 'mon'] },
        'w',
      ),
    ).toEqual({
      window: { start: '22:00', end: '24:00', timeZone: 'Europe/Paris', days: ['mon', 'fri'] },
    });
  });

  it.each([
    [null, 'options.sendWindow'],
    ['09-20', 'options.sendWindow'],
    [{ start: '9:00', end: '20:00' }, 'options.sendWindow.start'],
    [{ start: '24:00', end: '20:00' }, 'options.sendWindow.start'],
    [{ start: '09:60', end: '20:00' }, 'options.sendWindow.start'],
    [{ end: '20:00' }, 'options.sendWindow.start'],
    [{ start: '09:00', end: '24:01' }, 'options.sendWindow.end'],
    [{ start: '09:00', end: '09:00' }, 'options.sendWindow.end'],
    [{ start: '00:00', end: '24:00' }, 'options.sendWindow.end'],
    [{ start: '09:00', end: '20:00', timeZone: 'Mars/Olympus' }, 'options.sendWindow.timeZone'],
    [{ start: '09:00', end: '20:00', timeZone: 5 }, 'options.sendWindow.timeZone'],
    [{ start: '09:00', end: '20:00', days: ['mon', 'funday'] }, 'options.sendWindow.days[1]'],
    [{ start: '09:00', end: '20:00', days: [] }, 'options.sendWindow.days'],
    [{ start: '09:00', end: '20:00', days: 'mon' }, 'options.sendWindow.days'],
    [{ start: '09:00', end: '20:00', hours: 3 }, 'options.sendWindow.hours'],
  ])('refuses %j, naming %s', (value, path) => {
    const parsed = parseSendWindow(value, 'options.sendWindow');
    expect(parsed).toEqual({ problems: [expect.objectContaining({ path })] });
  });
});
