/**
 * A run's wait tokens on its page: each token's step, status and expiry, its URL (which anyone
 * holding it can complete), and for an open token a form that completes it with a JSON body. The
 * dashboard is an operator's door: a token's secret is not asked for.
 */
import type { FC } from "hono/jsx";
import type { RunView } from "../../../durable-objects/run/view.ts";
import { Status, Time } from "../components.tsx";

type Token = NonNullable<RunView["tokens"]>[number];

const CompleteForm: FC<{ runId: string; token: Token }> = ({ runId, token }) => (
  <form
    method="post"
    action={`/dashboard/runs/${encodeURIComponent(runId)}/tokens/${encodeURIComponent(token.id)}/complete`}
    class="token-form"
    data-confirm="Complete this wait token? The waiting step resumes with this body, and a token completes only once."
  >
    <label>
      Body (JSON)
      <textarea name="data" rows={3} class="mono" spellcheck={false}>
        {"{}"}
      </textarea>
    </label>
    <button type="submit">Complete token</button>
  </form>
);

/** The run's tokens; nothing when it has none. */
export const RunTokens: FC<{ run: RunView }> = ({ run }) => {
  const tokens = run.tokens ?? [];
  if (tokens.length === 0) return null;
  return (
    <>
      <h2>Wait tokens</h2>
      <div class="panel">
        {tokens.map((token) => (
          <details class="step" id={`token-${token.id}`} open={token.status === "open"}>
            <summary>
              <span class="mono">{token.stepId}</span> <Status status={token.status} />{" "}
              <span class="muted">{token.signed ? "signed completions only · " : ""}</span>
              <span class="muted">
                {token.status === "completed" ? "completed " : "expires "}
                <Time at={token.status === "completed" ? token.completedAt : token.expiresAt} />
              </span>
            </summary>
            <p>
              URL: <code class="mono token-url">{token.url}</code>
            </p>
            {token.status === "open" ? <CompleteForm runId={run.id} token={token} /> : null}
          </details>
        ))}
      </div>
    </>
  );
};
