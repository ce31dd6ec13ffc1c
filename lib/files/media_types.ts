/**
 * IANA media types of the file kinds a pipeline commonly writes, by file-name
 * extension, for the archive's `encodingFormat`. Unknown kinds (e.g. NumPy
 * `.npy`, which has no registered type) get none rather than a guess.
 *
 * @module
 */

const BY_EXTENSION: Record<string, string> = {
  ".json": "application/json",
  ".jsonld": "application/ld+json",
  ".csv": "text/csv",
  ".tsv": "text/tab-separated-values",
  ".txt": "text/plain",
  ".log": "text/plain",
  ".md": "text/markdown",
  ".html": "text/html",
  ".htm": "text/html",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".pdf": "application/pdf",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".gz": "application/gzip",
  ".zip": "application/zip",
  ".tar": "application/x-tar",
  ".wasm": "application/wasm",
  ".js": "text/javascript",
};

/** The media type of a file name, or undefined when its kind is not known. */
export function mediaType(fileName: string): string | undefined {
  const base = fileName.slice(fileName.lastIndexOf("/") + 1).toLowerCase();
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return BY_EXTENSION[base.slice(dot)];
}
