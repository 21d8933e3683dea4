import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../core/atomic-write.js';
import { formatBytes, plural } from '../core/units.js';
import { type GlobalFlags, openSession } from './output.js';

/** `ferry bundle sbom`: the bundle's CycloneDX SBOM (docs/supply-chain.md "SBOM of the bundle"), to a file or stdout. */
export function registerSbomCommand(bundle: Command, globals: () => GlobalFlags): void {
  bundle
    .command('sbom')
    .description('write the CycloneDX 1.5 JSON SBOM of a bundle: one component per artifact, its purl, sha256 and source')
    .argument('<bundle>', 'bundle file')
    .option('-o, --output <file>', 'SBOM file ("-" or none: standard output)')
    .addHelpText(
      'after',
      '\nThe SBOM is made from the bundle alone (index.json, the lock, SHA256SUMS), so it is the same bytes every time,\nand the same as the sbom.cdx.json a pull writes into the bundle (which `ferry bundle verify` checks).',
    )
    .action(async (path: string, o: { output?: string }) => {
      const { bundleSbom } = await import('../sbom/bundle-sbom.js');
      const s = openSession(globals());
      const body = await bundleSbom(resolve(path));
      if (o.output === undefined || o.output === '-') return s.doneWith(body);
      await writeFileAtomic(resolve(o.output), body);
      const components = (JSON.parse(body.toString('utf8')) as { components: unknown[] }).components.length;
      s.done(
        { ok: true, sbom: o.output, bytes: body.length, components },
        `wrote ${o.output}: CycloneDX 1.5, ${plural(components, 'component')}, ${formatBytes(body.length)}`,
      );
    });
}
