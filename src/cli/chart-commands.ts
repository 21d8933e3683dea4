import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { ConnectionFlags } from './connection-flags.js';
import { type GlobalFlags, openSession } from './output.js';

/** `ferry chart images`: what a chart would bring into a bundle, and why, without writing a bundle. */
export function registerChartCommands(program: Command): void {
  const chart = program.command('chart').description('look into Helm charts');
  chart
    .command('images')
    .description('list the images a chart uses, with where each was found (values, annotations, templates)')
    .argument('<repo>', 'chart repository: https://… (index.yaml) or oci://host/path')
    .argument('<name>', 'chart name')
    .argument('<version>', 'exact version or semver range')
    .option(
      '--values <file>',
      "values file merged over the chart's defaults (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      '--mirror <from=to>',
      'send requests for a registry or URL prefix elsewhere (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--config <file>', 'config file with mirrors')
    .option('--helm <path>', 'render the chart with this Helm binary (else helm on PATH; none: the images are found statically)')
    .option('--kube-version <version>', "Kubernetes version to render for (helm template --kube-version; default: Helm's)")
    .addOption(new Option('--ca-file <file>', 'trust this CA bundle (PEM) for TLS'))
    .addOption(new Option('--insecure', 'skip TLS certificate verification'))
    .addOption(new Option('--plain-http', 'talk plain HTTP to OCI registries'))
    .action(
      async (
        repo: string,
        name: string,
        version: string,
        o: ConnectionFlags & { values: string[]; mirror: string[]; config?: string; helm?: string; kubeVersion?: string },
      ) => {
        const { resolveChart } = await import('../kinds/chart/chart-fetcher.js');
        const { findHelm } = await import('../kinds/chart/render/find-helm.js');
        const { howFound } = await import('../kinds/chart/render/find-images.js');
        const { buildHttpGetter, buildMirrors, buildRegistryClient } = await import('./context.js');
        const s = openSession(program.opts<GlobalFlags>());
        const mirrors = await buildMirrors(o.mirror, o.config);
        const client = buildRegistryClient(o, s.renderer.sink, mirrors, undefined, s.signal);
        try {
          const entry = {
            repo: repo.replace(/\/+$/, ''),
            name,
            version,
            images: true,
            values: o.values.map((v) => ({ path: v, file: resolve(v) })),
            extraImages: [],
            excludeImages: [],
            render: true,
          };
          const how = {
            helm: () => findHelm({ flag: o.helm ? resolve(o.helm) : undefined, events: s.renderer.sink, signal: s.signal }),
            kubeVersion: () => o.kubeVersion,
            signal: s.signal,
          };
          const { locked } = await resolveChart(entry, buildHttpGetter(client, mirrors), client, how);
          const lines = [`${locked.name} ${locked.version} (${locked.images.length} images${howFound(locked)}; sha256 ${locked.sha256})`];
          for (const img of locked.images) lines.push(`${img.ref}`, ...img.sources.map((src) => `    from ${src}`));
          s.done(
            {
              ok: true,
              chart: locked.name,
              version: locked.version,
              sha256: locked.sha256,
              discovery: locked.discovery,
              images: locked.images,
            },
            lines.join('\n'),
          );
        } finally {
          await client.close();
        }
      },
    );
}
