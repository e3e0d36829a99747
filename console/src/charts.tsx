// Plots drawn by ECharts as SVG, each with its figures in a table beside it (for screen
// readers, for copying, and for the browser tests that check what was drawn).
import { BarChart, CustomChart, LineChart } from "echarts/charts";
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams } from "echarts";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([
  BarChart,
  LineChart,
  CustomChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  AriaComponent,
  SVGRenderer,
]);

const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#9d174d", "#6d28d9", "#0f766e"];

function Plot({ option, height }: { option: echarts.EChartsCoreOption; height: number }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = echarts.init(element.current!, undefined, { renderer: "svg" });
    const resize = () => chart.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, []);
  useEffect(() => {
    const chart = echarts.getInstanceByDom(element.current!);
    chart?.setOption(
      { color: PALETTE, animation: false, aria: { enabled: true }, ...option },
      true,
    );
  }, [option]);
  return <div ref={element} className="plot" style={{ height }} aria-hidden="false" />;
}

export type Series = {
  name: string;
  values: (number | null)[];
  kind?: "line" | "bar";
  stack?: string;
  area?: boolean;
};

type SeriesChartProps = {
  title: string;
  categories: string[];
  series: Series[];
  unit?: "points" | "percent" | "users" | "money";
  height?: number;
};

function shown(value: number | null, unit: SeriesChartProps["unit"]): string {
  if (value === null) return "n/a";
  if (unit === "percent") return `${(value * 100).toFixed(1)}%`;
  if (unit === "money") return (value / 100).toFixed(2); // minor units
  return new Intl.NumberFormat("en-GB").format(value);
}

/** Lines or bars over periods, with the figures in a table. */
export function SeriesChart({ title, categories, series, unit, height = 240 }: SeriesChartProps) {
  const option = {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 36, bottom: 28, containLabel: true },
    xAxis: {
      type: "category",
      data: categories,
      // a few named categories (tiers, segments): every name shown, slanted if many
      axisLabel: categories.length <= 12 && series.every((line) => line.kind === "bar")
        ? { interval: 0, rotate: categories.length > 5 ? 20 : 0 }
        : {},
    },
    yAxis: {
      type: "value",
      axisLabel:
        unit === "percent"
          ? { formatter: (v: number) => `${Math.round(v * 100)}%` }
          : unit === "money"
            ? { formatter: (v: number) => (v / 100).toFixed(0) }
            : {},
    },
    series: series.map((line) => ({
      name: line.name,
      type: line.kind ?? "line",
      stack: line.stack,
      data: line.values,
      areaStyle: line.area ? { opacity: 0.15 } : undefined,
      showSymbol: categories.length < 40,
    })),
  };
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <Plot option={option} height={height} />
      <details>
        <summary>Figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Period</th>
              {series.map((line) => (
                <th scope="col" key={line.name}>
                  {line.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {categories.map((category, row) => (
              <tr key={category}>
                <th scope="row">{category}</th>
                {series.map((line) => (
                  <td key={line.name}>{shown(line.values[row], unit)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export type Interval = { label: string; value: number; low: number; high: number };

/** Rates with their 95% confidence intervals, drawn as intervals (a bar with caps). */
export function IntervalChart({ title, intervals }: { title: string; intervals: Interval[] }) {
  const labels = intervals.map((interval) => interval.label);
  const option = {
    tooltip: {
      trigger: "item",
      formatter: (item: { dataIndex: number }) => {
        const found = intervals[item.dataIndex];
        return `${found.label}: ${(found.value * 100).toFixed(1)}% (${(found.low * 100).toFixed(1)}–${(found.high * 100).toFixed(1)}%)`;
      },
    },
    grid: { left: 150, right: 24, top: 12, bottom: 28 },
    yAxis: { type: "category", data: labels, inverse: true },
    xAxis: {
      type: "value",
      min: 0,
      max: 1,
      axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` },
    },
    series: [
      {
        type: "custom",
        name: "95% interval",
        data: intervals.map((interval, index) => [index, interval.low, interval.high, interval.value]),
        encode: { x: [1, 2, 3], y: 0 },
        renderItem: (_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI) => {
          const row = api.value(0);
          const [lowX, y] = api.coord([api.value(1), row]);
          const [highX] = api.coord([api.value(2), row]);
          const [valueX] = api.coord([api.value(3), row]);
          const half = 7;
          const style = { stroke: PALETTE[0], lineWidth: 2 };
          return {
            type: "group",
            children: [
              { type: "line", shape: { x1: lowX, y1: y, x2: highX, y2: y }, style },
              { type: "line", shape: { x1: lowX, y1: y - half, x2: lowX, y2: y + half }, style },
              { type: "line", shape: { x1: highX, y1: y - half, x2: highX, y2: y + half }, style },
              {
                type: "circle",
                shape: { cx: valueX, cy: y, r: 5 },
                style: { fill: PALETTE[1] },
              },
            ],
          };
        },
      },
    ],
  };
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <Plot option={option} height={Math.max(120, 44 * intervals.length + 40)} />
      <details>
        <summary>Figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Variant, measure</th>
              <th scope="col">Rate</th>
              <th scope="col">95% interval</th>
            </tr>
          </thead>
          <tbody>
            {intervals.map((interval) => (
              <tr key={interval.label}>
                <th scope="row">{interval.label}</th>
                <td>{(interval.value * 100).toFixed(1)}%</td>
                <td>
                  {(interval.low * 100).toFixed(1)}–{(interval.high * 100).toFixed(1)}%
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
