import { useEffect, useState } from "react";
import { formatDate, formatNumber, mutate, query } from "../api";
import { useLoaded } from "../hooks";
import {
  ActionForm,
  Field,
  Loading,
  Problem,
  Table,
  Tile,
  idempotencyKey,
  moment,
  text,
} from "../ui";

type Account = {
  userId: string;
  nickname: string | null;
  frozen: boolean;
  segment: string;
  tier: { name: string };
  rfm: { segment: string; recency: number; frequency: number; monetary: number } | null;
  points: {
    balance: number;
    pending: number;
    held: number;
    owed: number;
    expiringSoon: { amount: number; expiresAt: string }[];
  };
  ledger: {
    edges: {
      node: { id: string; kind: string; amount: number; balanceAfter: number; reason: string | null; createdAt: string };
    }[];
  };
  redemptions: {
    edges: { node: { id: string; status: string; points: number; createdAt: string; item: { title: string } } }[];
  };
};
type Found = {
  account: Account | null;
  bans: { id: string; scopes: string[]; until: string; reason: string; liftedAt: string | null }[];
  riskCases: { id: string; rule: string; status: string; detail: string; createdAt: string }[];
};

const USER = `query User($userId: String!) {
  account(userId: $userId) { userId nickname frozen segment tier { name }
    rfm { segment recency frequency monetary }
    points { balance pending held owed expiringSoon(withinDays: 365) { amount expiresAt } }
    ledger(first: 20) { edges { node { id kind amount balanceAfter reason createdAt } } }
    redemptions(first: 20) { edges { node { id status points createdAt item { title } } } } }
  bans(userId: $userId) { id scopes until reason liftedAt }
  riskCases(userId: $userId, status: null) { id rule status detail createdAt } }`;
const ADJUST = `mutation Adjust($input: AdjustPointsInput!) { adjustPoints(input: $input) {
  entry { id } errors { code message field } } }`;
const FREEZE = `mutation Freeze($input: FreezeAccountInput!) { freezeAccount(input: $input) {
  account { frozen } errors { code message field } } }`;
const UNFREEZE = `mutation Unfreeze($input: UnfreezeAccountInput!) { unfreezeAccount(input: $input) {
  account { frozen } errors { code message field } } }`;
const BAN = `mutation Ban($input: BanUserInput!) { banUser(input: $input) {
  ban { id } errors { code message field } } }`;

function userInHash(): string {
  return new URLSearchParams(location.hash.split("?")[1] ?? "").get("user") ?? "";
}

