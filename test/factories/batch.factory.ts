// Valid batches and recipients for tests and benchmarks.

// 202 is left out: +1 202 555 0190-0197 are the simulator's scripted numbers (README, "The simulated provider").
const AREA_CODES = [
  201, 229, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225,
  228, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320,
  321, 323, 325, 330, 331, 334, 336, 337, 339, 347, 351, 352, 360, 361, 385, 386, 401, 402, 404,
  405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430, 432, 434, 435,
  440, 442, 443, 458, 469, 470, 475, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508, 509,
  510, 512, 513, 515, 516,
];

/** The i-th of 1,000,000 distinct valid US numbers, in E.164. */
export function phoneNumber(i: number): string {
  const area = AREA_CODES[Math.floor(i / 10_000) % AREA_CODES.length];
  return `+1${area}555${String(i % 10_000).padStart(4, '0')}`;
}

export interface RecipientInput {
  phoneNumber: string;
  variables?: Record<string, unknown>;
}

export function recipients(
  count: number,
  variables: (i: number) => Record<string, unknown> = (i) => ({
    name: `Name${i}`,
    code: String(1000 + i),
  }),
): RecipientInput[] {
  return Array.from({ length: count }, (_, i) => ({
    phoneNumber: phoneNumber(i),
    variables: variables(i),
  }));
}

export const TEMPLATE = 'Hi {{name}}, your code is {{code}}';

export function batchBody(
  overrides: Record<string, unknown> = {},
  count = 3,
): Record<string, unknown> {
  return { text: TEMPLATE, recipients: recipients(count), ...overrides };
}

/** A recipient with one of the simulator's scripted numbers, +1202555019`last` (README, "The simulated provider"). */
export function scripted(last: number): RecipientInput {
  return { phoneNumber: `+1202555019${last}`, variables: { name: 'x', code: '1' } };
}
