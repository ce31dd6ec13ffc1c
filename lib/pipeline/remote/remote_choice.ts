/**
 * Which remote a command talks to: `--remote URL|NAME`, else the pipeline
 * file's `remotes.default` (or its only remote); and the backend for its URL.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { fromFileUrl } from "../../files/mod.ts";
import { type RemotesSpec, UsageError } from "../spec/mod.ts";
import { CountingBackend, RemoteError } from "./backend.ts";
import { FsBackend } from "./fs_backend.ts";
import { parseS3Url, S3Backend } from "./s3_backend.ts";

/** A remote as chosen for one command. */
export interface ChosenRemote {
  /** The name in `remotes:`, or the URL as given. */
  label: string;
  url: string;
  endpoint?: string;
  region?: string;
}

/**
 * The remote named (or given as a URL) by `flag`, else the default one.
 *
 * @example
 * ```ts
 * chooseRemote("lab", spec.remotes); // { label: "lab", url: "s3://bucket/prefix", ... }
 * chooseRemote("/shared/cache", undefined); // { label: "/shared/cache", url: "/shared/cache" }
 * ```
 */
export function chooseRemote(
  flag: string | undefined,
  spec: RemotesSpec | undefined,
): ChosenRemote {
  const names = [...(spec?.remotes.keys() ?? [])];
  if (flag === undefined) {
    if (!spec?.default) {
      throw new UsageError(
        names.length
          ? `several remotes and no 'remotes.default' in the pipeline file: pass --remote ${
            names.join("|")
          }`
          : "no remote: pass --remote URL (s3://bucket/prefix or a directory) or declare 'remotes:' in the pipeline file",
      );
    }
    flag = spec.default;
  }
  const named = spec?.remotes.get(flag);
  if (named) {
    return {
      label: named.name,
      url: named.url,
      ...(named.endpoint ? { endpoint: named.endpoint } : {}),
      ...(named.region ? { region: named.region } : {}),
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(flag) || flag.includes("/") || flag.startsWith(".")) {
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(flag)) {
      throw new UsageError("--remote must not carry credentials (user@): use the environment");
    }
    return { label: flag, url: flag };
  }
  throw new UsageError(
    `no remote '${flag}'${names.length ? ` (remotes: ${names.join(", ")})` : ""}`,
  );
}

/** The endpoint of an S3-compatible server from the environment, if set. */
function envEndpoint(): string | undefined {
  return Deno.env.get("PIPELINE_S3_ENDPOINT") ?? Deno.env.get("AWS_ENDPOINT_URL_S3") ??
    Deno.env.get("AWS_ENDPOINT_URL");
}

/**
 * The (counting) backend of a chosen remote; a relative directory is taken
 * relative to `baseDir` (the pipeline file's directory).
 */
export function openRemote(remote: ChosenRemote, baseDir: string): CountingBackend {
  const url = remote.url;
  if (url.startsWith("s3://")) {
    const { bucket, prefix } = parseS3Url(url);
    const endpoint = remote.endpoint ?? envEndpoint();
    return new CountingBackend(
      new S3Backend({
        bucket,
        prefix,
        ...(endpoint ? { endpoint } : {}),
        ...(remote.region ? { region: remote.region } : {}),
      }),
    );
  }
  if (url.startsWith("file://")) return new CountingBackend(new FsBackend(fromFileUrl(url)));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new RemoteError(`unsupported remote URL '${url}' (use s3://bucket/prefix or a path)`);
  }
  return new CountingBackend(new FsBackend(isAbsolute(url) ? url : resolve(baseDir, url)));
}
