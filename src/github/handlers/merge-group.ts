import type { Context } from "probot";
import { type HandlerDeps, JOB_KINDS } from "./deps.ts";

/** The merge queue asks for the required checks on a group: analyse its head like a PR's. */
export const onMergeGroupChecksRequested =
  (deps: HandlerDeps) => async (context: Context<"merge_group.checks_requested">) => {
    const { merge_group: group, repository, installation } = context.payload;
    if (!installation || !repository) return;
    await deps.queue.enqueue({
      kind: JOB_KINDS.mergeGroup,
      githubInstallationId: installation.id,
      dedupeKey: `merge-group:${installation.id}:${repository.full_name}@${group.head_sha}`,
      payload: {
        installationId: installation.id,
        owner: repository.owner.login,
        repo: repository.name,
        repoId: repository.id,
        private: repository.private,
        defaultBranch: repository.default_branch,
        accountType: repository.owner.type ?? "Organization",
        headSha: group.head_sha,
        headRef: group.head_ref,
        baseSha: group.base_sha,
        headCommitMessage: group.head_commit?.message ?? "",
        deliveryId: context.id,
      },
    });
  };
