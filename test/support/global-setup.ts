import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv } from './test-env';

export default function globalSetup(): void {
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'main.js'))) {
    throw new Error(
      'dist/main.js is missing: the end-to-end tests run the built service (npm test builds it).',
    );
  }
  process.env.SALVO_TEST_ENV = JSON.stringify(createTestEnv());
}
