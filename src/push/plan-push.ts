import type { BundleReader } from '../bundle/reader.js';
import { FerryError } from '../core/errors.js';
import { type EventSink, noEvents } from '../core/events.js';
import type { PushItem, PushStep } from '../kinds/facets/push.js';
import { kindOfEntry } from '../kinds/index.js';
import type { PushTarget } from '../registry/push-target.js';

export type { PushItem, PushStep } from '../kinds/facets/push.js';

/**
 * The plan of a push: every index.json entry's steps, as its kind plans them (kinds/facets/push.ts), with one
 * owner per target name. Graphs come first and claim their names; an image inside a tarball whose name a graph
 * also pushes (the same image listed in spec.images) is left to that graph, which keeps the upstream digest.
 * Two different things landing on one name is an error naming both (NAME_COLLISION); the same thing twice is
 * pushed once. Nothing is sent: every refusal comes before the first request.
 */
export async function planPush(reader: BundleReader, target: PushTarget, events: EventSink = noEvents): Promise<PushStep[]> {
  const planned: PushStep[] = [];
  for (const desc of reader.index().manifests) {
    const kind = kindOfEntry(desc);
    if (kind?.pushPlan) planned.push(...(await kind.pushPlan(desc, target, reader)).map((s) => ({ ...s, owner: kind.kind })));
  }
  return ownNames(planned, target, events);
}

/** One owner per target name (the rule planPush states), over steps in index.json order. */
export function ownNames(planned: readonly PushStep[], target: PushTarget, events: EventSink = noEvents): PushStep[] {
  const graphs = new Map<string, PushStep>();
  const steps: PushStep[] = [];
  for (const step of planned) {
    if (step.how.via !== 'graph') continue;
    const { source } = step.item;
    const name = nameOf(step.item);
    const other = graphs.get(name)?.item.source;
    if (other !== undefined && other !== source) {
      throw new FerryError('NAME_COLLISION', `${other} and ${source} would both be pushed as ${target.registry}/${name}`, {
        a: other,
        b: source,
        target: `${target.registry}/${name}`,
      });
    }
    if (other === source) continue;
    graphs.set(name, step);
    steps.push(step);
  }
  // Images inside tarballs: one name may come from several tarballs (the same image in two of them).
  const streamed = new Map<string, PushStep>();
  for (const step of planned) {
    if (step.how.via !== 'tarball') continue;
    const { source, root, archive } = step.item;
    const name = nameOf(step.item);
    const owner = graphs.get(name);
    if (owner) {
      events({ type: 'info', message: `  ${source}: pushed from ${owner.from}, not from ${step.from}` });
      continue;
    }
    const other = streamed.get(name)?.item;
    if (other && other.root.digest !== root.digest) {
      throw new FerryError(
        'NAME_COLLISION',
        `${other.source} and ${source} (in ${archive}) would both be pushed as ${target.registry}/${name}`,
        { target: name },
      );
    }
    if (other) continue;
    streamed.set(name, step);
    steps.push(step);
  }
  return steps;
}

/** The name a step lands on in the target registry: `repository:tag`, or `repository@digest` without a tag. */
export function nameOf(item: PushItem): string {
  return `${item.repository}${item.tag !== undefined ? `:${item.tag}` : `@${item.root.digest}`}`;
}
