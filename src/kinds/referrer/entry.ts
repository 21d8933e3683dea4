/**
 * One subject whose referrers pull looks for: implied by an image's resolve (kinds/image/source.ts), one per subject
 * (the image's upstream root, and each platform child it keeps), so a subject two images share is looked up once.
 */
export interface ReferrerEntry {
  /** The image (its normalised reference) the subject belongs to. */
  image: string;
  /** `docker.io/library/x`: the image's repository, where its referrers live. */
  repository: string;
  subject: string;
  /**
   * Set when the subject is the upstream index of a platform-filtered image (the bundle keeps another root): the
   * index itself is carried as the `upstream-index` entry when any referrer of it is kept.
   */
  upstreamIndex?: { mediaType: string; size: number };
}
