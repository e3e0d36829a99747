import { useState } from "react";
import { describe, formatDate, formatNumber, mutate, query } from "../api";
import { IntervalChart, type Interval } from "../charts";
import { useLoaded } from "../hooks";
import { ActionForm, Field, Filter, Loading, Problem, Table, Tile, localInput, moment, text } from "../ui";

const STATUSES = ["DRAFT", "SCHEDULED", "PREHEAT", "LIVE", "PAUSED", "ENDED", "SETTLED", "CANCELLED"];

type Listed = {
  id: string;
  name: string;
  status: string;
  startsAt: string;
  endsAt: string;
  participants: number;
  budgetPoints: number | null;
  budgetSpent: number;
};
type Rate = { value: number; low: number; high: number; of: number };
type Detail = Listed & {
  description: string;
  figures: {
    participants: number;
    pointsIssued: number;
    budgetLeft: number | null;
    prizesPaid: number;
    redemptions: number;
    orders: number;
    orderValue: number;
    costPerParticipant: number | null;
    costPerOrder: number | null;
  };
  ranking: { rank: number; nickname: string; score: number }[];
  experiment: {
    variants: {
      name: string;
      users: number;
      conversion: Rate;
      retentionD1: Rate;
      retentionD7: Rate;
    }[];
    comparisons: { variant: string; lift: number | null; pValue: number | null; significant: boolean }[];
  } | null;
  history: { previous: string; status: string; actor: string; reason: string | null; changedAt: string }[];
};

const LISTED = "id name status startsAt endsAt participants budgetPoints budgetSpent";
const LIST = `query Campaigns($status: CampaignStatus) { campaigns(status: $status) { ${LISTED} } }`;
const RATE = "value low high of";
const DETAIL = `query Campaign($id: ID!) { campaign(id: $id) { ${LISTED} description
  figures { participants pointsIssued budgetLeft prizesPaid redemptions orders orderValue
    costPerParticipant costPerOrder }
  ranking(first: 10) { rank nickname score }
  experiment { variants { name users conversion { ${RATE} } retentionD1 { ${RATE} }
    retentionD7 { ${RATE} } } comparisons { variant lift pValue significant } }
  history { previous status actor reason changedAt } } }`;
const CREATE = `mutation Create($input: CreateCampaignInput!) {
  createCampaign(input: $input) { campaign { id } errors { code message field } } }`;

// What an operator can do in each status: (mutation, button).
const ACTIONS: Record<string, [string, string][]> = {
  DRAFT: [["publishCampaign", "Publish"], ["cancelCampaign", "Cancel"]],
  SCHEDULED: [["pauseCampaign", "Pause"], ["cancelCampaign", "Cancel"]],
  PREHEAT: [["pauseCampaign", "Pause"], ["cancelCampaign", "Cancel"]],
  LIVE: [["pauseCampaign", "Pause"], ["endCampaign", "End now"]],
  PAUSED: [["resumeCampaign", "Resume"], ["endCampaign", "End now"]],
  ENDED: [["settleCampaign", "Settle"]],
};

