import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from '../src/measurement.js';
import { scenarioChart } from '../src/report/chart.js';
import { formatNumber, formatRatio } from '../src/report/format.js';
import { appendResults, resultsEntry } from '../src/report/results-file.js';
import { barChart, escapeXml, lineChart, logTicks, niceTicks, svgDocument } from '../src/report/svg.js';
import { markdownTable, textTable } from '../src/report/table.js';
import { atLeastTimes, atMostTimes, below, memoryTarget, ratioInfo, scenarioResult, systemResult, type ScenarioResult } from '../src/results.js';
import { integrityLines, targetLines } from '../src/report/format.js';

function measurement(system: string, phase: 'throughput' | 'latency', f: { rate?: number; p99?: number; rss?: number; growth?: number; cpu?: number; errors?: string[] }): Measurement {
  return {
    system,
    phase,
    messages: 1000,
    groups: 1,
    instances: 1,
    sizeBytes: 100,
    seconds: 1,
    msgsPerSec: f.rate,
    mbPerSec: f.rate === undefined ? undefined : (f.rate * 100) / 1e6,
    latency: f.p99 === undefined ? undefined : { count: 1000, p50: f.p99 / 2, p99: f.p99, p999: f.p99 * 1.5, max: f.p99 * 2, mean: f.p99 / 2 },
    peakRssMB: f.rss,
    rssGrowthMB: f.growth,
    cpuSecPerM: f.cpu,
    cores: { workers: 0.5, broker: 0.1, harness: 0.3, machine: 1 },
    duplicates: 0,
    missing: 0,
    series: f.rate === undefined ? [] : [
      [0.5, 1000],
      [1, 1200],
    ],
    rssSeries: [],
    errors: f.errors ?? [],
    notes: [],
  };
}

function result(): ScenarioResult {
  const raw = systemResult(
    { id: 'raw', label: 'raw node-rdkafka', baseline: true },
    [measurement('raw', 'throughput', { rate: 100_000, p99: 200, rss: 100, cpu: 5 }), measurement('raw', 'throughput', { rate: 120_000, p99: 220, rss: 110, cpu: 7 })],
    [measurement('raw', 'latency', { p99: 20 })],
  );
  const seda = systemResult(
    { id: 'seda', label: 'seda' },
    [measurement('seda', 'throughput', { rate: 99_000, p99: 180, rss: 200, growth: 10, cpu: 6 }), measurement('seda', 'throughput', { rate: 99_000, p99: 240, rss: 220, growth: 50, cpu: 6 })],
    [measurement('seda', 'latency', { p99: 30 })],
  );
  const failed = systemResult({ id: 'kafkajs', label: 'KafkaJS' }, [measurement('kafkajs', 'throughput', { errors: ['kafkajs: cannot connect'] })], []);
  return scenarioResult(
    {
      scenario: 'passthrough',
      description: 'consume -> identity -> produce',
      date: '2026-01-02T03:04:05.000Z',
      machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 8, os: 'Linux', node: 'v20' },
      commit: { commit: 'abc1234', dirty: false },
      options: { messages: 1000, warmup: 100, size: 100, partitions: 8, rate: 10_000, rateSeconds: 10, maxLead: 20_000, meters: 10, kafka: {}, quick: true },
      runs: 2,
      systems: [raw, seda, failed],
      notes: ['a note'],
    },
    [
      atLeastTimes('seda >= 0.9x raw', 'seda', 'raw', 'msgsPerSec', 0.9),
      below('seda p99 < 50 ms', 'seda', 'rateP99', 50, 'ms'),
      memoryTarget('seda memory', 'seda', 300, 30),
      atLeastTimes('seda >= 2x KafkaJS', 'seda', 'kafkajs', 'msgsPerSec', 2),
    ],
  );
}

