import { FerryError } from '../../core/errors.js';
import { Annotation } from '../../core/media-types.js';
import type { LockedChart } from './schema.js';
import { checkTargetName, targetRepository } from '../../registry/target-name.js';
import { chartNameProblem, chartVersionProblem } from '../../validate/grammar.js';
import { quoteUntrusted } from '../../validate/untrusted-text.js';
import type { PushFacet } from '../facets/push.js';
import { versionToTag } from './chart-tag.js';

/**
 * The chart kind's push facet (kinds/kind.ts). Charts go where `helm install oci://HOST/PREFIX/charts/<name>
 * --version V` looks: the tag is the version with `+` written `_` (helm pkg/registry/reference.go).
 */
export const chartPush: PushFacet<LockedChart> = {
  async pushPlan(desc, target) {
    const source = desc.annotations?.[Annotation.RefName];
    if (!source) return [];
    const name = desc.annotations?.[Annotation.Title] ?? source.replace(/^charts\/|:.*$/g, '');
    const version = desc.annotations?.[Annotation.ChartVersion] ?? source.slice(source.lastIndexOf(':') + 1);
    const why = chartNameProblem(name) ?? chartVersionProblem(version);
    if (why)
      throw new FerryError(
        'UNSAFE_VALUE',
        `chart ${quoteUntrusted(source)}: name ${quoteUntrusted(name)} version ${quoteUntrusted(version)}: ${why}: refused, nothing was pushed`,
        { source: quoteUntrusted(source) },
      );
    const repository = targetRepository(target, `charts/${name}`);
    const tag = versionToTag(version);
    checkTargetName(source, repository, tag);
    const root = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
    return [{ item: { kind: 'chart', source, repository, tag, root }, from: 'spec.charts', progress: 'image', how: { via: 'graph' } }];
  },
};
