import { useEffect, useState } from "react";
import { describe, formatDate, formatNumber, mutate, query, subscribe } from "../api";
import { Loading, Problem, Table } from "../ui";

type Case = {
  __typename: "RiskCase";
  id: string;
  rule: string;
  subject: string;
  action: string;
  detail: string;
  users: string[];
  createdAt: string;
};
type Redemption = {
  __typename: "Redemption";
  id: string;
  userId: string;
  points: number;
  quantity: number;
  createdAt: string;
  item: { title: string };
};
type Review = (Case | Redemption) & { arrivedLive?: boolean };

const CASE_FIELDS = "id rule subject action detail users createdAt";
const REDEMPTION_FIELDS = "id userId points quantity createdAt item { title }";
const QUEUE = `query ReviewQueue {
  riskCases { __typename ${CASE_FIELDS} }
  redemptions(status: PENDING_REVIEW, first: 100) {
    edges { node { __typename ${REDEMPTION_FIELDS} } }
  }
}`;
const LIVE = `subscription ReviewQueued { reviewQueued { __typename
  ... on RiskCase { ${CASE_FIELDS} }
  ... on Redemption { ${REDEMPTION_FIELDS} } } }`;
const REVIEW = `mutation Review($input: ReviewRedemptionInput!) {
  reviewRedemption(input: $input) { redemption { id status } errors { code message field } } }`;
const RESOLVE = `mutation Resolve($input: ResolveRiskCaseInput!) {
  resolveRiskCase(input: $input) { case { id status decision } errors { code message field } } }`;

type Queue = {
  riskCases: Case[];
  redemptions: { edges: { node: Redemption }[] };
};

