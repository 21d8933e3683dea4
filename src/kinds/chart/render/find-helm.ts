import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { FerryError } from '../../../core/errors.js';
import type { EventSink } from '../../../core/events.js';
import { type Helm, HelmUnusable, helmVersion } from './helm-template.js';
import type { HelmSetting } from './helm-setting.js';

/** Where a run may take its Helm from. */
export interface HelmSources {
  /** `--helm PATH`, absolute. */
  flag?: string | undefined;
  /** spec.helm. */
  setting?: HelmSetting | undefined;
  events: EventSink;
  signal?: AbortSignal | undefined;
}

/** One lookup per run: keyed by an object the run owns (a pull's resolve caches), forgotten with it. */
const runs = new WeakMap<object, Promise<Helm | undefined>>();

/** The run's Helm (looked up and asked its version once), or undefined: none found, charts are read statically. */
export function helmOfRun(run: object, from: HelmSources): Promise<Helm | undefined> {
  let found = runs.get(run);
  if (!found) runs.set(run, (found = findHelm(from)));
  return found;
}

/**
 * `--helm PATH`, else spec.helm.path, else `helm` on PATH; a Helm that is named but does not run as Helm fails,
 * naming it. None named and none on PATH: undefined, said once.
 */
export async function findHelm(from: HelmSources): Promise<Helm | undefined> {
  const fix = "pass the path of a Helm 3 or later binary, or leave it out to find charts' images statically";
  const flag = from.flag;
  if (flag)
    return checked(flag, from, (why) => new FerryError('USAGE', `--helm ${flag}: not a usable Helm: ${why}; ${fix}`, { path: flag }));
  const path = from.setting?.path;
  if (path)
    return checked(
      path,
      from,
      (why) => new FerryError('MANIFEST_INVALID', `spec.helm.path ${path}: not a usable Helm: ${why}; ${fix}`, { path }),
    );
  const onPath = await lookPath('helm');
  if (!onPath) {
    from.events({ type: 'info', message: "helm not found: charts' images found statically; pass --helm PATH" });
    return undefined;
  }
  return checked(
    onPath,
    from,
    (why) =>
      new FerryError('USAGE', `helm on PATH (${onPath}) is not a usable Helm: ${why}; pass --helm PATH, or remove it from PATH`, {
        path: onPath,
      }),
  );
}

async function checked(path: string, from: HelmSources, fail: (why: string) => FerryError): Promise<Helm> {
  try {
    const helm = await helmVersion(path, from.signal);
    from.events({ type: 'info', message: `charts rendered with Helm ${helm.version} (${path})` });
    return helm;
  } catch (err) {
    if (err instanceof HelmUnusable) throw fail(err.message);
    throw err;
  }
}

/** The first executable file named `name` in PATH, as a shell would find it. */
async function lookPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      await access(file, constants.X_OK);
      if ((await stat(file)).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
