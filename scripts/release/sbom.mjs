// A CycloneDX 1.5 SBOM (https://cyclonedx.org/docs/1.5/json/) of the executable: every npm package esbuild compiled
// into it (the metafile's inputs under node_modules, each package found by its innermost node_modules/ segment),
// with name, version and license from its package.json and the sha512 of its tarball from package-lock.json's
// `integrity` (an SRI string: "sha512-" + base64); the Node runtime the executable embeds; ferry itself as
// metadata.component. Deterministic: no wall-clock time (the timestamp is the commit's, as SOURCE_DATE_EPOCH would
// give), and the serialNumber is a UUID made from the sha256 of the rest of the document.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package directories (relative to the checkout, e.g. node_modules/@scope/name) the metafile's inputs lie in. */
export function packagesOf(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const parts = input.split('/');
    const at = parts.lastIndexOf('node_modules');
    if (at < 0) continue;
    const width = parts[at + 1]?.startsWith('@') ? 3 : 2;
    dirs.add(parts.slice(0, at + width).join('/'));
  }
  return [...dirs].sort();
}

function purl(name, version) {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

function sriHashes(integrity) {
  const m = /^sha512-([A-Za-z0-9+/]+={0,2})$/.exec(integrity ?? '');
  if (!m) throw new Error(`package-lock.json gives no sha512 integrity (${integrity ?? 'none'})`);
  return [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }];
}

function licenses(license) {
  return typeof license === 'string' && license !== '' ? [{ license: /^[A-Za-z0-9.+-]+$/.test(license) ? { id: license } : { name: license } }] : [];
}

export function makeSbom({ root, metafile, version, commit, commitTime, nodeVersion, nodeSha256 }) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
  const components = packagesOf(metafile).map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const entry = lock[dir];
    if (!entry) throw new Error(`${dir} is compiled into the executable but not in package-lock.json`);
    if (entry.version !== pkg.version) throw new Error(`${dir}: package-lock.json says ${entry.version}, its package.json ${pkg.version}`);
    return {
      type: 'library',
      'bom-ref': purl(pkg.name, pkg.version),
      name: pkg.name,
      version: pkg.version,
      licenses: licenses(pkg.license),
      purl: purl(pkg.name, pkg.version),
      hashes: sriHashes(entry.integrity),
    };
  });
  const nodeRef = `pkg:generic/node@${nodeVersion}`;
  components.push({
    type: 'platform',
    'bom-ref': nodeRef,
    name: 'node',
    version: nodeVersion,
    description: 'the Node.js runtime the executable is built on (its binary, before the application was injected)',
    licenses: [{ license: { id: 'MIT' } }],
    purl: nodeRef,
    hashes: [{ alg: 'SHA-256', content: nodeSha256 }],
  });
  const ferryRef = purl('ferry', version);
  const doc = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      timestamp: new Date(commitTime * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      component: {
        type: 'application',
        'bom-ref': ferryRef,
        name: 'ferry',
        version,
        licenses: [{ license: { id: 'Apache-2.0' } }],
        purl: ferryRef,
        properties: [{ name: 'ferry:commit', value: commit }],
      },
    },
    components,
    dependencies: [{ ref: ferryRef, dependsOn: components.map((c) => c['bom-ref']) }],
  };
  const h = createHash('sha256').update(JSON.stringify(doc)).digest('hex');
  // RFC 4122 layout, version 8 ("custom"), variant 10: a name-based id without pretending to be v5's SHA-1.
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const { bomFormat, specVersion, ...rest } = doc;
  return `${JSON.stringify({ bomFormat, specVersion, serialNumber: `urn:uuid:${uuid}`, ...rest }, null, 2)}\n`;
}