function oldestFirst(reviews: Review[]): Review[] {
  return [...reviews].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

const SIGNALS = `query Signals($id: ID!) { riskCase(id: $id) {
  signals(first: 30) { user action source at } } }`;
type Signal = { user: string; action: string; source: string; at: string };

/** What the case's users did lately and from where: read when the reviewer opens it. */
function Signals({ caseId }: { caseId: string }) {
  const [signals, setSignals] = useState<Signal[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <details
      onToggle={(event) => {
        if (!(event.currentTarget as HTMLDetailsElement).open || signals !== null) return;
        query<{ riskCase: { signals: Signal[] } | null }>(SIGNALS, { id: caseId })
          .then((found) => setSignals(found.riskCase?.signals ?? []))
          .catch((error) => setProblem(describe(error)));
      }}
    >
      <summary>Signals</summary>
      <Problem message={problem} />
      {signals !== null && (
        <Table
          caption="What the users did, and from where (hashes cut)"
          columns={["When", "User", "Action", "From"]}
          rows={signals.map((signal, index) => ({
            key: `${index}`,
            cells: [formatDate(signal.at), signal.user, signal.action, signal.source],
          }))}
        />
      )}
    </details>
  );
}

function Decision({ review, onDone }: { review: Review; onDone: (said: string) => void }) {
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const noteId = `note-${review.__typename}-${review.id}`;

  async function decide(choice: string) {
    setBusy(true);
    setProblem(null);
    try {
      if (review.__typename === "Redemption") {
        const approve = choice === "APPROVE";
        await mutate(REVIEW, {
          input: { redemptionId: review.id, approve, reason: note || null },
        });
        onDone(`${approve ? "Approved" : "Rejected"} ${review.userId}'s ${review.item.title}.`);
      } else {
        if (!note.trim()) throw new Error("Say why in the note: it is kept with the case.");
        await mutate(RESOLVE, { input: { caseId: review.id, decision: choice, note } });
        onDone(`Case ${review.rule} decided: ${choice.toLowerCase()}.`);
      }
    } catch (error) {
      setProblem(describe(error));
      setBusy(false);
    }
  }

  const choices =
    review.__typename === "Redemption"
      ? [
          ["APPROVE", "Approve"],
          ["REJECT", "Reject"],
        ]
      : [
          ["RELEASE", "Release"],
          ["DISMISS", "Dismiss"],
          ["FORFEIT", "Forfeit"],
        ];
  return (
    <div className="decision">
      <label htmlFor={noteId}>Note</label>
      <input id={noteId} value={note} onChange={(event) => setNote(event.target.value)} />
      {choices.map(([choice, label]) => (
        <button
          key={choice}
          className={choice === "FORFEIT" || choice === "REJECT" ? "danger" : undefined}
          disabled={busy}
          onClick={() => decide(choice)}
        >
          {label}
        </button>
      ))}
      <Problem message={problem} />
    </div>
  );
}

export function Reviews() {
  const [reviews, setReviews] = useState<Review[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const [said, setSaid] = useState("");

  useEffect(() => {
    let current = true;
    query<Queue>(QUEUE)
      .then((queue) => {
        if (!current) return;
        const waiting: Review[] = [
          ...queue.riskCases,
          ...queue.redemptions.edges.map((edge) => edge.node),
        ];
        setReviews((live) => {
          const known = new Set(waiting.map((r) => `${r.__typename}:${r.id}`));
          const arrived = (live ?? []).filter((r) => !known.has(`${r.__typename}:${r.id}`));
          return oldestFirst([...waiting, ...arrived]);
        });
      })
      .catch((problem) => current && setError(describe(problem)));
    const stop = subscribe<{ reviewQueued: Review }>(
      LIVE,
      ({ reviewQueued }) => {
        setReviews((queue) => {
          const found = (queue ?? []).some(
            (r) => r.__typename === reviewQueued.__typename && r.id === reviewQueued.id,
          );
          return found ? queue : oldestFirst([...(queue ?? []), { ...reviewQueued, arrivedLive: true }]);
        });
        setSaid(
          reviewQueued.__typename === "RiskCase"
            ? `New risk case: ${reviewQueued.rule}.`
            : `New redemption to review: ${reviewQueued.item.title}.`,
        );
      },
      setConnected,
    );
    return () => {
      current = false;
      stop();
    };
  }, []);

  function done(review: Review, message: string) {
    setReviews((queue) => (queue ?? []).filter((r) => r !== review));
    setSaid(message);
  }

  return (
    <>
      <p className="hint">
        High-value redemptions and risk cases, oldest first.{" "}
        <span className={connected ? "live on" : "live"}>
          {connected ? "Live: new ones appear here." : "Connecting…"}
        </span>
      </p>
      <p role="status" aria-live="polite" className="announce">
        {said}
      </p>
      <Problem message={error} />
      <Loading when={reviews === null && !error} />
      {reviews !== null && reviews.length === 0 && <p>Nothing waits for review.</p>}
      <ol className="queue" aria-label="Review queue">
        {(reviews ?? []).map((review) => (
          <li key={`${review.__typename}:${review.id}`} className="card" data-kind={review.__typename}>
            <div className="card-head">
              <span className="badge">
                {review.__typename === "RiskCase" ? "Risk case" : "Redemption"}
              </span>
              {review.arrivedLive && <span className="badge new">new</span>}
              <time dateTime={review.createdAt}>{formatDate(review.createdAt)}</time>
            </div>
            {review.__typename === "RiskCase" ? (
              <>
                <h2>{review.rule}</h2>
                <p>{review.detail}</p>
                <p>
                  Action taken: {review.action}. Subject {review.subject}. Users:{" "}
                  {review.users.map((user) => (
                    <a key={user} href={`#/users?user=${encodeURIComponent(user)}`}>
                      {user}{" "}
                    </a>
                  ))}
                </p>
                <Signals caseId={review.id} />
              </>
            ) : (
              <>
                <h2>{review.item.title}</h2>
                <p>
                  {review.quantity} × for {formatNumber(review.points)} points by{" "}
                  <a href={`#/users?user=${encodeURIComponent(review.userId)}`}>{review.userId}</a>
                </p>
              </>
            )}
            <Decision review={review} onDone={(message) => done(review, message)} />
          </li>
        ))}
      </ol>
    </>
  );
}
