/**
 * Push over a throttled link (docs/performance.md): the first image set's bundle pushed by ferry (the default,
 * which verifies) and skopeo's dir of the same images pushed by `skopeo sync`, each into a fresh registry behind
 * a BENCH_LINK_MBPS (default 50 MB/s, 10^6 bytes) loopback link (bench/link-proxy.ts). The figure is the rate each
 * achieves on the link (bytes the link carried towards the registry / wall time) against the link's rate.
 */
import { type TestRegistry, startRegistry } from '../test/helpers/registry.js';
import { type LinkProxy, startLinkProxy } from './link-proxy.js';
import { type Measured, median, timed } from './measure.js';

export interface LinkSide extends Measured {
  /** Bytes the link carried towards the registry in the median run, and the rate that makes. */
  upBytes: number;
  achievedMBps: number;
  ofLink: number;
}
export interface LinkResults {
  linkMBps: number;
  payloadBytes: number;
  ferry: LinkSide;
  skopeo: LinkSide;
  ratio: number;
}

export async function benchLink(ferry: string, bundle: string, skopeoDir: string, payloadBytes: number): Promise<LinkResults> {
  const linkMBps = Number(process.env.BENCH_LINK_MBPS ?? 50);
  let registry: TestRegistry | undefined;
  let link: LinkProxy | undefined;
  const up: number[] = [];
  const fresh = async () => {
    await link?.stop();
    await registry?.stop();
    registry = await startRegistry();
    link = await startLinkProxy(registry.host, linkMBps * 1e6);
  };
  const side = async (run: () => Promise<Measured>): Promise<LinkSide> => {
    up.length = 0;
    const m = await run();
    // The median run's bytes: median() keeps the runs in order, so find the run whose time is the median's.
    const upBytes = up[m.runs.indexOf(+m.seconds.toFixed(3))] ?? up[0] ?? 0;
    const achievedMBps = upBytes / 1e6 / m.seconds;
    return { ...m, upBytes, achievedMBps, ofLink: achievedMBps / linkMBps };
  };
  const counted = (cmd: string, args: () => string[]) => async () => {
    const t = await timed(cmd, args());
    up.push((link as LinkProxy).bytes().up);
    return t;
  };
  try {
    const host = () => (link as LinkProxy).host;
    const f = await side(() =>
      median(
        fresh,
        counted(ferry, () => ['bundle', 'push', bundle, '--registry', host(), '--plain-http', '--no-progress']),
      ),
    );
    const s = await side(() =>
      median(
        fresh,
        counted('skopeo', () => ['sync', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', skopeoDir, `${host()}/bench`]),
      ),
    );
    return { linkMBps, payloadBytes, ferry: f, skopeo: s, ratio: f.seconds / s.seconds };
  } finally {
    await link?.stop();
    await registry?.stop();
  }
}