function CampaignActions({ campaign, onMoved }: { campaign: Detail; onMoved: () => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const actions = ACTIONS[campaign.status] ?? [];
  if (actions.length === 0) return null;
  async function act(mutation: string) {
    setBusy(true);
    setProblem(null);
    try {
      await mutate(
        `mutation Act($input: CampaignActionInput!) { ${mutation}(input: $input) {
          campaign { id status } errors { code message field } } }`,
        { input: { campaignId: campaign.id } },
      );
      onMoved();
    } catch (error) {
      setProblem(describe(error));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="actions" role="group" aria-label="Campaign actions">
      {actions.map(([mutation, label]) => (
        <button
          key={mutation}
          disabled={busy}
          className={mutation === "cancelCampaign" ? "danger" : undefined}
          onClick={() => act(mutation)}
        >
          {label}
        </button>
      ))}
      <Problem message={problem} />
    </div>
  );
}

function CampaignDetail({ id, onMoved }: { id: string; onMoved: () => void }) {
  const [round, setRound] = useState(0);
  const found = useLoaded(() => query<{ campaign: Detail }>(DETAIL, { id }), `${id}:${round}`);
  const campaign = found.data?.campaign;
  if (!campaign) return <Loading when={found.loading} />;
  const figures = campaign.figures;
  const intervals: Interval[] = (campaign.experiment?.variants ?? []).flatMap((variant) => [
    { label: `${variant.name}: checked in`, ...variant.conversion },
    { label: `${variant.name}: day-1 retention`, ...variant.retentionD1 },
    { label: `${variant.name}: day-7 retention`, ...variant.retentionD7 },
  ]);
  const spent = campaign.budgetPoints ? campaign.budgetSpent / campaign.budgetPoints : null;
  return (
    <section className="detail" aria-label={`Campaign ${campaign.name}`}>
      <h2>
        {campaign.name} <span className={`status s-${campaign.status}`}>{campaign.status}</span>
      </h2>
      <p>{campaign.description}</p>
      <p>
        {formatDate(campaign.startsAt)} to {formatDate(campaign.endsAt)}
      </p>
      <CampaignActions
        campaign={campaign}
        onMoved={() => {
          setRound((n) => n + 1);
          onMoved();
        }}
      />
      {campaign.budgetPoints !== null && (
        <div className="budget">
          <label htmlFor={`budget-${campaign.id}`}>
            Budget: {formatNumber(campaign.budgetSpent)} of {formatNumber(campaign.budgetPoints)}{" "}
            points spent
          </label>
          <progress id={`budget-${campaign.id}`} max={1} value={Math.min(1, spent ?? 0)} />
        </div>
      )}
      <section className="tiles" aria-label="Campaign figures">
        <Tile label="Participants" value={formatNumber(figures.participants)} />
        <Tile label="Points issued" value={formatNumber(figures.pointsIssued)} />
        <Tile label="Prizes paid" value={formatNumber(figures.prizesPaid)} />
        <Tile label="Orders" value={formatNumber(figures.orders)} />
        <Tile label="Order value" value={formatNumber(figures.orderValue)} />
        <Tile
          label="Cost per participant"
          value={figures.costPerParticipant === null ? "n/a" : figures.costPerParticipant.toFixed(1)}
        />
        <Tile
          label="Cost per order"
          value={figures.costPerOrder === null ? "n/a" : figures.costPerOrder.toFixed(1)}
        />
      </section>
      {campaign.ranking.length > 0 && (
        <Table
          caption="Ranking"
          columns={["Rank", "Nickname", "Score"]}
          rows={campaign.ranking.map((entry) => ({
            key: `${entry.rank}:${entry.nickname}`,
            cells: [entry.rank, entry.nickname, formatNumber(entry.score)],
          }))}
        />
      )}
      {campaign.experiment && (
        <>
          <IntervalChart title="A/B test: rates per variant, 95% intervals" intervals={intervals} />
          <ul className="comparisons">
            {campaign.experiment.comparisons.map((comparison) => (
              <li key={comparison.variant}>
                {comparison.variant}: lift{" "}
                {comparison.lift === null ? "n/a" : `${(comparison.lift * 100).toFixed(1)}%`}, p ={" "}
                {comparison.pValue === null ? "n/a" : comparison.pValue.toFixed(3)}{" "}
                {comparison.significant ? "(significant)" : "(not significant)"}
              </li>
            ))}
          </ul>
        </>
      )}
      <details>
        <summary>History</summary>
        <ul>
          {campaign.history.map((move) => (
            <li key={move.changedAt + move.status}>
              {formatDate(move.changedAt)}: {move.previous} → {move.status} by {move.actor}
              {move.reason ? ` (${move.reason})` : ""}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function NewCampaign({ onCreated }: { onCreated: (id: string) => void }) {
  const now = new Date();
  return (
    <details className="new">
      <summary>New campaign</summary>
      <ActionForm
        label="New campaign"
        submit="Create draft"
        done="Draft created."
        act={async (form) => {
          const mechanic = text(form, "mechanic");
          const percentage = Number(text(form, "percent") || "200");
          const budget = text(form, "budget");
          const made = await mutate<{ campaign: { id: string } }>(CREATE, {
            input: {
              name: text(form, "name"),
              description: text(form, "description"),
              startsAt: moment(form, "startsAt"),
              endsAt: moment(form, "endsAt"),
              budgetPoints: budget ? Number(budget) : null,
              mechanics:
                mechanic === "earnMultiplier"
                  ? [{ earnMultiplier: { percent: percentage } }]
                  : mechanic === "spendDiscount"
                    ? [{ spendDiscount: { percent: percentage } }]
                    : [],
            },
          });
          onCreated(made.campaign.id);
        }}
      >
        <Field label="Name" name="name" required />
        <Field label="Description" name="description" />
        <Field label="Starts (UTC)" name="startsAt" type="datetime-local" required defaultValue={localInput(now)} />
        <Field
          label="Ends (UTC)"
          name="endsAt"
          type="datetime-local"
          required
          defaultValue={localInput(new Date(now.getTime() + 7 * 86_400_000))}
        />
        <Field label="Budget (points)" name="budget" type="number" min={1} />
        <Field label="Mechanic" name="mechanic" defaultValue="earnMultiplier">
          <option value="earnMultiplier">Earn multiplier</option>
          <option value="spendDiscount">Spend discount</option>
          <option value="none">None</option>
        </Field>
        <Field label="Percent" name="percent" type="number" min={1} defaultValue={200} />
      </ActionForm>
    </details>
  );
}

export function Campaigns() {
  const [status, setStatus] = useState("");
  const [chosen, setChosen] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const list = useLoaded(
    () => query<{ campaigns: Listed[] }>(LIST, { status: status || null }),
    `${status}:${round}`,
  );
  return (
    <div className="split">
      <section aria-label="Campaign list">
        <Filter
          label="Status"
          value={status}
          options={[["", "Any"], ...STATUSES.map((s): [string, string] => [s, s])]}
          onChange={setStatus}
        />
        <NewCampaign
          onCreated={(id) => {
            setStatus("");
            setRound((n) => n + 1);
            setChosen(id);
          }}
        />
        <Problem message={list.error} />
        <ul className="list">
          {(list.data?.campaigns ?? []).map((campaign) => (
            <li key={campaign.id}>
              <button
                className="row"
                aria-pressed={chosen === campaign.id}
                onClick={() => setChosen(campaign.id)}
              >
                <span>{campaign.name}</span>
                <span className={`status s-${campaign.status}`}>{campaign.status}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      {chosen ? (
        <CampaignDetail key={chosen} id={chosen} onMoved={() => setRound((n) => n + 1)} />
      ) : (
        <p>Choose a campaign to see its figures.</p>
      )}
    </div>
  );
}
