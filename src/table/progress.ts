// Progress events of long operations (vacuum, optimize): what they report to an `onProgress` callback.
// Drawing them is the caller's business (the CLI draws a bar on a TTY, src/cli/progress.ts).

/** One progress event: `done` of `total` units of `phase` (e.g. 'deleting files', 3, 120). */
export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
}

export type ProgressCallback = (event: ProgressEvent) => void;
