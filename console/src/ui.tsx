// Small pieces every page uses.
import { useId, useState, type ReactNode } from "react";
import { describe } from "./api";

export function Problem({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="error">
      {message}
    </p>
  ) : null;
}

export function Loading({ when }: { when: boolean }) {
  return when ? <p aria-live="polite">Loading…</p> : null;
}

export function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div className="tile">
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
    </div>
  );
}

/** A form whose submission runs `act`; shows its error, or `done` after it worked. */
export function ActionForm({
  label,
  act,
  children,
  submit,
  done,
}: {
  label: string;
  act: (form: FormData) => Promise<unknown>;
  children: ReactNode;
  submit: string;
  done?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <form
      aria-label={label}
      className="action-form"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = event.currentTarget;
        setBusy(true);
        setProblem(null);
        setMessage(null);
        try {
          await act(new FormData(form));
          setMessage(done ?? "Done.");
          form.reset();
        } catch (error) {
          setProblem(describe(error));
        } finally {
          setBusy(false);
        }
      }}
    >
      {children}
      <button type="submit" disabled={busy}>
        {submit}
      </button>
      <Problem message={problem} />
      {message && (
        <p role="status" className="ok">
          {message}
        </p>
      )}
    </form>
  );
}

export function Field({
  label,
  name,
  type = "text",
  required = false,
  defaultValue,
  min,
  children,
}: {
  label: string;
  name: string;
  type?: string;
  required?: boolean;
  defaultValue?: string | number;
  min?: number;
  children?: ReactNode;
}) {
  const id = useId(); // unique: a page may hold several forms with a "Reason"
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children ? (
        <select id={id} name={name} required={required} defaultValue={defaultValue}>
          {children}
        </select>
      ) : (
        <input
          id={id}
          name={name}
          type={type}
          required={required}
          defaultValue={defaultValue}
          min={min}
        />
      )}
    </div>
  );
}

export function text(form: FormData, name: string): string {
  return String(form.get(name) ?? "").trim();
}

export function optionalNumber(form: FormData, name: string): number | null {
  const value = text(form, name);
  return value === "" ? null : Number(value);
}

/** A datetime-local input's value (read as UTC) as an ISO moment, or null. */
export function moment(form: FormData, name: string): string | null {
  const value = text(form, name);
  return value === "" ? null : new Date(`${value}:00Z`).toISOString();
}

export function localInput(date: Date): string {
  return date.toISOString().slice(0, 16);
}

/** A fresh key for one operator action (works outside secure contexts too). */
export function idempotencyKey(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A captioned table: a header row of `columns`, then `rows` (one key each). */
export function Table({
  caption,
  columns,
  rows,
  wide = false,
}: {
  caption: string;
  columns: string[];
  rows: { key: string; cells: ReactNode[] }[];
  wide?: boolean;
}) {
  return (
    <table className={wide ? "wide" : undefined}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            {row.cells.map((cell, index) => (
              <td key={index}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A labelled choice above a view: `options` as [value, text]. */
export function Filter({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="toolbar">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {options.map(([option, shown]) => (
          <option key={option} value={option}>
            {shown}
          </option>
        ))}
      </select>
    </div>
  );
}
