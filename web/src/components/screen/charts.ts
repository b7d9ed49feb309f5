// The screen's charts as ECharts options, built from the API's numbers alone (so they can be
// tested without a browser). Every chart has ECharts' aria description on, series that differ
// by shape as well as colour (bars and a line with diamonds), and a table beside it (ChartCard)
// for screen readers.

import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts'
import type {
  AriaComponentOption,
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
} from 'echarts/components'

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | AriaComponentOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>

/** Colours of one theme; every one of them ≥ 4.5:1 (text) or ≥ 3:1 (marks) on `paper`. */
export interface Palette {
  paper: string
  ink: string
  soft: string
  rule: string
  reported: string
  closed: string
  kinds: string
}

export const LIGHT: Palette = {
  paper: '#ffffff',
  ink: '#1a1a1a',
  soft: '#4a4a4a',
  rule: '#d5d9df',
  reported: '#0b57a4',
  closed: '#1d6b32',
  kinds: '#a8231b',
}

export const DARK: Palette = {
  paper: '#0f1c2e',
  ink: '#f2f5f9',
  soft: '#b8c4d4',
  rule: '#2c3e57',
  reported: '#5fb3ff',
  closed: '#5fd08a',
  kinds: '#ffb35c',
}

export interface Day {
  /** YYYY-MM-DD */
  day: string
  reported: number
  closed: number
}

export interface Kind {
  subclass: string
  name: string
  count: number
}

interface Labels {
  reported: string
  closed: string
  cases: string
}

function base(p: Palette, fontSize: number) {
  return {
    backgroundColor: 'transparent',
    textStyle: { color: p.ink, fontSize, fontFamily: 'inherit' },
    animation: false,
    aria: { enabled: true },
    tooltip: { trigger: 'axis' as const, backgroundColor: p.paper, borderColor: p.rule, textStyle: { color: p.ink } },
  }
}

/** Cases reported (bars) and closed (line) per day. */
export function perDayOption(days: Day[], labels: Labels, p: Palette, fontSize = 14): ChartOption {
  return {
    ...base(p, fontSize),
    legend: { top: 0, textStyle: { color: p.ink, fontSize } },
    grid: { left: 8, right: 16, top: fontSize * 2.4, bottom: 8, containLabel: true },
    xAxis: {
      type: 'category',
      data: days.map((d) => d.day.slice(5)),
      // A label a week, the last day always among them.
      axisLabel: { color: p.soft, fontSize: fontSize * 0.9, interval: (i: number) => (days.length - 1 - i) % 7 === 0 },
      axisLine: { lineStyle: { color: p.soft } },
    },
    yAxis: {
      type: 'value',
      name: labels.cases,
      nameTextStyle: { color: p.soft, fontSize: fontSize * 0.9 },
      minInterval: 1,
      axisLabel: { color: p.soft, fontSize: fontSize * 0.9 },
      splitLine: { lineStyle: { color: p.rule } },
    },
    series: [
      { name: labels.reported, type: 'bar', data: days.map((d) => d.reported), itemStyle: { color: p.reported }, barMaxWidth: 18 },
      {
        name: labels.closed,
        type: 'line',
        data: days.map((d) => d.closed),
        itemStyle: { color: p.closed },
        lineStyle: { width: 3 },
        symbol: 'diamond',
        symbolSize: 7,
      },
    ],
  }
}

/** The most frequent kinds of problem, largest on top. */
export function topKindsOption(kinds: Kind[], labels: Labels, p: Palette, fontSize = 14): ChartOption {
  const ordered = [...kinds].reverse()
  return {
    ...base(p, fontSize),
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    xAxis: {
      type: 'value',
      minInterval: 1,
      axisLabel: { color: p.soft, fontSize: fontSize * 0.9 },
      splitLine: { lineStyle: { color: p.rule } },
    },
    yAxis: {
      type: 'category',
      data: ordered.map((k) => k.name),
      // Long names (in English above all) are cut short; the table beside the chart has them whole.
      axisLabel: { color: p.ink, fontSize: fontSize * 0.9, width: fontSize * 8, overflow: 'truncate' },
      axisLine: { lineStyle: { color: p.soft } },
    },
    series: [
      {
        name: labels.cases,
        type: 'bar',
        data: ordered.map((k) => k.count),
        itemStyle: { color: p.kinds },
        barMaxWidth: 16,
        label: { show: true, position: 'right', color: p.ink, fontSize: fontSize * 0.9 },
      },
    ],
  }
}

/** The last `n` days ending `today` (YYYY-MM-DD), with the API's rows where it has them, zero elsewhere. */
export function lastDays(rows: Day[], today: string, n = 30): Day[] {
  const byDay = new Map(rows.map((r) => [r.day, r]))
  const end = Date.parse(`${today}T00:00:00Z`)
  return Array.from({ length: n }, (_, i) => {
    const day = new Date(end - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10)
    return byDay.get(day) ?? { day, reported: 0, closed: 0 }
  })
}