function Profile({ userId }: { userId: string }) {
  const [round, setRound] = useState(0);
  const found = useLoaded(() => query<Found>(USER, { userId }), `${userId}:${round}`);
  const changed = () => setRound((n) => n + 1);
  if (found.error) return <Problem message={found.error} />;
  if (!found.data) return <Loading when />;
  const account = found.data.account;
  if (!account) return <p role="alert">No user {userId}.</p>;
  const points = account.points;
  return (
    <section aria-label={`User ${account.userId}`}>
      <h2>
        {account.nickname ?? account.userId} <span className="muted">({account.userId})</span>
        {account.frozen && <span className="status s-CANCELLED">FROZEN</span>}
      </h2>
      <section className="tiles" aria-label="Points">
        <Tile label="Balance" value={formatNumber(points.balance)} />
        <Tile label="Pending" value={formatNumber(points.pending)} />
        <Tile label="Held" value={formatNumber(points.held)} />
        <Tile label="Owed" value={formatNumber(points.owed)} />
        <Tile label="Tier" value={account.tier.name} />
        <Tile label="Segment" value={account.segment} />
        <Tile label="RFM" value={account.rfm ? account.rfm.segment : "n/a"} />
      </section>
      <div className="grid">
        <Table
          caption="Lots by expiry (the next year)"
          columns={["Points", "Expire"]}
          rows={points.expiringSoon.map((lot) => ({
            key: lot.expiresAt,
            cells: [formatNumber(lot.amount), formatDate(lot.expiresAt)],
          }))}
        />
        <Table
          caption="Redemptions"
          columns={["Item", "Points", "Status", "When"]}
          rows={account.redemptions.edges.map(({ node }) => ({
            key: node.id,
            cells: [
              node.item.title,
              formatNumber(node.points),
              <span className={`status s-${node.status}`}>{node.status}</span>,
              formatDate(node.createdAt),
            ],
          }))}
        />
      </div>
      <Table
        wide
        caption="Ledger (latest 20)"
        columns={["When", "Kind", "Points", "Balance after", "Reason"]}
        rows={account.ledger.edges.map(({ node }) => ({
          key: node.id,
          cells: [
            formatDate(node.createdAt),
            node.kind,
            formatNumber(node.amount),
            formatNumber(node.balanceAfter),
            node.reason,
          ],
        }))}
      />
      <div className="grid">
        <section aria-label="Risk cases and bans">
          <h3>Risk cases</h3>
          {found.data.riskCases.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul>
              {found.data.riskCases.map((riskCase) => (
                <li key={riskCase.id}>
                  {formatDate(riskCase.createdAt)} {riskCase.rule} ({riskCase.status}): {riskCase.detail}
                </li>
              ))}
            </ul>
          )}
          <h3>Bans</h3>
          {found.data.bans.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul>
              {found.data.bans.map((ban) => (
                <li key={ban.id}>
                  {ban.scopes.join(", ")} until {formatDate(ban.until)}: {ban.reason}
                  {ban.liftedAt ? ` (lifted ${formatDate(ban.liftedAt)})` : ""}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-label="Act on this user">
          <h3>Adjust points</h3>
          <ActionForm
            label="Adjust points"
            submit="Adjust"
            done="Adjusted."
            act={async (form) => {
              await mutate(ADJUST, {
                input: {
                  userId,
                  amount: Number(text(form, "amount")),
                  reason: text(form, "reason"),
                  idempotencyKey: idempotencyKey("adjust"),
                },
              });
              changed();
            }}
          >
            <Field label="Points (negative to take)" name="amount" type="number" required />
            <Field label="Reason" name="reason" required />
          </ActionForm>
          <h3>{account.frozen ? "Unfreeze" : "Freeze"}</h3>
          <ActionForm
            label={account.frozen ? "Unfreeze" : "Freeze"}
            submit={account.frozen ? "Unfreeze" : "Freeze"}
            act={async (form) => {
              await mutate(account.frozen ? UNFREEZE : FREEZE, {
                input: { userId, reason: text(form, "reason") },
              });
              changed();
            }}
          >
            <Field label="Reason" name="reason" required />
          </ActionForm>
          <h3>Ban</h3>
          <ActionForm
            label="Ban"
            submit="Ban"
            done="Banned."
            act={async (form) => {
              await mutate(BAN, {
                input: {
                  userId,
                  scopes: form.getAll("scopes").map(String),
                  until: moment(form, "until"),
                  reason: text(form, "reason"),
                },
              });
              changed();
            }}
          >
            <fieldset>
              <legend>From</legend>
              {["EARN", "REDEEM", "JOIN"].map((scope) => (
                <div className="field check" key={scope}>
                  <input id={`scope-${scope}`} type="checkbox" name="scopes" value={scope} defaultChecked />
                  <label htmlFor={`scope-${scope}`}>{scope.toLowerCase()}</label>
                </div>
              ))}
            </fieldset>
            <Field
              label="Until (UTC)"
              name="until"
              type="datetime-local"
              required
              defaultValue={new Date(Date.now() + 182 * 86_400_000).toISOString().slice(0, 16)}
            />
            <Field label="Reason" name="reason" required />
          </ActionForm>
        </section>
      </div>
    </section>
  );
}

export function Users() {
  const [userId, setUserId] = useState(userInHash());
  const [shown, setShown] = useState(userInHash());
  useEffect(() => {
    const follow = () => {
      setUserId(userInHash());
      setShown(userInHash());
    };
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return (
    <>
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          location.hash = `#/users?user=${encodeURIComponent(userId.trim())}`;
        }}
      >
        <label htmlFor="user-id">User id</label>
        <input id="user-id" value={userId} onChange={(event) => setUserId(event.target.value)} required />
        <button type="submit">Find</button>
      </form>
      {shown && <Profile key={shown} userId={shown} />}
    </>
  );
}
