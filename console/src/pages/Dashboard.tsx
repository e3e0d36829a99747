import { useState } from "react";
import { formatNumber, percent, query } from "../api";
import { SeriesChart } from "../charts";
import { useLoaded } from "../hooks";
import { Filter, Loading, Problem, Tile } from "../ui";

type Period = {
  startsOn: string;
  issued: number;
  redeemed: number;
  expired: number;
  liability: number;
  breakageRate: number | null;
  consumptionRate: number | null;
  earners: number;
  redeemers: number;
  averageOrderValueOfPointUsers: number | null;
  averageOrderValueOfOthers: number | null;
  retentionOfEarners: number | null;
  retentionOfOthers: number | null;
};

type Figures = {
  programMetrics: Period[];
  segmentFigures: {
    sizes: { segment: string; users: number }[];
    tierSizes: { tier: string; users: number }[];
    rfmSizes: { segment: string | null; users: number }[];
  };
};

const DASHBOARD = `query Dashboard($since: Date!, $until: Date!, $interval: Interval!) {
  programMetrics(since: $since, until: $until, interval: $interval) {
    startsOn issued redeemed expired liability breakageRate consumptionRate earners redeemers
    averageOrderValueOfPointUsers averageOrderValueOfOthers retentionOfEarners retentionOfOthers
  }
  segmentFigures { sizes { segment users } tierSizes { tier users } rfmSizes { segment users } }
}`;

const RANGES = {
  year: { label: "The last 12 months, by month", interval: "MONTH", days: 334 },
  quarter: { label: "The last 13 weeks, by week", interval: "WEEK", days: 84 },
  month: { label: "The last 30 days, by day", interval: "DAY", days: 29 },
} as const;
type Range = keyof typeof RANGES;

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function label(startsOn: string, interval: string): string {
  const date = new Date(`${startsOn}T00:00:00Z`);
  if (interval === "MONTH")
    return date.toLocaleDateString("en-GB", { month: "short", year: "2-digit", timeZone: "UTC" });
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

export function Dashboard() {
  const [range, setRange] = useState<Range>("year");
  const chosen = RANGES[range];
  const until = new Date();
  const since = new Date(until.getTime() - chosen.days * 86_400_000);
  if (chosen.interval === "MONTH") since.setUTCDate(1);
  const figures = useLoaded(
    () =>
      query<Figures>(DASHBOARD, {
        since: day(since),
        until: day(until),
        interval: chosen.interval,
      }),
    range,
  );
  const periods = figures.data?.programMetrics ?? [];
  const labels = periods.map((period) => label(period.startsOn, chosen.interval));
  const total = (pick: (period: Period) => number) =>
    periods.reduce((sum, period) => sum + pick(period), 0);
  const issued = total((period) => period.issued);
  const sizes = figures.data?.segmentFigures;
  return (
    <>
      <Filter
        label="Period"
        value={range}
        options={Object.entries(RANGES).map(([key, value]): [string, string] => [key, value.label])}
        onChange={(chosen) => setRange(chosen as Range)}
      />
      <Problem message={figures.error} />
      <Loading when={figures.loading && !figures.data} />
      {figures.data && (
        <>
          <section className="tiles" aria-label="Totals over the period">
            <Tile label="Points issued" value={formatNumber(issued)} />
            <Tile label="Redeemed" value={formatNumber(total((p) => p.redeemed))} />
            <Tile label="Expired" value={formatNumber(total((p) => p.expired))} />
            <Tile
              label="Outstanding liability"
              value={formatNumber(periods.at(-1)?.liability ?? 0)}
            />
            <Tile
              label="Breakage rate"
              value={percent(issued ? total((p) => p.expired) / issued : null)}
            />
            <Tile
              label="Consumption rate"
              value={percent(issued ? total((p) => p.redeemed) / issued : null)}
            />
          </section>
          <div className="grid">
            <SeriesChart
              title="Points issued, redeemed and expired"
              categories={labels}
              series={[
                { name: "Issued", kind: "bar", values: periods.map((p) => p.issued) },
                { name: "Redeemed", kind: "bar", values: periods.map((p) => p.redeemed) },
                { name: "Expired", kind: "bar", values: periods.map((p) => p.expired) },
              ]}
            />
            <SeriesChart
              title="Outstanding liability (points)"
              categories={labels}
              series={[
                { name: "Liability", area: true, values: periods.map((p) => p.liability) },
              ]}
            />
            <SeriesChart
              title="Breakage and consumption rates"
              unit="percent"
              categories={labels}
              series={[
                { name: "Breakage", values: periods.map((p) => p.breakageRate) },
                { name: "Consumption", values: periods.map((p) => p.consumptionRate) },
              ]}
            />
            <SeriesChart
              title="Earners and redeemers"
              unit="users"
              categories={labels}
              series={[
                { name: "Earners", values: periods.map((p) => p.earners) },
                { name: "Redeemers", values: periods.map((p) => p.redeemers) },
              ]}
            />
            <SeriesChart
              title="Average order value: point users and others"
              unit="money"
              categories={labels}
              series={[
                {
                  name: "Point users",
                  values: periods.map((p) => p.averageOrderValueOfPointUsers),
                },
                { name: "Others", values: periods.map((p) => p.averageOrderValueOfOthers) },
              ]}
            />
            {chosen.interval === "MONTH" && (
              <SeriesChart
                title="Next-month retention: earners and others"
                unit="percent"
                categories={labels}
                series={[
                  { name: "Earners", values: periods.map((p) => p.retentionOfEarners) },
                  { name: "Others", values: periods.map((p) => p.retentionOfOthers) },
                ]}
              />
            )}
            {sizes && (
              <>
                <SeriesChart
                  title="Members by tier"
                  unit="users"
                  categories={sizes.tierSizes.map((size) => size.tier)}
                  series={[
                    { name: "Users", kind: "bar", values: sizes.tierSizes.map((s) => s.users) },
                  ]}
                />
                <SeriesChart
                  title="Members by RFM segment"
                  unit="users"
                  categories={sizes.rfmSizes.map((size) => size.segment ?? "no order in a year")}
                  series={[
                    { name: "Users", kind: "bar", values: sizes.rfmSizes.map((s) => s.users) },
                  ]}
                />
                <SeriesChart
                  title="Members by lifecycle segment"
                  unit="users"
                  categories={sizes.sizes.map((size) => size.segment)}
                  series={[{ name: "Users", kind: "bar", values: sizes.sizes.map((s) => s.users) }]}
                />
              </>
            )}
          </div>
        </>
      )}
    </>
  );
}
