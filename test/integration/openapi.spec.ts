// docs/openapi.json is what REST consumers generate clients from: it must be the code's document,
// so that an API change shows in review as a change of that file.
import { committedOpenApi, openApiDrift } from '../../src/openapi/committed-openapi';
import { openApiOfCode } from '../../src/openapi/openapi-of-code';

describe('the committed OpenAPI document', () => {
  it('is the document the code serves (npm run openapi writes it)', async () => {
    const drift = openApiDrift(committedOpenApi(), await openApiOfCode());
    // Thrown rather than compared, so the message (what to run, where they differ) reads as is.
    if (drift) throw new Error(drift);
  });
});
