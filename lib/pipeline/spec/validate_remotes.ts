/**
 * Validation of the `remotes:` section (where `push`, `pull` and
 * `reproduce --pull` share results): named remotes with a URL, and which one
 * is the default. Credentials never belong here: they come from the
 * environment or the client library's own configuration.
 *
 * @module
 */

import type { Pos } from "./diagnostics.ts";
import type { YMap, YNode } from "./yaml_source.ts";
import { describe, type YamlChecker } from "./yaml_checker.ts";

/** One named remote cache. */
export interface RemoteSpec {
  name: string;
  /** `s3://bucket/prefix`, `file:///path`, or a file-system path (relative to the pipeline directory). */
  url: string;
  /** An S3-compatible server's endpoint (`http://127.0.0.1:8080`); absent: the client's default. */
  endpoint?: string;
  /** The S3 region (absent: the client's configuration, else `us-east-1`). */
  region?: string;
  description?: string;
  pos: Pos;
}

/** The `remotes:` section: named remotes and the default one. */
export interface RemotesSpec {
  remotes: Map<string, RemoteSpec>;
  /** The remote used without `--remote` (the only one when there is just one). */
  default?: string;
}

/** Remote names (usable with `--remote NAME`). */
export const REMOTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const REMOTE_KEYS = ["url", "endpoint", "region", "description"];
/** Keys that look like secrets: refused with a pointer to where credentials go. */
const SECRET_KEY = /key|secret|token|password|passwd|credential|auth/i;

/** Whether a URL carries credentials (`s3://user:secret@...`, `https://user@...`). */
function hasUserInfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(url);
}

/** `remotes: { default: NAME, NAME: { url, endpoint?, region?, description? }, ... }`. */
export function validateRemotes(v: YamlChecker, node: YNode): RemotesSpec | undefined {
  if (node.kind === "scalar" && node.value === null) return undefined;
  const m: YMap | undefined = v.map(node, "'remotes'");
  if (!m) return undefined;
  const remotes = new Map<string, RemoteSpec>();
  let dflt: { name: string; pos: Pos } | undefined;
  for (const e of m.entries) {
    if (e.key === "default") {
      const s = v.string(e.value, "'remotes.default'");
      if (s !== undefined) dflt = { name: s, pos: e.value.pos };
      continue;
    }
    if (!REMOTE_NAME.test(e.key)) {
      v.error(e.keyPos, `remote name '${e.key}' must match ${REMOTE_NAME.source}`);
      continue;
    }
    const r = v.map(e.value, `remote '${e.key}'`);
    if (!r) continue;
    for (const k of r.entries) {
      if (SECRET_KEY.test(k.key)) {
        v.error(
          k.keyPos,
          `remote '${e.key}': '${k.key}' looks like a credential, and credentials never go in the pipeline file`,
          "set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE with ~/.aws/credentials) in the environment",
        );
      }
    }
    v.keys(
      { ...r, entries: r.entries.filter((k) => !SECRET_KEY.test(k.key)) },
      REMOTE_KEYS,
      `in remote '${e.key}'`,
      ["url"],
    );
    const spec: Partial<RemoteSpec> = { name: e.key, pos: e.keyPos };
    for (const key of REMOTE_KEYS) {
      const x = v.entry(r, key);
      if (!x) continue;
      const s = v.string(x.value, `'${key}' of remote '${e.key}'`);
      if (s === undefined) continue;
      if ((key === "url" || key === "endpoint") && hasUserInfo(s)) {
        v.error(
          x.value.pos,
          `${key} of remote '${e.key}' carries credentials (user@ or user:secret@), which never go in the pipeline file`,
          "remove them and set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment",
        );
        continue;
      }
      if (key === "url" && !/^(s3|file):\/\//.test(s) && /^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
        v.error(
          x.value.pos,
          `url of remote '${e.key}' must be s3://bucket/prefix, file:///path or a path, got ${
            describe(x.value)
          }`,
        );
        continue;
      }
      if (key === "endpoint" && !/^https?:\/\/[^/]+/.test(s)) {
        v.error(x.value.pos, `endpoint of remote '${e.key}' must be an http(s) URL, got '${s}'`);
        continue;
      }
      (spec as Record<string, unknown>)[key] = s;
    }
    if (spec.url) remotes.set(e.key, spec as RemoteSpec);
  }
  if (dflt && !remotes.has(dflt.name)) {
    v.error(
      dflt.pos,
      `remotes.default names no remote '${dflt.name}'`,
      remotes.size ? `remotes: ${[...remotes.keys()].join(", ")}` : "define one under 'remotes:'",
    );
    dflt = undefined;
  }
  const only = remotes.size === 1 ? [...remotes.keys()][0] : undefined;
  return { remotes, default: dflt?.name ?? only };
}
