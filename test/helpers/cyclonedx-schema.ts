import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The CycloneDX 1.5 JSON schema as the CycloneDX JavaScript library ships it (res/schema/), with the SPDX licence and
 * JSF signature schemas it refers to, compiled by ajv (draft-07) with the formats it uses: an independent check of
 * ferry's SBOM output. `iri-reference` and `idn-email` (not in ajv-formats) are checked as their ASCII forms,
 * `uri-reference` and `email`, which is stricter.
 */
export function cycloneDx15Validator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
  const load = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  const formats = ajv.formats as Record<string, unknown>;
  ajv.addFormat('iri-reference', formats['uri-reference'] as RegExp);
  ajv.addFormat('idn-email', formats.email as RegExp);
  // The bom schema names them by file name, relative to its own $id.
  ajv.addSchema({ ...load('spdx.SNAPSHOT.schema.json'), $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json' });
  ajv.addSchema({ ...load('jsf-0.82.SNAPSHOT.schema.json'), $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json' });
  return ajv.compile(load('bom-1.5.SNAPSHOT.schema.json'));
}
