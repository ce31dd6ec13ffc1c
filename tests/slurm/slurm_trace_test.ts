/**
 * Resource traces through a real Slurm (see cluster.ts): the 256 MiB, 2 s
 * fixture step measures itself on the node, without Slurm accounting.
 * Ignored (loudly) where Slurm cannot run.
 */
import { slurmAvailability, slurmTestName, startCluster } from "./cluster.ts";
import { removeProject } from "../pipeline/helpers.ts";
import { checkHog, hogTrace, makeExperimentProject } from "../pipeline/experiments_helpers.ts";

const avail = await slurmAvailability();

Deno.test({
  name: slurmTestName("slurm: a 256 MiB, 2 s step reports its peak memory and CPU", avail),
  ignore: !avail.ok,
  async fn() {
    const c = await startCluster();
    const dir = await makeExperimentProject({ hog: true });
    try {
      const { row } = await hogTrace(dir, ["--executor", "slurm", "--slurm-poll", "0.3"], c.env);
      checkHog(row);
    } finally {
      await removeProject(dir);
      await c.stop();
    }
  },
});
