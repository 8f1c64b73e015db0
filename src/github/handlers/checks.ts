import type { Context } from "probot";
import { CHECK_NAME } from "../publish-check.ts";
import { enqueueAnalysis, type HandlerDeps } from "./deps.ts";

type PrRef = { number: number; head: { sha: string } };

const analyseAll = async (
  deps: HandlerDeps,
  context: Context<"check_suite.requested" | "check_suite.rerequested" | "check_run.rerequested">,
  prs: readonly PrRef[],
  rerun: boolean,
) => {
  const { repository, installation } = context.payload;
  if (!installation) return;
  for (const pr of prs) {
    await enqueueAnalysis(
      deps,
      {
        installationId: installation.id,
        owner: repository.owner.login,
        repo: repository.name,
        pullNumber: pr.number,
        deliveryId: context.id,
      },
      { headSha: pr.head.sha, rerun },
    );
  }
};

/** GitHub asks for checks on a push (requested) or a person asks again (rerequested). */
export const onCheckSuite =
  (deps: HandlerDeps) => async (context: Context<"check_suite.requested" | "check_suite.rerequested">) =>
    analyseAll(
      deps,
      context,
      context.payload.check_suite.pull_requests,
      context.payload.action === "rerequested",
    );

/** "Re-run" on the Covenant check run. */
export const onCheckRunRerequested =
  (deps: HandlerDeps) => async (context: Context<"check_run.rerequested">) => {
    if (context.payload.check_run.name !== CHECK_NAME) return;
    await analyseAll(deps, context, context.payload.check_run.pull_requests, true);
  };
