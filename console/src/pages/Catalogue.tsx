import { useState } from "react";
import { formatDate, formatNumber, mutate, query } from "../api";
import { useLoaded } from "../hooks";
import {
  ActionForm,
  Field,
  Filter,
  Loading,
  Problem,
  idempotencyKey,
  moment,
  optionalNumber,
  text,
} from "../ui";

type Item = {
  id: string;
  title: string;
  kind: string;
  category: string;
  pricePoints: number;
  stock: number | null;
  remainingStock: number | null;
  saleStartsAt: string | null;
  saleEndsAt: string | null;
  saleRecurrence: string;
  audienceId: string | null;
  highValue: boolean;
  status: string;
};
type Audience = { id: string; name: string };

const ITEM = `id title kind category pricePoints stock remainingStock saleStartsAt saleEndsAt
  saleRecurrence audienceId highValue status`;
const CATALOGUE = `query Catalogue($status: ItemStatus) {
  items(first: 100, status: $status) { edges { node { ${ITEM} } } }
  audiences { id name } }`;
const PAYLOAD = `item { id } errors { code message field }`;
const CREATE = `mutation CreateItem($input: CreateItemInput!) { createItem(input: $input) { ${PAYLOAD} } }`;
const UPDATE = `mutation UpdateItem($input: UpdateItemInput!) { updateItem(input: $input) { ${PAYLOAD} } }`;
const RESTOCK = `mutation Restock($input: RestockItemInput!) { restockItem(input: $input) { ${PAYLOAD} } }`;
const ARCHIVE = `mutation Archive($input: ArchiveItemInput!) { archiveItem(input: $input) { ${PAYLOAD} } }`;

function AudienceField({ audiences, value }: { audiences: Audience[]; value?: string | null }) {
  return (
    <Field label="Audience" name="audienceId" defaultValue={value ?? ""}>
      <option value="">Everyone</option>
      {audiences.map((audience) => (
        <option key={audience.id} value={audience.id}>
          {audience.name}
        </option>
      ))}
    </Field>
  );
}

function ItemRow({ item, audiences, onChanged }: { item: Item; audiences: Audience[]; onChanged: () => void }) {
  const audience = audiences.find((candidate) => candidate.id === item.audienceId);
  return (
    <tr>
      <th scope="row">{item.title}</th>
      <td>{item.kind}</td>
      <td>{item.category}</td>
      <td>{formatNumber(item.pricePoints)}</td>
      <td>
        {item.stock === null ? "unlimited" : `${formatNumber(item.remainingStock ?? 0)} of ${formatNumber(item.stock)}`}
      </td>
      <td>
        {item.saleStartsAt
          ? `${formatDate(item.saleStartsAt)} to ${formatDate(item.saleEndsAt)}${item.saleRecurrence !== "NONE" ? ` (${item.saleRecurrence.toLowerCase()})` : ""}`
          : "always"}
      </td>
      <td>{audience?.name ?? "everyone"}</td>
      <td>
        <span className={`status s-${item.status}`}>{item.status}</span>
        {item.highValue && <span className="badge">reviewed</span>}
      </td>
      <td>
        <details>
          <summary>Edit</summary>
          <ActionForm
            label={`Edit ${item.title}`}
            submit="Save"
            done="Saved."
            act={async (form) => {
              await mutate(UPDATE, {
                input: {
                  itemId: item.id,
                  title: text(form, "title"),
                  pricePoints: Number(text(form, "pricePoints")),
                  status: text(form, "status"),
                  audienceId: text(form, "audienceId") || null,
                },
              });
              onChanged();
            }}
          >
            <Field label="Title" name="title" required defaultValue={item.title} />
            <Field label="Price (points)" name="pricePoints" type="number" min={1} required defaultValue={item.pricePoints} />
            <Field label="Status" name="status" defaultValue={item.status}>
              <option>DRAFT</option>
              <option>ACTIVE</option>
            </Field>
            <AudienceField audiences={audiences} value={item.audienceId} />
          </ActionForm>
          {item.stock !== null && (
            <ActionForm
              label={`Restock ${item.title}`}
              submit="Restock"
              done="Restocked."
              act={async (form) => {
                await mutate(RESTOCK, {
                  input: {
                    itemId: item.id,
                    quantity: Number(text(form, "quantity")),
                    idempotencyKey: idempotencyKey("restock"),
                  },
                });
                onChanged();
              }}
            >
              <Field label="Units to add" name="quantity" type="number" min={1} required />
            </ActionForm>
          )}
          {item.status !== "ARCHIVED" && (
            <ActionForm
              label={`Archive ${item.title}`}
              submit="Archive"
              done="Archived."
              act={async () => {
                await mutate(ARCHIVE, { input: { itemId: item.id } });
                onChanged();
              }}
            >
              <p className="hint">Archived items leave the mall; redemptions made stay.</p>
            </ActionForm>
          )}
        </details>
      </td>
    </tr>
  );
}

