import { readFile } from 'node:fs/promises';
import { sha256 } from '../../core/digest.js';
import { FerryError, isFerryError } from '../../core/errors.js';
import type { HttpGetter } from '../../registry/http-getter-type.js';
import { checkListedSha256, readProvenance, verifyProvenanceSignature } from './provenance.js';
import type { ChartEntry, ChartProvenance } from './schema.js';

/** A .prov is a few kB (Chart.yaml and a signature); more than this is not one. */
export const PROV_MAX = 1 << 20;

/**
 * Helm publishes a chart's provenance beside its archive: `<chart url>.prov` (helm pkg/downloader
 * ChartDownloader.DownloadTo fetches `u.String() + ".prov"`). A 404 means the chart is not signed. Without a
 * keyring (`required` false) a 403 or 410 does too: object stores behind many chart repositories answer 403 for a
 * missing object, and a pull that asked for no signature must not fail on one.
 */
export async function fetchProvenance(url: string, http: HttpGetter, required: boolean): Promise<Buffer | undefined> {
  try {
    return await http.getBuffer(url, PROV_MAX);
  } catch (err) {
    if (isFerryError(err, 'NOT_FOUND')) return undefined;
    const status = isFerryError(err, 'NETWORK_ERROR') ? err.details.status : undefined;
    if (!required && (status === 403 || status === 410)) return undefined;
    throw err;
  }
}

/** The archive's file name as Helm verifies it: the last segment of its URL (helm uses filepath.Base). */
export function archiveName(chartUrl: string): string {
  const path = new URL(chartUrl).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

export interface ProvenanceFound {
  locked: ChartProvenance;
  bytes: Buffer;
}

/**
 * docs/charts.md "Provenance": with a keyring the .prov must exist, be signed by a key in it, and list the
 * archive's sha256; without one, a .prov found still has its sha256 checked and its signature is recorded as not
 * checked. Every refusal is CHART_PROVENANCE_INVALID naming the chart, its version and the .prov URL.
 */
export async function checkChartProvenance(
  entry: Pick<ChartEntry, 'name' | 'keyring'>,
  version: string,
  tgz: { sha256: string; name: string },
  provUrl: string,
  prov: Buffer | undefined,
): Promise<ProvenanceFound | undefined> {
  const what = `chart ${entry.name} ${version} (${provUrl})`;
  if (prov === undefined) {
    if (!entry.keyring) return undefined;
    throw new FerryError('CHART_PROVENANCE_INVALID', `${what}: no provenance file, but keyring ${entry.keyring.path} asks for one`, {
      chart: entry.name,
      version,
      prov: provUrl,
    });
  }
  // Helm names the archive `<name>-<version>.tgz` when it packages; a repository may serve it under another name.
  const check = (files: Record<string, string>) => {
    const canonical = `${entry.name}-${version}.tgz`;
    const name = files[tgz.name] === undefined && files[canonical] !== undefined ? canonical : tgz.name;
    checkListedSha256({ text: '', files }, name, tgz.sha256, what);
  };
  const base = { sha256: sha256(prov).slice(7), size: prov.length };
  if (!entry.keyring) {
    check((await readProvenance(prov, what)).files);
    return { bytes: prov, locked: { ...base, signature: 'not checked' } };
  }
  const keyring = await readKeyringFile(entry.keyring, entry.name);
  const { provenance, signer } = await verifyProvenanceSignature(prov, { bytes: keyring, path: entry.keyring.path }, what);
  check(provenance.files);
  return { bytes: prov, locked: { ...base, signature: 'verified', signer, keyring: entry.keyring.path } };
}

async function readKeyringFile(keyring: { path: string; file: string }, chart: string): Promise<Buffer> {
  try {
    return await readFile(keyring.file);
  } catch (err) {
    throw new FerryError('MANIFEST_INVALID', `chart ${chart}: cannot read keyring ${keyring.path}: ${(err as Error).message}`, {
      path: keyring.path,
    });
  }
}