describe('bench results and reports', () => {
  it('says a system that was not measured, and why, in its integrity line and in the targets on it; prints cost ratios and [info] lines', () => {
    const base = result();
    const peer = systemResult({ id: 'peer', label: 'a peer' }, [{ ...measurement('peer', 'throughput', {}), notMeasured: 'not installed: run "npm run bench:peers"' }], []);
    const r = scenarioResult({ ...base, systems: [...base.systems, peer] }, [
      atLeastTimes('seda ahead of a peer', 'seda', 'peer', 'msgsPerSec', 1),
      atMostTimes('CPU seda / raw <= 1.15x', 'seda', 'raw', 'cpuSecPerM', 1.15),
      atMostTimes('CPU seda / raw <= 0.5x', 'seda', 'raw', 'cpuSecPerM', 0.5),
      ratioInfo('seda / raw', 'seda', 'raw', 'msgsPerSec'),
    ]);
    expect(r.systems[3].notMeasured).to.include('npm run bench:peers');
    expect(r.systems[3].errors).to.deep.equal([]);
    expect(integrityLines(r)[3]).to.equal('a peer: not measured: not installed: run "npm run bench:peers"');
    // CPU: seda 6, raw median 6 -> 1.00x.
    expect(targetLines(r)).to.deep.equal([
      '[n/a] seda ahead of a peer: a peer not measured: not installed: run "npm run bench:peers"',
      '[met] CPU seda / raw <= 1.15x: 1.00x (6.0 vs 6.0)',
      '[NOT MET] CPU seda / raw <= 0.5x: 1.00x (6.0 vs 6.0)',
      '[info] seda / raw: 0.90x (99,000 vs 110,000)',
    ]);
  });

  it('reports the median of runs per figure and each figure\'s ratio to the baseline', () => {
    const r = result();
    const [raw, seda] = r.systems;
    expect(raw.figures.msgsPerSec).to.equal(110_000);
    expect(raw.figures.rateP99).to.equal(20);
    expect(seda.figures.p99).to.equal(210);
    expect(seda.figures.rssGrowthMB).to.equal(30);
    expect(seda.ratio.msgsPerSec).to.equal(0.9);
    expect(seda.ratio.rateP99).to.equal(1.5);
    expect(seda.ratio.cpuSecPerM).to.equal(1);
    expect(raw.ratio.msgsPerSec).to.equal(1);
    expect(seda.ratio).to.not.have.property('machineCores');
    expect(r.baseline).to.equal('raw');
  });

  it('evaluates targets: met, not met, and not measurable', () => {
    const t = result().targets;
    expect(t.map((x) => x.met)).to.deep.equal([true, true, true, undefined]);
    expect(t[0].value).to.equal(0.9);
    expect(t[3].detail).to.contain('KafkaJS');
  });

  it('keeps the errors of a failed system and shows them with its empty figures', () => {
    const r = result();
    expect(r.systems[2].errors).to.deep.equal(['throughput: kafkajs: cannot connect']);
    const text = textTable(r);
    expect(text).to.contain('KafkaJS: throughput: kafkajs: cannot connect');
    expect(text).to.contain('n/a');
  });

  it('prints one table with each system, its ratio to the baseline, and the targets', () => {
    const text = textTable(result());
    const lines = text.split('\n');
    expect(lines[0]).to.contain('passthrough').and.contain('1,000 messages').and.contain('2 runs (median)');
    expect(lines[1]).to.match(/raw node-rdkafka\s+seda\s+seda\/raw\s+KafkaJS\s+kafkajs\/raw/);
    const throughput = lines.find((l) => l.startsWith('throughput (msg/s)'))!;
    expect(throughput).to.match(/110,000\s+99,000\s+0\.90x\s+n\/a/);
    expect(lines.find((l) => l.startsWith('latency p99 @ 10,000 msg/s'))).to.match(/20\.0\s+30\.0\s+1\.50x/);
    expect(text).to.contain('[met] seda >= 0.9x raw: 0.90x (99,000 vs 110,000)');
    expect(text).to.contain('[n/a] seda >= 2x KafkaJS');
    expect(text).to.contain('note: a note');
  });

  it('writes the same table as Markdown', () => {
    const md = markdownTable(result()).split('\n');
    expect(md[0]).to.equal('| | raw node-rdkafka | seda | seda/raw | KafkaJS | kafkajs/raw |');
    expect(md[1]).to.equal('|---|---:|---:|---:|---:|---:|');
    expect(md.find((l) => l.startsWith('| throughput (msg/s)'))).to.equal('| throughput (msg/s) | 110,000 | 99,000 | 0.90x | n/a |  |');
  });

  it('appends RESULTS.md entries under one header, with machine, date, commit and chart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-bench-results-'));
    appendResults(dir, result(), join(dir, 'results', 'passthrough.svg'));
    appendResults(dir, result());
    const text = readFileSync(join(dir, 'RESULTS.md'), 'utf8');
    expect(text.match(/^# Bench results/gm)).to.have.length(1);
    expect(text.match(/^## 2026-01-02 03:04 UTC: passthrough \(quick\), commit abc1234$/gm)).to.have.length(2);
    expect(text).to.contain('Machine: Test CPU, 2 cores, 8 GiB');
    expect(text).to.contain('![passthrough](results/passthrough.svg)');
    expect(resultsEntry(result())).to.contain('- [met] seda >= 0.9x raw');
  });

  it('formats numbers and ratios for tables', () => {
    expect(formatNumber(123456.7)).to.equal('123,457');
    expect(formatNumber(123.4)).to.equal('123');
    expect(formatNumber(12.34)).to.equal('12.3');
    expect(formatNumber(1.234)).to.equal('1.23');
    expect(formatNumber(undefined)).to.equal('n/a');
    expect(formatRatio(0.8765)).to.equal('0.88x');
    expect(formatRatio(undefined)).to.equal('');
  });
});

describe('bench SVG charts', () => {
  it('picks round axis ticks that cover the maximum', () => {
    expect(niceTicks(95)).to.deep.equal([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(130_000)).to.deep.equal([0, 50_000, 100_000, 150_000]);
    expect(niceTicks(0)).to.deep.equal([0, 1]);
  });

  it('draws one polyline per series and one bar per measured value, inside the panel', () => {
    const g = lineChart({ x: 0, y: 0, width: 400, height: 300, title: 't', yLabel: 'y' }, [
      { name: 'a', color: '#000', points: [[0, 1], [1, 2], [2, 3]] },
      { name: 'b<&>', color: '#111', points: [[0, 3], [2, 1]] },
    ]);
    expect(g.match(/<polyline /g)).to.have.length(2);
    expect(g).to.contain('b&lt;&amp;&gt;');
    for (const m of g.matchAll(/points="([^"]+)"/g)) {
      for (const pt of m[1].split(' ')) {
        const [x, y] = pt.split(',').map(Number);
        expect(x).to.be.within(0, 400);
        expect(y).to.be.within(0, 300);
      }
    }
    const bars = barChart({ x: 0, y: 0, width: 300, height: 300, title: 't', yLabel: 'ms' }, ['p50', 'p99'], [
      { name: 'a', color: '#000', values: [1, 2] },
      { name: 'b', color: '#111', values: [3, undefined] },
    ]);
    expect(bars.match(/<rect [^>]*><title>/g)).to.have.length(3);
  });

  it('switches the bars to a log scale when values span more than 20x', () => {
    const panel = { x: 0, y: 0, width: 300, height: 300, title: 't', yLabel: 'ms' };
    const log = barChart(panel, ['p99'], [
      { name: 'fast', color: '#000', values: [20] },
      { name: 'slow', color: '#111', values: [2000] },
    ]);
    expect(log).to.contain('ms (log scale)');
    expect(logTicks(20, 2000)).to.deep.equal([10, 100, 1000, 10_000]);
    const heights = [...log.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*><title>/g)].map((m) => Number(m[1]));
    // On a log axis from 10 to 10^4, 20 ms is about a tenth of the height, not 1/100 of the 2000 ms bar.
    expect(heights[0] / heights[1]).to.be.within(0.1, 0.2);
    expect(barChart(panel, ['p99'], [{ name: 'a', color: '#000', values: [20, 30] }])).to.not.contain('log scale');
  });

  it('makes a whole chart of a scenario: throughput over time and latency percentiles per system', () => {
    const svg = scenarioChart(result());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
    expect(svg).to.contain('throughput over time').and.contain('latency @ 10,000 msg/s').and.contain('latency at full speed');
    expect(svg.match(/<polyline /g)).to.have.length(2); // raw and seda; the failed system has no series
    // Every tag is closed: count of opening and closing <g> groups match.
    expect(svg.match(/<g>/g)?.length).to.equal(svg.match(/<\/g>/g)?.length);
    expect(escapeXml('"a" & <b>')).to.equal('&quot;a&quot; &amp; &lt;b&gt;');
    expect(svgDocument(10, 10, 't', [])).to.contain('width="10"');
  });
});