export function Catalogue() {
  const [status, setStatus] = useState("ACTIVE");
  const [round, setRound] = useState(0);
  const found = useLoaded(
    () =>
      query<{ items: { edges: { node: Item }[] }; audiences: Audience[] }>(CATALOGUE, {
        status: status || null,
      }),
    `${status}:${round}`,
  );
  const audiences = found.data?.audiences ?? [];
  const changed = () => setRound((n) => n + 1);
  return (
    <>
      <Filter
        label="Status"
        value={status}
        options={[["", "Any"], ["DRAFT", "DRAFT"], ["ACTIVE", "ACTIVE"], ["ARCHIVED", "ARCHIVED"]]}
        onChange={setStatus}
      />
      <details className="new">
        <summary>New item</summary>
        <ActionForm
          label="New item"
          submit="Create item"
          done="Item created."
          act={async (form) => {
            const kind = text(form, "kind");
            await mutate(CREATE, {
              input: {
                kind,
                title: text(form, "title"),
                category: text(form, "category"),
                pricePoints: Number(text(form, "pricePoints")),
                stock: optionalNumber(form, "stock"),
                highValue: form.get("highValue") === "on",
                status: text(form, "status"),
                saleStartsAt: moment(form, "saleStartsAt"),
                saleEndsAt: moment(form, "saleEndsAt"),
                audienceId: text(form, "audienceId") || null,
                virtualRight:
                  kind === "VIRTUAL" ? { name: text(form, "title"), days: 30 } : null,
              },
            });
            changed();
          }}
        >
          <Field label="Kind" name="kind" defaultValue="PHYSICAL">
            <option>PHYSICAL</option>
            <option>SERVICE</option>
            <option value="VIRTUAL">VIRTUAL (a 30-day right)</option>
          </Field>
          <Field label="Title" name="title" required />
          <Field label="Category" name="category" required />
          <Field label="Price (points)" name="pricePoints" type="number" min={1} required />
          <Field label="Stock (empty: unlimited)" name="stock" type="number" min={0} />
          <Field label="Sale starts (UTC)" name="saleStartsAt" type="datetime-local" />
          <Field label="Sale ends (UTC)" name="saleEndsAt" type="datetime-local" />
          <Field label="Status" name="status" defaultValue="ACTIVE">
            <option>DRAFT</option>
            <option>ACTIVE</option>
          </Field>
          <AudienceField audiences={audiences} />
          <div className="field check">
            <input id="new-high-value" name="highValue" type="checkbox" />
            <label htmlFor="new-high-value">High value: redemptions wait for review</label>
          </div>
        </ActionForm>
      </details>
      <Problem message={found.error} />
      <Loading when={found.loading && !found.data} />
      {found.data && (
        <table className="wide">
          <caption>Items</caption>
          <thead>
            <tr>
              {["Title", "Kind", "Category", "Points", "Stock", "Sale window", "Audience", "Status", ""].map(
                (heading) => (
                  <th scope="col" key={heading}>
                    {heading}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {found.data.items.edges.map(({ node }) => (
              <ItemRow key={node.id} item={node} audiences={audiences} onChanged={changed} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
